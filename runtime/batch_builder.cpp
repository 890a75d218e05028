// Rekindle runtime: the batch builder (see batch_builder.h). Lays typed values out in the
// columnar ABI (bit-packed bools and validity, int64/double/int32 values, dictionary-encoded
// strings and lists) exactly as the snapshot readers do.
#include "runtime/batch_builder.h"

#include <fmt/format.h>

#include <charconv>
#include <cmath>
#include <map>
#include <memory>

#include "base/date.h"
#include "runtime/value_hints.h"
#include "runtime/value_ranges.h"
#include "runtime/value_text.h"

namespace rk {

FieldValue FieldValue::of_bool(bool v) {
  FieldValue x;
  x.kind = Kind::Bool;
  x.b = v;
  return x;
}
FieldValue FieldValue::of_int(int64_t v) {
  FieldValue x;
  x.kind = Kind::Int;
  x.i = v;
  return x;
}
FieldValue FieldValue::of_float(double v) {
  FieldValue x;
  x.kind = Kind::Float;
  x.f = v;
  return x;
}
FieldValue FieldValue::of_date(int32_t days) {
  FieldValue x;
  x.kind = Kind::Date;
  x.date = days;
  return x;
}
FieldValue FieldValue::of_text(std::string v) {
  FieldValue x;
  x.kind = Kind::Text;
  x.text = std::move(v);
  return x;
}
FieldValue FieldValue::of_list(std::vector<std::string> v) {
  FieldValue x;
  x.kind = Kind::List;
  x.list = std::move(v);
  return x;
}

namespace {

const char* kind_name(FieldValue::Kind k) {
  switch (k) {
    case FieldValue::Kind::Missing:
      return "missing";
    case FieldValue::Kind::Bool:
      return "a bool";
    case FieldValue::Kind::Int:
      return "a whole number";
    case FieldValue::Kind::Float:
      return "a number with a fraction";
    case FieldValue::Kind::Date:
      return "a date";
    case FieldValue::Kind::Text:
      return "a text";
    case FieldValue::Kind::List:
      return "a list";
  }
  return "?";
}

const char* type_phrase(const FieldDef& f) {
  switch (f.type) {
    case FieldType::Bool:
      return "a bool";
    case FieldType::Int:
      return "an int";
    case FieldType::Number:
      return "a number";
    case FieldType::Money:
      return "money";
    case FieldType::Percent:
      return "a percent";
    case FieldType::Date:
      return "a date";
    case FieldType::String:
      return "a string";
    case FieldType::Enum:
      return "an enum";
    case FieldType::StringList:
      return "a list of strings";
  }
  return "?";
}

std::string enum_values(const FieldDef& f) {
  std::string s;
  for (size_t i = 0; i < f.enum_values.size(); ++i) s += (i ? ", " : "") + f.enum_values[i];
  return s;
}

template <typename T>
T* new_buffer(Batch& b, size_t n) {
  auto buf = std::shared_ptr<T[]>(new T[std::max<size_t>(n, 1)]());
  T* p = buf.get();
  b.owned.push_back(std::shared_ptr<void>(buf, p));
  return p;
}

void set_bit(uint8_t* bits, size_t i) {
  bits[i >> 3] = static_cast<uint8_t>(bits[i >> 3] | (1u << (i & 7)));
}

// Interns strings into one dictionary per column.
class DictBuilder {
 public:
  int32_t intern(const std::string& s) {
    auto [it, added] = index_.emplace(s, static_cast<int32_t>(order_.size()));
    if (added) order_.push_back(s);
    return it->second;
  }
  std::shared_ptr<StringDict> finish() {
    auto d = std::make_shared<StringDict>();
    for (const auto& s : order_) {
      auto buf = std::make_unique<char[]>(std::max<size_t>(s.size(), 1));
      std::copy(s.begin(), s.end(), buf.get());
      d->entries.emplace_back(buf.get(), s.size());
      d->arena.push_back(std::move(buf));
    }
    return d;
  }

 private:
  std::map<std::string, int32_t> index_;
  std::vector<std::string> order_;
};

}  // namespace

std::string field_value_error(const FieldDef& f, const FieldValue& v) {
  using K = FieldValue::Kind;
  if (v.kind == K::Missing) {
    if (f.nullable) return "";
    return fmt::format("field `{}` cannot be missing (it is not nullable)", f.name);
  }
  bool ok = false;
  switch (f.type) {
    case FieldType::Bool:
      ok = v.kind == K::Bool;
      break;
    case FieldType::Int:
      ok = v.kind == K::Int;
      break;
    case FieldType::Number:
    case FieldType::Money:
    case FieldType::Percent:
      ok = v.kind == K::Int || v.kind == K::Float;
      if (v.kind == K::Float && std::isnan(v.f))
        return fmt::format("field `{}`: NaN is not a value (use a missing value)", f.name);
      break;
    case FieldType::Date:
      ok = v.kind == K::Date;
      break;
    case FieldType::String:
      ok = v.kind == K::Text;
      break;
    case FieldType::Enum:
      if (v.kind == K::Text) {
        if (Schema::enum_ordinal(f, v.text) < 0)
          return fmt::format("`{}` is not a value of field `{}` (one of {})", v.text, f.name,
                             enum_values(f));
        return "";
      }
      break;
    case FieldType::StringList:
      ok = v.kind == K::List;
      break;
  }
  if (!ok)
    return fmt::format("field `{}` is {}, but the value is {}", f.name, type_phrase(f),
                       kind_name(v.kind));
  if (f.time_zone && v.kind == K::Text && !is_known_zone(v.text))
    return fmt::format("field `{}`: {}", f.name,
                       unknown_zone_message(v.text, fmt::format("\"{}\"", v.text)));
  if (!f.has_range()) return "";
  // Within the field's range (runtime/value_ranges.h), shown as a snapshot shows the value.
  std::string shown;
  bool in = true;
  switch (f.type) {
    case FieldType::Int:
      in = f.in_range(v.i);
      append_int_text(shown, v.i);
      break;
    case FieldType::Number:
    case FieldType::Money:
    case FieldType::Percent: {
      const double d = v.kind == K::Int ? static_cast<double>(v.i) : v.f;
      in = f.in_range(d);
      if (f.type == FieldType::Money)
        append_money_text(shown, d);
      else
        append_number_text(shown, d);
      break;
    }
    case FieldType::Date:
      in = f.in_range(int64_t{v.date});
      append_iso_date_expanded(shown, v.date);
      break;
    case FieldType::Bool:
    case FieldType::String:
    case FieldType::Enum:
    case FieldType::StringList:
      break;
  }
  return in ? "" : fmt::format("field `{}`: {}", f.name, outside_range_message(f, shown));
}

std::optional<FieldValue> parse_field_text(const FieldDef& f, std::string_view text,
                                           std::string& error) {
  if (text.empty()) {
    if (f.type == FieldType::StringList) return FieldValue::of_list({});
    if (!f.nullable) {
      error = fmt::format("field `{}` cannot be missing (it is not nullable)", f.name);
      return std::nullopt;
    }
    return FieldValue::missing();
  }
  auto bad = [&](std::string_view what) -> std::optional<FieldValue> {
    error = fmt::format("field `{}`: `{}` is not {}", f.name, text, what);
    return std::nullopt;
  };
  switch (f.type) {
    case FieldType::Bool:
      if (text == "true") return FieldValue::of_bool(true);
      if (text == "false") return FieldValue::of_bool(false);
      return bad("a bool (write true or false)");
    case FieldType::Int: {
      int64_t v = 0;
      auto r = std::from_chars(text.data(), text.data() + text.size(), v);
      if (r.ec != std::errc() || r.ptr != text.data() + text.size()) return bad("an int");
      return FieldValue::of_int(v);
    }
    case FieldType::Number:
    case FieldType::Money:
    case FieldType::Percent: {
      double v = 0;
      auto r =
          std::from_chars(text.data(), text.data() + text.size(), v, std::chars_format::general);
      if (r.ec != std::errc() || r.ptr != text.data() + text.size() || std::isnan(v) ||
          std::isinf(v))
        return bad("a number");
      return FieldValue::of_float(v);
    }
    case FieldType::Date: {
      int32_t d = 0;
      if (!parse_iso_date(text, d)) return bad(date_expectation(text));
      return FieldValue::of_date(d);
    }
    case FieldType::String:
      return FieldValue::of_text(std::string(text));
    case FieldType::Enum: {
      FieldValue v = FieldValue::of_text(std::string(text));
      if (Schema::enum_ordinal(f, text) < 0) {
        error = field_value_error(f, v);
        return std::nullopt;
      }
      return v;
    }
    case FieldType::StringList: {
      std::vector<std::string> items;
      size_t start = 0;
      for (;;) {
        const size_t bar = text.find('|', start);
        const std::string_view item = text.substr(
            start, bar == std::string_view::npos ? std::string_view::npos : bar - start);
        if (item.empty()) return bad("a list (elements are joined with |, none may be empty)");
        items.emplace_back(item);
        if (bar == std::string_view::npos) break;
        start = bar + 1;
      }
      return FieldValue::of_list(std::move(items));
    }
  }
  return bad("a value");
}

std::optional<FieldValue> field_value_from_literal(const FieldDef& f, const testfile::Value& v,
                                                   int32_t as_of, std::string& error) {
  using testfile::ValueKind;
  auto fail = [&](std::string message) -> std::optional<FieldValue> {
    error = std::move(message);
    return std::nullopt;
  };
  auto check = [&](FieldValue x) -> std::optional<FieldValue> {
    if (std::string e = field_value_error(f, x); !e.empty()) return fail(std::move(e));
    return x;
  };
  if (v.kind == ValueKind::Missing) return check(FieldValue::missing());
  switch (f.type) {
    case FieldType::Bool:
      if (v.kind == ValueKind::Bool) return FieldValue::of_bool(v.b);
      return fail(fmt::format("field `{}` is a bool: write true or false", f.name));
    case FieldType::Int:
      if (v.kind == ValueKind::Number && v.unit == ast::Unit::None && v.is_int)
        return FieldValue::of_int(v.inumber);
      return fail(
          fmt::format("field `{}` is an int: write a whole number without unit, e.g. 3", f.name));
    case FieldType::Number:
      if (v.kind == ValueKind::Number && v.unit == ast::Unit::None)
        return FieldValue::of_float(v.number);
      return fail(fmt::format("field `{}` is a number: write it without unit, e.g. 2.5", f.name));
    case FieldType::Money:
      if (v.kind == ValueKind::Number && v.unit == ast::Unit::Money)
        return FieldValue::of_float(v.number);
      return fail(fmt::format("field `{}` is money: write it with `$`, e.g. $250", f.name));
    case FieldType::Percent:
      if (v.kind == ValueKind::Number && v.unit == ast::Unit::Percent)
        return FieldValue::of_float(v.number);
      return fail(fmt::format("field `{}` is a percent: write it with `%`, e.g. 5%", f.name));
    case FieldType::Date:
      if (v.kind == ValueKind::Date) {
        const int64_t d = v.relative ? int64_t{as_of} + v.offset_days : v.date;
        if (d < INT32_MIN || d > INT32_MAX) return fail("the date is out of range");
        return FieldValue::of_date(static_cast<int32_t>(d));
      }
      return fail(fmt::format(
          "field `{}` is a date: write YYYY-MM-DD or `today - N days`, e.g. 2026-11-01", f.name));
    case FieldType::String:
      if (v.kind == ValueKind::String || v.kind == ValueKind::Word)
        return FieldValue::of_text(v.word);
      return fail(
          fmt::format("field `{}` is a string: write it in quotes, e.g. \"c-001\"", f.name));
    case FieldType::Enum:
      if (v.kind == ValueKind::String || v.kind == ValueKind::Word)
        return check(FieldValue::of_text(v.word));
      return fail(
          fmt::format("field `{}` is one of {}: write one of these words", f.name, enum_values(f)));
    case FieldType::StringList:
      if (v.kind == ValueKind::List) {
        std::vector<std::string> items;
        for (const auto& it : v.items) items.push_back(it.word);
        return FieldValue::of_list(std::move(items));
      }
      return fail(fmt::format(
          "field `{}` is a list of strings: write e.g. {{apparel, home}} or {{}}", f.name));
  }
  return fail("unsupported field type");
}

BatchBuilder::BatchBuilder(Schema schema) : schema_(std::move(schema)) {}

size_t BatchBuilder::add_row() {
  rows_.emplace_back(schema_.fields.size());
  return rows_.size() - 1;
}

bool BatchBuilder::set(size_t row, size_t field, FieldValue value, std::string& error) {
  if (row >= rows_.size()) {
    error = fmt::format("row {} does not exist (the builder has {} rows)", row + 1, rows_.size());
    return false;
  }
  if (field >= schema_.fields.size()) {
    error = fmt::format("field #{} does not exist (the schema has {} fields)", field,
                        schema_.fields.size());
    return false;
  }
  const FieldDef& f = schema_.fields[field];
  if (std::string e = field_value_error(f, value); !e.empty()) {
    error = std::move(e);
    return false;
  }
  if (value.kind == FieldValue::Kind::Int && f.type != FieldType::Int)
    value = FieldValue::of_float(static_cast<double>(value.i));
  rows_[row][field] = std::move(value);
  return true;
}

bool BatchBuilder::set(size_t row, std::string_view field, FieldValue value, std::string& error) {
  const int idx = schema_.find(field);
  if (idx < 0) {
    error = fmt::format("the schema `{}` has no field `{}`", schema_.name, field);
    return false;
  }
  return set(row, static_cast<size_t>(idx), std::move(value), error);
}

bool BatchBuilder::set_text(size_t row, std::string_view field, std::string_view text,
                            std::string& error) {
  const int idx = schema_.find(field);
  if (idx < 0) {
    error = fmt::format("the schema `{}` has no field `{}`", schema_.name, field);
    return false;
  }
  auto v = parse_field_text(schema_.fields[idx], text, error);
  if (!v) return false;
  return set(row, static_cast<size_t>(idx), std::move(*v), error);
}

const FieldValue* BatchBuilder::get(size_t row, size_t field) const {
  if (row >= rows_.size() || field >= schema_.fields.size() || !rows_[row][field]) return nullptr;
  return &*rows_[row][field];
}

std::optional<Batch> BatchBuilder::build(std::string& error) const {
  const size_t n = rows_.size();
  const size_t nf = schema_.fields.size();
  for (size_t r = 0; r < n; ++r)
    for (size_t f = 0; f < nf; ++f)
      if (!rows_[r][f] && !schema_.fields[f].nullable) {
        error = fmt::format("row {}: field `{}` has no value", r + 1, schema_.fields[f].name);
        return std::nullopt;
      }

  Batch b;
  b.num_rows = static_cast<int64_t>(n);
  b.first_row = 0;
  b.columns.assign(nf, RkColumn{nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, 0, 0});
  b.dicts.assign(nf, nullptr);
  using K = FieldValue::Kind;
  for (size_t f = 0; f < nf; ++f) {
    const FieldDef& fd = schema_.fields[f];
    RkColumn& col = b.columns[f];
    auto value = [&](size_t r) -> const FieldValue* {
      const auto& v = rows_[r][f];
      return v && v->kind != K::Missing ? &*v : nullptr;
    };
    bool any_missing = false;
    uint8_t* validity = new_buffer<uint8_t>(b, (n + 7) / 8);
    for (size_t r = 0; r < n; ++r) {
      if (value(r))
        set_bit(validity, r);
      else
        any_missing = true;
    }
    col.validity = any_missing ? validity : nullptr;
    switch (fd.type) {
      case FieldType::Bool: {
        uint8_t* bits = new_buffer<uint8_t>(b, (n + 7) / 8);
        for (size_t r = 0; r < n; ++r)
          if (value(r) && value(r)->b) set_bit(bits, r);
        col.values = bits;
        break;
      }
      case FieldType::Int: {
        int64_t* v = new_buffer<int64_t>(b, n);
        for (size_t r = 0; r < n; ++r) v[r] = value(r) ? value(r)->i : 0;
        col.values = v;
        break;
      }
      case FieldType::Number:
      case FieldType::Money:
      case FieldType::Percent: {
        double* v = new_buffer<double>(b, n);
        for (size_t r = 0; r < n; ++r) v[r] = value(r) ? value(r)->f : 0;
        col.values = v;
        break;
      }
      case FieldType::Date: {
        int32_t* v = new_buffer<int32_t>(b, n);
        for (size_t r = 0; r < n; ++r) v[r] = value(r) ? value(r)->date : 0;
        col.values = v;
        break;
      }
      case FieldType::Enum: {
        int32_t* v = new_buffer<int32_t>(b, n);
        for (size_t r = 0; r < n; ++r)
          v[r] = value(r) ? Schema::enum_ordinal(fd, value(r)->text) : 0;
        col.values = v;
        break;
      }
      case FieldType::String:
      case FieldType::StringList: {
        DictBuilder dict;
        if (fd.type == FieldType::String) {
          int32_t* codes = new_buffer<int32_t>(b, n);
          for (size_t r = 0; r < n; ++r) codes[r] = value(r) ? dict.intern(value(r)->text) : 0;
          col.values = codes;
        } else {
          int32_t* offsets = new_buffer<int32_t>(b, n + 1);
          std::vector<int32_t> children;
          for (size_t r = 0; r < n; ++r) {
            offsets[r] = static_cast<int32_t>(children.size());
            if (value(r))
              for (const auto& s : value(r)->list) children.push_back(dict.intern(s));
          }
          offsets[n] = static_cast<int32_t>(children.size());
          int32_t* child = new_buffer<int32_t>(b, children.size());
          std::copy(children.begin(), children.end(), child);
          col.offsets = offsets;
          col.child_codes = child;
        }
        auto d = dict.finish();
        col.dict = d.get();
        col.encoding = RK_STR_DICT;
        b.dicts[f] = d;
        b.owned.push_back(d);
        break;
      }
    }
  }
  return b;
}

}  // namespace rk
