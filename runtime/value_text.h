// Rekindle runtime: how one value reads as text, written once for every writer that shows values
// (the CSV snapshot writer and the template renderer): ints, numbers (the shortest text that
// reads back) and money (cents when exact). Dates are base/date.h's (append_iso_date,
// append_iso_date_expanded).
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

}  // namespace rk
