// Rekindle measurement: the AVX2 build of the one-pass event line parser (event_parser_impl.h),
// compiled with -mavx2 on x86-64 and used only when the CPU has AVX2 (event_parser.cpp).
#if defined(__x86_64__)
#define RK_EVENTS_AVX2 1
#include "runtime/measure/event_parser_impl.h"

namespace rk::measure {

std::unique_ptr<LineParser> make_line_parser_avx2() {
  return std::make_unique<FastParser>();
}

}  // namespace rk::measure
#endif
