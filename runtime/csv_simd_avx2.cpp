// Rekindle runtime: the AVX2 + PCLMUL build of the CSV structural scanner (csv_simd_impl.h),
// compiled with -mavx2 -mpclmul on x86-64 and called only when the CPU has both (csv_simd.cpp).
#if defined(__x86_64__)
#define RK_CSV_SIMD_AVX2 1
#include "runtime/csv_simd_impl.h"

namespace rk::csv_simd {

LineScan scan_lines_avx2(const char* origin, const char* p, size_t n, bool in_quote, bool prev_cr,
                         std::vector<uint32_t>& ends) {
  return scan_lines_impl(origin, p, n, in_quote, prev_cr, ends);
}

size_t split_record_avx2(const char* p, size_t n, uint32_t* commas, size_t max, bool& ascii) {
  return split_record_impl(p, n, commas, max, ascii);
}

}  // namespace rk::csv_simd
#endif
