// Rekindle measurement: the reader of the measurement events that `rekindle eval --events` writes
// (JSON lines, one object per customer and sequence entered; winback-program.md section 7).
// Streaming: a regular file is memory-mapped (its pages released behind the reader), anything
// else goes through a fixed read buffer; one line is parsed at a time, fully validated (key order,
// spacing and escapes are free). A strict one-pass parser reads the lines that need nothing
// unusual (no escapes, no repeated keys, numbers of ordinary size); every other line, and every
// line with an error, is parsed by simdjson, so both give the same event or the same message.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rk::measure {

// A sequence's decision as an event states it (the event itself, or its `would_be`).
struct EventDecision {
  std::string_view status;
  std::optional<int64_t> touch;
  std::optional<std::string_view> step, variant, channel, offer;
};

// One entry of an event's `cohort` object: a segment family's label, a null, or another value
// (the churn-risk score).
struct CohortEntry {
  enum class Kind : uint8_t { Label, Null, Other };
  std::string_view name;
  Kind kind = Kind::Null;
  std::string_view label;  // Kind::Label
};

// One event. The views stay valid until the second call to EventReader::next() after the one
// that returned it (the reader keeps the last two lines' text, so a caller can look at the next
// event while it still holds this one).
struct Event {
  int64_t line = 0;  // 1-based line in its file
  std::string_view run_id, customer_id, sequence;
  int32_t as_of = 0;  // days since 1970-01-01
  EventDecision decision;
  std::optional<EventDecision> would_be;
  double holdout_share = 0;  // percent
  std::vector<CohortEntry> cohort;
  // The same nonzero value as an earlier event: this event's cohort has the same names in the same
  // order as that one's (a consumer may reuse what it derived from the names); 0: not known.
  uint64_t cohort_layout = 0;
};

class EventReader {
 public:
  EventReader();
  ~EventReader();
  EventReader(const EventReader&) = delete;
  EventReader& operator=(const EventReader&) = delete;

  // Opens `path` ("-": standard input). Returns false and sets error() when it cannot be read.
  bool open(const std::string& path);
  // Reads events from memory instead (tests); `display` names it in errors.
  void open_memory(std::string data, const std::string& display);

  enum class Status { Event, End, Error };
  // Reads the next non-blank line into `out`. On Error, error() says `FILE:LINE: what is wrong`.
  Status next(Event& out);
  // 1-based line number of the event last returned (or of the error).
  int64_t line() const { return line_; }
  const std::string& error() const { return error_; }
  const std::string& display() const { return display_; }
  // Bytes consumed so far, and the file's size when known (0 otherwise): for progress.
  uint64_t bytes_consumed() const { return consumed_; }
  uint64_t file_bytes() const { return file_bytes_; }
  // Lines read by the one-pass parser so far (the others went to simdjson).
  int64_t fast_lines() const { return fast_lines_; }
  // With false, every line goes to simdjson (tests compare the two parsers).
  void set_fast_path(bool on) { fast_path_ = on; }

  // Reports a problem with the event last returned (`FILE:LINE: message`) as this reader's error.
  std::string located(std::string_view message) const;

 private:
  struct Impl;
  bool refill();
  // The next line: [p, p + len), and whether its bytes stay put until the reader is destroyed
  // (a mapped file) rather than until the next refill (the read buffer).
  Status next_line(const char*& p, size_t& len, bool& stable);
  Status fail(const std::string& message);
  // For a mapped file: pages given back behind the reader and mapped ahead of it; the line of
  // `len` bytes at pos_ (and its '\n') taken.
  void map_ahead();
  void took_mapped_line(size_t len, bool newline);
  std::unique_ptr<Impl> impl_;
  int fd_ = -1;
  bool own_fd_ = false, eof_ = false;
  std::string display_, error_, memory_;
  size_t memory_pos_ = 0;
  bool from_memory_ = false;
  // A mapped regular file: [map_, map_ + map_size_); pos_ is the next line's offset, released_
  // the end of the prefix whose pages were given back.
  const char* map_ = nullptr;
  // populated_: the end of the prefix whose pages were mapped ahead of the reader;
  // last_newline_: the offset of the file's last '\n' (0: none, or only at the start).
  size_t map_size_ = 0, pos_ = 0, released_ = 0, previous_line_ = 0, populated_ = 0,
         last_newline_ = 0;
  std::unique_ptr<char[]> buf_;
  size_t cap_ = 0, begin_ = 0, end_ = 0;
  int64_t line_ = 0, fast_lines_ = 0;
  bool fast_path_ = true;
  uint64_t consumed_ = 0, file_bytes_ = 0;
};

// The largest single event line accepted; a longer line is an error naming it.
inline constexpr size_t kMaxEventLineBytes = size_t{64} << 20;

}  // namespace rk::measure
