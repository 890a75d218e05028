// Tests of `rekindle explain` (runtime/explain.h): the one-row evaluator equals the interpreter on
// every row of a generated snapshot; the explanation's sequence walk agrees with the evaluation,
// for the playbook and for random rule files (every construct, taken apart through the source
// map); exact explanations of known customers (a fail-closed stop on a missing value, a due whale
// with a discount review); --given and customer lookup errors.
#include <catch2/catch.hpp>
#include <string>

#include "base/date.h"
#include "compiler/check/compile.h"
#include "runtime/atoms.h"
#include "runtime/csv_reader.h"
#include "runtime/evaluator.h"
#include "runtime/explain.h"
#include "runtime/generate.h"
#include "runtime/interpreter.h"
#include "tests/gen/rule_file_gen.h"

using namespace rk;

namespace {

const std::string kRules = std::string(RK_SOURCE_DIR) + "/rules/winback.rules";

int32_t as_of() {
  int32_t d = 0;
  parse_iso_date("2026-11-01", d);
  return d;
}

// "path:line" of the first line of the playbook that starts (after indentation) with `decl`,
// so the expectations follow edits elsewhere in the file.
std::string at(const std::string& decl) {
  const CompileResult& c = compile_rules(kRules);
  const std::string& text = c.sources.file(0).text;
  size_t line = 1, start = 0;
  while (start < text.size()) {
    const size_t end = text.find('\n', start);
    std::string l = text.substr(start, end == std::string::npos ? std::string::npos : end - start);
    l.erase(0, l.find_first_not_of(' '));
    if (l.rfind(decl, 0) == 0) return kRules + ":" + std::to_string(line);
    if (end == std::string::npos) break;
    start = end + 1;
    ++line;
  }
  FAIL("no line starts with " << decl);
  return {};
}

const CompileResult& playbook() {
  static const CompileResult c = compile_rules(kRules);
  REQUIRE(c.program);
  return c;
}

std::vector<std::string> base_fields() {
  return {"customer_id=Z1",      "last_purchase_date=2026-06-01",
          "orders_total=3",      "avg_order_value=80",
          "is_subscriber=false", "email_opens_90d=0",
          "email_clicks_90d=0",  "purchases_90d=0",
          "categories=apparel",  "acquisition_channel=email",
          "email_consent=true",  "sms_consent=false",
          "opted_out=false",     "spam_complaints_90d=0",
          "last_touch=0",        "responded=false"};
}

std::string explain_given(const std::vector<std::string>& given) {
  Batch b;
  std::string err;
  INFO(err);
  REQUIRE(given_batch(playbook().program->schema, given, b, err));
  Explanation e;
  REQUIRE(explain_row(playbook(), b, 0, as_of(), e, err));
  return explain_text(e);
}

std::string section(const std::string& text, const std::string& from, const std::string& to) {
  const auto a = text.find(from);
  REQUIRE(a != std::string::npos);
  const auto b = to.empty() ? std::string::npos : text.find(to, a + 1);
  return text.substr(a, b == std::string::npos ? std::string::npos : b - a);
}

}  // namespace

TEST_CASE("explain: the one-row evaluator equals the interpreter on every row", "[explain]") {
  const ir::Program& p = *playbook().program;
  GenerateOptions o;
  o.rows = 6000;
  o.seed = 11;
  o.as_of = as_of();
  o.batch_rows = 6000;
  const Batch batch = generate_batch(o, 0);
  PreparedAtoms atoms;
  atoms.prepare(p, batch);
  const RkBatchView view{batch.columns.data(), atoms.data(), batch.num_rows, as_of(), 0};
  std::vector<std::vector<int8_t>> buf(p.outputs.size(),
                                       std::vector<int8_t>(static_cast<size_t>(batch.num_rows)));
  std::vector<int8_t*> ptr;
  for (auto& b : buf) ptr.push_back(b.data());
  const RkResultView results{ptr.data(), batch.num_rows};
  make_interpreter(p)->run(view, results, 0, batch.num_rows);
  int64_t mismatches = 0, walked = 0;
  for (int64_t r = 0; r < batch.num_rows; ++r) {
    const auto v = evaluate_row(p, view, r);
    for (size_t k = 0; k < p.outputs.size(); ++k) {
      const NodeValue& x = v[p.outputs[k].node];
      const int8_t got = x.present ? static_cast<int8_t>(x.i) : int8_t{-1};
      if (got != buf[k][static_cast<size_t>(r)]) ++mismatches;
    }
    if (r % 5 == 0) {
      // The explanation's step-by-step sequence walk reaches the status the program computed.
      Explanation e;
      std::string err;
      REQUIRE(explain_row(playbook(), batch, r, as_of(), e, err));
      REQUIRE(e.sequences.size() == 1);
      for (const auto& s : e.sequences[0].steps) {
        INFO(explain_text(e));
        REQUIRE(s.text.find("(note:") == std::string::npos);
      }
      const auto& status_col = p.columns[p.columns.size() - 5];
      REQUIRE(status_col.name == "winback_status");
      CHECK(e.sequences[0].status ==
            status_col.texts[static_cast<size_t>(buf[status_col.outputs[0]][r])]);
      ++walked;
    }
  }
  CHECK(mismatches == 0);
  CHECK(walked == 1200);
}

TEST_CASE("explain: random rule files: every rule explained, every sequence walk agrees",
          "[explain]") {
  GenerateOptions g;
  g.rows = 400;
  g.seed = 5;
  g.as_of = as_of();
  g.batch_rows = 400;
  const Batch batch = generate_batch(g, 0);
  int explained = 0;
  for (uint64_t seed = 1; seed <= 30; ++seed) {
    testgen::RuleFileOptions o;
    o.seed = seed;
    o.schema_path = "customer.schema";  // next to rules/random.rules
    o.messy = seed % 2 == 0;
    o.comments = seed % 3 == 0;
    const std::string text = testgen::generate_rule_file(o);
    const CompileResult c =
        compile_rules_text(std::string(RK_SOURCE_DIR) + "/rules/random.rules", text);
    INFO("seed " << seed << "\n" << text);
    REQUIRE(c.program);
    for (int64_t r = 0; r < batch.num_rows; r += 7) {
      Explanation e;
      std::string err;
      REQUIRE(explain_row(c, batch, r, as_of(), e, err));
      INFO(explain_text(e));
      for (const auto& q : e.sequences) {
        // The walk through the map's sequence clauses reaches the program's status.
        for (const auto& s : q.steps) REQUIRE(s.text.find("(note:") == std::string::npos);
        REQUIRE(!q.steps.empty());
      }
      // Every rule with a condition has its text and value; leaves list what they read.
      auto check_rule = [&](const ExplainRule& x) {
        if (x.kind == "otherwise") return;
        CHECK(!x.condition.empty());
        CHECK((x.value == "true" || x.value == "false" || x.value == "unknown"));
        for (const auto& cl : x.clauses) CHECK(!cl.text.empty());
      };
      for (const auto& f : e.families)
        for (const auto& x : f.rules) check_rule(x);
      for (const auto& x : e.stops) check_rule(x);
      for (const auto& x : e.reviews) check_rule(x);
      if (e.has_candidate_rule) check_rule(e.candidate_rule);
      CHECK(!explain_json(e).empty());
      ++explained;
    }
  }
  CHECK(explained == 30 * 58);
}

TEST_CASE("explain: a fail-closed stop on a missing value", "[explain]") {
  const std::string t = explain_given(base_fields());
  CHECK(t.rfind("customer customer_id = Z1, as of 2026-11-01 (" + kRules + ")\n", 0) == 0);
  CHECK(
      section(t, "\nstops:", "\nsequence") ==
      "\nstops: stopped by deliverability\n"
      "  stop opted_out (" +
          at("stop opted_out") +
          "): does not fire\n"
          "    opted_out   false    (opted_out = false)\n"
          "  stop no_permission (" +
          at("stop no_permission") +
          "): does not fire\n"
          "    not (email_consent is true or sms_consent is true)   false\n"
          "      email_consent is true or sms_consent is true       true\n"
          "        email_consent is true                            true     (email_consent = "
          "true)\n"
          "        sms_consent is true                              false    (sms_consent = "
          "false)\n"
          "  stop complaint (" +
          at("stop complaint") +
          "): does not fire\n"
          "    ## A missing relationship flag means nothing is on record, so it is not "
          "legal_hold.\n"
          "    spam_complaints_90d > 0           false    (spam_complaints_90d = 0)\n"
          "    relationship_flag is legal_hold   false    (relationship_flag is missing)\n"
          "  stop deliverability (" +
          at("stop deliverability") +
          "): FIRES (fail closed: unknown)\n"
          "    ## A missing bounce rate cannot be decided, so it counts as a risk (fail closed).\n"
          "    email_bounce_rate > max_bounce_rate   unknown  (email_bounce_rate is missing)\n"
          "    sms_consent is not true               true     (sms_consent = false)\n"
          "  stop poor_fit (" +
          at("stop poor_fit") + "): not reached (deliverability fired first)\n");
  CHECK(
      section(t, "\nsequence", "") ==
      "\nsequence winback: stopped\n"
      "  ## Seven touches that escalate slowly: attention, relevance, small rewards, discounts, a "
      "last nudge.\n"
      "  entered: candidate = true\n"
      "  stopped by deliverability\n"
      "\n"
      "review: review applies only to customers with a touch due (winback is stopped)\n");
  CHECK(section(t, "  dormancy =", "  value_tier") ==
        "  dormancy = critical  (label " + at("critical ") +
            ": MATCHES)\n"
            "    ## How long the customer has been quiet.\n"
            "    before it: never_purchased false, active false, early_warning false, active_risk "
            "false\n"
            "    days_dormant in 120 to 179 days   true     (days_dormant = 153 days)\n");
  CHECK(section(t, "  margin =", "  history") ==
        "  margin = unknown_margin  (label " + at("unknown_margin ") +
            ": MATCHES)\n"
            "    gross_margin_pct is missing   true     (gross_margin_pct is missing)\n");
}

TEST_CASE("explain: a due whale with a discount review", "[explain]") {
  auto f = base_fields();
  f[0] = "customer_id=W1";
  f[3] = "avg_order_value=300";
  f[14] = "last_touch=4";
  f.push_back("last_touch_date=2026-10-01");
  f.push_back("email_bounce_rate=0.01");
  const std::string t = explain_given(f);
  CHECK(section(t, "  value_tier =", "  margin") ==
        "  value_tier = whale  (label " + at("whale when") +
            ": MATCHES)\n"
            "    avg_order_value >= whale_aov   true     (avg_order_value = 300.00)\n");
  CHECK(
      section(t, "\nsequence", "") ==
      "\nsequence winback: due - touch 6 winback_offer via email, offer discount 15%\n"
      "  ## Seven touches that escalate slowly: attention, relevance, small rewards, discounts, a "
      "last nudge.\n"
      "  entered: candidate = true\n"
      "  no stop rule fired\n"
      "  holdout 5% salt \"winback\": bucket 36 of 100 is not below 5\n"
      "  exit responded (" +
          at("exit responded") +
          "): does not exit (false)\n"
          "    last_touch > 0   true     (last_touch = 4)\n"
          "    responded        false    (responded = false)\n"
          "  last touch 4 (last_touch = 4)\n"
          "  touch 5 scarcity skipped: only when dormancy is deep: false\n"
          "    dormancy is deep   false    (dormancy = critical)\n"
          "  next touch: 6 winback_offer (" +
          at("touch winback_offer") +
          ")\n"
          "  31 days since the last touch on 2026-10-01; wait touch_interval (7 days): passed\n"
          "  channel email requires email_consent is true: true\n"
          "    email_consent is true   true     (email_consent = true)\n"
          "  due: touch 6 winback_offer via email, offer discount 15%\n"
          "\n"
          "review: high_value, discount\n"
          "  review sensitive_history (" +
          at("review sensitive_history") +
          "): does not fire\n"
          "    ## A missing flag means nothing is on record.\n"
          "    relationship_flag is one of {complaint, chargeback, bereavement}   false    "
          "(relationship_flag is missing)\n"
          "  review high_value (" +
          at("review high_value") +
          "): FIRES\n"
          "    value_tier is whale   true     (value_tier = whale)\n"
          "  review discount (" +
          at("review discount") +
          "): FIRES\n"
          "    winback.offer is discount   true     (winback.offer = discount 15%)\n");
  // JSON carries the same facts for tools.
  Batch b;
  std::string err;
  REQUIRE(given_batch(playbook().program->schema, f, b, err));
  Explanation e;
  REQUIRE(explain_row(playbook(), b, 0, as_of(), e, err));
  const std::string j = explain_json(e);
  CHECK(j.find("\"fired\": [\n      \"high_value\",\n      \"discount\"\n    ]") !=
        std::string::npos);
  // Doc comments (`##`) of families, rules and sequences are part of the explanation.
  CHECK(j.find("\"doc\": \"How long the customer has been quiet.\"") != std::string::npos);
  CHECK(j.find("\"doc\": \"A missing flag means nothing is on record.\"") != std::string::npos);
  CHECK(e.sequences[0].doc.rfind("Seven touches that escalate slowly", 0) == 0);
  CHECK(e.sequences[0].touch == 6);
  CHECK(e.sequences[0].offer == "discount 15%");
}

TEST_CASE("explain: --given errors and customer lookup", "[explain]") {
  const Schema& s = playbook().program->schema;
  Batch b;
  std::string err;
  CHECK_FALSE(given_batch(s, {"customer_id=Z", "orders_total=2"}, b, err));
  CHECK(err ==
        "--given: these fields cannot be missing and have no value: avg_order_value, "
        "is_subscriber, email_opens_90d, email_clicks_90d, purchases_90d, categories, "
        "acquisition_channel, opted_out, spam_complaints_90d, last_touch, responded (give each "
        "as --given FIELD=VALUE; fields marked `?` in the schema may be left out)");
  CHECK_FALSE(given_batch(s, {"orders_totl=2"}, b, err));
  CHECK(err ==
        "--given orders_totl=2: the schema has no field `orders_totl` (did you mean "
        "`orders_total`?)");
  CHECK_FALSE(given_batch(s, {"orders_total"}, b, err));
  CHECK(err == "--given orders_total: expected FIELD=VALUE");
  auto f = base_fields();
  f[2] = "orders_total=three";
  CHECK_FALSE(given_batch(s, f, b, err));
  CHECK(err.rfind("--given orders_total=three: ", 0) == 0);
  f = base_fields();
  f.push_back("orders_total=4");
  CHECK_FALSE(given_batch(s, f, b, err));
  CHECK(err == "--given orders_total=4: field `orders_total` is given twice");

  // Values with commas and quotes survive (the builder quotes them).
  f = base_fields();
  f[0] = "customer_id=a,\"b\"";
  REQUIRE(given_batch(s, f, b, err));
  CHECK(*b.string_at(static_cast<size_t>(s.key_field), 0) == "a,\"b\"");

  std::string csv =
      "customer_id,last_purchase_date,last_engagement_date,orders_total,avg_order_value,"
      "gross_margin_pct,is_subscriber,email_opens_90d,email_clicks_90d,purchases_90d,categories,"
      "acquisition_channel,email_consent,sms_consent,opted_out,relationship_flag,"
      "spam_complaints_90d,email_bounce_rate,last_touch,last_touch_date,responded\n";
  for (const char* id : {"A", "B", "C"})
    csv += std::string(id) +
           ",2026-01-01,,2,80,,false,0,0,0,home,email,true,,false,,0,0.01,0,,false\n";
  std::optional<SnapshotError> serr;
  auto reader = open_csv_snapshot_memory(csv, "mem.csv", s, ReaderOptions{}, serr);
  REQUIRE(reader);
  int64_t row = -1;
  REQUIRE(find_customer(*reader, s, "B", "mem.csv", b, row, err));
  CHECK(row == 1);
  reader = open_csv_snapshot_memory(csv, "mem.csv", s, ReaderOptions{}, serr);
  CHECK_FALSE(find_customer(*reader, s, "Q", "mem.csv", b, row, err));
  CHECK(err == "customer `Q` is not in mem.csv (no row has customer_id = Q)");
}

TEST_CASE("explain: values are shown by their type, dates as dates whatever the year",
          "[explain]") {
  // A date-valued let was shown as a raw number of days (20639), also beyond the year 9999.
  const CompileResult c = compile_rules_text(std::string(RK_SOURCE_DIR) + "/rules/dates.rules",
                                             "import \"customer.schema\"\n"
                                             "let next_due = last_purchase_date + 30 days\n"
                                             "let margin = gross_margin_pct\n"
                                             "candidate when next_due < today and margin > 10%\n");
  REQUIRE(c.program);
  auto explain_given = [&](const std::string& date) {
    std::vector<std::string> given = base_fields();
    for (auto& g : given)
      if (g.rfind("last_purchase_date=", 0) == 0) g = "last_purchase_date=" + date;
    given.push_back("gross_margin_pct=0.35");
    Batch b;
    std::string err;
    REQUIRE(given_batch(c.program->schema, given, b, err));
    Explanation e;
    REQUIRE(explain_row(c, b, 0, as_of(), e, err));
    return explain_text(e);
  };
  const std::string near = explain_given("2026-06-01");
  CHECK(near.find("next_due = 2026-07-01") != std::string::npos);
  CHECK(near.find("margin = 35%") != std::string::npos);
  const std::string far = explain_given("9999-12-20");
  CHECK(far.find("next_due = 10000-01-19") != std::string::npos);
}

TEST_CASE("explain: a score shows which lines gave its points", "[explain]") {
  // Lines whose condition is false or unknown add nothing; a score read by a segment shows its
  // value among what the segment read.
  const CompileResult c = compile_rules_text(std::string(RK_SOURCE_DIR) + "/rules/score.rules",
                                             "import \"customer.schema\"\n"
                                             "score risk {\n"
                                             "  30 points when orders_total >= 3\n"
                                             "  15 points when gross_margin_pct is missing\n"
                                             "  10 points when email_bounce_rate > 2%\n"
                                             "  -10 points when is_subscriber\n"
                                             "  1 point when opted_out\n"
                                             "}\n"
                                             "segment band {\n"
                                             "  high when risk >= 25\n"
                                             "  otherwise low\n"
                                             "}\n");
  REQUIRE(c.program);
  std::vector<std::string> given = base_fields();
  for (auto& g : given)
    if (g.rfind("is_subscriber=", 0) == 0) g = "is_subscriber=true";
  Batch b;
  std::string err;
  REQUIRE(given_batch(c.program->schema, given, b, err));
  Explanation e;
  REQUIRE(explain_row(c, b, 0, as_of(), e, err));
  REQUIRE(e.scores.size() == 1);
  const ExplainScore& s = e.scores[0];
  CHECK(s.value == "35");  // 30 + 15 - 10; the bounce rate is missing: unknown adds nothing
  REQUIRE(s.lines.size() == 5);
  CHECK(s.lines[0].verdict == "+30");
  CHECK(s.lines[1].verdict == "+15");
  CHECK(s.lines[2].verdict == "adds nothing (unknown)");
  CHECK(s.lines[3].verdict == "-10");
  CHECK(s.lines[4].verdict == "adds nothing (false)");
  const std::string text = explain_text(e);
  CHECK(text.find("  risk = 35\n") != std::string::npos);
  CHECK(text.find("1 point when opted_out") != std::string::npos);
  CHECK(text.find("(email_bounce_rate is missing)") != std::string::npos);
  CHECK(text.find("(risk = 35)") != std::string::npos);
  const std::string json = explain_json(e);
  CHECK(json.find("\"scores\"") != std::string::npos);
  CHECK(json.find("\"value\": 35,") != std::string::npos);
}

TEST_CASE("explain: the owner of a reviewed customer, from the field or the default", "[explain]") {
  const CompileResult c =
      compile_rules(std::string(RK_SOURCE_DIR) + "/tests/rules/send_times.rules");
  REQUIRE(c.program);
  auto explain_given = [&](std::vector<std::string> given) {
    Batch b;
    std::string err;
    REQUIRE(given_batch(c.program->schema, given, b, err));
    Explanation e;
    REQUIRE(explain_row(c, b, 0, as_of(), e, err));
    return e;
  };
  const Explanation named =
      explain_given({"id=A", "email_ok=true", "spend=600", "last_touch=0", "csm=zoë"});
  CHECK(named.owner == "zoë");
  CHECK(named.owner_from == "csm");
  CHECK(explain_text(named).find("owner: zoë (csm)\n") != std::string::npos);
  CHECK(explain_json(named).find("\"owner\": \"zoë\"") != std::string::npos);
  const Explanation fallback =
      explain_given({"id=A", "email_ok=true", "spend=600", "last_touch=0"});
  CHECK(fallback.owner == "marketing-ops");
  CHECK(explain_text(fallback).find("owner: marketing-ops (the default: csm is missing)") !=
        std::string::npos);
  // No review: no owner.
  const Explanation none = explain_given({"id=A", "email_ok=true", "spend=6", "last_touch=0"});
  CHECK(none.owner_from.empty());
  CHECK(explain_json(none).find("\"owner\": null") != std::string::npos);
}
