// Rekindle runtime: the reference interpreter of the IR: the scalar definitions of
// compiler/ir/semantics.h (three-valued logic, missing values, overflow) run one row and one node
// at a time over a batch, simple enough to trust. The JIT must agree with it on every input.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "compiler/ir/executor.h"
#include "compiler/ir/program.h"
#include "compiler/ir/semantics.h"

namespace rk {

std::unique_ptr<Executor> make_interpreter(const ir::Program& program);

// One node's value for one row (compiler/ir/semantics.h).
using NodeValue = ir::Value;

// Every node's value for row `row` of a prepared batch view (atoms prepared): the interpreter's
// own evaluation, exposed for tools that explain a decision (`rekindle explain`).
std::vector<NodeValue> evaluate_row(const ir::Program& program, const RkBatchView& batch,
                                    int64_t row);
// The value of schema field `field` (a Column node) for one row.
NodeValue column_value(const ir::Program& program, uint32_t field, const RkBatchView& batch,
                       int64_t row);

}  // namespace rk
