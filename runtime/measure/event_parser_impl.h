// Rekindle measurement: the body of the one-pass event line parser (see event_parser.h), compiled
// once per instruction set: event_parser.cpp includes it for the x86-64 baseline (SSE2) or a
// portable build, event_parser_avx2.cpp with RK_EVENTS_AVX2 defined and -mavx2. Everything here
// has internal linkage, so the two copies never mix.
#pragma once

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

#include "base/date.h"
#include "runtime/measure/event_parser.h"

#if defined(RK_EVENTS_AVX2)
#include <immintrin.h>
#elif defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace rk::measure {
namespace {

using namespace event_keys;  // NOLINT(google-build-using-namespace): the parser's own keys

// The mask of the bytes at which the 32 bytes at p and at q are equal (bit i: byte i).
__attribute__((always_inline)) inline uint32_t equal_bytes(const char* p, const char* q) {
#if defined(RK_EVENTS_AVX2)
  return static_cast<uint32_t>(_mm256_movemask_epi8(
      _mm256_cmpeq_epi8(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)),
                        _mm256_loadu_si256(reinterpret_cast<const __m256i*>(q)))));
#elif defined(__SSE2__)
  const auto eq = [&](int at) {
    return static_cast<uint32_t>(_mm_movemask_epi8(
        _mm_cmpeq_epi8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p + at)),
                       _mm_loadu_si128(reinterpret_cast<const __m128i*>(q + at)))));
  };
  return eq(0) | (eq(16) << 16);
#else
  uint32_t m = 0;
  for (int i = 0; i < 32; ++i) m |= static_cast<uint32_t>(p[i] == q[i]) << i;
  return m;
#endif
}

// How many bytes string() scans at once (0: byte by byte), and for the kScan bytes at p the masks
// (bit i: byte i) of the quotes and of the bytes that stop a plain string: a backslash, or a byte
// below 0x20 or above 0x7F (one signed compare catches both). kScan bytes at p must be readable.
#if defined(RK_EVENTS_AVX2)
constexpr ptrdiff_t kScan = 32;
__attribute__((always_inline)) inline void scan_masks(const char* p, unsigned& quotes,
                                                      unsigned& stops) {
  const __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
  quotes = static_cast<unsigned>(_mm256_movemask_epi8(_mm256_cmpeq_epi8(v, _mm256_set1_epi8('"'))));
  stops = static_cast<unsigned>(_mm256_movemask_epi8(_mm256_or_si256(
      _mm256_cmpeq_epi8(v, _mm256_set1_epi8('\\')), _mm256_cmpgt_epi8(_mm256_set1_epi8(0x20), v))));
}
#elif defined(__SSE2__)
constexpr ptrdiff_t kScan = 16;
__attribute__((always_inline)) inline void scan_masks(const char* p, unsigned& quotes,
                                                      unsigned& stops) {
  const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
  quotes = static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8('"'))));
  stops = static_cast<unsigned>(_mm_movemask_epi8(_mm_or_si128(
      _mm_cmpeq_epi8(v, _mm_set1_epi8('\\')), _mm_cmplt_epi8(v, _mm_set1_epi8(0x20)))));
}
#else
constexpr ptrdiff_t kScan = 0;
inline void scan_masks(const char*, unsigned& quotes, unsigned& stops) {
  quotes = stops = 0;
}
#endif

// Whether a plain string goes on over the byte c (scan_masks' test, one byte).
__attribute__((always_inline)) inline bool plain_byte(char c) {
  const auto u = static_cast<unsigned char>(c);
  return u >= 0x20 && u < 0x80 && c != '"' && c != '\\';
}

// A key's text as the writer spells it (with what comes before and after it), padded to 32
// bytes, and the mask of its own bytes.
struct Fixed {
  alignas(32) char text[32] = {};
  uint32_t mask = 0;
  size_t size = 0;
};
template <size_t N>
constexpr Fixed fixed(const char (&text)[N]) {
  static_assert(N - 1 <= 32);
  Fixed f;
  for (size_t i = 0; i + 1 < N; ++i) f.text[i] = text[i];
  f.size = N - 1;
  f.mask = N - 1 == 32 ? UINT32_MAX : (uint32_t{1} << (N - 1)) - 1;
  return f;
}
constexpr Fixed kRunIdKey = fixed("{\"run_id\":"), kAsOfKey = fixed(",\"as_of\":"),
                kCustomerKey = fixed(",\"customer_id\":"), kSequenceKey = fixed(",\"sequence\":"),
                kStatusKey = fixed(",\"status\":"), kTouchKey = fixed(",\"touch\":"),
                kStepKey = fixed(",\"step\":"), kVariantKey = fixed(",\"variant\":"),
                kChannelKey = fixed(",\"channel\":"), kOfferKey = fixed(",\"offer\":"),
                kStoppedByKey = fixed(",\"stopped_by\":"), kReviewKey = fixed(",\"review\":"),
                kCohortKey = fixed(",\"cohort\":"), kShareKey = fixed(",\"holdout_share\":"),
                kWouldBeKey = fixed(",\"would_be\":"), kWouldBeStatusKey = fixed("{\"status\":");

// The one-pass parser: a strict reader of the lines that need nothing unusual. It validates as
// much as simdjson does for what it accepts (JSON's grammar, UTF-8, the types measure needs) and
// gives up (returns false) on anything else: an escape, a repeated key of the event or of its
// cohort, a number of unusual size, deep nesting, or any error. A line it gives up on is parsed
// again by simdjson, which reads it or names what is wrong, so the fast path never changes what
// is read or what an error says (tests/runtime/test_measure.cpp reads thousands of mutated files
// both ways).
//
// Speed comes from three things. The byte after a line is always readable and is '\n' or '\0',
// neither of which can continue a JSON token, so most steps need no bounds check. A line in the
// exact shape `rekindle eval --events` writes is read straight through (writer_line()): each key
// is one compare with its known text, the run id and date are taken whole when the line starts as
// the last one did, and a cohort with the last one's names is filled in place. Any other line is
// read member by member, and each object remembers the key text it had at each position in the
// previous line, so a key is usually still recognised by comparing its bytes in place, without
// scanning it or looking it up.
class FastParser final : public LineParser {
 public:
  bool parse(const char* p, const char* end, const char* readable, Event& e) override {
    const char* q = parse_object(p, end, readable, e);
    return q && ws(q) == end;
  }
  // (No scan here passes a '\n': none is whitespace or part of a token.)
  bool parse_line(const char* p, const char* bound, const char* readable, Event& e,
                  const char*& line_end) override {
    const char* q = parse_object(p, bound, readable, e);
    if (!q || *(q = ws(q)) != '\n') return false;
    line_end = q;
    return true;
  }

 private:
  // The event object at p: the position after its '}', or null.
  const char* parse_object(const char* p, const char* end, const char* readable, Event& e) {
    end_ = end;
    readable_ = readable;
    // e.decision is not reset: a line read here has every one of its keys, each assigned. Nor
    // is e.cohort here: cohort() fills it in place (or clears it first).
    e.would_be.reset();
    e.cohort_layout = 0;
    if (const char* q = writer_line(p, e)) return q;
    e.would_be.reset();
    e.cohort.clear();
    e.cohort_layout = 0;
    p = ws(p);
    if (*p != '{') return nullptr;
    ++p;
    unsigned seen = 0;
    for (size_t i = 0;; ++i) {
      int k = -1;
      bool hit = false;
      std::string_view name;
      const Step step = member(p, i < kPredicted ? &top_[i] : nullptr, i == 0, name, k, hit);
      if (step == Step::End) break;
      if (step == Step::Fail) return nullptr;
      if (k < 0) {
        p = skip(p, 1);
      } else {
        if (seen & (1U << k)) return nullptr;  // a repeated key: simdjson's walk decides
        seen |= 1U << k;
        p = value(static_cast<Key>(k), p, e);
      }
      if (!p) return nullptr;
    }
    return seen == (1U << kKeyCount) - 1 ? p : nullptr;
  }

  // What came between the previous member of an object (or its '{') and the value at one position
  // of the object in the previous line: whitespace, a comma, the quoted key and a colon, exactly
  // as they were written; the key's place in it and its Key (-1: one measure does not read).
  // len 0: nothing remembered (the gap was longer than 32 bytes).
  struct Predicted {
    alignas(16) char gap[32];
    uint8_t len = 0, name_at = 0, name_len = 0;
    uint32_t mask = 0;  // the low `len` bits
    int key = -1;
  };
  static constexpr size_t kPredicted = 32;  // positions remembered per object

  static const char* ws(const char* p) {
    if (static_cast<unsigned char>(*p) > ' ') return p;  // the usual case: no whitespace
    while (*p == ' ' || *p == '\t' || *p == '\r') ++p;
    return p;
  }
  // After a key: whitespace, ':', whitespace.
  static const char* colon(const char* p) {
    p = ws(p);
    if (*p != ':') return nullptr;
    return ws(p + 1);
  }
  // Whether the remembered gap is at p (32 bytes from p are readable).
  static bool same(const char* p, const Predicted& pred) {
    return (~equal_bytes(p, pred.gap) & pred.mask) == 0;
  }
  enum class Step { Member, End, Fail };
  // The next member of an object: p is just after its '{' (`first`) or just after the previous
  // member's value. Member: p is moved to the value, with the key's text and Key, and `hit` says
  // whether the gap was the remembered one (else it is remembered now). End: p is moved past the
  // '}'.
  __attribute__((always_inline)) Step member(const char*& p, Predicted* pred, bool first,
                                             std::string_view& name, int& k, bool& hit) const {
    if (pred && pred->len && readable_ - p >= 32 && same(p, *pred)) {
      // A remembered gap was read and checked when it was remembered, and it holds no '\n' or
      // '\0' (which follow the line), so the match lies inside the line.
      name = std::string_view(p + pred->name_at, pred->name_len);
      k = pred->key;
      hit = true;
      p += pred->len;
      return Step::Member;
    }
    hit = false;
    return new_member(p, pred, first, name, k);
  }
  // member() when the gap is not the remembered one.
  __attribute__((noinline)) Step new_member(const char*& p, Predicted* pred, bool first,
                                            std::string_view& name, int& k) const {
    const char* const gap = p;
    const char* q = ws(p);
    if (*q == '}') {
      p = q + 1;
      return Step::End;
    }
    if (!first) {
      if (*q != ',') return Step::Fail;
      q = ws(q + 1);
    }
    const char* const quote = q;
    if (!(q = string(q, name)) || !(q = colon(q))) return Step::Fail;
    k = key_of(name);
    if (pred) {
      const auto len = static_cast<size_t>(q - gap);
      pred->len = len <= sizeof pred->gap ? static_cast<uint8_t>(len) : 0;
      if (pred->len) {
        std::memcpy(pred->gap, gap, len);
        pred->name_at = static_cast<uint8_t>(quote + 1 - gap);
        pred->name_len = static_cast<uint8_t>(name.size());
        pred->mask = len == 32 ? UINT32_MAX : (uint32_t{1} << len) - 1;
        pred->key = k;
      }
    }
    p = q;
    return Step::Member;
  }
  // Past a multi-byte UTF-8 sequence starting at p (*p >= 0x80), or null when it is not valid
  // (overlong forms, surrogates and code points above U+10FFFF are not).
  const char* utf8(const char* p) const {
    const auto byte = [&](ptrdiff_t i) { return static_cast<unsigned char>(p[i]); };
    const auto cont = [&](ptrdiff_t i) { return (byte(i) & 0xC0) == 0x80; };
    const unsigned char c = byte(0);
    const ptrdiff_t left = end_ - p;
    if (c < 0xC2) return nullptr;
    if (c <= 0xDF) return left >= 2 && cont(1) ? p + 2 : nullptr;
    if (c <= 0xEF) {
      if (left < 3) return nullptr;
      const unsigned lo = c == 0xE0 ? 0xA0 : 0x80, hi = c == 0xED ? 0x9F : 0xBF;
      return byte(1) >= lo && byte(1) <= hi && cont(2) ? p + 3 : nullptr;
    }
    if (c <= 0xF4) {
      if (left < 4) return nullptr;
      const unsigned lo = c == 0xF0 ? 0x90 : 0x80, hi = c == 0xF4 ? 0x8F : 0xBF;
      return byte(1) >= lo && byte(1) <= hi && cont(2) && cont(3) ? p + 4 : nullptr;
    }
    return nullptr;
  }
  // A string at p (its opening quote): its text in `out`; returns the position after the closing
  // quote, or null for a string with an escape, a control character or invalid UTF-8. The '\n'
  // or '\0' after the line is a control character, so the scan stops there at the latest.
  __attribute__((always_inline)) const char* string(const char* p, std::string_view& out) const {
    if (*p != '"') return nullptr;
    const char* const begin = ++p;
    // The usual string: its closing quote among the next kScan bytes, and nothing before it to
    // stop at. Where it ends is found from the quotes alone, and the check of the bytes before
    // it is a predictable branch beside that: reading a line is a chain of such ends, each
    // waiting for the one before, so the chain is kept short.
    if (kScan > 0 && readable_ - p >= kScan) {
      unsigned quotes = 0, stops = 0;
      scan_masks(p, quotes, stops);
      if (quotes) {
        const unsigned end = __builtin_ctz(quotes);
        if ((stops & ((1U << end) - 1)) == 0) {
          out = std::string_view(begin, end);
          return p + end + 1;
        }
      }
    }
    while (true) {
      if (kScan > 0 && readable_ - p >= kScan) {
        unsigned quotes = 0, stops = 0;
        scan_masks(p, quotes, stops);
        if ((quotes | stops) == 0) {
          p += kScan;
          continue;
        }
        p += __builtin_ctz(quotes | stops);
      } else {
        while (plain_byte(*p)) ++p;
      }
      if (*p == '"') {
        out = std::string_view(begin, static_cast<size_t>(p - begin));
        return p + 1;
      }
      if (static_cast<unsigned char>(*p) < 0x80 || !(p = utf8(p))) return nullptr;
    }
  }
  // A literal (null, true, false): a compare of a known size, inlined.
  template <size_t N>
  const char* literal(const char* p, const char (&word)[N]) const {
    constexpr size_t n = N - 1;
    if (static_cast<size_t>(end_ - p) < n || std::memcmp(p, word, n) != 0) return nullptr;
    return p + n;
  }
  static bool digit(char c) { return c >= '0' && c <= '9'; }
  // A JSON number of ordinary size at p: at most 18 integer digits (so it is an int64), at most 18
  // fraction digits and at most 2 exponent digits (so it is a finite double, as simdjson reads
  // it). `integer`: neither a fraction nor an exponent.
  const char* number(const char* p, bool& integer) const {
    // The usual number, an integer of up to 7 digits: its digits counted at once from a word's
    // bytes (no branch on each digit: a churn risk has one or two, unpredictably).
    if (readable_ - p >= 9) {
      const char* const q = p + (*p == '-' ? 1 : 0);
      uint64_t w = 0;
      std::memcpy(&w, q, 8);
      const uint64_t t = w ^ 0x3030303030303030ULL;  // digits: bytes 0 .. 9
      // A byte's high bit: not a digit (a carry out of a byte above 0x89 only reaches the bytes
      // after it, and only the first non-digit counts).
      const uint64_t other = ((t + 0x7676767676767676ULL) | t) & 0x8080808080808080ULL;
      if (other) {
        const auto n = static_cast<unsigned>(__builtin_ctzll(other)) / 8;
        const char after = q[n];
        if (n >= 1 && (n == 1 || *q != '0') && after != '.' && after != 'e' && after != 'E') {
          integer = true;
          return q + n;
        }
      }
    }
    if (*p == '-') ++p;
    const char* const digits = p;
    if (*p == '0')
      ++p;
    else if (*p >= '1' && *p <= '9')
      while (digit(*p)) ++p;
    else
      return nullptr;
    if (p - digits > 18) return nullptr;
    integer = true;
    if (*p == '.') {
      const char* const f = ++p;
      while (digit(*p)) ++p;
      if (p == f || p - f > 18) return nullptr;
      integer = false;
    }
    if (*p == 'e' || *p == 'E') {
      ++p;
      if (*p == '+' || *p == '-') ++p;
      const char* const x = p;
      while (digit(*p)) ++p;
      if (p == x || p - x > 2) return nullptr;
      integer = false;
    }
    return p;
  }
  // Any JSON value at p, validated and skipped (keys and values measure does not read).
  __attribute__((noinline)) const char* skip(const char* p, int depth) const {
    std::string_view s;
    bool integer = false;
    switch (*p) {
      case '"':
        return string(p, s);
      case 'n':
        return literal(p, "null");
      case 't':
        return literal(p, "true");
      case 'f':
        return literal(p, "false");
      case '[':
      case '{': {
        if (depth >= kMaxDepth) return nullptr;
        const char close = *p == '[' ? ']' : '}';
        p = ws(p + 1);
        if (*p == close) return p + 1;
        while (true) {
          if (close == '}' && (!(p = string(p, s)) || !(p = colon(p)))) return nullptr;
          if (!(p = skip(p, depth + 1))) return nullptr;
          p = ws(p);
          if (*p == close) return p + 1;
          if (*p != ',') return nullptr;
          p = ws(p + 1);
        }
      }
      default:
        return number(p, integer);
    }
  }
  __attribute__((always_inline)) const char* string_or_null(
      const char* p, std::optional<std::string_view>& out) const {
    out.reset();
    if (*p == 'n') return literal(p, "null");
    std::string_view s;
    if (!(p = string(p, s))) return nullptr;
    out = s;
    return p;
  }
  // A touch: a plain integer or null (3.0 and other spellings go to simdjson).
  __attribute__((always_inline)) const char* integer_or_null(const char* p,
                                                             std::optional<int64_t>& out) const {
    out.reset();
    if (*p == 'n') return literal(p, "null");
    const char* const begin = p;
    bool integer = false;
    if (*p == '-' || !(p = number(p, integer)) || !integer) return nullptr;
    int64_t v = 0;
    for (const char* d = begin; d != p; ++d) v = v * 10 + (*d - '0');
    out = v;
    return p;
  }
  const char* share(const char* p, double& out) const {
    const char* const begin = p;
    bool integer = false;
    if (*p == '-' || !(p = number(p, integer))) return nullptr;
    double x = 0;
    if (integer) {
      int64_t v = 0;
      for (const char* d = begin; d != p; ++d) v = v * 10 + (*d - '0');
      x = static_cast<double>(v);
    } else {
      // Correctly rounded, as simdjson's reading is: both give the nearest double.
      const auto r = std::from_chars(begin, p, x);
      if (r.ec != std::errc{} || r.ptr != p) return nullptr;
    }
    if (!(x >= 0 && x <= 100)) return nullptr;
    out = x;
    return p;
  }
  const char* decision(unsigned k, const char* p, EventDecision& d) const {
    switch (k) {
      case kStatus:
        return string(p, d.status);
      case kTouch:
        return integer_or_null(p, d.touch);
      case kStep:
        return string_or_null(p, d.step);
      case kVariant:
        return string_or_null(p, d.variant);
      case kChannel:
        return string_or_null(p, d.channel);
      case kOffer:
        return string_or_null(p, d.offer);
      default:
        return nullptr;
    }
  }
  __attribute__((noinline)) const char* would_be(const char* p, Event& e) {
    if (*p == 'n') return literal(p, "null");
    if (*p != '{') return nullptr;
    EventDecision& d = e.would_be.emplace();
    unsigned seen = 0;
    ++p;
    for (size_t i = 0;; ++i) {
      std::string_view name;
      int k = -1;
      bool hit = false;
      const Step step = member(p, i < kPredicted ? &would_be_[i] : nullptr, i == 0, name, k, hit);
      if (step == Step::End) break;
      if (step == Step::Fail) return nullptr;
      if (k >= static_cast<int>(kStatus) && k <= static_cast<int>(kOffer)) {
        seen |= 1U << k;  // a repeated key: the last one counts, as in simdjson's walk
        p = decision(static_cast<unsigned>(k), p, d);
      } else {
        p = skip(p, 2);
      }
      if (!p) return nullptr;
    }
    constexpr unsigned all = ((1U << (kOffer + 1)) - 1) & ~((1U << kStatus) - 1);
    return seen == all ? p : nullptr;
  }
  // A cohort entry's value at p: a label, null, or another value (skipped).
  __attribute__((always_inline)) const char* entry_value(const char* p, CohortEntry& entry) const {
    if (*p == '"') {
      entry.kind = CohortEntry::Kind::Label;
      return string(p, entry.label);
    }
    entry.label = {};
    if (*p == 'n') {
      entry.kind = CohortEntry::Kind::Null;
      return literal(p, "null");
    }
    entry.kind = CohortEntry::Kind::Other;
    bool integer = false;
    return digit(*p) || *p == '-' ? number(p, integer) : skip(p, 2);
  }
  // The cohort at p (just after its '{') when it has the names of the last one read, at their
  // remembered places: the entries are filled in order with one compare per name and no
  // bookkeeping, and the layout number stays. Null when it differs anywhere (nothing is kept
  // then: the general loop reads it again).
  __attribute__((always_inline)) const char* same_cohort(const char* p, Event& e) {
    const size_t n = cohort_size_;
    if (n == kUnknownSize || n > kPredicted) return nullptr;
    e.cohort.resize(n);  // usually a no-op: the event held a cohort of this size before
    for (size_t i = 0; i < n; ++i) {
      const Predicted& gap = cohort_[i];
      if (!gap.len || readable_ - p < 32 || !same(p, gap)) return nullptr;
      CohortEntry& entry = e.cohort[i];
      entry.name = std::string_view(p + gap.name_at, gap.name_len);
      if (!(p = entry_value(p + gap.len, entry))) return nullptr;
    }
    if (*p != '}') return nullptr;
    e.cohort_layout = layout_id_;
    return p + 1;
  }
  __attribute__((noinline)) const char* cohort(const char* p, Event& e) {
    if (*p != '{') return nullptr;
    ++p;
    if (const char* q = same_cohort(p, e)) return q;
    e.cohort.clear();
    // Whether every name is the remembered one at its position: then the names are those of the
    // last cohort read here (which had no repeated name) and its layout number stays.
    bool same_names = true;
    for (size_t i = 0;; ++i) {
      bool hit = false;
      int k = -1;
      // Filled in place (and dropped at the end of the object): a local entry or name copied in
      // would be stored in pieces and reloaded whole, which stalls the store buffer.
      CohortEntry& entry = e.cohort.emplace_back();
      const Step step =
          member(p, i < kPredicted ? &cohort_[i] : nullptr, i == 0, entry.name, k, hit);
      if (step == Step::End) {
        e.cohort.pop_back();
        break;
      }
      if (step == Step::Fail) return nullptr;
      if (!hit) {
        // The remembered names are changing: no longer those of a known layout.
        same_names = false;
        cohort_size_ = kUnknownSize;
      }
      if (!(p = entry_value(p, entry))) return nullptr;
    }
    if (!same_names || e.cohort.size() != cohort_size_) {
      // New names: a repeated one goes to simdjson's walk (the last value counts there).
      for (size_t i = 1; i < e.cohort.size(); ++i)
        for (size_t j = 0; j < i; ++j)
          if (e.cohort[j].name == e.cohort[i].name) {
            cohort_size_ = kUnknownSize;
            return nullptr;
          }
      cohort_size_ = e.cohort.size();
      ++layout_id_;
    }
    e.cohort_layout = layout_id_;
    return p;
  }
  // Past the text `f` at p, or null. It holds no '\n' or '\0', so a match lies inside the line.
  __attribute__((always_inline)) const char* expect(const char* p, const Fixed& f) const {
    if (readable_ - p < 32 || (~equal_bytes(p, f.text) & f.mask) != 0) return nullptr;
    return p + f.size;
  }
  // The line as `rekindle eval --events` writes it (runtime/handoff.cpp): its keys in the
  // writer's order, nothing between the tokens. Each key is one compare with its known text, and
  // nothing is looked up; a line that differs in any way (another order, whitespace, a key more
  // or less) is read by the general path instead, from its start. The values are read and checked
  // exactly as there, by the same functions.
  const char* writer_line(const char* p, Event& e) {
    if (!(p = run_prefix(p, e)) || !(p = string(p, e.customer_id)) || !(p = sequence(p, e)) ||
        !(p = expect(p, kStatusKey)) || !(p = string(p, e.decision.status)) ||
        !(p = writer_decision(p, e.decision)) || !(p = expect(p, kStoppedByKey)))
      return nullptr;
    // stopped_by and review: any value (measure reads neither), usually null and [].
    if (*p == 'n') {
      if (!(p = literal(p, "null"))) return nullptr;
    } else if (!(p = skip(p, 1))) {
      return nullptr;
    }
    if (!(p = expect(p, kReviewKey))) return nullptr;
    if (p[0] == '[' && p[1] == ']')
      p += 2;
    else if (!(p = skip(p, 1)))
      return nullptr;
    if (!(p = expect(p, kCohortKey)) || !(p = cohort(p, e)) || !(p = expect(p, kShareKey)) ||
        !(p = share(p, e.holdout_share)) || !(p = expect(p, kWouldBeKey)))
      return nullptr;
    if (*p == 'n') {
      if (!(p = literal(p, "null"))) return nullptr;  // e.would_be is reset
    } else {
      EventDecision& d = e.would_be.emplace();
      if (!(p = expect(p, kWouldBeStatusKey)) || !(p = string(p, d.status)) ||
          !(p = writer_decision(p, d)) || *p != '}')
        return nullptr;
      ++p;
    }
    return *p == '}' ? p + 1 : nullptr;
  }
  // The line's start up to customer_id's value: run_id and as_of, the same on every line of a
  // run. When its bytes are those of the last writer-shaped line's (compared 32 at a time), so are
  // run_id and as_of, at the same places; else they are read, and these bytes remembered. They
  // hold no '\n' or '\0', so a match lies inside the line.
  __attribute__((always_inline)) const char* run_prefix(const char* p, Event& e) {
    if (prefix_.len && readable_ - p >= static_cast<ptrdiff_t>(kPrefixBytes)) {
      uint32_t differ = 0;
      for (size_t b = 0; b < kPrefixBytes / 32; ++b)
        differ |= ~equal_bytes(p + 32 * b, prefix_.text + 32 * b) & prefix_.mask[b];
      if (!differ) {
        e.run_id = std::string_view(p + prefix_.run_at, prefix_.run_len);
        e.as_of = prefix_.as_of;
        return p + prefix_.len;
      }
    }
    const char* const start = p;
    if (!(p = expect(p, kRunIdKey)) || !(p = string(p, e.run_id)) || e.run_id.empty() ||
        !(p = expect(p, kAsOfKey)) || !(p = as_of(p, e)) || !(p = expect(p, kCustomerKey)))
      return nullptr;
    const auto len = static_cast<size_t>(p - start);
    prefix_.len = 0;
    if (len <= kPrefixBytes && readable_ - start >= static_cast<ptrdiff_t>(kPrefixBytes)) {
      std::memcpy(prefix_.text, start, kPrefixBytes);
      for (size_t b = 0; b < kPrefixBytes / 32; ++b) {
        const size_t n = len > 32 * b ? std::min<size_t>(len - 32 * b, 32) : 0;
        prefix_.mask[b] = n == 32 ? UINT32_MAX : (uint32_t{1} << n) - 1;
      }
      prefix_.run_at = static_cast<size_t>(e.run_id.data() - start);
      prefix_.run_len = e.run_id.size();
      prefix_.as_of = e.as_of;
      prefix_.len = len;
    }
    return p;
  }
  // The sequence member, recognised whole (key and value) when it is the last line's.
  __attribute__((always_inline)) const char* sequence(const char* p, Event& e) {
    if (sequence_.len && readable_ - p >= 32 &&
        (~equal_bytes(p, sequence_.text) & sequence_.mask) == 0) {
      e.sequence = std::string_view(p + sequence_.at, sequence_.value_len);
      return p + sequence_.len;
    }
    const char* const start = p;
    if (!(p = expect(p, kSequenceKey)) || !(p = string(p, e.sequence))) return nullptr;
    const auto len = static_cast<size_t>(p - start);
    sequence_.len = 0;
    if (len <= 32 && readable_ - start >= 32) {
      std::memcpy(sequence_.text, start, 32);
      sequence_.mask = len == 32 ? UINT32_MAX : (uint32_t{1} << len) - 1;
      sequence_.at = static_cast<uint8_t>(e.sequence.data() - start);
      sequence_.value_len = static_cast<uint8_t>(e.sequence.size());
      sequence_.len = static_cast<uint8_t>(len);
    }
    return p;
  }
  // A decision's touch, step, variant, channel and offer as the writer puts them (after status).
  __attribute__((always_inline)) const char* writer_decision(const char* p,
                                                             EventDecision& d) const {
    if (!(p = expect(p, kTouchKey)) || !(p = integer_or_null(p, d.touch)) ||
        !(p = expect(p, kStepKey)) || !(p = string_or_null(p, d.step)) ||
        !(p = expect(p, kVariantKey)) || !(p = string_or_null(p, d.variant)) ||
        !(p = expect(p, kChannelKey)) || !(p = string_or_null(p, d.channel)) ||
        !(p = expect(p, kOfferKey)))
      return nullptr;
    return string_or_null(p, d.offer);
  }
  // as_of's date (the text of the last one read, and its day number, are kept).
  __attribute__((always_inline)) const char* as_of(const char* p, Event& e) {
    std::string_view s;
    if (!(p = string(p, s))) return nullptr;
    if (s != as_of_text_) {
      int32_t days = 0;
      if (!parse_iso_date(s, days)) return nullptr;
      as_of_text_.assign(s);
      as_of_days_ = days;
    }
    e.as_of = as_of_days_;
    return p;
  }
  __attribute__((always_inline)) const char* value(Key k, const char* p, Event& e) {
    switch (k) {
      case kRunId:
        p = string(p, e.run_id);
        return p && !e.run_id.empty() ? p : nullptr;
      case kCustomerId:
        return string(p, e.customer_id);
      case kSequence:
        return string(p, e.sequence);
      case kAsOf:
        return as_of(p, e);
      case kStatus:
      case kTouch:
      case kStep:
      case kVariant:
      case kChannel:
      case kOffer:
        return decision(k, p, e.decision);
      case kHoldoutShare:
        return share(p, e.holdout_share);
      case kCohort:
        return cohort(p, e);
      case kWouldBe:
        return would_be(p, e);
      case kKeyCount:
        break;
    }
    return nullptr;
  }

  static constexpr int kMaxDepth = 64;  // simdjson's own limit is far higher
  const char* end_ = nullptr;
  const char* readable_ = nullptr;
  std::string as_of_text_;  // the last as_of read, and its day number
  int32_t as_of_days_ = 0;
  Predicted top_[kPredicted], would_be_[kPredicted], cohort_[kPredicted];
  // The last writer-shaped line's start (len 0: none remembered), and its sequence member.
  static constexpr size_t kPrefixBytes = 96;
  struct Prefix {
    alignas(32) char text[kPrefixBytes];
    uint32_t mask[kPrefixBytes / 32] = {};
    size_t len = 0, run_at = 0, run_len = 0;
    int32_t as_of = 0;
  } prefix_;
  struct Member {
    alignas(32) char text[32];
    uint32_t mask = 0;
    uint8_t len = 0, at = 0, value_len = 0;
  } sequence_;
  static constexpr size_t kUnknownSize = SIZE_MAX;
  size_t cohort_size_ = kUnknownSize;  // entries of the last cohort read, if cohort_ holds them
  uint64_t layout_id_ = 0;
};

}  // namespace
}  // namespace rk::measure
