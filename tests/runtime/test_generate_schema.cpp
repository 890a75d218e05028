// Tests of the generator for any schema (runtime/generate_schema.h): every field type generated
// and read back (CSV and Arrow), unique keys, missing values only where allowed, determinism for
// any thread count and per column, the guide read from compiled rule files (exact boundaries of
// comparisons, lets, `days since`/`days until`, ranges, piecewise lets, enum sets, quoted string
// values, list items), and the property the generator exists for: on rule files it has never
// been tuned for, every comparison that reads a numeric column is true for some generated rows
// and false for others, and the snapshot evaluates.
#include <catch2/catch.hpp>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>

#include "base/date.h"
#include "compiler/check/compile.h"
#include "compiler/ir/helpers.h"
#include "runtime/atoms.h"
#include "runtime/csv_reader.h"
#include "runtime/csv_writer.h"
#include "runtime/generate_schema.h"
#include "runtime/interpreter.h"
#include "tests/gen/rule_file_gen.h"

using namespace rk;

namespace {

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string tmp(const std::string& name) {
  return std::string(RK_BINARY_DIR) + "/" + name;
}

std::string src(const std::string& name) {
  return std::string(RK_SOURCE_DIR) + "/" + name;
}

int32_t date(const char* text) {
  int32_t d = 0;
  REQUIRE(parse_iso_date(text, d));
  return d;
}

GenerateOptions options(int64_t rows, uint64_t seed, int threads, int32_t as_of,
                        int64_t batch_rows = 4096) {
  GenerateOptions o;
  o.rows = rows;
  o.seed = seed;
  o.as_of = as_of;
  o.threads = threads;
  o.batch_rows = batch_rows;
  return o;
}

// A schema with a field of every type, nullable and not.
Schema every_type() {
  Schema s;
  s.name = "every";
  auto add = [&](const char* name, FieldType t, bool nullable) -> FieldDef& {
    s.fields.push_back(FieldDef{name, t, nullable, false, {}});
    return s.fields.back();
  };
  add("id", FieldType::String, false).key = true;
  s.key_field = 0;
  for (bool nullable : {false, true}) {
    const std::string q = nullable ? "_q" : "";
    add(("b" + q).c_str(), FieldType::Bool, nullable);
    add(("i" + q).c_str(), FieldType::Int, nullable);
    add(("x" + q).c_str(), FieldType::Number, nullable);
    add(("m" + q).c_str(), FieldType::Money, nullable);
    add(("p" + q).c_str(), FieldType::Percent, nullable);
    add(("d" + q).c_str(), FieldType::Date, nullable);
    add(("s" + q).c_str(), FieldType::String, nullable);
    add(("e" + q).c_str(), FieldType::Enum, nullable).enum_values = {"a", "b", "none", "x y"};
    add(("l" + q).c_str(), FieldType::StringList, nullable);
  }
  add("contact_email", FieldType::String, true);
  add("mobile_phone", FieldType::String, true);
  add("first_name", FieldType::String, true);
  add("account_owner", FieldType::String, true);
  add("time_zone", FieldType::String, true);
  add("opted_out", FieldType::Bool, false);
  add("sms_consent", FieldType::Bool, true);
  add("refunds_90d", FieldType::Int, false);
  add("renews_on", FieldType::Date, false);
  add("signed_up_on", FieldType::Date, false);
  return s;
}

// Reads a snapshot file completely with `schema`; the CSV text of its rows as the writer formats
// them. Fails the test on a reader error.
std::string read_back(const std::string& path, const Schema& schema) {
  std::optional<SnapshotError> err;
  ReaderOptions ro;
  ro.batch_rows = 1000;
  auto r = open_snapshot(path, schema, ro, err);
  if (!r) FAIL(err->to_string());
  std::string text = CsvSnapshotWriter::header(schema), error;
  Batch b;
  while (r->next(b)) REQUIRE(CsvSnapshotWriter::format_rows(schema, b, text, error));
  if (r->error()) FAIL(r->error()->to_string());
  return text;
}

CompileResult compile_file(const std::string& path) {
  CompileResult c = compile_rules(path);
  if (!c.program) {
    std::string all;
    for (const auto& d : c.diags) all += d.message + "\n";
    FAIL(path << ": " << all);
  }
  return c;
}

bool has(const std::vector<double>& v, double x) {
  for (double y : v)
    if (y == x) return true;
  return false;
}

}  // namespace

TEST_CASE("generate any schema: every field type, read back from CSV and Arrow", "[generate]") {
  const Schema s = every_type();
  const int32_t as_of = date("2026-11-01");
  std::string err;
  const std::string csv = tmp("any_every.csv"), arrow = tmp("any_every.arrow");
  REQUIRE(
      generate_schema_snapshot(s, {}, options(20000, 3, 2, as_of), csv, SnapshotFormat::Csv, err));
  REQUIRE(generate_schema_snapshot(s, {}, options(20000, 3, 1, as_of), arrow, SnapshotFormat::Arrow,
                                   err));
  const std::string text = slurp(csv);
  CHECK(read_back(csv, s) == text);
  CHECK(read_back(arrow, s) == text);

  SchemaGenerator g(s, {}, options(20000, 3, 1, as_of, 65536));
  REQUIRE(g.valid());
  const Batch b = g.batch(0);
  REQUIRE(b.num_rows == 20000);
  std::set<std::string> ids;
  std::map<std::string, int64_t> missing;
  std::set<std::string> enums, emails, zones, names;
  int64_t opted = 0, consent = 0, refunds = 0, empty_nullable_lists = 0, renews_after = 0,
          signed_after = 0;
  for (int64_t r = 0; r < b.num_rows; ++r) {
    ids.emplace(*b.string_at(0, r));
    for (size_t f = 0; f < s.fields.size(); ++f)
      if (!is_present(b.columns[f].validity, r)) ++missing[s.fields[f].name];
    enums.insert(s.fields[8].enum_values[static_cast<const int32_t*>(b.columns[8].values)[r]]);
    if (auto e = b.string_at(19, r)) emails.emplace(*e);
    if (auto z = b.string_at(23, r)) zones.emplace(*z);
    if (auto n = b.string_at(21, r)) names.emplace(*n);
    opted += bit_is_set(static_cast<const uint8_t*>(b.columns[24].values), r);
    consent += is_present(b.columns[25].validity, r) &&
               bit_is_set(static_cast<const uint8_t*>(b.columns[25].values), r);
    refunds += static_cast<const int64_t*>(b.columns[26].values)[r] > 0;
    renews_after += static_cast<const int32_t*>(b.columns[27].values)[r] > as_of;
    signed_after += static_cast<const int32_t*>(b.columns[28].values)[r] > as_of;
    const auto* off = static_cast<const int32_t*>(b.columns[18].offsets);
    if (is_present(b.columns[18].validity, r) && off[r + 1] == off[r]) ++empty_nullable_lists;
  }
  CHECK(ids.size() == 20000);  // unique keys
  for (const auto& f : s.fields) {
    INFO(f.name);
    if (f.nullable)
      CHECK(missing[f.name] == Approx(2000).margin(300));
    else
      CHECK(missing[f.name] == 0);
  }
  CHECK(enums == std::set<std::string>{"a", "b", "none", "x y"});
  CHECK(empty_nullable_lists == 0);  // CSV reads an empty list in a nullable field as missing
  // Name hints.
  CHECK(emails.size() > 15000);
  for (const auto& e : emails) CHECK(e.find('@') != std::string::npos);
  CHECK(zones.size() > 40);
  CHECK(zones.count("America/New_York") == 1);
  CHECK(names.size() > 100);
  CHECK(static_cast<double>(opted) / 20000 == Approx(0.05).margin(0.01));
  CHECK(static_cast<double>(consent) / 20000 == Approx(0.63).margin(0.03));  // 70% of 90%
  CHECK(static_cast<double>(refunds) / 20000 == Approx(0.1).margin(0.02));
  // Dates to come (renewals) are mostly after the as-of date, others mostly before.
  CHECK(static_cast<double>(renews_after) / 20000 == Approx(0.57).margin(0.04));
  CHECK(static_cast<double>(signed_after) / 20000 == Approx(0.05).margin(0.01));
  for (const auto& p : {csv, arrow}) std::remove(p.c_str());
}

TEST_CASE("generate any schema: deterministic for any thread count, and per column", "[generate]") {
  const Schema s = every_type();
  const int32_t as_of = date("2026-11-01");
  std::string err;
  REQUIRE(generate_schema_snapshot(s, {}, options(30000, 9, 1, as_of), tmp("any_a.csv"),
                                   SnapshotFormat::Csv, err));
  REQUIRE(generate_schema_snapshot(s, {}, options(30000, 9, 3, as_of), tmp("any_b.csv"),
                                   SnapshotFormat::Csv, err));
  REQUIRE(generate_schema_snapshot(s, {}, options(30000, 10, 2, as_of), tmp("any_c.csv"),
                                   SnapshotFormat::Csv, err));
  CHECK(slurp(tmp("any_a.csv")) == slurp(tmp("any_b.csv")));
  CHECK(slurp(tmp("any_a.csv")) != slurp(tmp("any_c.csv")));
  // Each column has a stream of its own: a schema with a field more keeps the others' values.
  Schema more = s;
  more.fields.insert(more.fields.begin() + 3,
                     FieldDef{"inserted", FieldType::Money, true, false, {}});
  SchemaGenerator ga(s, {}, options(5000, 9, 1, as_of)), gb(more, {}, options(5000, 9, 1, as_of));
  Batch a = ga.batch(0), b = gb.batch(0);
  b.columns.erase(b.columns.begin() + 3);
  b.dicts.erase(b.dicts.begin() + 3);
  std::string ta, tb;
  REQUIRE(CsvSnapshotWriter::format_rows(s, a, ta, err));
  REQUIRE(CsvSnapshotWriter::format_rows(s, b, tb, err));
  CHECK(ta == tb);
  for (const char* f : {"any_a.csv", "any_b.csv", "any_c.csv"}) std::remove(tmp(f).c_str());
}

TEST_CASE("generate any schema: the guide of the playbook", "[generate]") {
  const CompileResult c = compile_file(src("rules/winback.rules"));
  const ir::Program& p = *c.program;
  const int32_t as_of = date("2026-11-01");
  GenerationGuide g;
  std::string err;
  REQUIRE(guide_from_program(p, p.schema, as_of, g, err));
  auto field = [&](const char* name) -> const FieldGuide& {
    return g.fields[static_cast<size_t>(p.schema.find(name))];
  };
  // Money, percent and int boundaries with their neighbours.
  for (double v : {19.99, 20.0, 74.99, 75.0, 249.99, 250.0})
    CHECK(has(field("avg_order_value").edges, v));
  for (double v : {0.0499, 0.05, 0.0501}) CHECK(has(field("email_bounce_rate").edges, v));
  for (double v : {0.3999, 0.4}) CHECK(has(field("gross_margin_pct").edges, v));
  for (double v : {0.0, 1.0, 2.0}) CHECK(has(field("orders_total").edges, v));
  for (int t = 0; t <= 8; ++t) CHECK(has(field("last_touch").edges, t));  // touches 1 to 7
  CHECK_FALSE(has(field("email_opens_90d").edges, -1));  // `> 0` and `= 0`: 0 and 1 suffice
  // `days since last_purchase_date` against 60, 90, 120, 180, 365 days: dates.
  for (int d : {59, 60, 89, 90, 119, 120, 179, 180, 364, 365})
    CHECK(has(field("last_purchase_date").edges, as_of - d));
  for (int d : {6, 7}) CHECK(has(field("last_touch_date").edges, as_of - d));  // wait 7 days
  // Enum sets, list items.
  CHECK(field("relationship_flag").enum_values == 0xF);
  CHECK(field("acquisition_channel").enum_values == 0x1F);
  const std::set<std::string> items(field("categories").items.begin(),
                                    field("categories").items.end());
  CHECK(items == std::set<std::string>{"accessories", "apparel", "electronics", "footwear",
                                       "garden", "home", "kitchen"});
  CHECK(g.comparisons > 20);
}

TEST_CASE("generate any schema: the guide of lets, arithmetic, ranges and piecewise lets",
          "[generate]") {
  const CompileResult c = compile_file(src("tests/fixtures/gen/saas.rules"));
  const ir::Program& p = *c.program;
  const int32_t as_of = date("2026-03-08");
  GenerationGuide g;
  std::string err;
  REQUIRE(guide_from_program(p, p.schema, as_of, g, err));
  auto field = [&](const char* name) -> const FieldGuide& {
    return g.fields[static_cast<size_t>(p.schema.find(name))];
  };
  // seats >= 100; seats in 10 to 99; the piecewise `capped_seats >= 150`.
  for (double v : {99.0, 100.0, 9.0, 10.0, 11.0, 98.0, 149.0, 150.0})
    CHECK(has(field("seats").edges, v));
  CHECK_FALSE(has(field("seats").edges, -1.0));  // mrr / seats is unknown at 0, not a side
  // mrr / seats > $50 with seats at a typical 3: mrr around 150; mrr >= $1000.
  for (double v : {149.99, 150.0, 150.01, 999.99, 1000.0}) CHECK(has(field("mrr").edges, v));
  // seats * 2 + touches > 40 with seats at 3: touches 34 and 35.
  for (double v : {34.0, 35.0}) CHECK(has(field("touches").edges, v));
  // `days until trial_ends in 0 to 14 days`: the as-of date and 14 days after, both sides.
  for (int d : {-1, 0, 14, 15}) CHECK(has(field("trial_ends").edges, as_of + d));
  for (int d : {30, 31}) CHECK(has(field("last_login").edges, as_of - d));
  for (double v : {0.2, 0.2001}) CHECK(has(field("discount_rate").edges, v));
  for (double v : {6.0, 6.01, 8.99, 9.0}) CHECK(has(field("nps").edges, v));
  // Quoted string values, list items and `has all of` sets, enum sets.
  const std::set<std::string> words(field("plan").words.begin(), field("plan").words.end());
  CHECK(words == std::set<std::string>{"Enterprise Plus", "Pro", "Team, annual"});
  REQUIRE(field("features").all_of.size() == 1);
  CHECK(field("features").all_of[0] == std::vector<std::string>{"audit_log", "sso"});
  CHECK(field("tags").items == std::vector<std::string>{"do_not_contact"});
  CHECK(field("tier").enum_values == 0xC);    // pro, enterprise
  CHECK(field("region").enum_values == 0x1);  // emea
}

TEST_CASE("generate any schema: a rules' schema the target lacks is an error", "[generate]") {
  const CompileResult c = compile_file(src("rules/winback.rules"));
  const ir::Program& p = *c.program;
  GenerationGuide g;
  std::string err;
  Schema lacking = p.schema;
  lacking.fields.erase(lacking.fields.begin() + 4);
  CHECK_FALSE(guide_from_program(p, lacking, 0, g, err));
  CHECK(err ==
        "the rules' schema has the field avg_order_value (money), which the schema to "
        "generate lacks");
  Schema retyped = p.schema;
  retyped.fields[4].type = FieldType::Number;
  CHECK_FALSE(guide_from_program(p, retyped, 0, g, err));
  CHECK(err ==
        "field avg_order_value: the rules' schema says money, the schema to generate number");
  Schema nullable = p.schema;
  nullable.fields[3].nullable = true;
  CHECK_FALSE(guide_from_program(p, nullable, 0, g, err));
  CHECK(err ==
        "field orders_total: the schema to generate allows missing values, the rules' "
        "schema does not");
  Schema values = p.schema;
  values.fields[11].enum_values.pop_back();
  CHECK_FALSE(guide_from_program(p, values, 0, g, err));
  CHECK(err ==
        "field acquisition_channel: the rules' schema says enum, the schema to generate "
        "enum with other values");
  // A target with more fields than the rules read is fine.
  Schema more = p.schema;
  more.fields.push_back(FieldDef{"extra", FieldType::Date, true, false, {}});
  CHECK(guide_from_program(p, more, 0, g, err));
  CHECK(g.fields.size() == more.fields.size());
}

TEST_CASE("generate any schema: the rules' values appear, keys stay unique", "[generate]") {
  const std::string schema_path = tmp("gen_words.schema"), rules_path = tmp("gen_words.rules");
  std::ofstream(schema_path) << "schema w\n"
                                "field id: string key\n"
                                "field plan: string?\n"
                                "field tags: list of string\n"
                                "field color: enum {red, green, blue, cyan, magenta, yellow}\n";
  std::ofstream(rules_path) << "import \"gen_words.schema\"\n"
                               "segment vip {\n"
                               "  first when id is \"VIP-1\"\n"
                               "  clash when id is \"I000000007\"\n"
                               "  enterprise when plan is \"Enterprise \\\"Plus\\\"\"\n"
                               "  tagged when tags has all of {a, \"b c\", \"d|e\"}\n"
                               "  warm when color in {red, yellow}\n"
                               "}\n";
  const CompileResult c = compile_file(rules_path);
  const ir::Program& p = *c.program;
  GenerationGuide g;
  std::string err;
  REQUIRE(guide_from_program(p, p.schema, 0, g, err));
  SchemaGenerator gen(p.schema, g, options(30000, 1, 1, 0, 65536));
  REQUIRE(gen.valid());
  const Batch b = gen.batch(0);
  std::set<std::string> ids;
  int64_t enterprise = 0, all_tags = 0, bar_items = 0, warm = 0;
  for (int64_t r = 0; r < b.num_rows; ++r) {
    ids.emplace(*b.string_at(0, r));
    if (auto plan = b.string_at(1, r)) enterprise += *plan == "Enterprise \"Plus\"";
    const auto* off = static_cast<const int32_t*>(b.columns[2].offsets);
    const auto* dict = static_cast<const StringDict*>(b.columns[2].dict);
    std::set<std::string> items;
    for (int32_t k = off[r]; k < off[r + 1]; ++k)
      items.emplace(dict->entries[static_cast<size_t>(b.columns[2].child_codes[k])]);
    all_tags += items.count("a") && items.count("b c");
    bar_items += items.count("d|e");
    const int32_t color = static_cast<const int32_t*>(b.columns[3].values)[r];
    warm += color == 0 || color == 5;
  }
  CHECK(ids.size() == 30000);
  CHECK(*b.string_at(0, 0) == "VIP-1");  // the key's word goes to the first row
  CHECK(ids.count("I000000007") == 1);   // a word like a generated id is not placed twice
  CHECK(enterprise > 3000);
  CHECK(all_tags > 2000);
  CHECK(bar_items == 0);                     // CSV cannot carry an item holding `|`
  CHECK(warm == Approx(15000).margin(800));  // half the rows from the named values
  std::remove(schema_path.c_str());
  std::remove(rules_path.c_str());
}

TEST_CASE("generate any schema: every comparison is true for some rows and false for others",
          "[generate]") {
  // The point of the guide: for rule files the generator was not written for, every comparison
  // that reads a numeric or date column (directly, through lets, `days since`, arithmetic) has
  // generated customers on both sides, and the snapshot evaluates under the rules.
  for (const char* file : {"rules/winback.rules", "tests/fixtures/gen/saas.rules",
                           "tests/rules/expressions.rules", "tests/rules/sequences.rules"}) {
    INFO(file);
    const CompileResult c = compile_file(src(file));
    const ir::Program& p = *c.program;
    const int32_t as_of = date("2026-03-29");  // a Sunday, daylight saving starts in the EU
    GenerationGuide g;
    std::string err;
    REQUIRE(guide_from_program(p, p.schema, as_of, g, err));
    const std::string path = tmp("any_property.csv");
    REQUIRE(generate_schema_snapshot(p.schema, g, options(6000, 11, 2, as_of), path,
                                     SnapshotFormat::Csv, err));
    // Which comparisons read a numeric column.
    std::vector<bool> numeric(p.nodes.size(), false);
    for (size_t n = 0; n < p.nodes.size(); ++n) {
      const ir::Node& node = p.nodes[n];
      if (node.op == ir::Op::Column) {
        const FieldType t = p.schema.fields[node.index].type;
        numeric[n] = t == FieldType::Int || t == FieldType::Number || t == FieldType::Money ||
                     t == FieldType::Percent || t == FieldType::Date;
      }
      for (uint32_t a : node.args) numeric[n] = numeric[n] || numeric[a];
    }
    std::map<uint32_t, std::pair<int64_t, int64_t>> sides;  // comparison -> (false, true) rows
    std::optional<SnapshotError> rerr;
    auto reader = open_snapshot(path, p.schema, {}, rerr);
    REQUIRE(reader);
    Batch batch;
    int64_t rows = 0;
    while (reader->next(batch)) {
      PreparedAtoms atoms;
      atoms.prepare(p, batch);
      RkBatchView view{batch.columns.data(), atoms.data(), batch.num_rows, as_of, 0};
      for (int64_t r = 0; r < batch.num_rows; ++r, ++rows) {
        const auto v = evaluate_row(p, view, r);
        for (uint32_t n = 0; n < p.nodes.size(); ++n) {
          const ir::Op op = p.nodes[n].op;
          if (!numeric[n] || !(op == ir::Op::Eq || op == ir::Op::Ne || op == ir::Op::Lt ||
                               op == ir::Op::Le || op == ir::Op::Gt || op == ir::Op::Ge))
            continue;
          auto& s = sides[n];
          if (v[n].present) (v[n].i ? s.second : s.first) += 1;
        }
      }
    }
    if (reader->error()) FAIL(reader->error()->to_string());
    CHECK(rows == 6000);
    CHECK(sides.size() >= 5);
    for (const auto& [n, s] : sides) {
      INFO("comparison node " << n << ": " << s.first << " rows false, " << s.second << " true");
      CHECK(s.first > 0);
      CHECK(s.second > 0);
    }
    std::remove(path.c_str());
  }
}

TEST_CASE("generate any schema: random rule files guide snapshots that evaluate", "[generate]") {
  // Random well-typed rule files (tests/gen): the guide reads each, the snapshot evaluates under
  // it, and nearly every comparison of numeric values has rows on both sides (a few are one-sided
  // by construction: `x - 48 <= x`, `if 133 >= 203 then x else 502`; 505 of 520 at the time of
  // writing).
  const int32_t as_of = date("2026-11-01");
  int64_t both = 0, total = 0;
  // The rule file imports the schema from its own folder: imports are confined to it.
  {
    std::ifstream in(src("rules/customer.schema"));
    std::ofstream(tmp("any_random.schema")) << in.rdbuf();
  }
  for (uint64_t seed = 1; seed <= 40; ++seed) {
    testgen::RuleFileOptions ro;
    ro.seed = seed;
    ro.schema_path = "any_random.schema";
    const std::string path = tmp("any_random.rules");
    std::ofstream(path) << testgen::generate_rule_file(ro);
    const CompileResult c = compile_file(path);
    const ir::Program& p = *c.program;
    GenerationGuide g;
    std::string err;
    REQUIRE(guide_from_program(p, p.schema, as_of, g, err));
    SchemaGenerator gen(p.schema, g, options(3000, seed, 1, as_of, 65536));
    REQUIRE(gen.valid());
    Batch batch = gen.batch(0);
    PreparedAtoms atoms;
    atoms.prepare(p, batch);
    RkBatchView view{batch.columns.data(), atoms.data(), batch.num_rows, as_of, 0};
    // Comparisons of values read from numeric columns: not those of a label, status or touch
    // index (a FirstTrue or Switch below), nor one of a value with itself (`x >= x`).
    std::vector<bool> numeric(p.nodes.size(), false), indexed(p.nodes.size(), false);
    for (size_t n = 0; n < p.nodes.size(); ++n) {
      const ir::Node& node = p.nodes[n];
      if (node.op == ir::Op::Column) {
        const FieldType t = p.schema.fields[node.index].type;
        numeric[n] = t != FieldType::Bool && t != FieldType::Enum;
      }
      indexed[n] = node.op == ir::Op::FirstTrue || node.op == ir::Op::Switch;
      for (uint32_t a : node.args) {
        numeric[n] = numeric[n] || numeric[a];
        indexed[n] = indexed[n] || indexed[a];
      }
      if (node.args.size() == 2 && node.args[0] == node.args[1]) indexed[n] = true;
    }
    std::map<uint32_t, std::pair<int64_t, int64_t>> sides;
    for (int64_t r = 0; r < batch.num_rows; ++r) {
      const auto v = evaluate_row(p, view, r);
      for (uint32_t n = 0; n < p.nodes.size(); ++n) {
        const ir::Op op = p.nodes[n].op;
        if (numeric[n] && !indexed[n] && v[n].present &&
            (op == ir::Op::Eq || op == ir::Op::Ne || op == ir::Op::Lt || op == ir::Op::Le ||
             op == ir::Op::Gt || op == ir::Op::Ge))
          (v[n].i ? sides[n].second : sides[n].first) += 1;
      }
    }
    for (const auto& [n, s] : sides) {
      ++total;
      both += s.first > 0 && s.second > 0;
    }
    // The CSV of the snapshot reads back under the rules' schema.
    std::string text, error;
    REQUIRE(CsvSnapshotWriter::format_rows(p.schema, batch, text, error));
    std::optional<SnapshotError> rerr;
    auto reader = open_csv_snapshot_memory(CsvSnapshotWriter::header(p.schema) + text, "random.csv",
                                           p.schema, {}, rerr);
    REQUIRE(reader);
    Batch back;
    int64_t rows = 0;
    while (reader->next(back)) rows += back.num_rows;
    if (reader->error()) FAIL(reader->error()->to_string());
    CHECK(rows == 3000);
  }
  INFO(both << " of " << total << " comparisons on both sides");
  CHECK(total > 200);
  CHECK(static_cast<double>(both) / static_cast<double>(total) > 0.95);
}

TEST_CASE("generate any schema: a batch outlives its generator", "[generate]") {
  // List dictionaries own their strings: a batch stays readable after the generator is gone.
  const Schema s = every_type();
  GenerationGuide guide;
  guide.fields.resize(s.fields.size());
  guide.fields[9].items = {"rule item"};
  Batch b;
  std::string expected, error;
  {
    SchemaGenerator g(s, guide, options(500, 1, 1, 20758));
    b = g.batch(0);
    REQUIRE(CsvSnapshotWriter::format_rows(s, b, expected, error));
  }
  std::string after;
  REQUIRE(CsvSnapshotWriter::format_rows(s, b, after, error));
  CHECK(after == expected);
  CHECK(after.find("rule item") != std::string::npos);
}
