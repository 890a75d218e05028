// Tests of the value-based refinement of an inferred schema (runtime/infer_types.h): money by a
// currency-like name and at most two decimals, enums of few distinct words, never for the key,
// names and ids, and over real files (the program sample written by `rekindle gen --program`,
// in CSV and Arrow).
#include <algorithm>
#include <catch2/catch.hpp>
#include <string>

#include "runtime/csv_reader.h"
#include "runtime/generate.h"
#include "runtime/infer_types.h"

using namespace rk;

namespace {

Schema probe(std::initializer_list<std::pair<const char*, FieldType>> fields) {
  Schema s;
  for (const auto& [name, type] : fields) s.fields.push_back({name, type, true, false, {}});
  return s;
}

// Reads CSV text with `schema` and refines it from all its rows.
Schema refine_csv(const std::string& csv, Schema schema) {
  std::optional<SnapshotError> err;
  auto r = open_csv_snapshot_memory(csv, "t.csv", schema, {}, err);
  REQUIRE(r);
  ValueTypeInference inference(schema);
  Batch b;
  while (r->next(b)) inference.add(b, b.num_rows);
  REQUIRE_FALSE(r->error());
  inference.refine(schema);
  return schema;
}

}  // namespace

TEST_CASE("infer types: currency names", "[infer]") {
  for (const char* yes : {"price", "unit_price", "total_spend", "avg_order_value", "mrr", "ARR",
                          "amount_usd", "ltv-90d", "refund_amount", "balance"})
    CHECK(is_currency_name(yes));
  for (const char* no : {"nps", "gross_margin_pct", "email_bounce_rate", "orders_total", "rating",
                         "valued", "spending_score_x", "pricey"})
    CHECK_FALSE(is_currency_name(no));
}

TEST_CASE("infer types: money from a currency name and two decimals", "[infer]") {
  const Schema s = refine_csv(
      "price,rating,amount,revenue,fee\n"
      "12.5,4.5,0.355,100,1e-2\n"
      "99.99,3.25,1,200,0.02\n"
      ",2,2,300.5,\n",
      probe({{"price", FieldType::Number},
             {"rating", FieldType::Number},
             {"amount", FieldType::Number},
             {"revenue", FieldType::Number},
             {"fee", FieldType::Number}}));
  CHECK(s.fields[0].type == FieldType::Money);
  CHECK(s.fields[1].type == FieldType::Number);  // not a currency name
  CHECK(s.fields[2].type == FieldType::Number);  // three decimals
  CHECK(s.fields[3].type == FieldType::Money);
  CHECK(s.fields[4].type == FieldType::Money);  // 0.01 and 0.02, however written
}

TEST_CASE("infer types: enums of few distinct words", "[infer]") {
  std::string csv = "id,plan,name,code,status,tiny,zone\n";
  const char* plans[] = {"pro", "free", "team", "enterprise"};
  for (int i = 0; i < 40; ++i)
    csv += "c" + std::to_string(i) + "," + plans[i % 4] + ",Name " + std::to_string(i % 5) + "," +
           "k" + std::to_string(i) + "," + (i % 3 ? "active" : "") + "," + (i < 2 ? "x" : "") +
           ",Europe/Berlin\n";
  Schema schema = probe({{"id", FieldType::String},
                         {"plan", FieldType::String},
                         {"name", FieldType::String},
                         {"code", FieldType::String},
                         {"status", FieldType::String},
                         {"tiny", FieldType::String},
                         {"zone", FieldType::String}});
  schema.key_field = 0;
  schema.fields[0].nullable = false;
  const Schema s = refine_csv(csv, schema);
  CHECK(s.fields[0].type == FieldType::String);  // the key: never an enum
  CHECK(s.fields[1].type == FieldType::Enum);
  CHECK(s.fields[1].enum_values == std::vector<std::string>{"enterprise", "free", "pro", "team"});
  CHECK(s.fields[2].type == FieldType::String);  // spaces: not words
  CHECK(s.fields[3].type == FieldType::String);  // 40 distinct
  CHECK(s.fields[4].type == FieldType::Enum);    // one word, with missing values
  CHECK(s.fields[4].nullable);
  CHECK(s.fields[5].type == FieldType::String);  // 2 values of 1 word: too few to tell
  CHECK(s.fields[6].type == FieldType::String);  // `/` is not a word character
}

TEST_CASE("infer types: at most 12 values make an enum", "[infer]") {
  auto column = [](int distinct) {
    std::string csv = "id,v\n";
    for (int i = 0; i < 100; ++i)
      csv += "c" + std::to_string(i) + ",w" + std::to_string(i % distinct) + "\n";
    Schema schema = probe({{"id", FieldType::String}, {"v", FieldType::String}});
    schema.key_field = 0;
    return refine_csv(csv, schema).fields[1].type;
  };
  CHECK(column(12) == FieldType::Enum);
  CHECK(column(13) == FieldType::String);
}

TEST_CASE("infer types: the program sample", "[infer]") {
  // `rekindle gen --program` output: avg_order_value is money (name and values), the two enums
  // of the playbook are enums, names, emails, phones, zones and owners stay strings.
  const std::string path = std::string(RK_BINARY_DIR) + "/infer_program.csv";
  GenerateOptions o;
  o.rows = 5000;
  o.program = true;
  o.as_of = 20758;
  std::string err;
  REQUIRE(generate_snapshot(o, path, SnapshotFormat::Csv, err));
  std::vector<InferredField> inferred;
  std::optional<SnapshotError> rerr;
  REQUIRE(infer_csv_schema(path, 10000, inferred, rerr));
  Schema schema;
  for (const auto& f : inferred) schema.fields.push_back({f.name, f.type, f.nullable, false, {}});
  schema.key_field = 0;
  auto r = open_snapshot(path, schema, {}, rerr);
  REQUIRE(r);
  ValueTypeInference inference(schema);
  Batch b;
  while (r->next(b)) inference.add(b, b.num_rows);
  inference.refine(schema);
  const Schema want = program_schema();
  for (size_t i = 0; i < want.fields.size(); ++i) {
    INFO(want.fields[i].name);
    const FieldType t = want.fields[i].type;
    if (t == FieldType::Percent)
      CHECK(schema.fields[i].type == FieldType::Number);  // percents cannot be told
    else
      CHECK(schema.fields[i].type == t);
    if (t == FieldType::Enum) {
      auto sorted = want.fields[i].enum_values;
      std::sort(sorted.begin(), sorted.end());
      CHECK(schema.fields[i].enum_values == sorted);
    }
  }
  std::remove(path.c_str());
}
