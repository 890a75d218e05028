// Rekindle runtime: money and enum columns told from their values (see infer_types.h).
#include "runtime/infer_types.h"

#include <algorithm>
#include <cctype>
#include <cmath>

namespace rk {

namespace {

bool is_word(std::string_view s) {
  if (s.empty() || s.size() > 40 || !std::isalpha(static_cast<unsigned char>(s[0]))) return false;
  for (char c : s)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-') return false;
  return true;
}

}  // namespace

bool is_currency_name(const std::string& name) {
  static const char* const kWords[] = {
      "amount",  "amt",      "price",    "prices",  "cost",   "costs",   "revenue", "revenues",
      "spend",   "spent",    "value",    "aov",     "ltv",    "clv",     "balance", "fee",
      "fees",    "payment",  "payments", "paid",    "charge", "charges", "mrr",     "arr",
      "income",  "salary",   "budget",   "usd",     "eur",    "gbp",     "dollars", "euros",
      "sales",   "gmv",      "refund",   "refunds", "credit", "credits", "debt",    "owed",
      "invoice", "invoiced", "subtotal", "wallet",  "cash"};
  std::string token;
  auto matches = [&] {
    for (const char* w : kWords)
      if (token == w) return true;
    return false;
  };
  for (size_t i = 0; i <= name.size(); ++i) {
    if (i == name.size() || name[i] == '_' || name[i] == '-') {
      if (!token.empty() && matches()) return true;
      token.clear();
    } else {
      token += static_cast<char>(std::tolower(static_cast<unsigned char>(name[i])));
    }
  }
  return false;
}

ValueTypeInference::ValueTypeInference(const Schema& probe) : columns_(probe.fields.size()) {
  for (size_t i = 0; i < probe.fields.size(); ++i) {
    columns_[i].number = probe.fields[i].type == FieldType::Number;
    columns_[i].text = probe.fields[i].type == FieldType::String;
  }
}

void ValueTypeInference::add(const Batch& batch, int64_t rows) {
  rows = std::min(rows, batch.num_rows);
  for (size_t i = 0; i < columns_.size() && i < batch.columns.size(); ++i) {
    Column& c = columns_[i];
    const RkColumn& col = batch.columns[i];
    if (c.number) {
      const auto* v = static_cast<const double*>(col.values);
      for (int64_t r = 0; r < rows; ++r) {
        if (col.validity && !((col.validity[r >> 3] >> (r & 7)) & 1)) continue;
        const double x = v[r];
        if (!std::isfinite(x)) {
          c.at_most_two_decimals = false;
          continue;
        }
        ++c.present;
        const double cents = std::round(x * 100);
        if (std::fabs(x * 100 - cents) > 1e-6 * std::max(1.0, std::fabs(x * 100)))
          c.at_most_two_decimals = false;
      }
    } else if (c.text && c.words) {
      for (int64_t r = 0; r < rows; ++r) {
        const auto s = column_string_at(col, r);
        if (!s) continue;
        ++c.present;
        if (!is_word(*s)) {
          c.words = false;
          break;
        }
        if (std::find(c.distinct.begin(), c.distinct.end(), *s) == c.distinct.end()) {
          c.distinct.emplace_back(*s);
          if (c.distinct.size() > kMaxEnumValues) {
            c.words = false;
            break;
          }
        }
      }
    }
  }
}

void ValueTypeInference::refine(Schema& schema) const {
  for (size_t i = 0; i < columns_.size() && i < schema.fields.size(); ++i) {
    const Column& c = columns_[i];
    FieldDef& f = schema.fields[i];
    if (c.number && c.present > 0 && c.at_most_two_decimals && is_currency_name(f.name)) {
      f.type = FieldType::Money;
    } else if (c.text && c.words && !c.distinct.empty() &&
               static_cast<int>(i) != schema.key_field &&
               c.present >= kRowsPerEnumValue * static_cast<int64_t>(c.distinct.size())) {
      f.type = FieldType::Enum;
      f.enum_values = c.distinct;
      std::sort(f.enum_values.begin(), f.enum_values.end());
    }
  }
}

}  // namespace rk
