// Rekindle executor tests: each IR op with present and missing inputs (overflow, NaN, division by
// zero, Kleene truth tables, InMask/FirstTrue/Switch edges), column kinds, atoms, row ranges, the
// JIT's rejection of invalid programs, and programs reduced from earlier JIT failures
// ([regression], at every optimization level). Expected values are written by hand from the IR's
// documented semantics (compiler/ir/program.h); every table of expectations runs on both the
// reference interpreter and the JIT.
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <regex>

#include "compiler/jit/jit.h"
#include "tests/jit/jit_test_support.h"

using namespace rk;
using namespace rk::jit_test;

namespace {

constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
const double kInf = std::numeric_limits<double>::infinity();
const double kNaN = std::numeric_limits<double>::quiet_NaN();

template <class T>
struct Case {
  std::optional<T> a, b;
  std::optional<T> want;  // nullopt: missing
};

// Evaluates `op` over columns a, b and checks each row's result against `want` through
// Eq(result, e) (e = the expected value as a third column) and IsMissing(result).
template <class T>
void check_binary(Engine engine, Op op, Ty ty, const std::vector<Case<T>>& cases,
                  bool unary = false) {
  const FieldType ft = ty == Ty::Int ? FieldType::Int : FieldType::Number;
  ProgramBuilder pb;
  uint32_t a = pb.column(pb.field("a", ft));
  uint32_t b = pb.column(pb.field("b", ft));
  uint32_t e = pb.column(pb.field("e", ft));
  uint32_t r = unary ? pb.node(op, ty, {a}) : pb.node(op, ty, {a, b});
  pb.output(pb.node(Op::Eq, Ty::Bool, {r, e}), "eq");
  pb.output(pb.node(Op::IsMissing, Ty::Bool, {r}), "missing");
  const int64_t n = static_cast<int64_t>(cases.size());
  TestBatch batch(n);
  std::vector<std::optional<T>> av, bv, ev;
  for (const auto& c : cases) {
    av.push_back(c.a);
    bv.push_back(c.b);
    ev.push_back(c.want ? c.want : std::optional<T>(T{}));
  }
  if constexpr (std::is_same_v<T, int64_t>) {
    batch.add_int(av);
    batch.add_int(bv);
    batch.add_int(ev);
  } else {
    batch.add_float(av);
    batch.add_float(bv);
    batch.add_float(ev);
  }
  auto exec = make_executor(engine, pb.program);
  auto out = run_all(*exec, pb.program, batch);
  for (int64_t i = 0; i < n; ++i) {
    INFO("row " << i);
    if (cases[i].want) {
      CHECK(out[1][i] == 0);
      CHECK(out[0][i] == 1);
    } else {
      CHECK(out[1][i] == 1);
      CHECK(out[0][i] == -1);
    }
  }
}

// Runs a program with Bool columns a, b (all 9 combinations of true/false/missing) and returns
// the outputs.
std::vector<std::vector<int8_t>> run_kleene(Engine engine, ProgramBuilder& pb, int64_t& rows) {
  const std::optional<bool> vals[] = {true, false, std::nullopt};
  std::vector<std::optional<bool>> av, bv;
  for (auto x : vals)
    for (auto y : vals) {
      av.push_back(x);
      bv.push_back(y);
    }
  rows = static_cast<int64_t>(av.size());
  TestBatch batch(rows);
  batch.add_bool(av);
  batch.add_bool(bv);
  auto exec = make_executor(engine, pb.program);
  return run_all(*exec, pb.program, batch);
}

}  // namespace

TEST_CASE("Int Add/Sub/Mul: values, missing operands and overflow", "[jit][interp][ops]") {
  RK_EACH_ENGINE(engine);
  using C = Case<int64_t>;
  check_binary<int64_t>(
      engine, Op::Add, Ty::Int,
      {C{1, 2, 3}, C{std::nullopt, 2, {}}, C{2, std::nullopt, {}}, C{kMax, 1, {}}, C{kMin, -1, {}},
       C{-5, 3, -2}, C{kMax, kMin, -1}, C{kMax, 0, kMax}, C{kMin, kMin, {}}});
  check_binary<int64_t>(engine, Op::Sub, Ty::Int,
                        {C{1, 2, -1}, C{std::nullopt, 2, {}}, C{kMin, 1, {}}, C{0, kMin, {}},
                         C{-1, kMin, kMax}, C{kMax, kMax, 0}, C{kMax, -1, {}}});
  check_binary<int64_t>(
      engine, Op::Mul, Ty::Int,
      {C{-3, 4, -12}, C{std::nullopt, 4, {}}, C{kMax, 2, {}}, C{kMin, -1, {}},
       C{int64_t{1} << 32, int64_t{1} << 31, {}},
       C{int64_t{1} << 31, int64_t{1} << 31, int64_t{1} << 62}, C{kMin, 1, kMin}, C{0, kMin, 0}});
}

TEST_CASE("Int Neg: INT64_MIN is missing", "[jit][interp][ops]") {
  RK_EACH_ENGINE(engine);
  using C = Case<int64_t>;
  check_binary<int64_t>(
      engine, Op::Neg, Ty::Int,
      {C{5, 0, -5}, C{kMin, 0, {}}, C{kMax, 0, -kMax}, C{std::nullopt, 0, {}}, C{0, 0, 0}},
      /*unary=*/true);
}

TEST_CASE("Float arithmetic: NaN results and division by zero are missing", "[jit][interp][ops]") {
  RK_EACH_ENGINE(engine);
  using C = Case<double>;
  check_binary<double>(engine, Op::Add, Ty::Float,
                       {C{0.1, 0.2, 0.1 + 0.2}, C{kInf, -kInf, {}}, C{kNaN, 1.0, {}},
                        C{std::nullopt, 1.0, {}}, C{kInf, 1.0, kInf}});
  check_binary<double>(engine, Op::Sub, Ty::Float,
                       {C{1.5, 0.25, 1.25}, C{kInf, kInf, {}}, C{1.0, std::nullopt, {}}});
  check_binary<double>(engine, Op::Mul, Ty::Float,
                       {C{1.5, -2.0, -3.0}, C{0.0, kInf, {}}, C{1e300, 1e300, kInf}});
  check_binary<double>(
      engine, Op::Div, Ty::Float,
      {C{1.0, 4.0, 0.25}, C{1.0, 0.0, {}}, C{0.0, 0.0, {}}, C{1.0, -0.0, {}}, C{kInf, kInf, {}},
       C{1e308, 1e-308, kInf}, C{std::nullopt, 2.0, {}}, C{-3.0, 2.0, -1.5}});
  check_binary<double>(engine, Op::Neg, Ty::Float,
                       {C{2.5, 0, -2.5}, C{kNaN, 0, {}}, C{-kInf, 0, kInf}, C{std::nullopt, 0, {}}},
                       /*unary=*/true);
}

TEST_CASE("IntToFloat and comparisons", "[jit][interp][ops]") {
  RK_EACH_ENGINE(engine);
  ProgramBuilder pb;
  uint32_t i = pb.column(pb.field("i", FieldType::Int));
  uint32_t f = pb.column(pb.field("f", FieldType::Money));
  uint32_t fi = pb.node(Op::IntToFloat, Ty::Float, {i});
  const Op ops[] = {Op::Eq, Op::Ne, Op::Lt, Op::Le, Op::Gt, Op::Ge};
  for (Op op : ops) pb.output(pb.node(op, Ty::Bool, {fi, f}));
  uint32_t three = pb.const_int(3);
  for (Op op : ops) pb.output(pb.node(op, Ty::Bool, {i, three}));
  TestBatch batch(5);
  batch.add_int({2, 3, 4, std::nullopt, kMin});
  batch.add_float({2.0, 2.5, std::nullopt, 1.0, -1e30});
  auto exec = make_executor(engine, pb.program);
  auto out = run_all(*exec, pb.program, batch);
  // float: (2.0 vs 2.0), (3.0 vs 2.5), missing, missing, (-9.2e18 vs -1e30)
  const std::vector<std::vector<int8_t>> want_float = {{1, 0, -1, -1, 0}, {0, 1, -1, -1, 1},
                                                       {0, 0, -1, -1, 0}, {1, 0, -1, -1, 0},
                                                       {0, 1, -1, -1, 1}, {1, 1, -1, -1, 1}};
  // int vs 3: 2, 3, 4, missing, INT64_MIN
  const std::vector<std::vector<int8_t>> want_int = {{0, 1, 0, -1, 0}, {1, 0, 1, -1, 1},
                                                     {1, 0, 0, -1, 1}, {1, 1, 0, -1, 1},
                                                     {0, 0, 1, -1, 0}, {0, 1, 1, -1, 0}};
  for (size_t k = 0; k < 6; ++k) {
    CHECK(out[k] == want_float[k]);
    CHECK(out[6 + k] == want_int[k]);
  }
}

TEST_CASE("NaN Float values are missing: columns, constants, arithmetic", "[jit][interp][ops]") {
  RK_EACH_ENGINE(engine);
  ProgramBuilder pb;
  uint32_t x = pb.column(pb.field("x", FieldType::Number));
  uint32_t one = pb.const_float(1.0);
  for (Op op : {Op::Eq, Op::Ne, Op::Lt, Op::Ge}) pb.output(pb.node(op, Ty::Bool, {x, one}));
  pb.output(pb.node(Op::IsMissing, Ty::Bool, {x}));
  pb.output(pb.node(Op::IsMissing, Ty::Bool, {pb.const_float(kNaN)}));
  pb.output(
      pb.node(Op::Coalesce, Ty::Int,
              {pb.node(Op::Switch, Ty::Int, {pb.const_int(0), pb.const_int(1)}), pb.const_int(2)}));
  // (A Float node is output as a wide value, never as a one-byte code: the validator refuses it.)
  TestBatch batch(3);
  batch.add_float({kNaN, 1.0, std::nullopt});
  auto exec = make_executor(engine, pb.program);
  auto out = run_all(*exec, pb.program, batch);
  CHECK(out[0] == std::vector<int8_t>{-1, 1, -1});
  CHECK(out[1] == std::vector<int8_t>{-1, 0, -1});
  CHECK(out[2] == std::vector<int8_t>{-1, 0, -1});
  CHECK(out[3] == std::vector<int8_t>{-1, 1, -1});
  CHECK(out[4] == std::vector<int8_t>{1, 0, 1});
  CHECK(out[5] == std::vector<int8_t>{1, 1, 1});
  CHECK(out[6] == std::vector<int8_t>{1, 1, 1});
}

TEST_CASE("Kleene And/Or/Not and the two-valued tests", "[jit][interp][ops]") {
  RK_EACH_ENGINE(engine);
  ProgramBuilder pb;
  uint32_t a = pb.column(pb.field("a", FieldType::Bool));
  uint32_t b = pb.column(pb.field("b", FieldType::Bool));
  pb.output(pb.node(Op::And, Ty::Bool, {a, b}));
  pb.output(pb.node(Op::Or, Ty::Bool, {a, b}));
  pb.output(pb.node(Op::Not, Ty::Bool, {a}));
  pb.output(pb.node(Op::IsTrue, Ty::Bool, {a}));
  pb.output(pb.node(Op::IsFalse, Ty::Bool, {a}));
  pb.output(pb.node(Op::IsMissing, Ty::Bool, {b}));
  int64_t rows = 0;
  auto out = run_kleene(engine, pb, rows);
  REQUIRE(rows == 9);
  // rows: (T,T) (T,F) (T,?) (F,T) (F,F) (F,?) (?,T) (?,F) (?,?)
  CHECK(out[0] == std::vector<int8_t>{1, 0, -1, 0, 0, 0, -1, 0, -1});  // and
  CHECK(out[1] == std::vector<int8_t>{1, 1, 1, 1, 0, -1, 1, -1, -1});  // or
  CHECK(out[2] == std::vector<int8_t>{0, 0, 0, 1, 1, 1, -1, -1, -1});  // not a
  CHECK(out[3] == std::vector<int8_t>{1, 1, 1, 0, 0, 0, 0, 0, 0});     // a is true
  CHECK(out[4] == std::vector<int8_t>{0, 0, 0, 1, 1, 1, 0, 0, 0});     // a is false
  CHECK(out[5] == std::vector<int8_t>{0, 0, 1, 0, 0, 1, 0, 0, 1});     // b is missing
}

TEST_CASE("InMask: bit x of the mask, false outside 0..63, missing when x is",
          "[jit][interp][ops]") {
  RK_EACH_ENGINE(engine);
  ProgramBuilder pb;
  uint32_t x = pb.column(pb.field("x", FieldType::Int));
  const uint64_t mask = (uint64_t{1} << 0) | (uint64_t{1} << 62) | (uint64_t{1} << 63);
  pb.output(pb.in_mask(x, mask));
  TestBatch batch(9);
  batch.add_int({-1, 0, 5, 63, 64, std::nullopt, kMin, 62, 128});
  auto exec = make_executor(engine, pb.program);
  auto out = run_all(*exec, pb.program, batch);
  CHECK(out[0] == std::vector<int8_t>{0, 1, 0, 1, 0, -1, 0, 1, 0});
}

// Reduced from random program seed 1592590885 (test_jit_random.cpp), which failed with 128-bit
// vectors on an AVX2 host without AVX-512: LLVM 14's x86 back end folded FirstTrue's select on an
// InMask to a constant when InMask's bit was `trunc <2 x i64> to <2 x i1>` of a mask with its
// sign bit set (docs/design.md, "LLVM 14 back-end workarounds"). Runs at every optimization level
// here and, through tests/CMakeLists.txt, at every vector width.
TEST_CASE("InMask of a FirstTrue feeding a FirstTrue, at every optimization level",
          "[jit][ops][regression]") {
  ProgramBuilder pb;
  const uint32_t a = pb.column(pb.field("a", FieldType::Bool));
  const uint32_t b = pb.column(pb.field("b", FieldType::Bool));
  const uint32_t c = pb.column(pb.field("c", FieldType::Bool));
  const uint32_t no = pb.const_bool(false);
  const uint32_t k = pb.node(Op::FirstTrue, Ty::Int, {no, a, no, b});  // 1, 3 or missing
  // Bits 1 and 3 clear (the original mask), then bit 1 set; both with the sign bit set.
  const uint32_t never = pb.in_mask(k, 0xaeffb1e807c8a970);
  const uint32_t at_1 = pb.in_mask(k, 0x8000000000000002);
  pb.output(pb.node(Op::FirstTrue, Ty::Int, {no, never, c}), "never");
  pb.output(pb.node(Op::FirstTrue, Ty::Int, {no, at_1, c}), "at_1");
  // Every combination of true, false and missing, for a partial block and then a whole one.
  const std::optional<bool> vals[] = {true, false, std::nullopt};
  std::vector<std::optional<bool>> av, bv, cv;
  std::vector<int8_t> want_never, want_at_1;
  for (int64_t row = 0; row < 27 + 64; ++row) {
    const int64_t i = row % 27;
    av.push_back(vals[i / 9]);
    bv.push_back(vals[i / 3 % 3]);
    cv.push_back(vals[i % 3]);
    const bool c_true = cv.back() == true;
    want_never.push_back(c_true ? 2 : -1);
    want_at_1.push_back(av.back() == true ? 1 : c_true ? 2 : -1);
  }
  for (const int64_t rows : {int64_t{27}, int64_t{27 + 64}}) {
    INFO(rows << " rows");
    TestBatch batch(rows);
    batch.add_bool({av.begin(), av.begin() + rows});
    batch.add_bool({bv.begin(), bv.begin() + rows});
    batch.add_bool({cv.begin(), cv.begin() + rows});
    const std::vector<int8_t> never_rows(want_never.begin(), want_never.begin() + rows);
    const std::vector<int8_t> at_1_rows(want_at_1.begin(), want_at_1.begin() + rows);
    auto interp = make_interpreter(pb.program);
    auto want = run_all(*interp, pb.program, batch);
    CHECK(want[0] == never_rows);
    CHECK(want[1] == at_1_rows);
    for (int level = 0; level <= 3; ++level) {
      INFO("opt level " << level);
      jit::JitOptions opts;
      opts.opt_level = level;
      std::string error;
      auto exec = jit::compile(pb.program, error, opts);
      INFO(error);
      REQUIRE(exec);
      auto got = run_all(*exec, pb.program, batch);
      CHECK(got[0] == never_rows);
      CHECK(got[1] == at_1_rows);
    }
  }
  // The workaround itself: no vector is truncated to i1 in the generated code.
  for (int level = 0; level <= 3; ++level) {
    jit::JitOptions opts;
    opts.opt_level = level;
    const std::string ir = jit::llvm_ir(pb.program, opts);
    INFO("opt level " << level << "\n" << ir);
    REQUIRE(ir.rfind("error: ", 0) != 0);
    CHECK_FALSE(std::regex_search(ir, std::regex(R"(= trunc <\d+ x i\d+> .* to <\d+ x i1>)")));
  }
}

TEST_CASE("If, Coalesce: value and presence", "[jit][interp][ops]") {
  RK_EACH_ENGINE(engine);
  ProgramBuilder pb;
  uint32_t c = pb.column(pb.field("c", FieldType::Bool));
  uint32_t t = pb.column(pb.field("t", FieldType::Int));
  uint32_t e = pb.column(pb.field("e", FieldType::Int));
  pb.output(pb.node(Op::If, Ty::Int, {c, t, e}));
  pb.output(pb.node(Op::Coalesce, Ty::Int, {t, e}));
  TestBatch batch(6);
  batch.add_bool({true, false, std::nullopt, true, false, std::nullopt});
  batch.add_int({1, 2, 3, std::nullopt, 5, 6});
  batch.add_int({10, 20, 30, 40, std::nullopt, std::nullopt});
  auto exec = make_executor(engine, pb.program);
  auto out = run_all(*exec, pb.program, batch);
  CHECK(out[0] == std::vector<int8_t>{1, 20, 30, -1, -1, -1});
  CHECK(out[1] == std::vector<int8_t>{1, 2, 3, 40, 5, 6});
}

TEST_CASE("FirstTrue: first present-and-true argument, missing when none", "[jit][interp][ops]") {
  RK_EACH_ENGINE(engine);
  ProgramBuilder pb;
  uint32_t a = pb.column(pb.field("a", FieldType::Bool));
  uint32_t b = pb.column(pb.field("b", FieldType::Bool));
  uint32_t c = pb.column(pb.field("c", FieldType::Bool));
  pb.output(pb.node(Op::FirstTrue, Ty::Int, {a, b, c}));
  pb.output(pb.node(Op::FirstTrue, Ty::Int, {}));
  pb.output(pb.node(Op::FirstTrue, Ty::Int, {c, c}));
  TestBatch batch(6);
  batch.add_bool({std::nullopt, false, true, std::nullopt, false, false});
  batch.add_bool({true, false, std::nullopt, std::nullopt, std::nullopt, true});
  batch.add_bool({true, false, std::nullopt, std::nullopt, true, true});
  auto exec = make_executor(engine, pb.program);
  auto out = run_all(*exec, pb.program, batch);
  CHECK(out[0] == std::vector<int8_t>{1, -1, 0, -1, 2, 1});
  CHECK(out[1] == std::vector<int8_t>(6, -1));
  CHECK(out[2] == std::vector<int8_t>{0, -1, -1, -1, 0, 0});
}

TEST_CASE("Switch: case by index, missing or out-of-range index is missing", "[jit][interp][ops]") {
  RK_EACH_ENGINE(engine);
  ProgramBuilder pb;
  uint32_t i = pb.column(pb.field("i", FieldType::Int));
  uint32_t c = pb.column(pb.field("c", FieldType::Int));
  uint32_t ten = pb.const_int(10);
  uint32_t null = pb.node(Op::Null, Ty::Int);
  pb.output(pb.node(Op::Switch, Ty::Int, {i, ten, null, c}));
  pb.output(pb.node(Op::Switch, Ty::Int, {i}));  // no cases: always missing
  TestBatch batch(8);
  batch.add_int({0, 1, 2, -1, 3, std::nullopt, kMax, 2});
  batch.add_int({7, 7, 7, 7, 7, 7, 7, std::nullopt});
  auto exec = make_executor(engine, pb.program);
  auto out = run_all(*exec, pb.program, batch);
  CHECK(out[0] == std::vector<int8_t>{10, -1, 7, -1, -1, -1, -1, -1});
  CHECK(out[1] == std::vector<int8_t>(8, -1));
}

TEST_CASE("Columns: Date/Enum int32 sign extension, Bool bits, null validity, AsOf",
          "[jit][interp][ops]") {
  RK_EACH_ENGINE(engine);
  ProgramBuilder pb;
  uint32_t d = pb.column(pb.field("d", FieldType::Date));
  uint32_t en = pb.column(pb.field("en", FieldType::Enum, false));
  uint32_t flag = pb.column(pb.field("flag", FieldType::Bool, false));
  uint32_t pct = pb.column(pb.field("pct", FieldType::Percent));
  uint32_t days = pb.node(Op::Sub, Ty::Int, {pb.node(Op::AsOf, Ty::Int), d});
  pb.output(days, "days");
  pb.output(en, "en");
  pb.output(flag, "flag");
  pb.output(pb.node(Op::Gt, Ty::Bool, {pct, pb.const_float(0.4)}), "high");
  pb.output(pb.node(Op::Null, Ty::Bool), "null");
  pb.output(pb.const_int(-1), "minus_one");
  TestBatch batch(4);
  batch.add_int32({20000, 20100, std::nullopt, 20040});
  batch.add_int32({0, 3, 1, 2}, /*with_validity=*/false);
  batch.add_bool({true, false, false, true}, /*with_validity=*/false);
  batch.add_float({0.5, 0.4, std::nullopt, 0.41});
  auto exec = make_executor(engine, pb.program);
  auto out = run_all(*exec, pb.program, batch, /*as_of=*/20050);
  CHECK(out[0] == std::vector<int8_t>{50, -50, -1, 10});
  CHECK(out[1] == std::vector<int8_t>{0, 3, 1, 2});
  CHECK(out[2] == std::vector<int8_t>{1, 0, 0, 1});
  CHECK(out[3] == std::vector<int8_t>{1, 0, -1, 1});
  CHECK(out[4] == std::vector<int8_t>(4, -1));
  CHECK(out[5] == std::vector<int8_t>(4, -1));
}

TEST_CASE("Negative dates sign-extend", "[jit][interp][ops]") {
  RK_EACH_ENGINE(engine);
  ProgramBuilder pb;
  uint32_t d = pb.column(pb.field("d", FieldType::Date));
  pb.output(pb.node(Op::Eq, Ty::Bool, {d, pb.const_int(-5)}));
  pb.output(pb.node(Op::Lt, Ty::Bool, {d, pb.const_int(0)}));
  TestBatch batch(2);
  batch.add_int32({-5, 5});
  auto exec = make_executor(engine, pb.program);
  auto out = run_all(*exec, pb.program, batch);
  CHECK(out[0] == std::vector<int8_t>{1, 0});
  CHECK(out[1] == std::vector<int8_t>{1, 0});
}

TEST_CASE("Atoms: with and without index and validity, missing rows never read the table",
          "[jit][interp][ops]") {
  RK_EACH_ENGINE(engine);
  ProgramBuilder pb;
  pb.field("s", FieldType::String);
  uint32_t a0 = pb.atom_node(pb.atom());
  uint32_t a1 = pb.atom_node(pb.atom());
  uint32_t a2 = pb.atom_node(pb.atom());
  pb.output(a0);
  pb.output(a1);
  pb.output(a2);
  const int64_t n = 5;
  TestBatch batch(n);
  batch.add_string_placeholder();
  // Dictionary atom: codes index a 3-entry table; row 3 is null with a wild code.
  std::vector<int32_t> codes{2, 0, 1, 1'000'000'000, 2};
  std::vector<bool> valid{true, true, true, false, true};
  batch.add_atom({0, 1, 1}, &codes, &valid);
  // Per-row atom (holdout-like): no index, no validity.
  batch.add_atom({1, 0, 0, 1, 7}, nullptr, nullptr);
  // Dictionary atom without validity.
  std::vector<int32_t> codes2{0, 1, 0, 1, 0};
  batch.add_atom({0, 1}, &codes2, nullptr);
  auto exec = make_executor(engine, pb.program);
  auto out = run_all(*exec, pb.program, batch);
  CHECK(out[0] == std::vector<int8_t>{1, 0, 1, -1, 1});
  CHECK(out[1] == std::vector<int8_t>{1, 0, 0, 1, 1});
  CHECK(out[2] == std::vector<int8_t>{0, 1, 0, 1, 0});
}

TEST_CASE("Row ranges: only rows begin..end-1 are written, across 64-row blocks",
          "[jit][interp][ranges]") {
  RK_EACH_ENGINE(engine);
  ProgramBuilder pb;
  uint32_t x = pb.column(pb.field("x", FieldType::Int));
  uint32_t f = pb.column(pb.field("f", FieldType::Bool));
  pb.output(pb.node(Op::If, Ty::Int, {f, x, pb.node(Op::Neg, Ty::Int, {x})}));
  const int64_t n = 517;
  std::vector<std::optional<int64_t>> xs(n);
  std::vector<std::optional<bool>> fs(n);
  for (int64_t i = 0; i < n; ++i) {
    if (i % 7 != 3) xs[i] = i % 100;
    if (i % 11 != 5) fs[i] = (i % 3) == 0;
  }
  TestBatch batch(n);
  batch.add_int(xs);
  batch.add_bool(fs);
  auto exec = make_executor(engine, pb.program);
  const std::pair<int64_t, int64_t> ranges[] = {{0, n},     {0, 1},     {3, 200},   {64, 128},
                                                {63, 65},   {100, 100}, {130, 131}, {511, 517},
                                                {200, 190}, {1, 516}};
  for (auto [begin, end] : ranges) {
    INFO("range " << begin << ".." << end);
    TestResults results(1, n);
    RkBatchView b = batch.view();
    RkResultView r = results.view();
    exec->run(b, r, begin, end);
    for (int64_t i = 0; i < n; ++i) {
      int8_t want = 99;
      if (i >= begin && i < end) {
        const bool cond = fs[i].value_or(false);
        if (cond)
          want = xs[i] ? static_cast<int8_t>(*xs[i]) : -1;
        else
          want = xs[i] ? static_cast<int8_t>(-*xs[i]) : -1;
      }
      if (results.columns[0][i] != want) {
        INFO("row " << i);
        CHECK(int(results.columns[0][i]) == int(want));
      }
    }
  }
}

TEST_CASE("A Column of a String field is always missing", "[jit][interp][ops]") {
  RK_EACH_ENGINE(engine);
  ProgramBuilder pb;
  uint32_t s = pb.column(pb.field("s", FieldType::String));
  pb.output(s);
  pb.output(pb.node(Op::IsMissing, Ty::Bool, {s}));
  TestBatch batch(2);
  batch.add_string_placeholder();
  auto exec = make_executor(engine, pb.program);
  auto out = run_all(*exec, pb.program, batch);
  CHECK(out[0] == std::vector<int8_t>{-1, -1});
  CHECK(out[1] == std::vector<int8_t>{1, 1});
}

TEST_CASE("Invalid programs are rejected with a message", "[jit][errors]") {
  std::string error;
  {
    ProgramBuilder pb;
    pb.field("n", FieldType::Number);
    uint32_t id = pb.node(Op::Column, Ty::Int);
    pb.program.nodes[id].index = 0;
    pb.output(id);
    CHECK_FALSE(jit::compile(pb.program, error));
    CHECK(error.find("does not match the field") != std::string::npos);
  }
  {
    ProgramBuilder pb;
    pb.node(Op::Not, Ty::Bool, {0});
    CHECK_FALSE(jit::compile(pb.program, error));
    CHECK(error.find("earlier") != std::string::npos);
  }
  {
    ProgramBuilder pb;
    uint32_t a = pb.const_int(1);
    pb.node(Op::Div, Ty::Int, {a, a});
    CHECK_FALSE(jit::compile(pb.program, error));
    CHECK(error.find("Float only") != std::string::npos);
    CHECK(jit::llvm_ir(pb.program).rfind("error: ", 0) == 0);
  }
}
