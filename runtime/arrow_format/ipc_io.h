// Rekindle runtime: small shared pieces of the Arrow IPC reader and writer (magic bytes, padding,
// checked little-endian loads, Arrow type names for error messages).
#pragma once

#include <cstdint>
#include <cstring>
#include <string>

#include "runtime/arrow_format/arrow_ipc_generated.h"

namespace rk::arrow_ipc {

namespace fb = rk::arrowfb;

inline constexpr char kMagic[6] = {'A', 'R', 'R', 'O', 'W', '1'};
inline constexpr uint32_t kContinuation = 0xFFFFFFFFu;

inline constexpr int64_t pad8(int64_t n) {
  return (n + 7) & ~int64_t{7};
}

template <typename T>
inline T load(const uint8_t* p) {
  T v;
  std::memcpy(&v, p, sizeof(T));
  return v;
}

// "int32", "utf8", "dictionary<utf8>", "list<utf8>", "timestamp[ms]" ... for messages.
std::string type_name(const fb::Field* field);

}  // namespace rk::arrow_ipc
