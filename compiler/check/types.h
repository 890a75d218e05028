// Rekindle compiler: the checker's types. Logical types carry units (days, money, percent) and
// references to the value sets of enums, segment families, channels and offers. types.cpp holds
// their names, their physical IR types and the rules of arithmetic and comparison.
#pragma once

#include <cstdint>
#include <string>

#include "compiler/ir/program.h"
#include "grammar/ast.h"

namespace rk::check {

enum class TypeKind : uint8_t {
  Error,  // already reported; suppresses follow-up errors
  Bool,
  Int,     // whole number without unit
  Number,  // number without unit
  Money,
  Percent,
  Days,
  Date,
  String,
  StringList,
  Enum,     // ref = schema field index
  Label,    // ref = segment family index
  Channel,  // ref = sequence index
  Offer,    // ref = sequence index
  Status,   // ref = sequence index
  Step,     // ref = sequence index
  Variant,  // ref = sequence index (its touches' variant names)
};

struct Type {
  TypeKind kind = TypeKind::Error;
  int ref = -1;
  bool literal = false;  // an untyped numeric literal (may adopt a range's unit)

  bool operator==(const Type& o) const { return kind == o.kind && ref == o.ref; }
  bool is_error() const { return kind == TypeKind::Error; }
  bool is_plain_numeric() const { return kind == TypeKind::Int || kind == TypeKind::Number; }
  bool is_numeric() const {
    return is_plain_numeric() || kind == TypeKind::Money || kind == TypeKind::Percent ||
           kind == TypeKind::Days;
  }
  bool is_enumerated() const {
    return kind == TypeKind::Enum || kind == TypeKind::Label || kind == TypeKind::Channel ||
           kind == TypeKind::Offer || kind == TypeKind::Status || kind == TypeKind::Step ||
           kind == TypeKind::Variant;
  }
};

// "a whole number", "money", "a segment label", ... (for messages).
std::string type_name(const Type& t);
// The physical type of a value of type `t` in the IR.
ir::Ty phys(const Type& t);
// The logical type of schema field `f`.
Type field_type(const Schema& s, int f);
ir::OfferKind offer_kind(ast::OfferKind k);

}  // namespace rk::check
