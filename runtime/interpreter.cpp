// Rekindle runtime: the reference interpreter. Evaluates every node of the program for each row
// in order, keeping a (value, present) pair per node, then writes the outputs.
#include "runtime/interpreter.h"

#include <cmath>
#include <vector>

#include "compiler/ir/helpers.h"

namespace rk {
namespace {

using ir::Node;
using ir::Op;
using ir::Ty;

using Value = NodeValue;

Value missing() {
  return Value{};
}
Value of_bool(bool b) {
  return Value{b ? 1 : 0, 0, true};
}
Value of_int(int64_t v) {
  return Value{v, 0, true};
}
Value of_float(double v) {
  if (std::isnan(v)) return missing();
  return Value{0, v, true};
}

// Three-valued truth of a Bool value: 0 false, 1 true, 2 unknown.
int truth(const Value& v) {
  return v.present ? static_cast<int>(v.i != 0) : 2;
}

class Interpreter final : public Executor {
 public:
  explicit Interpreter(const ir::Program& p) : program_(p) {}

  std::string_view name() const override { return "interpreter"; }

  void run(const RkBatchView& batch, const RkResultView& results, int64_t begin,
           int64_t end) const override {
    std::vector<Value> values(program_.nodes.size());
    for (int64_t r = begin; r < end; ++r) {
      eval_row(values, batch, r);
      for (size_t k = 0; k < program_.outputs.size(); ++k) {
        const Value& v = values[program_.outputs[k].node];
        results.outputs[k][r] = v.present ? static_cast<int8_t>(v.i) : int8_t{-1};
      }
    }
  }

  // Fills values[n] for every node of row r, in order.
  void eval_row(std::vector<Value>& values, const RkBatchView& batch, int64_t r) const {
    for (size_t n = 0; n < program_.nodes.size(); ++n)
      values[n] = eval(program_.nodes[n], values, batch, r);
  }

  Value column(const Node& n, const RkBatchView& batch, int64_t r) const {
    const RkColumn& c = batch.columns[n.index];
    if (!is_present(c.validity, r)) return missing();
    switch (program_.schema.fields[n.index].type) {
      case FieldType::Bool:
        return of_bool(bit_is_set(static_cast<const uint8_t*>(c.values), r));
      case FieldType::Int:
        return of_int(static_cast<const int64_t*>(c.values)[r]);
      case FieldType::Number:
      case FieldType::Money:
      case FieldType::Percent:
        return of_float(static_cast<const double*>(c.values)[r]);
      case FieldType::Date:
      case FieldType::Enum:
        return of_int(static_cast<const int32_t*>(c.values)[r]);
      default:
        return missing();  // strings and lists are read through atoms only
    }
  }

  static Value atom(const RkAtom& a, int64_t r) {
    if (!is_present(a.validity, r)) return missing();
    const int64_t idx = a.index ? a.index[r] : r;
    return of_bool(a.table[idx] != 0);
  }

  static Value arith(const Node& n, const Value& a, const Value& b) {
    if (!a.present || !b.present) return missing();
    if (n.ty == Ty::Float) {
      switch (n.op) {
        case Op::Add:
          return of_float(a.f + b.f);
        case Op::Sub:
          return of_float(a.f - b.f);
        case Op::Mul:
          return of_float(a.f * b.f);
        case Op::Div:
          return b.f == 0 ? missing() : of_float(a.f / b.f);
        default:
          return missing();
      }
    }
    int64_t out = 0;
    bool overflow = false;
    switch (n.op) {
      case Op::Add:
        overflow = __builtin_add_overflow(a.i, b.i, &out);
        break;
      case Op::Sub:
        overflow = __builtin_sub_overflow(a.i, b.i, &out);
        break;
      case Op::Mul:
        overflow = __builtin_mul_overflow(a.i, b.i, &out);
        break;
      default:
        return missing();
    }
    return overflow ? missing() : of_int(out);
  }

  static Value compare(Op op, Ty ty, const Value& a, const Value& b) {
    if (!a.present || !b.present) return missing();
    int c;
    if (ty == Ty::Float)
      c = a.f < b.f ? -1 : (a.f > b.f ? 1 : 0);
    else
      c = a.i < b.i ? -1 : (a.i > b.i ? 1 : 0);
    switch (op) {
      case Op::Eq:
        return of_bool(c == 0);
      case Op::Ne:
        return of_bool(c != 0);
      case Op::Lt:
        return of_bool(c < 0);
      case Op::Le:
        return of_bool(c <= 0);
      case Op::Gt:
        return of_bool(c > 0);
      default:
        return of_bool(c >= 0);
    }
  }

 private:
  Value eval(const Node& n, const std::vector<Value>& v, const RkBatchView& batch,
             int64_t r) const {
    auto arg = [&](size_t k) -> const Value& { return v[n.args[k]]; };
    switch (n.op) {
      case Op::ConstBool:
        return of_bool(n.imm != 0);
      case Op::ConstInt:
        return of_int(n.imm);
      case Op::ConstFloat:
        return of_float(n.fimm);
      case Op::Null:
        return missing();
      case Op::AsOf:
        return of_int(batch.as_of);
      case Op::Column:
        return column(n, batch, r);
      case Op::Atom:
        return atom(batch.atoms[n.index], r);
      case Op::Add:
      case Op::Sub:
      case Op::Mul:
      case Op::Div:
        return arith(n, arg(0), arg(1));
      case Op::Neg: {
        const Value& a = arg(0);
        if (!a.present) return missing();
        if (n.ty == Ty::Float) return of_float(-a.f);
        if (a.i == INT64_MIN) return missing();
        return of_int(-a.i);
      }
      case Op::IntToFloat:
        return arg(0).present ? of_float(static_cast<double>(arg(0).i)) : missing();
      case Op::Eq:
      case Op::Ne:
      case Op::Lt:
      case Op::Le:
      case Op::Gt:
      case Op::Ge:
        return compare(n.op, program_.nodes[n.args[0]].ty, arg(0), arg(1));
      case Op::And: {
        const int a = truth(arg(0)), b = truth(arg(1));
        if (a == 0 || b == 0) return of_bool(false);
        if (a == 1 && b == 1) return of_bool(true);
        return missing();
      }
      case Op::Or: {
        const int a = truth(arg(0)), b = truth(arg(1));
        if (a == 1 || b == 1) return of_bool(true);
        if (a == 0 && b == 0) return of_bool(false);
        return missing();
      }
      case Op::Not: {
        const int a = truth(arg(0));
        return a == 2 ? missing() : of_bool(a == 0);
      }
      case Op::IsMissing:
        return of_bool(!arg(0).present);
      case Op::IsTrue:
        return of_bool(truth(arg(0)) == 1);
      case Op::IsFalse:
        return of_bool(truth(arg(0)) == 0);
      case Op::InMask: {
        const Value& a = arg(0);
        if (!a.present) return missing();
        return of_bool(a.i >= 0 && a.i < 64 && ((n.mask >> a.i) & 1));
      }
      case Op::If:
        return truth(arg(0)) == 1 ? arg(1) : arg(2);
      case Op::Coalesce:
        return arg(0).present ? arg(0) : arg(1);
      case Op::FirstTrue:
        for (size_t k = 0; k < n.args.size(); ++k)
          if (truth(arg(k)) == 1) return of_int(static_cast<int64_t>(k));
        return missing();
      case Op::Switch: {
        const Value& i = arg(0);
        if (!i.present || i.i < 0 || i.i >= static_cast<int64_t>(n.args.size()) - 1)
          return missing();
        return arg(static_cast<size_t>(i.i) + 1);
      }
    }
    return missing();
  }

  const ir::Program& program_;
};

}  // namespace

std::unique_ptr<Executor> make_interpreter(const ir::Program& program) {
  return std::make_unique<Interpreter>(program);
}

std::vector<NodeValue> evaluate_row(const ir::Program& program, const RkBatchView& batch,
                                    int64_t row) {
  std::vector<NodeValue> values(program.nodes.size());
  Interpreter(program).eval_row(values, batch, row);
  return values;
}

NodeValue column_value(const ir::Program& program, uint32_t field, const RkBatchView& batch,
                       int64_t row) {
  ir::Node n;
  n.op = ir::Op::Column;
  n.index = field;
  return Interpreter(program).column(n, batch, row);
}

}  // namespace rk
