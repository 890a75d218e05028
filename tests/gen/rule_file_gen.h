// Rekindle tests: a generator of random but well-typed rule files over the playbook schema
// (rules/customer.schema). Every construct of the language appears: parameters of every unit,
// lets, segments with and without `otherwise`, `candidate`, stop and review rules, sequences with
// every clause, and expressions with arithmetic, comparisons in symbols and words, ranges, sets,
// `is`/`has` tests, `if`, `days since/until`, dates, `today`, parentheses and `not`; touches with
// subject and body templates (in some sequences, from a random stream of their own). The same
// seed always gives the same file. Used by the formatter and the JIT differential tests.
#pragma once

#include <cstdint>
#include <string>

namespace rk::testgen {

struct RuleFileOptions {
  uint64_t seed = 1;
  // The path written in `import "..."` (absolute, or relative to where the file will live).
  std::string schema_path = "customer.schema";
  // Sprinkle `#` and `##` comments (own-line, trailing and inside expressions).
  bool comments = false;
  // Vary the layout: odd spacing, expressions broken over lines, clauses in unusual order.
  bool messy = false;
  int max_depth = 3;  // expression nesting
};

std::string generate_rule_file(const RuleFileOptions& opts);

}  // namespace rk::testgen
