// Rekindle tests: shared helpers of the Arrow reader/writer tests (fixture paths, schemas built in
// code, reading every batch, comparing every value with the fixtures' expected JSON).
#pragma once

#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "compiler/ir/helpers.h"
#include "runtime/arrow_reader.h"

using nlohmann::json;

namespace rk_arrow_test {

inline const std::string kDir = std::string(RK_SOURCE_DIR) + "/tests/fixtures/arrowjs/";

inline json load_json(const std::string& name) {
  std::ifstream in(kDir + name);
  REQUIRE(in.good());
  return json::parse(in);
}

inline rk::FieldDef field(const std::string& name, rk::FieldType t, bool nullable = true,
                          std::vector<std::string> enum_values = {}) {
  rk::FieldDef f;
  f.name = name;
  f.type = t;
  f.nullable = nullable;
  f.enum_values = std::move(enum_values);
  return f;
}

inline rk::Schema make_schema(std::vector<rk::FieldDef> fields) {
  rk::Schema s;
  s.name = "test";
  s.fields = std::move(fields);
  for (size_t i = 0; i < s.fields.size(); ++i)
    if (s.fields[i].key) s.key_field = static_cast<int>(i);
  return s;
}

struct ReadResult {
  std::vector<rk::Batch> batches;
  std::optional<rk::SnapshotError> error;
  int64_t total_rows = -1;
};

// `threads`: decoding threads (the columns of a batch in parallel).
inline ReadResult read_all(const std::string& path, const rk::Schema& schema, int threads = 1) {
  ReadResult out;
  rk::ReaderOptions ro;
  ro.threads = threads;
  auto reader = rk::open_arrow_snapshot(path, schema, ro, out.error);
  if (!reader) return out;
  out.total_rows = reader->total_rows();
  rk::Batch b;
  while (reader->next(b)) out.batches.push_back(std::move(b));
  out.error = reader->error();
  return out;
}

// The value of row r of column c as JSON, in the fixtures' conventions.
inline json value_at(const rk::Batch& b, size_t c, int64_t r, const rk::FieldDef& f) {
  const RkColumn& col = b.columns[c];
  if (!rk::is_present(col.validity, r)) return nullptr;
  switch (f.type) {
    case rk::FieldType::Int:
      return std::to_string(static_cast<const int64_t*>(col.values)[r]);
    case rk::FieldType::Number:
    case rk::FieldType::Money:
    case rk::FieldType::Percent:
      return static_cast<const double*>(col.values)[r];
    case rk::FieldType::Bool:
      return rk::bit_is_set(static_cast<const uint8_t*>(col.values), r);
    case rk::FieldType::Date:
      return static_cast<const int32_t*>(col.values)[r];
    case rk::FieldType::String:
      return std::string(*b.string_at(c, r));
    case rk::FieldType::Enum:
      return f.enum_values.at(static_cast<const int32_t*>(col.values)[r]);
    case rk::FieldType::StringList: {
      const auto* off = static_cast<const int32_t*>(col.offsets);
      const auto* dict = static_cast<const rk::StringDict*>(col.dict);
      json items = json::array();
      for (int32_t j = off[r]; j < off[r + 1]; ++j)
        items.push_back(std::string(dict->entries.at(static_cast<size_t>(col.child_codes[j]))));
      return items;
    }
  }
  return "?";
}

// Compares every value of every column of `schema` with expected["columns"][name] (converted by
// `expect` when the column is read with another type than the JSON holds).
inline void check_all_values(const ReadResult& got, const rk::Schema& schema,
                             const json& expected) {
  INFO((got.error ? got.error->to_string() : std::string("no error")));
  REQUIRE_FALSE(got.error);
  std::vector<int64_t> sizes;
  int64_t row = 0;
  for (const rk::Batch& b : got.batches) {
    CHECK(b.first_row == row);
    sizes.push_back(b.num_rows);
    REQUIRE(b.columns.size() == schema.fields.size());
    for (size_t c = 0; c < schema.fields.size(); ++c) {
      const auto& f = schema.fields[c];
      const json& want_col = expected["columns"][f.name];
      for (int64_t r = 0; r < b.num_rows; ++r) {
        json want = want_col.at(static_cast<size_t>(row + r));
        if (!want.is_null() && f.type == rk::FieldType::Int && want.is_number())
          want = std::to_string(want.get<int64_t>());
        INFO("column " << f.name << " row " << row + r);
        CHECK(value_at(b, c, r, f) == want);
      }
    }
    row += b.num_rows;
  }
  CHECK(row == expected["rows"].get<int64_t>());
  CHECK(sizes == expected["batches"].get<std::vector<int64_t>>());
}

inline rk::Schema types_schema() {
  using T = rk::FieldType;
  std::vector<rk::FieldDef> fs;
  for (const char* n : {"i8", "i16", "i32", "i64", "u8", "u16", "u32", "u64"})
    fs.push_back(field(n, T::Int));
  fs.push_back(field("f32", T::Number));
  fs.push_back(field("f64", T::Number));
  fs.push_back(field("b", T::Bool));
  for (const char* n : {"s", "ls", "ds", "ds8"}) fs.push_back(field(n, T::String));
  for (const char* n : {"d32", "d64", "ts_s", "ts_ms", "ts_us", "ts_ns"})
    fs.push_back(field(n, T::Date));
  for (const char* n : {"l", "ld", "ll"}) fs.push_back(field(n, T::StringList));
  return make_schema(fs);
}

inline const std::vector<std::string> kChannels = {"paid_social", "organic_search", "email",
                                                   "referral", "direct"};

inline rk::Schema customer_schema() {
  using T = rk::FieldType;
  auto key = field("customer_id", T::String, false);
  key.key = true;
  return make_schema({
      key,
      field("last_purchase_date", T::Date),
      field("last_engagement_date", T::Date),
      field("orders_total", T::Int, false),
      field("avg_order_value", T::Money, false),
      field("gross_margin_pct", T::Percent),
      field("is_subscriber", T::Bool, false),
      field("email_opens_90d", T::Int, false),
      field("email_clicks_90d", T::Int, false),
      field("purchases_90d", T::Int, false),
      field("categories", T::StringList, false),
      field("acquisition_channel", T::Enum, false, kChannels),
      field("email_consent", T::Bool),
      field("sms_consent", T::Bool),
      field("opted_out", T::Bool, false),
      field("relationship_flag", T::Enum, true,
            {"complaint", "chargeback", "bereavement", "legal_hold"}),
      field("spam_complaints_90d", T::Int, false),
      field("email_bounce_rate", T::Percent),
      field("last_touch", T::Int, false),
      field("last_touch_date", T::Date),
      field("responded", T::Bool, false),
  });
}

inline std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline void write_bytes(const std::string& path, std::string_view bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

inline std::string temp_path(const std::string& name) {
  return std::string(RK_BINARY_DIR) + "/arrow_test_" + name;
}

}  // namespace rk_arrow_test
