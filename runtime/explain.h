// Rekindle runtime: why one customer got what they got (`rekindle explain`). Evaluates every IR
// node for one row with the interpreter's semantics (RowReading), reads the decisions from the
// program's layout (which label, which stop rule, which status of each sequence applied, which
// touch, channel and fallback), and walks the compiler's source map (CompileResult::map: rules
// with their condition nodes, the terms of each condition as written, segments and sequence
// clauses), quoting CompileResult::sources, to say for every segment family, the candidate rule,
// every stop and review rule and each sequence decision which rule decided it (name and
// file:line), the values of the fields it read and which part of its condition was true, false or
// unknown. It never sees the AST or the parser, and never re-derives a decision.
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

// A customer's holdout draw for a sequence: fnv1a64(salt ":" key) mod modulus, held out when
// below threshold.
struct HoldoutDraw {
  std::string salt, key;
  uint64_t bucket = 0, modulus = 100, threshold = 0;
  bool held = false;
};

// A customer's variant draw for a touch with variants: fnv1a64(salt ":" key) mod 100 under the
// salt "SEQUENCE.TOUCH"; `in` is the variant whose bucket range holds it and `gets` the one the
// customer gets (the first open variant when `in` is paused); both kNoIndex when the bucket lies
// beyond the shares (the touch without a variant).
struct VariantDraw {
  std::string salt;
  uint64_t bucket = 0;
  uint32_t in = ir::kNoIndex, gets = ir::kNoIndex;
};

// One customer's evaluated program: the value of every IR node for one row (the interpreter's
// semantics), read through the program's layout (Program::layout). `rekindle explain` is written
// on it, and `rekindle test` reads from it why an expectation failed.
class RowReading {
 public:
  // `compiled.program` must be set; `batch` is typed by its schema.
  RowReading(const CompileResult& compiled, const Batch& batch, int64_t row, int32_t as_of);

  const NodeValue& value(uint32_t node) const { return v_[node]; }
  std::string truth(uint32_t node) const;  // "true", "false" or "unknown"
  // The value of a rule's condition as written; nullopt for a rule without one.
  std::optional<std::string> condition(const SourceMap::Rule& rule) const;
  // The value of an Int node as an index; nullopt when missing or negative.
  std::optional<size_t> index(uint32_t node) const;

  std::string label(const ir::Family& family) const;  // "" when no label matched
  std::string stopped_by() const;                     // "" when no stop rule fired
  const ir::Status& status(const ir::Sequence& sequence) const;
  // The touch, channel and offer of a sequence with a touch due; nullptr otherwise.
  const ir::Touch* touch(const ir::Sequence& sequence) const;
  const ir::Channel* channel(const ir::Sequence& sequence) const;
  const ir::Offer* offer(const ir::Sequence& sequence) const;
  // The holdout draw; nullopt for a sequence without `holdout`.
  std::optional<HoldoutDraw> holdout(const ir::Sequence& sequence) const;
  // The variant draw of a touch; nullopt for a touch without variants.
  std::optional<VariantDraw> variant(const ir::Touch& touch) const;
  // The due touch's send time with how it was found: `2026-11-02T14:00:00Z: 09:00 in
  // America/New_York, UTC-05:00` (and the local day when an excluded weekday moved it, or the
  // default zone when the customer's is missing); nullopt without a touch due or send times.
  std::optional<std::string> send_time(const ir::Sequence& sequence) const;

 private:
  template <typename T>
  const T* pick(const std::vector<T>& values, uint32_t node) const;

  const ir::Program& p_;
  const Batch& b_;
  int64_t row_;
  int32_t as_of_;
  std::vector<NodeValue> v_;
};

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

// A score: its value and every line, whether or not it gave its points.
struct ExplainScore {
  std::string name;
  std::string value;               // "45", "2.5"; "" when missing (the sum overflowed)
  std::vector<ExplainRule> lines;  // in order; name: the points as written; decided: gave them
};

struct Explanation {
  std::string key_field, customer, as_of, rules_file;
  std::vector<std::pair<std::string, std::string>> fields;  // every field as name, value text
  std::vector<ExplainFamily> families;
  std::vector<ExplainScore> scores;
  bool has_candidate_rule = false;
  bool candidate = false;
  ExplainRule candidate_rule;
  std::string stopped_by;
  std::string stops_note;  // why stops were not applied, or ""
  std::vector<ExplainRule> stops;
  std::vector<std::string> review;
  // `owner FIELD or "TEXT"`: who approves this customer's outreach ("" without a review or an
  // owner declaration), and where it came from ("csm_owner", "the default: csm_owner is
  // missing").
  std::string owner, owner_from;
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
