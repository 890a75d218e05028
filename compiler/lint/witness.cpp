// Rekindle lints: concrete evaluation of the IR on one customer (the semantics of
// runtime/interpreter.cpp, including atoms computed from the actual strings and holdout hashes)
// and the text of a customer's values for notes.
#include "compiler/lint/witness.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "base/date.h"
#include "base/fnv1a.h"

namespace rk::lint {
namespace {

using V = ConcreteValue;

V missing() {
  return V{};
}
V of_bool(bool b) {
  return V{b ? 1 : 0, 0, true};
}
V of_int(int64_t v) {
  return V{v, 0, true};
}
V of_float(double v) {
  if (std::isnan(v)) return missing();
  return V{0, v, true};
}
int truth(const V& v) {
  return v.present ? static_cast<int>(v.i != 0) : 2;
}

V atom(const ir::Program& p, const ir::Atom& a, const Customer& c) {
  const FieldValue& fv = c.fields[a.field];
  if (!fv.present) return missing();
  switch (a.kind) {
    case ir::AtomKind::StrInSet:
      return of_bool(std::find(a.set.begin(), a.set.end(), fv.s) != a.set.end());
    case ir::AtomKind::ListHasAny:
    case ir::AtomKind::ListHasNone:
    case ir::AtomKind::ListHasAll: {
      size_t found = 0;
      for (const auto& s : a.set)
        if (std::find(fv.list.begin(), fv.list.end(), s) != fv.list.end()) ++found;
      if (a.kind == ir::AtomKind::ListHasAny) return of_bool(found > 0);
      if (a.kind == ir::AtomKind::ListHasNone) return of_bool(found == 0);
      return of_bool(found == a.set.size());
    }
    case ir::AtomKind::Holdout: {
      (void)p;
      const uint64_t h = fnv1a64_update(fnv1a64_update(fnv1a64(a.salt), ":"), fv.s);
      return of_bool((h % a.modulus) < a.threshold);
    }
  }
  return missing();
}

V column(const ir::Program& p, uint32_t f, const Customer& c) {
  const FieldValue& fv = c.fields[f];
  if (!fv.present) return missing();
  switch (p.schema.fields[f].type) {
    case FieldType::Bool:
      return of_bool(fv.i != 0);
    case FieldType::Number:
    case FieldType::Money:
    case FieldType::Percent:
      return of_float(fv.f);
    case FieldType::Int:
    case FieldType::Date:
    case FieldType::Enum:
      return of_int(fv.i);
    default:
      return missing();
  }
}

V arith(const ir::Node& n, const V& a, const V& b) {
  if (!a.present || !b.present) return missing();
  if (n.ty == ir::Ty::Float) {
    switch (n.op) {
      case ir::Op::Add:
        return of_float(a.f + b.f);
      case ir::Op::Sub:
        return of_float(a.f - b.f);
      case ir::Op::Mul:
        return of_float(a.f * b.f);
      case ir::Op::Div:
        return b.f == 0 ? missing() : of_float(a.f / b.f);
      default:
        return missing();
    }
  }
  int64_t out = 0;
  bool overflow = false;
  switch (n.op) {
    case ir::Op::Add:
      overflow = __builtin_add_overflow(a.i, b.i, &out);
      break;
    case ir::Op::Sub:
      overflow = __builtin_sub_overflow(a.i, b.i, &out);
      break;
    case ir::Op::Mul:
      overflow = __builtin_mul_overflow(a.i, b.i, &out);
      break;
    default:
      return missing();
  }
  return overflow ? missing() : of_int(out);
}

V compare(ir::Op op, ir::Ty ty, const V& a, const V& b) {
  if (!a.present || !b.present) return missing();
  int c;
  if (ty == ir::Ty::Float)
    c = a.f < b.f ? -1 : (a.f > b.f ? 1 : 0);
  else
    c = a.i < b.i ? -1 : (a.i > b.i ? 1 : 0);
  switch (op) {
    case ir::Op::Eq:
      return of_bool(c == 0);
    case ir::Op::Ne:
      return of_bool(c != 0);
    case ir::Op::Lt:
      return of_bool(c < 0);
    case ir::Op::Le:
      return of_bool(c <= 0);
    case ir::Op::Gt:
      return of_bool(c > 0);
    default:
      return of_bool(c >= 0);
  }
}

}  // namespace

std::vector<ConcreteValue> evaluate(const ir::Program& p, const Customer& c) {
  std::vector<V> v(p.nodes.size());
  for (size_t id = 0; id < p.nodes.size(); ++id) {
    const ir::Node& n = p.nodes[id];
    auto arg = [&](size_t k) -> const V& { return v[n.args[k]]; };
    V r;
    switch (n.op) {
      case ir::Op::ConstBool:
        r = of_bool(n.imm != 0);
        break;
      case ir::Op::ConstInt:
        r = of_int(n.imm);
        break;
      case ir::Op::ConstFloat:
        r = of_float(n.fimm);
        break;
      case ir::Op::Null:
        r = missing();
        break;
      case ir::Op::AsOf:
        r = of_int(c.as_of);
        break;
      case ir::Op::Column:
        r = column(p, n.index, c);
        break;
      case ir::Op::Atom:
        r = atom(p, p.atoms[n.index], c);
        break;
      case ir::Op::Add:
      case ir::Op::Sub:
      case ir::Op::Mul:
      case ir::Op::Div:
        r = arith(n, arg(0), arg(1));
        break;
      case ir::Op::Neg:
        if (!arg(0).present)
          r = missing();
        else if (n.ty == ir::Ty::Float)
          r = of_float(-arg(0).f);
        else
          r = arg(0).i == INT64_MIN ? missing() : of_int(-arg(0).i);
        break;
      case ir::Op::IntToFloat:
        r = arg(0).present ? of_float(static_cast<double>(arg(0).i)) : missing();
        break;
      case ir::Op::Eq:
      case ir::Op::Ne:
      case ir::Op::Lt:
      case ir::Op::Le:
      case ir::Op::Gt:
      case ir::Op::Ge:
        r = compare(n.op, p.nodes[n.args[0]].ty, arg(0), arg(1));
        break;
      case ir::Op::And: {
        const int a = truth(arg(0)), b = truth(arg(1));
        r = (a == 0 || b == 0) ? of_bool(false) : (a == 1 && b == 1) ? of_bool(true) : missing();
        break;
      }
      case ir::Op::Or: {
        const int a = truth(arg(0)), b = truth(arg(1));
        r = (a == 1 || b == 1) ? of_bool(true) : (a == 0 && b == 0) ? of_bool(false) : missing();
        break;
      }
      case ir::Op::Not: {
        const int a = truth(arg(0));
        r = a == 2 ? missing() : of_bool(a == 0);
        break;
      }
      case ir::Op::IsMissing:
        r = of_bool(!arg(0).present);
        break;
      case ir::Op::IsTrue:
        r = of_bool(truth(arg(0)) == 1);
        break;
      case ir::Op::IsFalse:
        r = of_bool(truth(arg(0)) == 0);
        break;
      case ir::Op::InMask: {
        const V& a = arg(0);
        r = !a.present ? missing() : of_bool(a.i >= 0 && a.i < 64 && ((n.mask >> a.i) & 1));
        break;
      }
      case ir::Op::If:
        r = truth(arg(0)) == 1 ? arg(1) : arg(2);
        break;
      case ir::Op::Coalesce:
        r = arg(0).present ? arg(0) : arg(1);
        break;
      case ir::Op::FirstTrue:
        r = missing();
        for (size_t k = 0; k < n.args.size(); ++k)
          if (truth(arg(k)) == 1) {
            r = of_int(static_cast<int64_t>(k));
            break;
          }
        break;
      case ir::Op::Switch: {
        const V& i = arg(0);
        if (!i.present || i.i < 0 || i.i >= static_cast<int64_t>(n.args.size()) - 1)
          r = missing();
        else
          r = arg(static_cast<size_t>(i.i) + 1);
        break;
      }
    }
    v[id] = r;
  }
  return v;
}

std::vector<bool> fields_read(const ir::Program& p, const std::vector<uint32_t>& roots) {
  std::vector<bool> reach(p.nodes.size(), false), fields(p.schema.fields.size(), false);
  for (uint32_t r : roots)
    if (r < reach.size()) reach[r] = true;
  for (size_t id = p.nodes.size(); id-- > 0;) {
    if (!reach[id]) continue;
    const ir::Node& n = p.nodes[id];
    if (n.op == ir::Op::Column) fields[n.index] = true;
    if (n.op == ir::Op::Atom) fields[p.atoms[n.index].field] = true;
    for (uint32_t a : n.args) reach[a] = true;
  }
  return fields;
}

std::string describe(const ir::Program& p, const Customer& c, const std::vector<bool>& fields,
                     bool with_as_of) {
  std::vector<std::string> parts;
  if (with_as_of) parts.push_back("as of " + format_iso_date(c.as_of));
  for (size_t f = 0; f < p.schema.fields.size(); ++f) {
    if (f >= fields.size() || !fields[f]) continue;
    const FieldDef& fd = p.schema.fields[f];
    const FieldValue& fv = c.fields[f];
    if (!fv.present) {
      parts.push_back(fd.name + " is missing");
      continue;
    }
    std::string text;
    switch (fd.type) {
      case FieldType::Bool:
        text = fv.i ? "true" : "false";
        break;
      case FieldType::Int:
        text = std::to_string(fv.i);
        break;
      case FieldType::Date:
        text = format_iso_date(fv.i);
        break;
      case FieldType::Enum:
        text = fv.i >= 0 && fv.i < static_cast<int64_t>(fd.enum_values.size())
                   ? fd.enum_values[static_cast<size_t>(fv.i)]
                   : std::to_string(fv.i);
        break;
      case FieldType::Number:
        text = fmt::format("{}", fv.f);
        break;
      case FieldType::Money:
        text = fmt::format("${}", fv.f);
        break;
      case FieldType::Percent:
        text = fmt::format("{} ({}%)", fv.f, fv.f * 100);
        break;
      case FieldType::String:
        text = fmt::format("\"{}\"", fv.s);
        break;
      case FieldType::StringList: {
        text = "{";
        for (size_t k = 0; k < fv.list.size(); ++k) text += (k ? ", " : "") + fv.list[k];
        text += "}";
        break;
      }
    }
    parts.push_back(fd.name + " = " + text);
  }
  std::string out;
  for (size_t k = 0; k < parts.size(); ++k) out += (k ? ", " : "") + parts[k];
  return out;
}

}  // namespace rk::lint
