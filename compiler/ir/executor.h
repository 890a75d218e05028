// Rekindle IR: the one executor interface implemented by the reference interpreter (runtime/)
// and the JIT (compiler/jit). Both evaluate rows [begin, end) of a prepared batch.
#pragma once

#include <cstdint>
#include <string_view>

#include "compiler/ir/batch_abi.h"

namespace rk {

class Executor {
 public:
  virtual ~Executor() = default;
  // Evaluates rows [begin, end) of `batch` (atoms already prepared) into `results`.
  // Thread-safe: may be called concurrently on disjoint row ranges or batches.
  virtual void run(const RkBatchView& batch, const RkResultView& results, int64_t begin,
                   int64_t end) const = 0;
  virtual std::string_view name() const = 0;
};

}  // namespace rk
