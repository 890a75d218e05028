// Rekindle runtime: the CSV snapshot reader (streaming RFC 4180 scanner + typed batch builder).
// The scanner reads into a fixed buffer and re-parses a record that crosses the buffer's end after
// compacting and refilling; the typed reader converts each record straight into column buffers
// (strings dictionary-encoded per batch), without per-field heap allocation.
#include "runtime/csv_reader.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <functional>
#include <limits>

#include "compiler/ir/helpers.h"
#include "compiler/ir/value_parse.h"
#include "runtime/column_match.h"

namespace rk {

// ---- UTF-8 --------------------------------------------------------------------------------------

bool all_ascii(const char* p, size_t n) {
  uint64_t acc = 0;
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t w;
    std::memcpy(&w, p + i, 8);
    acc |= w;
  }
  for (; i < n; ++i) acc |= static_cast<unsigned char>(p[i]);
  return (acc & 0x8080808080808080ull) == 0;
}

size_t first_invalid_utf8(std::string_view s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const size_t n = s.size();
  size_t i = 0;
  while (i < n) {
    const unsigned char c = p[i];
    if (c < 0x80) {
      ++i;
      // A run of ASCII, 8 bytes at a time (most text between two multi-byte characters).
      for (uint64_t w = 0; i + 8 <= n; i += 8) {
        std::memcpy(&w, p + i, 8);
        if (w & 0x8080808080808080ull) break;
      }
      continue;
    }
    size_t len;
    uint32_t cp;
    if (c >= 0xC2 && c <= 0xDF) {
      len = 2;
      cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
      len = 3;
      cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      len = 4;
      cp = c & 0x07;
    } else {
      return i;
    }
    if (i + len > n) return i;
    for (size_t k = 1; k < len; ++k) {
      if ((p[i + k] & 0xC0) != 0x80) return i;
      cp = (cp << 6) | (p[i + k] & 0x3F);
    }
    if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) || cp > 0x10FFFF ||
        (cp >= 0xD800 && cp <= 0xDFFF))
      return i;
    i += len;
  }
  return std::string_view::npos;
}

bool is_valid_utf8(std::string_view s) {
  return all_ascii(s.data(), s.size()) || first_invalid_utf8(s) == std::string_view::npos;
}

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
  buf_.reset(new char[cap_]);
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
  buf_.reset(new char[cap_]);
  scratch_.reserve(cap_);
}

void CsvScanner::open_memory(std::string data, const std::string& display,
                             const CsvScanOptions& opts) {
  display_ = display;
  opts_ = opts;
  memory_ = std::move(data);
  from_memory_ = true;
  cap_ = std::max<size_t>(opts_.buffer_bytes, 16);
  buf_.reset(new char[cap_]);
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
    return k;
  }
  for (;;) {
    const ssize_t r = ::read(fd_, dst, n);
    if (r >= 0) return static_cast<size_t>(r);
    if (errno == EINTR) continue;
    fail(0, fmt::format("read error: {}", std::strerror(errno)));
    return SIZE_MAX;
  }
}

// Compacts the buffer and reads until it is full or the file ends. Returns false on a read error.
bool CsvScanner::refill() {
  if (begin_ > 0) {
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
  const char* const e = base + end_;
  for (;;) {
    if (p == e) {
      // A field that starts at the end of the data: after a trailing comma at EOF.
      if (!eof_) return Parse::NeedMore;
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
          if (!eof_) return Parse::NeedMore;
          bad_column_ = 0;
          bad_message_ = "unterminated quoted field";
          return Parse::Bad;
        }
        const char* quote = static_cast<const char*>(hit);
        if (quote + 1 == e && !eof_) return Parse::NeedMore;
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
      if (!eof_) return Parse::NeedMore;
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
        if (after + 1 == e && !eof_) return Parse::NeedMore;
        record_end =
            static_cast<size_t>((after + 1 < e && after[1] == '\n' ? after + 2 : after + 1) - base);
        return Parse::Done;
    }
  }
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
    if (begin_ == 0 && end_ == cap_) {
      if (cap_ >= opts_.max_record_bytes) {
        fail(row_ + 1, fmt::format("record larger than {} (is a closing quote missing?)",
                                   opts_.max_record_bytes % (size_t{1} << 20) == 0
                                       ? fmt::format("{} MiB", opts_.max_record_bytes >> 20)
                                       : fmt::format("{} bytes", opts_.max_record_bytes)));
        return Status::Error;
      }
      const size_t new_cap = std::min(cap_ * 2, opts_.max_record_bytes);
      std::unique_ptr<char[]> nb(new char[new_cap]);
      std::memcpy(nb.get(), buf_.get(), end_);
      buf_ = std::move(nb);
      cap_ = new_cap;
      scratch_ = std::string();
      scratch_.reserve(cap_);
    }
    if (!refill()) return Status::Error;
  }
}

// ---- Value parsing -----------------------------------------------

namespace {

// A value as shown in an error message (shortened at a character boundary).
std::string show(std::string_view s) {
  if (s.size() <= 80) return fmt::format("\"{}\"", s);
  size_t cut = 77;
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
  return fmt::format("\"{}...\"", s.substr(0, cut));
}

// ---- Dictionary builder ------------------------------------------

// Interns strings into a fresh StringDict per batch; the hash table is reused across batches.
class DictBuilder {
 public:
  // Starts a new dictionary, sized for about `expected` distinct strings.
  void reset(size_t expected) {
    dict_ = std::make_shared<StringDict>();
    dict_->entries.reserve(expected);
    size_t want = 1024;
    while (want < expected * 2) want *= 2;
    if (slots_.size() < want) slots_.resize(want);
    std::fill(slots_.begin(), slots_.end(), 0u);
    hashes_.clear();
    cur_ = nullptr;
    left_ = 0;
  }
  size_t size() const { return dict_ ? dict_->entries.size() : 0; }

  int32_t intern(std::string_view s) {
    const uint64_t h = std::hash<std::string_view>{}(s);
    size_t mask = slots_.size() - 1;
    size_t i = h & mask;
    for (;;) {
      const uint32_t slot = slots_[i];
      if (slot == 0) break;
      const uint32_t code = slot - 1;
      if (hashes_[code] == h && dict_->entries[code] == s) return static_cast<int32_t>(code);
      i = (i + 1) & mask;
    }
    const uint32_t code = static_cast<uint32_t>(dict_->entries.size());
    dict_->entries.push_back(store(s));
    hashes_.push_back(h);
    slots_[i] = code + 1;
    if (dict_->entries.size() * 2 > slots_.size()) grow();
    return static_cast<int32_t>(code);
  }

  std::shared_ptr<StringDict> finish() { return std::move(dict_); }

 private:
  std::string_view store(std::string_view s) {
    if (s.empty()) return {};
    if (s.size() > left_) {
      const size_t size = std::max<size_t>(s.size(), 256 * 1024);
      dict_->arena.emplace_back(new char[size]);
      cur_ = dict_->arena.back().get();
      left_ = size;
    }
    std::memcpy(cur_, s.data(), s.size());
    std::string_view v(cur_, s.size());
    cur_ += s.size();
    left_ -= s.size();
    return v;
  }
  void grow() {
    std::vector<uint32_t> slots(slots_.size() * 2, 0);
    const size_t mask = slots.size() - 1;
    for (uint32_t code = 0; code < hashes_.size(); ++code) {
      size_t i = hashes_[code] & mask;
      while (slots[i] != 0) i = (i + 1) & mask;
      slots[i] = code + 1;
    }
    slots_ = std::move(slots);
  }

  std::shared_ptr<StringDict> dict_;
  std::vector<uint32_t> slots_;
  std::vector<uint64_t> hashes_;
  char* cur_ = nullptr;
  size_t left_ = 0;
};

// A column buffer of at least n elements, shared with the batch. The previous batch's buffer is
// reused when nothing else holds it any more (the caller passed the same Batch back), which keeps
// the reader free of per-batch allocation and page faults. `zero`: clear it on reuse (bitmaps).
template <typename T>
T* recycle(std::shared_ptr<std::vector<T>>& slot, size_t n, Batch& b, bool zero) {
  if (slot && slot.use_count() == 1) {
    std::atomic_thread_fence(std::memory_order_acquire);
    if (slot->size() < n) slot->resize(n);
    if (zero) std::memset(slot->data(), 0, n * sizeof(T));
  } else {
    slot = std::make_shared<std::vector<T>>(n);
  }
  b.owned.push_back(slot);
  return slot->data();
}

inline void set_bit(uint8_t* bits, int64_t i) {
  bits[i >> 3] |= static_cast<uint8_t>(1u << (i & 7));
}

// ---- Typed reader ------------------------------------------------

class CsvSnapshotReader final : public SnapshotReader {
 public:
  CsvSnapshotReader(const Schema& schema, const ReaderOptions& opts)
      : schema_(schema), batch_rows_(std::max<int64_t>(1, opts.batch_rows)) {}

  CsvScanner& scanner() { return scanner_; }

  // Reads and checks the header. Returns false and sets err on failure.
  bool start(std::optional<SnapshotError>& err) {
    const auto st = scanner_.next(fields_);
    if (st == CsvScanner::Status::Error) {
      err = scanner_.error();
      return false;
    }
    if (st == CsvScanner::Status::End) {
      err = SnapshotError{display_, 0, {}, "the file is empty (expected a header row)"};
      return false;
    }
    header_row_ = scanner_.row();
    header_.assign(fields_.begin(), fields_.end());
    for (size_t i = 0; i < header_.size(); ++i) {
      if (!is_valid_utf8(header_[i])) {
        err = SnapshotError{display_,
                            header_row_,
                            {},
                            fmt::format("column {} of the header is not valid UTF-8", i + 1)};
        return false;
      }
    }
    const std::vector<std::string_view> names(header_.begin(), header_.end());
    const auto positions = match_columns(names, schema_, display_, "header", header_row_, err);
    if (!positions) return false;
    cols_.resize(schema_.fields.size());
    for (size_t f = 0; f < schema_.fields.size(); ++f) cols_[f].header_index = (*positions)[f];
    return true;
  }

  void set_display(const std::string& d) { display_ = d; }

  int64_t display_row(int64_t index) const override {
    // The last shift at or before `index` (blank lines skipped so far).
    auto it = std::upper_bound(
        row_shifts_.begin(), row_shifts_.end(), index,
        [](int64_t i, const std::pair<int64_t, int64_t>& s) { return i < s.first; });
    const int64_t shift = it == row_shifts_.begin() ? 0 : std::prev(it)->second;
    return header_row_ + 1 + index + shift;
  }

  double fraction_read() const override { return fraction_.load(std::memory_order_relaxed); }

  bool next(Batch& out) override {
    const bool ok = next_batch(out);
    const uint64_t size = scanner_.file_bytes();
    if (size > 0)
      fraction_.store(std::min(1.0, static_cast<double>(scanner_.bytes_consumed()) / size),
                      std::memory_order_relaxed);
    return ok;
  }

 private:
  bool next_batch(Batch& out) {
    if (error_ || done_) return false;
    const size_t nf = schema_.fields.size();
    out = Batch{};
    out.first_row = rows_read_;
    out.columns.assign(nf, RkColumn{});
    out.dicts.assign(nf, nullptr);
    const auto cap = static_cast<size_t>(batch_rows_);
    for (size_t f = 0; f < nf; ++f) {
      const FieldDef& fd = schema_.fields[f];
      Col& c = cols_[f];
      const size_t bitmap = (cap + 7) / 8;
      c.validity = fd.nullable ? recycle(c.validity_buf, bitmap, out, true) : nullptr;
      c.nulls = 0;
      switch (fd.type) {
        case FieldType::Bool:
          c.bits = recycle(c.bits_buf, bitmap, out, true);
          break;
        case FieldType::Int:
          c.i64 = recycle(c.i64_buf, cap, out, false);
          break;
        case FieldType::Number:
        case FieldType::Money:
        case FieldType::Percent:
          c.f64 = recycle(c.f64_buf, cap, out, false);
          break;
        case FieldType::Date:
        case FieldType::Enum:
          c.i32 = recycle(c.i32_buf, cap, out, false);
          break;
        case FieldType::String:
          c.i32 = recycle(c.i32_buf, cap, out, false);
          c.dict.reset(std::min(cap, c.last_dict_size + c.last_dict_size / 4 + 16));
          break;
        case FieldType::StringList: {
          c.i32 = recycle(c.i32_buf, cap + 1, out, false);
          c.i32[0] = 0;
          if (c.child_buf && c.child_buf.use_count() == 1) {
            std::atomic_thread_fence(std::memory_order_acquire);
            c.child_buf->clear();
          } else {
            c.child_buf = std::make_shared<std::vector<int32_t>>();
            c.child_buf->reserve(cap * 2);
          }
          c.child = c.child_buf.get();
          out.owned.push_back(c.child_buf);
          c.dict.reset(std::min(cap, c.last_dict_size + c.last_dict_size / 4 + 16));
          break;
        }
      }
    }
    int64_t n = 0;
    const size_t expected = header_.size();
    while (n < batch_rows_) {
      const auto st = scanner_.next(fields_);
      if (st == CsvScanner::Status::End) {
        done_ = true;
        break;
      }
      if (st == CsvScanner::Status::Error) {
        error_ = scanner_.error();
        name_column(*error_);
        return false;
      }
      if (fields_.size() != expected) {
        error_ =
            SnapshotError{display_,
                          scanner_.row(),
                          {},
                          fmt::format("expected {} fields, found {}", expected, fields_.size())};
        return false;
      }
      for (size_t f = 0; f < nf; ++f)
        if (!convert(f, fields_[cols_[f].header_index], n)) return false;
      note_row(rows_read_ + n);
      ++n;
    }
    if (n == 0) return false;
    for (size_t f = 0; f < nf; ++f) {
      const FieldDef& fd = schema_.fields[f];
      Col& c = cols_[f];
      RkColumn& col = out.columns[f];
      col.validity = (c.validity != nullptr && c.nulls > 0) ? c.validity : nullptr;
      switch (fd.type) {
        case FieldType::Bool:
          col.values = c.bits;
          break;
        case FieldType::Int:
          col.values = c.i64;
          break;
        case FieldType::Number:
        case FieldType::Money:
        case FieldType::Percent:
          col.values = c.f64;
          break;
        case FieldType::Date:
        case FieldType::Enum:
          col.values = c.i32;
          break;
        case FieldType::String:
        case FieldType::StringList: {
          c.last_dict_size = c.dict.size();
          auto dict = c.dict.finish();
          col.dict = dict.get();
          col.encoding = RK_STR_DICT;
          if (fd.type == FieldType::String) {
            col.values = c.i32;
          } else {
            col.offsets = c.i32;
            col.child_codes = c.child->data();
          }
          out.dicts[f] = dict;
          out.owned.push_back(std::move(dict));
          break;
        }
      }
    }
    out.num_rows = n;
    rows_read_ += n;
    return true;
  }

 public:
  const std::optional<SnapshotError>& error() const override { return error_; }

 private:
  struct Col {
    size_t header_index = 0;
    uint8_t* validity = nullptr;
    int64_t nulls = 0;
    uint8_t* bits = nullptr;
    int64_t* i64 = nullptr;
    double* f64 = nullptr;
    int32_t* i32 = nullptr;
    std::vector<int32_t>* child = nullptr;
    // Storage kept between batches (see recycle()).
    std::shared_ptr<std::vector<uint8_t>> validity_buf, bits_buf;
    std::shared_ptr<std::vector<int64_t>> i64_buf;
    std::shared_ptr<std::vector<double>> f64_buf;
    std::shared_ptr<std::vector<int32_t>> i32_buf, child_buf;
    DictBuilder dict;
    size_t last_dict_size = 0;
  };

  // Records where the spreadsheet row of a record stops being header_row_ + 1 + index (blank
  // lines are skipped but counted), for display_row(). One comparison per record.
  void note_row(int64_t index) {
    const int64_t shift = scanner_.row() - (header_row_ + 1 + index);
    if (shift != (row_shifts_.empty() ? 0 : row_shifts_.back().second))
      row_shifts_.emplace_back(index, shift);
  }

  // The scanner names a column by its 1-based position; show the header's name instead.
  void name_column(SnapshotError& e) const {
    if (e.column.empty()) return;
    size_t idx = 0;
    for (char ch : e.column) idx = idx * 10 + static_cast<size_t>(ch - '0');
    if (idx >= 1 && idx <= header_.size()) e.column = header_[idx - 1];
  }

  bool value_error(size_t f, std::string message) {
    error_ = SnapshotError{display_, scanner_.row(), schema_.fields[f].name, std::move(message)};
    return false;
  }
  bool utf8_error(size_t f, std::string_view s) {
    const size_t at = first_invalid_utf8(s);
    return value_error(f, fmt::format("invalid UTF-8 (byte 0x{:02x} at byte {} of the value)",
                                      static_cast<unsigned char>(s[at]), at + 1));
  }
  // A value that did not parse: reports invalid UTF-8 first, else `message`.
  bool bad_value(size_t f, std::string_view s, std::string_view what) {
    if (!is_valid_utf8(s)) return utf8_error(f, s);
    return value_error(f, fmt::format("{} is not {}", show(s), what));
  }
  bool missing(size_t f, int64_t row, bool nan = false) {
    const FieldDef& fd = schema_.fields[f];
    Col& c = cols_[f];
    if (!fd.nullable)
      return value_error(f,
                         nan ? "missing value (NaN), but the schema does not allow missing values"
                             : "missing value, but the schema does not allow missing values");
    ++c.nulls;
    // Keep the value slot defined.
    switch (fd.type) {
      case FieldType::Int:
        c.i64[row] = 0;
        break;
      case FieldType::Number:
      case FieldType::Money:
      case FieldType::Percent:
        c.f64[row] = 0;
        break;
      case FieldType::Date:
      case FieldType::Enum:
      case FieldType::String:
        c.i32[row] = 0;
        break;
      case FieldType::StringList:
        c.i32[row + 1] = c.i32[row];
        break;
      case FieldType::Bool:
        break;
    }
    return true;
  }

  bool convert(size_t f, std::string_view s, int64_t row) {
    const FieldDef& fd = schema_.fields[f];
    Col& c = cols_[f];
    DictBuilder& dict = c.dict;
    if (s.empty()) {
      if (fd.type == FieldType::StringList && !fd.nullable) {
        c.i32[row + 1] = c.i32[row];
        return true;
      }
      return missing(f, row);
    }
    switch (fd.type) {
      case FieldType::Bool: {
        const BoolParse b = parse_bool(s);
        if (b == BoolParse::Bad) {
          if (!is_valid_utf8(s)) return utf8_error(f, s);
          return value_error(f, fmt::format("{} is not a bool (write true or false)", show(s)));
        }
        if (b == BoolParse::True) set_bit(c.bits, row);
        break;
      }
      case FieldType::Int: {
        const NumParse r = parse_int(s, c.i64[row]);
        if (r == NumParse::Range)
          return value_error(f, fmt::format("{} is out of range for an int", show(s)));
        if (r != NumParse::Ok) return bad_value(f, s, "an int");
        break;
      }
      case FieldType::Number:
      case FieldType::Money:
      case FieldType::Percent: {
        const NumParse r = parse_number(s, c.f64[row]);
        if (r == NumParse::NaN) return missing(f, row, true);
        if (r == NumParse::Range)
          return value_error(f, fmt::format("{} is out of range for a number", show(s)));
        if (r != NumParse::Ok) return bad_value(f, s, "a number");
        break;
      }
      case FieldType::Date:
        if (!parse_iso_date(s, c.i32[row])) return bad_value(f, s, "a date");
        break;
      case FieldType::Enum: {
        const int o = Schema::enum_ordinal(fd, s);
        if (o < 0) {
          if (!is_valid_utf8(s)) return utf8_error(f, s);
          std::string values;
          for (size_t i = 0; i < fd.enum_values.size(); ++i)
            values += (i ? ", " : "") + fd.enum_values[i];
          return value_error(f, fmt::format("{} is not one of {}", show(s), values));
        }
        c.i32[row] = o;
        break;
      }
      case FieldType::String:
        if (!all_ascii(s.data(), s.size()) && first_invalid_utf8(s) != std::string_view::npos)
          return utf8_error(f, s);
        c.i32[row] = dict.intern(s);
        break;
      case FieldType::StringList: {
        if (!all_ascii(s.data(), s.size()) && first_invalid_utf8(s) != std::string_view::npos)
          return utf8_error(f, s);
        size_t start = 0;
        for (;;) {
          const size_t bar = s.find('|', start);
          const std::string_view item =
              s.substr(start, bar == std::string_view::npos ? std::string_view::npos : bar - start);
          if (item.empty())
            return value_error(f, fmt::format("{} has an empty list element (elements are joined "
                                              "with |)",
                                              show(s)));
          c.child->push_back(dict.intern(item));
          if (bar == std::string_view::npos) break;
          start = bar + 1;
        }
        c.i32[row + 1] = static_cast<int32_t>(c.child->size());
        break;
      }
    }
    if (c.validity) set_bit(c.validity, row);
    return true;
  }

  Schema schema_;
  int64_t batch_rows_;
  CsvScanner scanner_;
  std::string display_;
  std::vector<std::string> header_;
  int64_t header_row_ = 1;
  std::vector<std::pair<int64_t, int64_t>> row_shifts_;  // (record index, rows skipped before it)
  std::vector<Col> cols_;
  std::vector<std::string_view> fields_;
  int64_t rows_read_ = 0;
  bool done_ = false;
  std::atomic<double> fraction_{-1.0};
  std::optional<SnapshotError> error_;
};

}  // namespace

std::unique_ptr<SnapshotReader> open_csv_snapshot(const std::string& path, const Schema& schema,
                                                  const ReaderOptions& opts,
                                                  std::optional<SnapshotError>& err,
                                                  const CsvScanOptions& scan) {
  auto r = std::make_unique<CsvSnapshotReader>(schema, opts);
  r->set_display(path);
  if (!r->scanner().open(path, path, scan)) {
    err = r->scanner().error();
    return nullptr;
  }
  if (!r->start(err)) return nullptr;
  return r;
}

std::unique_ptr<SnapshotReader> open_csv_snapshot_fd(int fd, std::string prefix,
                                                     const std::string& display,
                                                     const Schema& schema,
                                                     const ReaderOptions& opts,
                                                     std::optional<SnapshotError>& err) {
  auto r = std::make_unique<CsvSnapshotReader>(schema, opts);
  r->set_display(display);
  r->scanner().open_fd(fd, std::move(prefix), display);
  if (!r->start(err)) return nullptr;
  return r;
}

std::unique_ptr<SnapshotReader> open_csv_snapshot_memory(
    std::string data, const std::string& display, const Schema& schema, const ReaderOptions& opts,
    std::optional<SnapshotError>& err, const CsvScanOptions& scan) {
  auto r = std::make_unique<CsvSnapshotReader>(schema, opts);
  r->set_display(display);
  r->scanner().open_memory(std::move(data), display, scan);
  if (!r->start(err)) return nullptr;
  return r;
}

// ---- Schema inference --------------------------------------------

bool infer_csv_schema(const std::string& path, int64_t max_rows, std::vector<InferredField>& out,
                      std::optional<SnapshotError>& err) {
  CsvScanner sc;
  if (!sc.open(path, path)) {
    err = sc.error();
    return false;
  }
  std::vector<std::string_view> fields;
  auto st = sc.next(fields);
  if (st == CsvScanner::Status::Error) {
    err = sc.error();
    return false;
  }
  if (st == CsvScanner::Status::End) {
    err = SnapshotError{path, 0, {}, "the file is empty (expected a header row)"};
    return false;
  }
  struct Seen {
    bool nonempty = false, empty = false;
    bool is_bool = true, is_int = true, is_number = true, is_date = true, has_bar = false;
  };
  if (!unique_column_names(fields, path, "header", sc.row(), err)) return false;
  out.clear();
  for (auto f : fields) out.push_back(InferredField{std::string(f)});
  std::vector<Seen> seen(out.size());
  for (int64_t n = 0; n < max_rows; ++n) {
    st = sc.next(fields);
    if (st == CsvScanner::Status::End) break;
    if (st == CsvScanner::Status::Error) {
      err = sc.error();
      return false;
    }
    if (fields.size() != out.size()) {
      err = SnapshotError{path,
                          sc.row(),
                          {},
                          fmt::format("expected {} fields, found {}", out.size(), fields.size())};
      return false;
    }
    for (size_t i = 0; i < fields.size(); ++i) {
      const std::string_view s = fields[i];
      Seen& k = seen[i];
      if (s.empty()) {
        k.empty = true;
        continue;
      }
      k.nonempty = true;
      if (k.is_bool) {
        const bool word = s.size() > 1 && parse_bool(s) != BoolParse::Bad;
        k.is_bool = word;
      }
      int64_t iv;
      double dv;
      int32_t date;
      if (k.is_int) k.is_int = parse_int(s, iv) == NumParse::Ok;
      if (k.is_number) {
        const NumParse r = parse_number(s, dv);
        k.is_number = r == NumParse::Ok || r == NumParse::NaN;
      }
      if (k.is_date) k.is_date = parse_iso_date(s, date);
      if (s.find('|') != std::string_view::npos) k.has_bar = true;
    }
  }
  for (size_t i = 0; i < out.size(); ++i) {
    const Seen& k = seen[i];
    InferredField& f = out[i];
    f.nullable = k.empty;
    if (!k.nonempty)
      f.type = FieldType::String;
    else if (k.is_bool)
      f.type = FieldType::Bool;
    else if (k.is_int)
      f.type = FieldType::Int;
    else if (k.is_number)
      f.type = FieldType::Number;
    else if (k.is_date)
      f.type = FieldType::Date;
    else if (k.has_bar)
      f.type = FieldType::StringList;
    else
      f.type = FieldType::String;
    // An empty list is an empty field, so a list column with empties is not necessarily nullable;
    // the schema file decides. Report it as not nullable (the reader's empty = empty list).
    if (f.type == FieldType::StringList) f.nullable = false;
  }
  return true;
}

}  // namespace rk
