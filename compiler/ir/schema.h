// Rekindle IR: the checked customer schema (field names, logical types, nullability).
// Produced by the checker from a `.schema` file; read by the snapshot readers and writers.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
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
struct FieldDef;
// The field's type as the schema writes it, `time_zone` for a zone field (`enum` and `string`
// without their values).
std::string_view field_type_name(const FieldDef& f);

// One end of a field's value range (`field nps: int 0 to 10`, `field mrr: money >= $0`).
struct RangeEnd {
  int64_t ivalue = 0;     // int and date fields (a date as days since 1970-01-01)
  double value = 0;       // number, money and percent fields (a percent as a fraction)
  bool inclusive = true;  // `0 to 10`, `>=`, `<=`; false for `>` and `<`
  std::string text;       // the bound as the schema writes it: `0`, `$0`, `30%`, `2020-01-01`
};

struct FieldDef {
  std::string name;
  FieldType type = FieldType::Int;
  bool nullable = false;
  bool key = false;                      // the customer key (at most one per schema)
  std::vector<std::string> enum_values;  // for FieldType::Enum, in declaration order
  // The values the field may hold (int, number, money, percent and date fields): a present
  // value outside them is a data error on reading. Either end may be absent.
  std::optional<RangeEnd> min, max;
  // `time_zone` fields: a String field whose every present value must be a zone of the system's
  // time-zone database (ZoneTable::system(), runtime/send_time.h); an unknown name is a data
  // error on reading, like a value outside a range.
  bool time_zone = false;

  FieldDef() = default;
  FieldDef(std::string field_name, FieldType field_type, bool is_nullable, bool is_key,
           std::vector<std::string> values = {})
      : name(std::move(field_name)),
        type(field_type),
        nullable(is_nullable),
        key(is_key),
        enum_values(std::move(values)) {}

  bool has_range() const { return min.has_value() || max.has_value(); }
  // Whether a reader checks this field's present values beyond their type: a range or zones.
  bool checked_on_read() const { return has_range() || time_zone; }
  // Whether a present value lies in the range (always, without one): `v` of an int or date
  // field, `d` of a number, money or percent field (NaN is a missing value, never asked).
  bool in_range(int64_t v) const {
    return (!min || (min->inclusive ? v >= min->ivalue : v > min->ivalue)) &&
           (!max || (max->inclusive ? v <= max->ivalue : v < max->ivalue));
  }
  bool in_range(double d) const {
    return (!min || (min->inclusive ? d >= min->value : d > min->value)) &&
           (!max || (max->inclusive ? d <= max->value : d < max->value));
  }
};

// The range as the schema writes it: "0 to 10", ">= 0", "> $0", "< 100%", ">= 2020-01-01";
// "" without one.
std::string range_text(const FieldDef& f);

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
