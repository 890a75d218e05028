// Rekindle runtime: hints for snapshots written for another tool (see value_hints.h).
#include "runtime/value_hints.h"

#include <fmt/format.h>

#include <array>

#include "base/date.h"

namespace rk {
namespace {

bool valid(int y, int m, int d) {
  return m >= 1 && m <= 12 && d >= 1 &&
         static_cast<unsigned>(d) <= days_in_month(y, static_cast<unsigned>(m));
}

std::string iso(int y, int m, int d) {
  return fmt::format("{:04}-{:02}-{:02}", y, m, d);
}

// `1/2/2026` -> {1, 2, 2026} and the digits of each part; false unless three groups of 1 to 4
// digits joined by one separator (`/`, `.` or `-`).
bool three_parts(std::string_view s, std::array<int, 3>& v, std::array<size_t, 3>& len) {
  char sep = 0;
  size_t part = 0;
  v = {0, 0, 0};
  len = {0, 0, 0};
  for (char c : s) {
    if (c >= '0' && c <= '9') {
      if (++len[part] > 4) return false;
      v[part] = v[part] * 10 + (c - '0');
    } else if ((c == '/' || c == '.' || c == '-') && (sep == 0 || c == sep) && part < 2 &&
               len[part] > 0) {
      sep = c;
      ++part;
    } else {
      return false;
    }
  }
  return part == 2 && len[2] > 0;
}

std::string shorten(std::string_view s, size_t n) {
  if (s.size() <= n) return std::string(s);
  size_t cut = n;
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
  return std::string(s.substr(0, cut)) + "...";
}

std::string trimmed(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '"')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '"' || s.back() == '\r')) s.remove_suffix(1);
  return std::string(s);
}

}  // namespace

std::string date_expectation(std::string_view value) {
  constexpr const char* kPlain = "a date (write dates as YYYY-MM-DD, e.g. 2026-11-01)";
  std::array<int, 3> v{};
  std::array<size_t, 3> len{};
  if (!three_parts(value, v, len)) return kPlain;
  if (len[0] == 4) {  // year first: 2026/10/07, or the right form but not in the calendar
    if (valid(v[0], v[1], v[2]))
      return fmt::format("a date (write dates as YYYY-MM-DD: {})", iso(v[0], v[1], v[2]));
    if (v[1] < 1 || v[1] > 12) return fmt::format("a date (there is no month {})", v[1]);
    if (len[1] <= 2 && len[2] <= 2) {
      const unsigned days = days_in_month(v[0], static_cast<unsigned>(v[1]));
      return fmt::format("a date ({} {} has {} days)", month_name(static_cast<unsigned>(v[1])),
                         v[0], days);
    }
    return kPlain;
  }
  if (len[2] != 4) return "a date (write dates as YYYY-MM-DD, with the year in full)";
  const int y = v[2];
  const bool us = len[0] <= 2 && len[1] <= 2 && valid(y, v[0], v[1]);  // month first
  const bool eu = len[0] <= 2 && len[1] <= 2 && valid(y, v[1], v[0]);  // day first
  if (us && eu && v[0] != v[1])
    return fmt::format("a date (write dates as YYYY-MM-DD: {} if this is {} {}, {} if it is {} {})",
                       iso(y, v[0], v[1]), month_name(static_cast<unsigned>(v[0])), v[1],
                       iso(y, v[1], v[0]), month_name(static_cast<unsigned>(v[1])), v[0]);
  if (us) return fmt::format("a date (write dates as YYYY-MM-DD: {})", iso(y, v[0], v[1]));
  if (eu) return fmt::format("a date (write dates as YYYY-MM-DD: {})", iso(y, v[1], v[0]));
  return kPlain;
}

std::optional<std::string> separator_hint(const std::vector<std::string>& header,
                                          const Schema& schema) {
  if (header.size() != 1 || schema.fields.size() < 2) return std::nullopt;
  const std::string& h = header[0];
  for (const char sep : {';', '\t'}) {
    if (h.find(sep) == std::string::npos) continue;
    bool names_a_field = false;
    size_t b = 0;
    while (b <= h.size() && !names_a_field) {
      size_t e = h.find(sep, b);
      if (e == std::string::npos) e = h.size();
      const std::string part = trimmed(std::string_view(h).substr(b, e - b));
      for (const auto& f : schema.fields)
        if (f.name == part) names_a_field = true;
      b = e + 1;
    }
    if (!names_a_field) continue;
    std::string shown;  // tabs as \t
    for (char c : h) shown += c == '\t' ? std::string("\\t") : std::string(1, c);
    return fmt::format(
        "the header is a single column, \"{}\", that holds the schema's field names separated "
        "by {}: the file is separated by {}, and Rekindle reads CSV separated by commas (export "
        "it again with `,` as the field separator)",
        shorten(shown, 60), sep == ';' ? "`;`" : "tabs",
        sep == ';' ? "semicolons (as spreadsheets write CSV in many countries)"
                   : "tabs (a TSV file)");
  }
  return std::nullopt;
}

}  // namespace rk
