// Rekindle runtime: why one customer got what they got (`rekindle explain`). Evaluates every IR
// node for one row with the interpreter's semantics, then walks the compiler's source map
// (CompileResult::map: rules with their condition nodes, the terms of each condition as written,
// segments and sequence clauses) and quotes CompileResult::sources to say, for every segment
// family, the candidate rule, every stop and review rule and each sequence decision, which rule
// decided it (name and file:line), the values of the fields it read and which part of its
// condition was true, false or unknown. It never sees the AST or the parser.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "compiler/check/compile.h"
#include "compiler/ir/program.h"
#include "runtime/columnar.h"
#include "runtime/interpreter.h"

namespace rk {

// Reads `reader` (opened with `schema`) until the row whose key is `id`; `out` then holds that
// row's batch and `row` its index in it. Returns false with `error` set when the customer is not
// in the snapshot or the snapshot has a data error.
bool find_customer(SnapshotReader& reader, const Schema& schema, const std::string& id,
                   const std::string& snapshot_name, Batch& out, int64_t& row, std::string& error);

// Builds a one-row batch from `field=value` assignments (values written as in a CSV snapshot:
// `true`, `84.50`, `0.05`, `2026-09-01`, `apparel|home`). Fields not given are missing when
// nullable; a non-nullable field not given is an error listing every field still needed.
bool given_batch(const Schema& schema, const std::vector<std::string>& given, Batch& out,
                 std::string& error);

// One line under a rule: a part of its condition, its value and what it read.
struct ExplainClause {
  int depth = 0;                   // 0: a direct part of the condition; nested parts are deeper
  std::string text;                // the source text, whitespace collapsed
  std::string value;               // "true", "false" or "unknown"
  std::vector<std::string> reads;  // e.g. "sms_consent = false", "email_bounce_rate is missing"
};

// One rule that took part in a decision.
struct ExplainRule {
  std::string kind;   // label, otherwise, candidate, stop, review, exit, touch, channel
  std::string owner;  // segment or sequence name ("" for candidate, stops and reviews)
  std::string name;
  std::string file;
  uint32_t line = 0;
  std::string condition;  // source text ("" for otherwise)
  std::string value;      // the condition's value: "true", "false", "unknown" ("" if none)
  std::string verdict;    // e.g. "MATCHES", "FIRES (fail closed: unknown)", "does not fire"
  bool decided = false;   // this rule decided the outcome
  std::string doc;        // the rule's `##` doc comment ("" if none)
  std::vector<ExplainClause> clauses;
};

struct ExplainFamily {
  std::string name;
  std::string doc;                 // the segment's `##` doc comment ("" if none)
  std::string label;               // "" when no label matched
  std::vector<ExplainRule> rules;  // labels tried in order, up to and including the winner
};

// One step of a sequence decision, in words, with the rule it consulted (an exit, a touch's
// `only when`, a channel's `requires`), if any.
struct ExplainStep {
  std::string text;
  std::optional<ExplainRule> rule;
};

struct ExplainSequence {
  std::string name;
  std::string doc;  // the sequence's `##` doc comment ("" if none)
  std::string status, step, channel, offer;
  int touch = 0;                   // 0 unless due
  std::vector<ExplainStep> steps;  // the decision, step by step, in the order of the statuses
};

struct Explanation {
  std::string key_field, customer, as_of, rules_file;
  std::vector<std::pair<std::string, std::string>> fields;  // every field as name, value text
  std::vector<ExplainFamily> families;
  bool has_candidate_rule = false;
  bool candidate = false;
  ExplainRule candidate_rule;
  std::string stopped_by;
  std::string stops_note;  // why stops were not applied, or ""
  std::vector<ExplainRule> stops;
  std::vector<std::string> review;
  std::string review_note;
  std::vector<ExplainRule> reviews;
  std::vector<ExplainSequence> sequences;
};

// Explains row `row` of `batch` (typed by the compiled program's schema).
bool explain_row(const CompileResult& compiled, const Batch& batch, int64_t row, int32_t as_of,
                 Explanation& out, std::string& error);

std::string explain_text(const Explanation& e);
std::string explain_json(const Explanation& e);

}  // namespace rk
