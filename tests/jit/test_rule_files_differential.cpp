// Rekindle JIT tests: the interpreter, the JIT and the lint witness agree on random rule files.
// Each generated file (tests/gen) is compiled, run by the reference interpreter and by the JIT (at
// varying LLVM optimization levels, every fourth split into small parts) over generated snapshot
// batches at several as-of dates, and every int8 output of every row must be identical; the lint
// witness (compiler/lint/witness.h) evaluates every row as one customer, its strings, lists and
// holdout buckets computed from the values rather than prepared as atoms, and every node's value
// must equal the interpreter's. 2000 files by default,
// in four test cases of a quarter each so that `ctest -j` runs them in parallel; RK_RULE_FILES=N
// for shorter or longer runs (the sanitizer preset uses 100), RK_RULE_FILES_SEED=S shifts the
// seeds.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdlib>
#include <string>
#include <vector>

#include "compiler/check/compile.h"
#include "compiler/jit/jit.h"
#include "runtime/atoms.h"
#include "runtime/generate.h"
#include "runtime/interpreter.h"
#include "tests/gen/rule_file_gen.h"
#include "tests/jit/witness_support.h"

using namespace rk;

namespace {

int64_t env_int(const char* name, int64_t fallback) {
  const char* v = std::getenv(name);
  if (!v || !*v) return fallback;
  return std::strtoll(v, nullptr, 10);
}

// One column per output, sized by its width (a score's wide output holds eight bytes per row).
struct Outputs {
  std::vector<std::vector<int8_t>> columns;
  std::vector<int8_t*> pointers;
  int64_t rows = 0;
  Outputs(const ir::Program& program, int64_t num_rows, int8_t fill) : rows(num_rows) {
    for (const auto& o : program.outputs)
      columns.emplace_back(static_cast<size_t>(rows) * ir::output_bytes(o.width), fill);
    for (auto& c : columns) pointers.push_back(c.data());
  }
  RkResultView view() { return RkResultView{pointers.data(), rows}; }
};

constexpr int64_t kParts = 4;

// Checks files [part * N / kParts, (part + 1) * N / kParts) of the N files of the run.
void check_rule_files(int64_t part) {
  const int64_t files = env_int("RK_RULE_FILES", 2000);
  const int64_t begin = files * part / kParts, end = files * (part + 1) / kParts;
  const uint64_t first = static_cast<uint64_t>(env_int("RK_RULE_FILES_SEED", 100000));
  // Snapshot batches, generated once and shared by every program.
  std::vector<Batch> batches;
  std::vector<int32_t> generated_as_of{20759, 20400};
  for (int b = 0; b < 2; ++b) {
    GenerateOptions g;
    g.rows = 1500;
    g.batch_rows = 1500;
    g.seed = 31 + static_cast<uint64_t>(b);
    g.as_of = generated_as_of[b];
    batches.push_back(generate_batch(g, 0));
  }
  // As-of dates of the evaluation: the generator's, earlier, later, a leap day.
  const int32_t as_ofs[] = {20759, 20400, 21000, 19782};
  int64_t rows_compared = 0, with_variants = 0, with_lets = 0;
  for (int64_t k = begin; k < end; ++k) {
    testgen::RuleFileOptions o;
    o.seed = first + static_cast<uint64_t>(k);
    o.schema_path = "customer.schema";  // next to rules/diff.rules
    o.messy = k % 2 == 1;
    const std::string text = testgen::generate_rule_file(o);
    const CompileResult cr =
        compile_rules_text(std::string(RK_SOURCE_DIR) + "/rules/diff.rules", text);
    std::string errors;
    for (const auto& d : cr.diags) errors += render_text(cr.sources, d);
    INFO("seed " << o.seed << "\n" << text << "\n" << errors);
    REQUIRE(cr.program);
    const ir::Program& program = *cr.program;
    if (!program.layout.lets.empty()) ++with_lets;  // a template shows a let: its outputs too
    for (const ir::Sequence& q : program.layout.sequences)
      if (!q.variant_names.empty()) {
        ++with_variants;  // the variant's buckets, pausing and offers are compared below too
        break;
      }
    jit::JitOptions jo;
    jo.opt_level = static_cast<int>(k % 3);
    // Every fourth file is compiled split into small parts with short chunks (kernel_plan.h).
    if (k % 4 == 3) {
      jo.part_weight = 20 + static_cast<size_t>(k % 7) * 15;
      jo.chunk_rows = 64 * (1 + k % 5);
      jo.block_weight = 16 + static_cast<size_t>(k % 11) * 8;
    }
    std::string error;
    auto exec = jit::compile(program, error, jo);
    INFO(error);
    REQUIRE(exec);
    auto interp = make_interpreter(program);
    for (size_t b = 0; b < batches.size(); ++b) {
      const Batch& batch = batches[b];
      PreparedAtoms atoms;
      atoms.prepare(program, batch);
      std::vector<lint::Customer> customers;
      for (int64_t r = 0; r < batch.num_rows; ++r)
        customers.push_back(jit_test::customer_of_row(program, batch.columns.data(), r, 0));
      for (size_t a = b; a < std::size(as_ofs); a += 2) {
        RkBatchView view{batch.columns.data(), atoms.data(), batch.num_rows, as_ofs[a], 0};
        Outputs want(program, batch.num_rows, 99), got(program, batch.num_rows, 77);
        interp->run(view, want.view(), 0, batch.num_rows);
        // The JIT in uneven chunks, as the parallel evaluator calls it.
        const int64_t chunk = 257 + 61 * static_cast<int64_t>(k % 7);
        for (int64_t begin = 0; begin < batch.num_rows; begin += chunk)
          exec->run(view, got.view(), begin, std::min(batch.num_rows, begin + chunk));
        for (size_t c = 0; c < program.outputs.size(); ++c) {
          if (got.columns[c] == want.columns[c]) continue;
          int64_t row = 0;
          while (got.columns[c][row] == want.columns[c][row]) ++row;
          INFO("batch " << b << " as-of " << as_ofs[a] << " output " << program.outputs[c].name
                        << " row " << row << ": interpreter " << int(want.columns[c][row])
                        << ", JIT " << int(got.columns[c][row]));
          REQUIRE(got.columns[c] == want.columns[c]);
        }
        for (int64_t r = 0; r < batch.num_rows; ++r) {
          customers[static_cast<size_t>(r)].as_of = as_ofs[a];
          jit_test::require_witness_agrees(program, view, r, program,
                                           customers[static_cast<size_t>(r)]);
        }
        rows_compared += batch.num_rows;
      }
    }
  }
  CHECK(rows_compared >= (end - begin) * 3000);
  // The generator writes variants into about one touch in five.
  if (end - begin >= 50) CHECK(with_variants * 5 >= end - begin);
  if (end - begin >= 50) CHECK(with_lets * 20 >= end - begin);
}

}  // namespace

TEST_CASE(
    "Differential: interpreter, JIT and lint witness agree on random rule files (part 1 of 4)",
    "[jit][random][gen]") {
  check_rule_files(0);
}
TEST_CASE(
    "Differential: interpreter, JIT and lint witness agree on random rule files (part 2 of 4)",
    "[jit][random][gen]") {
  check_rule_files(1);
}
TEST_CASE(
    "Differential: interpreter, JIT and lint witness agree on random rule files (part 3 of 4)",
    "[jit][random][gen]") {
  check_rule_files(2);
}
TEST_CASE(
    "Differential: interpreter, JIT and lint witness agree on random rule files (part 4 of 4)",
    "[jit][random][gen]") {
  check_rule_files(3);
}
