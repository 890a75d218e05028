// Rekindle runtime: the body of the CSV structural scanner (see csv_simd.h), compiled once per
// instruction set: csv_simd.cpp includes it for the x86-64 baseline (SSE2) or a portable build,
// csv_simd_avx2.cpp with RK_CSV_SIMD_AVX2 defined and -mavx2 -mpclmul. Everything here has
// internal linkage, so the two copies never mix.
#pragma once

#include <cstring>

#include "runtime/csv_simd.h"

#if defined(RK_CSV_SIMD_AVX2)
#include <immintrin.h>
#elif defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace rk::csv_simd {
namespace {

// Bit i of each mask: byte i of the 64-byte block at p is that character.
struct Masks {
  uint64_t quote, lf, cr, comma, high;  // high: bytes of 0x80 and above (not ASCII)
};

#if defined(RK_CSV_SIMD_AVX2)
inline uint64_t eq_mask(__m256i lo, __m256i hi, char c) {
  const __m256i k = _mm256_set1_epi8(c);
  const uint64_t a = static_cast<uint32_t>(_mm256_movemask_epi8(_mm256_cmpeq_epi8(lo, k)));
  const uint64_t b = static_cast<uint32_t>(_mm256_movemask_epi8(_mm256_cmpeq_epi8(hi, k)));
  return a | (b << 32);
}
template <bool kLines>
inline Masks classify(const char* p) {
  const __m256i lo = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
  const __m256i hi = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + 32));
  Masks m{};
  m.quote = eq_mask(lo, hi, '"');
  if (kLines) {
    m.lf = eq_mask(lo, hi, '\n');
    m.cr = eq_mask(lo, hi, '\r');
  } else {
    m.comma = eq_mask(lo, hi, ',');
    m.high = static_cast<uint32_t>(_mm256_movemask_epi8(lo)) |
             static_cast<uint64_t>(static_cast<uint32_t>(_mm256_movemask_epi8(hi))) << 32;
  }
  return m;
}
// Carry-less multiplication by all ones: bit i of the result is the xor of bits 0..i.
inline uint64_t prefix_xor(uint64_t x) {
  const __m128i r =
      _mm_clmulepi64_si128(_mm_set_epi64x(0, static_cast<int64_t>(x)), _mm_set1_epi8(-1), 0);
  return static_cast<uint64_t>(_mm_cvtsi128_si64(r));
}
#else
#if defined(__SSE2__)
inline uint64_t eq_mask(const __m128i* v, char c) {
  const __m128i k = _mm_set1_epi8(c);
  uint64_t m = 0;
  for (int i = 0; i < 4; ++i)
    m |= static_cast<uint64_t>(static_cast<uint32_t>(_mm_movemask_epi8(_mm_cmpeq_epi8(v[i], k))))
         << (16 * i);
  return m;
}
template <bool kLines>
inline Masks classify(const char* p) {
  __m128i v[4];
  for (int i = 0; i < 4; ++i) v[i] = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 16 * i));
  Masks m{};
  m.quote = eq_mask(v, '"');
  if (kLines) {
    m.lf = eq_mask(v, '\n');
    m.cr = eq_mask(v, '\r');
  } else {
    m.comma = eq_mask(v, ',');
    for (int i = 0; i < 4; ++i)
      m.high |= static_cast<uint64_t>(static_cast<uint32_t>(_mm_movemask_epi8(v[i]))) << (16 * i);
  }
  return m;
}
#else
// Portable: eight bytes at a time, a byte equal to c becomes 0x80 (the classic zero-byte test,
// exact for every byte value), then the high bits are gathered.
inline uint64_t eq_mask8(uint64_t w, char c) {
  const uint64_t x = w ^ (0x0101010101010101ull * static_cast<uint8_t>(c));
  const uint64_t t = ((x & 0x7F7F7F7F7F7F7F7Full) + 0x7F7F7F7F7F7F7F7Full) | x;
  const uint64_t z = ~t & 0x8080808080808080ull;  // 0x80 where the byte was c
  return (z * 0x0002040810204081ull) >> 56;       // the eight high bits as one byte
}
template <bool kLines>
inline Masks classify(const char* p) {
  Masks m{};
  for (int i = 0; i < 8; ++i) {
    uint64_t w;
    std::memcpy(&w, p + 8 * i, 8);
    m.quote |= eq_mask8(w, '"') << (8 * i);
    if (kLines) {
      m.lf |= eq_mask8(w, '\n') << (8 * i);
      m.cr |= eq_mask8(w, '\r') << (8 * i);
    } else {
      m.comma |= eq_mask8(w, ',') << (8 * i);
      m.high |= (((w & 0x8080808080808080ull) >> 7) * 0x0102040810204080ull >> 56) << (8 * i);
    }
  }
  return m;
}
#endif
inline uint64_t prefix_xor(uint64_t x) {
  x ^= x << 1;
  x ^= x << 2;
  x ^= x << 4;
  x ^= x << 8;
  x ^= x << 16;
  x ^= x << 32;
  return x;
}
#endif

inline uint64_t low_bits(size_t n) {
  return n >= 64 ? ~uint64_t{0} : (uint64_t{1} << n) - 1;
}

LineScan scan_lines_impl(const char* origin, const char* p, size_t n, bool in_quote, bool prev_cr,
                         std::vector<uint32_t>& ends) {
  LineScan out;
  uint64_t carry = in_quote ? ~uint64_t{0} : 0;  // all ones inside a quoted field
  uint64_t prev_cr_bit = prev_cr ? 1 : 0;
  uint64_t any = 0;
  const auto base = static_cast<uint32_t>(p - origin);
  for (size_t off = 0; off < n; off += 64) {
    const Masks m = classify<true>(p + off);
    const uint64_t valid = low_bits(n - off);
    const uint64_t quote = m.quote & valid, lf = m.lf & valid, cr = m.cr & valid;
    any |= quote;
    const uint64_t inside = prefix_xor(quote) ^ carry;
    carry = static_cast<uint64_t>(static_cast<int64_t>(inside) >> 63);
    const uint64_t lf_after_cr = lf & ((cr << 1) | prev_cr_bit);
    prev_cr_bit = cr >> 63;
    uint64_t line_ends = (cr | (lf & ~lf_after_cr)) & ~inside;
    while (line_ends) {
      ends.push_back(base + static_cast<uint32_t>(off) +
                     static_cast<uint32_t>(__builtin_ctzll(line_ends)));
      line_ends &= line_ends - 1;
    }
  }
  out.end_in_quote = carry != 0;
  out.any_quote = any != 0;
  return out;
}

size_t split_record_impl(const char* p, size_t n, uint32_t* commas, size_t max, bool& ascii) {
  size_t count = 0;
  uint64_t high = 0;
  ascii = false;
  for (size_t off = 0; off < n; off += 64) {
    const Masks m = classify<false>(p + off);
    const uint64_t valid = low_bits(n - off);
    if (m.quote & valid) return SIZE_MAX;
    high |= m.high & valid;
    uint64_t c = m.comma & valid;
    uint32_t* dst = commas + count;  // count <= max: room for the block's 64 at most
    while (c) {
      *dst++ = static_cast<uint32_t>(off) + static_cast<uint32_t>(__builtin_ctzll(c));
      c &= c - 1;
    }
    count = static_cast<size_t>(dst - commas);
    if (count > max) return max + 1;
  }
  ascii = high == 0;
  return count;
}

}  // namespace
}  // namespace rk::csv_simd
