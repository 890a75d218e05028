// Rekindle lints: the SMT encoding of the IR (see smt.h). Mirrors runtime/interpreter.cpp node by
// node; where doubles and reals might disagree (arithmetic on non-constant floats) a node gets a
// fresh value instead, which only ever adds behaviours, so "never" answers stay exact.
#include "compiler/lint/smt.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <set>
#include <utility>

#include "compiler/ir/bucket.h"

namespace rk::lint {
namespace {

constexpr int64_t kI64Min = std::numeric_limits<int64_t>::min();
constexpr int64_t kI64Max = std::numeric_limits<int64_t>::max();
constexpr int64_t kI32Min = std::numeric_limits<int32_t>::min();
constexpr int64_t kI32Max = std::numeric_limits<int32_t>::max();

// Decimal digits of 2^k (k >= 0).
std::string pow2_string(int k) {
  std::vector<int> digits{1};  // little-endian
  for (int i = 0; i < k; ++i) {
    int carry = 0;
    for (auto& d : digits) {
      const int v = d * 2 + carry;
      d = v % 10;
      carry = v / 10;
    }
    if (carry) digits.push_back(carry);
  }
  std::string s;
  for (auto it = digits.rbegin(); it != digits.rend(); ++it) s += static_cast<char>('0' + *it);
  return s;
}

}  // namespace

Encoder::Encoder(const ir::Program& p, unsigned timeout_ms, std::function<bool()> stop)
    : p_(p), stop_(std::move(stop)), solver_(ctx_), as_of_(ctx_.int_const("as_of")) {
  z3::params params(ctx_);
  params.set("timeout", timeout_ms);
  solver_.set(params);
  solver_.add(as_of_ >= ctx_.int_val(kI32Min) && as_of_ <= ctx_.int_val(kI32Max));

  const auto& fields = p.schema.fields;
  mentioned_.assign(fields.size(), {});
  for (const auto& a : p.atoms) {
    if (a.kind == ir::AtomKind::Holdout) continue;
    for (const auto& s : a.set) mentioned_[a.field].push_back(s);
  }
  for (auto& m : mentioned_) {
    std::sort(m.begin(), m.end());
    m.erase(std::unique(m.begin(), m.end()), m.end());
  }
  contains_.assign(fields.size(), {});
  for (size_t f = 0; f < fields.size(); ++f) {
    const FieldDef& fd = fields[f];
    const std::string base = "f" + std::to_string(f) + "_" + fd.name;
    z3::expr pres = ctx_.bool_const((base + "?").c_str());
    if (!fd.nullable) solver_.add(pres);
    fpres_.push_back(pres);
    switch (fd.type) {
      case FieldType::Bool:
        fval_.push_back(ctx_.bool_const(base.c_str()));
        break;
      case FieldType::Number:
      case FieldType::Money:
      case FieldType::Percent:
        fval_.push_back(ctx_.real_const(base.c_str()));
        break;
      case FieldType::Int: {
        z3::expr v = ctx_.int_const(base.c_str());
        solver_.add(v >= ctx_.int_val(kI64Min) && v <= ctx_.int_val(kI64Max));
        fval_.push_back(v);
        break;
      }
      case FieldType::Date: {
        z3::expr v = ctx_.int_const(base.c_str());
        solver_.add(v >= ctx_.int_val(kI32Min) && v <= ctx_.int_val(kI32Max));
        fval_.push_back(v);
        break;
      }
      case FieldType::Enum: {
        z3::expr v = ctx_.int_const(base.c_str());
        solver_.add(v >= 0 && v < ctx_.int_val(static_cast<int64_t>(fd.enum_values.size())));
        fval_.push_back(v);
        break;
      }
      case FieldType::String: {
        // 0..k-1: the k mentioned strings; k: any other string.
        z3::expr v = ctx_.int_const(base.c_str());
        solver_.add(v >= 0 && v <= ctx_.int_val(static_cast<int64_t>(mentioned_[f].size())));
        fval_.push_back(v);
        break;
      }
      case FieldType::StringList:
        fval_.push_back(ctx_.bool_val(true));
        for (size_t k = 0; k < mentioned_[f].size(); ++k)
          contains_[f].push_back(ctx_.bool_const((base + "_has" + std::to_string(k)).c_str()));
        break;
    }
    // A declared value range (`int 0 to 10`) holds for every value a snapshot can give: the
    // readers reject the others, so a condition false on all of the range is never true.
    if (fd.has_range()) {
      const bool ints = fd.type == FieldType::Int || fd.type == FieldType::Date;
      const z3::expr& v = fval_.back();
      auto bound = [&](const RangeEnd& e) {
        return ints ? ctx_.int_val(e.ivalue) : real_of_double(e.value);
      };
      if (fd.min) solver_.add(fd.min->inclusive ? v >= bound(*fd.min) : v > bound(*fd.min));
      if (fd.max) solver_.add(fd.max->inclusive ? v <= bound(*fd.max) : v < bound(*fd.max));
    }
  }
  val_.reserve(p.nodes.size());
  pres_.reserve(p.nodes.size());
  for (uint32_t n = 0; n < p.nodes.size(); ++n) encode(n);
  // Holdout atoms under one salt read one bucket: `bucket < a` implies `bucket < b` for a <= b (a
  // touch's variants take consecutive ranges), so no model puts a key in two ranges at once.
  for (const auto& [ia, ha] : holdouts_)
    for (const auto& [ib, hb] : holdouts_) {
      const ir::Atom& a = p.atoms[ia];
      const ir::Atom& b = p.atoms[ib];
      if (ia != ib && a.field == b.field && a.salt == b.salt && a.modulus == b.modulus &&
          a.threshold <= b.threshold)
        solver_.add(z3::implies(ha, hb));
    }
}

z3::expr Encoder::real_of_double(double d) {
  if (d == 0) return ctx_.real_val(0);
  int exp = 0;
  const double frac = std::frexp(std::fabs(d), &exp);  // |d| = frac * 2^exp, frac in [0.5, 1)
  auto mant = static_cast<int64_t>(std::ldexp(frac, 53));
  int e2 = exp - 53;
  while (mant % 2 == 0 && e2 < 0) {
    mant /= 2;
    ++e2;
  }
  std::string s = (d < 0 ? "-" : "") + std::to_string(mant);
  if (e2 > 0) {
    z3::expr r = ctx_.real_val(s.c_str()) * ctx_.real_val(pow2_string(e2).c_str());
    return r.simplify();
  }
  if (e2 < 0) s += "/" + pow2_string(-e2);
  return ctx_.real_val(s.c_str());
}

z3::expr Encoder::fresh_real() {
  return ctx_.real_const(("fresh" + std::to_string(fresh_++)).c_str());
}
z3::expr Encoder::fresh_bool() {
  return ctx_.bool_const(("fresh" + std::to_string(fresh_++)).c_str());
}

z3::expr Encoder::equals(uint32_t n, int64_t k) {
  return pres_[n] && val_[n] == ctx_.int_val(k);
}

z3::expr Encoder::as_real(uint32_t n) {
  if (p_.nodes[n].ty == ir::Ty::Float) return val_[n];
  return z3::to_real(val_[n]);
}

void Encoder::encode(uint32_t id) {
  const ir::Node& n = p_.nodes[id];
  auto v = [&](size_t k) { return val_[n.args[k]]; };
  auto pr = [&](size_t k) { return pres_[n.args[k]]; };
  auto zero = [&](ir::Ty ty) -> z3::expr {
    switch (ty) {
      case ir::Ty::Bool:
        return ctx_.bool_val(false);
      case ir::Ty::Int:
        return ctx_.int_val(0);
      case ir::Ty::Float:
        return ctx_.real_val(0);
    }
    return ctx_.real_val(0);
  };
  auto push = [&](z3::expr value, z3::expr present) {
    val_.push_back(std::move(value));
    pres_.push_back(std::move(present));
  };
  auto as_int = [&](size_t k) -> z3::expr {  // Bool operands of comparisons compare as 0/1
    const z3::expr& e = val_[n.args[k]];
    return e.is_bool() ? z3::ite(e, ctx_.int_val(1), ctx_.int_val(0)) : e;
  };
  auto in_i64 = [&](const z3::expr& e) {
    return e >= ctx_.int_val(kI64Min) && e <= ctx_.int_val(kI64Max);
  };
  auto const_float = [&](uint32_t a, double& out) {
    const ir::Node& m = p_.nodes[a];
    if (m.op == ir::Op::ConstFloat) {
      out = m.fimm;
      return !std::isnan(out);
    }
    if (m.op == ir::Op::IntToFloat && p_.nodes[m.args[0]].op == ir::Op::ConstInt) {
      out = static_cast<double>(p_.nodes[m.args[0]].imm);
      return true;
    }
    return false;
  };
  switch (n.op) {
    case ir::Op::ConstBool:
      return push(ctx_.bool_val(n.imm != 0), ctx_.bool_val(true));
    case ir::Op::ConstInt:
      return push(ctx_.int_val(n.imm), ctx_.bool_val(true));
    case ir::Op::ConstFloat:
      if (std::isnan(n.fimm)) return push(zero(ir::Ty::Float), ctx_.bool_val(false));
      if (std::isinf(n.fimm)) return push(fresh_real(), ctx_.bool_val(true));
      return push(real_of_double(n.fimm), ctx_.bool_val(true));
    case ir::Op::Null:
      return push(zero(n.ty), ctx_.bool_val(false));
    case ir::Op::AsOf:
      return push(as_of_, ctx_.bool_val(true));
    case ir::Op::Column:
      return push(fval_[n.index], fpres_[n.index]);
    case ir::Op::Atom: {
      const ir::Atom& a = p_.atoms[n.index];
      const auto& m = mentioned_[a.field];
      auto idx = [&](const std::string& s) {
        return static_cast<int64_t>(std::lower_bound(m.begin(), m.end(), s) - m.begin());
      };
      z3::expr_vector terms(ctx_);
      switch (a.kind) {
        case ir::AtomKind::StrInSet:
          for (const auto& s : a.set) terms.push_back(fval_[a.field] == ctx_.int_val(idx(s)));
          return push(terms.empty() ? ctx_.bool_val(false) : z3::mk_or(terms), fpres_[a.field]);
        case ir::AtomKind::ListHasAny:
        case ir::AtomKind::ListHasNone:
          for (const auto& s : a.set) terms.push_back(contains_[a.field][idx(s)]);
          {
            z3::expr any = terms.empty() ? ctx_.bool_val(false) : z3::mk_or(terms);
            return push(a.kind == ir::AtomKind::ListHasAny ? any : !any, fpres_[a.field]);
          }
        case ir::AtomKind::ListHasAll:
          for (const auto& s : a.set) terms.push_back(contains_[a.field][idx(s)]);
          return push(terms.empty() ? ctx_.bool_val(true) : z3::mk_and(terms), fpres_[a.field]);
        case ir::AtomKind::Holdout: {
          if (a.threshold == 0) return push(ctx_.bool_val(false), fpres_[a.field]);
          if (a.threshold >= a.modulus) return push(ctx_.bool_val(true), fpres_[a.field]);
          z3::expr h = fresh_bool();
          holdouts_.emplace_back(n.index, h);
          return push(h, fpres_[a.field]);
        }
      }
      return push(fresh_bool(), fpres_[a.field]);
    }
    case ir::Op::Add:
    case ir::Op::Sub:
    case ir::Op::Mul:
    case ir::Op::Div: {
      const z3::expr both = pr(0) && pr(1);
      if (n.ty == ir::Ty::Float) {
        double a = 0, b = 0;
        if (const_float(n.args[0], a) && const_float(n.args[1], b)) {
          double r = 0;
          bool ok = true;
          if (n.op == ir::Op::Add) {
            r = a + b;
          } else if (n.op == ir::Op::Sub) {
            r = a - b;
          } else if (n.op == ir::Op::Mul) {
            r = a * b;
          } else {  // Div: the only other op that reaches here
            ok = b != 0;
            r = ok ? a / b : 0;
          }
          if (!ok || std::isnan(r)) return push(zero(ir::Ty::Float), ctx_.bool_val(false));
          return push(std::isinf(r) ? fresh_real() : real_of_double(r), ctx_.bool_val(true));
        }
        // Rounding: any value, present only when both operands are (and the divisor is not 0).
        z3::expr p = fresh_bool();
        z3::expr guard = both;
        if (n.op == ir::Op::Div) guard = guard && v(1) != ctx_.real_val(0);
        solver_.add(z3::implies(p, guard));
        return push(fresh_real(), p);
      }
      z3::expr r = n.op == ir::Op::Add   ? v(0) + v(1)
                   : n.op == ir::Op::Sub ? v(0) - v(1)
                                         : v(0) * v(1);
      if (n.op == ir::Op::Div) return push(zero(ir::Ty::Int), ctx_.bool_val(false));
      return push(r, both && in_i64(r));
    }
    case ir::Op::Neg:
      if (n.ty == ir::Ty::Float) return push(-v(0), pr(0));
      return push(-v(0), pr(0) && v(0) != ctx_.int_val(kI64Min));
    case ir::Op::IntToFloat: {
      if (p_.nodes[n.args[0]].op == ir::Op::ConstInt)
        return push(real_of_double(static_cast<double>(p_.nodes[n.args[0]].imm)), pr(0));
      const int64_t exact = int64_t{1} << 53;
      z3::expr in = v(0) >= ctx_.int_val(-exact) && v(0) <= ctx_.int_val(exact);
      return push(z3::ite(in, z3::to_real(v(0)), fresh_real()), pr(0));
    }
    case ir::Op::Eq:
    case ir::Op::Ne:
    case ir::Op::Lt:
    case ir::Op::Le:
    case ir::Op::Gt:
    case ir::Op::Ge: {
      const z3::expr a = as_int(0), b = as_int(1);
      z3::expr r = n.op == ir::Op::Eq   ? a == b
                   : n.op == ir::Op::Ne ? a != b
                   : n.op == ir::Op::Lt ? a < b
                   : n.op == ir::Op::Le ? a <= b
                   : n.op == ir::Op::Gt ? a > b
                                        : a >= b;
      return push(r, pr(0) && pr(1));
    }
    case ir::Op::And: {
      const z3::expr t = (pr(0) && v(0)) && (pr(1) && v(1));
      const z3::expr f = (pr(0) && !v(0)) || (pr(1) && !v(1));
      return push(t, t || f);
    }
    case ir::Op::Or: {
      const z3::expr t = (pr(0) && v(0)) || (pr(1) && v(1));
      const z3::expr f = (pr(0) && !v(0)) && (pr(1) && !v(1));
      return push(t, t || f);
    }
    case ir::Op::Not:
      return push(!v(0), pr(0));
    case ir::Op::IsMissing:
      return push(!pr(0), ctx_.bool_val(true));
    case ir::Op::IsTrue:
      return push(pr(0) && v(0), ctx_.bool_val(true));
    case ir::Op::IsFalse:
      return push(pr(0) && !v(0), ctx_.bool_val(true));
    case ir::Op::InMask: {
      z3::expr_vector terms(ctx_);
      for (int k = 0; k < 64; ++k)
        if ((n.mask >> k) & 1) terms.push_back(v(0) == ctx_.int_val(k));
      return push(terms.empty() ? ctx_.bool_val(false) : z3::mk_or(terms), pr(0));
    }
    case ir::Op::If: {
      const z3::expr c = pr(0) && v(0);
      return push(z3::ite(c, v(1), v(2)), z3::ite(c, pr(1), pr(2)));
    }
    case ir::Op::Coalesce:
      return push(z3::ite(pr(0), v(0), v(1)), pr(0) || pr(1));
    case ir::Op::FirstTrue: {
      z3::expr value = ctx_.int_val(0);
      z3::expr any = ctx_.bool_val(false);
      for (size_t k = n.args.size(); k-- > 0;) {
        const z3::expr t = pr(k) && v(k);
        value = z3::ite(t, ctx_.int_val(static_cast<int64_t>(k)), value);
        any = any || t;
      }
      return push(value, any.simplify());
    }
    case ir::Op::Switch: {
      const size_t count = n.args.size() - 1;
      if (count == 0) return push(zero(n.ty), ctx_.bool_val(false));
      z3::expr value = v(count);
      z3::expr present = pr(count);
      for (size_t k = count - 1; k-- > 0;) {
        const z3::expr is_k = v(0) == ctx_.int_val(static_cast<int64_t>(k));
        value = z3::ite(is_k, v(k + 1), value);
        present = z3::ite(is_k, pr(k + 1), present);
      }
      const z3::expr in_range =
          pr(0) && v(0) >= 0 && v(0) < ctx_.int_val(static_cast<int64_t>(count));
      return push(value, in_range && present);
    }
  }
  push(zero(n.ty), ctx_.bool_val(false));
}

bool Encoder::stopped() {
  if (!stopped_ && stop_ && stop_()) stopped_ = true;
  return stopped_;
}

Verdict Encoder::check(const z3::expr& q) {
  if (stopped()) return Verdict::Unknown;
  solver_.push();
  solver_.add(q);
  Verdict out = Verdict::Unknown;
  try {
    const z3::check_result r = solver_.check();
    out = r == z3::sat ? Verdict::Sat : r == z3::unsat ? Verdict::Unsat : Verdict::Unknown;
  } catch (const z3::exception&) {
    out = Verdict::Unknown;
  }
  solver_.pop();
  return out;
}

Verdict Encoder::check(const z3::expr& q, std::optional<Customer>& witness) {
  witness.reset();
  if (stopped()) return Verdict::Unknown;
  solver_.push();
  solver_.add(q);
  Verdict out = Verdict::Unknown;
  try {
    const z3::check_result r = solver_.check();
    out = r == z3::sat ? Verdict::Sat : r == z3::unsat ? Verdict::Unsat : Verdict::Unknown;
    if (out == Verdict::Sat) witness = read_model(solver_.get_model());
  } catch (const z3::exception&) {
    out = Verdict::Unknown;
    witness.reset();
  }
  solver_.pop();
  return out;
}

std::optional<Customer> Encoder::read_model(const z3::model& m) {
  Customer c;
  auto eval_int = [&](const z3::expr& e, int64_t& out) {
    z3::expr r = m.eval(e, true);
    return r.is_numeral_i64(out);
  };
  auto eval_bool = [&](const z3::expr& e) { return m.eval(e, true).is_true(); };
  if (!eval_int(as_of_, c.as_of)) return std::nullopt;
  const auto& fields = p_.schema.fields;
  c.fields.resize(fields.size());
  for (size_t f = 0; f < fields.size(); ++f) {
    FieldValue& fv = c.fields[f];
    fv.present = eval_bool(fpres_[f]);
    switch (fields[f].type) {
      case FieldType::Bool:
        fv.i = eval_bool(fval_[f]) ? 1 : 0;
        break;
      case FieldType::Int:
      case FieldType::Date:
      case FieldType::Enum:
        if (!eval_int(fval_[f], fv.i)) return std::nullopt;
        break;
      case FieldType::Number:
      case FieldType::Money:
      case FieldType::Percent: {
        z3::expr r = m.eval(fval_[f], true);
        if (!r.is_numeral()) return std::nullopt;
        fv.f = std::strtod(r.get_decimal_string(40).c_str(), nullptr);
        break;
      }
      case FieldType::String: {
        int64_t k = 0;
        if (!eval_int(fval_[f], k)) return std::nullopt;
        const auto& ms = mentioned_[f];
        if (k >= 0 && k < static_cast<int64_t>(ms.size())) {
          fv.s = ms[static_cast<size_t>(k)];
        } else {
          fv.s = "other";
          while (std::binary_search(ms.begin(), ms.end(), fv.s)) fv.s += "_";
        }
        break;
      }
      case FieldType::StringList:
        for (size_t k = 0; k < mentioned_[f].size(); ++k)
          if (eval_bool(contains_[f][k])) fv.list.push_back(mentioned_[f][k]);
        break;
    }
  }
  // A key that puts the customer in (or out of) each holdout as the model says.
  if (!holdouts_.empty() && p_.schema.key_field >= 0) {
    const auto key = static_cast<size_t>(p_.schema.key_field);
    const auto& ms = mentioned_[key];
    int64_t k = 0;
    eval_int(fval_[key], k);
    if (!(k >= 0 && k < static_cast<int64_t>(ms.size()))) {
      std::vector<std::pair<const ir::Atom*, bool>> want;
      for (const auto& [atom, flag] : holdouts_)
        want.emplace_back(&p_.atoms[atom], eval_bool(flag));
      for (int i = 0; i < 200000; ++i) {
        const std::string cand = "C" + std::to_string(i);
        if (std::binary_search(ms.begin(), ms.end(), cand)) continue;
        bool ok = true;
        for (const auto& [a, in] : want) {
          if (ir::held_out(*a, cand) != in) {
            ok = false;
            break;
          }
        }
        if (ok) {
          c.fields[key].s = cand;
          break;
        }
      }
    }
  }
  return c;
}

}  // namespace rk::lint
