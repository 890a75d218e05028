// Rekindle runtime: UTF-8 validity checks for string values, shared by the CSV and Arrow readers
// (a value that is not valid UTF-8 is a data error naming its row, column and byte).
#pragma once

#include <cstddef>
#include <string_view>

namespace rk {

// Whether `s` is valid UTF-8 (no overlong forms, no surrogates, at most U+10FFFF).
bool is_valid_utf8(std::string_view s);
// The offset of the first byte of `s` that is not valid UTF-8, or npos.
size_t first_invalid_utf8(std::string_view s);
// Whether the n bytes at p are all ASCII (below 0x80).
bool all_ascii(const char* p, size_t n);

}  // namespace rk
