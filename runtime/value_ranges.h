// Rekindle runtime: the value ranges of a schema (`field nps: int 0 to 10`) and its time-zone
// fields (`field timezone: time_zone?`) checked on reading, the same way by every reader: the CSV
// reader checks each value as it converts it; the Arrow reader and the Python binding's DataFrame
// path check each decoded batch with check_ranges. A present value outside its field's range, or a
// time-zone field's value that is not a zone of the system's time-zone database
// (ZoneTable::system()), is a data error naming the row and column.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "runtime/columnar.h"

namespace rk {

// The message for a value outside the range of field `f`, `shown` as the reader shows values:
// `"11" is outside the range of the schema (0 to 10)`.
std::string outside_range_message(const FieldDef& f, std::string_view shown);

// The message for a time-zone field's value `name` (`shown` as the reader shows values) that is
// not a zone of the system's database, with a "did you mean" for a case slip:
// `"europe/berlin" is not a time zone of the system's database (/usr/share/zoneinfo); did you
// mean "Europe/Berlin"?`
std::string unknown_zone_message(std::string_view name, std::string_view shown);
// Whether `name` is a zone of the system's database (ZoneTable::system()).
bool is_known_zone(std::string_view name);

// The text of value `r` of column `c` of a decoded batch, as an error shows it (11, 0.35, 1250.5,
// 2026-02-01); the column must hold an int, number, money, percent or date field.
std::string value_shown(const FieldDef& f, const RkColumn& c, int64_t r);

// Checks every present value of the ranged and time-zone fields of `batch`, row by row:
// `report(r, field, message)` for the first field of each row r (0-based in the batch) outside
// its range or naming no zone (a dictionary entry is looked up once). Stops
// after the first report when `all` is false. Returns the number of rows reported.
int64_t check_ranges(const Schema& schema, const Batch& batch, bool all,
                     const std::function<void(int64_t, size_t, std::string)>& report);

}  // namespace rk
