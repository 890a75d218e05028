// Rekindle measurement: the event reader's one-pass line parser (internal to runtime/measure/). The
// same code (event_parser_impl.h) is compiled for the x86-64 baseline (SSE2, event_parser.cpp) and
// for AVX2 (event_parser_avx2.cpp); make_line_parser() picks the best one the CPU supports, once
// (RK_EVENTS_SIMD=sse2 forces the baseline, for tests and comparisons). Also the event's keys,
// which the simdjson walk in events.cpp shares.
#pragma once

#include <memory>
#include <string_view>

#include "runtime/measure/events.h"

namespace rk::measure::event_keys {

// Keys of an event that measure reads (bit positions of a `seen` mask).
enum Key : unsigned {
  kRunId,
  kAsOf,
  kCustomerId,
  kSequence,
  kStatus,
  kTouch,
  kStep,
  kVariant,
  kChannel,
  kOffer,
  kCohort,
  kHoldoutShare,
  kWouldBe,
  kKeyCount
};
inline constexpr const char* kKeyNames[kKeyCount] = {
    "run_id",  "as_of",   "customer_id", "sequence", "status",        "touch",   "step",
    "variant", "channel", "offer",       "cohort",   "holdout_share", "would_be"};

// The key's index, or -1 for a key measure does not read. Dispatches on the length first.
inline int key_of(std::string_view k) {
  auto is = [&](Key key) { return k == kKeyNames[key] ? static_cast<int>(key) : -1; };
  switch (k.size()) {
    case 4:
      return is(kStep);
    case 5:
      return k[0] == 'a' ? is(kAsOf) : k[0] == 't' ? is(kTouch) : is(kOffer);
    case 6:
      return k[0] == 'r' ? is(kRunId) : k[0] == 's' ? is(kStatus) : is(kCohort);
    case 7:
      return k[0] == 'v' ? is(kVariant) : is(kChannel);
    case 8:
      return k[0] == 's' ? is(kSequence) : is(kWouldBe);
    case 11:
      return is(kCustomerId);
    case 13:
      return is(kHoldoutShare);
    default:
      return -1;
  }
}

}  // namespace rk::measure::event_keys

namespace rk::measure {

// The one-pass parser of one event line (event_parser_impl.h says what it accepts). It keeps what
// it learnt from earlier lines (the keys' text, recent values), so one parser reads one file.
class LineParser {
 public:
  virtual ~LineParser() = default;
  // Parses [p, end); *end is '\n' or '\0' and bytes up to `readable` may be loaded. False: the
  // line is left to simdjson (it may be valid; `e` is then unspecified).
  virtual bool parse(const char* p, const char* end, const char* readable, Event& e) = 0;
  // Parses the line at p without knowing where it ends: `bound` is a '\n' at or after its end.
  // On success, `line_end` is the '\n' that ends the line, the first after p.
  virtual bool parse_line(const char* p, const char* bound, const char* readable, Event& e,
                          const char*& line_end) = 0;
};

// A parser of the build chosen for this CPU.
std::unique_ptr<LineParser> make_line_parser();
// The name of that build ("avx2", "sse2" or "portable").
const char* line_parser_isa();

#if defined(__x86_64__)
// The builds themselves (event_parser.cpp, event_parser_avx2.cpp).
std::unique_ptr<LineParser> make_line_parser_baseline();
std::unique_ptr<LineParser> make_line_parser_avx2();
#endif

}  // namespace rk::measure
