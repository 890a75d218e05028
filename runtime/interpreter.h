// Rekindle runtime: the reference interpreter of the IR. It is the executable definition of the
// semantics (three-valued logic, fail-closed rules, first-match families, sequences): simple
// enough to trust, one row and one node at a time. The JIT must agree with it on every input.
#pragma once

#include <memory>

#include "compiler/ir/executor.h"
#include "compiler/ir/program.h"

namespace rk {

std::unique_ptr<Executor> make_interpreter(const ir::Program& program);

}  // namespace rk
