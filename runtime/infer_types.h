// Rekindle runtime: money and enum columns told from their values, for `rekindle schema`. CSV
// and Arrow files say `number` and `string` (the CSV inference already calls a column whose
// values are all written like 84.50 money); the values often say more:
// - a number column is `money` when every value has at most two decimals and its name has a
//   currency word (amount, price, revenue, spend, value, aov, mrr, ...);
// - a string column is `enum {...}` when it holds at most 12 distinct values, each a word (a
//   letter, then letters, digits, `_` or `-`), and at least three values per distinct one in the
//   rows looked at (so names and ids stay strings); the values are listed in code-point order.
// The key column is never an enum.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "compiler/ir/schema.h"
#include "runtime/columnar.h"

namespace rk {

class ValueTypeInference {
 public:
  static constexpr size_t kMaxEnumValues = 12;
  static constexpr int64_t kRowsPerEnumValue = 3;

  // `probe`: the schema the batches are read with (its number and string columns are looked at).
  explicit ValueTypeInference(const Schema& probe);
  // Looks at rows [0, rows) of a batch of the probe schema.
  void add(const Batch& batch, int64_t rows);
  // Rewrites the types of `schema` (the probe's fields, same order) that the values say more
  // about: number -> money, string -> enum (except schema.key_field).
  void refine(Schema& schema) const;

 private:
  struct Column {
    bool number = false, text = false;
    int64_t present = 0;
    // number
    bool at_most_two_decimals = true;
    // text
    bool words = true;
    std::vector<std::string> distinct;  // up to kMaxEnumValues + 1
  };
  std::vector<Column> columns_;
};

// Whether a column name reads like an amount of money (`price`, `total_spend`, `mrr`, ...).
bool is_currency_name(const std::string& name);

}  // namespace rk
