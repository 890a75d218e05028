// Rekindle runtime: the reference interpreter of the IR. It is the executable definition of the
// semantics (three-valued logic, fail-closed rules, first-match families, sequences): simple
// enough to trust, one row and one node at a time. The JIT must agree with it on every input.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "compiler/ir/executor.h"
#include "compiler/ir/program.h"

namespace rk {

std::unique_ptr<Executor> make_interpreter(const ir::Program& program);

// One node's value for one row: Bool and Int in `i`, Float in `f`; `present` false = missing
// (a Bool that is not present is unknown).
struct NodeValue {
  int64_t i = 0;
  double f = 0;
  bool present = false;
};

// Every node's value for row `row` of a prepared batch view (atoms prepared): the interpreter's
// own evaluation, exposed for tools that explain a decision (`rekindle explain`).
std::vector<NodeValue> evaluate_row(const ir::Program& program, const RkBatchView& batch,
                                    int64_t row);
// The value of schema field `field` (a Column node) for one row.
NodeValue column_value(const ir::Program& program, uint32_t field, const RkBatchView& batch,
                       int64_t row);

}  // namespace rk
