// Rekindle runtime: the one in-memory columnar form every snapshot reader produces and the
// evaluator scans. A Batch holds one column per schema field (schema order) as RkColumn views
// over buffers it owns or over a memory-mapped file it keeps alive (zero copy).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "compiler/ir/batch_abi.h"
#include "compiler/ir/schema.h"

namespace rk {

// A dictionary of distinct strings; codes index `entries`. Views point into `arena` or into a
// memory-mapped file kept alive by the batch.
struct StringDict {
  std::vector<std::string_view> entries;
  std::vector<std::unique_ptr<char[]>> arena;  // storage for copied strings
  // Every entry is known to be valid UTF-8 (set by the reader that checked them, so a dictionary
  // shared by many batches is checked once).
  mutable bool utf8_checked = false;
};

// The string of row r of a String column (any encoding), or nullopt when missing. Inline: the
// per-row loops of the atoms and the writers call it for every row.
inline std::optional<std::string_view> column_string_at(const RkColumn& col, int64_t r) {
  if (col.validity && !((col.validity[r >> 3] >> (r & 7)) & 1)) return std::nullopt;
  switch (col.encoding) {
    case RK_STR_DICT:
      return static_cast<const StringDict*>(col.dict)
          ->entries[static_cast<size_t>(static_cast<const int32_t*>(col.values)[r])];
    case RK_STR_PLAIN32: {
      const auto* off = static_cast<const int32_t*>(col.offsets);
      return std::string_view(col.data + off[r], static_cast<size_t>(off[r + 1] - off[r]));
    }
    default: {
      const auto* off = static_cast<const int64_t*>(col.offsets);
      return std::string_view(col.data + off[r], static_cast<size_t>(off[r + 1] - off[r]));
    }
  }
}

struct Batch {
  int64_t num_rows = 0;
  int64_t first_row = 0;          // 0-based index of this batch's first row in the snapshot
  std::vector<RkColumn> columns;  // schema order; pointers stay valid while the batch lives
  std::vector<std::shared_ptr<void>> owned;              // buffers, dictionaries, the mapping
  std::vector<std::shared_ptr<const StringDict>> dicts;  // per column (null if none)

  // The string of row `r` of String column `c` (dictionary or plain), or nullopt when missing.
  std::optional<std::string_view> string_at(size_t c, int64_t r) const {
    return column_string_at(columns[c], r);
  }
};

// A data error with its place: `file:row: column NAME: message`. Row is 1-based as a spreadsheet
// shows it (CSV: the header is row 1, the first customer row 2; Arrow: the first record is row 1).
// row == 0 means the error concerns the whole file (e.g. a missing column or a broken header).
struct SnapshotError {
  std::string file;
  int64_t row = 0;
  std::string column;  // empty when not about one column
  std::string message;
  std::string to_string() const;
};

// Reads a snapshot batch by batch, typed by a schema. Streaming: memory stays bounded by the
// batch size (CSV) or the mapping (Arrow).
class SnapshotReader {
 public:
  virtual ~SnapshotReader() = default;
  // Fills `out` with the next batch. Returns false at the end or on error (then error() is set).
  virtual bool next(Batch& out) = 0;
  virtual const std::optional<SnapshotError>& error() const = 0;
  // Total rows when known in advance (Arrow), else -1 (CSV).
  virtual int64_t total_rows() const { return -1; }
  // The share of the input consumed by the batches returned so far, 0..1, or -1 when unknown
  // (CSV: bytes read / file size, for a progress estimate). Safe to call from another thread.
  virtual double fraction_read() const { return -1; }
  // The run manifest's fingerprint of the snapshot file: the SHA-256 of every byte of it (64
  // lowercase hex digits), computed from the bytes as the reader read them, not by a second pass;
  // "" before every byte has been read, and for a snapshot that is not a file. Call it after
  // next() has returned false without an error.
  virtual std::string sha256() { return ""; }
  // The bytes of the file hashed (its size once sha256() is known), -1 when not a file.
  virtual int64_t bytes_read() const { return -1; }
  // The row number shown in messages for the snapshot's `index`-th record (0-based), as a
  // spreadsheet shows it (see SnapshotError): Arrow index + 1; CSV counts the header and blank
  // lines.
  virtual int64_t display_row(int64_t index) const { return index + 1; }
};

class DataErrors;

struct ReaderOptions {
  int64_t batch_rows = 64 * 1024;  // target rows per batch (CSV); Arrow uses its record batches
  // Check that the schema's key is unique (runtime/key_check.h): a key in two rows is a data
  // error reported after the last batch.
  bool check_keys = true;
  // Threads that decode a batch (CSV: its rows in tasks of 4,096; Arrow: its columns), counting
  // the thread that calls next(). Batches are the same for any count.
  int threads = 1;
  // Where bad rows are reported (runtime/data_errors.h). Null: reading stops at the first bad
  // row. Set: every bad row is reported and the snapshot is read to its end; no batch is handed
  // out after a bad row, and next() then fails with error() naming the first.
  DataErrors* errors = nullptr;
  // Compute the snapshot's SHA-256 as it is read (the run manifest's fingerprint,
  // SnapshotReader::sha256()). Off: sha256() is "" and the hash costs nothing; a caller that
  // reports no manifest (`rekindle eval --quiet` without `--summary`) turns it off.
  bool fingerprint = true;
};

// Opens a snapshot by extension (.arrow/.feather/.ipc/.arrows -> Arrow, .csv -> CSV) or content.
// Returns null and sets `err` when the file cannot be opened or does not match the schema.
std::unique_ptr<SnapshotReader> open_snapshot(const std::string& path, const Schema& schema,
                                              const ReaderOptions& opts,
                                              std::optional<SnapshotError>& err);

}  // namespace rk
