// Rekindle JIT: lowering of one part of a kernel (kernel_plan.h) of an rk::ir::Program to one LLVM
// function in a module of its own. Internal to compiler/jit; see docs/design.md "The JIT".
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "compiler/ir/batch_abi.h"
#include "compiler/ir/program.h"
#include "compiler/jit/kernel_plan.h"

namespace llvm {
class LLVMContext;
class Module;
}  // namespace llvm

namespace rk::jit {

// The signature of a part: the rows of blocks [first_block, end_block) of `batch` (64 rows each,
// all of them evaluated; at most plan.chunk_blocks blocks when the plan has several parts) into
// `results`, with `scratch` holding plan.scratch_bytes bytes (64-byte aligned) shared by the parts
// of one call.
using PartFn = void (*)(const RkBatchView* batch, const RkResultView* results, int64_t first_block,
                        int64_t end_block, uint8_t* scratch);

// Builds a module holding part `part` of `plan` as the function `symbol` (external linkage,
// PartFn signature) in `context`, prepared for the host target and verified but not yet
// optimized. `program` must be valid (ir::validate). Returns null and sets `error` when the host is
// unsupported.
std::unique_ptr<llvm::Module> build_part_module(const ir::Program& program, const KernelPlan& plan,
                                                size_t part, const std::string& symbol,
                                                llvm::LLVMContext& context, std::string& error);

}  // namespace rk::jit
