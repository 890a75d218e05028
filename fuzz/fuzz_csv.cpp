// Rekindle fuzzing: the CSV snapshot reader on arbitrary bytes, typed by the playbook schema, read
// from a real file descriptor with a small read buffer (records cross buffer boundaries). Every
// value of every batch is touched so ASan sees a bad view, and the atoms of the playbook rules
// are prepared over each batch.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "compiler/check/compile.h"
#include "fuzz/fuzz_util.h"
#include "runtime/atoms.h"
#include "runtime/csv_reader.h"
#include "runtime/generate.h"
#include "runtime/interpreter.h"

namespace {

const rk::ir::Program& playbook() {
  static const rk::ir::Program program = [] {
    rk::CompileResult r = rk::compile_rules(std::string(RK_SOURCE_DIR) + "/rules/winback.rules");
    if (!r.program) std::abort();
    return *r.program;
  }();
  return program;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const rk::Schema schema = rk::playbook_schema();
  static const auto interp = rk::make_interpreter(playbook());
  if (size < 1) return 0;
  // First byte: buffer size and batch size knobs; the rest is the file.
  const uint8_t knob = data[0];
  rk::fuzz::MemFile file(data + 1, size - 1);
  rk::CsvScanOptions scan;
  scan.buffer_bytes = size_t{16} << (knob & 7);  // 16 B .. 2 KiB
  scan.max_record_bytes = size_t{1} << 16;
  rk::ReaderOptions ropts;
  ropts.batch_rows = 1 + (knob >> 3);
  std::optional<rk::SnapshotError> err;
  auto reader = rk::open_csv_snapshot(file.path(), schema, ropts, err, scan);
  if (!reader) {
    if (!err) std::abort();
    return 0;
  }
  rk::Batch batch;
  volatile uint64_t sink = 0;
  while (reader->next(batch)) {
    for (size_t c = 0; c < batch.columns.size(); ++c) {
      for (int64_t r = 0; r < batch.num_rows; ++r) {
        if (schema.fields[c].type == rk::FieldType::String) {
          if (auto s = batch.string_at(c, r)) sink = sink + s->size() + (s->empty() ? 0 : (*s)[0]);
        }
      }
    }
    rk::PreparedAtoms atoms;
    atoms.prepare(playbook(), batch);
    std::vector<std::vector<int8_t>> out(playbook().outputs.size(),
                                         std::vector<int8_t>(batch.num_rows));
    std::vector<int8_t*> ptrs;
    for (auto& o : out) ptrs.push_back(o.data());
    RkBatchView view{batch.columns.data(), atoms.data(), batch.num_rows, 20759, 0};
    RkResultView res{ptrs.data(), batch.num_rows};
    interp->run(view, res, 0, batch.num_rows);
    batch = rk::Batch{};
  }
  if (reader->error() && reader->error()->message.empty()) std::abort();
  return 0;
}
