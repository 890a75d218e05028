// Rekindle base: FNV-1a 64 (Fowler-Noll-Vo, the 64-bit FNV-1a variant), the hash of holdout and
// variant buckets (compiler/ir/bucket.h) and of a rule set's sources (runtime/session.h). Header
// only: the hot loops (a holdout table per batch) inline it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace rk {

inline constexpr uint64_t kFnvOffset = 14695981039346656037ull;
inline constexpr uint64_t kFnvPrime = 1099511628211ull;

// The hash `h` continued over `bytes`: fnv1a64(a + b) == fnv1a64_update(fnv1a64(a), b).
inline constexpr uint64_t fnv1a64_update(uint64_t h, std::string_view bytes) {
  for (const char c : bytes) {
    h ^= static_cast<unsigned char>(c);
    h *= kFnvPrime;
  }
  return h;
}
inline constexpr uint64_t fnv1a64(std::string_view bytes) {
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

}  // namespace rk
