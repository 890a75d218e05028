// Rekindle runtime: matching a snapshot's columns to the schema's fields by name, one
// implementation for the CSV header and the Arrow schema. Linear in the number of columns (a
// hash of the names), so a file with 200,000 columns is matched at once. A name that appears
// twice is an error naming both positions (never "the first one wins"); a field with no column
// is an error that suggests the closest name and lists at most a few of the columns.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "compiler/ir/schema.h"
#include "runtime/columnar.h"

namespace rk {

// `names`: the file's column names in file order; `where`: how messages call the list ("header",
// "Arrow schema"); `row`: the row errors point at (the CSV header's row, 0 for Arrow). Returns
// the position of each schema field's column, or nullopt with `err` set.
std::optional<std::vector<size_t>> match_columns(const std::vector<std::string_view>& names,
                                                 const Schema& schema, const std::string& display,
                                                 std::string_view where, int64_t row,
                                                 std::optional<SnapshotError>& err);

// False, with `err` naming both positions, when a name appears twice in `names` (also used by
// schema inference: a file with a name twice cannot be typed by a schema).
bool unique_column_names(const std::vector<std::string_view>& names, const std::string& display,
                         std::string_view where, int64_t row, std::optional<SnapshotError>& err);

// The name of `names` closest to `name` (case differences first, then a small edit distance),
// or "" when none is close.
std::string closest_name(std::string_view name, const std::vector<std::string_view>& names);

}  // namespace rk
