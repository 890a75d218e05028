// Rekindle JIT: the public face of compiler/jit. Compiles an rk::ir::Program into native code
// through LLVM ORC (a kernel of one or more functions, "parts", compiled in parallel) and wraps it
// as an rk::Executor. No LLVM header is visible here: the engine, the LLVM contexts and the
// generated code are owned behind the Executor returned by compile() (like Apache Gandiva's
// engine.h).
#pragma once

#include <cstddef>
#include <memory>
#include <string>

#include "compiler/ir/executor.h"
#include "compiler/ir/program.h"

namespace rk::jit {

struct JitOptions {
  int opt_level = 2;     // 0..3: the LLVM pass pipeline level (O0 .. O3)
  bool dump_ir = false;  // print the optimized LLVM IR to stderr (bypasses the object cache)
  // The on-disk object cache: -1 follows the environment (on unless REKINDLE_CACHE=0), 0 off,
  // 1 on.
  int cache = -1;
  // The cache's folder; empty: $REKINDLE_CACHE_DIR, else $XDG_CACHE_HOME/rekindle, else
  // $HOME/.cache/rekindle.
  std::string cache_dir;
  // For tests and measurements: the largest weight of one part of the kernel, the rows per
  // chunk of a split kernel and the largest weight of one basic block of a part's row loop (0:
  // the defaults of compiler/jit/kernel_plan.h).
  size_t part_weight = 0;
  int64_t chunk_rows = 0;
  size_t block_weight = 0;
};

// Time spent in each step of compile(), in milliseconds. The steps are CPU time of the threads
// that did them, summed over the kernel's parts (compiled on several threads at once); total_ms
// is the wall time of the whole compile().
struct JitStats {
  double codegen_ms = 0;       // rk IR -> LLVM IR
  double optimize_ms = 0;      // the LLVM pass pipeline
  double machine_code_ms = 0;  // instruction selection, emission and linking (ORC lookup)
  double link_ms = 0;          // of which linking (loading the objects into the engine)
  double total_ms = 0;
  size_t parts = 0;        // functions of the kernel
  size_t threads = 0;      // threads that compiled them (0 on a cache hit)
  bool cache_hit = false;  // the machine code came from the object cache (no codegen/optimize)
  double cache_ms = 0;     // computing the key and reading (hit) or writing (miss) the entry
  // Set when the cache folder exists but cannot be trusted (owned by another user, or writable by
  // others), so the cache was not used: callers show it as a warning.
  std::string cache_warning;
};

// The object cache folder `opts` selects, or "" when the cache is off.
std::string cache_directory(const JitOptions& opts = {});

// Programs larger than this many IR nodes are declined by compile() (see there): at most about
// 8 s of CPU (4 s on two cores) for the costliest shapes measured (docs/performance.md).
inline constexpr size_t kMaxJitNodes = 50000;

// Compiles `program` into an Executor whose run() calls the native kernel. Returns null and sets
// `error` when the JIT cannot be created (e.g. no executable memory or an unsupported host) or
// the program cannot be compiled; the caller then falls back to the interpreter. Thread-safe.
// Destroying the Executor frees its machine code.
std::unique_ptr<rk::Executor> compile(const ir::Program& program, std::string& error,
                                      const JitOptions& opts = {}, JitStats* stats = nullptr);

// The optimized LLVM IR of the kernel as text (for tests and debugging); on failure, a text
// starting with "error: ".
std::string llvm_ir(const ir::Program& program, const JitOptions& opts = {});

}  // namespace rk::jit
