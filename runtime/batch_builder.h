// Rekindle runtime: builds an rk::Batch of one or more customer rows from typed per-field values
// (no snapshot file needed). Used by `rekindle test` (rule tests), and meant for `explain --given`
// and language bindings: set values by field name or index, in typed form (FieldValue) or in the
// text form of a CSV cell, then build() a batch that the evaluator, the interpreter and the JIT
// read like any snapshot batch. Every mistake is reported as an error message, never thrown.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "compiler/ir/schema.h"
#include "grammar/test_file.h"
#include "runtime/columnar.h"

namespace rk {

// One typed value for a schema field, or a missing value.
//   Bool -> bool fields; Int -> int fields (and number/money/percent, converted);
//   Float -> number, money and percent fields (percent as a fraction: 0.05 is 5%);
//   Date -> date fields (days since 1970-01-01); Text -> string and enum fields;
//   List -> list-of-string fields.
struct FieldValue {
  enum class Kind : uint8_t { Missing, Bool, Int, Float, Date, Text, List };
  Kind kind = Kind::Missing;
  bool b = false;
  int64_t i = 0;
  double f = 0;
  int32_t date = 0;
  std::string text;
  std::vector<std::string> list;

  static FieldValue missing() { return {}; }
  static FieldValue of_bool(bool v);
  static FieldValue of_int(int64_t v);
  static FieldValue of_float(double v);
  static FieldValue of_date(int32_t days);
  static FieldValue of_text(std::string v);
  static FieldValue of_list(std::vector<std::string> v);
};

// Why `v` does not fit field `f` (e.g. "field `orders_total` is an int, but the value is a
// date"), or "" when it fits. A missing value fits only a nullable field.
std::string field_value_error(const FieldDef& f, const FieldValue& v);

// Parses the text form of a CSV cell for field `f` (empty: missing; bools `true`/`false`; dates
// YYYY-MM-DD; lists joined with `|`). Returns nullopt and sets `error` when it does not parse.
std::optional<FieldValue> parse_field_text(const FieldDef& f, std::string_view text,
                                           std::string& error);

// Converts a literal of the test-file syntax (grammar/test_file.h: `$250`, `5%`, `2026-11-01`,
// `today - 60 days`, `true`, a word, "text", `{a, b}`, `missing`) to a value of field `f`;
// relative dates count from `as_of`. Units must match the field: money needs `$`, percent `%`.
// Returns nullopt and sets `error` (a message without a place) when the literal does not fit.
std::optional<FieldValue> field_value_from_literal(const FieldDef& f, const testfile::Value& v,
                                                   int32_t as_of, std::string& error);

class BatchBuilder {
 public:
  explicit BatchBuilder(Schema schema);

  const Schema& schema() const { return schema_; }
  size_t num_rows() const { return rows_.size(); }

  // Appends a row whose fields are all unset and returns its index.
  size_t add_row();
  // Sets a field of row `row`. Returns false and sets `error` when the field does not exist or
  // the value does not fit its type; the row is then unchanged.
  bool set(size_t row, size_t field, FieldValue value, std::string& error);
  bool set(size_t row, std::string_view field, FieldValue value, std::string& error);
  // Same, from the text form of a CSV cell (see parse_field_text).
  bool set_text(size_t row, std::string_view field, std::string_view text, std::string& error);
  // The value set for a field, or null when it is unset.
  const FieldValue* get(size_t row, size_t field) const;

  // Builds the batch (rows in order, first_row 0). Unset nullable fields are missing; an unset
  // non-nullable field is an error ("row 2: field `orders_total` has no value").
  std::optional<Batch> build(std::string& error) const;

 private:
  Schema schema_;
  std::vector<std::vector<std::optional<FieldValue>>> rows_;
};

}  // namespace rk
