// Rekindle runtime: the baseline build of the CSV structural scanner (SSE2 on x86-64, portable
// elsewhere) and the choice, made once, between it and the AVX2 build.
#include "runtime/csv_simd_impl.h"

#include <cstdlib>
#include <cstring>

namespace rk::csv_simd {

#if defined(__x86_64__)
LineScan scan_lines_avx2(const char* origin, const char* p, size_t n, bool in_quote, bool prev_cr,
                         std::vector<uint32_t>& ends);
size_t split_record_avx2(const char* p, size_t n, uint32_t* commas, size_t max, bool& ascii);
#endif

namespace {

struct Impl {
  LineScan (*scan_lines)(const char*, const char*, size_t, bool, bool, std::vector<uint32_t>&);
  size_t (*split_record)(const char*, size_t, uint32_t*, size_t, bool&);
  const char* name;
};

Impl choose() {
#if defined(__x86_64__)
  const char* force = std::getenv("RK_CSV_SIMD");
  const bool baseline = force && std::strcmp(force, "sse2") == 0;
  __builtin_cpu_init();
  if (!baseline && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("pclmul"))
    return {scan_lines_avx2, split_record_avx2, "avx2"};
  return {scan_lines_impl, split_record_impl, "sse2"};
#elif defined(__SSE2__)
  return {scan_lines_impl, split_record_impl, "sse2"};
#else
  return {scan_lines_impl, split_record_impl, "portable"};
#endif
}

const Impl& impl() {
  static const Impl chosen = choose();
  return chosen;
}

}  // namespace

LineScan scan_lines(const char* origin, const char* p, size_t n, bool in_quote, bool prev_cr,
                    std::vector<uint32_t>& ends) {
  return impl().scan_lines(origin, p, n, in_quote, prev_cr, ends);
}

size_t split_record(const char* p, size_t n, uint32_t* commas, size_t max, bool& ascii) {
  return impl().split_record(p, n, commas, max, ascii);
}

const char* isa() {
  return impl().name;
}

}  // namespace rk::csv_simd
