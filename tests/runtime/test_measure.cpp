// Rekindle tests: `rekindle measure` as a library (runtime/measure/). A hand-computed scenario
// (every metric, the window's edges, repeated units, two runs, nulls, variants, the sample-ratio
// check), repeated units in any order of customers, the outcomes' errors (row and column named),
// two independent Python oracles (tests/oracle/measure_oracle.py and the whole program's
// tests/oracle/program_oracle.py) on adversarial inputs, the outcomes generator's planted and null
// effects, and the HTML report's self-containment. The event reader: test_measure_events.cpp.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "compiler/check/compile.h"
#include "runtime/measure/events.h"
#include "runtime/measure/gen_outcomes.h"
#include "runtime/measure/measure.h"
#include "runtime/measure/plan.h"
#include "tests/runtime/measure_test_util.h"

using nlohmann::json;
using namespace rk::measure;
using namespace rk_measure_test;
namespace fs = std::filesystem;

namespace {

struct Scenario {
  TempDir dir;
  std::vector<std::string> events;
  std::string outcomes;
  Scenario() {
    const std::string r1 = "2026-11-01/abcd0001", r2 = "2026-11-08/abcd0001";
    std::string e1;
    e1 += event(r1, "2026-11-01", "A", "welcome_back", "due", 1, "welcome", nullptr, "email",
                "none", nullptr, "deep", "paid", 0);
    e1 += event(r1, "2026-11-01", "A", "winback", "due", 1, "pattern_interrupt", "curiosity",
                "email", "none");
    e1 += event(r1, "2026-11-01", "B", "winback", "due", 1, "pattern_interrupt", "personal",
                "email", "none", nullptr, "deep", nullptr);
    e1 += "\n";  // a blank line is skipped
    e1 += event(r1, "2026-11-01", "C", "winback", "due", 3, "soft_incentive", nullptr, "sms",
                "credit 10", nullptr, "critical", "owned");
    e1 += event(r1, "2026-11-01", "D", "winback", "holdout", nullptr, nullptr, nullptr, nullptr,
                nullptr, due_wb(1, "pattern_interrupt", "curiosity", "email", "none"));
    e1 += event(r1, "2026-11-01", "E", "winback", "holdout", nullptr, nullptr, nullptr, nullptr,
                nullptr, kNotDue);
    e1 += event(r1, "2026-11-01", "F", "winback", "stopped");
    e1 += event(r1, "2026-11-01", "G", "winback", "waiting");
    // The same unit again: the first read counts.
    e1 += event(r1, "2026-11-01", "A", "winback", "stopped");
    std::string e2 = event(r2, "2026-11-08", "A", "winback", "due", 2, "recommendation", nullptr,
                           "email", "none");
    events = {dir.file("e1.jsonl", e1), dir.file("e2.jsonl", e2)};
    outcomes = dir.file("outcomes.csv",
                        "customer_id,date,kind,revenue,incentive_cost\n"
                        "A,2026-11-03,purchase,100,5\n"
                        "A,2026-11-10,purchase,50,\n"
                        "A,2027-01-20,purchase,30,\n"
                        "A,2027-02-01,purchase,1000,\n"
                        "B,2026-11-01,purchase,999,\n"  // on the as-of date: does not count
                        "B,2026-12-01,purchase,20,\n"   // day 30: counts
                        "B,2026-11-05,unsubscribe,,\n"
                        "C,2026-12-02,purchase,40,\n"  // day 31: outside the window
                        "C,2026-11-02,complaint,,\n"
                        "D,2026-11-06,purchase,10,\n"
                        "E,2026-11-02,purchase,77,\n"     // held out, would not be due
                        "Z,2026-11-02,purchase,500,\n");  // no events: ignored
  }
};

json run_report(const Scenario& s, Report* out = nullptr, Options options = {}) {
  Report report;
  std::string error;
  REQUIRE(measure(test_plan(), s.events, s.outcomes, options, report, error));
  if (out) *out = report;
  return json::parse(report_json(report));
}

bool close(const json& got, double want) {
  return got.is_number() && std::fabs(got.get<double>() - want) <= 1e-12 * std::fabs(want) + 1e-15;
}

}  // namespace

TEST_CASE("Measure: a hand-computed run, metric by metric", "[measure]") {
  Scenario s;
  Report report;
  const json j = run_report(s, &report);
  CHECK(j["window_days"] == 30);
  REQUIRE(j["runs"].size() == 2);
  CHECK(j["runs"][0]["run_id"] == "2026-11-01/abcd0001");
  CHECK(j["runs"][0]["as_of"] == "2026-11-01");
  CHECK(j["pooled"]["run_id"] == "pooled");
  CHECK(j["pooled"]["as_of"].is_null());
  CHECK(report.events == 10);
  CHECK(report.units == 9);
  CHECK(report.repeated == 1);

  const json& seqs = j["runs"][0]["sequences"];
  REQUIRE(seqs.size() == 2);
  CHECK(seqs[0]["sequence"] == "welcome_back");  // rule-file order
  const json& wb = seqs[1];
  CHECK(wb["sequence"] == "winback");
  CHECK(wb["holdout_share"] == 5);

  // Treated A, B, C; control D (E is held out but would not be due; F stopped; G waiting).
  const json& m = wb["overall"];
  CHECK(m["treated"] == 3);
  CHECK(m["control"] == 1);
  CHECK(m["reactivated_treated"] == 2);  // A (day 2) and B (day 30); C's purchase is day 31
  CHECK(m["reactivated_control"] == 1);
  CHECK(close(m["rate_treated"], 2.0 / 3));
  CHECK(close(m["rate_control"], 1.0));
  CHECK(close(m["lift"], 2.0 / 3 - 1));
  const double half = kZ95 * std::sqrt((2.0 / 3) * (1.0 / 3) / 3);
  CHECK(close(m["lift_ci95"][0], 2.0 / 3 - 1 - half));
  CHECK(close(m["lift_ci95"][1], 2.0 / 3 - 1 + half));
  CHECK(close(m["relative_lift"], -1.0 / 3));
  // Pooled p = 3/4, se = sqrt(3/16 x 4/3) = 1/2, z = -2/3.
  CHECK(close(m["p_value"], std::erfc((2.0 / 3) / std::sqrt(2.0))));
  CHECK(close(m["incremental_reactivations"], -1.0));
  CHECK(close(m["revenue_per_treated"], 170.0 / 3));  // A 100 + 50, B 20, C 0
  CHECK(close(m["revenue_per_control"], 10.0));
  CHECK(close(m["incremental_revenue"], 140.0));
  CHECK(close(m["incentive_cost"], 5.0));
  CHECK(close(m["incentive_efficiency"], 28.0));
  CHECK(close(m["unsubscribe_rate_treated"], 1.0 / 3));
  CHECK(m["unsubscribe_rate_control"] == 0.0);
  CHECK(close(m["complaint_rate_treated"], 1.0 / 3));
  CHECK(m["complaint_rate_control"] == 0.0);
  CHECK(m["median_days_to_reactivate"] == 16.0);  // days 2 and 30
  // A: 100 + 50 + 30 (2027-01-20 is within d0 + 89; 2027-02-01 is d0 + 90); B: 20.
  CHECK(close(m["reactivated_ltv_90d"], 100.0));

  // The sample-ratio check: 6 units not stopped (A B C D E G), 2 held out, 5% expected.
  const json& srm = wb["srm"];
  CHECK(srm["units"] == 6);
  CHECK(srm["held_out"] == 2);
  CHECK(srm["expected_share"] == 0.05);
  const double chi2 = (2 - 0.3) * (2 - 0.3) / 0.3 + (4 - 5.7) * (4 - 5.7) / 5.7;
  CHECK(close(srm["p_value"], std::erfc(std::sqrt(chi2 / 2))));
  CHECK(srm["mismatch"] == false);

  // Breakdowns: the control's values come from would_be.
  const json& by = wb["by"];
  CHECK(by["touch"]["1"]["treated"] == 2);
  CHECK(by["touch"]["1"]["control"] == 1);
  CHECK(by["touch"]["3"]["treated"] == 1);
  CHECK(by["touch"]["3"]["control"] == 0);
  CHECK(by["touch"]["3"]["lift"].is_null());
  CHECK(by["touch"]["3"]["lift_ci95"].is_null());
  CHECK(by["touch"]["3"]["rate_control"].is_null());
  CHECK(by["touch"]["3"]["revenue_per_control"].is_null());
  CHECK(by["touch"]["3"]["incremental_revenue"].is_null());
  CHECK(by["touch"]["3"]["median_days_to_reactivate"].is_null());
  CHECK(by["touch"]["3"]["reactivated_ltv_90d"].is_null());
  CHECK(by["touch"]["3"]["incentive_cost"] == 0.0);
  CHECK_FALSE(by["touch"].contains("2"));
  CHECK(by["step"]["pattern_interrupt"] == by["touch"]["1"]);
  CHECK(by["step"]["soft_incentive"] == by["touch"]["3"]);
  CHECK(by["channel"]["email"]["treated"] == 2);
  CHECK(by["channel"]["email"]["control"] == 1);
  CHECK(by["channel"]["sms"]["treated"] == 1);
  CHECK(by["offer"]["none"]["treated"] == 2);
  CHECK(by["offer"]["credit 10"]["treated"] == 1);
  CHECK(by["variant"]["curiosity"]["treated"] == 1);
  CHECK(by["variant"]["curiosity"]["control"] == 1);
  CHECK(by["variant"]["personal"]["treated"] == 1);
  CHECK(by["variant"]["personal"]["control"] == 0);
  CHECK(by["dormancy"]["deep"]["treated"] == 2);
  CHECK(by["dormancy"]["critical"]["treated"] == 1);
  CHECK(by["acquisition"]["paid"]["treated"] == 1);  // B's acquisition is null: left out
  CHECK(by["acquisition"]["owned"]["treated"] == 1);
  CHECK(by["acquisition"].size() == 2);
  std::vector<std::string> keys;
  for (const auto& [k, v] : by.items()) keys.push_back(k);
  CHECK(keys.size() == 7);  // touch step channel offer variant dormancy acquisition

  // Variants: personal against curiosity, both 1 of 1: no variation, no p-value.
  REQUIRE(wb["variants"].size() == 1);
  const json& v = wb["variants"][0];
  CHECK(v["touch"] == 1);
  CHECK(v["step"] == "pattern_interrupt");
  CHECK(v["variant"] == "personal");
  CHECK(v["control"] == "curiosity");
  CHECK(v["treated"] == 1);
  CHECK(v["control_treated"] == 1);
  CHECK(v["lift"] == 0.0);
  CHECK(v["p_value"].is_null());
  CHECK(v["verdict"] == "undecided");

  // welcome_back has no holdout: no srm, no control, but the treated figures.
  const json& wel = seqs[0];
  CHECK(wel["holdout_share"] == 0);
  CHECK(wel["srm"].is_null());
  CHECK(wel["overall"]["treated"] == 1);
  CHECK(wel["overall"]["rate_treated"] == 1.0);
  CHECK(wel["overall"]["rate_control"].is_null());
  CHECK(wel["overall"]["lift"].is_null());
  CHECK(wel["overall"]["p_value"].is_null());
  CHECK(wel["overall"]["incremental_reactivations"].is_null());
  CHECK(wel["overall"]["incentive_efficiency"].is_null());
  CHECK(close(wel["overall"]["revenue_per_treated"], 150.0));
  CHECK(close(wel["overall"]["incentive_cost"], 5.0));
  CHECK(wel["variants"].empty());

  // Run 2 holds winback only; A as of 2026-11-08 reactivates on 11-10 (day 2).
  const json& run2 = j["runs"][1];
  CHECK(run2["as_of"] == "2026-11-08");
  REQUIRE(run2["sequences"].size() == 1);
  CHECK(run2["sequences"][0]["overall"]["treated"] == 1);
  CHECK(run2["sequences"][0]["overall"]["median_days_to_reactivate"] == 2.0);
  // LTV from d0 = 2026-11-10: 50 + 30 + 1000 (2027-02-01 is d0 + 83).
  CHECK(close(run2["sequences"][0]["overall"]["reactivated_ltv_90d"], 1080.0));
  CHECK(run2["sequences"][0]["variants"].empty());  // no treated unit at a touch with variants
  CHECK(run2["sequences"][0]["srm"]["units"] == 1);
  CHECK(run2["sequences"][0]["srm"]["held_out"] == 0);

  // Pooled: every unit keeps its own as-of date.
  const json& pooled = j["pooled"]["sequences"][1]["overall"];
  CHECK(pooled["treated"] == 4);
  CHECK(pooled["control"] == 1);
  CHECK(pooled["reactivated_treated"] == 3);
  CHECK(pooled["median_days_to_reactivate"] == 2.0);  // days 2, 30, 2
  CHECK(close(pooled["reactivated_ltv_90d"], (180.0 + 20 + 1080) / 3));
  CHECK(j["pooled"]["sequences"][1]["srm"]["units"] == 7);
  CHECK(json::parse(verdicts_json(report)) == json{{"paused", json::array()}});
}

TEST_CASE("Measure: the outcomes' row order does not matter", "[measure]") {
  // The same outcomes by date, so each customer's rows are apart (read grouped by customer, the
  // rows are used in place; apart, they are grouped first): the same report.
  Scenario s;
  const json grouped = run_report(s);
  s.outcomes = s.dir.file("by_date.csv",
                          "customer_id,date,kind,revenue,incentive_cost\n"
                          "B,2026-11-01,purchase,999,\n"
                          "C,2026-11-02,complaint,,\n"
                          "E,2026-11-02,purchase,77,\n"
                          "Z,2026-11-02,purchase,500,\n"
                          "A,2026-11-03,purchase,100,5\n"
                          "B,2026-11-05,unsubscribe,,\n"
                          "D,2026-11-06,purchase,10,\n"
                          "A,2026-11-10,purchase,50,\n"
                          "B,2026-12-01,purchase,20,\n"
                          "C,2026-12-02,purchase,40,\n"
                          "A,2027-01-20,purchase,30,\n"
                          "A,2027-02-01,purchase,1000,\n");
  const json by_date = run_report(s);
  CHECK(by_date == grouped);
  CHECK(by_date["pooled"]["sequences"][1]["overall"]["reactivated_treated"] == 3);
}

TEST_CASE("Measure: the window option moves the edges", "[measure]") {
  Scenario s;
  Options o;
  o.window_days = 2;
  const json j = run_report(s, nullptr, o);
  const json& m = j["runs"][0]["sequences"][1]["overall"];
  CHECK(j["window_days"] == 2);
  CHECK(m["reactivated_treated"] == 1);                // A on day 2 only
  CHECK(m["reactivated_control"] == 0);                // D buys on day 5
  CHECK(m["unsubscribe_rate_treated"] == 0.0);         // B unsubscribes on day 4
  CHECK(close(m["complaint_rate_treated"], 1.0 / 3));  // C complains on day 1
  CHECK(close(m["revenue_per_treated"], 100.0 / 3));
}

TEST_CASE("Measure: variant verdicts and the paused set", "[measure]") {
  TempDir dir;
  // Touch 1: curiosity 200 treated with 20 reactivated; personal 200 with 60 (wins).
  // Touch 3 has no variants; welcome_back none.
  std::string ev, oc = "customer_id,date,kind,revenue,incentive_cost\n";
  for (int i = 0; i < 400; ++i) {
    const bool personal = i >= 200;
    const std::string id = "V" + std::to_string(i);
    ev += event("r", "2026-11-01", id, "winback", "due", 1, "pattern_interrupt",
                personal ? "personal" : "curiosity", "email", "none");
    const int k = personal ? i - 200 : i;
    if (k < (personal ? 60 : 20)) oc += id + ",2026-11-05,purchase,10,\n";
  }
  const auto events = dir.file("e.jsonl", ev);
  const auto outcomes = dir.file("o.csv", oc);
  Options o;
  Report report;
  std::string error;
  REQUIRE(measure(test_plan(), {events}, outcomes, o, report, error));
  json j = json::parse(report_json(report));
  const json& v = j["pooled"]["sequences"][0]["variants"][0];
  CHECK(v["treated"] == 200);
  CHECK(v["control_treated"] == 200);
  CHECK(close(v["lift"], 0.2));
  CHECK(v["verdict"] == "winning");
  CHECK(paused_variants(report) == std::vector<std::string>{"winback.pattern_interrupt.curiosity"});
  // Below the minimum sample the same difference decides nothing.
  o.min_sample = 201;
  REQUIRE(measure(test_plan(), {events}, outcomes, o, report, error));
  j = json::parse(report_json(report));
  CHECK(j["pooled"]["sequences"][0]["variants"][0]["verdict"] == "undecided");
  CHECK(paused_variants(report).empty());
  // The other way round: personal loses and is paused alone.
  MeasurePlan swapped = test_plan();
  swapped.sequences[1].touches[0].variants = {"personal", "curiosity"};
  o.min_sample = 100;
  REQUIRE(measure(swapped, {events}, outcomes, o, report, error));
  j = json::parse(report_json(report));
  CHECK(j["pooled"]["sequences"][0]["variants"][0]["verdict"] == "losing");
  CHECK(paused_variants(report) == std::vector<std::string>{"winback.pattern_interrupt.curiosity"});
}

TEST_CASE("Measure: repeated units are found in any order of customers", "[measure]") {
  // Ids that share nothing, a prefix, or more than 8 bytes; the empty id; each unit's first read
  // counts, a repeat anywhere later (next line, or far back after the order broke) does not.
  const std::vector<std::string> ids = {"",
                                        "a",
                                        "ab",
                                        "abc",
                                        "b",
                                        "cust-000000001",
                                        "cust-000000002",
                                        "cust-000000010",
                                        "cust-00000001",
                                        "z\xc3\xa9",
                                        "zz"};
  std::vector<std::pair<std::string, std::string>> units;  // (customer, sequence)
  for (const auto& id : ids) {
    units.emplace_back(id, "winback");
    units.emplace_back(id, "welcome_back");  // another sequence: another unit
  }
  TempDir dir;
  const std::string outcomes = dir.file("o.csv", "customer_id,date,kind,revenue,incentive_cost\n");
  const std::string r1 = "2026-11-01/r", r2 = "2026-11-08/r";
  auto run_lines = [&](const std::vector<size_t>& order, const std::string& name) {
    std::string text;
    for (const size_t i : order) {
      const auto& [customer, sequence] = units[i % units.size()];
      // Indexes past the end repeat a unit; the second run has the same customers as new units.
      const std::string& run = i >= 2 * units.size() ? r2 : r1;
      text += event(run, run == r1 ? "2026-11-01" : "2026-11-08", customer, sequence, "waiting");
    }
    Report report;
    std::string error;
    REQUIRE(measure(test_plan(), {dir.file(name, text)}, outcomes, Options{}, report, error));
    return std::pair{report.units, report.repeated};
  };
  const size_t n = units.size();
  std::vector<size_t> sorted;  // ascending customers within each sequence, each unit twice in a row
  for (size_t i = 0; i < n; ++i) {
    sorted.push_back(i);
    sorted.push_back(i);
  }
  CHECK(run_lines(sorted, "sorted.jsonl") == std::pair<int64_t, int64_t>{n, n});
  // Out of order once, late in the file: every earlier unit is still known.
  std::vector<size_t> late = sorted;
  late.push_back(4);
  late.push_back(n - 1);
  CHECK(run_lines(late, "late.jsonl") == std::pair<int64_t, int64_t>{n, n + 2});
  // Descending, then ascending again (new units and repeats), then the second run.
  std::vector<size_t> mixed;
  for (size_t i = n; i-- > 0;) mixed.push_back(i);
  for (size_t i = 0; i < n; ++i) mixed.push_back(i);
  for (size_t i = 0; i < n; ++i) mixed.push_back(2 * n + i);
  for (size_t i = n; i-- > 0;) mixed.push_back(2 * n + i);
  CHECK(run_lines(mixed, "mixed.jsonl") == std::pair<int64_t, int64_t>{2 * n, 2 * n});
  // A fixed shuffle with repeats.
  std::vector<size_t> shuffled;
  for (size_t k = 0; k < 3 * n; ++k) shuffled.push_back((k * 7 + 3) % n);
  CHECK(run_lines(shuffled, "shuffled.jsonl") == std::pair<int64_t, int64_t>{n, 2 * n});
  // Enough customers in order that what is kept of them (front-coded, some 45 bytes each here)
  // fills more than one of the blocks it is kept in; then repeats from the first block and the
  // last after the order broke, and a new customer.
  const auto customer = [](int i) {
    const std::string number = std::to_string(i);
    return std::string(6 - number.size(), '0') + number +
           std::string(40, static_cast<char>('a' + i % 26));
  };
  const int many = 30000;
  std::string text;
  for (int i = 0; i < many; ++i) text += event(r1, "2026-11-01", customer(i), "winback", "waiting");
  for (const int i : {5000, many - 1, 0})
    text += event(r1, "2026-11-01", customer(i), "winback", "waiting");
  text += event(r1, "2026-11-01", "zzz", "winback", "waiting");
  Report report;
  std::string error;
  REQUIRE(measure(test_plan(), {dir.file("many.jsonl", text)}, outcomes, Options{}, report, error));
  CHECK(report.units == many + 1);
  CHECK(report.repeated == 3);
}

TEST_CASE("Measure: bad outcomes name the row and the column", "[measure]") {
  TempDir dir;
  const std::string events =
      dir.file("e.jsonl", event("r", "2026-11-01", "A", "winback", "waiting"));
  auto error_of = [&](const std::string& csv) {
    const std::string path =
        dir.file("o.csv", "customer_id,date,kind,revenue,incentive_cost\n" + csv);
    Report report;
    std::string error;
    CHECK_FALSE(measure(test_plan(), {events}, path, Options{}, report, error));
    return error;
  };
  CHECK(error_of("A,2026-11-02,refund,1,\n").find(":2: column kind:") != std::string::npos);
  CHECK(error_of("A,2026-11-02,purchase,1,\nA,2026-13-02,purchase,1,\n").find(":3: column date:") !=
        std::string::npos);
  CHECK(error_of("A,2026-11-02,purchase,ten,\n").find(":2: column revenue:") != std::string::npos);
  CHECK(error_of(",2026-11-02,purchase,1,\n").find(":2: column customer_id:") != std::string::npos);
  CHECK(error_of("A,2026-11-02,purchase,inf,\n") ==
        dir.at("o.csv") + ":2: column revenue: must be a finite amount (missing means 0)");
  const std::string path = dir.file("bad_header.csv", "customer_id,date,revenue\nA,2026-11-02,1\n");
  Report report;
  std::string error;
  CHECK_FALSE(measure(test_plan(), {events}, path, Options{}, report, error));
  CHECK(error.find("kind") != std::string::npos);
}

TEST_CASE("Measure: equals the independent Python oracle on adversarial inputs", "[measure]") {
  if (std::system("python3 --version > /dev/null 2>&1") != 0) {
    WARN("skipped: python3 is not installed");
    return;
  }
  const std::string oracle = std::string(RK_SOURCE_DIR) + "/tests/oracle/measure_oracle.py";
  for (int seed = 1; seed <= 8; ++seed) {
    TempDir dir;
    const std::string d = dir.path.string();
    REQUIRE(std::system(
                ("python3 " + oracle + " generate " + std::to_string(seed) + " " + d).c_str()) ==
            0);
    const json plan_json = json::parse(std::ifstream(d + "/plan.json"));
    MeasurePlan plan;
    for (const auto& s : plan_json["sequences"]) {
      MeasurePlan::Sequence q{s["name"], {}};
      for (const auto& t : s["touches"])
        q.touches.push_back(
            {t["number"], t["name"], t["variants"].get<std::vector<std::string>>()});
      plan.sequences.push_back(q);
    }
    plan.families = plan_json["families"].get<std::vector<std::string>>();
    for (const auto& [window, min_sample] : {std::pair{30, 100}, std::pair{7, 20}}) {
      INFO("seed " << seed << ", window " << window << ", min sample " << min_sample);
      Options o;
      o.window_days = window;
      o.min_sample = min_sample;
      Report report;
      std::string error;
      REQUIRE(measure(plan, {d + "/events_1.jsonl", d + "/events_2.jsonl"}, d + "/outcomes.csv", o,
                      report, error));
      std::ofstream(d + "/report.json") << report_json(report);
      std::ofstream(d + "/verdicts.json") << verdicts_json(report);
      const std::string args = std::to_string(window) + " " + std::to_string(min_sample);
      REQUIRE(std::system(
                  ("python3 " + oracle + " report " + d + " " + args + " > " + d + "/expected.json")
                      .c_str()) == 0);
      const int rc = std::system(("python3 " + oracle + " compare " + d + "/expected.json " + d +
                                  "/report.json " + d + "/verdicts.json > " + d + "/cmp.txt 2>&1")
                                     .c_str());
      std::stringstream cmp;
      cmp << std::ifstream(d + "/cmp.txt").rdbuf();
      INFO(cmp.str());
      CHECK(rc == 0);
    }
  }
}

TEST_CASE("Measure: equals the program oracle's measure on its own generated inputs", "[measure]") {
  // tests/oracle/program_oracle.py (an independent reading of the whole program spec): its
  // generate-events (several runs, run ids of both shapes, altered duplicates, a planted
  // sample-ratio mismatch) and generate-outcomes (planted lifts per variant, the window's edges),
  // its measure with the spec's program plan, and its compare (1e-9 relative).
  if (std::system("python3 --version > /dev/null 2>&1") != 0) {
    WARN("skipped: python3 is not installed");
    return;
  }
  const std::string o = std::string(RK_SOURCE_DIR) + "/tests/oracle/program_oracle.py";
  TempDir dir;
  const std::string d = dir.path.string();
  REQUIRE(std::system(("python3 -c \"import sys, json; sys.path.insert(0, '" +
                       std::string(RK_SOURCE_DIR) +
                       "/tests/oracle'); import program_oracle as p; "
                       "print(json.dumps(p.read_plan('program')))\" > " +
                       d + "/plan.json")
                          .c_str()) == 0);
  const json plan_json = json::parse(std::ifstream(d + "/plan.json"));
  MeasurePlan plan;
  for (const auto& s : plan_json["sequences"]) {
    MeasurePlan::Sequence q{s["name"], {}};
    for (const auto& t : s["touches"])
      q.touches.push_back({t["number"], t["name"], t["variants"].get<std::vector<std::string>>()});
    plan.sequences.push_back(q);
  }
  plan.families = plan_json["families"].get<std::vector<std::string>>();
  struct Case {
    int seed, runs, window;
    int64_t min_sample;
    const char* holdout_rate;
    const char* duplicates;
  };
  for (const Case& c : {Case{1, 3, 30, 100, "0.05", "0.02"}, Case{2, 2, 7, 20, "0.09", "0.1"},
                        Case{4, 1, 45, 50, "0.05", "0.3"}}) {
    INFO("seed " << c.seed);
    const std::string w = std::to_string(c.window);
    const std::string gen =
        "python3 " + o + " generate-events 3000 " + std::to_string(c.seed) + " 2026-10-04 --runs " +
        std::to_string(c.runs) + " --holdout-rate " + c.holdout_rate + " --duplicates " +
        c.duplicates + " > " + d + "/ev.jsonl && python3 " + o + " generate-outcomes " +
        std::to_string(c.seed + 10) + " " + d +
        "/ev.jsonl --lift 0.05 --effect variant:credit=-0.08 --effect variant:personal=0.06 "
        "--window " +
        w + " > " + d + "/out.csv && python3 " + o + " measure --events " + d +
        "/ev.jsonl --outcomes " + d + "/out.csv --plan program --window " + w + " --min-sample " +
        std::to_string(c.min_sample) + " --out " + d + "/exp.json --verdicts " + d + "/expv.json";
    REQUIRE(std::system(gen.c_str()) == 0);
    Options opts;
    opts.window_days = c.window;
    opts.min_sample = c.min_sample;
    Report report;
    std::string error;
    REQUIRE(measure(plan, {d + "/ev.jsonl"}, d + "/out.csv", opts, report, error));
    std::ofstream(d + "/act.json") << report_json(report);
    std::ofstream(d + "/actv.json") << verdicts_json(report);
    for (const char* pair : {"/exp.json ", "/expv.json "}) {
      const std::string actual = std::string(pair) == "/exp.json " ? "/act.json" : "/actv.json";
      const int rc = std::system(
          ("python3 " + o + " compare " + d + pair + d + actual + " > " + d + "/cmp.txt 2>&1")
              .c_str());
      std::stringstream cmp;
      cmp << std::ifstream(d + "/cmp.txt").rdbuf();
      INFO(cmp.str());
      CHECK(rc == 0);
    }
  }
}

namespace {

// Events for the planted-effect tests: `n` units of winback, touch 6 split over two variants
// (discount first), and a 50% holdout of would-be-due units.
std::string planted_events(int n, const std::string& run = "r") {
  std::string out;
  for (int i = 0; i < n; ++i) {
    const std::string id = "P" + std::to_string(i);
    const bool held = i % 2 == 1;
    const char* variant = (i / 2) % 2 == 0 ? "discount" : "credit";
    const char* offer = (i / 2) % 2 == 0 ? "discount 20%" : "credit 25";
    json e = {{"run_id", run},
              {"as_of", "2026-11-01"},
              {"customer_id", id},
              {"sequence", "winback"},
              {"status", held ? "holdout" : "due"},
              {"touch", nullptr},
              {"step", nullptr},
              {"variant", nullptr},
              {"channel", nullptr},
              {"offer", nullptr},
              {"cohort", {{"dormancy", "deep"}, {"acquisition", "paid"}}},
              {"holdout_share", 50},
              {"would_be", nullptr}};
    const json d = {{"touch", 3},
                    {"step", "winback_offer"},
                    {"variant", variant},
                    {"channel", "email"},
                    {"offer", offer}};
    if (held) {
      e["would_be"] = d;
      e["would_be"]["status"] = "due";
    } else {
      for (const auto& [k, v] : d.items()) e[k] = v;
    }
    out += e.dump() + "\n";
  }
  return out;
}

MeasurePlan planted_plan() {
  MeasurePlan p;
  p.sequences.push_back({"winback",
                         {{1, "pattern_interrupt", {}},
                          {2, "recommendation", {}},
                          {3, "winback_offer", {"discount", "credit"}}}});
  p.families = {"dormancy", "acquisition"};
  return p;
}

}  // namespace

TEST_CASE("Outcome generator: a planted lift is found, per offer and per variant", "[measure]") {
  TempDir dir;
  const std::string events = dir.file("e.jsonl", planted_events(20000));
  OutcomeGenOptions g;
  g.seed = 11;
  g.base_rate = 0.10;
  g.lift = 0.05;                                               // every treated unit
  g.variant_lift = {{"winback.winback_offer.credit", -0.04}};  // credit is worse
  OutcomeGenStats stats;
  std::string error;
  REQUIRE(generate_outcomes({events}, dir.at("o.csv"), rk::SnapshotFormat::Csv, g, stats, error));
  CHECK(stats.units == 20000);
  Report report;
  REQUIRE(measure(planted_plan(), {events}, dir.at("o.csv"), Options{}, report, error));
  const Metrics m = metrics_of(report.pooled.sequences[0].overall);
  // Planted: +5 points for discount, +1 for credit: +3 overall.
  REQUIRE(m.p_value);
  CHECK(*m.p_value < 0.001);
  CHECK(std::fabs(*m.lift - 0.03) < 0.025);  // about 3.5 standard errors
  REQUIRE(report.pooled.sequences[0].variants.size() == 1);
  const VariantComparison& v = report.pooled.sequences[0].variants[0];
  CHECK(v.verdict == Verdict::Losing);
  CHECK(paused_variants(report) == std::vector<std::string>{"winback.winback_offer.credit"});
  // Offer lifts reach the offer breakdown; the generator is deterministic per seed; Arrow works.
  g.lift = 0;
  g.variant_lift.clear();
  g.offer_lift = {{"credit 25", 0.08}};
  REQUIRE(
      generate_outcomes({events}, dir.at("o.arrow"), rk::SnapshotFormat::Arrow, g, stats, error));
  REQUIRE(
      generate_outcomes({events}, dir.at("o2.arrow"), rk::SnapshotFormat::Arrow, g, stats, error));
  std::stringstream a, b;
  a << std::ifstream(dir.at("o.arrow"), std::ios::binary).rdbuf();
  b << std::ifstream(dir.at("o2.arrow"), std::ios::binary).rdbuf();
  CHECK(a.str() == b.str());
  REQUIRE(measure(planted_plan(), {events}, dir.at("o.arrow"), Options{}, report, error));
  for (const Breakdown& by : report.pooled.sequences[0].by) {
    if (by.name != "offer") continue;
    REQUIRE(by.groups.size() == 2);
    CHECK(by.groups[0].first == "credit 25");
    const Metrics credit = metrics_of(by.groups[0].second);
    const Metrics discount = metrics_of(by.groups[1].second);
    CHECK(*credit.p_value < 0.001);
    CHECK(*discount.p_value > 0.001);
    CHECK(*credit.incentive_efficiency > 0);
  }
}

TEST_CASE("Outcome generator: a null effect is found at about the nominal 5% rate", "[measure]") {
  // 300 fixed seeds, no planted effect: the share with p < 0.05 is binomial(300, 0.05) when the
  // test is calibrated (mean 15, sd 3.8). The seeds are fixed, so the count is too: the bounds
  // (2.5% to 8.5%, about 2.2 sd) check calibration without ever flaking.
  TempDir dir;
  const std::string events = dir.file("e.jsonl", planted_events(4000));
  int significant = 0, runs = 0;
  for (uint64_t seed = 1; seed <= 300; ++seed) {
    OutcomeGenOptions g;
    g.seed = seed;
    g.base_rate = 0.2;
    OutcomeGenStats stats;
    std::string error;
    REQUIRE(generate_outcomes({events}, dir.at("o.csv"), rk::SnapshotFormat::Csv, g, stats, error));
    Report report;
    REQUIRE(measure(planted_plan(), {events}, dir.at("o.csv"), Options{}, report, error));
    const Metrics m = metrics_of(report.pooled.sequences[0].overall);
    REQUIRE(m.p_value);
    ++runs;
    significant += *m.p_value < 0.05;
  }
  const double rate = static_cast<double>(significant) / runs;
  INFO(significant << " of " << runs << " null runs had p < 0.05");
  CHECK(rate >= 0.025);
  CHECK(rate <= 0.085);
}

TEST_CASE("Measure: the HTML report is one self-contained page", "[measure]") {
  Scenario s;
  Report report;
  run_report(s, &report);
  const std::string html = report_html(report, test_plan());
  CHECK(html.rfind("<!DOCTYPE html>", 0) == 0);
  CHECK(html.find("<script") == std::string::npos);
  CHECK(html.find("<link") == std::string::npos);
  CHECK(html.find("src=") == std::string::npos);
  CHECK(html.find("url(") == std::string::npos);
  // The only URL is SVG's XML namespace.
  size_t http = 0;
  for (size_t p = html.find("http"); p != std::string::npos; p = html.find("http", p + 1)) {
    CHECK(html.compare(p, 26, "http://www.w3.org/2000/svg") == 0);
    ++http;
  }
  CHECK(http > 0);
  // Per sequence with a holdout: lift charts for touch, offer and each family, and a curve.
  CHECK(html.find("data-kind=\"touch\" data-rows=\"3\"") != std::string::npos);
  CHECK(html.find("class=\"curve-chart\"") != std::string::npos);
  CHECK(html.find("were held out") != std::string::npos);
  CHECK(html.find("no holdout") != std::string::npos);
}

TEST_CASE("measure plan: read from the program's layout, in declaration order", "[measure]") {
  const rk::CompileResult c =
      rk::compile_rules(std::string(RK_SOURCE_DIR) + "/rules/winback.rules");
  REQUIRE(c.program);
  const MeasurePlan plan = measure_plan_from(c);
  REQUIRE(plan.sequences.size() == 1);
  CHECK(plan.sequences[0].name == "winback");
  std::vector<std::string> touches;
  for (const auto& t : plan.sequences[0].touches) {
    CHECK(t.number == static_cast<int>(touches.size()) + 1);
    CHECK(t.variants.empty());
    touches.push_back(t.name);
  }
  CHECK(touches == std::vector<std::string>{"pattern_interrupt", "recommendation", "soft_incentive",
                                            "social_proof", "scarcity", "winback_offer",
                                            "final_nudge"});
  CHECK(plan.families == std::vector<std::string>{"dormancy", "value_tier", "margin", "history",
                                                  "engagement", "affinity", "acquisition"});
  // Variants come from the layout, in the order written.
  const rk::CompileResult v =
      rk::compile_rules(std::string(RK_SOURCE_DIR) + "/tests/rules/variants.rules");
  REQUIRE(v.program);
  const MeasurePlan vp = measure_plan_from(v);
  REQUIRE(vp.sequences.size() == 1);
  REQUIRE(vp.sequences[0].touches.size() == 3);
  CHECK(vp.sequences[0].touches[0].variants == std::vector<std::string>{"red_door", "blue_door"});
  CHECK(vp.sequences[0].touches[1].variants == std::vector<std::string>{"plain", "big"});
  CHECK(vp.sequences[0].touches[2].variants.empty());
  // A rule file that did not compile has an empty plan.
  rk::CompileResult failed;
  CHECK(measure_plan_from(failed).sequences.empty());
}
