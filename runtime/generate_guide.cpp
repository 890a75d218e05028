// Rekindle runtime: what a compiled rule file tests, read from its IR for the snapshot generator
// (runtime/generate_schema.h). For every comparison whose operands depend on numeric or date
// columns, each such column is varied while the others keep a typical value, and the values where
// the comparison changes its answer are found: exactly for functions that are affine in the
// column (`days since D >= 180 days`, `orders_total * 2 > 9`), by a scan and bisection otherwise.
// Enum sets, string sets and list sets come from InMask nodes, enum equalities and atoms. Reading
// only the IR keeps this independent of the checker's structure.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <set>

#include "runtime/generate_schema.h"
#include "runtime/generate_util.h"

namespace rk {

namespace {

struct Val {
  double v = 0;
  bool present = false;
};

// Rule files larger than this many node evaluations in total are guided by their comparisons of
// a column with a constant only, once the budget is spent (a 2,000-rule file stays fast).
constexpr int64_t kEvalBudget = 40'000'000;
// Comparisons depending on more nodes than this, or on more columns, are not analysed.
constexpr size_t kMaxCone = 4000;
constexpr size_t kMaxVariables = 8;

bool is_numeric(FieldType t) {
  return t == FieldType::Int || t == FieldType::Number || t == FieldType::Money ||
         t == FieldType::Percent || t == FieldType::Date;
}

int decimals_of(double step) {
  int d = 0;
  while (d < 9 &&
         std::fabs(std::round(step * std::pow(10.0, d)) / std::pow(10.0, d) - step) > 1e-12)
    ++d;
  return d;
}

double round_to(double x, int decimals) {
  if (decimals <= 0) return std::round(x);
  const double scale = std::pow(10.0, decimals);
  return std::round(x * scale) / scale;
}

class Analysis {
 public:
  Analysis(const ir::Program& p, int32_t as_of) : p_(p), as_of_(as_of), vals_(p.nodes.size()) {
    for (const auto& f : p.schema.fields) env_.push_back(typical(f.type));
  }

  // The values of a numeric field where comparison `cmp` changes its answer, with the field's
  // neighbours on either side, appended to `out`. Returns whether any were found.
  bool boundaries(uint32_t cmp, std::vector<std::pair<uint32_t, double>>& out) {
    std::vector<uint32_t> cone;
    std::vector<uint32_t> vars;
    if (!collect(cmp, cone, vars)) return false;
    if (vars.empty()) return false;
    if (cone.size() > 3 && spent_ > kEvalBudget) return false;
    bool found = false;
    for (uint32_t field : vars) {
      const FieldType type = p_.schema.fields[field].type;
      const double saved = env_[field];
      std::vector<double> roots;
      // Affine in the column: one exact root from three points.
      const double lo = type == FieldType::Date ? as_of_ - 1000.0 : -1000.0;
      const double mid = type == FieldType::Date ? as_of_ : 0.0;
      const double hi = type == FieldType::Date ? as_of_ + 1000.0 : 1000.0;
      const Val h0 = diff(cone, cmp, field, lo), h1 = diff(cone, cmp, field, mid),
                h2 = diff(cone, cmp, field, hi);
      if (h0.present && h1.present && h2.present && h2.v != h0.v) {
        const double slope = (h2.v - h0.v) / (hi - lo);
        const double predicted = h0.v + slope * (mid - lo);
        if (std::fabs(predicted - h1.v) <= 1e-9 * std::max({1.0, std::fabs(h0.v), std::fabs(h2.v)}))
          roots.push_back(lo - h0.v / slope);
      }
      // A scan over a grid of the column's values, each change of answer narrowed by bisection.
      const std::vector<double> grid = grid_for(type);
      Val prev{};
      double prev_x = 0;
      bool have_prev = false;
      for (double x : grid) {
        const Val r = answer(cone, cmp, field, x);
        if (have_prev && !same(prev, r))
          roots.push_back(bisect(cone, cmp, field, type, prev_x, x, prev));
        prev = r;
        prev_x = x;
        have_prev = true;
        if (roots.size() > 16) break;
      }
      std::vector<std::pair<double, Val>> points;
      for (double r : roots) add_triple(cone, cmp, field, type, r, points);
      // A negative value of a field that is not a date is left out when a value that is not
      // negative gives the same answer, or when its answer is unknown (a division by zero):
      // counts and amounts stay plausible (`x > 0` gets 0 and 1, `x >= 0` also -1, `x < 0` -1).
      for (const auto& [x, a] : points) {
        bool shown = false;
        if (type != FieldType::Date && x < 0) {
          shown = !a.present;
          for (const auto& [y, b] : points) shown |= y >= 0 && same(a, b);
        }
        if (shown) continue;
        out.emplace_back(field, x);
        found = true;
      }
      env_[field] = saved;
      if (spent_ > kEvalBudget && cone.size() > 3) break;
    }
    return found;
  }

 private:
  double typical(FieldType t) const {
    switch (t) {
      case FieldType::Int:
        return 3;
      case FieldType::Number:
        return 20;
      case FieldType::Money:
        return 60;
      case FieldType::Percent:
        return 0.3;
      case FieldType::Date:
        return as_of_ - 90.0;
      case FieldType::Bool:
      case FieldType::String:
      case FieldType::Enum:
      case FieldType::StringList:
        return 0;
    }
    return 0;
  }

  // The nodes `root` depends on in ascending (topological) order, and the numeric fields read.
  bool collect(uint32_t root, std::vector<uint32_t>& cone, std::vector<uint32_t>& vars) {
    std::vector<uint32_t> stack{root};
    std::set<uint32_t> seen{root};
    while (!stack.empty()) {
      const uint32_t n = stack.back();
      stack.pop_back();
      cone.push_back(n);
      if (cone.size() > kMaxCone) return false;
      const ir::Node& node = p_.nodes[n];
      if (node.op == ir::Op::Column && node.index < p_.schema.fields.size() &&
          is_numeric(p_.schema.fields[node.index].type) &&
          std::find(vars.begin(), vars.end(), node.index) == vars.end()) {
        if (vars.size() >= kMaxVariables) return false;
        vars.push_back(node.index);
      }
      for (uint32_t a : node.args)
        if (a < n && seen.insert(a).second) stack.push_back(a);
    }
    std::sort(cone.begin(), cone.end());
    return true;
  }

  // Evaluates the cone (last node: the root) with field `field` set to x.
  Val eval(const std::vector<uint32_t>& cone, uint32_t field, double x) {
    env_[field] = x;
    spent_ += static_cast<int64_t>(cone.size());
    for (uint32_t n : cone) vals_[n] = eval_node(p_.nodes[n]);
    return vals_[cone.back()];
  }

  // The comparison's operands' difference (a - b) with the field at x.
  Val diff(const std::vector<uint32_t>& cone, uint32_t cmp, uint32_t field, double x) {
    eval(cone, field, x);
    const ir::Node& c = p_.nodes[cmp];
    const Val a = vals_[c.args[0]], b = vals_[c.args[1]];
    if (!a.present || !b.present) return {};
    return {a.v - b.v, true};
  }
  // The comparison's answer (true, false or missing) with the field at x.
  Val answer(const std::vector<uint32_t>& cone, uint32_t cmp, uint32_t field, double x) {
    return eval(cone, field, x);
  }
  static bool same(const Val& a, const Val& b) {
    return a.present == b.present && (!a.present || (a.v != 0) == (b.v != 0));
  }

  // The least value in (lo, hi] whose answer differs from `at_lo` (integers for int and date).
  double bisect(const std::vector<uint32_t>& cone, uint32_t cmp, uint32_t field, FieldType type,
                double lo, double hi, Val at_lo) {
    const bool whole = type == FieldType::Int || type == FieldType::Date;
    for (int i = 0; i < 200; ++i) {
      const double mid = whole ? std::floor(lo + (hi - lo) / 2) : lo + (hi - lo) / 2;
      if (mid <= lo || mid >= hi) break;
      if (same(answer(cone, cmp, field, mid), at_lo))
        lo = mid;
      else
        hi = mid;
    }
    return hi;
  }

  // Adds the value nearest to root r that the field's type writes, and its neighbours a step
  // below and above, with the comparison's answer at each, when the answer changes among them.
  void add_triple(const std::vector<uint32_t>& cone, uint32_t cmp, uint32_t field, FieldType type,
                  double r, std::vector<std::pair<double, Val>>& out) {
    if (!std::isfinite(r)) return;
    const double type_step = gen::value_step(type);
    const int type_decimals = type_step > 0 ? decimals_of(type_step) : 0;
    int decimals = type_decimals;
    double c = round_to(r, type_decimals);
    if (type != FieldType::Int && type != FieldType::Date) {
      for (int k = 0; k <= type_decimals + 4; ++k)
        if (std::fabs(round_to(r, k) - r) <= 1e-9 * std::max(1.0, std::fabs(r))) {
          c = round_to(r, k);
          decimals = std::max(k, type_decimals);
          break;
        }
    }
    const double step = decimals == 0 ? 1.0 : std::pow(10.0, -decimals);
    const double xs[3] = {round_to(c - step, decimals), c, round_to(c + step, decimals)};
    Val rs[3];
    for (int i = 0; i < 3; ++i) rs[i] = answer(cone, cmp, field, xs[i]);
    if (same(rs[0], rs[1]) && same(rs[1], rs[2])) return;
    for (int i = 0; i < 3; ++i) out.emplace_back(xs[i], rs[i]);
  }

  std::vector<double> grid_for(FieldType type) const {
    static const double kCounts[] = {1,    2,    3,   5,   7,   10,  15,  20,  30,
                                     50,   75,   100, 150, 200, 300, 500, 750, 1000,
                                     2000, 5000, 1e4, 1e5, 1e6, 1e7, 1e9};
    static const double kAmounts[] = {0.01, 0.1,  0.5,  1,   2,   5,   10,  20,  30,
                                      50,   75,   100,  150, 200, 250, 300, 500, 750,
                                      1000, 2000, 5000, 1e4, 1e5, 1e6, 1e7, 1e9};
    static const double kFractions[] = {0.001, 0.005, 0.01, 0.02, 0.03, 0.05, 0.075, 0.1,
                                        0.15,  0.2,   0.25, 0.3,  0.4,  0.5,  0.6,   0.75,
                                        0.9,   1,     1.5,  2,    5,    10,   100};
    static const double kDays[] = {1,   2,   3,   4,    5,    6,    7,    10,   14,  21,
                                   28,  30,  45,  60,   75,   90,   120,  150,  180, 270,
                                   365, 500, 730, 1095, 1460, 1825, 3650, 36500};
    std::vector<double> g{0};
    auto both = [&](const auto& list) {
      for (double v : list) {
        g.push_back(v);
        g.push_back(-v);
      }
    };
    switch (type) {
      case FieldType::Int:
        both(kCounts);
        break;
      case FieldType::Number:
      case FieldType::Money:
        both(kAmounts);
        break;
      case FieldType::Percent:
        both(kFractions);
        break;
      case FieldType::Date:
        both(kDays);
        for (auto& v : g) v += as_of_;
        break;
      case FieldType::Bool:
      case FieldType::String:
      case FieldType::Enum:
      case FieldType::StringList:
        break;
    }
    std::sort(g.begin(), g.end());
    return g;
  }

  Val arg(const ir::Node& n, size_t i) const { return vals_[n.args[i]]; }

  // One node's value over the values of its arguments (the interpreter's semantics in doubles;
  // atoms, which read strings, are taken as false).
  Val eval_node(const ir::Node& n) const {
    switch (n.op) {
      case ir::Op::ConstBool:
      case ir::Op::ConstInt:
        return {static_cast<double>(n.imm), true};
      case ir::Op::ConstFloat:
        return {n.fimm, !std::isnan(n.fimm)};
      case ir::Op::Null:
        return {};
      case ir::Op::AsOf:
        return {static_cast<double>(as_of_), true};
      case ir::Op::Column:
        return {n.index < env_.size() ? env_[n.index] : 0.0, true};
      case ir::Op::Atom:
        return {0, true};
      case ir::Op::Add:
      case ir::Op::Sub:
      case ir::Op::Mul:
      case ir::Op::Div: {
        const Val a = arg(n, 0), b = arg(n, 1);
        if (!a.present || !b.present) return {};
        double v = 0;
        if (n.op == ir::Op::Add) v = a.v + b.v;
        if (n.op == ir::Op::Sub) v = a.v - b.v;
        if (n.op == ir::Op::Mul) v = a.v * b.v;
        if (n.op == ir::Op::Div) {
          if (b.v == 0) return {};
          v = a.v / b.v;
        }
        if (n.ty == ir::Ty::Int) v = std::trunc(v);
        return {v, std::isfinite(v)};
      }
      case ir::Op::Neg: {
        const Val a = arg(n, 0);
        return {-a.v, a.present};
      }
      case ir::Op::IntToFloat:
        return arg(n, 0);
      case ir::Op::Eq:
      case ir::Op::Ne:
      case ir::Op::Lt:
      case ir::Op::Le:
      case ir::Op::Gt:
      case ir::Op::Ge: {
        const Val a = arg(n, 0), b = arg(n, 1);
        if (!a.present || !b.present) return {};
        bool r = false;
        if (n.op == ir::Op::Eq) r = a.v == b.v;
        if (n.op == ir::Op::Ne) r = a.v != b.v;
        if (n.op == ir::Op::Lt) r = a.v < b.v;
        if (n.op == ir::Op::Le) r = a.v <= b.v;
        if (n.op == ir::Op::Gt) r = a.v > b.v;
        if (n.op == ir::Op::Ge) r = a.v >= b.v;
        return {r ? 1.0 : 0.0, true};
      }
      case ir::Op::And:
      case ir::Op::Or: {
        const bool is_and = n.op == ir::Op::And;
        bool unknown = false;
        for (size_t i = 0; i < n.args.size(); ++i) {
          const Val a = arg(n, i);
          if (!a.present)
            unknown = true;
          else if ((a.v != 0) != is_and)
            return {is_and ? 0.0 : 1.0, true};
        }
        if (unknown) return {};
        return {is_and ? 1.0 : 0.0, true};
      }
      case ir::Op::Not: {
        const Val a = arg(n, 0);
        return {a.v != 0 ? 0.0 : 1.0, a.present};
      }
      case ir::Op::IsMissing:
        return {arg(n, 0).present ? 0.0 : 1.0, true};
      case ir::Op::IsTrue: {
        const Val a = arg(n, 0);
        return {a.present && a.v != 0 ? 1.0 : 0.0, true};
      }
      case ir::Op::IsFalse: {
        const Val a = arg(n, 0);
        return {a.present && a.v == 0 ? 1.0 : 0.0, true};
      }
      case ir::Op::InMask: {
        const Val a = arg(n, 0);
        if (!a.present) return {};
        const bool in = a.v >= 0 && a.v < 64 && ((n.mask >> static_cast<int>(a.v)) & 1);
        return {in ? 1.0 : 0.0, true};
      }
      case ir::Op::If: {
        const Val c = arg(n, 0);
        return c.present && c.v != 0 ? arg(n, 1) : arg(n, 2);
      }
      case ir::Op::Coalesce: {
        const Val a = arg(n, 0);
        return a.present ? a : arg(n, 1);
      }
      case ir::Op::FirstTrue:
        for (size_t i = 0; i < n.args.size(); ++i) {
          const Val a = arg(n, i);
          if (a.present && a.v != 0) return {static_cast<double>(i), true};
        }
        return {};
      case ir::Op::Switch: {
        const Val i = arg(n, 0);
        if (!i.present || i.v < 0 || i.v + 1 >= static_cast<double>(n.args.size())) return {};
        return arg(n, 1 + static_cast<size_t>(i.v));
      }
    }
    return {};
  }

  const ir::Program& p_;
  const double as_of_;
  std::vector<double> env_;  // per program field
  std::vector<Val> vals_;    // per node
  int64_t spent_ = 0;
};

bool is_comparison(ir::Op op) {
  return op == ir::Op::Eq || op == ir::Op::Ne || op == ir::Op::Lt || op == ir::Op::Le ||
         op == ir::Op::Gt || op == ir::Op::Ge;
}

}  // namespace

bool guide_from_program(const ir::Program& program, const Schema& schema, int32_t as_of,
                        GenerationGuide& guide, std::string& error) {
  guide = GenerationGuide{};
  guide.fields.resize(schema.fields.size());
  // Where each field the rules read is in the target schema; it must be there, alike.
  std::vector<int> target(program.schema.fields.size(), -1);
  for (size_t f = 0; f < program.schema.fields.size(); ++f) {
    const FieldDef& pf = program.schema.fields[f];
    const int t = schema.find(pf.name);
    if (t < 0) {
      error =
          fmt::format("the rules' schema has the field {} ({}), which the schema to generate lacks",
                      pf.name, field_type_name(pf.type));
      return false;
    }
    const FieldDef& tf = schema.fields[static_cast<size_t>(t)];
    if (tf.type != pf.type || tf.enum_values != pf.enum_values) {
      error = fmt::format("field {}: the rules' schema says {}, the schema to generate {}", pf.name,
                          field_type_name(pf.type), field_type_name(tf.type));
      if (tf.type == pf.type) error += " with other values";
      return false;
    }
    if (tf.nullable && !pf.nullable) {
      error = fmt::format(
          "field {}: the schema to generate allows missing values, the rules' schema does not",
          pf.name);
      return false;
    }
    target[f] = t;
  }
  auto field_guide = [&](uint32_t program_field) -> FieldGuide* {
    if (program_field >= target.size() || target[program_field] < 0) return nullptr;
    return &guide.fields[static_cast<size_t>(target[program_field])];
  };
  auto enum_column = [&](uint32_t node) -> int {
    const ir::Node& n = program.nodes[node];
    if (n.op != ir::Op::Column || n.index >= program.schema.fields.size()) return -1;
    return program.schema.fields[n.index].type == FieldType::Enum ? static_cast<int>(n.index) : -1;
  };

  Analysis analysis(program, as_of);
  std::vector<std::pair<uint32_t, double>> edges;
  for (uint32_t id = 0; id < program.nodes.size(); ++id) {
    const ir::Node& n = program.nodes[id];
    if (n.op == ir::Op::InMask) {
      const int f = enum_column(n.args[0]);
      if (f >= 0)
        if (FieldGuide* g = field_guide(static_cast<uint32_t>(f))) {
          g->enum_values |= n.mask;
          ++guide.sets;
        }
      continue;
    }
    if (!is_comparison(n.op) || n.args.size() != 2) continue;
    // An enum compared with one of its values.
    for (int side = 0; side < 2; ++side) {
      const int f = enum_column(n.args[static_cast<size_t>(side)]);
      const ir::Node& other = program.nodes[n.args[static_cast<size_t>(1 - side)]];
      if (f >= 0 && other.op == ir::Op::ConstInt && other.imm >= 0 && other.imm < 64)
        if (FieldGuide* g = field_guide(static_cast<uint32_t>(f))) {
          g->enum_values |= uint64_t{1} << other.imm;
          ++guide.sets;
        }
    }
    if (analysis.boundaries(id, edges)) ++guide.comparisons;
  }
  for (const auto& [field, value] : edges)
    if (FieldGuide* g = field_guide(field)) g->edges.push_back(value);
  for (auto& g : guide.fields) {
    std::sort(g.edges.begin(), g.edges.end());
    g.edges.erase(std::unique(g.edges.begin(), g.edges.end()), g.edges.end());
  }

  for (const ir::Atom& a : program.atoms) {
    FieldGuide* g = field_guide(a.field);
    if (!g) continue;
    switch (a.kind) {
      case ir::AtomKind::StrInSet:
        if (a.set.empty()) break;  // a presence test
        g->words.insert(g->words.end(), a.set.begin(), a.set.end());
        ++guide.sets;
        break;
      case ir::AtomKind::ListHasAll:
        if (a.set.empty()) break;
        g->all_of.push_back(a.set);
        [[fallthrough]];
      case ir::AtomKind::ListHasAny:
      case ir::AtomKind::ListHasNone:
        g->items.insert(g->items.end(), a.set.begin(), a.set.end());
        ++guide.sets;
        break;
      case ir::AtomKind::Holdout:
        break;
    }
  }
  return true;
}

}  // namespace rk
