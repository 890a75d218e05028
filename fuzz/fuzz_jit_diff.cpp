// Rekindle fuzzing: structure-aware differential target. The input bytes drive fuzz/rule_gen.h to
// a well-typed rule file over the playbook schema and an edge-heavy CSV snapshot (extreme ints,
// inf, NaN, dates before 1970 and after 2100, missing values); the reference interpreter and the
// JIT (at a fuzzed optimization level, run in uneven chunks) must write identical outputs for
// every row. A disagreement prints the rule file, the snapshot and the row, then aborts.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "compiler/check/compile.h"
#include "compiler/jit/jit.h"
#include "fuzz/rule_gen.h"
#include "runtime/atoms.h"
#include "runtime/csv_reader.h"
#include "runtime/generate.h"
#include "runtime/interpreter.h"

namespace {

struct Outputs {
  std::vector<std::vector<int8_t>> columns;
  std::vector<int8_t*> pointers;
  Outputs(size_t n, int64_t rows) : columns(n, std::vector<int8_t>(rows, 99)) {
    for (auto& c : columns) pointers.push_back(c.data());
  }
  RkResultView view() {
    return RkResultView{pointers.data(),
                        static_cast<int64_t>(columns.empty() ? 0 : columns[0].size())};
  }
};

bool verbose() {
  static const bool v = std::getenv("RK_FUZZ_VERBOSE") != nullptr;
  return v;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const rk::Schema schema = rk::playbook_schema();
  rk::fuzz::ByteSource in(data, size);
  const int opt_level = static_cast<int>(in.pick(4));
  const int rows = 1 + static_cast<int>(in.pick(48));
  const int64_t chunk = 1 + static_cast<int64_t>(in.pick(16));
  rk::fuzz::RuleGen gen(in);
  const int32_t as_of = gen.as_of();
  const std::string rules = gen.rule_file();
  const std::string csv = gen.csv(rows);

  rk::CompileResult cr =
      rk::compile_rules_text(std::string(RK_SOURCE_DIR) + "/rules/fuzz_gen.rules", rules);
  if (!cr.program) {
    if (verbose()) {
      std::fprintf(stderr, "--- rejected:\n%s", rules.c_str());
      for (const auto& d : cr.diags) std::fprintf(stderr, "  %s\n", d.message.c_str());
    }
    return 0;
  }
  const rk::ir::Program& program = *cr.program;

  std::optional<rk::SnapshotError> err;
  auto reader = rk::open_csv_snapshot_memory(csv, "fuzz.csv", schema, rk::ReaderOptions{}, err);
  if (!reader) {
    std::fprintf(stderr, "generated CSV rejected: %s\n%s", err ? err->to_string().c_str() : "?",
                 csv.c_str());
    std::abort();
  }
  rk::Batch batch;
  if (!reader->next(batch)) {
    std::fprintf(stderr, "generated CSV rejected: %s\n%s",
                 reader->error() ? reader->error()->to_string().c_str() : "no rows", csv.c_str());
    std::abort();
  }

  std::string jit_error;
  rk::jit::JitOptions jopts;
  jopts.opt_level = opt_level;
  auto jit = rk::jit::compile(program, jit_error, jopts);
  if (!jit) {
    std::fprintf(stderr, "JIT failed on a checked program: %s\n%s", jit_error.c_str(),
                 rules.c_str());
    std::abort();
  }
  auto interp = rk::make_interpreter(program);
  rk::PreparedAtoms atoms;
  atoms.prepare(program, batch);
  const RkBatchView view{batch.columns.data(), atoms.data(), batch.num_rows, as_of, 0};
  Outputs want(program.outputs.size(), batch.num_rows), got(program.outputs.size(), batch.num_rows);
  interp->run(view, want.view(), 0, batch.num_rows);
  for (int64_t b = 0; b < batch.num_rows; b += chunk)
    jit->run(view, got.view(), b, std::min(batch.num_rows, b + chunk));
  for (size_t k = 0; k < program.outputs.size(); ++k) {
    for (int64_t r = 0; r < batch.num_rows; ++r) {
      if (want.columns[k][r] != got.columns[k][r]) {
        std::fprintf(stderr,
                     "JIT != interpreter: output %s, row %lld (CSV line %lld): interpreter %d, "
                     "JIT %d (opt level %d, as-of %d)\n--- rules:\n%s--- snapshot:\n%s",
                     program.outputs[k].name.c_str(), static_cast<long long>(r),
                     static_cast<long long>(r + 2), want.columns[k][r], got.columns[k][r],
                     opt_level, as_of, rules.c_str(), csv.c_str());
        std::abort();
      }
    }
  }
  return 0;
}
