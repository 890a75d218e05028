// Rekindle runtime: the batch evaluator. Reads a snapshot batch by batch, prepares atoms, runs
// an executor over chunks of rows spread across threads (results placed by row position, so the
// output is identical for any thread count), counts the summary and hands rows to a writer.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "compiler/ir/executor.h"
#include "compiler/ir/program.h"
#include "runtime/columnar.h"
#include "runtime/result_writer.h"
#include "runtime/thread_pool.h"

namespace rk {

// What the summary says of a Number column (a score): how many rows have a value, the smallest
// and largest, and their sum (for the mean). Ints are summed exactly (128 bits); decimals in
// row order within a chunk and chunk by chunk, so the figures do not depend on the thread count.
struct NumberStats {
  int64_t count = 0;
  int64_t imin = 0, imax = 0;
  __int128 isum = 0;
  double fmin = 0, fmax = 0, fsum = 0;
  void merge(const NumberStats& o);
};

// Counts per result column and value, in the order of the program's columns and texts.
struct Summary {
  int64_t rows = 0;
  // columns[c][v]: rows whose column c has value v (texts index); the last slot counts empties.
  std::vector<std::vector<int64_t>> counts;
  // numbers[c]: the figures of a Number column c (unused for the others).
  std::vector<NumberStats> numbers;

  void init(const ir::Program& program);
  void add(const ir::Program& program, const int8_t* const* outputs, int64_t rows) {
    add(program, outputs, 0, rows);
  }
  // Counts rows [begin, end) of the output columns.
  void add(const ir::Program& program, const int8_t* const* outputs, int64_t begin, int64_t end);
  void merge(const Summary& other);
};

// The output columns of one program for the current batch, reused from batch to batch: one byte
// per row for a Code output, eight (an int64 or a double, 8-byte aligned) for a wide one.
class OutputColumns {
 public:
  explicit OutputColumns(const ir::Program& program)
      : columns_(program.outputs.size()), pointers_(program.outputs.size()) {
    words_.reserve(program.outputs.size());
    for (const auto& o : program.outputs) words_.push_back(o.width != ir::OutputWidth::Code);
  }
  // Sizes every column for `rows` rows (at least one row, so no pointer is null).
  void resize(int64_t rows) {
    const size_t n = static_cast<size_t>(rows > 1 ? rows : 1);
    for (size_t k = 0; k < columns_.size(); ++k) {
      columns_[k].resize(words_[k] ? n : (n + 7) / 8);
      pointers_[k] = reinterpret_cast<int8_t*>(columns_[k].data());
    }
  }
  // pointers()[k] is output k's column.
  int8_t* const* pointers() const { return pointers_.data(); }
  RkResultView view(int64_t rows) const { return RkResultView{pointers_.data(), rows}; }

 private:
  std::vector<std::vector<uint64_t>> columns_;  // 8-byte words: aligned for wide values
  std::vector<int8_t*> pointers_;
  std::vector<bool> words_;  // a wide output: one word per row
};

struct EvalOptions {
  int32_t as_of = 0;           // days since 1970-01-01
  int64_t chunk_rows = 16384;  // rows per task
  // Called after every batch with rows done so far (and total rows when known, else -1).
  std::function<void(int64_t done, int64_t total)> progress;
  const std::atomic<bool>* cancel = nullptr;  // stop early when set
  // With a pool of more than one thread: read (decode) the next batch on a thread of its own
  // while the pool evaluates the current one, so decoding overlaps evaluation. Only for readers
  // that may be called from another thread (the C++ readers; not readers over Python objects). At
  // most two batches are in memory at once.
  bool read_ahead = false;
};

// Evaluates the whole snapshot, its chunks on `pool`. `writer` may be null (summary only). Returns
// false with `error` set on a data error, a write error or cancellation; the writer is then not
// finished.
bool evaluate(const ir::Program& program, const Executor& executor, SnapshotReader& reader,
              ResultWriter* writer, WorkerPool& pool, const EvalOptions& opts, Summary& summary,
              std::string& error);

// The summary as JSON text (pretty-printed), with the run's inputs for reproducibility (texts,
// and numbers such as the snapshot's size and the threads).
std::string summary_json(const ir::Program& program, const Summary& summary,
                         const std::map<std::string, std::string>& inputs,
                         const std::map<std::string, int64_t>& numbers = {});
// The summary as human-readable text.
std::string summary_text(const ir::Program& program, const Summary& summary);

}  // namespace rk
