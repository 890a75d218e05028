// Rekindle runtime: Arrow IPC file writers. ArrowSnapshotWriter writes schema-typed snapshot
// batches (the inverse of the Arrow reader); open_arrow_result_writer writes the evaluation's
// result columns. Both write the uncompressed Arrow IPC file format through rk::AtomicFile, one
// record batch per write().
//
// Snapshot column types: int -> int64, number/money/percent -> float64, date -> date32,
// bool -> bool, string -> utf8, enum -> dictionary<int32, utf8> whose dictionary is the schema's
// enum values in declaration order (codes are the ordinals), list of string -> list<utf8>.
// Nullable fields carry validity bitmaps; non-nullable fields are written without.
#pragma once

#include <memory>
#include <string>

#include "compiler/ir/program.h"
#include "compiler/ir/schema.h"
#include "runtime/columnar.h"
#include "runtime/result_writer.h"

namespace rk {

class ArrowIpcFileWriter;  // the container (runtime/arrow_writer.cpp)

class ArrowSnapshotWriter {
 public:
  explicit ArrowSnapshotWriter(Schema schema);
  ~ArrowSnapshotWriter();
  ArrowSnapshotWriter(const ArrowSnapshotWriter&) = delete;
  ArrowSnapshotWriter& operator=(const ArrowSnapshotWriter&) = delete;

  // Creates the (temporary) file and writes the schema. Returns false and sets error().
  bool open(const std::string& path);
  // Appends `batch` (columns in schema order) as one record batch.
  bool write(const Batch& batch);
  // Writes the footer and renames the file onto the target.
  bool finish();
  const std::string& error() const { return error_; }

 private:
  Schema schema_;
  std::unique_ptr<ArrowIpcFileWriter> file_;
  std::string error_;
};

// The Arrow result writer for ResultFormat::Arrow (all columns nullable): Key -> utf8,
// Enumerated Text -> dictionary<int8, utf8> (the dictionary is the column's texts in order),
// Bool -> bool, Int -> int32 (parsed from the texts), Joined -> dictionary<int16, utf8> whose
// entry m joins the names of the rules in bit mask m (up to 8 rules; more: plain utf8). One record
// batch per piece the evaluator encodes (or per write()).
std::unique_ptr<ResultWriter> open_arrow_result_writer(const std::string& path,
                                                       const ir::Program& program,
                                                       std::string& error);

}  // namespace rk
