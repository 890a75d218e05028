// Rekindle runtime: result writers (CSV, JSON lines, Arrow IPC) for the output contract, and the
// atomic output file they all write through (temporary file in the target folder, renamed when
// complete; removed on failure, so no partial file is ever left behind).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "compiler/ir/program.h"
#include "runtime/columnar.h"

namespace rk {

// A file written under a temporary name in the target's folder and renamed onto the target by
// commit(). Destroying it without commit() removes the temporary file. The rules of what it may
// replace are in runtime/output_guard.h: a symlinked target is written at the file it names; a
// character device, a FIFO and "-" (standard output) are written straight through (nothing to
// rename or remove).
class AtomicFile {
 public:
  AtomicFile() = default;
  ~AtomicFile();
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  // Creates the temporary file (or opens a device, a FIFO or standard output). Returns false and
  // sets error() on failure.
  bool open(const std::string& target);
  // Appends bytes (buffered). Returns false and sets error() on failure (e.g. disk full).
  bool write(const void* data, size_t size);
  bool write(std::string_view s) { return write(s.data(), s.size()); }
  // Flushes, fsyncs and renames onto the target: complete() then publish().
  bool commit();
  // The two halves of commit(), for a group of files that appear together (runtime/handoff.h):
  // complete() flushes, fsyncs and closes the temporary file (it stays registered, so a signal or
  // abort() still removes it); publish() renames it onto the target.
  bool complete();
  bool publish();
  // The file publish() renames onto (symlinks followed); "" for a file written through (standard
  // output, a device, a FIFO: nothing to rename or remove).
  std::string target() const { return through_ ? std::string() : final_; }
  // Removes the temporary file (also done by the destructor when not committed).
  void abort();
  const std::string& error() const { return error_; }
  const std::string& temp_path() const { return temp_; }

 private:
  bool flush();
  bool write_through(const char* p, size_t size);
  // Starts the kernel writing what has been written so far to disk (not waiting for it), so the
  // fsync of commit() does not wait for the whole file at once.
  void start_writeback();
  int fd_ = -1;
  std::string target_, temp_, error_;
  std::string final_;  // the file the target names (symlinks followed)
  std::string buffer_;
  bool committed_ = false;
  bool completed_ = false;
  bool through_ = false;    // standard output, a device or a FIFO: written straight through
  uint64_t written_ = 0;    // bytes written to fd_
  uint64_t writeback_ = 0;  // bytes whose writeback has been started
};

// Removes every temporary file AtomicFile has open; safe to call from a signal handler.
void remove_open_temp_files_from_signal();

// Row `r` of a wide output column (ir::OutputWidth::Int64 / Float64).
inline int64_t output_int(const int8_t* column, int64_t r) {
  return reinterpret_cast<const int64_t*>(column)[r];
}
inline double output_float(const int8_t* column, int64_t r) {
  return reinterpret_cast<const double*>(column)[r];
}
// Row `r` of a FieldText column (the `owner`): the field's text, or the column's default when
// the field is missing; nullopt when the column is empty for the row (no review).
inline std::optional<std::string_view> field_text(const ir::ResultColumn& col, const Batch& batch,
                                                  const int8_t* const* outputs, int64_t r) {
  if (outputs[col.outputs[0]][r] != 1) return std::nullopt;
  if (col.field >= 0)
    if (auto s = batch.string_at(static_cast<size_t>(col.field), r)) return s;
  return col.texts.empty() ? std::string_view() : std::string_view(col.texts[0]);
}

enum class ResultFormat { Csv, Jsonl, Arrow };

// Rows [begin, end) of a batch, encoded by ResultWriter::encode and not yet in the file: the
// bytes to append and, for container formats, how they frame (an Arrow record batch message).
struct EncodedRows {
  std::string bytes;
  int64_t rows = 0;
  int32_t meta_bytes = 0;  // Arrow: the message's metadata length (continuation + flatbuffer)
  int64_t body_bytes = 0;  // Arrow: the message's body length
  // The same rows for the other files of an output group (runtime/handoff.h), one per file.
  std::vector<std::string> companions;
};

// Writes the program's result columns, batch by batch in snapshot order.
class ResultWriter {
 public:
  virtual ~ResultWriter() = default;
  // `outputs[k]` is the int8 column of Program::outputs[k] for the batch's rows; the key column
  // is read from `batch`.
  virtual bool write(const Batch& batch, const int8_t* const* outputs) = 0;
  // Completes and renames the file. Without finish(), nothing is left at the target.
  virtual bool finish() = 0;
  // The two halves of finish(), for writers in a group of files that appear together
  // (runtime/handoff.h): complete() writes what is left and syncs the file under its temporary
  // name; publish() renames it onto the target. A writer that does not split them completes
  // nothing and finishes when published.
  virtual bool complete() { return true; }
  virtual bool publish() { return finish(); }
  // The file's target ("" when it writes no file of its own, or writes standard output).
  virtual std::string target() const { return ""; }
  virtual const std::string& error() const = 0;

  // Parallel encoding, for writers that support it (the evaluator uses it when true): encode()
  // turns rows [begin, end) into bytes and may run concurrently for disjoint ranges; append()
  // then writes the pieces one after the other, in row order. The file depends only on how the
  // rows were cut into pieces, so the evaluator cuts them independently of the thread count.
  virtual bool parallel_encoding() const { return false; }
  virtual void encode(const Batch& batch, const int8_t* const* outputs, int64_t begin, int64_t end,
                      EncodedRows& out) const {
    (void)batch, (void)outputs, (void)begin, (void)end, (void)out;
  }
  virtual bool append(EncodedRows& piece) {
    (void)piece;
    return false;
  }
};

std::unique_ptr<ResultWriter> open_result_writer(const std::string& path, ResultFormat format,
                                                 const ir::Program& program, std::string& error);

}  // namespace rk
