// Rekindle runtime: the CSV snapshot reader. A streaming RFC 4180 scanner (fixed-size read buffer,
// records may cross buffer boundaries, a 64 MiB guard per record) and the typed reader that turns
// records into rk::Batch columns by the schema, matching columns by header name.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/columnar.h"
#include "runtime/sha256.h"

namespace rk {

// The largest single record the scanner accepts; longer records are an error naming the row.
inline constexpr size_t kCsvMaxRecordBytes = size_t{64} << 20;

struct CsvScanOptions {
  size_t buffer_bytes = size_t{1} << 20;         // the fixed read buffer
  size_t max_record_bytes = kCsvMaxRecordBytes;  // guard (the buffer grows up to this for a record)
  // The typed reader's vectorised path (structural scan of a whole batch, then its rows
  // converted in parallel tasks); off: record by record only. Both give the same batches and the
  // same errors: the vectorised path hands any batch it cannot take to the record-by-record one.
  bool vectorized = true;
};

// Low-level record scanner: splits a CSV file into records of fields (quotes removed, doubled
// quotes undone). Handles an optional UTF-8 BOM, LF and CRLF (a lone CR also ends a line), quoted
// fields with commas, quotes and newlines. Blank lines are skipped (they still count as rows).
// Field views stay valid until the next call to next(). It does not validate UTF-8.
class CsvScanner {
 public:
  CsvScanner();
  ~CsvScanner();
  CsvScanner(const CsvScanner&) = delete;
  CsvScanner& operator=(const CsvScanner&) = delete;

  // Opens `path` for reading; `display` names the file in errors. Returns false and sets error().
  bool open(const std::string& path, const std::string& display, const CsvScanOptions& opts = {});
  // Reads from an open descriptor (a pipe or a FIFO, taken over and closed by the scanner),
  // after the bytes of `prefix` (what was read from it to tell its format).
  void open_fd(int fd, std::string prefix, const std::string& display,
               const CsvScanOptions& opts = {});
  // Reads from memory instead of a file (tests, tools), through the same buffer logic.
  void open_memory(std::string data, const std::string& display, const CsvScanOptions& opts = {});

  enum class Status { Record, End, Error };
  // Reads the next record into `fields`. Returns Record, End (no more records) or Error.
  Status next(std::vector<std::string_view>& fields);
  // Reads the header row into `fields`: false with `err` set on a read error or an empty file.
  bool header(std::vector<std::string_view>& fields, std::optional<SnapshotError>& err);
  // Spreadsheet row of the record last returned (the first record of the file is row 1).
  int64_t row() const { return row_; }
  const std::optional<SnapshotError>& error() const { return error_; }
  // Bytes consumed so far (for progress and throughput reporting).
  uint64_t bytes_consumed() const { return consumed_total_; }
  // The file's size when opened (0 for memory and for files whose size is unknown, e.g. pipes).
  uint64_t file_bytes() const { return file_bytes_; }
  const CsvScanOptions& options() const { return opts_; }
  // The input's size (the file's, or the memory's), 0 when unknown.
  uint64_t input_bytes() const { return from_memory_ ? memory_.size() : file_bytes_; }

  // The unconsumed bytes as one window, for scanning many records at once: fill_window() makes
  // at least `want` bytes available (fewer only at the end of the input), growing the buffer to
  // `want` if needed; returns false on a read error (then error() is set). window() is followed
  // by at least csv_simd::kReadPastEnd readable bytes; it moves when fill_window() runs.
  bool fill_window(size_t want);
  const char* window() const { return buf_.get() + begin_; }
  size_t window_size() const { return end_ - begin_; }
  bool at_end_of_input() const { return eof_; }
  // The SHA-256 of every byte read from the file (as 64 hex digits) and their count, hashed as
  // they were read; "" before the end of the file, for memory and without a fingerprint.
  std::string sha256();
  uint64_t bytes_read() const { return read_bytes_; }
  // Whether to hash the bytes read (ReaderOptions::fingerprint; off unless asked, so schema
  // inference hashes nothing); call before the first read.
  void set_fingerprint(bool on) { fingerprint_ = on; }
  // Consumes the first `bytes` of the window, which held `lines` lines (records and blank lines).
  void consume(size_t bytes, int64_t lines);

 private:
  enum class Parse { Done, NeedMore, Bad };
  Parse parse_record(std::vector<std::string_view>& fields, size_t& record_end);
  bool refill();
  // Moves the unconsumed bytes into a new buffer of `new_cap` bytes (plus the read-past pad).
  void grow(size_t new_cap);
  size_t read_some(char* dst, size_t n);
  void drain_hash() {
    if (fingerprint_) sha_.drain();
  }
  // `column`: 1-based position of the field concerned, 0 for none (stored as text in the error).
  void fail(int64_t row, std::string message, size_t column = 0);

  int fd_ = -1;
  bool eof_ = false;
  bool first_read_ = true;
  std::string display_;
  CsvScanOptions opts_;
  std::string memory_;  // open_memory source
  size_t memory_pos_ = 0;
  bool from_memory_ = false;
  std::unique_ptr<char[]> buf_;
  size_t cap_ = 0, begin_ = 0, end_ = 0;
  std::string scratch_;  // unescaped quoted fields of the current record (never reallocates)
  int64_t row_ = 0;
  uint64_t consumed_total_ = 0;
  uint64_t file_bytes_ = 0;
  // Of the bytes read from the file, when fingerprint_: each read's bytes are hashed on a thread
  // of their own, in order; the buffer is drained (drain_hash) before its bytes move or it is
  // freed. Declared after buf_, so it stops before buf_ is freed.
  BackgroundSha256 sha_;
  bool fingerprint_ = false;
  uint64_t read_bytes_ = 0;
  std::string digest_;
  std::optional<SnapshotError> error_;
  std::string bad_message_;
  size_t bad_column_ = 0;
};

// Opens a CSV snapshot typed by `schema` (columns matched by header name; extra columns are
// ignored). Returns null and sets `err` when the file cannot be opened or its header does not
// match the schema. Value errors are reported by the reader's error() when next() returns false.
//
// Accepted values (an empty field is a missing value; allowed only in nullable fields):
//   bool: true/false, TRUE/FALSE, True/False, 1/0
//   int: optional sign and decimal digits, within int64
//   number/money/percent: decimal or scientific notation (locale-free, correctly rounded),
//     inf/infinity; `NaN` (any case) is a missing value for nullable fields, an error otherwise
//   date: YYYY-MM-DD
//   enum: exactly one of the schema's values
//   string: any valid UTF-8 (offsets + bytes, RK_STR_PLAIN32)
//   list of string: elements joined with `|`; an empty field is the empty list for a non-nullable
//     list field and a missing value for a nullable one; empty elements are an error (items are
//     dictionary-encoded per batch, in order of first appearance)
std::unique_ptr<SnapshotReader> open_csv_snapshot(const std::string& path, const Schema& schema,
                                                  const ReaderOptions& opts,
                                                  std::optional<SnapshotError>& err,
                                                  const CsvScanOptions& scan = {});

// Same, over an open descriptor (a pipe or a FIFO; the reader takes it over) whose first bytes,
// `prefix`, were already read from it.
std::unique_ptr<SnapshotReader> open_csv_snapshot_fd(int fd, std::string prefix,
                                                     const std::string& display,
                                                     const Schema& schema,
                                                     const ReaderOptions& opts,
                                                     std::optional<SnapshotError>& err);

// Same, over CSV text in memory (tests); `display` names it in errors.
std::unique_ptr<SnapshotReader> open_csv_snapshot_memory(
    std::string data, const std::string& display, const Schema& schema, const ReaderOptions& opts,
    std::optional<SnapshotError>& err, const CsvScanOptions& scan = {});

// A CSV column's type as inferred from its values (for `rekindle schema`).
struct InferredField {
  std::string name;
  FieldType type = FieldType::String;
  bool nullable = false;
};
// Infers a schema from the header and the first `max_rows` records of a CSV file.
// Types: bool (true/false in any case seen above), int, number (money when every value is written
// with exactly two decimals, like 84.50), date, string, list of string (when a value contains
// `|`); nullable when an empty value is seen.
bool infer_csv_schema(const std::string& path, int64_t max_rows, std::vector<InferredField>& out,
                      std::optional<SnapshotError>& err);

}  // namespace rk
