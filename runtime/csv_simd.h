// Rekindle runtime: vectorised structural scanning of CSV text, 64 bytes at a time: where the
// quotes, line ends and commas are. An SSE2 version (the x86-64 baseline) and an AVX2 + PCLMUL
// version are compiled; the fastest one the CPU supports is chosen at run time
// (RK_CSV_SIMD=sse2 forces the baseline, for tests and comparisons). Other architectures use a
// portable 64-bit version.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace rk::csv_simd {

// Every function here may read up to 64 bytes past the end of the range it is given (never
// using them): callers keep that much readable memory after their data.
inline constexpr size_t kReadPastEnd = 64;

// The quote state and line ends of a range of CSV text.
struct LineScan {
  bool end_in_quote = false;  // the range ends inside a quoted field
  bool any_quote = false;     // the range has a '"'
};

// Scans [p, p + n) and appends to `ends` the offset (from `origin`) of every line end outside a
// quoted field: a '\r', or a '\n' that does not follow a '\r' (so "\r\n" ends a line at its
// '\r'; the '\n' after it belongs to no line). `in_quote`: the range starts inside a quoted field
// (by the parity of the quotes before it); `prev_cr`: the byte before p is '\r'. A quote toggles
// the state, so a doubled quote inside a quoted field leaves it inside.
LineScan scan_lines(const char* origin, const char* p, size_t n, bool in_quote, bool prev_cr,
                    std::vector<uint32_t>& ends);

// Splits one record without quotes: writes the offsets (from p) of the commas of [p, p + n) to
// `commas` and returns how many there are, or max + 1 when there are more than `max` (it then
// stops early). `commas` must have room for max + 64 entries: the positions of a 64-byte block are
// written before they are counted. Returns SIZE_MAX when the record has a '"' (then the caller
// splits it by hand). `ascii`: set when the whole record is ASCII (every byte below 0x80; only
// meaningful when the count is returned).
size_t split_record(const char* p, size_t n, uint32_t* commas, size_t max, bool& ascii);

// The name of the version in use ("avx2", "sse2" or "portable").
const char* isa();

}  // namespace rk::csv_simd
