// Rekindle runtime: the template renderer (see template_render.h). Binding resolves names once;
// rendering is a walk over the parts that appends literal text and values straight into the
// caller's buffer (no temporary strings per row).
#include "runtime/template_render.h"

#include <fmt/format.h>

#include <cmath>

#include "base/date.h"
#include "compiler/ir/helpers.h"
#include "runtime/value_text.h"

namespace rk {

TemplateValue TemplateValue::field(const Schema& schema, uint32_t field) {
  TemplateValue v;
  v.source = Source::Field;
  v.index = field;
  const FieldDef& fd = schema.fields[field];
  v.type = fd.type;
  if (fd.type == FieldType::Enum) v.texts = fd.enum_values;
  return v;
}

TemplateValue TemplateValue::coded(uint32_t output, std::vector<std::string> texts) {
  TemplateValue v;
  v.source = Source::Coded;
  v.index = output;
  v.texts = std::move(texts);
  return v;
}

TemplateValue TemplateValue::column(uint32_t column, FieldType type,
                                    std::vector<std::string> enum_values) {
  TemplateValue v;
  v.source = Source::Column;
  v.index = column;
  v.type = type;
  v.texts = std::move(enum_values);
  return v;
}

TemplateValue TemplateValue::wide(uint32_t output, uint32_t present, FieldType type) {
  TemplateValue v;
  v.source = Source::Wide;
  v.index = output;
  v.present = present;
  v.type = type;
  return v;
}

namespace {

// A number (NaN: missing), or money as `$84.50`.
ValueRead append_decimal(double d, bool money, std::string& out) {
  if (std::isnan(d)) return ValueRead::Missing;
  if (money) {
    out.push_back('$');
    append_money_text(out, d);
  } else {
    append_number_text(out, d);
  }
  return ValueRead::Present;
}

// A wide kernel output's value (Int, Date: int64; Number, Money: double), when present.
ValueRead append_wide(const TemplateValue& v, const TemplateInputs& in, int64_t r,
                      std::string& out) {
  if (in.outputs[v.present][r] != 1) return ValueRead::Missing;
  const int8_t* values = in.outputs[v.index];
  switch (v.type) {
    case FieldType::Int:
      append_int_text(out, static_cast<const int64_t*>(static_cast<const void*>(values))[r]);
      return ValueRead::Present;
    case FieldType::Date:
      append_iso_date_expanded(out,
                               static_cast<const int64_t*>(static_cast<const void*>(values))[r]);
      return ValueRead::Present;
    case FieldType::Number:
    case FieldType::Money:
      return append_decimal(static_cast<const double*>(static_cast<const void*>(values))[r],
                            v.type == FieldType::Money, out);
    case FieldType::Bool:
    case FieldType::Percent:
    case FieldType::Enum:
    case FieldType::String:
    case FieldType::StringList:
      break;  // never wide (the layout's validator checks it)
  }
  return ValueRead::Missing;
}

ValueRead append_typed(const TemplateValue& v, const RkColumn& col, int64_t r, std::string& out) {
  if (!is_present(col.validity, r)) return ValueRead::Missing;
  switch (v.type) {
    case FieldType::Bool:
      out += bool_text(bit_is_set(static_cast<const uint8_t*>(col.values), r));
      return ValueRead::Present;
    case FieldType::Int:
      append_int_text(out, static_cast<const int64_t*>(col.values)[r]);
      return ValueRead::Present;
    case FieldType::Number:
    case FieldType::Percent:
    case FieldType::Money:
      return append_decimal(static_cast<const double*>(col.values)[r], v.type == FieldType::Money,
                            out);
    case FieldType::Date:
      append_iso_date_expanded(out, static_cast<const int32_t*>(col.values)[r]);
      return ValueRead::Present;
    case FieldType::Enum: {
      const int32_t o = static_cast<const int32_t*>(col.values)[r];
      if (o < 0 || static_cast<size_t>(o) >= v.texts.size()) return ValueRead::Missing;
      const std::string& t = v.texts[static_cast<size_t>(o)];
      out += t;
      return t.empty() ? ValueRead::Empty : ValueRead::Present;
    }
    case FieldType::String: {
      const auto s = column_string_at(col, r);
      if (!s) return ValueRead::Missing;
      if (s->empty()) return ValueRead::Empty;
      out += *s;
      return ValueRead::Present;
    }
    case FieldType::StringList: {
      const auto* off = static_cast<const int32_t*>(col.offsets);
      const auto* dict = static_cast<const StringDict*>(col.dict);
      if (off[r] == off[r + 1]) return ValueRead::Empty;
      for (int32_t i = off[r]; i < off[r + 1]; ++i) {
        if (i > off[r]) out += ", ";
        out += dict->entries[static_cast<size_t>(col.child_codes[i])];
      }
      return ValueRead::Present;
    }
  }
  return ValueRead::Missing;
}

}  // namespace

ValueRead append_template_value(const TemplateValue& v, const TemplateInputs& in, int64_t row,
                                std::string& out) {
  switch (v.source) {
    case TemplateValue::Source::Field:
      return append_typed(v, in.batch->columns[v.index], row, out);
    case TemplateValue::Source::Column:
      return append_typed(v, in.columns[v.index], row, out);
    case TemplateValue::Source::Wide:
      return append_wide(v, in, row, out);
    case TemplateValue::Source::Coded: {
      const int8_t code = in.outputs[v.index][row];
      if (code < 0 || static_cast<size_t>(code) >= v.texts.size()) return ValueRead::Missing;
      const std::string& t = v.texts[static_cast<size_t>(code)];
      out += t;
      return t.empty() ? ValueRead::Empty : ValueRead::Present;
    }
  }
  return ValueRead::Missing;
}

bool TemplateRenderer::bind(const ir::MessageTemplate& tmpl, const TemplateLookup& lookup,
                            std::string& error) {
  parts_.clear();
  values_.clear();
  std::vector<std::string> names;  // of values_
  for (const ir::TemplatePart& p : tmpl.parts) {
    Part part;
    if (p.kind == ir::TemplatePart::Kind::Text) {
      part.text = p.text;
      parts_.push_back(std::move(part));
      continue;
    }
    part.placeholder = true;
    part.has_fallback = p.has_fallback;
    part.text = p.fallback;
    size_t k = 0;
    while (k < names.size() && names[k] != p.text) ++k;
    if (k == names.size()) {
      std::optional<TemplateValue> v = lookup(p.text);
      if (!v) {
        error =
            fmt::format("the template uses `{{{}}}`, but nothing is called `{}`", p.text, p.text);
        parts_.clear();
        values_.clear();
        return false;
      }
      names.push_back(p.text);
      values_.push_back(std::move(*v));
    }
    part.value = static_cast<uint32_t>(k);
    parts_.push_back(std::move(part));
  }
  return true;
}

bool TemplateRenderer::render(const TemplateInputs& in, int64_t row, std::string& out) const {
  bool complete = true;
  for (const Part& p : parts_) {
    if (!p.placeholder) {
      out += p.text;
      continue;
    }
    const ValueRead read = append_template_value(values_[p.value], in, row, out);
    if (read == ValueRead::Present) continue;
    if (p.has_fallback)
      out += p.text;
    else if (read == ValueRead::Missing)
      complete = false;
  }
  return complete;
}

std::optional<std::string> TemplateRenderer::render(const TemplateInputs& in, int64_t row) const {
  std::string out;
  if (!render(in, row, out)) return std::nullopt;
  return out;
}

}  // namespace rk
