// Rekindle runtime: the streaming RFC 4180 CSV scanner (records from a file, a pipe or memory,
// through a buffer that is compacted and refilled; a record that crosses the buffer's end is
// parsed again). The typed reader is csv_reader.cpp.
#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "runtime/csv_reader.h"
#include "runtime/csv_simd.h"
#include "runtime/utf8.h"

namespace rk {

// ---- Scanner ------------------------------------------------------------------------------------

CsvScanner::CsvScanner() = default;
CsvScanner::~CsvScanner() {
  if (fd_ >= 0) ::close(fd_);
}

bool CsvScanner::open(const std::string& path, const std::string& display,
                      const CsvScanOptions& opts) {
  display_ = display;
  opts_ = opts;
  fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd_ < 0) {
    error_ = SnapshotError{display_, 0, {}, fmt::format("cannot open: {}", std::strerror(errno))};
    return false;
  }
#ifdef POSIX_FADV_SEQUENTIAL
  ::posix_fadvise(fd_, 0, 0, POSIX_FADV_SEQUENTIAL);
#endif
  struct stat st {};
  if (::fstat(fd_, &st) == 0 && S_ISREG(st.st_mode))
    file_bytes_ = static_cast<uint64_t>(st.st_size);
  cap_ = std::max<size_t>(opts_.buffer_bytes, 16);
  buf_.reset(new char[cap_ + csv_simd::kReadPastEnd]);
  scratch_.reserve(cap_);
  return true;
}

void CsvScanner::open_fd(int fd, std::string prefix, const std::string& display,
                         const CsvScanOptions& opts) {
  display_ = display;
  opts_ = opts;
  fd_ = fd;
  memory_ = std::move(prefix);  // served before the descriptor's bytes (see read_some)
  cap_ = std::max<size_t>(opts_.buffer_bytes, 16);
  buf_.reset(new char[cap_ + csv_simd::kReadPastEnd]);
  scratch_.reserve(cap_);
}

void CsvScanner::open_memory(std::string data, const std::string& display,
                             const CsvScanOptions& opts) {
  display_ = display;
  opts_ = opts;
  memory_ = std::move(data);
  from_memory_ = true;
  cap_ = std::max<size_t>(opts_.buffer_bytes, 16);
  buf_.reset(new char[cap_ + csv_simd::kReadPastEnd]);
  scratch_.reserve(cap_);
}

void CsvScanner::fail(int64_t row, std::string message, size_t column) {
  if (!error_)
    error_ = SnapshotError{display_, row, column ? std::to_string(column) : std::string(),
                           std::move(message)};
}

size_t CsvScanner::read_some(char* dst, size_t n) {
  if (from_memory_ || memory_pos_ < memory_.size()) {
    const size_t k = std::min(n, memory_.size() - memory_pos_);
    std::memcpy(dst, memory_.data() + memory_pos_, k);
    memory_pos_ += k;
    if (!from_memory_) {  // a descriptor's first bytes (read ahead to tell the format)
      read_bytes_ += k;
      if (fingerprint_) sha_.add(dst, k);
    }
    return k;
  }
  for (;;) {
    const ssize_t r = ::read(fd_, dst, n);
    if (r >= 0) {
      // The run manifest's fingerprint, from the bytes as they arrive (no second pass), hashed
      // on the digest's own thread.
      read_bytes_ += static_cast<uint64_t>(r);
      if (fingerprint_) sha_.add(dst, static_cast<size_t>(r));
      return static_cast<size_t>(r);
    }
    if (errno == EINTR) continue;
    fail(0, fmt::format("read error: {}", std::strerror(errno)));
    return SIZE_MAX;
  }
}

std::string CsvScanner::sha256() {
  if (from_memory_ || !eof_ || !fingerprint_) return "";
  if (digest_.empty()) digest_ = sha_.hex();
  return digest_;
}

// Compacts the buffer and reads until it is full or the file ends. Returns false on a read error.
bool CsvScanner::refill() {
  if (begin_ > 0) {
    drain_hash();  // the bytes move
    std::memmove(buf_.get(), buf_.get() + begin_, end_ - begin_);
    end_ -= begin_;
    begin_ = 0;
  }
  while (!eof_ && end_ < cap_) {
    const size_t r = read_some(buf_.get() + end_, cap_ - end_);
    if (r == SIZE_MAX) return false;
    if (r == 0) eof_ = true;
    end_ += r;
  }
  if (first_read_) {
    first_read_ = false;
    if (end_ >= 3 && std::memcmp(buf_.get(), "\xEF\xBB\xBF", 3) == 0) {
      begin_ = 3;
      consumed_total_ += 3;
    }
  }
  return true;
}

void CsvScanner::grow(size_t new_cap) {
  std::unique_ptr<char[]> nb(new char[new_cap + csv_simd::kReadPastEnd]);
  std::memcpy(nb.get(), buf_.get() + begin_, end_ - begin_);
  end_ -= begin_;
  begin_ = 0;
  drain_hash();  // the old buffer is freed
  buf_ = std::move(nb);
  cap_ = new_cap;
  scratch_ = std::string();
  scratch_.reserve(cap_);
}

bool CsvScanner::fill_window(size_t want) {
  if (error_) return false;
  if (end_ - begin_ >= want || eof_) return true;
  if (want > cap_) grow(want);
  return refill();
}

void CsvScanner::consume(size_t bytes, int64_t lines) {
  begin_ += bytes;
  consumed_total_ += bytes;
  row_ += lines;
}

namespace {
// Bytes that end an unquoted field or are not allowed in it.
struct StopTable {
  bool stop[256] = {};
  constexpr StopTable() {
    stop[static_cast<unsigned char>(',')] = true;
    stop[static_cast<unsigned char>('\n')] = true;
    stop[static_cast<unsigned char>('\r')] = true;
    stop[static_cast<unsigned char>('"')] = true;
  }
};
constexpr StopTable kStop;
}  // namespace

CsvScanner::Parse CsvScanner::parse_record(std::vector<std::string_view>& fields,
                                           size_t& record_end) {
  fields.clear();
  scratch_.clear();
  char* const base = buf_.get();
  const char* p = base + begin_;
  // A record is read within max_record_bytes of its start, however large the buffer has grown
  // (the vectorised path grows it to whole batches): beyond that it is the size error.
  const bool limited = end_ - begin_ > opts_.max_record_bytes;
  const char* const e = base + (limited ? begin_ + opts_.max_record_bytes : end_);
  const bool eof = eof_ && !limited;
  for (;;) {
    if (p == e) {
      // A field that starts at the end of the data: after a trailing comma at EOF.
      if (!eof) return Parse::NeedMore;
      fields.emplace_back();
      record_end = static_cast<size_t>(p - base);
      return Parse::Done;
    }
    const char* after;  // the byte after the field's text (a separator, CR, LF or the end)
    if (*p == '"') {
      const char* q = p + 1;
      const char* seg = q;
      const size_t scratch_start = scratch_.size();
      bool escaped = false;
      const char* close;
      for (;;) {
        const void* hit = std::memchr(q, '"', static_cast<size_t>(e - q));
        if (hit == nullptr) {
          if (!eof) return Parse::NeedMore;
          bad_column_ = 0;
          bad_message_ = "unterminated quoted field";
          return Parse::Bad;
        }
        const char* quote = static_cast<const char*>(hit);
        if (quote + 1 == e && !eof) return Parse::NeedMore;
        if (quote + 1 < e && quote[1] == '"') {
          scratch_.append(seg, static_cast<size_t>(quote + 1 - seg));
          q = seg = quote + 2;
          escaped = true;
          continue;
        }
        close = quote;
        break;
      }
      if (escaped) {
        scratch_.append(seg, static_cast<size_t>(close - seg));
        fields.emplace_back(scratch_.data() + scratch_start, scratch_.size() - scratch_start);
      } else {
        fields.emplace_back(p + 1, static_cast<size_t>(close - (p + 1)));
      }
      after = close + 1;
      if (after < e && *after != ',' && *after != '\n' && *after != '\r') {
        bad_column_ = fields.size();
        bad_message_ =
            "unexpected text after a closing quote (a quote inside a quoted field is written "
            "twice)";
        return Parse::Bad;
      }
    } else {
      const char* q = p;
      while (q < e && !kStop.stop[static_cast<unsigned char>(*q)]) ++q;
      if (q < e && *q == '"') {
        bad_column_ = fields.size() + 1;
        bad_message_ =
            "quote inside an unquoted field (quote the whole field and write the quote twice)";
        return Parse::Bad;
      }
      fields.emplace_back(p, static_cast<size_t>(q - p));
      after = q;
    }
    if (after == e) {
      if (!eof) return Parse::NeedMore;
      record_end = static_cast<size_t>(after - base);
      return Parse::Done;
    }
    switch (*after) {
      case ',':
        p = after + 1;
        continue;
      case '\n':
        record_end = static_cast<size_t>(after + 1 - base);
        return Parse::Done;
      default:  // '\r'
        if (after + 1 == e && !eof) return Parse::NeedMore;
        record_end =
            static_cast<size_t>((after + 1 < e && after[1] == '\n' ? after + 2 : after + 1) - base);
        return Parse::Done;
    }
  }
}

bool CsvScanner::header(std::vector<std::string_view>& fields, std::optional<SnapshotError>& err) {
  const Status st = next(fields);
  if (st == Status::Record) return true;
  err = st == Status::Error
            ? error_
            : SnapshotError{display_, 0, {}, "the file is empty (expected a header row)"};
  return false;
}

CsvScanner::Status CsvScanner::next(std::vector<std::string_view>& fields) {
  if (error_) return Status::Error;
  for (;;) {
    // Skip blank lines (they count as rows).
    if (begin_ == end_) {
      if (eof_) return Status::End;
      if (!refill()) return Status::Error;
      continue;
    }
    const char c = buf_[begin_];
    if (c == '\n' || c == '\r') {
      if (c == '\r' && begin_ + 1 == end_ && !eof_) {
        if (!refill()) return Status::Error;
        continue;
      }
      const size_t skip = (c == '\r' && begin_ + 1 < end_ && buf_[begin_ + 1] == '\n') ? 2 : 1;
      begin_ += skip;
      consumed_total_ += skip;
      ++row_;
      continue;
    }
    size_t record_end = 0;
    const Parse r = parse_record(fields, record_end);
    if (r == Parse::Done) {
      ++row_;
      consumed_total_ += record_end - begin_;
      begin_ = record_end;
      return Status::Record;
    }
    if (r == Parse::Bad) {
      fail(row_ + 1, bad_message_, bad_column_);
      return Status::Error;
    }
    // NeedMore: the record crosses the end of the buffered data.
    if (end_ - begin_ >= opts_.max_record_bytes) {
      fail(row_ + 1, fmt::format("record larger than {} (is a closing quote missing?)",
                                 opts_.max_record_bytes % (size_t{1} << 20) == 0
                                     ? fmt::format("{} MiB", opts_.max_record_bytes >> 20)
                                     : fmt::format("{} bytes", opts_.max_record_bytes)));
      return Status::Error;
    }
    if (begin_ == 0 && end_ == cap_) grow(std::min(cap_ * 2, opts_.max_record_bytes));
    if (!refill()) return Status::Error;
  }
}

}  // namespace rk
