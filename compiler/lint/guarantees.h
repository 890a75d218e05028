// Rekindle guarantees: proves each `guarantee NAME: never COND` / `always COND` of a checked
// program for every customer and as-of date with the SMT solver (compiler/lint/smt.h). UNSAT:
// proven. SAT: a counterexample customer, confirmed by evaluating the program on it exactly as
// `eval` would (compiler/lint/witness.h), reported as an error (RK0801) with the values that
// matter and the touch that breaks the promise. Undecided within the budget, or a solver answer
// that evaluation does not confirm (the encoding over-approximates float arithmetic): a warning
// (RK0802), never "proven".
#pragma once

#include <cstddef>
#include <functional>
#include <string_view>
#include <vector>

#include "compiler/check/compile.h"
#include "grammar/diagnostics.h"

namespace rk {

struct GuaranteeOptions {
  // Per guarantee (each is one solver question, plus the search for a smaller example).
  unsigned timeout_ms = 10000;
  // Asked before each solver question; when it returns true the remaining guarantees are
  // undecided (an editor stops work a newer edit made obsolete). Unset: every question runs.
  std::function<bool()> stop;
};

struct GuaranteeResults {
  size_t proven = 0, broken = 0, undecided = 0;
  // RK0801 errors and RK0802 warnings, in the order the guarantees are written.
  std::vector<Diagnostic> diags;
};

// The codes, for docs and tools.
struct GuaranteeCodeInfo {
  std::string_view code;
  std::string_view name;
  std::string_view summary;
};
const std::vector<GuaranteeCodeInfo>& guarantee_catalog();

// Proves every guarantee of a compilation without errors (`r.program` set; otherwise nothing is
// asked). Never throws.
GuaranteeResults prove_guarantees(const CompileResult& r, const GuaranteeOptions& opts = {});

}  // namespace rk
