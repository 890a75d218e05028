// Tests of the RK06xx lints (compiler/lint): for every lint a case where it must fire and cases
// where it must stay silent (covered only partially, missing values, float arithmetic, undecidable
// questions), `# rekindle: allow` comments, and the playbook.
#include <catch2/catch.hpp>

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>

#include "compiler/check/compile.h"
#include "compiler/lint/lint.h"

namespace {

using rk::Diagnostic;

const std::string kDir = std::string(RK_SOURCE_DIR) + "/tests/lint/";

rk::CompileResult compile(const std::string& body) {
  return rk::compile_rules_text(kDir + "case.rules", "import \"lint.schema\"\n" + body);
}

std::vector<Diagnostic> lint(const std::string& body, unsigned timeout_ms = 2000) {
  auto r = compile(body);
  for (const auto& d : r.diags) INFO(d.message);
  REQUIRE(r.program);
  rk::LintOptions o;
  o.timeout_ms = timeout_ms;
  return rk::lint_program(r, o);
}

std::vector<Diagnostic> only(const std::vector<Diagnostic>& ds, const std::string& code) {
  std::vector<Diagnostic> out;
  for (const auto& d : ds)
    if (d.code == code) out.push_back(d);
  return out;
}

bool mentions(const Diagnostic& d, const std::string& text) {
  if (d.message.find(text) != std::string::npos) return true;
  for (const auto& n : d.notes)
    if (n.message.find(text) != std::string::npos) return true;
  return false;
}

std::string read(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string replace(std::string s, const std::string& from, const std::string& to) {
  const auto at = s.find(from);
  REQUIRE(at != std::string::npos);
  return s.replace(at, from.size(), to);
}

// A sequence with every clause, so sequence lints stay quiet unless a test wants them.
const std::string kSeq = R"(
sequence nudge {
  progress last_touch on last_touch_date
  exit responded when last_touch > 0 and responded
  wait 7 days
  holdout 5% salt "nudge"
  channel email requires consent is true
  channel sms requires sms_ok is true
  fallback email to sms
  touch hello via email
  touch deal via email offer discount 10%
}
review discount when nudge.offer is discount because "Discounts need approval"
)";

}  // namespace

TEST_CASE("lint: the playbook is clean, and exactly its two allowed findings are real", "[lint]") {
  const std::string path = std::string(RK_SOURCE_DIR) + "/rules/winback.rules";
  auto r = rk::compile_rules(path);
  REQUIRE(r.program);
  CHECK(rk::lint_program(r).empty());

  SECTION("without its allow comments, the two intended findings appear") {
    std::string text = read(path);
    text = replace(text,
                   "# rekindle: allow RK0615 (last_engagement_date is in the snapshot but the "
                   "playbook does not use it)\n",
                   "");
    text = replace(text,
                   "# rekindle: allow RK0602 (no_channel cannot happen: no_permission stops "
                   "everyone without consent)\n",
                   "");
    auto r2 = rk::compile_rules_text(path, text);
    REQUIRE(r2.program);
    const auto ds = rk::lint_program(r2);
    REQUIRE(ds.size() == 2);
    CHECK(ds[0].code == "RK0602");
    CHECK(mentions(ds[0], "status `no_channel` of sequence `winback` can never happen"));
    CHECK(ds[1].code == "RK0615");
    CHECK(mentions(ds[1], "last_engagement_date"));
  }
  SECTION("without its doc comment, deliverability fails closed on a missing bounce rate") {
    std::string text = read(path);
    text = replace(text,
                   "## A missing bounce rate cannot be decided, so it counts as a risk (fail "
                   "closed).\n",
                   "");
    auto r2 = rk::compile_rules_text(path, text);
    REQUIRE(r2.program);
    const auto f = only(rk::lint_program(r2), "RK0607");
    REQUIRE(f.size() == 1);
    CHECK(mentions(f[0], "stop rule `deliverability` fires when `email_bounce_rate` is missing"));
    CHECK(mentions(f[0], "email_bounce_rate is missing"));  // the witness
  }
}

TEST_CASE("lint: the clean fixture is clean", "[lint]") {
  auto r = rk::compile_rules(kDir + "clean.rules");
  REQUIRE(r.program);
  CHECK(rk::lint_program(r).empty());
}

TEST_CASE("lint RK0601: shadowed labels", "[lint]") {
  SECTION("covered by one earlier label") {
    const auto f =
        only(lint("segment s {\n a when orders > 5\n b when orders > 10\n}\n"), "RK0601");
    REQUIRE(f.size() == 1);
    CHECK(mentions(f[0], "label `b` of segment `s` can never match"));
    CHECK(mentions(f[0], "label `a` matches every customer this one would"));
    REQUIRE(f[0].notes[0].span);
    CHECK(f[0].notes[0].span->line == 3);
  }
  SECTION("covered only by earlier labels together") {
    const auto f = only(
        lint("segment s {\n a when orders > 5\n b when orders < 0\n c when orders = 7 or orders = "
             "-1\n}\n"),
        "RK0601");
    REQUIRE(f.size() == 1);
    CHECK(mentions(f[0], "together, the labels before it (`a`, `b`)"));
  }
  SECTION("an otherwise after labels that cover everyone") {
    const auto f = only(
        lint("segment s {\n a when orders >= 0\n b when orders < 0\n otherwise c\n}\n"), "RK0601");
    REQUIRE(f.size() == 1);
    CHECK(mentions(f[0], "`otherwise c` of segment `s` can never match"));
  }
  SECTION("silent when covered only partially") {
    CHECK(only(lint("segment s {\n a when orders > 5\n b when orders > 3\n}\n"), "RK0601").empty());
  }
  SECTION("silent when a missing value is left for the later label") {
    CHECK(
        only(
            lint(
                "segment s {\n a when margin >= 10%\n b when margin is missing\n otherwise c\n}\n"),
            "RK0601")
            .empty());
  }
  SECTION("a missing value does not save a label that needs the value") {
    CHECK(only(lint("segment s {\n a when margin >= 10%\n b when margin >= 20%\n}\n"), "RK0601")
              .size() == 1);
  }
}

TEST_CASE("lint RK0603 / RK0604: always and never true conditions", "[lint]") {
  SECTION("never true") {
    const auto ds = lint("stop s when orders > 5 and orders < 3 because \"x\"\n");
    const auto f = only(ds, "RK0604");
    REQUIRE(f.size() == 1);
    CHECK(
        mentions(f[0], "stop rule `s` can never fire: its condition is false for every customer"));
    CHECK(only(ds, "RK0602").empty());  // reported once
  }
  SECTION("always true") {
    const auto f = only(lint("candidate when orders >= 0 or orders < 0\n"), "RK0603");
    REQUIRE(f.size() == 1);
    CHECK(mentions(f[0], "every customer is a candidate"));
  }
  SECTION("a missing value keeps `x >= 0 or x < 0` from being always true") {
    CHECK(only(lint("candidate when margin >= 0% or margin < 0%\n"), "RK0603").empty());
  }
  SECTION("but a stop rule fails closed, so it fires for everyone") {
    const auto f = only(lint("stop s when margin >= 0% or margin < 0% because \"x\"\n"), "RK0603");
    REQUIRE(f.size() == 1);
    CHECK(mentions(f[0], "stop rule `s` stops every candidate"));
  }
  SECTION("comparisons of float fields with constants are decided") {
    CHECK(only(lint("segment s {\n a when score > 0.5 and score < 0.25\n}\n"), "RK0604").size() ==
          1);
  }
  SECTION("silent on float arithmetic, where reals and doubles differ") {
    // In reals 0.1 + 0.2 = 0.3, so this would look impossible; in doubles it holds for 0.1.
    CHECK(only(lint("segment s {\n a when score = 0.1 and score + 0.2 != 0.3\n}\n"), "RK0604")
              .empty());
  }
  SECTION("silent when the question is undecidable in the time limit") {
    const auto ds = lint(
        "segment s {\n a when orders > 0 and visits > 0 and last_touch > 0 and orders * orders "
        "* orders + visits * visits * visits = last_touch * last_touch * last_touch\n}\n",
        100);
    CHECK(only(ds, "RK0604").empty());
    CHECK(only(ds, "RK0601").empty());
  }
  SECTION("int overflow makes a value missing, not wrong") {
    // orders + 1 overflows for the largest int: then the test is unknown, so it is not always
    // true.
    CHECK(only(lint("candidate when orders + 1 > orders\n"), "RK0603").empty());
    CHECK(only(lint("candidate when orders + 1 > orders or orders > 0\n"), "RK0603").size() == 1);
  }
}

TEST_CASE("lint RK0605: empty ranges", "[lint]") {
  SECTION("fires, and the label is not reported again") {
    const auto ds = lint(
        "let d = days since last_purchase_date\nsegment s {\n a when d in 90 to 60 "
        "days\n otherwise b\n}\n");
    const auto f = only(ds, "RK0605");
    REQUIRE(f.size() == 1);
    CHECK(mentions(f[0], "the range `90 to 60 days` is empty"));
    CHECK(only(ds, "RK0604").empty());
    CHECK(only(ds, "RK0601").empty());
  }
  SECTION("through parameters") {
    CHECK(only(lint("parameter lo = 10\nsegment s {\n a when orders in lo to 5\n}\n"), "RK0605")
              .size() == 1);
  }
  SECTION("silent on a proper range") {
    CHECK(only(lint("segment s {\n a when orders in 5 to 5\n}\n"), "RK0605").empty());
  }
}

TEST_CASE("lint RK0606: overlapping ranges", "[lint]") {
  SECTION("fires with the shared values") {
    const auto f =
        only(lint("let d = days since last_purchase_date\nsegment s {\n a when d in 0 to "
                  "60 days\n b when d in 60 to 90 days\n}\n"),
             "RK0606");
    REQUIRE(f.size() == 1);
    CHECK(mentions(f[0], "60 days lies in both"));
    CHECK(mentions(f[0], "`a` comes first"));
  }
  SECTION("silent when ranges meet without overlapping") {
    CHECK(only(lint("let d = days since last_purchase_date\nsegment s {\n a when d in 0 to 59 "
                    "days\n b when d in 60 to 90 days\n}\n"),
               "RK0606")
              .empty());
  }
  SECTION("silent for ranges on different subjects") {
    CHECK(only(lint("segment s {\n a when orders in 0 to 60\n b when visits in 30 to 90\n}\n"),
               "RK0606")
              .empty());
  }
}

TEST_CASE("lint RK0607: failing closed on a missing value", "[lint]") {
  SECTION("fires and names the field") {
    const auto f = only(lint("stop s when margin < 10% because \"x\"\n"), "RK0607");
    REQUIRE(f.size() == 1);
    CHECK(mentions(f[0], "stop rule `s` fires when `margin` is missing"));
    CHECK(mentions(f[0], "for example: margin is missing"));
  }
  SECTION("review rules too") {
    const auto f = only(lint("review r when score > 0.5 because \"x\"\n"), "RK0607");
    REQUIRE(f.size() == 1);
    CHECK(mentions(f[0], "review rule `r` fires when `score` is missing"));
  }
  SECTION("silent with a two-valued form") {
    CHECK(only(lint("stop s when margin is present and margin < 10% because \"x\"\n"), "RK0607")
              .empty());
    CHECK(only(lint("stop s when flag is legal_hold because \"x\"\n"), "RK0607").empty());
  }
  SECTION("silent when a doc comment says what missing means") {
    CHECK(only(lint("## A missing margin counts as low (fail closed).\nstop s when margin < 10% "
                    "because \"x\"\n"),
               "RK0607")
              .empty());
  }
  SECTION("silent when the value is never missing where the rule applies") {
    CHECK(only(lint("candidate when margin is present\nstop s when margin < 10% because \"x\"\n"),
               "RK0607")
              .empty());
  }
}

TEST_CASE("lint RK0602: rules and statuses that can never fire", "[lint]") {
  SECTION("a stop after a broader stop") {
    const auto f =
        only(lint("stop a when orders > 5 because \"x\"\nstop b when orders > 10 because "
                  "\"y\"\n"),
             "RK0602");
    REQUIRE(f.size() == 1);
    CHECK(mentions(f[0], "stop rule `b` can never fire"));
    CHECK(mentions(f[0], "stop rule `a` fires first"));
  }
  SECTION("a stop only for non-candidates") {
    const auto f =
        only(lint("candidate when orders > 0\nstop a when orders < 0 because \"x\"\n"), "RK0602");
    REQUIRE(f.size() == 1);
    CHECK(mentions(f[0], "not candidates"));
  }
  SECTION("a review that needs a customer without a touch due") {
    const auto f =
        only(lint(kSeq + "review r when nudge.status is waiting because \"x\"\n"), "RK0602");
    REQUIRE(f.size() == 1);
    CHECK(mentions(f[0], "review rule `r` can never fire"));
  }
  SECTION("a touch no customer reaches, a status that never happens") {
    const std::string seq = R"(
stop no_consent when not (consent is true) because "No consent"
sequence nudge {
  progress last_touch on last_touch_date
  exit responded when last_touch > 0 and responded
  exit again when last_touch > 3 and responded
  wait 7 days
  holdout 5% salt "nudge"
  channel email requires consent is true
  touch hello via email
  touch never via email only when orders > 3 and orders < 2
  touch later via email only when last_touch < 0
}
)";
    const auto ds = lint(seq);
    const auto f = only(ds, "RK0602");
    std::vector<std::string> msgs;
    msgs.reserve(f.size());
    for (const auto& d : f) msgs.push_back(d.message);
    INFO(Catch::Detail::stringify(msgs));
    CHECK(f.size() == 4);
    CHECK(std::any_of(f.begin(), f.end(), [](auto& d) {
      return mentions(d, "touch `later` of sequence `nudge` can never be sent");
    }));
    CHECK(std::any_of(f.begin(), f.end(), [](auto& d) {
      return mentions(d, "exit `again` of sequence `nudge` can never apply");
    }));
    CHECK(std::any_of(f.begin(), f.end(), [](auto& d) {
      return mentions(d, "status `no_channel` of sequence `nudge` can never happen");
    }));
    // Everyone past touch 1 is exhausted (the later touches never apply), so nobody waits.
    CHECK(std::any_of(f.begin(), f.end(), [](auto& d) {
      return mentions(d, "status `waiting` of sequence `nudge` can never happen");
    }));
    // The touch whose own condition is never true is reported once, as RK0604.
    CHECK(only(ds, "RK0604").size() == 1);
  }
  SECTION("silent when every status can happen") {
    const auto ds = lint(kSeq);
    CHECK(only(ds, "RK0602").empty());
  }
}

TEST_CASE("lint RK0608 / RK0609: consent and discounts", "[lint]") {
  SECTION("a channel without requires") {
    const auto f =
        only(lint(replace(kSeq, "channel sms requires sms_ok is true", "channel sms")), "RK0608");
    REQUIRE(f.size() == 1);
    CHECK(mentions(f[0], "channel `sms` of sequence `nudge` has no `requires`"));
    // The help names this schema's consent field (no `sms_consent` here: `consent`).
    CHECK(f[0].help == "add the consent it needs, e.g. `channel sms requires consent is true`");
  }
  SECTION("a discount nobody reviews") {
    const auto f = only(lint(replace(kSeq, "review discount when nudge.offer is discount",
                                     "review "
                                     "big "
                                     "when "
                                     "aov > "
                                     "$500")),
                        "RK0609");
    REQUIRE(f.size() == 1);
    CHECK(mentions(f[0], "touch `deal` of sequence `nudge` can offer `discount 10%`"));
    CHECK(mentions(f[0], "for example: as of"));
  }
  SECTION("silent when a review covers every discount") {
    CHECK(only(lint(kSeq), "RK0609").empty());
    CHECK(only(lint(replace(kSeq, "review discount when nudge.offer is discount",
                            "review deal when nudge.step is deal")),
               "RK0609")
              .empty());
  }
}

TEST_CASE("lint RK0616 / RK0617: variants that leave customers out or send the same", "[lint]") {
  SECTION("shares below 100%") {
    const auto f = only(lint(replace(kSeq, "  touch hello via email\n",
                                     "  touch hello via email {\n"
                                     "    variant a 45%\n"
                                     "    variant b 45% { offer credit 5 }\n"
                                     "  }\n")),
                        "RK0616");
    REQUIRE(f.size() == 1);
    CHECK(mentions(f[0], "the variants of touch `hello` take 90% of its customers: the other 10%"));
    CHECK(f[0].help.find("`variant control 10%`") != std::string::npos);
  }
  SECTION("shares of 100% are silent") {
    CHECK(only(lint(replace(kSeq, "  touch hello via email\n",
                            "  touch hello via email {\n"
                            "    variant a 50%\n"
                            "    variant b 50% { offer credit 5 }\n"
                            "  }\n")),
               "RK0616")
              .empty());
  }
  const std::string templated = R"(
sequence nudge {
  progress last_touch on last_touch_date
  exit responded when last_touch > 0 and responded
  wait 7 days
  holdout 5% salt "nudge"
  channel email requires consent is true
  touch hello via email {
    subject "Hello"
    body "Hi there"
    variant a 50%
    variant b 25% { subject "Hello again" }
    variant c 25% { offer none body "Hi there" }
  }
}
)";
  SECTION("a templated variant the same as an earlier one") {
    const auto f = only(lint(templated), "RK0617");
    REQUIRE(f.size() == 1);
    CHECK(mentions(f[0], "variant `c` of touch `hello` sends exactly what variant `a` sends"));
  }
  SECTION("without templates the sender may tell variants apart by name: silent") {
    CHECK(only(lint(replace(kSeq, "  touch hello via email\n",
                            "  touch hello via email {\n"
                            "    variant a 50%\n"
                            "    variant b 50%\n"
                            "  }\n")),
               "RK0617")
              .empty());
  }
}

TEST_CASE("lint RK0618: a placeholder whose value is always missing", "[lint]") {
  const std::string seq = R"(
sequence nudge {
  enter when last_purchase_date is missing
  progress last_touch on last_touch_date
  exit responded when last_touch > 0 and responded
  wait 7 days
  holdout 5% salt "nudge"
  channel email requires consent is true
  touch hello via email {
    subject "Since {last_purchase_date|a while}"
    body "Hi, {margin|no margin} and {last_purchase_date|never}"
  }
}
)";
  const auto f = only(lint(seq), "RK0618");
  REQUIRE(f.size() == 2);
  CHECK(mentions(f[0],
                 "`{last_purchase_date|a while}` in the subject of touch hello always reads "
                 "`a while`"));
  CHECK(mentions(f[1], "`{last_purchase_date|never}` in the body"));
  // Entering everyone: the date can be present, so silent.
  CHECK(only(lint(replace(seq, "  enter when last_purchase_date is missing\n", "")), "RK0618")
            .empty());
  // A let that reads the date is missing for them too; one that tests it is not.
  const std::string lets =
      "let days_quiet = days since last_purchase_date\n"
      "let seen = if last_purchase_date is present then 1 else 0\n" +
      replace(seq, "{margin|no margin}", "{days_quiet|a while} {seen|x}");
  const auto g = only(lint(lets), "RK0618");
  REQUIRE(g.size() == 3);
  CHECK(mentions(g[1], "`{days_quiet|a while}` in the body of touch hello always reads `a while`"));
  CHECK(mentions(g[2], "`{last_purchase_date|never}` in the body"));
}

TEST_CASE("lint RK0610-RK0612: incomplete sequences", "[lint]") {
  const std::string bare = R"(
sequence nudge {
  channel email requires consent is true
  touch hello via email
}
)";
  const auto ds = lint(bare);
  CHECK(only(ds, "RK0610").size() == 1);
  REQUIRE(only(ds, "RK0611").size() == 1);
  // The help's exit reads this schema's yes/no field that says the customer responded.
  CHECK(only(ds, "RK0611")[0].help == "add e.g. `exit responded when responded`");
  CHECK(only(ds, "RK0612").size() == 1);
  const auto full = lint(kSeq);
  CHECK(only(full, "RK0610").empty());
  CHECK(only(full, "RK0611").empty());
  CHECK(only(full, "RK0612").empty());
}

TEST_CASE("lint RK0613-RK0615: unused declarations", "[lint]") {
  const auto ds = lint(
      "parameter p = 5\nparameter q = 6\nlet l = orders + q\nlet m = visits\n"
      "candidate when l > 0\n");
  const auto params = only(ds, "RK0613");
  REQUIRE(params.size() == 1);
  CHECK(mentions(params[0], "parameter `p` is never read"));
  const auto lets = only(ds, "RK0614");
  REQUIRE(lets.size() == 1);
  CHECK(mentions(lets[0], "let `m` is never read"));
  const auto fields = only(ds, "RK0615");
  CHECK(
      std::none_of(fields.begin(), fields.end(), [](auto& d) { return mentions(d, "`orders`"); }));
  CHECK(
      std::none_of(fields.begin(), fields.end(), [](auto& d) { return mentions(d, "`visits`"); }));
  CHECK(std::none_of(fields.begin(), fields.end(), [](auto& d) { return mentions(d, "`id`"); }));
  CHECK(std::any_of(fields.begin(), fields.end(), [](auto& d) { return mentions(d, "`margin`"); }));
}

TEST_CASE("lint: `# rekindle: allow` comments", "[lint]") {
  SECTION("silences the named code on the rule below") {
    const auto ds = lint(
        "stop a when orders > 5 because \"x\"\n# why: b is kept for the audit\n"
        "# rekindle: allow RK0602\nstop b when orders > 10 because \"y\"\n");
    CHECK(only(ds, "RK0602").empty());
  }
  SECTION("several codes, above a doc comment") {
    const auto ds = lint(
        "# rekindle: allow RK0604, RK0607\n## A doc.\nstop a when orders > 5 and "
        "orders < 3 because \"x\"\n");
    CHECK(only(ds, "RK0604").empty());
  }
  SECTION("does not silence other codes or other rules") {
    const auto ds = lint(
        "# rekindle: allow RK0601\nstop a when orders > 5 because \"x\"\nstop b "
        "when orders > 10 because \"y\"\n");
    CHECK(only(ds, "RK0602").size() == 1);
  }
  SECTION("a blank line ends the comment block") {
    const auto ds = lint(
        "stop a when orders > 5 because \"x\"\n# rekindle: allow RK0602\n\nstop b "
        "when orders > 10 because \"y\"\n");
    CHECK(only(ds, "RK0602").size() == 1);
  }
  SECTION("unused fields can be allowed above the import") {
    auto r = rk::compile_rules_text(kDir + "case.rules",
                                    "# rekindle: allow RK0615\nimport \"lint.schema\"\ncandidate "
                                    "when orders > 0\n");
    REQUIRE(r.program);
    CHECK(only(rk::lint_program(r), "RK0615").empty());
  }
}

TEST_CASE("lint: programs with errors give no lints", "[lint]") {
  auto r = compile("candidate when nope > 0\n");
  CHECK_FALSE(r.program);
  CHECK(rk::lint_program(r).empty());
}

TEST_CASE("lint: the catalog lists every code once", "[lint]") {
  std::set<std::string> codes;
  for (const auto& l : rk::lint_catalog()) CHECK(codes.insert(std::string(l.code)).second);
  CHECK(codes.size() == 18);
}

TEST_CASE("lint: a stop function ends the solver questions, and what needs them stays silent",
          "[lint]") {
  const std::string body = "segment s {\n a when orders > 5\n b when orders > 10\n}\n";
  auto r = compile(body);
  REQUIRE(r.program);
  CHECK(only(rk::lint_program(r), "RK0601").size() == 1);
  rk::LintOptions o;
  int asked = 0;
  o.stop = [&] {
    ++asked;
    return true;
  };
  const auto ds = rk::lint_program(r, o);
  CHECK(only(ds, "RK0601").empty());  // needs the solver
  CHECK(asked == 1);                  // asked once, then every question is undecided
  // Findings that need no solver are still made (unused fields).
  CHECK_FALSE(only(ds, "RK0615").empty());
  // A stop function that never says stop changes nothing.
  o.stop = [] { return false; };
  CHECK(only(rk::lint_program(r, o), "RK0601").size() == 1);
}

TEST_CASE("lint: the schema's value ranges bound the solver", "[lint]") {
  auto lint_ranged = [](const std::string& body) {
    // Imports are read from the top rule file's folder and below it: the rule file sits beside
    // the schema.
    auto r =
        rk::compile_rules_text(std::string(RK_SOURCE_DIR) + "/tests/fixtures/ranges/ranged.rules",
                               "import \"account.schema\"\n" + body);
    for (const auto& d : r.diags) INFO(d.message);
    REQUIRE(r.program);
    return rk::lint_program(r, rk::LintOptions{});
  };
  // nps is `int? 0 to 10`, last_touch `int >= 0`, mrr `money >= $0`.
  const auto never = only(lint_ranged("segment s {\n  off when nps > 10\n  otherwise fine\n}\n"
                                      "candidate when last_touch < 0 or mrr < $0\n"),
                          "RK0604");
  REQUIRE(never.size() == 2);
  CHECK(mentions(never[0], "label `off` of segment `s` can never match"));
  CHECK(mentions(never[0], "the schema gives `nps` the range 0 to 10"));
  CHECK(mentions(never[1], "no customer is ever a candidate"));
  CHECK(mentions(never[1], "the schema gives `last_touch` the range >= 0"));
  CHECK(mentions(never[1], "the schema gives `mrr` the range >= $0"));
  // Within the range the same conditions are possible; an always-true one says why too.
  CHECK(only(lint_ranged("segment s {\n  top when nps >= 10\n  otherwise rest\n}\n"
                         "candidate when seats > 1\n"),
             "RK0604")
            .empty());
  const auto always =
      only(lint_ranged("candidate when seats >= 1 and last_touch >= 0\n"), "RK0603");
  REQUIRE(always.size() == 1);
  CHECK(mentions(always[0], "the schema gives `seats` the range >= 1"));
}
