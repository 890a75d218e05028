// Tests of `rekindle diff` (runtime/diff.h): the playbook against modified copies on a generated
// snapshot, with exact counts checked against independent counts computed here (from the raw data,
// and from two separate evaluations compared row by row); samples in snapshot order; identical
// reports for any thread count and chunk size; schema compatibility errors; renderings.
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <tuple>

#include "base/date.h"
#include "compiler/check/compile.h"
#include "runtime/diff.h"
#include "runtime/evaluator.h"
#include "runtime/generate.h"
#include "runtime/interpreter.h"
#include "runtime/result_writer.h"

using namespace rk;

namespace {

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

int32_t as_of() {
  int32_t d = 0;
  parse_iso_date("2026-11-01", d);
  return d;
}

const std::string& snapshot() {
  static const std::string path = [] {
    const std::string p = std::string(RK_BINARY_DIR) + "/diff_test_snapshot.csv";
    std::string err;
    GenerateOptions o;
    o.rows = 30000;
    o.seed = 7;
    o.as_of = as_of();
    o.batch_rows = 8192;
    REQUIRE(generate_snapshot(o, p, SnapshotFormat::Csv, err));
    return p;
  }();
  return path;
}

std::string playbook_text() {
  return slurp(std::string(RK_SOURCE_DIR) + "/rules/winback.rules");
}

// Compiles rule text as if it lived next to the playbook (so `import "customer.schema"` works).
CompileResult compile_text(const std::string& text, const std::string& name = "modified.rules") {
  CompileResult c = compile_rules_text(std::string(RK_SOURCE_DIR) + "/rules/" + name, text);
  for (const auto& d : c.diags) INFO(render_text(c.sources, d));
  REQUIRE(c.program);
  return c;
}

std::string replace(std::string s, const std::string& from, const std::string& to) {
  const auto at = s.find(from);
  REQUIRE(at != std::string::npos);
  return s.replace(at, from.size(), to);
}

// Collects every result row as column name -> text (the review column split per rule).
class Collector final : public ResultWriter {
 public:
  explicit Collector(const ir::Program& p) : p_(p) {}
  std::vector<std::map<std::string, std::string>> rows;
  std::vector<std::string> keys;
  bool write(const Batch& batch, const int8_t* const* outputs) override {
    for (int64_t r = 0; r < batch.num_rows; ++r) {
      std::map<std::string, std::string> row;
      for (const auto& c : p_.columns) {
        if (c.kind == ir::ResultKind::Key) {
          keys.emplace_back(*batch.string_at(static_cast<size_t>(p_.schema.key_field), r));
        } else if (c.kind == ir::ResultKind::Enumerated) {
          const int v = outputs[c.outputs[0]][r];
          row[c.name] = v < 0 ? "" : c.texts[static_cast<size_t>(v)];
        } else {
          for (size_t k = 0; k < c.outputs.size(); ++k)
            row["review " + c.texts[k]] = outputs[c.outputs[k]][r] == 1 ? "1" : "0";
        }
      }
      rows.push_back(std::move(row));
    }
    return true;
  }
  bool finish() override { return true; }
  const std::string& error() const override { return err_; }

 private:
  const ir::Program& p_;
  std::string err_;
};

Collector collect(const ir::Program& p) {
  Collector c(p);
  auto x = make_interpreter(p);
  std::optional<SnapshotError> serr;
  auto reader = open_snapshot(snapshot(), p.schema, ReaderOptions{}, serr);
  REQUIRE(reader);
  EvalOptions o;
  o.as_of = as_of();
  WorkerPool pool(1);
  Summary s;
  std::string err;
  REQUIRE(evaluate(p, *x, *reader, &c, pool, o, s, err));
  return c;
}

DiffReport run_diff(const ir::Program& a, const ir::Program& b, int threads = 2,
                    int64_t chunk = 4096, int samples = 3) {
  MergedSchema m;
  std::string err;
  REQUIRE(merge_schemas(a, b, "old.rules", "new.rules", m, err));
  auto xa = make_interpreter(a);
  auto xb = make_interpreter(b);
  std::optional<SnapshotError> serr;
  ReaderOptions ro;
  ro.batch_rows = 10000;
  auto reader = open_snapshot(snapshot(), m.schema, ro, serr);
  REQUIRE(reader);
  DiffOptions o;
  o.as_of = as_of();
  o.chunk_rows = chunk;
  o.samples = samples;
  DiffReport r;
  INFO(err);
  WorkerPool pool(threads);
  REQUIRE(diff_programs(a, *xa, b, *xb, m, *reader, pool, o, r, err));
  return r;
}

const DiffCell* cell(const DiffReport& r, const std::string& col, const std::string& from,
                     const std::string& to) {
  for (const auto& c : r.columns)
    if (c.name == col)
      for (const auto& x : c.cells)
        if (x.from == from && x.to == to) return &x;
  return nullptr;
}
const DiffColumn* column(const DiffReport& r, const std::string& name) {
  for (const auto& c : r.columns)
    if (c.name == name) return &c;
  return nullptr;
}
const DiffReview* review(const DiffReport& r, const std::string& rule) {
  for (const auto& v : r.reviews)
    if (v.rule == rule) return &v;
  return nullptr;
}

// Compares a report with the transitions computed row by row from two separate evaluations.
void check_against_rows(const DiffReport& r, const Collector& a, const Collector& b,
                        size_t samples) {
  REQUIRE(a.rows.size() == b.rows.size());
  REQUIRE(r.rows == static_cast<int64_t>(a.rows.size()));
  std::map<std::tuple<std::string, std::string, std::string>, int64_t> counts;
  std::map<std::tuple<std::string, std::string, std::string>, std::vector<std::string>> firsts;
  int64_t changed = 0;
  std::vector<std::string> changed_first;
  for (size_t i = 0; i < a.rows.size(); ++i) {
    bool any = false;
    std::set<std::string> names;
    for (const auto& [k, v] : a.rows[i]) names.insert(k);
    for (const auto& [k, v] : b.rows[i]) names.insert(k);
    for (const auto& name : names) {
      const bool review_col = name.rfind("review ", 0) == 0;
      auto ia = a.rows[i].find(name), ib = b.rows[i].find(name);
      if (!review_col && (ia == a.rows[i].end() || ib == b.rows[i].end())) continue;
      const std::string va = ia == a.rows[i].end() ? "0" : ia->second;
      const std::string vb = ib == b.rows[i].end() ? "0" : ib->second;
      auto key = std::make_tuple(name, va, vb);
      ++counts[key];
      if (va != vb) {
        any = true;
        if (firsts[key].size() < samples) firsts[key].push_back(a.keys[i]);
      }
    }
    if (any) {
      ++changed;
      if (changed_first.size() < samples) changed_first.push_back(a.keys[i]);
    }
  }
  CHECK(r.changed == changed);
  CHECK(r.changed_samples == changed_first);
  int64_t cells = 0;
  for (const auto& [key, n] : counts) {
    const auto& [name, va, vb] = key;
    INFO(name << ": " << va << " -> " << vb);
    if (name.rfind("review ", 0) == 0) {
      const DiffReview* v = review(r, name.substr(7));
      REQUIRE(v);
      if (va == "0" && vb == "1") {
        CHECK(v->enter == n);
        CHECK(v->enter_samples == firsts[key]);
      } else if (va == "1" && vb == "0") {
        CHECK(v->leave == n);
        CHECK(v->leave_samples == firsts[key]);
      } else if (va == "1") {
        CHECK(v->stay == n);
      }
      continue;
    }
    const DiffCell* c = cell(r, name, va, vb);
    REQUIRE(c);
    CHECK(c->count == n);
    CHECK(c->samples == firsts[key]);
    ++cells;
  }
  int64_t report_cells = 0;
  for (const auto& c : r.columns) report_cells += static_cast<int64_t>(c.cells.size());
  CHECK(report_cells == cells);
}

}  // namespace

TEST_CASE("diff: identical rules change nobody", "[diff]") {
  CompileResult a = compile_text(playbook_text(), "winback.rules");
  const DiffReport r = run_diff(*a.program, *a.program);
  CHECK(r.rows == 30000);
  CHECK(r.changed == 0);
  for (const auto& c : r.columns) {
    CHECK(c.changed == 0);
    for (const auto& x : c.cells) CHECK(!x.changed());
  }
  CHECK(r.columns_only_old.empty());
  CHECK(r.columns_only_new.empty());
  CHECK(diff_markdown(r, {}).find("0 of 30,000 customers change (0.0%)") != std::string::npos);
}

TEST_CASE("diff: raising whale_aov moves exactly the customers between the two thresholds",
          "[diff]") {
  CompileResult a = compile_text(playbook_text(), "winback.rules");
  CompileResult b = compile_text(
      replace(playbook_text(), "parameter whale_aov = $250", "parameter whale_aov = $300"));
  const DiffReport r = run_diff(*a.program, *b.program);

  // Independent count from the raw data: whale -> mid is exactly 250 <= aov < 300.
  std::optional<SnapshotError> serr;
  auto reader = open_snapshot(snapshot(), a.program->schema, ReaderOptions{}, serr);
  REQUIRE(reader);
  const int aov = a.program->schema.find("avg_order_value");
  const int key = a.program->schema.key_field;
  int64_t moved = 0, whales = 0;
  std::vector<std::string> first;
  Batch batch;
  while (reader->next(batch)) {
    const auto* v = static_cast<const double*>(batch.columns[aov].values);
    for (int64_t i = 0; i < batch.num_rows; ++i) {
      if (v[i] >= 250 && v[i] < 300) {
        ++moved;
        if (first.size() < 3) first.emplace_back(*batch.string_at(key, i));
      }
      if (v[i] >= 300) ++whales;
    }
  }
  REQUIRE(moved > 0);
  const DiffCell* c = cell(r, "value_tier", "whale", "mid");
  REQUIRE(c);
  CHECK(c->count == moved);
  CHECK(c->samples == first);
  CHECK(cell(r, "value_tier", "whale", "whale")->count == whales);
  CHECK(column(r, "value_tier")->changed == moved);
  CHECK(column(r, "dormancy")->changed == 0);
  // Nobody becomes a whale, and high_value review can only be left.
  CHECK(review(r, "high_value")->enter == 0);
  CHECK(review(r, "high_value")->leave > 0);

  // Everything else agrees with two separate evaluations compared row by row.
  check_against_rows(r, collect(*a.program), collect(*b.program), 3);
}

TEST_CASE("diff: removing a stop rule, any thread count and chunk size gives the same report",
          "[diff]") {
  CompileResult a = compile_text(playbook_text(), "winback.rules");
  const std::string no_deliverability = replace(
      playbook_text(),
      "stop deliverability when email_bounce_rate > max_bounce_rate and sms_consent is not true\n"
      "  because \"Email deliverability risk\"",
      "");
  CompileResult b = compile_text(no_deliverability);
  const DiffReport r = run_diff(*a.program, *b.program, 1, 100000, 4);
  const Collector ca = collect(*a.program), cb = collect(*b.program);
  check_against_rows(r, ca, cb, 4);
  // Customers stopped by deliverability are no longer stopped by it; some are caught by a later
  // stop (poor_fit), the rest stop being stopped.
  int64_t freed = 0, caught = 0;
  for (size_t i = 0; i < ca.rows.size(); ++i)
    if (ca.rows[i].at("stopped_by") == "deliverability")
      ++(cb.rows[i].at("stopped_by").empty() ? freed : caught);
  REQUIRE(freed > 0);
  CHECK(cell(r, "stopped_by", "deliverability", "")->count == freed);
  const DiffCell* pf = cell(r, "stopped_by", "deliverability", "poor_fit");
  CHECK((pf ? pf->count : 0) == caught);
  CHECK(column(r, "stopped_by")->values_removed == std::vector<std::string>{"deliverability"});
  const std::string text = diff_text(r, {"a.rules", "b.rules", "s.csv", "2026-11-01", "interp"});
  CHECK(text.find("stop   by deliverability") != std::string::npos);
  const std::string md = diff_markdown(r, {"a.rules", "b.rules", "s.csv", "2026-11-01", ""});
  CHECK(md.find("| stop being stopped | deliverability | " + group_thousands(freed) + " |") !=
        std::string::npos);

  for (int threads : {2, 4})
    for (int64_t chunk : {int64_t{1000}, int64_t{7}}) {
      const DiffReport r2 = run_diff(*a.program, *b.program, threads, chunk, 4);
      CHECK(diff_json(r2, {}) == diff_json(r, {}));
    }
}

TEST_CASE("diff: a label added and a review rule added", "[diff]") {
  CompileResult a = compile_text(playbook_text(), "winback.rules");
  std::string t = replace(playbook_text(), "  whale when avg_order_value >= whale_aov",
                          "  vip   when avg_order_value >= $1000\n"
                          "  whale when avg_order_value >= whale_aov");
  t += "\nreview paid_whale when acquisition is paid and value_tier is whale\n";
  CompileResult b = compile_text(t);
  const DiffReport r = run_diff(*a.program, *b.program);
  CHECK(column(r, "value_tier")->values_added == std::vector<std::string>{"vip"});
  const DiffReview* v = review(r, "paid_whale");
  REQUIRE(v);
  CHECK(!v->in_old);
  CHECK(v->in_new);
  CHECK(v->leave == 0);
  check_against_rows(r, collect(*a.program), collect(*b.program), 3);
  const std::string json = diff_json(r, {});
  CHECK(json.find("\"values_added\": [\n        \"vip\"") != std::string::npos);
}

TEST_CASE("diff: schemas that read a field differently are an error", "[diff]") {
  namespace fs = std::filesystem;
  const fs::path dir = fs::path(RK_BINARY_DIR) / "diff_schema_test";
  fs::create_directories(dir);
  std::string schema = slurp(std::string(RK_SOURCE_DIR) + "/rules/customer.schema");
  {
    std::ofstream(dir / "customer.schema")
        << replace(schema, "field orders_total: int", "field orders_total: number");
  }
  CompileResult a = compile_text(playbook_text(), "winback.rules");
  CompileResult b = compile_rules_text((dir / "new.rules").string(), playbook_text());
  REQUIRE(b.program);
  MergedSchema m;
  std::string err;
  CHECK_FALSE(merge_schemas(*a.program, *b.program, "old.rules", "new.rules", m, err));
  CHECK(err ==
        "the two rule files read the snapshot differently: `orders_total` is int in old.rules "
        "but number in new.rules");

  // A field only one version reads may differ in the other schema; the merged schema keeps
  // what is read, and nullability is the strictest of the two.
  {
    std::ofstream(dir / "customer.schema")
        << replace(replace(schema, "field email_opens_90d: int", "field email_opens_90d: int?"),
                   "field purchases_90d: int", "field purchases_90d: number");
  }
  const std::string t =
      replace(playbook_text(),
              "  clicks_no_purchase when email_clicks_90d > 0 and purchases_90d = 0\n", "");
  CompileResult c = compile_rules_text((dir / "new2.rules").string(), t);
  REQUIRE(c.program);
  REQUIRE(merge_schemas(*a.program, *c.program, "old.rules", "new.rules", m, err));
  const int opens = m.schema.find("email_opens_90d");
  REQUIRE(opens >= 0);
  CHECK_FALSE(m.schema.fields[opens].nullable);
  const int purchases = m.schema.find("purchases_90d");
  REQUIRE(purchases >= 0);
  CHECK(m.schema.fields[purchases].type == FieldType::Int);
  CHECK(m.new_fields[c.program->schema.find("purchases_90d")] == -1);
  CHECK(m.schema.key_field >= 0);
  CHECK(m.schema.fields[m.schema.key_field].name == "customer_id");
  const DiffReport r = run_diff(*a.program, *c.program);
  check_against_rows(r, collect(*a.program), collect(*c.program), 3);
}

TEST_CASE("diff: headline and thousands", "[diff]") {
  CHECK(group_thousands(0) == "0");
  CHECK(group_thousands(999) == "999");
  CHECK(group_thousands(1234) == "1,234");
  CHECK(group_thousands(1234567) == "1,234,567");
  DiffReport r;
  r.rows = 3000;
  r.changed = 1234;
  const std::string md = diff_markdown(r, {"old.rules", "new.rules", "s.csv", "2026-11-01", ""});
  CHECK(md.rfind("### Rekindle: 1,234 of 3,000 customers change (41.1%)\n", 0) == 0);
  CHECK(diff_text(r, {"old.rules", "new.rules", "s.csv", "2026-11-01", "jit"})
            .find("1,234 of 3,000 customers change (41.1%)") != std::string::npos);
}

TEST_CASE("diff: touches moved are said up front, and progress by name is never renumbered",
          "[diff]") {
  CompileResult a = compile_text(playbook_text(), "winback.rules");
  // winback_offer moved before social_proof, and a touch added at the end.
  const std::string block =
      "  touch social_proof via email\n"
      "  touch scarcity via (if sms_consent is true then sms else email) offer early_access\n"
      "    only when dormancy is deep\n"
      "  touch winback_offer via email\n"
      "    offer (if value_tier is whale then discount 15% else discount 20%)\n"
      "  touch final_nudge via email\n";
  const std::string moved =
      "  touch winback_offer via email\n"
      "    offer (if value_tier is whale then discount 15% else discount 20%)\n"
      "  touch social_proof via email\n"
      "  touch scarcity via (if sms_consent is true then sms else email) offer early_access\n"
      "    only when dormancy is deep\n"
      "  touch final_nudge via email\n"
      "  touch goodbye via email\n";
  const std::string t = replace(playbook_text(), block, moved);
  CompileResult b = compile_text(t);
  const std::vector<TouchRenumbering> r = touch_renumberings(*a.program, *b.program);
  REQUIRE(r.size() == 4);
  CHECK(r[0].sequence == "winback");
  CHECK(r[0].progress_field == "last_touch");
  CHECK(r[0].number == 4);
  CHECK(r[0].old_touch == "social_proof");
  CHECK(r[0].new_touch == "winback_offer");
  CHECK((r[1].number == 5 && r[1].old_touch == "scarcity" && r[1].new_touch == "social_proof"));
  CHECK((r[2].number == 6 && r[2].old_touch == "winback_offer" && r[2].new_touch == "scarcity"));
  CHECK((r[3].number == 8 && r[3].old_touch.empty() && r[3].new_touch == "goodbye"));
  const DiffReport report = run_diff(*a.program, *b.program);
  CHECK(report.renumbered.size() == 4);
  const std::string text = diff_text(report, {});
  const auto warn = text.find(
      "warning: touches renumbered in sequence winback (last_touch counts "
      "touches by number):\n"
      "  customers at touch 4 would now get winback_offer instead of "
      "social_proof\n");
  CHECK(warn != std::string::npos);
  CHECK(warn < text.find("columns:"));  // up front, before the moves
  CHECK(text.find("customers at touch 8 would now get goodbye instead of being exhausted") !=
        std::string::npos);
  CHECK(diff_json(report, {}).find("\"touches_renumbered\"") != std::string::npos);
  CHECK(diff_markdown(report, {}).find("Warning: touches renumbered") != std::string::npos);
  // The same rules unchanged: nothing renumbered.
  CHECK(touch_renumberings(*a.program, *a.program).empty());
}

TEST_CASE("diff: a sequence whose progress is by touch name is not renumbered", "[diff]") {
  const std::string dir = std::string(RK_SOURCE_DIR) + "/tests/rules/";
  const std::string before = slurp(dir + "steps.rules");
  const std::string after = replace(before, "  touch hello via email\n  touch picks via email\n",
                                    "  touch picks via email\n  touch hello via email\n");
  CompileResult a = compile_rules_text(dir + "steps.rules", before);
  CompileResult b = compile_rules_text(dir + "moved.rules", after);
  REQUIRE(a.program);
  REQUIRE(b.program);
  CHECK(a.program->layout.sequences[0].progress_by_name);
  CHECK(touch_renumberings(*a.program, *b.program).empty());
}
