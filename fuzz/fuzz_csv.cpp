// Rekindle fuzzing: the CSV snapshot reader on arbitrary bytes, typed by the playbook schema, read
// from a real file descriptor with a small read buffer (records cross buffer boundaries). The file
// is read twice, record by record (the reference path) and vectorised (one structural scan per
// batch, rows converted in parallel tasks on 1 or 3 threads): both must give the same batches and
// the same error, byte for byte. Every value of every batch is touched so ASan sees a bad view,
// and the playbook's atoms are prepared and the interpreter run over each batch.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "compiler/check/compile.h"
#include "compiler/ir/helpers.h"
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

// Every value of a batch as text (strings and list items by their bytes), and the batch size.
void append_text(const rk::Schema& schema, const rk::Batch& b, std::string& out) {
  out += "batch " + std::to_string(b.num_rows) + "\n";
  for (int64_t r = 0; r < b.num_rows; ++r) {
    for (size_t c = 0; c < b.columns.size(); ++c) {
      const RkColumn& col = b.columns[c];
      out += '|';
      if (!rk::is_present(col.validity, r)) {
        out += '-';
        continue;
      }
      switch (schema.fields[c].type) {
        case rk::FieldType::Bool:
          out += rk::bit_is_set(static_cast<const uint8_t*>(col.values), r) ? 'T' : 'F';
          break;
        case rk::FieldType::Int:
          out += std::to_string(static_cast<const int64_t*>(col.values)[r]);
          break;
        case rk::FieldType::Number:
        case rk::FieldType::Money:
        case rk::FieldType::Percent: {
          const double v = static_cast<const double*>(col.values)[r];
          out.append(reinterpret_cast<const char*>(&v), sizeof v);
          break;
        }
        case rk::FieldType::Date:
        case rk::FieldType::Enum:
          out += std::to_string(static_cast<const int32_t*>(col.values)[r]);
          break;
        case rk::FieldType::String:
          out += *b.string_at(c, r);
          break;
        case rk::FieldType::StringList: {
          const auto* off = static_cast<const int32_t*>(col.offsets);
          const auto* d = static_cast<const rk::StringDict*>(col.dict);
          for (int32_t i = off[r]; i < off[r + 1]; ++i)
            out += std::to_string(col.child_codes[i]) + ":" +
                   std::string(d->entries[static_cast<size_t>(col.child_codes[i])]) + ";";
          break;
        }
      }
    }
    out += '\n';
  }
}

// Reads the whole file; returns every batch as text followed by the error, if any.
std::string read_all(const std::string& path, const rk::Schema& schema, uint8_t knob,
                     bool vectorized, int threads) {
  rk::CsvScanOptions scan;
  scan.buffer_bytes = size_t{16} << (knob & 7);  // 16 B .. 2 KiB
  scan.max_record_bytes = size_t{1} << 16;
  scan.vectorized = vectorized;
  rk::ReaderOptions ropts;
  ropts.batch_rows = 1 + (knob >> 3);
  ropts.threads = threads;
  std::optional<rk::SnapshotError> err;
  auto reader = rk::open_csv_snapshot(path, schema, ropts, err, scan);
  if (!reader) {
    if (!err) std::abort();
    return "open: " + err->to_string();
  }
  std::string text;
  rk::Batch batch;
  while (reader->next(batch)) {
    append_text(schema, batch, text);
    rk::PreparedAtoms atoms;
    atoms.prepare(playbook(), batch);
    static const auto interp = rk::make_interpreter(playbook());
    std::vector<std::vector<int8_t>> out(playbook().outputs.size(),
                                         std::vector<int8_t>(batch.num_rows));
    std::vector<int8_t*> ptrs;
    for (auto& o : out) ptrs.push_back(o.data());
    RkBatchView view{batch.columns.data(), atoms.data(), batch.num_rows, 20759, 0};
    RkResultView res{ptrs.data(), batch.num_rows};
    interp->run(view, res, 0, batch.num_rows);
    batch = rk::Batch{};
  }
  if (reader->error()) {
    if (reader->error()->message.empty()) std::abort();
    text += "error: " + reader->error()->to_string();
  }
  return text;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const rk::Schema schema = rk::playbook_schema();
  if (size < 1) return 0;
  // First byte: buffer size and batch size knobs; the rest is the file.
  const uint8_t knob = data[0];
  rk::fuzz::MemFile file(data + 1, size - 1);
  const std::string reference = read_all(file.path(), schema, knob, false, 1);
  const std::string vectorized = read_all(file.path(), schema, knob, true, 1 + 2 * (size & 1));
  if (reference != vectorized) std::abort();  // the two paths must agree
  return 0;
}
