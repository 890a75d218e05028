// Rekindle IR: what every op computes, on one row's (value, present) pairs, written once. The
// reference interpreter (runtime/interpreter.cpp) and the lint witness (compiler/lint/witness.cpp)
// both evaluate programs with evaluate_nodes below and differ only in where a row's leaves come
// from (a columnar batch, or one customer's values); constant folding, if the checker ever does
// any, uses the same functions. The JIT's generated code implements these definitions on vectors
// (compiler/jit/kernel_codegen.cpp), and the differential tests (tests/jit) run the interpreter,
// the JIT and the witness on random programs and random rule files and require equal results.
//
// - Every value is (value, present); missing propagates through arithmetic and comparisons.
// - Int arithmetic that overflows int64 is missing, Neg of INT64_MIN too; a Float NaN is missing
//   wherever it appears, and so is a division by zero. No fast-math: Float results are IEEE.
// - A Bool is three-valued (false, true, unknown = missing): And/Or/Not are Kleene's (SQL's);
//   IsMissing/IsTrue/IsFalse are two-valued; InMask is missing only when its operand is.
// - If takes `else` unless the condition is present and true; Coalesce, FirstTrue and Switch as
//   documented at each function.
// - Dates are Ints of days since 1970-01-01 (a Date column, AsOf); `days since` is a Sub.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "compiler/ir/bucket.h"
#include "compiler/ir/program.h"

namespace rk::ir {

// One node's value for one row: Bool (0/1) and Int in `i`, Float in `f`; `present` false =
// missing (a Bool that is not present is unknown). A present Float is never NaN.
struct Value {
  int64_t i = 0;
  double f = 0;
  bool present = false;
  bool is_true() const { return present && i != 0; }
  bool equals(int64_t k) const { return present && i == k; }
};

namespace sem {

inline constexpr Value missing() {
  return Value{};
}
inline constexpr Value of_bool(bool b) {
  return Value{b ? 1 : 0, 0, true};
}
inline constexpr Value of_int(int64_t v) {
  return Value{v, 0, true};
}
// A NaN is missing wherever it appears.
inline Value of_float(double v) {
  return std::isnan(v) ? missing() : Value{0, v, true};
}

// The three truth values of a Bool.
enum class Truth : uint8_t { False, True, Unknown };
inline constexpr Truth truth(const Value& v) {
  return !v.present ? Truth::Unknown : v.i != 0 ? Truth::True : Truth::False;
}

// A present schema field's value as a Column node reads it: `i` holds a Bool (0/1), an Int, a
// Date (days) or an Enum ordinal, `f` a Number, Money or Percent. Strings and lists are read only
// through atoms, so a Column of one is missing.
inline Value column_value(FieldType t, int64_t i, double f) {
  switch (t) {
    case FieldType::Bool:
      return of_bool(i != 0);
    case FieldType::Int:
    case FieldType::Date:
    case FieldType::Enum:
      return of_int(i);
    case FieldType::Number:
    case FieldType::Money:
    case FieldType::Percent:
      return of_float(f);
    case FieldType::String:
    case FieldType::StringList:
      return missing();
  }
  return missing();
}

// An atom's value for a row whose field `a.field` is missing (`present` false) or holds the
// string `s` (String fields) or the items `list` (StringList fields). runtime/atoms.cpp computes
// the same for a whole batch at once (once per dictionary entry where it can).
inline Value atom_value(const Atom& a, bool present, std::string_view s,
                        const std::vector<std::string>& list) {
  if (!present) return missing();
  switch (a.kind) {
    case AtomKind::StrInSet:
      return of_bool(std::find(a.set.begin(), a.set.end(), s) != a.set.end());
    case AtomKind::ListHasAny:
    case AtomKind::ListHasAll:
    case AtomKind::ListHasNone: {
      size_t found = 0;
      for (const auto& item : a.set)
        if (std::find(list.begin(), list.end(), item) != list.end()) ++found;
      if (a.kind == AtomKind::ListHasAny) return of_bool(found > 0);
      if (a.kind == AtomKind::ListHasNone) return of_bool(found == 0);
      return of_bool(found == a.set.size());
    }
    case AtomKind::Holdout:
      return of_bool(held_out(a, s));
  }
  return missing();
}

// Add, Sub, Mul of type `ty` (Int: missing on int64 overflow; Float: missing when NaN).
inline Value add(Ty ty, const Value& a, const Value& b) {
  if (!a.present || !b.present) return missing();
  if (ty == Ty::Float) return of_float(a.f + b.f);
  int64_t r = 0;
  return __builtin_add_overflow(a.i, b.i, &r) ? missing() : of_int(r);
}
inline Value sub(Ty ty, const Value& a, const Value& b) {
  if (!a.present || !b.present) return missing();
  if (ty == Ty::Float) return of_float(a.f - b.f);
  int64_t r = 0;
  return __builtin_sub_overflow(a.i, b.i, &r) ? missing() : of_int(r);
}
inline Value mul(Ty ty, const Value& a, const Value& b) {
  if (!a.present || !b.present) return missing();
  if (ty == Ty::Float) return of_float(a.f * b.f);
  int64_t r = 0;
  return __builtin_mul_overflow(a.i, b.i, &r) ? missing() : of_int(r);
}
// Float only (an Int division is not an IR operation: missing); a divisor of 0 gives missing.
inline Value div(Ty ty, const Value& a, const Value& b) {
  if (!a.present || !b.present || ty != Ty::Float || b.f == 0) return missing();
  return of_float(a.f / b.f);
}
inline Value neg(Ty ty, const Value& a) {
  if (!a.present) return missing();
  if (ty == Ty::Float) return of_float(-a.f);
  return a.i == INT64_MIN ? missing() : of_int(-a.i);
}
inline Value int_to_float(const Value& a) {
  return a.present ? of_float(static_cast<double>(a.i)) : missing();
}

// Eq, Ne, Lt, Le, Gt, Ge of two operands of type `operand_ty` (Bool and Int compare `i`, Float
// compares `f`; a present Float is never NaN, so the order is total).
inline Value compare(Op op, Ty operand_ty, const Value& a, const Value& b) {
  if (!a.present || !b.present) return missing();
  int c = 0;
  if (operand_ty == Ty::Float)
    c = a.f < b.f ? -1 : (a.f > b.f ? 1 : 0);
  else
    c = a.i < b.i ? -1 : (a.i > b.i ? 1 : 0);
  if (op == Op::Eq) return of_bool(c == 0);
  if (op == Op::Ne) return of_bool(c != 0);
  if (op == Op::Lt) return of_bool(c < 0);
  if (op == Op::Le) return of_bool(c <= 0);
  if (op == Op::Gt) return of_bool(c > 0);
  return op == Op::Ge ? of_bool(c >= 0) : missing();
}

// Kleene logic: false and unknown = false, true or unknown = true, not unknown = unknown.
inline Value and_(const Value& a, const Value& b) {
  const Truth x = truth(a), y = truth(b);
  if (x == Truth::False || y == Truth::False) return of_bool(false);
  if (x == Truth::True && y == Truth::True) return of_bool(true);
  return missing();
}
inline Value or_(const Value& a, const Value& b) {
  const Truth x = truth(a), y = truth(b);
  if (x == Truth::True || y == Truth::True) return of_bool(true);
  if (x == Truth::False && y == Truth::False) return of_bool(false);
  return missing();
}
inline Value not_(const Value& a) {
  const Truth x = truth(a);
  return x == Truth::Unknown ? missing() : of_bool(x == Truth::False);
}

// Two-valued tests: always present.
inline Value is_missing(const Value& a) {
  return of_bool(!a.present);
}
inline Value is_true(const Value& a) {
  return of_bool(truth(a) == Truth::True);
}
inline Value is_false(const Value& a) {
  return of_bool(truth(a) == Truth::False);
}

// Bit x of `mask` for an Int x in [0, 64), false outside it, missing when x is.
inline Value in_mask(const Value& x, uint64_t mask) {
  if (!x.present) return missing();
  return of_bool(x.i >= 0 && x.i < 64 && ((mask >> x.i) & 1));
}

// `then` when the condition is present and true, else `otherwise` (an unknown condition too).
inline const Value& if_(const Value& cond, const Value& then, const Value& otherwise) {
  return truth(cond) == Truth::True ? then : otherwise;
}
inline const Value& coalesce(const Value& a, const Value& b) {
  return a.present ? a : b;
}
// The index of the first of `n` values (arg(0) .. arg(n - 1)) that is present and true; missing
// when none is.
template <class Arg>
inline Value first_true(size_t n, const Arg& arg) {
  for (size_t k = 0; k < n; ++k)
    if (truth(arg(k)) == Truth::True) return of_int(static_cast<int64_t>(k));
  return missing();
}
// Of `n` values, arg(0) is an index i and the others are cases: the value of arg(1 + i);
// missing when i is missing or not in [0, n - 1).
template <class Arg>
inline Value switch_(size_t n, const Arg& arg) {
  const Value& i = arg(0);
  if (!i.present || i.i < 0 || i.i >= static_cast<int64_t>(n) - 1) return missing();
  return arg(static_cast<size_t>(i.i) + 1);
}

}  // namespace sem

// The value of node `n` of `program` for one row, given the values of the nodes before it
// (`values`, indexed by node id) and the row's leaves: `leaves.column(field)` (a Value, e.g. with
// sem::column_value), `leaves.atom(index)` and `leaves.as_of()` (days since 1970-01-01).
template <class Leaves>
inline Value eval_node(const Program& program, const Node& n, const Value* values,
                       const Leaves& leaves) {
  auto arg = [&](size_t k) -> const Value& { return values[n.args[k]]; };
  switch (n.op) {
    case Op::ConstBool:
      return sem::of_bool(n.imm != 0);
    case Op::ConstInt:
      return sem::of_int(n.imm);
    case Op::ConstFloat:
      return sem::of_float(n.fimm);
    case Op::Null:
      return sem::missing();
    case Op::AsOf:
      return sem::of_int(leaves.as_of());
    case Op::Column:
      return leaves.column(n.index);
    case Op::Atom:
      return leaves.atom(n.index);
    case Op::Add:
      return sem::add(n.ty, arg(0), arg(1));
    case Op::Sub:
      return sem::sub(n.ty, arg(0), arg(1));
    case Op::Mul:
      return sem::mul(n.ty, arg(0), arg(1));
    case Op::Div:
      return sem::div(n.ty, arg(0), arg(1));
    case Op::Neg:
      return sem::neg(n.ty, arg(0));
    case Op::IntToFloat:
      return sem::int_to_float(arg(0));
    case Op::Eq:
    case Op::Ne:
    case Op::Lt:
    case Op::Le:
    case Op::Gt:
    case Op::Ge:
      return sem::compare(n.op, program.nodes[n.args[0]].ty, arg(0), arg(1));
    case Op::And:
      return sem::and_(arg(0), arg(1));
    case Op::Or:
      return sem::or_(arg(0), arg(1));
    case Op::Not:
      return sem::not_(arg(0));
    case Op::IsMissing:
      return sem::is_missing(arg(0));
    case Op::IsTrue:
      return sem::is_true(arg(0));
    case Op::IsFalse:
      return sem::is_false(arg(0));
    case Op::InMask:
      return sem::in_mask(arg(0), n.mask);
    case Op::If:
      return sem::if_(arg(0), arg(1), arg(2));
    case Op::Coalesce:
      return sem::coalesce(arg(0), arg(1));
    case Op::FirstTrue:
      return sem::first_true(n.args.size(), arg);
    case Op::Switch:
      return sem::switch_(n.args.size(), arg);
  }
  return sem::missing();
}

// Every node's value for one row, in order, into `values` (resized to the program's nodes).
template <class Leaves>
inline void evaluate_nodes(const Program& program, const Leaves& leaves,
                           std::vector<Value>& values) {
  values.resize(program.nodes.size());
  for (size_t n = 0; n < program.nodes.size(); ++n)
    values[n] = eval_node(program, program.nodes[n], values.data(), leaves);
}

}  // namespace rk::ir
