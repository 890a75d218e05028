// Rekindle JIT: lowering of one rk::ir::Program to one LLVM function with the RkKernelFn
// signature (compiler/ir/batch_abi.h). Internal to compiler/jit; see docs/design.md "The JIT".
#pragma once

#include <memory>
#include <string>

#include "compiler/ir/program.h"

namespace llvm {
class LLVMContext;
class Module;
}  // namespace llvm

namespace rk::jit {

// Checks that `program` is well formed and typed for code generation (argument order, arity,
// operand types, column kinds, output types). Sets `error` and returns false otherwise.
bool validate_program(const ir::Program& program, std::string& error);

// Builds a module holding the kernel `symbol` (external linkage, RkKernelFn signature) in
// `context`, prepared for the host target and verified but not yet optimized. Returns null and
// sets `error` when the program is invalid or the host is unsupported.
std::unique_ptr<llvm::Module> build_kernel_module(const ir::Program& program,
                                                  const std::string& symbol,
                                                  llvm::LLVMContext& context, std::string& error);

}  // namespace rk::jit
