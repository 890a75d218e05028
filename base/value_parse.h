// Rekindle base: reading the text forms of snapshot values (bool, int, number), one definition
// shared by the CSV reader (every value of a CSV snapshot) and the checker (`--param NAME=VALUE`,
// which accepts a value exactly when a snapshot would, besides the rule file's own literals).
// Locale-free; no leading or trailing spaces; header only and inlined for the CSV reader's
// per-value loop. (The other direction, how a value is written as text: runtime/value_text.h.)
#pragma once

#include <charconv>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string_view>
#include <system_error>

namespace rk {

namespace value_parse_detail {
inline uint32_t load4(const char* p) {
  uint32_t w;
  std::memcpy(&w, p, 4);
  return w;
}
}  // namespace value_parse_detail

// bool: true/false, TRUE/FALSE, True/False, 1/0.
enum class BoolParse { False, True, Bad };
[[gnu::always_inline]] inline BoolParse parse_bool(std::string_view s) {
  using value_parse_detail::load4;
  switch (s.size()) {
    case 1:
      if (s[0] == '1') return BoolParse::True;
      if (s[0] == '0') return BoolParse::False;
      return BoolParse::Bad;
    case 4: {  // the four bytes as one word against the three spellings
      const uint32_t w = load4(s.data());
      if (w == load4("true") || w == load4("TRUE") || w == load4("True")) return BoolParse::True;
      return BoolParse::Bad;
    }
    case 5: {
      const uint32_t w = load4(s.data() + 1);
      const char c = s[0];
      if ((c == 'f' && w == load4("alse")) ||
          (c == 'F' && (w == load4("ALSE") || w == load4("alse"))))
        return BoolParse::False;
      return BoolParse::Bad;
    }
    default:
      return BoolParse::Bad;
  }
}

// int: an optional sign and decimal digits, within int64 (Range beyond).
// number (also money and percent): decimal or scientific notation, correctly rounded
// (std::from_chars), inf/infinity; `nan` is NaN (a missing value where that is allowed); out of
// the double range (1e400, 1e-400) is Range.
enum class NumParse { Ok, Bad, Range, NaN };

[[gnu::always_inline]] inline NumParse parse_int(std::string_view s, int64_t& out) {
  const char* p = s.data();
  const char* e = p + s.size();
  bool neg = false;
  if (p < e && (*p == '-' || *p == '+')) {
    neg = *p == '-';
    ++p;
  }
  if (p == e) return NumParse::Bad;
  if (e - p <= 18) {  // at most 999,999,999,999,999,999: no overflow, no check per digit
    uint64_t v = 0;
    for (; p < e; ++p) {
      const unsigned d = static_cast<unsigned char>(*p) - '0';
      if (d > 9) return NumParse::Bad;
      v = v * 10 + d;
    }
    out = neg ? -static_cast<int64_t>(v) : static_cast<int64_t>(v);
    return NumParse::Ok;
  }
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

// Plain decimals ("-12.3450"), the usual number in a snapshot, without the general parser: with
// at most 2^53 as the digits' integer m and at most 22 digits after the point, m and 10^k are
// exact doubles and one IEEE division rounds correctly, so the result is exactly what
// std::from_chars gives (Clinger's fast path). Anything else returns false.
[[gnu::always_inline]] inline bool parse_plain_decimal(const char* p, const char* e, double& out) {
  static constexpr double kPow10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                      1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                      1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
  const bool neg = p < e && *p == '-';
  p += neg;
  uint64_t m = 0;
  const char* first = p;
  for (; p < e && static_cast<unsigned>(*p - '0') <= 9; ++p)
    m = m * 10 + static_cast<unsigned>(*p - '0');
  ptrdiff_t digits = p - first;
  if (digits == 0) return false;
  ptrdiff_t frac = 0;
  if (p < e && *p == '.') {
    const char* f = ++p;
    for (; p < e && static_cast<unsigned>(*p - '0') <= 9; ++p)
      m = m * 10 + static_cast<unsigned>(*p - '0');
    frac = p - f;
    digits += frac;
    if (frac == 0) return false;
  }
  if (p != e || digits > 19 || frac > 22 || m > (uint64_t{1} << 53)) return false;
  double v = static_cast<double>(m);
  if (frac) v /= kPow10[frac];
  out = neg ? -v : v;
  return true;
}

[[gnu::always_inline]] inline NumParse parse_number(std::string_view s, double& out) {
  const char* p = s.data();
  const char* e = p + s.size();
  if (p < e && *p == '+') {
    ++p;
    if (p < e && (*p == '-' || *p == '+')) return NumParse::Bad;
  }
  if (p == e) return NumParse::Bad;
  if (parse_plain_decimal(p, e, out)) return NumParse::Ok;
  const auto r = std::from_chars(p, e, out, std::chars_format::general);
  if (r.ptr != e) return NumParse::Bad;
  if (r.ec == std::errc::result_out_of_range) return NumParse::Range;
  if (r.ec != std::errc()) return NumParse::Bad;
  if (std::isnan(out)) return NumParse::NaN;
  return NumParse::Ok;
}

}  // namespace rk
