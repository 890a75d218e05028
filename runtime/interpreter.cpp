// Rekindle runtime: the reference interpreter. Evaluates every node of the program for each row
// in order with the shared definitions of compiler/ir/semantics.h, reading the row's leaves
// (columns, prepared atoms, the as-of date) from the batch view, then writes the outputs.
#include "runtime/interpreter.h"

#include <vector>

#include "compiler/ir/helpers.h"
#include "compiler/ir/semantics.h"

namespace rk {
namespace {

using ir::Value;

// The leaves of row `r` of a prepared batch view, for ir::eval_node.
struct BatchLeaves {
  const ir::Program& program;
  const RkBatchView& batch;
  int64_t r;

  Value column(uint32_t field) const {
    const RkColumn& c = batch.columns[field];
    if (!is_present(c.validity, r)) return ir::sem::missing();
    const FieldType t = program.schema.fields[field].type;
    switch (t) {
      case FieldType::Bool:
        return ir::sem::column_value(t, bit_is_set(static_cast<const uint8_t*>(c.values), r), 0);
      case FieldType::Int:
        return ir::sem::column_value(t, static_cast<const int64_t*>(c.values)[r], 0);
      case FieldType::Number:
      case FieldType::Money:
      case FieldType::Percent:
        return ir::sem::column_value(t, 0, static_cast<const double*>(c.values)[r]);
      case FieldType::Date:
      case FieldType::Enum:
        return ir::sem::column_value(t, static_cast<const int32_t*>(c.values)[r], 0);
      case FieldType::String:
      case FieldType::StringList:
        return ir::sem::missing();  // read through atoms only
    }
    return ir::sem::missing();
  }
  Value atom(uint32_t index) const {
    const RkAtom& a = batch.atoms[index];
    if (!is_present(a.validity, r)) return ir::sem::missing();
    return ir::sem::of_bool(a.table[a.index ? a.index[r] : r] != 0);
  }
  int64_t as_of() const { return batch.as_of; }
};

class Interpreter final : public Executor {
 public:
  explicit Interpreter(const ir::Program& p) : program_(p) {}

  std::string_view name() const override { return "interpreter"; }

  void run(const RkBatchView& batch, const RkResultView& results, int64_t begin,
           int64_t end) const override {
    std::vector<Value> values(program_.nodes.size());
    for (int64_t r = begin; r < end; ++r) {
      ir::evaluate_nodes(program_, BatchLeaves{program_, batch, r}, values);
      for (size_t k = 0; k < program_.outputs.size(); ++k) {
        const Value& v = values[program_.outputs[k].node];
        switch (program_.outputs[k].width) {
          case ir::OutputWidth::Code:
            results.outputs[k][r] = v.present ? static_cast<int8_t>(v.i) : int8_t{-1};
            break;
          case ir::OutputWidth::Int64:
            reinterpret_cast<int64_t*>(results.outputs[k])[r] = v.present ? v.i : 0;
            break;
          case ir::OutputWidth::Float64:
            reinterpret_cast<double*>(results.outputs[k])[r] = v.present ? v.f : 0.0;
            break;
        }
      }
    }
  }

 private:
  const ir::Program& program_;
};

}  // namespace

std::unique_ptr<Executor> make_interpreter(const ir::Program& program) {
  return std::make_unique<Interpreter>(program);
}

std::vector<NodeValue> evaluate_row(const ir::Program& program, const RkBatchView& batch,
                                    int64_t row) {
  std::vector<NodeValue> values;
  ir::evaluate_nodes(program, BatchLeaves{program, batch, row}, values);
  return values;
}

NodeValue column_value(const ir::Program& program, uint32_t field, const RkBatchView& batch,
                       int64_t row) {
  return BatchLeaves{program, batch, row}.column(field);
}

}  // namespace rk
