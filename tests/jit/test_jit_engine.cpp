// Rekindle JIT tests: the engine's life cycle (compile, look up, free; many programs; concurrent
// compiles and runs on disjoint row ranges), statistics, and the shape of the optimized IR (the
// row loop is vector code and call-free; a split kernel is one module per part).
#include <catch2/catch.hpp>

#include <cstdlib>
#include <sstream>
#include <thread>

#include "compiler/jit/jit.h"
#include "tests/jit/jit_test_support.h"

using namespace rk;
using namespace rk::jit_test;

namespace {

// A segment-like program: days since a date bucketed by thresholds, a Kleene condition and a
// Switch, over nullable columns.
ProgramBuilder segment_program(int64_t threshold) {
  ProgramBuilder pb;
  uint32_t d = pb.column(pb.field("last_purchase_date", FieldType::Date));
  uint32_t opens = pb.column(pb.field("opens", FieldType::Int, false));
  uint32_t aov = pb.column(pb.field("aov", FieldType::Money, false));
  uint32_t consent = pb.column(pb.field("consent", FieldType::Bool));
  uint32_t days = pb.node(Op::Sub, Ty::Int, {pb.node(Op::AsOf, Ty::Int), d});
  uint32_t missing = pb.node(Op::IsMissing, Ty::Bool, {d});
  uint32_t lt60 = pb.node(Op::Lt, Ty::Bool, {days, pb.const_int(threshold)});
  uint32_t ge180 = pb.node(Op::Ge, Ty::Bool, {days, pb.const_int(180)});
  uint32_t seg = pb.node(Op::FirstTrue, Ty::Int, {missing, lt60, ge180, pb.const_bool(true)});
  pb.output(seg, "dormancy");
  uint32_t whale = pb.node(Op::Ge, Ty::Bool, {aov, pb.const_float(250.0)});
  uint32_t dark = pb.node(Op::Eq, Ty::Bool, {opens, pb.const_int(0)});
  uint32_t stop =
      pb.node(Op::Or, Ty::Bool,
              {pb.node(Op::Not, Ty::Bool, {consent}), pb.node(Op::And, Ty::Bool, {whale, dark})});
  pb.output(stop, "stop");
  uint32_t step =
      pb.node(Op::Switch, Ty::Int, {seg, pb.const_int(1), pb.const_int(2), pb.const_int(3), opens});
  pb.output(step, "step");
  return pb;
}

TestBatch segment_batch(int64_t n) {
  std::vector<std::optional<int32_t>> d(n);
  std::vector<std::optional<int64_t>> opens(n);
  std::vector<std::optional<double>> aov(n);
  std::vector<std::optional<bool>> consent(n);
  for (int64_t i = 0; i < n; ++i) {
    if (i % 13 != 0) d[i] = static_cast<int32_t>(20000 + (i * 37) % 400);
    opens[i] = (i * 7) % 5;
    aov[i] = static_cast<double>((i * 31) % 500);
    if (i % 5 != 2) consent[i] = (i % 3) != 0;
  }
  TestBatch batch(n);
  batch.add_int32(d);
  batch.add_int(opens, /*with_validity=*/false);
  batch.add_float(aov, /*with_validity=*/false);
  batch.add_bool(consent);
  return batch;
}

}  // namespace

TEST_CASE("Compile, run and free 200 programs in a loop", "[jit][engine]") {
  TestBatch batch = segment_batch(300);
  std::vector<int8_t> first;
  for (int k = 0; k < 200; ++k) {
    ProgramBuilder pb = segment_program(60 + k % 3);
    std::string error;
    auto exec = jit::compile(pb.program, error);
    INFO(error);
    REQUIRE(exec);
    auto out = run_all(*exec, pb.program, batch, 20300);
    if (k == 0) first = out[0];
    if (k % 3 == 0) CHECK(out[0] == first);
  }
}

TEST_CASE("Executors outlive each other independently", "[jit][engine]") {
  TestBatch batch = segment_batch(100);
  std::string error;
  ProgramBuilder p1 = segment_program(60), p2 = segment_program(90);
  auto e1 = jit::compile(p1.program, error);
  auto e2 = jit::compile(p2.program, error);
  REQUIRE(e1);
  REQUIRE(e2);
  auto before = run_all(*e2, p2.program, batch, 20300);
  e1.reset();  // frees e1's code only
  CHECK(run_all(*e2, p2.program, batch, 20300) == before);
}

TEST_CASE("Concurrent compiles and concurrent runs on disjoint ranges", "[jit][engine]") {
  const int64_t n = 10'000;
  TestBatch batch = segment_batch(n);
  ProgramBuilder pb = segment_program(60);
  std::string error;
  auto single = jit::compile(pb.program, error);
  REQUIRE(single);
  auto want = run_all(*single, pb.program, batch, 20300);

  std::vector<std::unique_ptr<Executor>> execs(4);
  std::vector<std::string> errors(4);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      ProgramBuilder local = segment_program(60);
      execs[t] = jit::compile(local.program, errors[t]);
    });
  for (auto& th : threads) th.join();
  threads.clear();
  for (int t = 0; t < 4; ++t) {
    INFO(errors[t]);
    REQUIRE(execs[t]);
  }

  TestResults results(pb.program.outputs.size(), n);
  RkBatchView b = batch.view(20300);
  RkResultView r = results.view();
  const int64_t chunk = 1'237;  // not a multiple of 64: blocks are shared between threads
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      for (int64_t begin = t * chunk; begin < n; begin += 4 * chunk)
        execs[t]->run(b, r, begin, std::min(n, begin + chunk));
    });
  for (auto& th : threads) th.join();
  CHECK(results.columns == want);
}

TEST_CASE("Statistics are filled", "[jit][engine]") {
  ProgramBuilder pb = segment_program(60);
  std::string error;
  jit::JitStats stats;
  auto exec = jit::compile(pb.program, error, {}, &stats);
  REQUIRE(exec);
  CHECK(stats.codegen_ms >= 0);
  CHECK(stats.optimize_ms > 0);
  CHECK(stats.machine_code_ms > 0);
  CHECK(stats.total_ms >= stats.codegen_ms + stats.optimize_ms + stats.machine_code_ms);
}

TEST_CASE("Every optimization level gives the same results", "[jit][engine]") {
  TestBatch batch = segment_batch(1000);
  ProgramBuilder pb = segment_program(60);
  std::string error;
  auto ref = jit::compile(pb.program, error);
  REQUIRE(ref);
  auto want = run_all(*ref, pb.program, batch, 20300);
  for (int level = 0; level <= 3; ++level) {
    jit::JitOptions opts;
    opts.opt_level = level;
    auto exec = jit::compile(pb.program, error, opts);
    REQUIRE(exec);
    CHECK(run_all(*exec, pb.program, batch, 20300) == want);
  }
}

TEST_CASE("The optimized row loop is vector code and calls nothing", "[jit][ir]") {
  ProgramBuilder pb = segment_program(60);
  const std::string ir = jit::llvm_ir(pb.program);
  INFO(ir);
  REQUIRE(ir.rfind("error: ", 0) != 0);
  CHECK(ir.find("define void @rk_part_0(") != std::string::npos);
  CHECK(ir.find("define void @rk_part_1(") == std::string::npos);  // small: one part
  // The group loop works on vectors of 64-bit lanes (<8 x i64> with AVX-512).
  CHECK(ir.find(" x i64> ") != std::string::npos);
  CHECK(ir.find("group:") != std::string::npos);
  // No real calls: only intrinsics.
  std::istringstream lines(ir);
  for (std::string line; std::getline(lines, line);)
    if (line.find(" call ") != std::string::npos) {
      INFO(line);
      CHECK(line.find("@llvm.") != std::string::npos);
    }
}

TEST_CASE("A split kernel is several functions, each in its own module", "[jit][ir]") {
  ProgramBuilder pb = segment_program(60);
  jit::JitOptions opts;
  opts.part_weight = 8;
  const std::string ir = jit::llvm_ir(pb.program, opts);
  INFO(ir);
  REQUIRE(ir.rfind("error: ", 0) != 0);
  CHECK(ir.find("define void @rk_part_0(") != std::string::npos);
  CHECK(ir.find("define void @rk_part_1(") != std::string::npos);
  CHECK(ir.find("; ModuleID = 'rk_part_1'") != std::string::npos);
  jit::JitStats stats;
  std::string error;
  auto exec = jit::compile(pb.program, error, opts, &stats);
  REQUIRE(exec);
  CHECK(stats.parts > 1);
  CHECK(stats.threads >= 1);
  TestBatch batch = segment_batch(1000);
  auto ref = jit::compile(pb.program, error);
  REQUIRE(ref);
  CHECK(run_all(*exec, pb.program, batch, 20300) == run_all(*ref, pb.program, batch, 20300));
}
