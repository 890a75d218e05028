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
#include <cmath>
#include <cstring>

#include "base/date.h"
#include "runtime/measure/event_parser.h"

namespace rk::measure {

namespace dom = simdjson::dom;
using namespace event_keys;  // NOLINT(google-build-using-namespace): the event's keys

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

}  // namespace

// Two simdjson parsers and two copies of a line, used in turn, so an event's views stay valid
// while the next line is read.
struct EventReader::Impl {
  dom::parser parsers[2];
  std::unique_ptr<LineParser> fast = make_line_parser();
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
    if (impl_->fast->parse_line(p, map_ + last_newline_, map_ + map_size_, out, line_end) &&
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
      if (impl_->fast->parse(text, text + len, readable, out)) {
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
