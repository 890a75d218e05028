// Rekindle IR: reading the text forms of snapshot values (bool, int, number): one definition
// shared by the CSV reader (every value of a CSV snapshot) and the checker (`--param NAME=VALUE`,
// which accepts a value exactly when a snapshot would, besides the rule file's own literals).
// Locale-free; no leading or trailing spaces; header-only (inline) for the CSV reader's
// per-value loop. (The other direction, how a value is written as text: runtime/value_text.h.)
#pragma once

#include <charconv>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string_view>
#include <system_error>

namespace rk {

// bool: true/false, TRUE/FALSE, True/False, 1/0.
enum class BoolParse { False, True, Bad };
inline BoolParse parse_bool(std::string_view s) {
  switch (s.size()) {
    case 1:
      if (s[0] == '1') return BoolParse::True;
      if (s[0] == '0') return BoolParse::False;
      return BoolParse::Bad;
    case 4:
      if (s == "true" || s == "TRUE" || s == "True") return BoolParse::True;
      return BoolParse::Bad;
    case 5:
      if (s == "false" || s == "FALSE" || s == "False") return BoolParse::False;
      return BoolParse::Bad;
    default:
      return BoolParse::Bad;
  }
}

// int: an optional sign and decimal digits, within int64 (Range beyond).
// number (also money and percent): decimal or scientific notation, correctly rounded
// (std::from_chars), inf/infinity; `nan` is NaN (a missing value where that is allowed); out of
// the double range (1e400, 1e-400) is Range.
enum class NumParse { Ok, Bad, Range, NaN };

inline NumParse parse_int(std::string_view s, int64_t& out) {
  const char* p = s.data();
  const char* e = p + s.size();
  bool neg = false;
  if (p < e && (*p == '-' || *p == '+')) {
    neg = *p == '-';
    ++p;
  }
  if (p == e) return NumParse::Bad;
  uint64_t v = 0;
  constexpr uint64_t kMaxPos = static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
  bool overflow = false;
  for (; p < e; ++p) {
    const unsigned d = static_cast<unsigned char>(*p) - '0';
    if (d > 9) return NumParse::Bad;
    if (v > (UINT64_MAX - d) / 10) {
      overflow = true;
      v = UINT64_MAX;
    } else {
      v = v * 10 + d;
    }
  }
  if (overflow || v > kMaxPos + (neg ? 1 : 0)) return NumParse::Range;
  out = neg ? static_cast<int64_t>(0 - v) : static_cast<int64_t>(v);
  return NumParse::Ok;
}

inline NumParse parse_number(std::string_view s, double& out) {
  const char* p = s.data();
  const char* e = p + s.size();
  if (p < e && *p == '+') {
    ++p;
    if (p < e && (*p == '-' || *p == '+')) return NumParse::Bad;
  }
  if (p == e) return NumParse::Bad;
  const auto r = std::from_chars(p, e, out, std::chars_format::general);
  if (r.ptr != e) return NumParse::Bad;
  if (r.ec == std::errc::result_out_of_range) return NumParse::Range;
  if (r.ec != std::errc()) return NumParse::Bad;
  if (std::isnan(out)) return NumParse::NaN;
  return NumParse::Ok;
}

}  // namespace rk
