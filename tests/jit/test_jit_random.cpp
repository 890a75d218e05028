// Rekindle JIT tests: differential testing against the reference interpreter. A generator builds
// thousands of random well-typed IR programs over random columns (with nulls, validity-free
// columns, extreme values, NaN and infinities, atoms with and without index/validity, range
// tests) and checks that the JIT writes exactly what the interpreter writes, on every row and on
// random row ranges, and that the lint witness computes every node as the interpreter does; every
// third program is compiled split into tiny parts (kernel_plan.h) with short chunks and short basic
// blocks, so materialized and recomputed nodes are exercised. The plans of random programs are
// checked for their invariants. RK_JIT_RANDOM_PROGRAMS overrides the number of programs.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdlib>
#include <limits>
#include <random>
#include <set>

#include "compiler/ir/helpers.h"
#include "compiler/ir/validate.h"
#include "compiler/jit/jit.h"
#include "compiler/jit/kernel_codegen.h"
#include "compiler/jit/kernel_plan.h"
#include "runtime/interpreter.h"
#include "tests/jit/jit_test_support.h"
#include "tests/jit/witness_support.h"

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
      // Code outputs of Bool and Int nodes, and wide ones (Int64, Float64) as scores use.
      const Ty t = chance(0.15) ? Ty::Float : chance(0.5) ? Ty::Bool : Ty::Int;
      const ir::OutputWidth w = t == Ty::Float                 ? ir::OutputWidth::Float64
                                : t == Ty::Int && chance(0.25) ? ir::OutputWidth::Int64
                                                               : ir::OutputWidth::Code;
      pb_.output(pick(t), "out", w);
    }
    as_of_ = static_cast<int32_t>(uniform(-30000, 30000));
  }

  const ir::Program& program() const { return pb_.program; }
  const TestBatch& batch() const { return *batch_; }

  // The program as the lint witness reads it, and row `r` as one customer. The witness computes
  // atoms from strings, but this batch gives atoms as tables: each atom becomes `"yes" is one of
  // {"yes"}` over a string field of its own, appended to the schema, whose value in row r is
  // "yes" or "no" as the atom's table says (missing where the atom is). Nodes are unchanged.
  ir::Program witness_program() const {
    ir::Program w = pb_.program;
    for (size_t a = 0; a < w.atoms.size(); ++a) {
      FieldDef f;
      f.name = "atom" + std::to_string(a);
      f.type = FieldType::String;
      f.nullable = true;
      w.schema.fields.push_back(f);
      w.atoms[a] = ir::Atom{};
      w.atoms[a].kind = ir::AtomKind::StrInSet;
      w.atoms[a].field = static_cast<uint32_t>(w.schema.fields.size() - 1);
      w.atoms[a].set = {"yes"};
    }
    return w;
  }
  lint::Customer customer(int64_t r) const {
    const RkBatchView view = batch_->view(as_of_);
    const ir::Program& p = pb_.program;
    // String fields are placeholders here (only atoms read strings): read them as missing.
    std::vector<RkColumn> columns(view.columns, view.columns + p.schema.fields.size());
    const std::vector<uint8_t> none((rows_ + 7) / 8, 0);
    for (size_t f = 0; f < columns.size(); ++f)
      if (p.schema.fields[f].type == FieldType::String) columns[f].validity = none.data();
    lint::Customer c = customer_of_row(p, columns.data(), r, as_of_);
    for (size_t a = 0; a < p.atoms.size(); ++a) {
      const RkAtom& atom = view.atoms[a];
      lint::FieldValue v;
      v.present = is_present(atom.validity, r);
      if (v.present) v.s = atom.table[atom.index ? atom.index[r] : r] ? "yes" : "no";
      c.fields.push_back(v);
    }
    return c;
  }
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
      case FieldType::Number:
      case FieldType::Money:
      case FieldType::Percent:
      case FieldType::String:
      case FieldType::StringList: {
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
    const int choice = static_cast<int>(uniform(0, 18));
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
      case 17: {
        // A range test, `x in lo to hi`: And of two comparisons of one Int with constants, which
        // the code generator folds into one check on x (x need not be in the And's part).
        const uint32_t x = pick(Ty::Int);
        const bool wide = chance(0.2);  // any bounds, extreme ones included
        const int64_t lo = wide ? any_int() : uniform(-3, 130);
        const int64_t hi = wide ? any_int() : lo + uniform(-1, 40);
        const uint32_t low =
            pb_.node(pick_of<Op>({Op::Ge, Op::Gt}), Ty::Bool, {x, pb_.const_int(lo)});
        const uint32_t high =
            pb_.node(pick_of<Op>({Op::Le, Op::Lt}), Ty::Bool, {x, pb_.const_int(hi)});
        add(low);
        add(high);
        id = chance(0.5) ? pb_.node(Op::And, Ty::Bool, {low, high})
                         : pb_.node(Op::And, Ty::Bool, {high, low});
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

bool contains(const std::vector<uint32_t>& sorted, uint32_t x) {
  return std::binary_search(sorted.begin(), sorted.end(), x);
}

// The invariants of a kernel plan (kernel_plan.h).
void check_plan(const ir::Program& p, const jit::KernelPlan& plan) {
  const auto& nodes = p.nodes;
  std::vector<bool> live(nodes.size(), false);
  for (const auto& o : p.outputs) live[o.node] = true;
  for (size_t i = nodes.size(); i-- > 0;)
    if (live[i])
      for (uint32_t a : nodes[i].args) live[a] = true;
  std::vector<int> owner(nodes.size(), -1);  // the first part that computes the node
  std::vector<int> output_part(p.outputs.size(), -1);
  REQUIRE(!plan.parts.empty());
  for (size_t k = 0; k < plan.parts.size(); ++k) {
    const jit::KernelPart& part = plan.parts[k];
    INFO("part " << k);
    std::set<uint32_t> here;
    auto usable = [&](uint32_t a) {
      const ir::Node& n = nodes[a];
      if (n.op == Op::Column) CHECK(contains(part.fields, n.index));
      if (n.op == Op::Atom) CHECK(contains(part.atoms, n.index));
      return jit::is_leaf(n.op) || here.count(a) || contains(part.loads, a);
    };
    for (uint32_t id : part.nodes) {
      INFO("node " << id);
      CHECK_FALSE(jit::is_leaf(nodes[id].op));
      CHECK(live[id]);
      CHECK_FALSE(here.count(id));  // computed once per part
      for (uint32_t a : nodes[id].args) CHECK(usable(a));
      here.insert(id);
      if (owner[id] < 0) owner[id] = static_cast<int>(k);
    }
    for (uint32_t a : part.loads) {
      INFO("load " << a);
      REQUIRE(owner[a] >= 0);
      CHECK(owner[a] < static_cast<int>(k));
      CHECK(contains(plan.parts[owner[a]].stores, a));
      CHECK(plan.slot_of[a] >= 0);
    }
    for (uint32_t a : part.stores) CHECK(here.count(a));
    for (uint32_t o : part.outputs) {
      CHECK(output_part[o] < 0);
      output_part[o] = static_cast<int>(k);
      CHECK(usable(p.outputs[o].node));
    }
    for (uint32_t f : part.fields) CHECK(contains(plan.fields, f));
    for (uint32_t a : part.atoms) CHECK(contains(plan.atoms, a));
  }
  for (size_t i = 0; i < nodes.size(); ++i)
    if (live[i] && !jit::is_leaf(nodes[i].op)) CHECK(owner[i] >= 0);
  for (int part : output_part) CHECK(part >= 0);
  // Slots lie in the scratch buffer without overlapping each other or the gather buffers.
  std::vector<std::pair<size_t, size_t>> ranges;
  const auto rows = static_cast<size_t>(plan.chunk_blocks * jit::kBlockRows);
  for (const jit::ScratchSlot& slot : plan.slots) {
    CHECK(plan.slot_of[slot.node] >= 0);
    const size_t bytes = nodes[slot.node].ty == Ty::Bool ? 1 : 8;
    ranges.emplace_back(slot.value_offset, slot.value_offset + rows * bytes);
    ranges.emplace_back(slot.present_offset, slot.present_offset + rows);
  }
  std::sort(ranges.begin(), ranges.end());
  for (size_t i = 0; i < ranges.size(); ++i) {
    CHECK(ranges[i].second <= plan.scratch_bytes);
    if (i > 0) CHECK(ranges[i - 1].second <= ranges[i].first);
  }
  if (plan.parts.size() > 1) CHECK(plan.chunk_blocks >= 1);
}

int program_count() {
  if (const char* env = std::getenv("RK_JIT_RANDOM_PROGRAMS")) return std::atoi(env);
  return 2000;
}

}  // namespace

TEST_CASE("Random programs: the JIT and the witness compute what the interpreter computes",
          "[jit][random]") {
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
    if (k % 3 == 1) {
      // Tiny parts (often one node each), chunks of one to three blocks, short basic blocks.
      opts.part_weight = static_cast<size_t>(rc.uniform(1, 40));
      opts.chunk_rows = 64 * rc.uniform(1, 3);
      opts.block_weight = static_cast<size_t>(rc.uniform(1, 30));
    }
    INFO("part weight " << opts.part_weight << ", chunk rows " << opts.chunk_rows
                        << ", block weight " << opts.block_weight);
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
    TestResults r1(p, rc.rows()), r2(p, rc.rows());
    RkBatchView b = rc.batch().view(rc.as_of());
    RkResultView v1 = r1.view(), v2 = r2.view();
    interp->run(b, v1, begin, end);
    exec->run(b, v2, begin, end);
    INFO("range " << begin << ".." << end);
    REQUIRE(r1.columns == r2.columns);
    // The witness, node by node.
    const ir::Program w = rc.witness_program();
    for (int64_t r = 0; r < rc.rows(); ++r) require_witness_agrees(p, b, r, w, rc.customer(r));
  }
  CHECK(compiled == count);
}

TEST_CASE("Random programs: kernel plans keep their invariants", "[jit][random][plan]") {
  const int count = std::max(1, program_count() / 4);
  for (int k = 0; k < count; ++k) {
    const uint64_t seed = 0x91a40000u + static_cast<uint64_t>(k);
    RandomCase rc(seed);
    rc.generate();
    const ir::Program& p = rc.program();
    INFO("seed " << seed << "\n" << ir::dump(p));
    jit::PlanLimits limits;
    limits.max_part_weight = static_cast<size_t>(rc.uniform(1, 200));
    limits.recompute_weight = static_cast<size_t>(rc.uniform(0, 12));
    limits.chunk_rows = rc.uniform(1, 300);
    limits.max_part_leaves = static_cast<size_t>(rc.uniform(1, 10));
    const jit::KernelPlan plan = jit::plan_kernel(p, limits);
    check_plan(p, plan);
  }
}

TEST_CASE("Wide FirstTrue and Switch nodes are narrowed without changing results",
          "[jit][random][plan]") {
  for (int k = 0; k < 40; ++k) {
    const uint64_t seed = 0x3a7e0000u + static_cast<uint64_t>(k);
    std::mt19937_64 rng(seed);
    auto uniform = [&](int64_t lo, int64_t hi) {
      return std::uniform_int_distribution<int64_t>(lo, hi)(rng);
    };
    const int64_t rows = uniform(1, 300);
    TestBatch batch(rows);
    ProgramBuilder pb;
    // Bool columns and atoms with nulls, an Int index column with values around the case range.
    std::vector<uint32_t> bools;
    const int64_t columns = uniform(1, 12);
    for (int64_t c = 0; c < columns; ++c) {
      std::vector<std::optional<bool>> v(rows);
      for (auto& x : v)
        if (uniform(0, 9) > 2) x = uniform(0, 20) == 0;
      batch.add_bool(v, uniform(0, 3) > 0);
      bools.push_back(pb.column(pb.field("b" + std::to_string(c), FieldType::Bool)));
    }
    std::vector<std::optional<int64_t>> idx(rows);
    const int64_t width = uniform(33, 140);
    for (auto& x : idx)
      if (uniform(0, 9) > 0) x = uniform(-3, width + 3);
    batch.add_int(idx);
    const uint32_t index = pb.column(pb.field("i", FieldType::Int));
    std::vector<uint32_t> args;
    for (int64_t a = 0; a < width; ++a)
      args.push_back(uniform(0, 5) == 0 ? pb.const_bool(a == width - 1)
                                        : bools[uniform(0, columns - 1)]);
    pb.output(pb.node(Op::FirstTrue, Ty::Int, args), "first");
    std::vector<uint32_t> cases{index};
    for (int64_t c = 0; c < width; ++c)
      cases.push_back(uniform(0, 4) == 0 ? pb.node(Op::Null, Ty::Int) : pb.const_int(c % 100));
    pb.output(pb.node(Op::Switch, Ty::Int, cases), "switch");
    std::vector<uint32_t> bool_cases{index};
    for (int64_t c = 0; c < width; ++c) bool_cases.push_back(bools[uniform(0, columns - 1)]);
    pb.output(pb.node(Op::Switch, Ty::Bool, bool_cases), "switch_bool");
    const ir::Program& p = pb.program;
    INFO("seed " << seed << " width " << width);
    const ir::Program narrow = jit::narrow_program(p);
    for (const ir::Node& n : narrow.nodes) CHECK(n.args.size() <= jit::kMaxOperands + 1);
    std::string error;
    REQUIRE(ir::validate(narrow, error));
    auto interp = make_interpreter(p);
    const auto want = run_all(*interp, p, batch);
    CHECK(run_all(*make_interpreter(narrow), narrow, batch) == want);
    jit::JitOptions opts;
    opts.part_weight = static_cast<size_t>(uniform(1, 300));
    auto exec = jit::compile(p, error, opts);
    INFO(error);
    REQUIRE(exec);
    CHECK(run_all(*exec, p, batch) == want);
  }
}
