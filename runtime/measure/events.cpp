// Rekindle measurement: the event reader (see events.h). Lines are cut out of a fixed buffer
// (grown only for a line longer than it, up to kMaxEventLineBytes) that always keeps simdjson's
// padding readable after the data, so each line is parsed in place without a copy.
#include "runtime/measure/events.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <simdjson.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstring>

#include "base/date.h"

namespace rk::measure {

namespace dom = simdjson::dom;

// Two parsers used in turn, so an event's views stay valid while the next line is parsed.
struct EventReader::Impl {
  dom::parser parsers[2];
  int current = 0;
};

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

EventReader::EventReader() : impl_(std::make_unique<Impl>()) {}

EventReader::~EventReader() {
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
    if (::fstat(fd_, &st) == 0 && S_ISREG(st.st_mode))
      file_bytes_ = static_cast<uint64_t>(st.st_size);
    if (::fstat(fd_, &st) == 0 && S_ISDIR(st.st_mode)) {
      error_ = fmt::format("{}: is a directory", path);
      return false;
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

EventReader::Status EventReader::next(Event& out) {
  while (true) {
    // Find a whole line in the buffer, reading more as needed.
    const char* nl = nullptr;
    size_t scan_from = begin_;
    while (true) {
      nl = static_cast<const char*>(std::memchr(buf_.get() + scan_from, '\n', end_ - scan_from));
      if (nl || eof_) break;
      if (end_ - begin_ > kMaxEventLineBytes) {
        ++line_;
        return fail(fmt::format("the line is longer than {} MiB", kMaxEventLineBytes >> 20));
      }
      const size_t scanned = end_ - begin_;
      if (!refill()) return Status::Error;
      scan_from = begin_ + scanned;
    }
    if (!nl && begin_ == end_) return Status::End;
    const size_t line_end = nl ? static_cast<size_t>(nl - buf_.get()) : end_;
    const char* p = buf_.get() + begin_;
    size_t len = line_end - begin_;
    const size_t consumed = len + (nl ? 1 : 0);
    begin_ += consumed;
    consumed_ += consumed;
    ++line_;
    if (len > kMaxEventLineBytes)
      return fail(fmt::format("the line is longer than {} MiB", kMaxEventLineBytes >> 20));
    // Blank lines (spaces, tabs, a CR) are skipped.
    size_t k = 0;
    while (k < len && (p[k] == ' ' || p[k] == '\t' || p[k] == '\r')) ++k;
    if (k == len) continue;
    dom::element doc;
    // The buffer keeps SIMDJSON_PADDING readable bytes after its data, so no copy is needed.
    impl_->current ^= 1;
    const auto err = impl_->parsers[impl_->current].parse(p, len, false).get(doc);
    if (err) return fail(fmt::format("not valid JSON: {}", simdjson::error_message(err)));
    std::string message;
    if (!parse_event(doc, out, message)) return fail(message);
    out.line = line_;
    return Status::Event;
  }
}

}  // namespace rk::measure
