// Rekindle runtime: text writers. The CSV and JSON-lines result writers of the output contract,
// and the CSV snapshot writer (rk::Batch rows per rk::Schema, in the format the CSV reader
// accepts, for `convert` and `gen`). All write through AtomicFile.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "compiler/ir/program.h"
#include "runtime/columnar.h"
#include "runtime/result_writer.h"

namespace rk {

// Appends `s` as one CSV field: quoted (inner quotes doubled) when it contains a comma, a quote,
// CR or LF; as is otherwise.
void append_csv_field(std::string& out, std::string_view s);
bool csv_needs_quotes(std::string_view s);
// Appends `s` as a JSON string literal (quotes, backslash and control characters escaped; UTF-8
// passed through).
void append_json_string(std::string& out, std::string_view s);

std::unique_ptr<ResultWriter> open_csv_result_writer(const std::string& path,
                                                     const ir::Program& program,
                                                     std::string& error);
std::unique_ptr<ResultWriter> open_jsonl_result_writer(const std::string& path,
                                                       const ir::Program& program,
                                                       std::string& error);

// Writes snapshot batches as CSV: a header of the schema's field names, then one record per row.
// bool: true/false; int: decimal; number/percent: the shortest text that reads back to the same
// double; money: two decimals when that is exact, else the shortest text; date: YYYY-MM-DD;
// enum: its value; list of string: elements joined with `|`; missing: an empty field.
// Values CSV cannot carry losslessly are errors: list elements that are empty or contain `|`,
// dates outside 0001-01-01..9999-12-31, enum ordinals out of range.
class CsvSnapshotWriter {
 public:
  bool open(const std::string& path, const Schema& schema);
  bool write(const Batch& batch);
  bool finish();
  void abort() { file_.abort(); }
  const std::string& error() const { return error_; }

  // Formats the rows of `batch` (without header) onto `out`; false and `error` on a value CSV
  // cannot represent. Exposed for tests and tools.
  static bool format_rows(const Schema& schema, const Batch& batch, std::string& out,
                          std::string& error);
  static std::string header(const Schema& schema);

 private:
  Schema schema_;
  AtomicFile file_;
  std::string buf_;
  std::string error_;
};

}  // namespace rk
