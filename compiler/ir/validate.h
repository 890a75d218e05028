// Rekindle IR: the validator. A program is well formed when every node's arguments are earlier
// nodes of the right arity and physical types, Column nodes match their fields, atoms read fields
// of their kind, and every output, result column and layout entry refers to a node, output or
// atom that exists. compile_rules runs it on every program it returns (a program it rejects is an
// internal error, never evaluated), and the JIT runs it again before generating code.
#pragma once

#include <string>

#include "compiler/ir/program.h"

namespace rk::ir {

// True when `program` is well formed; otherwise false with `error` naming the first problem
// ("node 12 (add): operands must be Int or Float of the node's type").
bool validate(const Program& program, std::string& error);

}  // namespace rk::ir
