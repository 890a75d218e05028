// Rekindle JIT tests: kernels split into parts (kernel_plan.h), where a part reads nodes of
// earlier parts from the scratch buffer. Hand-written programs whose split puts an operation and
// the nodes it reads in different parts; the expected values are written by hand and checked on
// the interpreter and on the JIT at every part weight that splits the program.
#include <catch2/catch.hpp>

#include <algorithm>
#include <optional>
#include <vector>

#include "compiler/jit/jit.h"
#include "compiler/jit/kernel_plan.h"
#include "tests/jit/jit_test_support.h"

using namespace rk;
using namespace rk::jit_test;

namespace {

bool contains(const std::vector<uint32_t>& sorted, uint32_t x) {
  return std::binary_search(sorted.begin(), sorted.end(), x);
}

}  // namespace

// `x in 735 to 819` is And(x >= 735, x <= 819), which the code generator folds into one range
// check on x. x is not an operand of the And: when the comparisons are read back from an earlier
// part's scratch slots, x is neither computed by the And's part nor materialized, and the fold
// must not read it (it read a nonexistent slot: rule file seed 101443 of the differential test).
TEST_CASE("Split kernel: a range test whose comparisons come from an earlier part",
          "[jit][interp][split]") {
  ProgramBuilder pb;
  const uint32_t c = pb.column(pb.field("candidate", FieldType::Bool));
  const uint32_t n = pb.column(pb.field("orders_total", FieldType::Int));
  // (if not candidate then 202 else orders_total) in 735 to 819
  const uint32_t x =
      pb.node(Op::If, Ty::Int, {pb.node(Op::Not, Ty::Bool, {c}), pb.const_int(202), n});
  const uint32_t ge = pb.node(Op::Ge, Ty::Bool, {x, pb.const_int(735)});
  const uint32_t le = pb.node(Op::Le, Ty::Bool, {x, pb.const_int(819)});
  const uint32_t in = pb.node(Op::And, Ty::Bool, {ge, le});
  pb.output(in, "in_range");
  const ir::Program& program = pb.program;

  const int64_t rows = 1000;
  const std::optional<int64_t> totals[] = {2, 734, 735, 800, 819, 820, std::nullopt};
  const std::optional<bool> candidates[] = {true, false, std::nullopt};
  std::vector<std::optional<bool>> cv(rows);
  std::vector<std::optional<int64_t>> nv(rows);
  std::vector<int8_t> want(rows);
  for (int64_t r = 0; r < rows; ++r) {
    cv[r] = candidates[r % 3];
    nv[r] = totals[(r / 3 + r / 21) % 7];
    // `if` takes the else branch when its condition is unknown (candidate missing).
    const std::optional<int64_t> v = cv[r] == false ? std::optional<int64_t>(202) : nv[r];
    want[r] = !v ? -1 : *v >= 735 && *v <= 819 ? 1 : 0;
  }
  TestBatch batch(rows);
  batch.add_bool(cv);
  batch.add_int(nv);

  {
    INFO("engine: interpreter");
    auto interp = make_executor(Engine::Interpreter, program);
    CHECK(run_all(*interp, program, batch)[0] == want);
  }
  // The part weights whose plan has the shape of the bug: the And in a part that loads both
  // comparisons and neither computes nor loads x.
  int split_shapes = 0;
  for (size_t weight = 1; weight <= 16; ++weight) {
    jit::PlanLimits limits;
    limits.max_part_weight = weight;
    const jit::KernelPlan plan = jit::plan_kernel(jit::narrow_program(program), limits);
    for (const jit::KernelPart& part : plan.parts)
      if (std::count(part.nodes.begin(), part.nodes.end(), in) &&
          !std::count(part.nodes.begin(), part.nodes.end(), x) && !contains(part.loads, x) &&
          contains(part.loads, ge) && contains(part.loads, le))
        ++split_shapes;
    for (const int opt : {0, 2}) {
      for (const int64_t chunk_rows : {64, 256}) {
        INFO("engine: jit, part weight " << weight << ", opt level " << opt << ", chunk rows "
                                         << chunk_rows);
        jit::JitOptions opts;
        opts.opt_level = opt;
        opts.part_weight = weight;
        opts.chunk_rows = chunk_rows;
        opts.cache = 0;
        std::string error;
        auto exec = jit::compile(program, error, opts);
        INFO(error);
        REQUIRE(exec);
        CHECK(run_all(*exec, program, batch)[0] == want);
        // In uneven ranges, as the parallel evaluator calls it (partial blocks are staged).
        TestResults got(program.outputs.size(), rows, 77);
        const RkBatchView view = batch.view();
        const RkResultView results = got.view();
        for (int64_t begin = 0; begin < rows; begin += 157)
          exec->run(view, results, begin, std::min(rows, begin + 157));
        CHECK(got.columns[0] == want);
      }
    }
  }
  CHECK(split_shapes > 0);
}
