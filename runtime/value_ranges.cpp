// Rekindle runtime: value ranges checked on reading (see value_ranges.h).
#include "runtime/value_ranges.h"

#include <fmt/format.h>

#include <cmath>
#include <vector>

#include "base/date.h"
#include "compiler/ir/helpers.h"
#include "runtime/value_text.h"

namespace rk {

std::string outside_range_message(const FieldDef& f, std::string_view shown) {
  return fmt::format("{} is outside the range of the schema ({})", shown, range_text(f));
}

std::string value_shown(const FieldDef& f, const RkColumn& c, int64_t r) {
  std::string out;
  switch (f.type) {
    case FieldType::Int:
      append_int_text(out, static_cast<const int64_t*>(c.values)[r]);
      break;
    case FieldType::Number:
    case FieldType::Percent:
      append_number_text(out, static_cast<const double*>(c.values)[r]);
      break;
    case FieldType::Money:
      append_money_text(out, static_cast<const double*>(c.values)[r]);
      break;
    case FieldType::Date:
      append_iso_date_expanded(out, static_cast<const int32_t*>(c.values)[r]);
      break;
    case FieldType::Bool:
    case FieldType::String:
    case FieldType::Enum:
    case FieldType::StringList:
      break;
  }
  return out;
}

namespace {

// Whether row r of column c (field f) is present and outside f's range.
bool outside(const FieldDef& f, const RkColumn& c, int64_t r) {
  if (c.validity && !bit_is_set(c.validity, r)) return false;
  switch (f.type) {
    case FieldType::Int:
      return !f.in_range(static_cast<const int64_t*>(c.values)[r]);
    case FieldType::Number:
    case FieldType::Money:
    case FieldType::Percent: {
      const double v = static_cast<const double*>(c.values)[r];
      return !std::isnan(v) && !f.in_range(v);
    }
    case FieldType::Date:
      return !f.in_range(int64_t{static_cast<const int32_t*>(c.values)[r]});
    case FieldType::Bool:
    case FieldType::String:
    case FieldType::Enum:
    case FieldType::StringList:
      return false;
  }
  return false;
}

}  // namespace

int64_t check_ranges(const Schema& schema, const Batch& batch, bool all,
                     const std::function<void(int64_t, size_t, std::string)>& report) {
  std::vector<size_t> ranged;
  for (size_t f = 0; f < schema.fields.size(); ++f)
    if (schema.fields[f].has_range()) ranged.push_back(f);
  if (ranged.empty()) return 0;
  // A first pass per column finds whether any value is out (a loop the compiler vectorises for
  // the common case of a clean batch); only then are rows visited in order.
  bool any = false;
  for (size_t f : ranged)
    for (int64_t r = 0; r < batch.num_rows && !any; ++r)
      any = outside(schema.fields[f], batch.columns[f], r);
  if (!any) return 0;
  int64_t reported = 0;
  for (int64_t r = 0; r < batch.num_rows; ++r)
    for (size_t f : ranged) {
      const FieldDef& def = schema.fields[f];
      if (!outside(def, batch.columns[f], r)) continue;
      report(r, f, outside_range_message(def, value_shown(def, batch.columns[f], r)));
      ++reported;
      if (!all) return reported;
      break;  // the first bad field of the row
    }
  return reported;
}

}  // namespace rk
