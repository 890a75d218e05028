// Rekindle compiler tests: the scalar semantics of compiler/ir/semantics.h pinned directly (Kleene
// truth tables, int64 overflow, NaN and division by zero, the selections, atoms on concrete
// values) and the one bucket function of compiler/ir/bucket.h (salt:key, percent and basis-point
// moduli, the interleaved form, holdout ranges). The executors run these definitions; tests/jit
// checks the JIT and the lint witness against them on random programs and rule files.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "base/fnv1a.h"
#include "compiler/ir/bucket.h"
#include "compiler/ir/semantics.h"

using namespace rk;
using namespace rk::ir;

namespace {

constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
constexpr int64_t kMin = std::numeric_limits<int64_t>::min();

// A Bool by its truth: 0 false, 1 true, 2 unknown.
Value b3(int t) {
  return t == 2 ? sem::missing() : sem::of_bool(t == 1);
}
int t3(const Value& v) {
  return v.present ? static_cast<int>(v.i != 0) : 2;
}

}  // namespace

TEST_CASE("semantics: Kleene And, Or, Not and the two-valued tests", "[ir][semantics]") {
  // Rows: a = false, true, unknown; columns: b = false, true, unknown.
  const int kAnd[3][3] = {{0, 0, 0}, {0, 1, 2}, {0, 2, 2}};
  const int kOr[3][3] = {{0, 1, 2}, {1, 1, 1}, {2, 1, 2}};
  for (int a = 0; a < 3; ++a) {
    for (int b = 0; b < 3; ++b) {
      INFO("a " << a << " b " << b);
      CHECK(t3(sem::and_(b3(a), b3(b))) == kAnd[a][b]);
      CHECK(t3(sem::or_(b3(a), b3(b))) == kOr[a][b]);
    }
    CHECK(t3(sem::not_(b3(a))) == (a == 2 ? 2 : 1 - a));
    CHECK(t3(sem::is_true(b3(a))) == (a == 1 ? 1 : 0));
    CHECK(t3(sem::is_false(b3(a))) == (a == 0 ? 1 : 0));
    CHECK(t3(sem::is_missing(b3(a))) == (a == 2 ? 1 : 0));
  }
}

TEST_CASE("semantics: arithmetic is missing on overflow, NaN and division by zero",
          "[ir][semantics]") {
  const Value one = sem::of_int(1), max = sem::of_int(kMax), min = sem::of_int(kMin);
  CHECK(sem::add(Ty::Int, sem::of_int(2), sem::of_int(3)).equals(5));
  CHECK_FALSE(sem::add(Ty::Int, max, one).present);
  CHECK_FALSE(sem::sub(Ty::Int, min, one).present);
  CHECK_FALSE(sem::mul(Ty::Int, max, sem::of_int(2)).present);
  CHECK(sem::mul(Ty::Int, min, one).equals(kMin));
  CHECK_FALSE(sem::neg(Ty::Int, min).present);
  CHECK(sem::neg(Ty::Int, max).equals(-kMax));
  CHECK_FALSE(sem::add(Ty::Int, one, sem::missing()).present);
  const Value inf = sem::of_float(INFINITY);
  CHECK_FALSE(sem::sub(Ty::Float, inf, inf).present);  // NaN
  CHECK_FALSE(sem::of_float(std::nan("")).present);
  CHECK(sem::add(Ty::Float, inf, sem::of_float(1)).f == INFINITY);
  CHECK_FALSE(sem::div(Ty::Float, sem::of_float(1), sem::of_float(0)).present);
  CHECK_FALSE(sem::div(Ty::Float, sem::of_float(1), sem::of_float(-0.0)).present);
  CHECK(sem::div(Ty::Float, sem::of_float(1), sem::of_float(4)).f == 0.25);
  CHECK_FALSE(sem::div(Ty::Int, sem::of_int(4), sem::of_int(2)).present);  // not an IR op
  CHECK(sem::int_to_float(sem::of_int(-3)).f == -3.0);
  CHECK_FALSE(sem::int_to_float(sem::missing()).present);
}

TEST_CASE("semantics: comparisons, InMask and the selections", "[ir][semantics]") {
  CHECK(sem::compare(Op::Lt, Ty::Int, sem::of_int(-1), sem::of_int(0)).is_true());
  CHECK(sem::compare(Op::Ge, Ty::Float, sem::of_float(2), sem::of_float(2)).is_true());
  CHECK(sem::compare(Op::Ne, Ty::Bool, sem::of_bool(true), sem::of_bool(false)).is_true());
  CHECK_FALSE(sem::compare(Op::Eq, Ty::Int, sem::missing(), sem::of_int(0)).present);
  CHECK_FALSE(sem::compare(Op::Add, Ty::Int, sem::of_int(0), sem::of_int(0)).present);
  CHECK(sem::in_mask(sem::of_int(3), 0b1000).is_true());
  CHECK(sem::in_mask(sem::of_int(63), uint64_t{1} << 63).is_true());
  CHECK(sem::in_mask(sem::of_int(64), ~uint64_t{0}).equals(0));
  CHECK(sem::in_mask(sem::of_int(-1), ~uint64_t{0}).equals(0));
  CHECK_FALSE(sem::in_mask(sem::missing(), 1).present);
  const Value a = sem::of_int(7), b = sem::of_int(9);
  CHECK(sem::if_(sem::of_bool(true), a, b).equals(7));
  CHECK(sem::if_(sem::missing(), a, b).equals(9));
  CHECK(sem::coalesce(sem::missing(), b).equals(9));
  CHECK(sem::coalesce(a, b).equals(7));
  const std::vector<Value> bools{sem::missing(), sem::of_bool(false), sem::of_bool(true),
                                 sem::of_bool(true)};
  auto arg = [&](size_t k) -> const Value& { return bools[k]; };
  CHECK(sem::first_true(bools.size(), arg).equals(2));
  CHECK_FALSE(sem::first_true(2, arg).present);
  const std::vector<Value> cases{sem::of_int(1), sem::of_int(10), sem::of_int(11)};
  auto c = [&](size_t k) -> const Value& { return cases[k]; };
  CHECK(sem::switch_(cases.size(), c).equals(11));
  const std::vector<Value> out{sem::of_int(2), sem::of_int(10), sem::of_int(11)};
  auto o = [&](size_t k) -> const Value& { return out[k]; };
  CHECK_FALSE(sem::switch_(out.size(), o).present);
}

TEST_CASE("semantics: columns and atoms on concrete values", "[ir][semantics]") {
  CHECK(sem::column_value(FieldType::Bool, 1, 0).is_true());
  CHECK(sem::column_value(FieldType::Date, -5, 0).equals(-5));
  CHECK(sem::column_value(FieldType::Money, 0, 2.5).f == 2.5);
  CHECK_FALSE(sem::column_value(FieldType::Percent, 0, std::nan("")).present);
  CHECK_FALSE(sem::column_value(FieldType::String, 0, 0).present);
  Atom in;
  in.kind = AtomKind::StrInSet;
  in.set = {"a", "b"};
  CHECK(sem::atom_value(in, true, "b", {}).is_true());
  CHECK(sem::atom_value(in, true, "c", {}).equals(0));
  CHECK_FALSE(sem::atom_value(in, false, "b", {}).present);
  Atom all = in;
  all.kind = AtomKind::ListHasAll;
  CHECK(sem::atom_value(all, true, "", {"b", "x", "a"}).is_true());
  CHECK(sem::atom_value(all, true, "", {"b"}).equals(0));
  all.kind = AtomKind::ListHasAny;
  CHECK(sem::atom_value(all, true, "", {"b"}).is_true());
  CHECK(sem::atom_value(all, true, "", {}).equals(0));
  all.kind = AtomKind::ListHasNone;
  CHECK(sem::atom_value(all, true, "", {"x"}).is_true());
  CHECK(sem::atom_value(all, true, "", {"a"}).equals(0));
}

TEST_CASE("buckets: fnv1a64(salt:key) mod 100 or 10000, one function", "[ir][bucket]") {
  CHECK(bucket("winback", "C000001", 100) == fnv1a64("winback:C000001") % 100);
  CHECK(bucket("winback.winback_offer", "C0001", 100) ==
        fnv1a64("winback.winback_offer:C0001") % 100);
  CHECK(bucket("s", "k", 10000) == fnv1a64("s:k") % 10000);
  const Bucketing b("winback", 10000);
  CHECK(b.modulus() == 10000);
  const std::string keys[8] = {"",        "C1", "C000042", "C77777777777",
                               "winback", "é",  "C2",      std::string(70, 'k')};
  std::string_view views[8];
  for (int i = 0; i < 8; ++i) views[i] = keys[i];
  uint64_t out[8];
  b.of_lanes<8>(views, out);
  for (int i = 0; i < 8; ++i) CHECK(out[i] == bucket("winback", keys[i], 10000));
  // A holdout of 5% takes buckets 0..4; over many keys about 5% are held out.
  Atom h;
  h.kind = AtomKind::Holdout;
  h.salt = "winback";
  h.modulus = 100;
  h.threshold = 5;
  CHECK(holdout_range(h).contains(0));
  CHECK(holdout_range(h).contains(4));
  CHECK_FALSE(holdout_range(h).contains(5));
  int held = 0;
  for (int i = 0; i < 20000; ++i) {
    std::string key = "C";
    key += std::to_string(i);
    CHECK(held_out(h, key) == (bucket("winback", key, 100) < 5));
    held += held_out(h, key);
  }
  CHECK(held > 800);
  CHECK(held < 1200);
  CHECK(sem::atom_value(h, true, "C1", {}).is_true() == held_out(h, "C1"));
}
