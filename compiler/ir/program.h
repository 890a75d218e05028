// Rekindle IR: the checked, typed program that both executors run.
// A program is a DAG of primitive nodes in topological order (SSA: each node is computed once per
// row, so every `let` is computed once), a list of precomputed string/list/hash predicates
// ("atoms"), the int8 outputs the kernels write, the typed layout of what those outputs mean
// (layout.h), and the result columns of the output contract presented from it (columns.h).
//
// The operations are listed in compiler/ir/ops.h; what each computes on (value, present) pairs
// (missing values, Kleene logic, int64 overflow, NaN, dates) is defined once in
// compiler/ir/semantics.h, which the interpreter and the lint witness run.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "compiler/ir/layout.h"
#include "compiler/ir/ops.h"
#include "compiler/ir/schema.h"

namespace rk::ir {

// Physical kinds of node values.
enum class Ty : uint8_t {
  Bool,   // 0 or 1
  Int,    // int64: ints, days, dates (days since epoch), enum ordinals, label indices
  Float,  // double: number, money, percent
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
  Holdout,      // bucket(salt, key, modulus) < threshold (compiler/ir/bucket.h), key = field
};

struct Atom {
  AtomKind kind = AtomKind::StrInSet;
  uint32_t field = 0;
  std::vector<std::string> set;
  std::string salt;
  uint64_t modulus = 100;
  uint64_t threshold = 0;
};

// How an output column holds its values. A Code output is one int8 per row: the node's value
// (a Bool 0/1, an index, in [0, 127] by the checker's limits) or -1 when missing. A wide output is
// eight bytes per row: Int64 the node's int64 value, Float64 its double; a missing value is 0 in
// both, and whether it is present is a Code output of its own (the `present` output of a
// WideValue in the layout), so the kernels' stores stay plain.
enum class OutputWidth : uint8_t { Code, Int64, Float64 };
inline constexpr size_t output_bytes(OutputWidth w) {
  return w == OutputWidth::Code ? 1 : 8;
}

// One column written by the kernels, of the node's value.
struct Output {
  std::string name;  // for diagnostics and dumps
  uint32_t node = 0;
  OutputWidth width = OutputWidth::Code;  // Int64: an Int node; Float64: a Float node
};

// How a result column of the output contract is made from outputs.
enum class ResultKind : uint8_t {
  Key,         // the schema's key field, copied from the snapshot
  Enumerated,  // outputs[0] = v: texts[v], or empty when v == -1
  Joined,      // names texts[k] of every outputs[k] equal to 1, joined by ';' (empty when none)
  Number,      // outputs = {value (Int64 or Float64 output), present (Code: 1, or 0/-1 missing)}:
               // the number, or empty when not present
  Timestamp,   // outputs = {seconds since 1970-01-01T00:00:00Z (Int64), present (Code: 1, or
               // 0/-1 missing)}: `YYYY-MM-DDTHH:MM:SSZ`, or empty when not present
  FieldText,   // outputs = {present (Code: 1, or 0/-1 missing)}: the text of schema field `field`
               // of the row, or texts[0] when that is missing; empty when not present
};
// Number columns: Int (an Int64 output) or Number (a Float64 output).
enum class ValueType : uint8_t { Text, Bool, Int, Number };

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
  Variant,    // ... .result.variant (only a sequence with variants has the column)
  Channel,    // ... .result.channel
  Offer,      // ... .result.offer
  Score,      // Layout::scores[owner].value
  SendAt,     // ... .result.send_at (only a sequence whose channels have send times)
  Owner,      // Layout::owner (only with an `owner` declaration)
};

struct ResultColumn {
  std::string name;
  ResultKind kind = ResultKind::Enumerated;
  ValueType type = ValueType::Text;  // how JSON lines and Arrow type it
  std::vector<uint32_t> outputs;
  std::vector<std::string> texts;
  bool summarize = true;  // counted per value in the summary
  ColumnRole role = ColumnRole::Key;
  uint32_t owner = kNoIndex;  // Family: index into Layout::families; Score: Layout::scores;
                              // sequence roles: Layout::sequences
  int32_t field = -1;         // FieldText: the schema field shown
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

}  // namespace rk::ir
