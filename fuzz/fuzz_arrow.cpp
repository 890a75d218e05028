// Rekindle fuzzing: the Arrow IPC reader (file and stream formats) on arbitrary bytes. The input is
// read twice: with the schema inferred from its own metadata (reaches every column type) and with
// the playbook schema (the evaluator's path); every batch's values are touched.
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>

#include "compiler/check/compile.h"
#include "fuzz/fuzz_util.h"
#include "runtime/arrow_reader.h"
#include "runtime/atoms.h"
#include "runtime/generate.h"

namespace {

volatile uint64_t g_sink = 0;

void touch(const rk::Schema& schema, const rk::Batch& b) {
  for (size_t c = 0; c < b.columns.size() && c < schema.fields.size(); ++c) {
    const RkColumn& col = b.columns[c];
    const rk::FieldType t = schema.fields[c].type;
    for (int64_t r = 0; r < b.num_rows; ++r) {
      if (col.validity && !((col.validity[r >> 3] >> (r & 7)) & 1)) continue;
      switch (t) {
        case rk::FieldType::String:
          if (auto s = b.string_at(c, r)) g_sink = g_sink + s->size() + (s->empty() ? 0 : (*s)[0]);
          break;
        case rk::FieldType::Bool:
          g_sink = g_sink + ((static_cast<const uint8_t*>(col.values)[r >> 3] >> (r & 7)) & 1);
          break;
        case rk::FieldType::Int: {
          int64_t v;
          std::memcpy(&v, static_cast<const char*>(col.values) + 8 * r, 8);
          g_sink = g_sink + static_cast<uint64_t>(v);
          break;
        }
        case rk::FieldType::Number:
        case rk::FieldType::Money:
        case rk::FieldType::Percent: {
          double v;
          std::memcpy(&v, static_cast<const char*>(col.values) + 8 * r, 8);
          g_sink = g_sink + (v > 0);
          break;
        }
        case rk::FieldType::Date:
        case rk::FieldType::Enum: {
          int32_t v;
          std::memcpy(&v, static_cast<const char*>(col.values) + 4 * r, 4);
          g_sink = g_sink + static_cast<uint32_t>(v);
          break;
        }
        case rk::FieldType::StringList:
          break;  // read through the atoms below (playbook schema)
      }
    }
  }
}

const rk::ir::Program& playbook_program() {
  static const rk::ir::Program program = [] {
    rk::CompileResult r = rk::compile_rules(std::string(RK_SOURCE_DIR) + "/rules/winback.rules");
    if (!r.program) std::abort();
    return *r.program;
  }();
  return program;
}

void read_all(const std::string& path, const rk::Schema& schema, bool atoms) {
  std::optional<rk::SnapshotError> err;
  auto reader = rk::open_arrow_snapshot(path, schema, rk::ReaderOptions{}, err);
  if (!reader) {
    if (!err) std::abort();
    return;
  }
  rk::Batch batch;
  int guard = 0;
  while (reader->next(batch) && ++guard < 100000) {
    touch(schema, batch);
    if (atoms) {
      rk::PreparedAtoms prepared;
      prepared.prepare(playbook_program(), batch);
    }
    batch = rk::Batch{};
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const rk::Schema playbook = rk::playbook_schema();
  rk::fuzz::MemFile file(data, size);
  std::optional<rk::SnapshotError> err;
  if (auto inferred = rk::infer_arrow_schema(file.path(), err))
    read_all(file.path(), *inferred, false);
  read_all(file.path(), playbook, true);
  return 0;
}
