// Rekindle IR: the validator. A program is executable when every node's arguments are earlier
// nodes of the right arity and physical types, Column nodes match their fields and every output
// is a node (validate: what both engines rely on; the JIT runs it before generating code). Its
// description is sound when atoms read fields of their kind (the runtime prepares them from
// those fields) and every result column and layout entry refers to a node, output or atom that
// exists (validate_description: what the writers and the tools rely on). compile_rules runs both
// on every program it returns; a program either rejects is an internal error, never evaluated.
#pragma once

#include <string>

#include "compiler/ir/program.h"

namespace rk::ir {

// True when `program` is executable; otherwise false with `error` naming the first problem
// ("node 12 (add): operands must be Int or Float of the node's type").
bool validate(const Program& program, std::string& error);
// True when its atoms, result columns and layout are sound (see above).
bool validate_description(const Program& program, std::string& error);

}  // namespace rk::ir
