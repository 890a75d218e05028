// Rekindle lints: mistakes the type checker cannot see (shadowed labels, rules that can never
// fire, conditions that are always true or false, empty and overlapping ranges, stop and review
// rules that fail closed on a missing value without saying so, outreach without consent, discounts
// nobody reviews, incomplete sequences, unused declarations). Claims about what can or cannot
// happen are decided exactly with an SMT solver over the IR; undecided questions stay silent.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "compiler/check/compile.h"
#include "grammar/diagnostics.h"

namespace rk {

struct LintOptions {
  // Per solver query; a query that runs out of time is undecided, and undecided lints stay silent.
  unsigned timeout_ms = 200;
  // Asked before each solver query; when it returns true the query is undecided (so silent) and
  // asked no further. An editor stops lint work that a newer edit made obsolete, or that went over
  // its budget (`rekindle lsp`). Unset: every query runs.
  std::function<bool()> stop;
};

// One lint: its code, a short name and what it finds (for docs and `--help`).
struct LintInfo {
  std::string_view code;
  std::string_view name;
  std::string_view summary;
};
const std::vector<LintInfo>& lint_catalog();

// Runs every lint on a compilation without errors (`r.program` set); returns warnings, sorted by
// place. Findings silenced by `# rekindle: allow RK06xx` comments are left out. Never throws.
std::vector<Diagnostic> lint_program(const CompileResult& r, const LintOptions& opts = {});

}  // namespace rk
