// Rekindle compiler: the checker's types. Logical types carry units (days, money, percent) and
// references to the value sets of enums, segment families, channels and offers.
#pragma once

#include <cstdint>
#include <string>

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
           kind == TypeKind::Offer || kind == TypeKind::Status || kind == TypeKind::Step;
  }
};

}  // namespace rk::check
