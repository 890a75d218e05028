// Rekindle JIT tests: the reference playbook (rules/winback.rules) compiled by the checker, run by
// the JIT and the interpreter over generated snapshot batches: identical outputs on every row
// (as one kernel function and split into many parts), a vectorized kernel, and the JIT's speed
// relative to the interpreter (printed; a loose floor is asserted so a shared machine does not
// make the test flaky).
#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>

#include "compiler/check/compile.h"
#include "compiler/jit/jit.h"
#include "runtime/atoms.h"
#include "runtime/generate.h"
#include "runtime/interpreter.h"

using namespace rk;

namespace {

ir::Program playbook_program() {
  CompileResult cr = compile_rules(std::string(RK_SOURCE_DIR) + "/rules/winback.rules");
  for (const auto& d : cr.diags) INFO(d.message);
  REQUIRE(cr.program);
  return *cr.program;
}

struct Outputs {
  std::vector<std::vector<int8_t>> columns;
  std::vector<int8_t*> pointers;
  Outputs(size_t n, int64_t rows) : columns(n, std::vector<int8_t>(rows, 99)) {
    for (auto& c : columns) pointers.push_back(c.data());
  }
  RkResultView view() {
    return RkResultView{pointers.data(), static_cast<int64_t>(columns[0].size())};
  }
};

// One generated batch of the playbook's schema (as of 2026-11-02), its atoms prepared, and the
// view the executors read. Built in place: the view points into the members.
struct PreparedBatch {
  Batch batch;
  PreparedAtoms atoms;
  RkBatchView view{};
  int32_t as_of = 20759;
  PreparedBatch(const ir::Program& program, int64_t rows, uint64_t seed) {
    GenerateOptions g;
    g.rows = rows;
    g.batch_rows = rows;
    g.seed = seed;
    g.as_of = as_of;
    batch = generate_batch(g, 0);
    atoms.prepare(program, batch);
    view = RkBatchView{batch.columns.data(), atoms.data(), batch.num_rows, as_of, 0};
  }
  PreparedBatch(const PreparedBatch&) = delete;
  PreparedBatch& operator=(const PreparedBatch&) = delete;
};

double seconds_per_run(const Executor& exec, const RkBatchView& b, RkResultView r, int reps) {
  double best = 1e9;
  for (int k = 0; k < reps; ++k) {
    const auto t0 = std::chrono::steady_clock::now();
    exec.run(b, r, 0, b.num_rows);
    const auto t1 = std::chrono::steady_clock::now();
    best = std::min(best, std::chrono::duration<double>(t1 - t0).count());
  }
  return best;
}

}  // namespace

TEST_CASE("Playbook: JIT equals the interpreter on generated batches", "[jit][playbook]") {
  const ir::Program program = playbook_program();
  std::string error;
  jit::JitStats stats;
  auto exec = jit::compile(program, error, {}, &stats);
  INFO(error);
  REQUIRE(exec);
  auto interp = make_interpreter(program);
  std::printf(
      "playbook: %zu nodes, %zu outputs; JIT compile %.1f ms (codegen %.1f, optimize %.1f, "
      "machine code %.1f)\n",
      program.nodes.size(), program.outputs.size(), stats.total_ms, stats.codegen_ms,
      stats.optimize_ms, stats.machine_code_ms);

  GenerateOptions g;
  g.rows = 3 * 20000;
  g.seed = 7;
  g.as_of = 20759;  // 2026-11-02
  g.batch_rows = 20000;
  for (int64_t index = 0; index < 3; ++index) {
    Batch batch = generate_batch(g, index);
    PreparedAtoms atoms;
    atoms.prepare(program, batch);
    RkBatchView view{batch.columns.data(), atoms.data(), batch.num_rows, g.as_of, 0};
    Outputs want(program.outputs.size(), batch.num_rows),
        got(program.outputs.size(), batch.num_rows);
    interp->run(view, want.view(), 0, batch.num_rows);
    // The JIT in uneven chunks, as the parallel evaluator would call it.
    for (int64_t begin = 0; begin < batch.num_rows; begin += 1000 + 37 * index)
      exec->run(view, got.view(), begin, std::min(batch.num_rows, begin + 1000 + 37 * index));
    for (size_t k = 0; k < program.outputs.size(); ++k) {
      INFO("batch " << index << " output " << program.outputs[k].name);
      REQUIRE(got.columns[k] == want.columns[k]);
    }
  }
}

TEST_CASE("Playbook: split into many parts, the JIT still equals the interpreter",
          "[jit][playbook]") {
  const ir::Program program = playbook_program();
  auto interp = make_interpreter(program);
  const PreparedBatch prepared(program, 5000, 13);
  const Batch& batch = prepared.batch;
  const RkBatchView& view = prepared.view;
  Outputs want(program.outputs.size(), batch.num_rows);
  interp->run(view, want.view(), 0, batch.num_rows);
  for (size_t weight : {5, 40, 150}) {
    for (int64_t chunk : {64, 192, 2048}) {
      jit::JitOptions opts;
      opts.part_weight = weight;
      opts.chunk_rows = chunk;
      opts.block_weight = weight;
      std::string error;
      jit::JitStats stats;
      auto exec = jit::compile(program, error, opts, &stats);
      INFO(error);
      REQUIRE(exec);
      CHECK(stats.parts > 1);
      Outputs got(program.outputs.size(), batch.num_rows);
      // Uneven calls: partial first and last blocks, chunks cut anywhere.
      for (int64_t begin = 0; begin < batch.num_rows; begin += 777)
        exec->run(view, got.view(), begin, std::min(batch.num_rows, begin + 777));
      for (size_t k = 0; k < program.outputs.size(); ++k) {
        INFO("weight " << weight << " chunk " << chunk << " parts " << stats.parts << " output "
                       << program.outputs[k].name);
        REQUIRE(got.columns[k] == want.columns[k]);
      }
    }
  }
}

TEST_CASE("Playbook: the kernel is vectorized and faster than the interpreter",
          "[jit][playbook][perf]") {
  const ir::Program program = playbook_program();
  const std::string ir = jit::llvm_ir(program);
  CHECK(ir.find(" x i64> ") != std::string::npos);                 // vector code
  CHECK(ir.find("define void @rk_part_1(") == std::string::npos);  // one function

  std::string error;
  auto exec = jit::compile(program, error);
  REQUIRE(exec);
  auto interp = make_interpreter(program);
  const PreparedBatch prepared(program, 65536, 11);
  const Batch& batch = prepared.batch;
  const RkBatchView& view = prepared.view;
  Outputs out(program.outputs.size(), batch.num_rows);
  const double t_interp = seconds_per_run(*interp, view, out.view(), 3);
  const double t_jit = seconds_per_run(*exec, view, out.view(), 10);
  std::printf("playbook over %lld rows: interpreter %.2f ns/row, JIT %.2f ns/row, speedup %.1fx\n",
              static_cast<long long>(batch.num_rows), 1e9 * t_interp / batch.num_rows,
              1e9 * t_jit / batch.num_rows, t_interp / t_jit);
  CHECK(t_jit * 3 < t_interp);
}
