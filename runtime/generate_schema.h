// Rekindle runtime: a synthetic snapshot of any schema (`rekindle gen --schema FILE`), optionally
// guided by a compiled rule file: values on both sides of every comparison the rules make (the
// exact boundary and its neighbours), the string values and list items they test, the enum values
// they name. Value shapes come from one table with an entry per field type (storage and a drawing
// function), refined by a few hints from field names (emails, phones, names, time zones,
// consent-like and opt-out-like flags). Deterministic for a seed whatever the thread count: each
// column of batch i comes from a random stream of (seed, i, column name) alone.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "compiler/ir/program.h"
#include "runtime/columnar.h"
#include "runtime/generate.h"

namespace rk {

// What rules test about one field: the values a snapshot should hold on both sides of.
struct FieldGuide {
  // Values on both sides of the rules' comparisons, in the column's physical units (dates: days
  // since 1970-01-01, a percent as a fraction): each boundary and its neighbours a step (a day, a
  // cent, ...) away where they fall on another side. The generator writes each of them as is for
  // a share of the rows, and spreads more values around them.
  std::vector<double> edges;
  std::vector<std::string> words;                // string values tested (`is`, `is one of`, `in`)
  std::vector<std::string> items;                // list items tested (`has any/all/none of`)
  std::vector<std::vector<std::string>> all_of;  // the sets of `has all of`
  uint64_t enum_values = 0;                      // enum ordinals the rules name (bit i: ordinal i)
};

struct GenerationGuide {
  std::vector<FieldGuide> fields;  // one per schema field, in schema order (may be empty: none)
  size_t comparisons = 0;          // comparisons that gave boundaries
  size_t sets = 0;                 // enum sets, string and list tests read
};

// Reads a guide for the fields of `schema` from a compiled program: every comparison of a column,
// or of a function of columns (`days since D`, a let, arithmetic; `as_of` is the generation's
// as-of date), with constants (each column varied while the others keep a typical value), enum
// sets (InMask, `=`), string atoms' sets and list atoms' sets. Every field of the program's schema
// must be in `schema` with the same type (and enum values), nullable only when the program's is:
// otherwise the snapshot would not evaluate under the rules, and `error` says which field.
bool guide_from_program(const ir::Program& program, const Schema& schema, int32_t as_of,
                        GenerationGuide& guide, std::string& error);

// Generates batches of a schema. Building it plans every field (the type table, the guide, name
// hints); batch(i) is then a pure function of i and may run on several threads at once.
class SchemaGenerator {
 public:
  // Fails (valid() false, error() says why) when the schema has no key field.
  SchemaGenerator(const Schema& schema, const GenerationGuide& guide, const GenerateOptions& opts);
  ~SchemaGenerator();
  SchemaGenerator(const SchemaGenerator&) = delete;
  SchemaGenerator& operator=(const SchemaGenerator&) = delete;

  bool valid() const { return error_.empty(); }
  const std::string& error() const { return error_; }
  // Rows [index * batch_rows, ...) of the snapshot.
  Batch batch(int64_t index) const;
  // One line per field saying what its values look like (for `rekindle gen --verbose`).
  std::vector<std::string> describe() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::string error_;
};

// Writes a snapshot of `schema` (atomically). Returns false and sets `error` on failure.
bool generate_schema_snapshot(const Schema& schema, const GenerationGuide& guide,
                              const GenerateOptions& options, const std::string& path,
                              SnapshotFormat format, std::string& error);

}  // namespace rk
