// Rekindle runtime: how one value reads as text, written once for every writer that shows values
// (the CSV snapshot writer and the template renderer): ints, numbers (the shortest text that
// reads back), money (cents when exact) and ISO dates.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace rk {

// true / false.
inline std::string_view bool_text(bool v) {
  return v ? "true" : "false";
}
// Decimal: -10, 0, 9223372036854775807.
void append_int_text(std::string& out, int64_t v);
// The shortest text that reads back to the same double (std::to_chars): 0.35, 1e+20, inf, -nan.
void append_number_text(std::string& out, double v);
// Money: two decimals when that text reads back to the same double (84.50, -5.00), else the
// shortest text (0.125, 1e+20).
void append_money_text(std::string& out, double v);
// YYYY-MM-DD for days since 1970-01-01 in 0001-01-01..9999-12-31; false (nothing appended)
// outside that range.
bool append_date_text(std::string& out, int32_t days);
// Any date: YYYY-MM-DD within 0001..9999, else ISO 8601's expanded form with a sign and at least
// four year digits (-0044-03-15, +10000-01-01).
void append_any_date_text(std::string& out, int32_t days);

}  // namespace rk
