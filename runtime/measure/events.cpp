// Rekindle measurement: the event reader (see events.h). A regular file is mapped and its lines
// read in place (the one-pass parser finds where a mapped line ends); other input is cut into
// lines in a fixed buffer (grown only for a line longer than it, up to kMaxEventLineBytes). Each
// line goes to the one-pass parser first and, when that gives up, to simdjson's DOM parser
// (runtime dispatch to the CPU's best kernel) and a walk over its tape.
#include "runtime/measure/events.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <simdjson.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "base/date.h"

namespace rk::measure {

namespace dom = simdjson::dom;

namespace {

constexpr size_t kBufferBytes = size_t{4} << 20;

// The value of a simdjson result whose type was checked before (so it cannot fail).
template <class T, class R>
T value_of(R&& result) {
  T v{};
  const simdjson::error_code err = std::forward<R>(result).get(v);
  (void)err;
  return v;
}

const char* type_name(dom::element_type t) {
  switch (t) {
    case dom::element_type::ARRAY:
      return "a list";
    case dom::element_type::OBJECT:
      return "an object";
    case dom::element_type::INT64:
    case dom::element_type::UINT64:
    case dom::element_type::DOUBLE:
      return "a number";
    case dom::element_type::STRING:
      return "a string";
    case dom::element_type::BOOL:
      return "true or false";
    case dom::element_type::NULL_VALUE:
      return "null";
  }
  return "a value";
}

// Keys of an event that measure reads (bit positions of `seen`).
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
constexpr const char* kKeyNames[kKeyCount] = {
    "run_id",  "as_of",   "customer_id", "sequence", "status",        "touch",   "step",
    "variant", "channel", "offer",       "cohort",   "holdout_share", "would_be"};

// The key's index, or -1 for a key measure does not read. Dispatches on the length first: this
// runs for every key of every event.
int key_of(std::string_view k) {
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

// The parts of a decision (an event or its would_be); `where` prefixes messages ("" or
// "would_be.").
class DecisionParser {
 public:
  DecisionParser(EventDecision& d, std::string& error) : d_(d), error_(error) {}

  // Handles key `k` (one of status .. offer); returns false with error_ set on a bad value.
  bool take(unsigned k, dom::element v, std::string_view where) {
    switch (k) {
      case kStatus:
        return string(v, where, "status", d_.status);
      case kTouch:
        return integer(v, where, "touch", d_.touch);
      case kStep:
        return opt_string(v, where, "step", d_.step);
      case kVariant:
        return opt_string(v, where, "variant", d_.variant);
      case kChannel:
        return opt_string(v, where, "channel", d_.channel);
      case kOffer:
        return opt_string(v, where, "offer", d_.offer);
      default:
        return true;
    }
  }

 private:
  bool string(dom::element v, std::string_view where, const char* key, std::string_view& out) {
    if (v.type() != dom::element_type::STRING) {
      error_ = fmt::format("\"{}{}\" must be a string, not {}", where, key, type_name(v.type()));
      return false;
    }
    out = value_of<std::string_view>(v.get_string());
    return true;
  }
  bool opt_string(dom::element v, std::string_view where, const char* key,
                  std::optional<std::string_view>& out) {
    out.reset();
    if (v.type() == dom::element_type::NULL_VALUE) return true;
    std::string_view s;
    if (!string(v, where, key, s)) {
      error_ += " or null";
      return false;
    }
    out = s;
    return true;
  }
  bool integer(dom::element v, std::string_view where, const char* key,
               std::optional<int64_t>& out) {
    out.reset();
    switch (v.type()) {
      case dom::element_type::NULL_VALUE:
        return true;
      case dom::element_type::INT64: {
        int64_t i = 0;
        i = value_of<int64_t>(v.get_int64());
        out = i;
        return true;
      }
      case dom::element_type::DOUBLE: {
        double x = 0;
        x = value_of<double>(v.get_double());
        // 3.0 is the number 3 in JSON; 3.5 is not a touch.
        if (std::trunc(x) == x && std::fabs(x) < 9e15) {
          out = static_cast<int64_t>(x);
          return true;
        }
        break;
      }
      default:
        break;
    }
    error_ =
        fmt::format("\"{}{}\" must be an integer or null, not {}", where, key,
                    v.type() == dom::element_type::DOUBLE || v.type() == dom::element_type::UINT64
                        ? "this number"
                        : type_name(v.type()));
    return false;
  }

  EventDecision& d_;
  std::string& error_;
};

bool parse_event(dom::element doc, Event& e, std::string& error) {
  dom::object obj;
  if (doc.get(obj)) {
    error = fmt::format("an event must be a JSON object, not {}", type_name(doc.type()));
    return false;
  }
  unsigned seen = 0;
  e.would_be.reset();
  e.decision = {};
  e.cohort.clear();
  e.cohort_layout = 0;
  DecisionParser decision(e.decision, error);
  for (dom::key_value_pair field : obj) {
    const int k = key_of(field.key);
    if (k < 0) continue;  // stopped_by, review and any other key: not needed here
    seen |= 1U << k;
    const dom::element v = field.value;
    switch (static_cast<Key>(k)) {
      case kRunId:
      case kCustomerId:
      case kSequence:
      case kAsOf: {
        std::string_view s;
        if (v.type() != dom::element_type::STRING) {
          error = fmt::format("\"{}\" must be a string, not {}", kKeyNames[k], type_name(v.type()));
          return false;
        }
        s = value_of<std::string_view>(v.get_string());
        if (k == kRunId) {
          if (s.empty()) {
            error = "\"run_id\" is empty";
            return false;
          }
          e.run_id = s;
        } else if (k == kCustomerId) {
          e.customer_id = s;
        } else if (k == kSequence) {
          e.sequence = s;
        } else if (!parse_iso_date(s, e.as_of)) {
          error = fmt::format("\"as_of\" must be a date YYYY-MM-DD, not \"{}\"", s);
          return false;
        }
        break;
      }
      case kStatus:
      case kTouch:
      case kStep:
      case kVariant:
      case kChannel:
      case kOffer:
        if (!decision.take(static_cast<unsigned>(k), v, "")) return false;
        break;
      case kHoldoutShare: {
        double x = 0;
        const auto t = v.type();
        if (t == dom::element_type::INT64) {
          int64_t i = 0;
          i = value_of<int64_t>(v.get_int64());
          x = static_cast<double>(i);
        } else if (t == dom::element_type::DOUBLE) {
          x = value_of<double>(v.get_double());
        } else if (t == dom::element_type::UINT64) {
          x = 1e300;  // out of range below
        } else {
          error = fmt::format("\"holdout_share\" must be a number, not {}", type_name(t));
          return false;
        }
        if (!(x >= 0 && x <= 100)) {
          error = "\"holdout_share\" must be a percent from 0 to 100";
          return false;
        }
        e.holdout_share = x;
        break;
      }
      case kCohort: {
        dom::object cohort;
        if (v.get(cohort)) {
          error = fmt::format("\"cohort\" must be an object, not {}", type_name(v.type()));
          return false;
        }
        for (dom::key_value_pair c : cohort) {
          CohortEntry entry;
          entry.name = c.key;
          const auto t = c.value.type();
          if (t == dom::element_type::STRING) {
            entry.kind = CohortEntry::Kind::Label;
            entry.label = value_of<std::string_view>(c.value.get_string());
          } else if (t == dom::element_type::NULL_VALUE) {
            entry.kind = CohortEntry::Kind::Null;
          } else {
            entry.kind = CohortEntry::Kind::Other;
          }
          // A repeated key: the last one counts (as JSON readers commonly do).
          bool replaced = false;
          for (auto& old : e.cohort)
            if (old.name == entry.name) {
              old = entry;
              replaced = true;
            }
          if (!replaced) e.cohort.push_back(entry);
        }
        break;
      }
      case kWouldBe: {
        if (v.type() == dom::element_type::NULL_VALUE) {
          e.would_be.reset();
          break;
        }
        dom::object wb;
        if (v.get(wb)) {
          error =
              fmt::format("\"would_be\" must be an object or null, not {}", type_name(v.type()));
          return false;
        }
        e.would_be.emplace();
        DecisionParser inner(*e.would_be, error);
        unsigned wseen = 0;
        for (dom::key_value_pair f : wb) {
          const int wk = key_of(f.key);
          if (wk < static_cast<int>(kStatus) || wk > static_cast<int>(kOffer)) continue;
          wseen |= 1U << wk;
          if (!inner.take(static_cast<unsigned>(wk), f.value, "would_be.")) return false;
        }
        for (unsigned wk = kStatus; wk <= kOffer; ++wk)
          if (!(wseen & (1U << wk))) {
            error = fmt::format("\"would_be\" has no \"{}\"", kKeyNames[wk]);
            return false;
          }
        break;
      }
      case kKeyCount:
        break;
    }
  }
  for (unsigned k = 0; k < kKeyCount; ++k)
    if (!(seen & (1U << k))) {
      error = fmt::format("the event has no \"{}\"", kKeyNames[k]);
      return false;
    }
  return true;
}

// The one-pass parser: a strict reader of the lines that need nothing unusual. It validates as
// much as simdjson does for what it accepts (JSON's grammar, UTF-8, the types measure needs) and
// gives up (returns false) on anything else: an escape, a repeated key of the event or of its
// cohort, a number of unusual size, deep nesting, or any error. A line it gives up on is parsed
// again by simdjson, which reads it or names what is wrong, so the fast path never changes what
// is read or what an error says (tests/runtime/test_measure.cpp reads thousands of mutated files
// both ways).
//
// Speed comes from two things. The byte after a line is always readable and is '\n' or '\0',
// neither of which can continue a JSON token, so most steps need no bounds check. And each
// object remembers the key text it had at each position in the previous line: the writer puts
// the keys in the same order every time, so a key is usually recognised by comparing its bytes
// in place, without scanning it or looking it up.
class FastParser {
 public:
  // Parses [p, end); *end is '\n' or '\0' and bytes up to `readable` may be loaded.
  bool parse(const char* p, const char* end, const char* readable, Event& e) {
    const char* q = parse_object(p, end, readable, e);
    return q && ws(q) == end;
  }
  // Parses the line at p without knowing where it ends: `bound` is a '\n' at or after its end (no
  // scan here passes a '\n': none is whitespace or part of a token). On success, `line_end` is
  // the '\n' that ends the line, the first after p.
  bool parse_line(const char* p, const char* bound, const char* readable, Event& e,
                  const char*& line_end) {
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
    // e.decision is not reset: a line read here has every one of its keys, each assigned.
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
#if defined(__SSE2__)
    const auto eq = [&](int at) {
      return static_cast<uint32_t>(_mm_movemask_epi8(
          _mm_cmpeq_epi8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p + at)),
                         _mm_load_si128(reinterpret_cast<const __m128i*>(pred.gap + at)))));
    };
    uint32_t equal = eq(0);
    if (pred.len > 16) equal |= eq(16) << 16;
    return (~equal & pred.mask) == 0;
#else
    return std::memcmp(p, pred.gap, pred.len) == 0;
#endif
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
    while (true) {
#if defined(__SSE2__)
      // 16 bytes at a time: a quote, a backslash, or a byte below 0x20 or above 0x7F (a signed
      // compare catches both) stops the scan.
      if (readable_ - p >= 16) {
        const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
        const __m128i hit = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('"')),
                                                      _mm_cmpeq_epi8(v, _mm_set1_epi8('\\'))),
                                         _mm_cmplt_epi8(v, _mm_set1_epi8(0x20)));
        const unsigned mask = static_cast<unsigned>(_mm_movemask_epi8(hit));
        if (mask == 0) {
          p += 16;
          continue;
        }
        p += __builtin_ctz(mask);
      } else {
        while (static_cast<unsigned char>(*p) >= 0x20 && static_cast<unsigned char>(*p) < 0x80 &&
               *p != '"' && *p != '\\')
          ++p;
      }
#else
      while (static_cast<unsigned char>(*p) >= 0x20 && static_cast<unsigned char>(*p) < 0x80 &&
             *p != '"' && *p != '\\')
        ++p;
#endif
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
  static bool digit(char c) {
    return c >= '0' && c <= '9';
  }
  // A JSON number of ordinary size at p: at most 18 integer digits (so it is an int64), at most 18
  // fraction digits and at most 2 exponent digits (so it is a finite double, as simdjson reads
  // it). `integer`: neither a fraction nor an exponent.
  const char* number(const char* p, bool& integer) const {
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
  const char* string_or_null(const char* p, std::optional<std::string_view>& out) const {
    out.reset();
    if (*p == 'n') return literal(p, "null");
    std::string_view s;
    if (!(p = string(p, s))) return nullptr;
    out = s;
    return p;
  }
  // A touch: a plain integer or null (3.0 and other spellings go to simdjson).
  const char* integer_or_null(const char* p, std::optional<int64_t>& out) const {
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
  __attribute__((noinline)) const char* cohort(const char* p, Event& e) {
    if (*p != '{') return nullptr;
    ++p;
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
      if (*p == '"') {
        entry.kind = CohortEntry::Kind::Label;
        p = string(p, entry.label);
      } else if (*p == 'n') {
        entry.kind = CohortEntry::Kind::Null;
        p = literal(p, "null");
      } else {
        entry.kind = CohortEntry::Kind::Other;
        p = skip(p, 2);
      }
      if (!p) return nullptr;
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
  __attribute__((always_inline)) const char* value(Key k, const char* p, Event& e) {
    switch (k) {
      case kRunId:
        p = string(p, e.run_id);
        return p && !e.run_id.empty() ? p : nullptr;
      case kCustomerId:
        return string(p, e.customer_id);
      case kSequence:
        return string(p, e.sequence);
      case kAsOf: {
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
  static constexpr size_t kUnknownSize = SIZE_MAX;
  size_t cohort_size_ = kUnknownSize;  // entries of the last cohort read, if cohort_ holds them
  uint64_t layout_id_ = 0;
};

}  // namespace

// Two simdjson parsers and two copies of a line, used in turn, so an event's views stay valid
// while the next line is read.
struct EventReader::Impl {
  dom::parser parsers[2];
  FastParser fast;
  std::unique_ptr<char[]> copies[2];
  size_t copy_caps[2] = {0, 0};
  int current = 0;

  // The line copied into this turn's buffer, with simdjson's padding after it.
  const char* copy(const char* p, size_t len) {
    std::unique_ptr<char[]>& c = copies[current];
    size_t& cap = copy_caps[current];
    if (cap < len) {
      cap = std::max(len, size_t{4096});
      c = std::make_unique<char[]>(cap + simdjson::SIMDJSON_PADDING);
    }
    std::memcpy(c.get(), p, len);
    std::memset(c.get() + len, 0, simdjson::SIMDJSON_PADDING);
    return c.get();
  }
};

EventReader::EventReader() : impl_(std::make_unique<Impl>()) {}

EventReader::~EventReader() {
  if (map_) ::munmap(const_cast<char*>(map_), map_size_);
  if (own_fd_ && fd_ >= 0) ::close(fd_);
}

bool EventReader::open(const std::string& path) {
  display_ = path;
  if (path == "-") {
    fd_ = STDIN_FILENO;
    display_ = "<stdin>";
  } else {
    fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd_ < 0) {
      error_ = fmt::format("{}: cannot open: {}", path, std::strerror(errno));
      return false;
    }
    own_fd_ = true;
    struct stat st {};
    if (::fstat(fd_, &st) == 0 && S_ISDIR(st.st_mode)) {
      error_ = fmt::format("{}: is a directory", path);
      return false;
    }
    if (::fstat(fd_, &st) == 0 && S_ISREG(st.st_mode)) {
      file_bytes_ = static_cast<uint64_t>(st.st_size);
      // A regular file is mapped: no copy into a buffer (reading 4 GB through read() costs
      // seconds of system time). An empty file has nothing to map.
      if (st.st_size == 0) {
        eof_ = true;
        return true;
      }
      void* m = ::mmap(nullptr, static_cast<size_t>(st.st_size), PROT_READ, MAP_PRIVATE, fd_, 0);
      if (m != MAP_FAILED) {
        map_ = static_cast<const char*>(m);
        map_size_ = static_cast<size_t>(st.st_size);
        ::madvise(m, map_size_, MADV_SEQUENTIAL);
        const auto* nl = static_cast<const char*>(::memrchr(map_, '\n', map_size_));
        last_newline_ = nl ? static_cast<size_t>(nl - map_) : 0;
        return true;
      }
    }
    ::posix_fadvise(fd_, 0, 0, POSIX_FADV_SEQUENTIAL);
  }
  cap_ = kBufferBytes;
  buf_ = std::make_unique<char[]>(cap_ + simdjson::SIMDJSON_PADDING);
  return true;
}

void EventReader::open_memory(std::string data, const std::string& display) {
  display_ = display;
  memory_ = std::move(data);
  from_memory_ = true;
  cap_ = kBufferBytes;
  buf_ = std::make_unique<char[]>(cap_ + simdjson::SIMDJSON_PADDING);
}

bool EventReader::refill() {
  if (begin_ > 0) {
    std::memmove(buf_.get(), buf_.get() + begin_, end_ - begin_);
    end_ -= begin_;
    begin_ = 0;
  }
  if (end_ == cap_) {
    // A line longer than the buffer: grow it (up to the limit, checked by the caller).
    const size_t cap = cap_ * 2;
    auto bigger = std::make_unique<char[]>(cap + simdjson::SIMDJSON_PADDING);
    std::memcpy(bigger.get(), buf_.get(), end_);
    buf_ = std::move(bigger);
    cap_ = cap;
  }
  if (from_memory_) {
    const size_t n = std::min(cap_ - end_, memory_.size() - memory_pos_);
    std::memcpy(buf_.get() + end_, memory_.data() + memory_pos_, n);
    memory_pos_ += n;
    end_ += n;
    if (memory_pos_ == memory_.size()) eof_ = true;
    return true;
  }
  while (true) {
    const ssize_t r = ::read(fd_, buf_.get() + end_, cap_ - end_);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) {
      error_ = fmt::format("{}: cannot read: {}", display_, std::strerror(errno));
      return false;
    }
    if (r == 0) eof_ = true;
    end_ += static_cast<size_t>(r);
    return true;
  }
}

std::string EventReader::located(std::string_view message) const {
  return fmt::format("{}:{}: {}", display_, line_, message);
}

EventReader::Status EventReader::fail(const std::string& message) {
  error_ = located(message);
  return Status::Error;
}

void EventReader::map_ahead() {
  // Give the pages of the lines read before the last one back (the file stays in the page
  // cache; this keeps the resident set small), every 32 MiB.
  const size_t keep = previous_line_ & ~size_t{0xFFFF};
  if (keep >= released_ + (size_t{32} << 20)) {
    ::madvise(const_cast<char*>(map_) + released_, keep - released_, MADV_DONTNEED);
    released_ = keep;
  }
  // Map the next pages in one call, ahead of the reader, rather than one fault at a time (a
  // kernel without MADV_POPULATE_READ refuses it: the pages then fault in as before).
  if (pos_ + (size_t{4} << 20) > populated_ && populated_ < map_size_) {
    const size_t from = std::max(populated_, pos_ & ~size_t{0xFFF});
    const size_t to = std::min(map_size_, from + (size_t{16} << 20));
#if defined(MADV_POPULATE_READ)
    ::madvise(const_cast<char*>(map_) + from, to - from, MADV_POPULATE_READ);
#endif
    populated_ = to;
  }
}

void EventReader::took_mapped_line(size_t len, bool newline) {
  previous_line_ = pos_;
  const size_t consumed = len + (newline ? 1 : 0);
  pos_ += consumed;
  consumed_ += consumed;
  ++line_;
}

EventReader::Status EventReader::next_line(const char*& p, size_t& len, bool& stable) {
  const auto too_long = [] {
    return fmt::format("the line is longer than {} MiB", kMaxEventLineBytes >> 20);
  };
  if (map_) {
    if (pos_ == map_size_) return Status::End;
    const char* const start = map_ + pos_;
    const auto* nl = static_cast<const char*>(std::memchr(start, '\n', map_size_ - pos_));
    len = nl ? static_cast<size_t>(nl - start) : map_size_ - pos_;
    p = start;
    stable = true;
    map_ahead();
    took_mapped_line(len, nl != nullptr);
    if (len > kMaxEventLineBytes) return fail(too_long());
    return Status::Event;
  }
  if (!buf_) return Status::End;  // an empty regular file
  // Find a whole line in the buffer, reading more as needed.
  const char* nl = nullptr;
  size_t scan_from = begin_;
  while (true) {
    nl = static_cast<const char*>(std::memchr(buf_.get() + scan_from, '\n', end_ - scan_from));
    if (nl || eof_) break;
    if (end_ - begin_ > kMaxEventLineBytes) {
      ++line_;
      return fail(too_long());
    }
    const size_t scanned = end_ - begin_;
    if (!refill()) return Status::Error;
    scan_from = begin_ + scanned;
  }
  if (!nl && begin_ == end_) return Status::End;
  const size_t line_end = nl ? static_cast<size_t>(nl - buf_.get()) : end_;
  p = buf_.get() + begin_;
  len = line_end - begin_;
  stable = false;
  const size_t consumed = len + (nl ? 1 : 0);
  begin_ += consumed;
  consumed_ += consumed;
  ++line_;
  if (len > kMaxEventLineBytes) return fail(too_long());
  return Status::Event;
}

EventReader::Status EventReader::next(Event& out) {
  // A mapped line before the file's last '\n' goes straight to the one-pass parser, which finds
  // where it ends (no separate scan for the '\n'); anything it does not take (a blank line, a
  // line it gives up on, an over-long one) is read again below, the usual way.
  if (map_ && fast_path_ && pos_ < last_newline_) {
    map_ahead();
    const char* const p = map_ + pos_;
    // The lines a few KB ahead are loaded into the cache now: the hardware prefetchers stop at
    // each 4 KB page, so without this every page's first lines wait for memory. (A prefetch
    // never faults, even past the end of the mapping.)
    for (size_t ahead = 0; ahead < 512; ahead += 64) __builtin_prefetch(p + 4096 + ahead);
    const char* line_end = nullptr;
    if (impl_->fast.parse_line(p, map_ + last_newline_, map_ + map_size_, out, line_end) &&
        static_cast<size_t>(line_end - p) <= kMaxEventLineBytes) {
      took_mapped_line(static_cast<size_t>(line_end - p), true);
      ++fast_lines_;
      out.line = line_;
      return Status::Event;
    }
  }
  while (true) {
    const char* p = nullptr;
    size_t len = 0;
    bool stable = false;
    const Status status = next_line(p, len, stable);
    if (status != Status::Event) return status;
    // Blank lines (spaces, tabs, a CR) are skipped.
    size_t k = 0;
    while (k < len && (p[k] == ' ' || p[k] == '\t' || p[k] == '\r')) ++k;
    if (k == len) continue;
    impl_->current ^= 1;
    // A line of the read buffer is copied first: the buffer moves on the next refill, and the
    // event's views must outlive that. A mapped line is read in place, followed by its '\n' (the
    // last line without one is copied, so that a '\0' follows it).
    if (stable && p + len == map_ + map_size_) stable = false;
    const char* text = stable ? p : impl_->copy(p, len);
    if (fast_path_) {
      const char* readable = stable ? map_ + map_size_ : text + len + simdjson::SIMDJSON_PADDING;
      if (impl_->fast.parse(text, text + len, readable, out)) {
        ++fast_lines_;
        out.line = line_;
        return Status::Event;
      }
    }
    // simdjson needs its padding readable after the line: a mapped line is copied for it.
    if (stable) text = impl_->copy(p, len);
    dom::element doc;
    const auto err = impl_->parsers[impl_->current].parse(text, len, false).get(doc);
    if (err) return fail(fmt::format("not valid JSON: {}", simdjson::error_message(err)));
    std::string message;
    if (!parse_event(doc, out, message)) return fail(message);
    out.line = line_;
    return Status::Event;
  }
}

}  // namespace rk::measure
