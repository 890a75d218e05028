// Rekindle runtime: the typed CSV snapshot reader (batches of columns from the records of the
// scanner in csv_scanner.cpp; schema inference is csv_infer.cpp). The typed reader has two paths to
// the same batches: vectorised (a structural scan of a whole batch's bytes for line ends outside
// quotes, then the rows converted in parallel tasks, each record split at its commas 32-64 bytes at
// a time) and record by record through the scanner, the reference, which takes every batch the
// vectorised path hands over (anything irregular: bad quotes, wrong field counts, bad values), so
// errors are reported by one piece of code. Values go straight into column buffers, strings as
// offsets + bytes.
#include "runtime/csv_reader.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <bit>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <functional>
#include <limits>

#include "base/date.h"
#include "base/value_parse.h"
#include "compiler/ir/helpers.h"
#include "runtime/column_match.h"
#include "runtime/csv_simd.h"
#include "runtime/data_errors.h"
#include "runtime/thread_pool.h"
#include "runtime/utf8.h"
#include "runtime/value_hints.h"
#include "runtime/value_ranges.h"
#include "runtime/view_index.h"

namespace rk {

// ---- Value parsing -----------------------------------------------

namespace {

// parse_iso_date (YYYY-MM-DD, a real day of a year from 1 to 9999), inlined for the readers' hot
// loop: the same checks in the same order, so the same values are accepted.
[[gnu::always_inline]] inline bool parse_date(std::string_view s, int32_t& out) {
  static_assert(std::endian::native == std::endian::little, "parse_date reads little-endian words");
  if (s.size() != 10) return false;
  // The ten bytes as two words (little-endian: byte i of w at bits 8i): "YYYY-MM-" and "DD". A
  // byte is a digit when its high nibble is 3 and its low nibble plus 6 stays below 16.
  uint64_t w;
  uint16_t t;
  std::memcpy(&w, s.data(), 8);
  std::memcpy(&t, s.data() + 8, 2);
  constexpr uint64_t kDigit = 0x00FFFF00FFFFFFFFull;  // bytes 0-3, 5 and 6
  const uint64_t lo = w & 0x0F0F0F0F0F0F0F0Full & kDigit;
  const unsigned tl = t & 0x0F0Fu;
  const bool ok = ((w & ~kDigit) == 0x2D00002D00000000ull) &
                  ((w & 0xF0F0F0F0F0F0F0F0ull & kDigit) == (0x3030303030303030ull & kDigit)) &
                  (((lo + (0x0606060606060606ull & kDigit)) & 0xF0F0F0F0F0F0F0F0ull) == 0) &
                  ((t & 0xF0F0u) == 0x3030u) & (((tl + 0x0606u) & 0xF0F0u) == 0);
  if (!ok) return false;
  const auto d0 = static_cast<unsigned>(lo & 0xF), d1 = static_cast<unsigned>(lo >> 8 & 0xF),
             d2 = static_cast<unsigned>(lo >> 16 & 0xF), d3 = static_cast<unsigned>(lo >> 24 & 0xF);
  const auto m0 = static_cast<unsigned>(lo >> 40 & 0xF), m1 = static_cast<unsigned>(lo >> 48 & 0xF);
  const unsigned a0 = tl & 0xF, a1 = tl >> 8;
  const int y = static_cast<int>(d0 * 1000 + d1 * 100 + d2 * 10 + d3);
  const unsigned m = m0 * 10 + m1, d = a0 * 10 + a1;
  if (y < 1 || m < 1 || m > 12 || d < 1) return false;
  static constexpr unsigned char kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  // The leap-year test only for February 29 (the one day it decides): computed for every date,
  // the compiler placed its `% 400` on a cold path with hardware divisions.
  if (d > kDays[m - 1] && !(m == 2 && d == 29 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0)))
    return false;
  // days_from_civil for years from 1 on (no negative era): the same value, inlined.
  const int yy = y - (m <= 2);
  const unsigned era = static_cast<unsigned>(yy) / 400;
  const unsigned yoe = static_cast<unsigned>(yy) - era * 400;
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  out = static_cast<int32_t>(static_cast<int64_t>(era) * 146097 + doe - 719468);
  return true;
}

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

// ---- Typed reader ------------------------------------------------

// Stable storage for the bytes of dictionary entries that do not outlive their source (list
// items of the record-by-record path, unescaped quoted items).
class Arena {
 public:
  std::string_view copy(std::string_view s) {
    if (s.empty()) return {};
    if (s.size() > left_) {
      const size_t size = std::max<size_t>(s.size(), 4096);
      chunks_.emplace_back(new char[size]);
      cur_ = chunks_.back().get();
      left_ = size;
    }
    std::memcpy(cur_, s.data(), s.size());
    std::string_view v(cur_, s.size());
    cur_ += s.size();
    left_ -= s.size();
    return v;
  }
  void clear() {
    if (chunks_.size() > 1) chunks_.erase(chunks_.begin() + 1, chunks_.end());
    cur_ = chunks_.empty() ? nullptr : chunks_.front().get();
    left_ = chunks_.empty() ? 0 : 4096;
  }

 private:
  std::vector<std::unique_ptr<char[]>> chunks_;
  char* cur_ = nullptr;
  size_t left_ = 0;
};

// What one task of a batch (a range of rows) produces besides the fixed-width column values it
// writes in place: the missing-value counts, the bytes of String values and the items of lists
// (codes into a dictionary of the task's own), merged into the batch by stitch().
struct CsvTask {
  int64_t first_row = 0, end_row = 0;
  std::vector<int64_t> nulls;               // by field
  std::vector<std::string> bytes;           // by String field: its values, one after another
  std::vector<std::vector<int32_t>> items;  // by StringList field: the items' local codes
  std::vector<std::vector<std::string_view>> entries;  // by StringList field: local dictionary
  std::vector<ViewIndex> index;                        // by StringList field
  std::vector<std::vector<int32_t>> to_batch;  // by StringList field: local code -> batch code
  Arena arena;
  // Fast path: a record's fields (quoted records) and the offsets of its commas.
  std::vector<std::string_view> fields;
  std::vector<uint32_t> commas;
  std::string scratch;
  std::string no_message;  // convert<false> writes no message; this is where it would go
  // By field: where the task's string bytes (String) or list items (StringList) go in the batch.
  std::vector<size_t> base;

  void reset(size_t nf, int64_t first, int64_t end) {
    first_row = first;
    end_row = end;
    nulls.assign(nf, 0);
    base.assign(nf, 0);
    bytes.resize(nf);
    items.resize(nf);
    entries.resize(nf);
    index.resize(nf);
    to_batch.resize(nf);
    for (size_t f = 0; f < nf; ++f) {
      bytes[f].clear();
      items[f].clear();
      if (!entries[f].empty()) index[f].clear();
      entries[f].clear();
    }
    arena.clear();
  }
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

// Rows per task of the vectorised path: a multiple of 64, so tasks never share a bitmap word.
constexpr int64_t kTaskRows = 4096;
// The vectorised path scans the window in slices of this size, in parallel.
constexpr size_t kSliceBytes = size_t{256} << 10;
// The vectorised path takes batches of at most this many bytes; larger ones go record by record.
constexpr size_t kMaxWindowBytes = size_t{64} << 20;

class CsvSnapshotReader final : public SnapshotReader {
 public:
  CsvSnapshotReader(const Schema& schema, const ReaderOptions& opts)
      : schema_(schema),
        batch_rows_(std::max<int64_t>(1, opts.batch_rows)),
        pool_(std::max(1, opts.threads)),
        sink_(opts.errors) {
    scanner_.set_fingerprint(opts.fingerprint);
  }

  CsvScanner& scanner() { return scanner_; }

  // Reads and checks the header. Returns false and sets err on failure.
  bool start(std::optional<SnapshotError>& err) {
    if (!scanner_.header(fields_, err)) return false;
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
    if (auto hint = separator_hint(header_, schema_)) {  // a file separated by `;` or tabs
      err = SnapshotError{display_, header_row_, {}, std::move(*hint)};
      return false;
    }
    const std::vector<std::string_view> names(header_.begin(), header_.end());
    const auto positions = match_columns(names, schema_, display_, "header", header_row_, err);
    if (!positions) return false;
    cols_.resize(schema_.fields.size());
    for (size_t f = 0; f < schema_.fields.size(); ++f) cols_[f].header_index = (*positions)[f];
    vectorized_ = scanner_.options().vectorized;
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
  std::string sha256() override { return scanner_.sha256(); }
  int64_t bytes_read() const override { return static_cast<int64_t>(scanner_.bytes_read()); }

  bool next(Batch& out) override {
    bool ok = next_batch(out);
    // With a sink, a snapshot with a bad row is read to its end (every bad row reported) and no
    // batch is handed out after it; error() is then the first bad row.
    while (ok && first_error_) ok = next_batch(out);
    if (!ok && !finished_) {
      finished_ = true;
      if (sink_ && error_) sink_->report(*error_);  // the file cannot be read further: the end
      if (first_error_) error_ = first_error_;
    }
    const uint64_t size = scanner_.file_bytes();
    if (size > 0)
      fraction_.store(std::min(1.0, static_cast<double>(scanner_.bytes_consumed()) / size),
                      std::memory_order_relaxed);
    return ok;
  }

  const std::optional<SnapshotError>& error() const override { return error_; }

 private:
  struct Col {
    size_t header_index = 0;
    uint8_t* validity = nullptr;
    uint8_t* bits = nullptr;
    int64_t* i64 = nullptr;
    double* f64 = nullptr;
    int32_t* i32 = nullptr;    // Date/Enum values; String and StringList offsets
    char* chars = nullptr;     // String bytes
    int32_t* child = nullptr;  // StringList items
    // Storage kept between batches (see recycle()).
    std::shared_ptr<std::vector<uint8_t>> validity_buf, bits_buf;
    std::shared_ptr<std::vector<int64_t>> i64_buf;
    std::shared_ptr<std::vector<double>> f64_buf;
    std::shared_ptr<std::vector<int32_t>> i32_buf, child_buf;
    std::shared_ptr<std::vector<char>> chars_buf;
    DictBuilder dict;
    size_t last_dict_size = 0;
  };

  // What converting one field needs, in one place (pointers into this batch's buffers).
  struct FieldPlan {
    FieldType type = FieldType::String;
    bool nullable = false;
    uint32_t field = 0;         // schema position
    uint32_t header_index = 0;  // CSV column
    uint8_t* validity = nullptr;
    uint8_t* bits = nullptr;
    int64_t* i64 = nullptr;
    double* f64 = nullptr;
    int32_t* i32 = nullptr;
    const FieldDef* def = nullptr;
    bool ranged = false;  // the field has a value range or zones to check
  };

  enum class Fast { Batch, End, Fallback, Error };

  bool next_batch(Batch& out) {
    if (error_ || done_) return false;
    if (vectorized_) {
      switch (fast_batch(out)) {
        case Fast::Batch:
          return true;
        case Fast::End:
          done_ = true;
          return false;
        case Fast::Error:
          error_ = scanner_.error();
          return false;
        case Fast::Fallback:
          break;
      }
    }
    return slow_batch(out);
  }

  // Sets up `out` and the column buffers for up to batch_rows_ rows.
  void begin_batch(Batch& out) {
    const size_t nf = schema_.fields.size();
    out = Batch{};
    out.first_row = rows_read_;
    out.columns.assign(nf, RkColumn{});
    out.dicts.assign(nf, nullptr);
    const auto cap = static_cast<size_t>(batch_rows_);
    const size_t bitmap = (cap + 7) / 8;
    for (size_t f = 0; f < nf; ++f) {
      const FieldDef& fd = schema_.fields[f];
      Col& c = cols_[f];
      c.validity = fd.nullable ? recycle(c.validity_buf, bitmap, out, true) : nullptr;
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
        case FieldType::StringList:
          c.i32 = recycle(c.i32_buf, cap + 1, out, false);
          c.i32[0] = 0;
          break;
      }
    }
    plans_.resize(nf);
    for (size_t f = 0; f < nf; ++f) {
      const FieldDef& fd = schema_.fields[f];
      const Col& c = cols_[f];
      plans_[f] = FieldPlan{fd.type,
                            fd.nullable,
                            static_cast<uint32_t>(f),
                            static_cast<uint32_t>(c.header_index),
                            c.validity,
                            c.bits,
                            c.i64,
                            c.f64,
                            c.i32,
                            &fd,
                            fd.checked_on_read()};
    }
  }

  // Merges the tasks' strings, list items and counts into the batch's columns (the tasks in row
  // order, so the dictionaries list items in order of first appearance, as one task would) and
  // finishes `out` with n rows.
  void stitch(Batch& out, std::vector<CsvTask>& tasks, size_t ntasks, int64_t n) {
    const size_t nf = schema_.fields.size();
    for (size_t f = 0; f < nf; ++f) {
      const FieldDef& fd = schema_.fields[f];
      Col& c = cols_[f];
      RkColumn& col = out.columns[f];
      int64_t nulls = 0;
      for (size_t t = 0; t < ntasks; ++t) nulls += tasks[t].nulls[f];
      col.validity = (c.validity != nullptr && nulls > 0) ? c.validity : nullptr;
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
        case FieldType::String: {
          size_t total = 0;
          for (size_t t = 0; t < ntasks; ++t) {
            tasks[t].base[f] = total;
            total += tasks[t].bytes[f].size();
          }
          c.chars = recycle(c.chars_buf, total + 1, out, false);
          col.encoding = RK_STR_PLAIN32;
          col.offsets = c.i32;
          col.data = c.chars;
          break;
        }
        case FieldType::StringList: {
          c.dict.reset(std::min(static_cast<size_t>(batch_rows_),
                                c.last_dict_size + c.last_dict_size / 4 + 16));
          size_t total = 0;
          for (size_t t = 0; t < ntasks; ++t) {
            CsvTask& task = tasks[t];
            task.base[f] = total;
            total += task.items[f].size();
            auto& map = task.to_batch[f];
            map.resize(task.entries[f].size());
            for (size_t e = 0; e < map.size(); ++e) map[e] = c.dict.intern(task.entries[f][e]);
          }
          c.child = recycle(c.child_buf, total + 1, out, false);
          c.last_dict_size = c.dict.size();
          auto dict = c.dict.finish();
          col.dict = dict.get();
          col.encoding = RK_STR_DICT;
          col.offsets = c.i32;
          col.child_codes = c.child;
          out.dicts[f] = dict;
          out.owned.push_back(std::move(dict));
          break;
        }
      }
    }
    // The copies, task by task in parallel: string bytes and remapped list items into place,
    // and the tasks' offsets (relative to the task) made relative to the batch.
    pool_.run(static_cast<int64_t>(ntasks), [&](int64_t ti) {
      CsvTask& task = tasks[static_cast<size_t>(ti)];
      for (size_t f = 0; f < nf; ++f) {
        const FieldDef& fd = schema_.fields[f];
        if (fd.type != FieldType::String && fd.type != FieldType::StringList) continue;
        Col& c = cols_[f];
        int32_t* off = c.i32;
        const size_t base = task.base[f];
        if (fd.type == FieldType::String) {
          const std::string& b = task.bytes[f];
          if (!b.empty()) std::memcpy(c.chars + base, b.data(), b.size());
        } else {
          const auto& items = task.items[f];
          const int32_t* map = task.to_batch[f].data();
          int32_t* dst = c.child + base;
          for (size_t i = 0; i < items.size(); ++i) dst[i] = map[items[i]];
        }
        if (base != 0)
          for (int64_t r = task.first_row; r < task.end_row; ++r)
            off[r + 1] += static_cast<int32_t>(base);
      }
    });
    out.num_rows = n;
    rows_read_ += n;
  }

  // ---- Record by record (the reference path) ----

  bool slow_batch(Batch& out) {
    begin_batch(out);
    const size_t nf = schema_.fields.size();
    if (tasks_.empty()) tasks_.resize(1);
    CsvTask& task = tasks_[0];
    task.reset(nf, 0, 0);
    int64_t n = 0;
    const size_t expected = header_.size();
    size_t string_bytes = 0;
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
        if (!bad_row()) return false;
        continue;
      }
      std::string message;
      for (size_t f = 0; f < nf; ++f)
        if (!convert<true>(plans_[f], fields_[plans_[f].header_index], n, task, message)) {
          value_error(f, std::move(message));
          if (!bad_row()) return false;
          break;  // the row keeps its slot, half written: the batch is never handed out
        }
      note_row(rows_read_ + n, scanner_.row());
      ++n;
      // String offsets are 32-bit: a batch ends early before its strings could reach 2 GiB.
      string_bytes = 0;
      for (size_t f = 0; f < nf; ++f) string_bytes = std::max(string_bytes, task.bytes[f].size());
      if (string_bytes > (size_t{1} << 30)) break;
    }
    if (n == 0) return false;
    task.end_row = n;
    stitch(out, tasks_, 1, n);
    return true;
  }

  // ---- Vectorised (the fast path) ----

  // Finds the next batch_rows_ records with one structural scan of a window of the input, then
  // converts them in parallel tasks. Returns Fallback, having consumed nothing, for anything it
  // does not take on itself (quotes out of place, a wrong number of fields, a value that does
  // not convert, a record near the size guard, a batch larger than kMaxWindowBytes): the
  // record-by-record path then reads the same batch and produces the batch or the error.
  Fast fast_batch(Batch& out) {
    const size_t needed = static_cast<size_t>(batch_rows_);
    size_t want = std::min(kMaxWindowBytes, needed * bytes_per_record_ + needed / 8 + 4096);
    // No larger than the rest of the input, when its size is known.
    if (const uint64_t size = scanner_.input_bytes(); size > 0)
      want = std::min<uint64_t>(want, size - std::min(size, scanner_.bytes_consumed()) + 64);
    lines_.clear();
    size_t scanned = 0;
    bool in_quote = false;
    size_t records = 0;
    size_t line_start = 0;     // where the line after the last one counted starts
    size_t last_end = 0;       // bytes through the last record's terminator
    int64_t last_lines = 0;    // lines through the last record
    size_t counted = 0;        // lines_ entries examined
    bool blank_lines = false;  // a blank line before a record (rows no longer follow records)
    starts_.clear();
    ends_.clear();
    const size_t guard = scanner_.options().max_record_bytes;
    bool at_end = false;
    for (;;) {
      if (!scanner_.fill_window(want)) return Fast::Error;
      const char* w = scanner_.window();
      const size_t avail = scanner_.window_size();
      at_end = scanner_.at_end_of_input();
      if (avail > scanned) {
        if (!scan_window(w, scanned, avail, in_quote)) return Fast::Fallback;
        scanned = avail;
      }
      // Lines ending before the window's last byte (or anywhere, at the end of the input): the
      // byte after a '\r' tells whether a '\n' belongs to it.
      const size_t usable = at_end ? avail : avail - 1;
      for (; counted < lines_.size() && records < needed; ++counted) {
        const size_t end = lines_[counted];
        if (end >= usable) break;
        const size_t next = end + 1 + (w[end] == '\r' && end + 1 < avail && w[end + 1] == '\n');
        if (end > line_start) {
          if (end - line_start + 2 >= guard) return Fast::Fallback;
          starts_.push_back(static_cast<uint32_t>(line_start));
          ends_.push_back(static_cast<uint32_t>(end));
          ++records;
          last_end = next;
          last_lines = static_cast<int64_t>(counted) + 1;
          if (last_lines != static_cast<int64_t>(records)) blank_lines = true;
        }
        line_start = next;
      }
      if (records == needed) break;
      if (at_end) {
        if (in_quote) return Fast::Fallback;  // an unterminated quoted field
        if (avail > line_start) {             // a last record without a line end
          if (avail - line_start + 2 >= guard) return Fast::Fallback;
          starts_.push_back(static_cast<uint32_t>(line_start));
          ends_.push_back(static_cast<uint32_t>(avail));
          ++records;
          last_end = avail;
          last_lines = static_cast<int64_t>(lines_.size()) + 1;
          if (last_lines != static_cast<int64_t>(records)) blank_lines = true;
        }
        break;
      }
      if (avail >= kMaxWindowBytes) return Fast::Fallback;
      want = std::min(kMaxWindowBytes, std::max(avail * 2, want));
    }
    if (records == 0) {
      if (!at_end) return Fast::Fallback;
      // Only blank lines (or nothing) left: consume them as the record-by-record path would.
      scanner_.consume(scanner_.window_size(), static_cast<int64_t>(lines_.size()));
      return Fast::End;
    }
    const int64_t n = static_cast<int64_t>(records);
    begin_batch(out);
    const size_t nf = schema_.fields.size();
    const size_t ntasks = static_cast<size_t>((n + kTaskRows - 1) / kTaskRows);
    if (tasks_.size() < ntasks) tasks_.resize(ntasks);
    std::atomic<bool> failed{false};
    const char* w = scanner_.window();
    pool_.run(static_cast<int64_t>(ntasks), [&](int64_t ti) {
      CsvTask& task = tasks_[static_cast<size_t>(ti)];
      const int64_t first = ti * kTaskRows, end = std::min(n, first + kTaskRows);
      task.reset(nf, first, end);
      if (!convert_records(w, task, first, end)) failed.store(true, std::memory_order_relaxed);
    });
    if (failed.load()) return Fast::Fallback;
    if (blank_lines) note_rows(records);
    stitch(out, tasks_, ntasks, n);
    scanner_.consume(last_end, last_lines);
    bytes_per_record_ = std::max<size_t>(16, last_end / records + 1);
    if (static_cast<size_t>(n) < needed) done_ = at_end;
    return Fast::Batch;
  }

  // The line ends of window bytes [from, to): slices scanned in parallel, each assuming it
  // starts outside quotes; then, in order, the quote state is carried from slice to slice and a
  // slice that starts inside a quoted field is scanned again. Appends to lines_.
  bool scan_window(const char* w, size_t from, size_t to, bool& in_quote) {
    const size_t nslices = (to - from + kSliceBytes - 1) / kSliceBytes;
    if (slices_.size() < nslices) slices_.resize(nslices);
    pool_.run(static_cast<int64_t>(nslices), [&](int64_t k) {
      Slice& sl = slices_[static_cast<size_t>(k)];
      sl.begin = from + static_cast<size_t>(k) * kSliceBytes;
      sl.end = std::min(to, sl.begin + kSliceBytes);
      sl.ends.clear();
      sl.scan = csv_simd::scan_lines(w, w + sl.begin, sl.end - sl.begin, false,
                                     sl.begin > 0 && w[sl.begin - 1] == '\r', sl.ends);
    });
    for (size_t k = 0; k < nslices; ++k) {
      Slice& sl = slices_[k];
      if (in_quote) {  // the guess was wrong: scan again from inside a quoted field
        sl.ends.clear();
        sl.scan = csv_simd::scan_lines(w, w + sl.begin, sl.end - sl.begin, true,
                                       sl.begin > 0 && w[sl.begin - 1] == '\r', sl.ends);
      }
      in_quote = sl.scan.end_in_quote;
      lines_.insert(lines_.end(), sl.ends.begin(), sl.ends.end());
    }
    return true;
  }

  // Converts records [first, end) of the batch (their bytes in window `w`).
  bool convert_records(const char* w, CsvTask& task, int64_t first, int64_t end) {
    const size_t ncols = header_.size();
    task.commas.resize(ncols + 1 + 64);  // (split_record writes up to 64 past its limit)
    for (int64_t r = first; r < end; ++r) {
      const char* p = w + starts_[static_cast<size_t>(r)];
      const size_t len = ends_[static_cast<size_t>(r)] - starts_[static_cast<size_t>(r)];
      bool ascii = false;
      const size_t k = csv_simd::split_record(p, len, task.commas.data() + 1, ncols - 1, ascii);
      if (k == SIZE_MAX) {  // quoted fields: split by hand, then convert
        if (!split_quoted(p, len, ncols, task)) return false;
        for (const FieldPlan& pl : plans_)
          if (!convert<false>(pl, task.fields[pl.header_index], r, task, task.no_message))
            return false;
        continue;
      }
      if (k != ncols - 1) return false;
      // Field h spans (commas[h - 1], commas[h]), with commas[-1] = -1 and commas[ncols - 1] =
      // len: the array has a slot before and after the record's commas.
      uint32_t* c = task.commas.data() + 1;
      c[-1] = static_cast<uint32_t>(-1);
      c[ncols - 1] = static_cast<uint32_t>(len);
      for (const FieldPlan& pl : plans_) {
        const ptrdiff_t h = pl.header_index;
        const uint32_t b = c[h - 1] + 1, e = c[h];
        if (!convert<false>(pl, std::string_view(p + b, e - b), r, task, task.no_message, ascii))
          return false;
      }
    }
    return true;
  }

  // Splits a record with quotes into task.fields (unescaped values in task.scratch), as the
  // scanner would; false for anything the scanner reports as an error.
  static bool split_quoted(const char* p, size_t len, size_t ncols, CsvTask& task) {
    task.fields.clear();
    task.scratch.clear();
    task.scratch.reserve(len);  // views into it stay valid: it never grows past len
    size_t i = 0;
    for (;;) {
      if (task.fields.size() == ncols) return false;  // too many fields
      if (i < len && p[i] == '"') {
        size_t seg = i + 1;
        const size_t start = task.scratch.size();
        bool escaped = false;
        for (size_t j = seg;;) {
          const void* hit = std::memchr(p + j, '"', len - j);
          if (!hit) return false;  // unterminated inside the record
          const size_t q = static_cast<size_t>(static_cast<const char*>(hit) - p);
          if (q + 1 < len && p[q + 1] == '"') {
            task.scratch.append(p + seg, q + 1 - seg);
            j = seg = q + 2;
            escaped = true;
            continue;
          }
          if (escaped) {
            task.scratch.append(p + seg, q - seg);
            task.fields.emplace_back(task.scratch.data() + start, task.scratch.size() - start);
          } else {
            task.fields.emplace_back(p + i + 1, q - i - 1);
          }
          i = q + 1;
          break;
        }
        if (i < len && p[i] != ',') return false;  // text after the closing quote
      } else {
        const void* hit = std::memchr(p + i, ',', len - i);
        const size_t e = hit ? static_cast<size_t>(static_cast<const char*>(hit) - p) : len;
        if (std::memchr(p + i, '"', e - i)) return false;  // a quote inside an unquoted field
        task.fields.emplace_back(p + i, e - i);
        i = e;
      }
      if (i == len) break;
      ++i;  // the comma
      if (i == len) {
        if (task.fields.size() == ncols) return false;
        task.fields.emplace_back();  // a trailing comma: an empty last field
        break;
      }
    }
    return task.fields.size() == ncols;
  }

  // ---- Values ----

  // Records where the spreadsheet row of a record (`row`, 1-based) stops being header_row_ + 1 +
  // index (blank lines are skipped but counted), for display_row(). One comparison per record.
  void note_row(int64_t index, int64_t row) {
    const int64_t shift = row - (header_row_ + 1 + index);
    if (shift != (row_shifts_.empty() ? 0 : row_shifts_.back().second))
      row_shifts_.emplace_back(index, shift);
  }

  // note_row() for each of the `records` records of a vectorised batch that has blank lines
  // (rows_read_ not yet advanced): a record's row follows the lines before it in the window.
  void note_rows(size_t records) {
    size_t line = 0;  // lines_ entries before the record
    for (size_t r = 0; r < records; ++r) {
      const size_t start = starts_[r];
      while (line < lines_.size() && lines_[line] < start) ++line;
      note_row(rows_read_ + static_cast<int64_t>(r),
               scanner_.row() + static_cast<int64_t>(line) + 1);
    }
  }

  // The scanner names a column by its 1-based position; show the header's name instead.
  void name_column(SnapshotError& e) const {
    if (e.column.empty()) return;
    size_t idx = 0;
    for (char ch : e.column) idx = idx * 10 + static_cast<size_t>(ch - '0');
    if (idx >= 1 && idx <= header_.size()) e.column = header_[idx - 1];
  }

  // The row in error_ is bad. Without a sink the read stops there (false); with one it is
  // reported and reading goes on, remembering the first.
  bool bad_row() {
    if (!sink_) return false;
    sink_->report(*error_);
    if (!first_error_) first_error_ = std::move(error_);
    error_.reset();
    return true;
  }

  bool value_error(size_t f, std::string message) {
    error_ = SnapshotError{display_, scanner_.row(), schema_.fields[f].name, std::move(message)};
    return false;
  }
  // The message for a value that is not valid UTF-8.
  [[gnu::cold, gnu::noinline]] static std::string utf8_message(std::string_view s) {
    const size_t at = first_invalid_utf8(s);
    return fmt::format("invalid UTF-8 (byte 0x{:02x} at byte {} of the value)",
                       static_cast<unsigned char>(s[at]), at + 1);
  }
  // The message for a value that did not parse as `what`: invalid UTF-8 first.
  [[gnu::cold, gnu::noinline]] static std::string bad_message(std::string_view s,
                                                              std::string_view what) {
    return !is_valid_utf8(s) ? utf8_message(s) : fmt::format("{} is not {}", show(s), what);
  }
  [[gnu::cold, gnu::noinline]] static std::string enum_message(const FieldDef& fd,
                                                               std::string_view s) {
    if (!is_valid_utf8(s)) return utf8_message(s);
    std::string values;
    for (size_t i = 0; i < fd.enum_values.size(); ++i)
      values += (i ? ", " : "") + fd.enum_values[i];
    return fmt::format("{} is not one of {}", show(s), values);
  }

  // A value outside the field's range (runtime/value_ranges.h).
  template <bool kReport>
  [[gnu::cold, gnu::noinline]] static bool outside(const FieldPlan& c, std::string_view s,
                                                   std::string& message) {
    if constexpr (kReport) message = outside_range_message(*c.def, show(s));
    return false;
  }

  // A time-zone field's value that names no zone (runtime/value_ranges.h).
  template <bool kReport>
  [[gnu::cold, gnu::noinline]] static bool unknown_zone(std::string_view s, std::string& message) {
    if constexpr (kReport) message = unknown_zone_message(s, show(s));
    return false;
  }

  template <bool kReport>
  static bool missing(const FieldPlan& c, int64_t row, CsvTask& task, std::string& message,
                      bool nan = false) {
    if (!c.nullable) {
      if constexpr (kReport)
        message = nan ? "missing value (NaN), but the schema does not allow missing values"
                      : "missing value, but the schema does not allow missing values";
      return false;
    }
    ++task.nulls[c.field];
    // Keep the value slot defined.
    switch (c.type) {
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
        c.i32[row] = 0;
        break;
      case FieldType::String:
        c.i32[row + 1] = static_cast<int32_t>(task.bytes[c.field].size());
        break;
      case FieldType::StringList:
        c.i32[row + 1] = static_cast<int32_t>(task.items[c.field].size());
        break;
      case FieldType::Bool:
        break;
    }
    return true;
  }

  // Converts field f of row `row` (text s). Offsets of String and StringList columns are
  // written relative to the task (stitch() makes them relative to the batch). On a bad value
  // returns false, with the message in `message` when kReport (the vectorised path only needs
  // to know, and leaves the message to the record-by-record path).
  // `ascii`: the whole record is known to be ASCII (no UTF-8 check needed).
  template <bool kReport>
  [[gnu::always_inline]] static bool convert(const FieldPlan& c, std::string_view s, int64_t row,
                                             CsvTask& task, std::string& message,
                                             bool ascii = false) {
    if (s.empty()) {
      if (c.type == FieldType::StringList && !c.nullable) {
        c.i32[row + 1] = static_cast<int32_t>(task.items[c.field].size());
        return true;
      }
      return missing<kReport>(c, row, task, message);
    }
    switch (c.type) {
      case FieldType::Bool: {
        const BoolParse b = parse_bool(s);
        if (b == BoolParse::Bad) {
          if constexpr (kReport) message = !is_valid_utf8(s) ? utf8_message(s) : bool_message(s);
          return false;
        }
        if (b == BoolParse::True) set_bit(c.bits, row);
        break;
      }
      case FieldType::Int: {
        const NumParse r = parse_int(s, c.i64[row]);
        if (r != NumParse::Ok) {
          if constexpr (kReport)
            message = r == NumParse::Range ? range_message(s, "an int") : bad_message(s, "an int");
          return false;
        }
        if (c.ranged && !c.def->in_range(c.i64[row])) return outside<kReport>(c, s, message);
        break;
      }
      case FieldType::Number:
      case FieldType::Money:
      case FieldType::Percent: {
        const NumParse r = parse_number(s, c.f64[row]);
        if (r == NumParse::Ok) {
          if (c.ranged && !c.def->in_range(c.f64[row])) return outside<kReport>(c, s, message);
          break;
        }
        if (r == NumParse::NaN) return missing<kReport>(c, row, task, message, true);
        if constexpr (kReport)
          message =
              r == NumParse::Range ? range_message(s, "a number") : bad_message(s, "a number");
        return false;
      }
      case FieldType::Date:
        if (!parse_date(s, c.i32[row])) {
          if constexpr (kReport) message = bad_message(s, date_expectation(s));
          return false;
        }
        if (c.ranged && !c.def->in_range(int64_t{c.i32[row]}))
          return outside<kReport>(c, s, message);
        break;
      case FieldType::Enum: {
        const int o = Schema::enum_ordinal(*c.def, s);
        if (o < 0) {
          if constexpr (kReport) message = enum_message(*c.def, s);
          return false;
        }
        c.i32[row] = o;
        break;
      }
      case FieldType::String: {
        if (!ascii && !all_ascii(s.data(), s.size()) &&
            first_invalid_utf8(s) != std::string_view::npos) {
          if constexpr (kReport) message = utf8_message(s);
          return false;
        }
        if (c.ranged && c.def->time_zone && !is_known_zone(s))
          return unknown_zone<kReport>(s, message);
        std::string& bytes = task.bytes[c.field];
        bytes.append(s.data(), s.size());
        if (bytes.size() > static_cast<size_t>(INT32_MAX)) {
          if constexpr (kReport) message = "string values too large for one batch";
          return false;
        }
        c.i32[row + 1] = static_cast<int32_t>(bytes.size());
        break;
      }
      case FieldType::StringList: {
        if (!ascii && !all_ascii(s.data(), s.size()) &&
            first_invalid_utf8(s) != std::string_view::npos) {
          if constexpr (kReport) message = utf8_message(s);
          return false;
        }
        auto& items = task.items[c.field];
        auto& entries = task.entries[c.field];
        ViewIndex& index = task.index[c.field];
        Arena& arena = task.arena;
        size_t start = 0;
        for (;;) {
          const size_t bar = s.find('|', start);
          const std::string_view item =
              s.substr(start, bar == std::string_view::npos ? std::string_view::npos : bar - start);
          if (item.empty()) {
            if constexpr (kReport) message = empty_item_message(s);
            return false;
          }
          items.push_back(
              index.find_or_add(item, entries, [&](std::string_view v) { return arena.copy(v); }));
          if (bar == std::string_view::npos) break;
          start = bar + 1;
        }
        c.i32[row + 1] = static_cast<int32_t>(items.size());
        break;
      }
    }
    if (c.validity) set_bit(c.validity, row);
    return true;
  }
  [[gnu::cold, gnu::noinline]] static std::string bool_message(std::string_view s) {
    return fmt::format("{} is not a bool (write true or false)", show(s));
  }
  [[gnu::cold, gnu::noinline]] static std::string range_message(std::string_view s,
                                                                std::string_view what) {
    return fmt::format("{} is out of range for {}", show(s), what);
  }
  [[gnu::cold, gnu::noinline]] static std::string empty_item_message(std::string_view s) {
    return fmt::format("{} has an empty list element (elements are joined with |)", show(s));
  }

  struct Slice {
    size_t begin = 0, end = 0;
    std::vector<uint32_t> ends;
    csv_simd::LineScan scan;
  };

  Schema schema_;
  int64_t batch_rows_;
  WorkerPool pool_;
  CsvScanner scanner_;
  std::string display_;
  std::vector<std::string> header_;
  int64_t header_row_ = 1;
  std::vector<std::pair<int64_t, int64_t>> row_shifts_;  // (record index, rows skipped before it)
  std::vector<Col> cols_;
  std::vector<FieldPlan> plans_;  // by schema field, for the current batch
  std::vector<std::string_view> fields_;
  std::vector<CsvTask> tasks_;
  std::vector<Slice> slices_;
  std::vector<uint32_t> lines_;          // line ends in the window (fast path)
  std::vector<uint32_t> starts_, ends_;  // the batch's records in the window (fast path)
  size_t bytes_per_record_ = 160;        // estimate for the window size
  bool vectorized_ = true;
  int64_t rows_read_ = 0;
  bool done_ = false;
  std::atomic<double> fraction_{-1.0};
  std::optional<SnapshotError> error_;
  DataErrors* sink_ = nullptr;
  std::optional<SnapshotError> first_error_;  // with a sink: the first bad row
  bool finished_ = false;
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

}  // namespace rk
