// Rekindle measurement: the baseline build of the one-pass event line parser (SSE2 on x86-64,
// portable elsewhere; event_parser_impl.h) and the choice, made once, between it and the AVX2
// build (event_parser_avx2.cpp).
#include "runtime/measure/event_parser_impl.h"

#include <cstdlib>
#include <cstring>

namespace rk::measure {

namespace {

using Make = std::unique_ptr<LineParser> (*)();

struct Choice {
  Make make;
  const char* name;
};

std::unique_ptr<LineParser> make_this_build() {
  return std::make_unique<FastParser>();
}

Choice choose() {
#if defined(__x86_64__)
  const char* force = std::getenv("RK_EVENTS_SIMD");
  const bool baseline = force && std::strcmp(force, "sse2") == 0;
  __builtin_cpu_init();
  if (!baseline && __builtin_cpu_supports("avx2")) return {make_line_parser_avx2, "avx2"};
  return {make_this_build, "sse2"};
#elif defined(__SSE2__)
  return {make_this_build, "sse2"};
#else
  return {make_this_build, "portable"};
#endif
}

const Choice& chosen() {
  static const Choice choice = choose();
  return choice;
}

}  // namespace

#if defined(__x86_64__)
std::unique_ptr<LineParser> make_line_parser_baseline() {
  return make_this_build();
}
#endif

std::unique_ptr<LineParser> make_line_parser() {
  return chosen().make();
}

const char* line_parser_isa() {
  return chosen().name;
}

}  // namespace rk::measure
