// Rekindle IR: the checked, typed program that both executors run.
// A program is a DAG of primitive nodes in topological order (SSA: each node is computed once per
// row, so every `let` is computed once), a list of precomputed string/list/hash predicates
// ("atoms"), the int8 outputs the kernels write, the typed layout of what those outputs mean
// (layout.h), and the result columns of the output contract presented from it (columns.h).
//
// Semantics (the interpreter in runtime/interpreter.cpp is the executable definition):
// - Every value is (value, present). Bool is three-valued: false, true, or unknown (= not present).
// - Arithmetic and comparisons are missing when an operand is missing.
// - And/Or/Not follow Kleene logic (SQL): false and unknown = false, true or unknown = true.
// - IsMissing, IsTrue and IsFalse are two-valued (always present); InMask is three-valued.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "compiler/ir/layout.h"
#include "compiler/ir/schema.h"

namespace rk::ir {

// Physical kinds of node values.
enum class Ty : uint8_t {
  Bool,   // 0 or 1
  Int,    // int64: ints, days, dates (days since epoch), enum ordinals, label indices
  Float,  // double: number, money, percent
};

enum class Op : uint8_t {
  // Leaves.
  ConstBool,   // imm (0/1)
  ConstInt,    // imm
  ConstFloat,  // fimm
  Null,        // a missing value of type ty
  AsOf,        // Int: the evaluation's as-of date, days since 1970-01-01
  Column,  // index = schema field; Bool field -> Bool, Int/Date/Enum -> Int, Number/Money/Percent
           // -> Float. String and list fields are only read through atoms.
  Atom,    // Bool: index = Program::atoms entry
  // Arithmetic; operands and result of type ty. Missing if an operand is missing, if an Int
  // operation overflows int64, on division by zero, or when a Float result is NaN.
  Add,
  Sub,
  Mul,
  Div,  // Float only
  Neg,
  IntToFloat,  // args[0] Int -> Float
  // Comparisons: operands of one type (Int or Float), result Bool, missing if an operand is.
  Eq,
  Ne,
  Lt,
  Le,
  Gt,
  Ge,
  // Kleene logic on Bool.
  And,
  Or,
  Not,
  // Two-valued tests (result always present).
  IsMissing,  // args[0] of any type
  IsTrue,     // args[0] Bool: present and 1
  IsFalse,    // args[0] Bool: present and 0
  // Set membership of a small Int (enum ordinal, label index) in [0, 64): bit x of `mask`.
  // Three-valued: missing when args[0] is missing; false when x is outside [0, 64).
  InMask,
  // Selection.
  If,         // args: cond (Bool), then, else. IsTrue(cond) ? then : else (an unknown cond -> else)
  Coalesce,   // args[0] if present, else args[1]
  FirstTrue,  // Int: index of the first arg that is present and true; missing if none
  Switch,     // args[0] Int index i; value of args[1 + i]; missing if i is missing or out of range
};

struct Node {
  Op op = Op::Null;
  Ty ty = Ty::Int;
  uint32_t index = 0;          // Column: field index; Atom: atom index
  int64_t imm = 0;             // ConstBool / ConstInt
  double fimm = 0;             // ConstFloat
  uint64_t mask = 0;           // InMask
  std::vector<uint32_t> args;  // earlier node ids
};

enum class AtomKind : uint8_t {
  StrInSet,     // String field value is one of `set` (three-valued: missing when the value is)
  ListHasAny,   // StringList field holds any of `set`
  ListHasAll,   // ... all of `set`
  ListHasNone,  // ... none of `set`
  Holdout,      // fnv1a64(salt + ":" + key) % modulus < threshold, key = String field `field`
};

struct Atom {
  AtomKind kind = AtomKind::StrInSet;
  uint32_t field = 0;
  std::vector<std::string> set;
  std::string salt;
  uint64_t modulus = 100;
  uint64_t threshold = 0;
};

// One int8 column written by the kernels: node value, or -1 when missing.
// The node's value must lie in [-1, 127] (checker limits guarantee it).
struct Output {
  std::string name;  // for diagnostics and dumps
  uint32_t node = 0;
};

// How a result column of the output contract is made from outputs.
enum class ResultKind : uint8_t {
  Key,         // the schema's key field, copied from the snapshot
  Enumerated,  // outputs[0] = v: texts[v], or empty when v == -1
  Joined,      // names texts[k] of every outputs[k] equal to 1, joined by ';' (empty when none)
};
enum class ValueType : uint8_t { Text, Bool, Int };

// What a result column presents of the layout (owner: the family or sequence index).
enum class ColumnRole : uint8_t {
  Key,        // the schema's key field
  Candidate,  // Layout::candidate
  Family,     // Layout::families[owner]
  StoppedBy,  // Layout::stops
  Review,     // Layout::reviews
  Status,     // Layout::sequences[owner].result.status
  Touch,      // ... .result.touch, as a touch number
  Step,       // ... .result.touch, as a touch name
  Channel,    // ... .result.channel
  Offer,      // ... .result.offer
};

struct ResultColumn {
  std::string name;
  ResultKind kind = ResultKind::Enumerated;
  ValueType type = ValueType::Text;  // how JSON lines and Arrow type it
  std::vector<uint32_t> outputs;
  std::vector<std::string> texts;
  bool summarize = true;  // counted per value in the summary
  ColumnRole role = ColumnRole::Key;
  uint32_t owner = kNoIndex;  // Family: index into Layout::families; sequence roles: sequences
};

struct Program {
  Schema schema;
  std::vector<Node> nodes;
  std::vector<Atom> atoms;
  std::vector<Output> outputs;
  Layout layout;  // what the outputs mean
  // The output contract's columns: the presentation of `layout` (columns.h: result_columns),
  // set by lowering; writers and the summary read them.
  std::vector<ResultColumn> columns;
  // Facts for reproducibility (summary): resolved parameter values as written.
  std::map<std::string, std::string> params;
};

// A deterministic text form of the program (used for the object-cache key, `fmt` meaning tests
// and debugging). Two programs with equal dumps evaluate identically.
std::string dump(const Program& program);

// Which physical type a column node of this field type has.
Ty column_ty(FieldType t);

// The op's name in dumps and messages (const.i, add, first_true, ...).
std::string_view op_name(Op op);

}  // namespace rk::ir
