// Rekindle runtime: value ranges checked on reading (see value_ranges.h).
#include "runtime/value_ranges.h"

#include <fmt/format.h>

#include <cmath>
#include <optional>
#include <utility>
#include <vector>

#include "base/date.h"
#include "compiler/ir/helpers.h"
#include "runtime/send_time.h"
#include "runtime/value_text.h"

namespace rk {

std::string outside_range_message(const FieldDef& f, std::string_view shown) {
  return fmt::format("{} is outside the range of the schema ({})", shown, range_text(f));
}

std::string unknown_zone_message(std::string_view name, std::string_view shown) {
  const ZoneTable& zones = ZoneTable::system();
  if (zones.size() == 0)
    return fmt::format("{} cannot be checked as a time zone: {}", shown, zones.error());
  std::string m =
      fmt::format("{} is not a time zone of the system's database ({})", shown, zones.directory());
  if (auto near = zones.suggest(name)) m += fmt::format("; did you mean \"{}\"?", *near);
  return m;
}

bool is_known_zone(std::string_view name) {
  return ZoneTable::system().find(name) != kNoZone;
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

// The zone checks of one time-zone column of a batch: for a dictionary column, each entry looked
// up once.
struct ZoneColumn {
  const RkColumn* c = nullptr;
  std::vector<uint8_t> entry_bad;  // RK_STR_DICT: per dictionary entry

  explicit ZoneColumn(const RkColumn& col) : c(&col) {
    if (col.encoding != RK_STR_DICT || col.dict == nullptr) return;
    const auto& d = *static_cast<const StringDict*>(col.dict);
    entry_bad.resize(d.entries.size());
    for (size_t i = 0; i < d.entries.size(); ++i)
      entry_bad[i] = is_known_zone(d.entries[i]) ? 0 : 1;
  }
  // The present value of row r when it names no zone.
  std::optional<std::string_view> bad(int64_t r) const {
    if (c->validity && !bit_is_set(c->validity, r)) return std::nullopt;
    if (!entry_bad.empty()) {
      const int32_t code = static_cast<const int32_t*>(c->values)[r];
      if (code < 0 || !entry_bad[static_cast<size_t>(code)]) return std::nullopt;
    }
    std::optional<std::string_view> v = column_string_at(*c, r);
    if (!v || (entry_bad.empty() && is_known_zone(*v))) return std::nullopt;
    return v;
  }
};

}  // namespace

int64_t check_ranges(const Schema& schema, const Batch& batch, bool all,
                     const std::function<void(int64_t, size_t, std::string)>& report) {
  std::vector<size_t> ranged;
  std::vector<std::pair<size_t, ZoneColumn>> zoned;
  for (size_t f = 0; f < schema.fields.size(); ++f) {
    if (schema.fields[f].has_range()) ranged.push_back(f);
    if (schema.fields[f].time_zone && schema.fields[f].type == FieldType::String)
      zoned.emplace_back(f, ZoneColumn(batch.columns[f]));
  }
  if (ranged.empty() && zoned.empty()) return 0;
  // A first pass per column finds whether any value is out (a loop the compiler vectorises for
  // the common case of a clean batch); only then are rows visited in order.
  bool any = false;
  for (size_t f : ranged)
    for (int64_t r = 0; r < batch.num_rows && !any; ++r)
      any = outside(schema.fields[f], batch.columns[f], r);
  for (const auto& z : zoned)
    for (int64_t r = 0; r < batch.num_rows && !any; ++r) any = z.second.bad(r).has_value();
  if (!any) return 0;
  int64_t reported = 0;
  for (int64_t r = 0; r < batch.num_rows; ++r) {
    // The first bad field of the row in schema order.
    size_t bad_field = schema.fields.size();
    std::string message;
    for (size_t f : ranged) {
      const FieldDef& def = schema.fields[f];
      if (!outside(def, batch.columns[f], r)) continue;
      bad_field = f;
      message = outside_range_message(def, value_shown(def, batch.columns[f], r));
      break;
    }
    for (const auto& z : zoned) {
      if (z.first >= bad_field) break;
      if (auto v = z.second.bad(r)) {
        bad_field = z.first;
        message = unknown_zone_message(*v, fmt::format("\"{}\"", *v));
        break;
      }
    }
    if (bad_field < schema.fields.size()) {
      report(r, bad_field, std::move(message));
      ++reported;
      if (!all) return reported;
    }
  }
  return reported;
}

}  // namespace rk
