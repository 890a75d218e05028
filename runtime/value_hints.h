// Rekindle runtime: what to tell a user whose snapshot was written for another tool, for the
// readers' messages: a date in a national order (`10/07/2026`) and a CSV file separated by
// semicolons or tabs (what spreadsheets write in many locales). Pure functions of the text.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/columnar.h"

namespace rk {

// What a date value should have been, to follow "`VALUE` is not ": "a date (write dates as
// YYYY-MM-DD: 2026-10-07 if this is October 7, 2026-07-10 if it is July 10)" for a day, month
// and year written with `/`, `.` or `-` in either order; "a date (write dates as YYYY-MM-DD,
// e.g. 2026-11-01)" otherwise.
std::string date_expectation(std::string_view value);

// When a CSV header read as one field is really several separated by `;` or a tab, and at least
// one of them names a schema field: the message to report instead of "missing from the header".
std::optional<std::string> separator_hint(const std::vector<std::string>& header,
                                          const Schema& schema);

}  // namespace rk
