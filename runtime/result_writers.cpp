// Rekindle runtime: open_result_writer, the one entry point to the result writers (CSV and JSON
// lines in runtime/csv_writer.cpp, Arrow IPC in runtime/arrow_writer.cpp).
#include "runtime/arrow_writer.h"
#include "runtime/csv_writer.h"
#include "runtime/result_writer.h"

namespace rk {

std::unique_ptr<ResultWriter> open_result_writer(const std::string& path, ResultFormat format,
                                                 const ir::Program& program, std::string& error) {
  switch (format) {
    case ResultFormat::Csv:
      return open_csv_result_writer(path, program, error);
    case ResultFormat::Jsonl:
      return open_jsonl_result_writer(path, program, error);
    case ResultFormat::Arrow:
      return open_arrow_result_writer(path, program, error);
  }
  error = "unknown result format";
  return nullptr;
}

}  // namespace rk
