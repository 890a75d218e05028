// Rekindle IR: small semantic helpers written once and shared by the interpreter, the atom
// preparation and the generated code (FNV-1a holdout hash, bit tests, date conversion).
#pragma once

#include <cstdint>
#include <string_view>

namespace rk {

inline constexpr uint64_t kFnvOffset = 14695981039346656037ull;
inline constexpr uint64_t kFnvPrime = 1099511628211ull;

inline uint64_t fnv1a64_update(uint64_t h, std::string_view bytes) {
  for (unsigned char c : bytes) {
    h ^= c;
    h *= kFnvPrime;
  }
  return h;
}
inline uint64_t fnv1a64(std::string_view bytes) {
  return fnv1a64_update(kFnvOffset, bytes);
}

// fnv1a64_update of L strings at once, out[i] = fnv1a64_update(seed, s[i]). FNV-1a is serial in
// the bytes of one string (a multiply per byte, ~4 cycles of latency); interleaving independent
// strings keeps the multiplier busy, about L times the throughput of one string at a time.
template <int L>
inline void fnv1a64_update_lanes(uint64_t seed, const std::string_view* s, uint64_t* out) {
  uint64_t h[L];
  size_t common = s[0].size();
  for (int i = 0; i < L; ++i) {
    h[i] = seed;
    common = s[i].size() < common ? s[i].size() : common;
  }
  for (size_t j = 0; j < common; ++j)
    for (int i = 0; i < L; ++i) h[i] = (h[i] ^ static_cast<unsigned char>(s[i][j])) * kFnvPrime;
  for (int i = 0; i < L; ++i) out[i] = fnv1a64_update(h[i], s[i].substr(common));
}

inline bool bit_is_set(const uint8_t* bits, int64_t i) {
  return (bits[i >> 3] >> (i & 7)) & 1;
}
inline bool is_present(const uint8_t* validity, int64_t i) {
  return validity == nullptr || bit_is_set(validity, i);
}

// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil).
inline constexpr int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

struct CivilDate {
  int64_t year;
  unsigned month;
  unsigned day;
};
inline constexpr CivilDate civil_from_days(int64_t z) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t y = static_cast<int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  return {y + (m <= 2), m, d};
}

// Parses a strict ISO 8601 calendar date "YYYY-MM-DD" (year 0001..9999). Returns false when the
// text is not a valid date (including 2026-02-30 and 2026-13-01).
inline bool parse_iso_date(std::string_view s, int32_t& out) {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return false;
  auto digits = [&](size_t a, size_t n, int& v) {
    v = 0;
    for (size_t i = a; i < a + n; ++i) {
      if (s[i] < '0' || s[i] > '9') return false;
      v = v * 10 + (s[i] - '0');
    }
    return true;
  };
  int y, m, d;
  if (!digits(0, 4, y) || !digits(5, 2, m) || !digits(8, 2, d)) return false;
  if (y < 1 || m < 1 || m > 12 || d < 1) return false;
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  const int dim = (m == 2 && leap) ? 29 : kDays[m - 1];
  if (d > dim) return false;
  out =
      static_cast<int32_t>(days_from_civil(y, static_cast<unsigned>(m), static_cast<unsigned>(d)));
  return true;
}

}  // namespace rk
