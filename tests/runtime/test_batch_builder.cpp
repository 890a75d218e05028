// Rekindle runtime tests: the batch builder (runtime/batch_builder.h): typed values, text values
// and test-file literals become batches that the interpreter evaluates like snapshot batches;
// misfits and unset fields are errors with exact messages.
#include <catch2/catch.hpp>

#include "base/date.h"
#include "compiler/check/compile.h"
#include "compiler/ir/helpers.h"
#include "runtime/atoms.h"
#include "runtime/batch_builder.h"
#include "runtime/interpreter.h"

using namespace rk;

namespace {

Schema test_schema() {
  Schema s;
  s.name = "t";
  s.fields = {
      {"id", FieldType::String, false, true, {}},
      {"n", FieldType::Int, false, false, {}},
      {"aov", FieldType::Money, true, false, {}},
      {"pct", FieldType::Percent, true, false, {}},
      {"when", FieldType::Date, true, false, {}},
      {"ok", FieldType::Bool, true, false, {}},
      {"kind", FieldType::Enum, true, false, {"a", "b", "c"}},
      {"tags", FieldType::StringList, false, false, {}},
  };
  s.key_field = 0;
  return s;
}

int32_t date(const char* s) {
  int32_t d = 0;
  REQUIRE(parse_iso_date(s, d));
  return d;
}

}  // namespace

TEST_CASE("BatchBuilder lays typed values out in the columnar ABI", "[batch_builder]") {
  BatchBuilder b(test_schema());
  std::string err;
  for (int r = 0; r < 3; ++r) {
    const size_t row = b.add_row();
    REQUIRE(b.set(row, "id", FieldValue::of_text("c" + std::to_string(r)), err));
    REQUIRE(b.set(row, "n", FieldValue::of_int(r * 10), err));
    REQUIRE(b.set(row, "tags",
                  FieldValue::of_list(r == 1 ? std::vector<std::string>{}
                                             : std::vector<std::string>{"x", "y"}),
                  err));
  }
  REQUIRE(b.set(0, "aov", FieldValue::of_int(250), err));  // int -> money
  REQUIRE(b.set(1, "aov", FieldValue::of_float(19.99), err));
  REQUIRE(b.set(0, "when", FieldValue::of_date(date("2026-11-01")), err));
  REQUIRE(b.set(2, "ok", FieldValue::of_bool(true), err));
  REQUIRE(b.set(0, "ok", FieldValue::of_bool(false), err));
  REQUIRE(b.set(1, "kind", FieldValue::of_text("c"), err));
  REQUIRE(b.set(2, "pct", FieldValue::missing(), err));
  auto batch = b.build(err);
  REQUIRE(batch);
  CHECK(batch->num_rows == 3);
  CHECK(*batch->string_at(0, 2) == "c2");
  const auto* n = static_cast<const int64_t*>(batch->columns[1].values);
  CHECK((n[0] == 0 && n[1] == 10 && n[2] == 20));
  CHECK(batch->columns[1].validity == nullptr);
  const RkColumn& aov = batch->columns[2];
  CHECK(static_cast<const double*>(aov.values)[0] == 250.0);
  CHECK(static_cast<const double*>(aov.values)[1] == 19.99);
  CHECK(
      (is_present(aov.validity, 0) && is_present(aov.validity, 1) && !is_present(aov.validity, 2)));
  CHECK(static_cast<const int32_t*>(batch->columns[4].values)[0] == date("2026-11-01"));
  const RkColumn& ok = batch->columns[5];
  CHECK((is_present(ok.validity, 0) && !is_present(ok.validity, 1) && is_present(ok.validity, 2)));
  CHECK(!bit_is_set(static_cast<const uint8_t*>(ok.values), 0));
  CHECK(bit_is_set(static_cast<const uint8_t*>(ok.values), 2));
  CHECK(static_cast<const int32_t*>(batch->columns[6].values)[1] == 2);
  const RkColumn& tags = batch->columns[7];
  const auto* off = static_cast<const int32_t*>(tags.offsets);
  CHECK((off[0] == 0 && off[1] == 2 && off[2] == 2 && off[3] == 4));
  const auto* dict = static_cast<const StringDict*>(tags.dict);
  CHECK(dict->entries.size() == 2);
  CHECK(dict->entries[tags.child_codes[3]] == "y");
}

TEST_CASE("BatchBuilder reports misfits and unset fields", "[batch_builder][errors]") {
  BatchBuilder b(test_schema());
  std::string err;
  b.add_row();
  CHECK(!b.set(0, "nope", FieldValue::of_int(1), err));
  CHECK(err == "the schema `t` has no field `nope`");
  CHECK(!b.set(0, "n", FieldValue::of_float(1.5), err));
  CHECK(err == "field `n` is an int, but the value is a number with a fraction");
  CHECK(!b.set(0, "n", FieldValue::missing(), err));
  CHECK(err == "field `n` cannot be missing (it is not nullable)");
  CHECK(!b.set(0, "kind", FieldValue::of_text("d"), err));
  CHECK(err == "`d` is not a value of field `kind` (one of a, b, c)");
  CHECK(!b.set(0, "when", FieldValue::of_text("2026-11-01"), err));
  CHECK(err == "field `when` is a date, but the value is a text");
  CHECK(!b.set(3, "n", FieldValue::of_int(1), err));
  CHECK(err == "row 4 does not exist (the builder has 1 rows)");
  REQUIRE(b.set(0, "id", FieldValue::of_text("c1"), err));
  REQUIRE(b.set(0, "n", FieldValue::of_int(1), err));
  CHECK(!b.build(err));
  CHECK(err == "row 1: field `tags` has no value");
}

TEST_CASE("BatchBuilder::set_text reads the text form of CSV cells", "[batch_builder]") {
  BatchBuilder b(test_schema());
  std::string err;
  b.add_row();
  REQUIRE(b.set_text(0, "id", "c-9", err));
  REQUIRE(b.set_text(0, "n", "-7", err));
  REQUIRE(b.set_text(0, "aov", "84.50", err));
  REQUIRE(b.set_text(0, "pct", "", err));
  REQUIRE(b.set_text(0, "when", "2024-02-29", err));
  REQUIRE(b.set_text(0, "ok", "true", err));
  REQUIRE(b.set_text(0, "tags", "a|b c", err));
  CHECK(b.get(0, 1)->i == -7);
  CHECK(b.get(0, 2)->f == 84.5);
  CHECK(b.get(0, 3)->kind == FieldValue::Kind::Missing);
  CHECK(b.get(0, 7)->list == std::vector<std::string>{"a", "b c"});
  CHECK(!b.set_text(0, "n", "1.5", err));
  CHECK(err == "field `n`: `1.5` is not an int");
  CHECK(!b.set_text(0, "ok", "yes", err));
  CHECK(err == "field `ok`: `yes` is not a bool (write true or false)");
  CHECK(!b.set_text(0, "when", "2026-02-30", err));
  CHECK(err == "field `when`: `2026-02-30` is not a date (February 2026 has 28 days)");
  CHECK(!b.set_text(0, "tags", "a||b", err));
  CHECK(err ==
        "field `tags`: `a||b` is not a list (elements are joined with |, none may be empty)");
  CHECK(!b.set_text(0, "n", "", err));
  CHECK(err == "field `n` cannot be missing (it is not nullable)");
}

TEST_CASE("test-file literals convert by the field's type and unit", "[batch_builder]") {
  const Schema s = test_schema();
  SourceSet src;
  std::vector<Diagnostic> diags;
  auto lit = [&](const char* text) {
    auto v = testfile::parse_value(src, src.add("v", text), diags);
    REQUIRE(v);
    return *v;
  };
  std::string err;
  const int32_t as_of = date("2026-11-01");
  auto v = field_value_from_literal(s.fields[2], lit("$250"), as_of, err);
  REQUIRE(v);
  CHECK(v->f == 250.0);
  v = field_value_from_literal(s.fields[3], lit("5%"), as_of, err);
  REQUIRE(v);
  CHECK(v->f == 0.05);
  v = field_value_from_literal(s.fields[4], lit("today - 60 days"), as_of, err);
  REQUIRE(v);
  CHECK(v->date == as_of - 60);
  v = field_value_from_literal(s.fields[7], lit("{apparel, \"gift cards\"}"), as_of, err);
  REQUIRE(v);
  CHECK(v->list == std::vector<std::string>{"apparel", "gift cards"});
  v = field_value_from_literal(s.fields[6], lit("b"), as_of, err);
  REQUIRE(v);
  CHECK(v->text == "b");
  CHECK(!field_value_from_literal(s.fields[2], lit("250"), as_of, err));
  CHECK(err == "field `aov` is money: write it with `$`, e.g. $250");
  CHECK(!field_value_from_literal(s.fields[3], lit("0.05"), as_of, err));
  CHECK(err == "field `pct` is a percent: write it with `%`, e.g. 5%");
  CHECK(!field_value_from_literal(s.fields[1], lit("90 days"), as_of, err));
  CHECK(err == "field `n` is an int: write a whole number without unit, e.g. 3");
  CHECK(!field_value_from_literal(s.fields[1], lit("missing"), as_of, err));
  CHECK(err == "field `n` cannot be missing (it is not nullable)");
  CHECK(!field_value_from_literal(s.fields[6], lit("d"), as_of, err));
  CHECK(err == "`d` is not a value of field `kind` (one of a, b, c)");
}

TEST_CASE("a built batch evaluates like a snapshot: the playbook on two customers",
          "[batch_builder]") {
  CompileResult r = compile_rules(std::string(RK_SOURCE_DIR) + "/rules/winback.rules");
  REQUIRE(r.program);
  const ir::Program& p = *r.program;
  BatchBuilder b(p.schema);
  std::string err;
  const int32_t as_of = date("2026-11-01");
  for (const char* id : {"c-001", "c-003"}) {  // c-003 hashes into the 5% holdout
    const size_t row = b.add_row();
    REQUIRE(b.set_text(row, "customer_id", id, err));
    REQUIRE(b.set(row, "last_purchase_date", FieldValue::of_date(as_of - 200), err));
    for (const char* f : {"orders_total", "email_opens_90d", "email_clicks_90d", "purchases_90d",
                          "spam_complaints_90d", "last_touch"})
      REQUIRE(b.set(row, f, FieldValue::of_int(f[0] == 'o' ? 3 : 0), err));
    REQUIRE(b.set_text(row, "avg_order_value", "300", err));
    REQUIRE(b.set(row, "email_bounce_rate", FieldValue::of_float(0.01), err));
    for (const char* f : {"is_subscriber", "opted_out", "responded"})
      REQUIRE(b.set(row, f, FieldValue::of_bool(false), err));
    REQUIRE(b.set(row, "email_consent", FieldValue::of_bool(true), err));
    REQUIRE(b.set(row, "categories", FieldValue::of_list({"kitchen"}), err));
    REQUIRE(b.set_text(row, "acquisition_channel", "email", err));
  }
  auto batch = b.build(err);
  REQUIRE(batch);
  PreparedAtoms atoms;
  atoms.prepare(p, *batch);
  std::vector<std::vector<int8_t>> out(p.outputs.size(), std::vector<int8_t>(2, -1));
  std::vector<int8_t*> ptrs;
  ptrs.reserve(out.size());
  for (auto& o : out) ptrs.push_back(o.data());
  RkBatchView view{batch->columns.data(), atoms.data(), 2, as_of, 0};
  RkResultView results{ptrs.data(), 2};
  make_interpreter(p)->run(view, results, 0, 2);
  auto text = [&](const std::string& column, int row) -> std::string {
    for (const auto& c : p.columns)
      if (c.name == column) {
        const int8_t v = out[c.outputs[0]][row];
        return v < 0 ? "" : c.texts[v];
      }
    return "?";
  };
  CHECK(text("dormancy", 0) == "deep");
  CHECK(text("value_tier", 0) == "whale");
  CHECK(text("affinity", 0) == "home");
  CHECK(text("acquisition", 0) == "owned");
  CHECK(text("winback_status", 0) == "due");
  CHECK(text("winback_step", 0) == "pattern_interrupt");
  CHECK(text("winback_status", 1) == "holdout");
}
