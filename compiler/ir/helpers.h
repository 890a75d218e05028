// Rekindle IR: bit tests on the batch ABI's bitmaps (compiler/ir/batch_abi.h), shared by the
// readers, the writers, the interpreter and the atom preparation. Dates and FNV-1a are in base/.
#pragma once

#include <cstdint>

namespace rk {

inline bool bit_is_set(const uint8_t* bits, int64_t i) {
  return (bits[i >> 3] >> (i & 7)) & 1;
}
inline bool is_present(const uint8_t* validity, int64_t i) {
  return validity == nullptr || bit_is_set(validity, i);
}

}  // namespace rk
