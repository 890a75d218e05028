// Rekindle base: ISO 8601 calendar dates as days since 1970-01-01 (proleptic Gregorian), the one
// definition used by the rule grammar (date literals), the test-file reader, the snapshot readers
// and writers, the IR (a Date is an Int of days) and every text that shows a date. Header only:
// the CSV reader and writer convert a date per cell.
#pragma once

#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>

namespace rk {

// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil).
inline constexpr int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

struct CivilDate {
  int64_t year;
  unsigned month;
  unsigned day;
};
// The date `z` days after 1970-01-01 (Howard Hinnant's civil_from_days).
inline constexpr CivilDate civil_from_days(int64_t z) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t y = static_cast<int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  return {y + (m <= 2), m, d};
}

inline constexpr bool is_leap_year(int64_t y) {
  return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}
// The English name of month `m` (1..12): "January", ... (messages: "February 2026 has 28 days").
inline constexpr std::string_view month_name(unsigned m) {
  constexpr std::string_view kNames[] = {"January",   "February", "March",    "April",
                                         "May",       "June",     "July",     "August",
                                         "September", "October",  "November", "December"};
  return m >= 1 && m <= 12 ? kNames[m - 1] : std::string_view("?");
}
// Days in month `m` (1..12) of year `y`.
inline constexpr unsigned days_in_month(int64_t y, unsigned m) {
  constexpr unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && is_leap_year(y) ? 29 : kDays[m - 1];
}

// The numbers of a text shaped "YYYY-MM-DD" (four digits, `-`, two digits, `-`, two digits), not
// checked for range (month 13 and day 00 come back as they are); nullopt for any other shape.
inline constexpr std::optional<CivilDate> split_iso_date(std::string_view s) {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return std::nullopt;
  unsigned v[3] = {0, 0, 0};
  constexpr size_t kStart[] = {0, 5, 8}, kLen[] = {4, 2, 2};
  for (size_t k = 0; k < 3; ++k)
    for (size_t i = kStart[k]; i < kStart[k] + kLen[k]; ++i) {
      if (s[i] < '0' || s[i] > '9') return std::nullopt;
      v[k] = v[k] * 10 + static_cast<unsigned>(s[i] - '0');
    }
  return CivilDate{v[0], v[1], v[2]};
}

// Parses a strict ISO 8601 calendar date "YYYY-MM-DD" (year 0001..9999) into days since
// 1970-01-01. Returns false when the text is not a valid date (including 2026-02-30 and
// 2026-13-01).
inline constexpr bool parse_iso_date(std::string_view s, int32_t& out) {
  const std::optional<CivilDate> c = split_iso_date(s);
  if (!c || c->year < 1 || c->month < 1 || c->month > 12 || c->day < 1 ||
      c->day > days_in_month(c->year, c->month))
    return false;
  out = static_cast<int32_t>(days_from_civil(c->year, c->month, c->day));
  return true;
}

// Appends "YYYY-MM-DD" of `days` to `out` when its year lies in 0001..9999 (what a snapshot may
// hold); returns false and appends nothing otherwise.
inline bool append_iso_date(std::string& out, int64_t days) {
  const CivilDate d = civil_from_days(days);
  if (d.year < 1 || d.year > 9999) return false;
  const auto y = static_cast<unsigned>(d.year);
  char text[10] = {'0', '0', '0', '0', '-', '0', '0', '-', '0', '0'};
  // Writes the `n` last digits of `v` to end at text[last].
  auto put = [&text](size_t last, unsigned v, size_t n) {
    for (size_t k = 0; k < n; ++k, v /= 10) text[last - k] = static_cast<char>('0' + v % 10);
  };
  put(3, y, 4);
  put(6, d.month, 2);
  put(9, d.day, 2);
  out.append(text, sizeof text);
  return true;
}

// "YYYY-MM-DD" within 0001..9999, else ISO 8601's expanded form: a sign and at least four year
// digits ("-0044-03-15", "+10000-01-01"). What message templates show.
inline void append_iso_date_expanded(std::string& out, int64_t days) {
  if (append_iso_date(out, days)) return;
  const CivilDate d = civil_from_days(days);
  char buf[48];
  const int n =
      std::snprintf(buf, sizeof buf, "%c%04lld-%02u-%02u", d.year < 0 ? '-' : '+',
                    static_cast<long long>(d.year < 0 ? -d.year : d.year), d.month, d.day);
  out.append(buf, static_cast<size_t>(n));
}

// "YYYY-MM-DD" of any day count: the year has at least four digits, zero-padded, with a leading
// `-` before year 0 ("-001-12-31"). What summaries, `explain` and the lints' notes show.
inline std::string format_iso_date(int64_t days) {
  std::string out;
  if (append_iso_date(out, days)) return out;
  const CivilDate d = civil_from_days(days);
  char buf[48];
  const int n = std::snprintf(buf, sizeof buf, "%04lld-%02u-%02u", static_cast<long long>(d.year),
                              d.month, d.day);
  return std::string(buf, static_cast<size_t>(n));
}

}  // namespace rk
