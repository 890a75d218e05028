// Rekindle IR: the checked customer schema (field names, logical types, nullability).
// Produced by the checker from a `.schema` file; read by the snapshot readers and writers.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace rk {

// Logical field types of the schema language.
enum class FieldType : uint8_t {
  Bool,        // physical: bit-packed bitmap (LSB first), like Arrow
  Int,         // physical: int64_t
  Number,      // physical: double
  Money,       // physical: double (currency units)
  Percent,     // physical: double (a fraction: 0.35 is 35%)
  Date,        // physical: int32_t days since 1970-01-01
  String,      // physical: dictionary codes (int32) or plain offsets + bytes
  Enum,        // physical: int32_t ordinal into FieldDef::enum_values
  StringList,  // physical: int32 offsets + int32 child codes into a dictionary
};

std::string_view field_type_name(FieldType t);

struct FieldDef {
  std::string name;
  FieldType type = FieldType::Int;
  bool nullable = false;
  bool key = false;                      // the customer key (at most one per schema)
  std::vector<std::string> enum_values;  // for FieldType::Enum, in declaration order
};

struct Schema {
  std::string name;
  std::vector<FieldDef> fields;
  int key_field = -1;  // index into fields, or -1

  // Index of the field called `name`, or -1.
  int find(std::string_view name) const {
    for (size_t i = 0; i < fields.size(); ++i)
      if (fields[i].name == name) return static_cast<int>(i);
    return -1;
  }
  // Ordinal of `value` in an enum field, or -1.
  static int enum_ordinal(const FieldDef& f, std::string_view value) {
    for (size_t i = 0; i < f.enum_values.size(); ++i)
      if (f.enum_values[i] == value) return static_cast<int>(i);
    return -1;
  }
};

}  // namespace rk
