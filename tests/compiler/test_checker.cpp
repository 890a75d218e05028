// Rekindle tests: the checker. The playbook compiles to the IR; mutations of it give one clear
// error at the right place; units, names, cycles and structure are checked.
#include <catch2/catch.hpp>
#include <fstream>
#include <initializer_list>
#include <set>
#include <sstream>
#include <tuple>

#include "compiler/check/compile.h"
#include "compiler/check/examples.h"

namespace {

std::string read(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

const std::string kRules = std::string(RK_SOURCE_DIR) + "/rules/winback.rules";

// Compiles `text` as if it were rules/<name> (so `import "customer.schema"` resolves).
rk::CompileResult compile_text(const std::string& text, const rk::CompileOptions& opts = {}) {
  return rk::compile_rules_text(std::string(RK_SOURCE_DIR) + "/rules/test.rules", text, opts);
}

std::string replace_once(std::string s, const std::string& from, const std::string& to) {
  const auto pos = s.find(from);
  REQUIRE(pos != std::string::npos);
  return s.replace(pos, from.size(), to);
}

std::string errors_of(const rk::CompileResult& r) {
  std::string out;
  for (const auto& d : r.diags)
    if (d.severity == rk::Severity::Error) out += rk::render_text(r.sources, d);
  return out;
}

const rk::Diagnostic& only_error(const rk::CompileResult& r) {
  INFO(errors_of(r));
  int n = 0;
  const rk::Diagnostic* first = nullptr;
  for (const auto& d : r.diags)
    if (d.severity == rk::Severity::Error) {
      ++n;
      if (!first) first = &d;
    }
  REQUIRE(n == 1);
  return *first;
}

}  // namespace

TEST_CASE("the playbook compiles to the IR with the output contract's columns") {
  auto r = rk::compile_rules(kRules);
  INFO(errors_of(r));
  REQUIRE(r.program);
  std::vector<std::string> names;
  for (const auto& c : r.program->columns) names.push_back(c.name);
  CHECK(names == std::vector<std::string>{"customer_id", "candidate", "dormancy", "value_tier",
                                          "margin", "history", "engagement", "affinity",
                                          "acquisition", "stopped_by", "review", "winback_status",
                                          "winback_touch", "winback_step", "winback_channel",
                                          "winback_offer"});
  const auto& status = r.program->columns[11];
  CHECK(status.texts == std::vector<std::string>{"not_candidate", "stopped", "holdout", "responded",
                                                 "exhausted", "waiting", "no_channel", "due"});
  const auto& offers = r.program->columns[15];
  CHECK(offers.texts == std::vector<std::string>{"none", "credit 10", "early_access",
                                                 "discount 15%", "discount 20%"});
  CHECK(r.program->columns[10].texts ==
        std::vector<std::string>{"sensitive_history", "high_value", "discount"});
  CHECK(r.program->schema.fields.size() == 21);
  CHECK(r.program->params.at("whale_aov") == "$250");
  // The holdout is fnv1a64("winback:" + id) % 100 < 5.
  bool holdout = false;
  for (const auto& a : r.program->atoms)
    if (a.kind == rk::ir::AtomKind::Holdout) {
      holdout = true;
      CHECK(a.salt == "winback");
      CHECK(a.modulus == 100);
      CHECK(a.threshold == 5);
    }
  CHECK(holdout);
}

TEST_CASE("compiling twice gives the same IR") {
  auto a = rk::compile_rules(kRules);
  auto b = rk::compile_rules(kRules);
  REQUIRE(a.program);
  REQUIRE(b.program);
  CHECK(rk::ir::dump(*a.program) == rk::ir::dump(*b.program));
}

TEST_CASE("parameters can be overridden by type") {
  rk::CompileOptions opts;
  opts.params = {{"whale_aov", "300"}, {"max_bounce_rate", "7%"}, {"touch_interval", "10 days"}};
  auto r = rk::compile_rules(kRules, opts);
  INFO(errors_of(r));
  REQUIRE(r.program);
  // Shown with its unit, as summaries print it.
  CHECK(r.program->params.at("whale_aov") == "$300");
  CHECK(r.program->params.at("touch_interval") == "10 days");

  opts.params = {{"max_bounce_rate", "0.07"}};
  auto bad = rk::compile_rules(kRules, opts);
  CHECK(only_error(bad).code == "RK0206");
  CHECK_THAT(only_error(bad).message, Catch::Contains("expected a percent"));

  opts.params = {{"whale_aov_", "1"}};
  auto unknown = rk::compile_rules(kRules, opts);
  CHECK(only_error(unknown).code == "RK0206");
  CHECK(only_error(unknown).help == "did you mean `whale_aov`?");
}

TEST_CASE("a misspelled field is one error at its place with a suggestion") {
  const std::string text = replace_once(read(kRules), "when last_purchase_date is missing",
                                        "when last_purchse_date is missing");
  auto r = compile_text(text);
  const auto& d = only_error(r);
  CHECK(d.code == "RK0201");
  CHECK(d.message == "unknown name `last_purchse_date`");
  CHECK(d.help == "did you mean `last_purchase_date`?");
  REQUIRE(d.span);
  CHECK(d.span->line == 22);
  CHECK(d.span->col == 24);
}

TEST_CASE("days compared to money is a unit error") {
  const std::string text =
      replace_once(read(kRules), "days_dormant >= 365 days", "days_dormant >= $365");
  auto r = compile_text(text);
  const auto& d = only_error(r);
  CHECK(d.code == "RK0302");
  CHECK(d.message == "cannot compare days with money");
}

TEST_CASE("a plain number compared to money asks for a unit") {
  const std::string text =
      replace_once(read(kRules), "avg_order_value < $20", "avg_order_value < 20");
  auto r = compile_text(text);
  const auto& d = only_error(r);
  CHECK(d.code == "RK0302");
  CHECK(d.help == "write money with a $, e.g. $20");
}

TEST_CASE("an enum compared with a value it does not have") {
  const std::string text = replace_once(read(kRules), "relationship_flag is legal_hold",
                                        "relationship_flag is legalhold");
  auto r = compile_text(text);
  const auto& d = only_error(r);
  CHECK(d.code == "RK0304");
  CHECK(d.message == "`relationship_flag` has no value `legalhold`");
  CHECK(d.help == "did you mean `legal_hold`?");
}

TEST_CASE("an unknown label of a segment") {
  const std::string text =
      replace_once(read(kRules), "only when dormancy is deep", "only when dormancy is deeep");
  auto r = compile_text(text);
  const auto& d = only_error(r);
  CHECK(d.code == "RK0304");
  CHECK(d.message == "segment `dormancy` has no value `deeep`");
}

TEST_CASE("dependency cycles are errors") {
  const std::string text = R"(import "customer.schema"
segment a {
  x when b is y
  otherwise z
}
segment b {
  y when a is x
  otherwise w
}
)";
  auto r = compile_text(text);
  INFO(errors_of(r));
  REQUIRE(!r.program);
  bool found = false;
  for (const auto& d : r.diags)
    if (d.code == "RK0401") {
      found = true;
      CHECK_THAT(d.message, Catch::Contains("dependency cycle: a -> b -> a"));
    }
  CHECK(found);
}

TEST_CASE("labels after otherwise are unreachable") {
  const std::string text = R"(import "customer.schema"
segment tier {
  big when orders_total > 10
  otherwise small
  medium when orders_total > 5
}
)";
  auto r = compile_text(text);
  const auto& d = only_error(r);
  CHECK(d.code == "RK0402");
  REQUIRE(d.span);
  CHECK(d.span->line == 5);
}

TEST_CASE("a stop rule needs a reason") {
  const std::string text = "import \"customer.schema\"\nstop x when opted_out\n";
  auto r = compile_text(text);
  CHECK(only_error(r).code == "RK0404");
}

TEST_CASE("duplicate names are reported with the first place") {
  const std::string text = R"(import "customer.schema"
let a = 1
let a = 2
)";
  auto r = compile_text(text);
  const auto& d = only_error(r);
  CHECK(d.code == "RK0202");
  REQUIRE(d.notes.size() == 1);
  CHECK(d.notes[0].span->line == 2);
}

TEST_CASE("a rule file without a schema") {
  auto r = compile_text("let a = 1\n");
  CHECK(only_error(r).code == "RK0203");
}

TEST_CASE("conditions must be yes/no") {
  auto r = compile_text("import \"customer.schema\"\ncandidate when orders_total + 1\n");
  CHECK(only_error(r).code == "RK0303");
}

TEST_CASE("unit arithmetic") {
  SECTION("date minus date is days") {
    auto r = compile_text(
        "import \"customer.schema\"\ncandidate when last_touch_date - last_purchase_date > 30 "
        "days\n");
    INFO(errors_of(r));
    CHECK(r.program);
  }
  SECTION("money times a percent is money") {
    auto r = compile_text(
        "import \"customer.schema\"\ncandidate when avg_order_value * gross_margin_pct > $10\n");
    INFO(errors_of(r));
    CHECK(r.program);
  }
  SECTION("money plus days is an error") {
    auto r =
        compile_text("import \"customer.schema\"\ncandidate when avg_order_value + 3 days > $10\n");
    CHECK(only_error(r).code == "RK0301");
  }
  SECTION("ranges take the unit of their other end") {
    auto r = compile_text(
        "import \"customer.schema\"\ncandidate when days since last_purchase_date in 60 to 89 "
        "days\n");
    INFO(errors_of(r));
    CHECK(r.program);
  }
}

TEST_CASE("a schema file is checked on its own") {
  auto r = rk::compile_schema(std::string(RK_SOURCE_DIR) + "/rules/customer.schema");
  INFO(errors_of(r.diags.empty() ? rk::CompileResult{} : rk::CompileResult{}));
  REQUIRE(r.schema);
  CHECK(r.schema->fields.size() == 21);
  CHECK(r.schema->key_field == 0);
  const auto& flag = r.schema->fields[r.schema->find("relationship_flag")];
  CHECK(flag.nullable);
  CHECK(flag.enum_values ==
        std::vector<std::string>{"complaint", "chargeback", "bereavement", "legal_hold"});
}

TEST_CASE("the source map takes conditions apart and records sequence clauses") {
  using rk::SourceMap;
  using K = SourceMap::Term::Kind;
  auto r = rk::compile_rules(kRules);
  INFO(errors_of(r));
  REQUIRE(r.program);
  const SourceMap& m = r.map;
  auto text = [&](uint32_t t) {
    const auto& s = m.terms.at(t).span;
    return r.sources.file(s.file).text.substr(s.offset, s.len);
  };
  auto find_rule = [&](SourceMap::Kind kind, const std::string& name) -> const SourceMap::Rule& {
    for (const auto& x : m.rules)
      if (x.kind == kind && x.name == name) return x;
    FAIL("no rule " << name);
    return m.rules.front();
  };
  // `not (email_consent is true or sms_consent is true)`: not -> or -> two tests.
  const auto& np = find_rule(SourceMap::Kind::Stop, "no_permission");
  REQUIRE(np.term != SourceMap::kNone);
  const auto& top = m.terms[np.term];
  CHECK(top.kind == K::Not);
  CHECK(top.node == np.cond);
  REQUIRE(top.subs.size() == 1);
  const auto& orr = m.terms[top.subs[0]];
  CHECK(orr.kind == K::Or);
  REQUIRE(orr.subs.size() == 2);
  CHECK(text(orr.subs[0]) == "email_consent is true");
  CHECK(m.terms[orr.subs[0]].node != SourceMap::kNone);
  const auto& subject = m.terms[m.terms[orr.subs[1]].subs.at(0)];
  CHECK(subject.kind == K::Name);
  CHECK(subject.name == "sms_consent");
  // Every term's subs come before it; a let's value is a term too.
  for (uint32_t t = 0; t < m.terms.size(); ++t)
    for (uint32_t s : m.terms[t].subs) CHECK(s < t);
  CHECK(m.terms.at(find_rule(SourceMap::Kind::Let, "days_dormant").term).kind == K::DaysSince);
  CHECK(find_rule(SourceMap::Kind::Otherwise, "low").term == SourceMap::kNone);
  // Segments, and the sequence's clauses.
  CHECK(m.segments.size() == 7);
  REQUIRE(m.sequences.size() == 1);
  const auto& q = m.sequences[0];
  CHECK(q.name == "winback");
  CHECK(q.enter == SourceMap::kNone);
  CHECK(q.progress_touch == "last_touch");
  CHECK(q.progress_date == "last_touch_date");
  REQUIRE(q.wait != SourceMap::kNone);
  CHECK(text(q.wait) == "touch_interval");
  CHECK(m.terms[q.wait].node != SourceMap::kNone);
  REQUIRE(q.holdout != SourceMap::kNone);
  CHECK(text(q.holdout) == "5%");
  CHECK(q.holdout_salt == "winback");
  REQUIRE(q.fallbacks.size() == 1);
  CHECK((q.fallbacks[0].from == "email" && q.fallbacks[0].to == "sms"));
  REQUIRE(q.touches.size() == 7);
  CHECK(q.touches[0].name == "pattern_interrupt");
  CHECK(m.terms.at(q.touches[0].channel).kind == K::Name);
  CHECK(q.touches[0].offer == SourceMap::kNone);
  CHECK(q.touches[0].only_when == SourceMap::kNone);
  const auto& scarcity = q.touches[4];
  CHECK(scarcity.name == "scarcity");
  CHECK(text(scarcity.channel) == "if sms_consent is true then sms else email");
  CHECK(m.terms.at(scarcity.channel).kind == K::Other);
  CHECK(text(scarcity.offer) == "early_access");
  REQUIRE(scarcity.only_when != SourceMap::kNone);
  CHECK(text(scarcity.only_when) == "dormancy is deep");
  CHECK(find_rule(SourceMap::Kind::Touch, "scarcity").term == scarcity.only_when);
  // Each expression is recorded once.
  std::set<std::tuple<uint32_t, uint32_t, uint32_t>> spans;
  for (const auto& t : m.terms)
    CHECK(spans.insert({t.span.file, t.span.offset, t.span.len}).second);
}

TEST_CASE("check: imports are read through CompileOptions::read_source, else from disk") {
  const std::string schema_path = std::string(RK_SOURCE_DIR) + "/rules/customer.schema";
  const std::string rules = read(kRules) + "review vip_review when vip because \"VIP\"\n";
  rk::CompileOptions opts;
  std::vector<std::string> asked;
  opts.read_source = [&](const std::string& path) -> std::optional<std::string> {
    asked.push_back(path);
    if (path == schema_path) return read(schema_path) + "field vip: bool\n";
    return std::nullopt;
  };
  auto r = compile_text(rules, opts);
  CHECK(errors_of(r).empty());
  CHECK(asked == std::vector<std::string>{schema_path});
  REQUIRE(r.sources.size() == 2);
  CHECK(r.sources.file(1).text.find("field vip: bool") != std::string::npos);
  // Without the unsaved field, the disk's schema does not know `vip`.
  const auto disk = compile_text(rules);
  CHECK(only_error(disk).code == "RK0201");
  // nullopt: the disk.
  opts.read_source = [](const std::string&) -> std::optional<std::string> { return std::nullopt; };
  const auto fallback = compile_text(rules, opts);
  CHECK(only_error(fallback).code == "RK0201");
}

TEST_CASE("check: compile_schema_text checks a schema from memory like compile_schema") {
  const std::string path = std::string(RK_SOURCE_DIR) + "/rules/customer.schema";
  const auto disk = rk::compile_schema(path);
  const auto text = rk::compile_schema_text(path, read(path));
  REQUIRE(disk.schema);
  REQUIRE(text.schema);
  CHECK(text.schema->fields.size() == disk.schema->fields.size());
  CHECK(text.schema->key_field == disk.schema->key_field);
  const auto bad = rk::compile_schema_text(path, "schema c\nfield a: int\nfield a: int\n");
  CHECK_FALSE(bad.schema);
  REQUIRE_FALSE(bad.diags.empty());
  CHECK(bad.diags[0].code == "RK0202");
}

TEST_CASE("check: help examples come from the user's schema", "[examples]") {
  rk::Schema s;
  s.name = "account";
  s.fields.push_back({"account_id", rk::FieldType::String, false, true, {}});
  s.key_field = 0;
  s.fields.push_back({"plan", rk::FieldType::Enum, false, false, {"free", "team"}});
  s.fields.push_back({"marketing_consent", rk::FieldType::Bool, true, false, {}});
  s.fields.push_back({"sms_consent", rk::FieldType::Bool, true, false, {}});
  s.fields.push_back({"push_enabled", rk::FieldType::Bool, false, false, {}});
  s.fields.push_back({"upgraded", rk::FieldType::Bool, false, false, {}});
  CHECK(rk::check::string_test_example(s) == "account_id is \"A1\"");
  CHECK(rk::check::key_field_example(s) == "field account_id: string key");
  // The channel's own consent field, else any consent field, else a field named after the
  // channel, else CHANNEL_consent.
  CHECK(rk::check::consent_example(s, "sms") == "sms_consent is true");
  CHECK(rk::check::consent_example(s, "email") == "marketing_consent is true");
  CHECK(rk::check::exit_example(s) == "add e.g. `exit upgraded when upgraded`");
  rk::Schema bare;
  bare.name = "shop";
  bare.fields.push_back({"n", rk::FieldType::Int, false, false, {}});
  bare.fields.push_back({"push_enabled", rk::FieldType::Bool, false, false, {}});
  CHECK(rk::check::string_test_example(bare).empty());
  CHECK(rk::check::key_field_example(bare) == "field shop_id: string key");
  CHECK(rk::check::consent_example(bare, "push") == "push_enabled is true");
  CHECK(rk::check::consent_example(bare, "email") == "email_consent is true");
  CHECK(rk::check::exit_example(bare).find("exit replied when FIELD") != std::string::npos);
}

TEST_CASE("check: value ranges in the schema", "[range]") {
  const auto r = rk::compile_schema_text(
      "account.schema",
      "schema account\nfield account_id: string key\nfield nps: int? 0 to 10\n"
      "field last_touch: int >= 0\nfield mrr: money > $0\nfield share: percent <= 50%\n"
      "field score: number -1.5 to 1.5\nfield signed_up: date < 2030-01-01\n"
      "field depth: int < -2\nfield seats: int\n");
  for (const auto& d : r.diags) INFO(d.message);
  REQUIRE(r.schema);
  const auto& f = r.schema->fields;
  auto field = [&](const std::string& name) -> const rk::FieldDef& {
    return f[static_cast<size_t>(r.schema->find(name))];
  };
  const rk::FieldDef& nps = field("nps");
  REQUIRE(nps.min);
  REQUIRE(nps.max);
  CHECK(nps.min->ivalue == 0);
  CHECK(nps.max->ivalue == 10);
  CHECK(nps.min->inclusive);
  CHECK(nps.max->inclusive);
  CHECK(rk::range_text(nps) == "0 to 10");
  CHECK(nps.in_range(int64_t{0}));
  CHECK(nps.in_range(int64_t{10}));
  CHECK_FALSE(nps.in_range(int64_t{11}));
  CHECK_FALSE(nps.in_range(int64_t{-1}));
  CHECK(rk::range_text(field("last_touch")) == ">= 0");
  CHECK_FALSE(field("last_touch").max);
  const rk::FieldDef& mrr = field("mrr");
  CHECK(rk::range_text(mrr) == "> $0");
  CHECK_FALSE(mrr.in_range(0.0));
  CHECK(mrr.in_range(0.01));
  const rk::FieldDef& share = field("share");
  CHECK(rk::range_text(share) == "<= 50%");
  CHECK(share.max->value == 0.5);  // a percent as a fraction
  CHECK(share.in_range(0.5));
  CHECK_FALSE(share.in_range(0.5000001));
  CHECK(field("score").min->value == -1.5);
  CHECK(rk::range_text(field("score")) == "-1.5 to 1.5");
  const rk::FieldDef& signed_up = field("signed_up");
  CHECK(rk::range_text(signed_up) == "< 2030-01-01");
  CHECK(signed_up.in_range(int64_t{21914}));        // 2029-12-31
  CHECK_FALSE(signed_up.in_range(int64_t{21915}));  // 2030-01-01
  CHECK(field("depth").max->ivalue == -2);
  CHECK_FALSE(field("depth").max->inclusive);
  CHECK_FALSE(field("seats").has_range());
  CHECK(field("seats").in_range(int64_t{-5}));

  // Each wrong range is one RK0209 at its place.
  auto code_of = [](const std::string& line) {
    const auto bad =
        rk::compile_schema_text("s.schema", "schema s\nfield id: string key\n" + line + "\n");
    CHECK_FALSE(bad.schema);
    return bad.diags.empty() ? std::string() : bad.diags[0].code + ": " + bad.diags[0].message;
  };
  CHECK(code_of("field m: money >= 0") == "RK0209: `0` cannot bound `m`: the field is `money`");
  CHECK(code_of("field p: percent 0 to 1") ==
        "RK0209: `0` cannot bound `p`: the field is `percent`");
  CHECK(code_of("field n: int 0 to 2.5") == "RK0209: `2.5` cannot bound `n`: the field is `int`");
  CHECK(code_of("field d: date >= 2020") == "RK0209: `2020` cannot bound `d`: the field is `date`");
  CHECK(code_of("field d: date >= -2020-01-01").rfind("RK0209: `-2020-01-01` cannot bound", 0) ==
        0);
  CHECK(code_of("field b: bool >= 1") ==
        "RK0209: `b` cannot have a range: `bool` fields have no order");
  CHECK(code_of("field n: int 10 to 0") == "RK0209: the range of `n` is empty: 10 is above 0");
  CHECK(code_of("field n: int 5").rfind("RK0101: expected `to` in the field's range", 0) == 0);
  // An exclusive end equal to the other is allowed by the syntax only with `to` (inclusive).
  const auto one =
      rk::compile_schema_text("s.schema", "schema s\nfield id: string key\nfield n: int 3 to 3\n");
  REQUIRE(one.schema);
  CHECK(one.schema->fields[1].in_range(int64_t{3}));
}

namespace {

// A rule file (next to tests/rules/probe.schema) whose template shows `{SHOWN}` and declares
// `decls`; its diagnostics.
rk::CompileResult showing(const std::string& decls, const std::string& shown) {
  const std::string text =
      "import \"probe.schema\"\n"
      "channel email requires email_ok is true\n"
      "segment hue {\n  warm when color is red\n}\n"
      "segment size {\n  big when n >= 10\n  otherwise small\n}\n" +
      decls +
      "\nsequence hello {\n  progress last_touch on last_touch_date\n"
      "  touch greet via email offer discount 10% {\n"
      "    subject \"s\"\n    body \"" +
      shown +
      "\"\n  }\n}\n"
      "sequence later {\n  progress n on renewal_date\n"
      "  touch nudge via email {\n    subject \"s\"\n    body \"b\"\n  }\n}\n";
  return rk::compile_rules_text(std::string(RK_SOURCE_DIR) + "/tests/rules/t.rules", text);
}

}  // namespace

TEST_CASE("a template shows a let that is always present without a fallback", "[template][let]") {
  for (const char* decl :
       {"let k = last_touch * 2", "let k = today + 3 days", "let k = tier", "let k = tier is gold",
        "let k = size", "let k = if d is present then d else today",
        "let k = if n is missing then 0 else n + 1", "let k = if n > 3 then n * 2 else 0",
        "let k = if n is present and x is present then x / 2 + n else 0", "let k = last_touch / 4",
        "let k = later.status", "let k = tags", "let k = id"}) {
    const auto r = showing(decl, "{k}");
    INFO(decl << "\n" << errors_of(r));
    CHECK(r.program);
  }
}

TEST_CASE("a let that can be missing needs a fallback, and RK0416 says why", "[template][let]") {
  struct Case {
    const char* decl;
    const char* why;
  };
  for (const Case& c : std::initializer_list<Case>{
           {"let k = days since d", "the let `k` reads the optional field `d`"},
           {"let k = n >= 10 and tier is gold", "the let `k` reads the optional field `n`"},
           {"let k = last_touch / (last_touch - 1)",
            "the let `k` divides, and a division by zero is missing"},
           {"let k = hue", "the let `k` reads segment `hue`, which has no `otherwise` label"},
           {"let k = hello.step",
            "the let `k` reads `hello.touch` or `hello.step`, missing "
            "unless a touch is due"},
           {"let k = hello.channel",
            "the let `k` reads `hello.channel`, missing unless a touch "
            "is due"},
           {"let k = hello.discount",
            "the let `k` reads `hello.discount`, missing unless the "
            "due touch's offer is a discount"},
           {"let j = x * 2\nlet k = j + 1", "the let `k` reads the optional field `x`"},
           {"let k = if tier is gold then spend else $0",
            "the let `k` reads the optional field `spend`"},
           {"let k = name", "the let `k` is the optional field `name`"}}) {
    INFO(c.decl);
    const std::string decls = std::string(c.decl) +
                              "\nsequence other {\n  progress last_touch "
                              "on last_touch_date\n  touch t via email {\n"
                              "    subject \"{k}\"\n    body \"b\"\n  }\n}\n";
    // Shown from another sequence (a let reading `hello` cannot be shown in hello's templates).
    const auto r = showing(decls, "b");
    const rk::Diagnostic& d = only_error(r);
    CHECK(d.code == "RK0416");
    CHECK(d.message == "`{k}` can be missing (" + std::string(c.why) + ") and has no fallback");
    CHECK(d.help.rfind("say what it reads as then, e.g. `{k|...}`", 0) == 0);
    // With a fallback it compiles.
    std::string fixed = decls;
    fixed.replace(fixed.find("{k}"), 3, "{k|-}");
    INFO(errors_of(showing(fixed, "b")));
    CHECK(showing(fixed, "b").program);
  }
  // The help names the field to test.
  const auto r = showing("let k = days since d", "{k}");
  CHECK(only_error(r).help ==
        "say what it reads as then, e.g. `{k|...}`, or give the let a value for every customer "
        "(`if d is present then ... else ...`)");
}

TEST_CASE("templates: lets in the did-you-mean list, parameters still cannot be shown",
          "[template][let]") {
  const auto r = showing("let days_quiet = last_touch + 1", "{days_qiet}");
  const rk::Diagnostic& d = only_error(r);
  CHECK(d.code == "RK0201");
  CHECK(d.help == "did you mean `days_quiet`?");
  const auto p = showing("parameter limit = 10", "{limit|x}");
  CHECK(only_error(p).code == "RK0416");
  CHECK(only_error(p).message == "a template cannot show `limit`, a parameter");
}
