// Rekindle grammar tests: the rule test file grammar (grammar/test_file.h): headers, defaults,
// tests, unreachable notes, every value form, and every RK07xx syntax error with its exact
// position and message.
#include <catch2/catch.hpp>

#include "base/date.h"
#include "grammar/test_file.h"
#include "parse_helpers.h"

using namespace rk;
using namespace rk::testfile;

namespace {

struct ParsedTest {
  SourceSet sources;
  std::vector<Diagnostic> diags;
  std::optional<TestFile> file;
};

ParsedTest parse(const std::string& text) {
  ParsedTest p;
  const uint32_t idx = p.sources.add("t.test", text);
  p.file = parse_test_file(p.sources, idx, p.diags);
  return p;
}

const std::string kHead = "rules \"winback.rules\"\nas of 2026-11-01\n";

// "3:5: RK0701: expected ..." for the first diagnostic, or "parsed".
std::string err(const std::string& text) {
  auto p = parse(text);
  if (p.file) return "parsed";
  REQUIRE(p.diags.size() == 1);
  const auto& d = p.diags.front();
  return fmt::format("{}:{}: {}: {}", d.span->line, d.span->col, d.code, d.message);
}

// Parses `given x = VALUE` and returns the value.
Value value_of(const std::string& text) {
  auto p = parse(kHead + "test \"t\" { given x = " + text + " expect y = 1 }\n");
  if (!p.file) FAIL(p.diags.front().message);
  return p.file->tests.at(0).given.at(0).value;
}

}  // namespace

TEST_CASE("a test file: headers, defaults, tests and unreachable notes", "[testfile]") {
  auto p = parse(kHead +
                 "defaults {\n  a = 1\n  b = $2.50, c = missing\n}\n"
                 "test \"first\" {\n  given a = 2, d = true\n  expect x = deep\n"
                 "  given e = {p, \"q r\"}\n  expect y = none, z = discount 15%\n}\n"
                 "unreachable s = no_channel  # nobody without consent gets this far\n");
  REQUIRE(p.file);
  const TestFile& f = *p.file;
  CHECK(f.rules_path == "winback.rules");
  CHECK(f.rules_span.line == 1);
  CHECK(f.rules_span.col == 7);
  int32_t d;
  REQUIRE(parse_iso_date("2026-11-01", d));
  CHECK(f.as_of == d);
  REQUIRE(f.defaults.size() == 3);
  CHECK(f.defaults[1].name == "b");
  CHECK(f.defaults[1].value.unit == ast::Unit::Money);
  CHECK(f.defaults[1].value.number == 2.5);
  CHECK(f.defaults[2].value.kind == ValueKind::Missing);
  REQUIRE(f.tests.size() == 1);
  const TestCase& t = f.tests[0];
  CHECK(t.name == "first");
  CHECK(t.name_span.line == 7);
  REQUIRE(t.given.size() == 3);
  CHECK(t.given[2].name == "e");
  REQUIRE(t.given[2].value.items.size() == 2);
  CHECK(t.given[2].value.items[1].word == "q r");
  REQUIRE(t.expect.size() == 3);
  CHECK(t.expect[0].value.canonical() == "deep");
  CHECK(t.expect[1].value.kind == ValueKind::Word);
  CHECK(t.expect[2].value.kind == ValueKind::Offer);
  CHECK(t.expect[2].value.canonical() == "discount 15%");
  CHECK(t.expect[2].value.span.line == 11);
  REQUIRE(f.unreachable.size() == 1);
  CHECK(f.unreachable[0].what.name == "s");
  CHECK(f.unreachable[0].what.value.word == "no_channel");
  CHECK(f.unreachable[0].reason == "nobody without consent gets this far");
}

TEST_CASE("test file values use the rule language's literal syntax", "[testfile]") {
  Value v = value_of("42");
  CHECK((v.kind == ValueKind::Number && v.is_int && v.inumber == 42 && v.unit == ast::Unit::None));
  v = value_of("-3");
  CHECK(v.inumber == -3);
  v = value_of("0.5");
  CHECK((!v.is_int && v.number == 0.5));
  v = value_of("$250");
  CHECK((v.unit == ast::Unit::Money && v.number == 250));
  v = value_of("5%");
  CHECK((v.unit == ast::Unit::Percent && v.number == 5.0 / 100.0 && v.number == 0.05));
  v = value_of("12.5%");
  CHECK(v.number == 12.5 / 100.0);
  v = value_of("90 days");
  CHECK((v.unit == ast::Unit::Days && v.inumber == 90));
  v = value_of("2 weeks");
  CHECK((v.unit == ast::Unit::Days && v.inumber == 14));
  v = value_of("2024-02-29");
  int32_t d = 0;
  REQUIRE(parse_iso_date("2024-02-29", d));
  CHECK((v.kind == ValueKind::Date && !v.relative && v.date == d));
  v = value_of("today");
  CHECK((v.kind == ValueKind::Date && v.relative && v.offset_days == 0));
  v = value_of("today - 60 days");
  CHECK((v.relative && v.offset_days == -60));
  v = value_of("today+1 week");
  CHECK((v.relative && v.offset_days == 7));
  v = value_of("true");
  CHECK((v.kind == ValueKind::Bool && v.b));
  v = value_of("false");
  CHECK((v.kind == ValueKind::Bool && !v.b));
  v = value_of("missing");
  CHECK(v.kind == ValueKind::Missing);
  v = value_of("deep");
  CHECK((v.kind == ValueKind::Word && v.word == "deep"));
  v = value_of("none");
  CHECK((v.kind == ValueKind::Word && v.word == "none"));
  v = value_of("early_access");
  CHECK(v.canonical() == "early_access");
  v = value_of("credit 10");
  CHECK((v.kind == ValueKind::Offer && v.canonical() == "credit 10"));
  v = value_of("\"c-001 \\\"x\\\"\"");
  CHECK((v.kind == ValueKind::String && v.word == "c-001 \"x\""));
  v = value_of("{}");
  CHECK((v.kind == ValueKind::List && v.items.empty()));
  v = value_of("{a, \"b\", c,}");
  CHECK(v.items.size() == 3);
}

TEST_CASE("items of a clause may be separated by commas or newlines", "[testfile]") {
  auto p = parse(kHead + "test \"t\" {\n  given a = 1\n        b = 2, c = 3\n  expect x = y\n}\n");
  REQUIRE(p.file);
  CHECK(p.file->tests[0].given.size() == 3);
  CHECK(p.file->tests[0].expect.size() == 1);
}

TEST_CASE("RK07xx syntax errors: exact place and message", "[testfile][errors]") {
  CHECK(err(kHead + "test \"a\" { given orders_total 3 }") ==
        "3:31: RK0701: expected `=` after the name, found `3`");
  CHECK(err(kHead + "test \"a\" { expect s = }") ==
        "3:23: RK0701: expected a value (e.g. 42, $250, 5%, 90 days, 2026-11-01, today - 60 "
        "days, true, a word, \"text\", {a, b}, discount 20% or missing), found `}`");
  CHECK(err(kHead + "test \"a\" { gven x = 1 }") ==
        "3:12: RK0701: expected `given`, `expect` or `}` in the test, found `gven`");
  CHECK(err(kHead + "test \"a\" { expect x = y, }") ==
        "3:26: RK0701: expected `NAME = VALUE` after `,`, found `}`");
  CHECK(err(kHead + "test \"a\" { given }") ==
        "3:18: RK0701: expected `FIELD = VALUE` after `given`, found `}`");
  CHECK(err(kHead + "test \"a\" { expect }") ==
        "3:19: RK0701: expected `COLUMN = VALUE` after `expect`, found `}`");
  CHECK(err(kHead + "test \"a\" { expect r = {a b} }") ==
        "3:26: RK0701: expected `,` or `}` in the list, found `b`");
  CHECK(err(kHead + "test a { }") ==
        "3:6: RK0701: expected the test's name as a \"string\" after `test`, found `a`");
  CHECK(err(kHead + "test \"a\" expect") ==
        "3:10: RK0701: expected `{` after the test name, found `expect`");
  CHECK(err(kHead + "test \"a\" { expect x = 1") ==
        "3:24: RK0701: expected `given`, `expect` or `}` in the test, found the end of the file");
  CHECK(err(kHead + "defaults a = 1") == "3:10: RK0701: expected `{` after `defaults`, found `a`");
  CHECK(err(kHead + "defaults { a = 1 ; }") ==
        "3:18: RK0701: expected `FIELD = VALUE` or `}` in `defaults`, found `;`");
  CHECK(err("rules winback\n") ==
        "1:7: RK0701: expected the rules file as a \"string\" after `rules`, found `winback`");
  CHECK(err("as 2026-11-01\n") == "1:4: RK0701: expected `of` after `as`, found `2026-11-01`");
  CHECK(err("as of today\n") ==
        "1:7: RK0701: expected a date (YYYY-MM-DD) after `as of`, found `today`");
  CHECK(err(kHead + "frobnicate") ==
        "3:1: RK0701: expected `rules`, `as of`, `defaults`, `test` or `unreachable`, found "
        "`frobnicate`");
  CHECK(err(kHead + "unreachable x") ==
        "3:14: RK0701: expected `=` after the name, found the end of the file");
  CHECK(err(kHead + "unreachable = x") ==
        "3:13: RK0701: expected `COLUMN = VALUE` after `unreachable`, found `=`");
  CHECK(err(kHead + "test \"a\" { given d = today - soon }") ==
        "3:30: RK0701: expected a number of days (e.g. `60 days`) after `today +` / `today -`, "
        "found `soon`");
  CHECK(err(kHead + "test \"a\" { given m = $ }") ==
        "3:23: RK0701: expected digits after `$`, found a space");
  CHECK(err(kHead + "test \"a\" { given x = 1 @ }") ==
        "3:24: RK0701: expected `given`, `expect` or `}` in the test, found `@`");
}

TEST_CASE("RK0702..RK0707: strings, dates, numbers, repeats, headers, size", "[testfile][errors]") {
  CHECK(err(kHead + "test \"a { }") ==
        "3:6: RK0702: unterminated string: a string must end with `\"` on the same line");
  CHECK(err(kHead + "test \"a\\n\" { }") ==
        "3:8: RK0702: unknown escape in string (only \\\" and \\\\ are allowed)");
  CHECK(err("rules \"w.rules\"\nas of 2026-13-01\n") ==
        "2:7: RK0703: invalid date `2026-13-01`: the month must be 01 to 12");
  CHECK(err(kHead + "test \"a\" { given d = 2026-02-29 }") ==
        "3:22: RK0703: invalid date `2026-02-29`: that month has no day 29");
  CHECK(err(kHead + "test \"a\" { given x = 99999999999999999999 }") ==
        "3:22: RK0704: number `99999999999999999999` is too large (the largest is "
        "9223372036854775807)");
  CHECK(err(kHead + "test \"a\" { expect x = 1 }\ntest \"a\" { expect x = 1 }") ==
        "4:6: RK0705: two tests are called \"a\"");
  CHECK(err(kHead + "test \"a\" { given x = 1, x = 2 }") ==
        "3:25: RK0705: `x` is given twice here (first at line 3)");
  CHECK(err(kHead + "test \"a\" {\n given x = 1\n expect y = 1\n given x = 2 }") ==
        "6:8: RK0705: `x` is given twice in this test (first at line 4)");
  CHECK(err(kHead + "defaults { a = 1, a = 2 }") ==
        "3:19: RK0705: `a` is given twice here (first at line 3)");
  CHECK(err(kHead + "defaults { }\ndefaults { }") ==
        "4:1: RK0705: `defaults` is given twice (put every default in one block)");
  CHECK(err(kHead + "rules \"x.rules\"") ==
        "3:7: RK0705: `rules` is given twice (a test file tests one rules file)");
  CHECK(err(kHead + "as of 2026-01-01") == "3:7: RK0705: `as of` is given twice");
  CHECK(err("as of 2026-11-01\n") ==
        "1:1: RK0706: the test file does not say which rules it tests");
  CHECK(err("rules \"w.rules\"\n") ==
        "1:1: RK0706: the test file does not give the as-of date of its tests");
  CHECK(err(std::string(kMaxTestFileBytes + 1, ' ')) ==
        "1:1: RK0707: `t.test` is too large (16777217 bytes; the limit is 16777216 bytes)");
}

TEST_CASE("test file errors render as file:line:col with the source line", "[testfile][errors]") {
  auto p = parse(kHead + "test \"a\" { given orders_total 3 }\n");
  REQUIRE(!p.file);
  CHECK(render_text(p.sources, p.diags.front()) ==
        "t.test:3:31: error[RK0701]: expected `=` after the name, found `3`\n"
        "    3 | test \"a\" { given orders_total 3 }\n"
        "      |                               ^\n");
}

TEST_CASE("parse_value parses one value alone", "[testfile]") {
  SourceSet s;
  std::vector<Diagnostic> diags;
  auto v = parse_value(s, s.add("--given", "today - 7 days"), diags);
  REQUIRE(v);
  CHECK((v->relative && v->offset_days == -7));
  v = parse_value(s, s.add("--given", "discount 20%"), diags);
  REQUIRE(v);
  CHECK(v->canonical() == "discount 20%");
  CHECK(!parse_value(s, s.add("--given", "1 2"), diags));
  REQUIRE(diags.size() == 1);
  CHECK(diags[0].message == "expected the end of the value, found `2`");
}

TEST_CASE("the playbook's test file parses", "[testfile]") {
  SourceSet s;
  std::vector<Diagnostic> diags;
  auto idx = s.load(std::string(RK_SOURCE_DIR) + "/rules/winback.test", diags);
  REQUIRE(idx);
  auto f = parse_test_file(s, *idx, diags);
  REQUIRE(f);
  CHECK(f->rules_path == "winback.rules");
  CHECK(f->tests.size() > 60);
  REQUIRE(f->unreachable.size() == 1);
  CHECK(f->unreachable[0].what.value.word == "no_channel");
  CHECK(!f->unreachable[0].reason.empty());
}
