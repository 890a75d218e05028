// Rekindle JIT tests: differential testing against the reference interpreter. A generator builds
// thousands of random well-typed IR programs over random columns (with nulls, validity-free
// columns, extreme values, NaN and infinities, atoms with and without index/validity) and
// checks that the JIT writes exactly what the interpreter writes, on every row and on random
// row ranges. RK_JIT_RANDOM_PROGRAMS overrides the number of programs.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <limits>
#include <random>

#include "compiler/jit/jit.h"
#include "runtime/interpreter.h"
#include "tests/jit/jit_test_support.h"

using namespace rk;
using namespace rk::jit_test;

namespace {

constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
constexpr int64_t kMin = std::numeric_limits<int64_t>::min();

class RandomCase {
 public:
  explicit RandomCase(uint64_t seed) : rng_(seed) {}

  // Builds the schema, the batch and the program.
  void generate() {
    rows_ = chance(0.1) ? uniform(1, 8) : uniform(1, 400);
    batch_ = std::make_unique<TestBatch>(rows_);
    const int fields = uniform(1, 7);
    for (int f = 0; f < fields; ++f) add_field();
    const int atoms = uniform(0, 3);
    if (atoms > 0) {
      pb_.field("s", FieldType::String);
      batch_->add_string_placeholder();
      for (int a = 0; a < atoms; ++a) add_atom();
    }
    add_leaves();
    const int interior = uniform(5, 60);
    for (int k = 0; k < interior; ++k) add_interior();
    const int outputs = uniform(1, 12);
    for (int k = 0; k < outputs; ++k) {
      const Ty t = chance(0.05) ? Ty::Float : chance(0.5) ? Ty::Bool : Ty::Int;
      pb_.output(pick(t));
    }
    as_of_ = static_cast<int32_t>(uniform(-30000, 30000));
  }

  const ir::Program& program() const { return pb_.program; }
  const TestBatch& batch() const { return *batch_; }
  int64_t rows() const { return rows_; }
  int32_t as_of() const { return as_of_; }
  std::mt19937_64& rng() { return rng_; }
  int64_t uniform(int64_t lo, int64_t hi) {
    return std::uniform_int_distribution<int64_t>(lo, hi)(rng_);
  }
  bool chance(double p) { return std::bernoulli_distribution(p)(rng_); }

 private:
  template <class T>
  T pick_of(std::initializer_list<T> xs) {
    return *(xs.begin() + uniform(0, static_cast<int64_t>(xs.size()) - 1));
  }

  int64_t any_int() {
    switch (uniform(0, 5)) {
      case 0:
        return pick_of<int64_t>({kMin, kMax, kMin + 1, kMax - 1, 0, -1, 63, 64});
      case 1:
        return static_cast<int64_t>(rng_());
      case 2:
        return uniform(-1'000'000, 1'000'000);
      case 3:
        return int64_t{1} << uniform(0, 62);
      default:
        return uniform(-3, 130);
    }
  }
  double any_float() {
    const double inf = std::numeric_limits<double>::infinity();
    switch (uniform(0, 5)) {
      case 0:
        return pick_of<double>({0.0, -0.0, inf, -inf, std::nan(""), 1e308, -1e308, 5e-324});
      case 1:
        return std::uniform_real_distribution<double>(-1e6, 1e6)(rng_);
      case 2:
        return static_cast<double>(uniform(-5, 5));
      default:
        return std::uniform_real_distribution<double>(-2, 2)(rng_);
    }
  }

  void add_field() {
    const FieldType t =
        pick_of<FieldType>({FieldType::Bool, FieldType::Int, FieldType::Number, FieldType::Money,
                            FieldType::Percent, FieldType::Date, FieldType::Enum});
    const bool with_validity = chance(0.75);
    const double null_rate = with_validity ? pick_of<double>({0.0, 0.1, 0.5, 0.95}) : 0.0;
    auto is_null = [&] { return chance(null_rate); };
    const uint32_t f = pb_.field("f" + std::to_string(pb_.program.schema.fields.size()), t);
    switch (t) {
      case FieldType::Bool: {
        std::vector<std::optional<bool>> v(rows_);
        for (auto& x : v)
          if (!is_null()) x = chance(0.5);
        batch_->add_bool(v, with_validity);
        break;
      }
      case FieldType::Int: {
        std::vector<std::optional<int64_t>> v(rows_);
        for (auto& x : v)
          if (!is_null()) x = any_int();
        batch_->add_int(v, with_validity);
        break;
      }
      case FieldType::Date:
      case FieldType::Enum: {
        std::vector<std::optional<int32_t>> v(rows_);
        for (auto& x : v)
          if (!is_null())
            x = t == FieldType::Enum ? static_cast<int32_t>(uniform(0, 6))
                : chance(0.1)        ? pick_of<int32_t>({std::numeric_limits<int32_t>::min(),
                                                         std::numeric_limits<int32_t>::max(), -1, 0})
                                     : static_cast<int32_t>(uniform(-40000, 40000));
        batch_->add_int32(v, with_validity);
        break;
      }
      default: {
        std::vector<std::optional<double>> v(rows_);
        for (auto& x : v)
          if (!is_null()) x = any_float();
        batch_->add_float(v, with_validity);
        break;
      }
    }
    columns_.push_back(f);
    if (t == FieldType::Enum) small_ints_.push_back(pb_.column(f));
  }

  void add_atom() {
    const uint32_t a = pb_.atom();
    atoms_.push_back(a);
    const bool indexed = chance(0.5);
    const bool with_validity = chance(0.6);
    std::vector<bool> valid(rows_);
    for (int64_t r = 0; r < rows_; ++r) valid[r] = !with_validity || chance(0.7);
    std::vector<uint8_t> table(indexed ? uniform(1, 6) : rows_);
    for (auto& t : table) t = chance(0.5) ? 1 : 0;
    std::vector<int32_t> index(rows_);
    for (int64_t r = 0; r < rows_; ++r)
      index[r] = valid[r] ? static_cast<int32_t>(uniform(0, static_cast<int64_t>(table.size()) - 1))
                          : pick_of<int32_t>({-7, 1 << 30, 0});
    batch_->add_atom(table, indexed ? &index : nullptr, with_validity ? &valid : nullptr);
  }

  void add(uint32_t id) { by_ty_[static_cast<int>(pb_.program.nodes[id].ty)].push_back(id); }
  uint32_t pick(Ty t) {
    const auto& v = by_ty_[static_cast<int>(t)];
    return v[uniform(0, static_cast<int64_t>(v.size()) - 1)];
  }
  // An Int that is often a small index (for Switch, InMask).
  uint32_t pick_small_int() {
    if (!small_ints_.empty() && chance(0.7))
      return small_ints_[uniform(0, static_cast<int64_t>(small_ints_.size()) - 1)];
    return pick(Ty::Int);
  }

  void add_leaves() {
    for (uint32_t f : columns_) add(pb_.column(f));
    for (uint32_t a : atoms_) add(pb_.atom_node(a));
    add(pb_.const_bool(chance(0.5)));
    add(pb_.const_int(any_int()));
    uint32_t small = pb_.const_int(uniform(-1, 4));
    add(small);
    small_ints_.push_back(small);
    add(pb_.const_float(any_float()));
    add(pb_.node(Op::AsOf, Ty::Int));
    for (Ty t : {Ty::Bool, Ty::Int, Ty::Float})
      if (chance(0.3)) add(pb_.node(Op::Null, t));
  }

  void add_interior() {
    const int choice = static_cast<int>(uniform(0, 17));
    const Ty num = chance(0.5) ? Ty::Int : Ty::Float;
    const Ty any = pick_of<Ty>({Ty::Bool, Ty::Int, Ty::Float});
    uint32_t id = 0;
    switch (choice) {
      case 0:
      case 1: {
        const Op op = pick_of<Op>({Op::Add, Op::Sub, Op::Mul});
        id = pb_.node(op, num, {pick(num), pick(num)});
        break;
      }
      case 2:
        id = pb_.node(Op::Div, Ty::Float, {pick(Ty::Float), pick(Ty::Float)});
        break;
      case 3:
        id = pb_.node(Op::Neg, num, {pick(num)});
        break;
      case 4:
        id = pb_.node(Op::IntToFloat, Ty::Float, {pick(Ty::Int)});
        break;
      case 5:
      case 6: {
        const Op op = pick_of<Op>({Op::Eq, Op::Ne, Op::Lt, Op::Le, Op::Gt, Op::Ge});
        const Ty t = chance(0.1) ? Ty::Bool : num;
        id = pb_.node(op, Ty::Bool, {pick(t), pick(t)});
        break;
      }
      case 7:
      case 8: {
        const Op op = pick_of<Op>({Op::And, Op::Or});
        id = pb_.node(op, Ty::Bool, {pick(Ty::Bool), pick(Ty::Bool)});
        break;
      }
      case 9: {
        const Op op = pick_of<Op>({Op::Not, Op::IsTrue, Op::IsFalse});
        id = pb_.node(op, Ty::Bool, {pick(Ty::Bool)});
        break;
      }
      case 10:
        id = pb_.node(Op::IsMissing, Ty::Bool, {pick(any)});
        break;
      case 11:
        id =
            pb_.in_mask(pick_small_int(),
                        chance(0.5) ? rng_() : (uint64_t{1} << uniform(0, 63)) | uint64_t{1} << 63);
        break;
      case 12:
        id = pb_.node(Op::If, any, {pick(Ty::Bool), pick(any), pick(any)});
        break;
      case 13:
        id = pb_.node(Op::Coalesce, any, {pick(any), pick(any)});
        break;
      case 14: {
        std::vector<uint32_t> args(uniform(0, 5));
        for (auto& a : args) a = pick(Ty::Bool);
        id = pb_.node(Op::FirstTrue, Ty::Int, args);
        small_ints_.push_back(id);
        break;
      }
      case 15:
      case 16: {
        std::vector<uint32_t> args{pick_small_int()};
        const int64_t cases = uniform(0, 5);
        for (int64_t k = 0; k < cases; ++k) args.push_back(pick(any));
        id = pb_.node(Op::Switch, any, args);
        break;
      }
      default:
        id = pb_.node(Op::Add, Ty::Int, {pick(Ty::Int), pb_.const_int(uniform(-2, 2))});
    }
    add(id);
  }

  std::mt19937_64 rng_;
  ProgramBuilder pb_;
  std::unique_ptr<TestBatch> batch_;
  int64_t rows_ = 0;
  int32_t as_of_ = 0;
  std::vector<uint32_t> columns_, atoms_, small_ints_;
  std::vector<uint32_t> by_ty_[3];
};

int program_count() {
  if (const char* env = std::getenv("RK_JIT_RANDOM_PROGRAMS")) return std::atoi(env);
  return 2000;
}

}  // namespace

TEST_CASE("Random programs: the JIT writes exactly what the interpreter writes", "[jit][random]") {
  const int count = program_count();
  int compiled = 0;
  for (int k = 0; k < count; ++k) {
    const uint64_t seed = 0x5eed0000u + static_cast<uint64_t>(k);
    RandomCase rc(seed);
    rc.generate();
    const ir::Program& p = rc.program();
    INFO("seed " << seed << "\n" << ir::dump(p));
    jit::JitOptions opts;
    opts.opt_level = k % 10 == 9 ? static_cast<int>(rc.uniform(0, 3)) : 2;
    std::string error;
    auto exec = jit::compile(p, error, opts);
    INFO(error);
    REQUIRE(exec);
    ++compiled;
    auto interp = make_interpreter(p);

    // The whole batch, then a random sub-range (other rows must stay untouched).
    auto want = run_all(*interp, p, rc.batch(), rc.as_of());
    auto got = run_all(*exec, p, rc.batch(), rc.as_of());
    for (size_t o = 0; o < want.size(); ++o) {
      INFO("output " << o);
      REQUIRE(got[o] == want[o]);
    }
    const int64_t begin = rc.uniform(0, rc.rows());
    const int64_t end = rc.uniform(begin, rc.rows());
    TestResults r1(p.outputs.size(), rc.rows()), r2(p.outputs.size(), rc.rows());
    RkBatchView b = rc.batch().view(rc.as_of());
    RkResultView v1 = r1.view(), v2 = r2.view();
    interp->run(b, v1, begin, end);
    exec->run(b, v2, begin, end);
    INFO("range " << begin << ".." << end);
    REQUIRE(r1.columns == r2.columns);
  }
  CHECK(compiled == count);
}
