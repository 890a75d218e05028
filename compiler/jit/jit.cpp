// Rekindle JIT: compile() and llvm_ir(): rk IR -> LLVM IR (kernel_codegen) -> optimized IR ->
// machine code in the process-wide ORC engine (llvm_compat), wrapped as an rk::Executor that owns
// the code's ResourceTracker.
#include "compiler/jit/jit.h"

#include <llvm/IR/LLVMContext.h>
#include <llvm/IR/Module.h>

#include <fmt/format.h>
#include <atomic>
#include <chrono>
#include <cstdio>

#include "compiler/jit/kernel_codegen.h"
#include "compiler/jit/llvm_compat.h"

namespace rk::jit {

namespace {

class JitExecutor final : public rk::Executor {
 public:
  JitExecutor(std::unique_ptr<compat::LoadedCode> code)
      : code_(std::move(code)), kernel_(reinterpret_cast<RkKernelFn>(code_->address())) {}

  void run(const RkBatchView& batch, const RkResultView& results, int64_t begin,
           int64_t end) const override {
    kernel_(&batch, &results, begin, end);
  }
  std::string_view name() const override { return "jit"; }

 private:
  std::unique_ptr<compat::LoadedCode> code_;
  RkKernelFn kernel_;
};

std::string next_symbol() {
  static std::atomic<uint64_t> counter{0};
  return fmt::format("rk_kernel_{}", counter.fetch_add(1));
}

using Clock = std::chrono::steady_clock;
double ms_between(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

// Builds and optimizes the kernel module; returns null and sets `error` on failure.
std::unique_ptr<llvm::Module> optimized_module(const ir::Program& program,
                                               const std::string& symbol,
                                               llvm::LLVMContext& context, const JitOptions& opts,
                                               std::string& error, JitStats* stats) {
  const auto t0 = Clock::now();
  std::unique_ptr<llvm::Module> module = build_kernel_module(program, symbol, context, error);
  if (!module) return nullptr;
  const auto t1 = Clock::now();
  if (!compat::optimize(*module, opts.opt_level, error)) return nullptr;
  const auto t2 = Clock::now();
  if (stats) {
    stats->codegen_ms = ms_between(t0, t1);
    stats->optimize_ms = ms_between(t1, t2);
  }
  if (opts.dump_ir) std::fputs(compat::module_text(*module).c_str(), stderr);
  return module;
}

}  // namespace

std::unique_ptr<rk::Executor> compile(const ir::Program& program, std::string& error,
                                      const JitOptions& opts, JitStats* stats) {
  const auto start = Clock::now();
  JitStats local;
  auto context = std::make_unique<llvm::LLVMContext>();
  const std::string symbol = next_symbol();
  std::unique_ptr<llvm::Module> module =
      optimized_module(program, symbol, *context, opts, error, &local);
  if (!module) return nullptr;
  const auto t_load = Clock::now();
  std::unique_ptr<compat::LoadedCode> code =
      compat::load(std::move(context), std::move(module), symbol, error);
  if (!code) return nullptr;
  const auto done = Clock::now();
  local.machine_code_ms = ms_between(t_load, done);
  local.total_ms = ms_between(start, done);
  if (stats) *stats = local;
  return std::make_unique<JitExecutor>(std::move(code));
}

std::string llvm_ir(const ir::Program& program, const JitOptions& opts) {
  llvm::LLVMContext context;
  std::string error;
  JitOptions quiet = opts;
  quiet.dump_ir = false;
  std::unique_ptr<llvm::Module> module =
      optimized_module(program, "rk_kernel", context, quiet, error, nullptr);
  if (!module) return "error: " + error;
  return compat::module_text(*module);
}

}  // namespace rk::jit
