// Rekindle grammar tests: every syntax error code with its exact position and message, and the
// rendered form `file:line:col: error[RKxxxx]: message`.
#include <catch2/catch.hpp>

#include "parse_helpers.h"

using namespace rk;
using namespace rk::test;

namespace {
std::string err(const std::string& text) {
  auto p = parse_text(text);
  if (p.file) return "parsed";
  REQUIRE(p.diags.size() == 1);
  return first_error(p);
}
}  // namespace

TEST_CASE("RK0101: expected X, found Y, at the next token", "[grammar][errors]") {
  CHECK(err("segment s {\n  a wen x\n}") ==
        "2:5: RK0101: expected `when` after the label name, found `wen`");
  CHECK(err("segment s {\n  a when\n}") ==
        "3:1: RK0101: expected a condition after `when`, found `}`");
  CHECK(err("stop x when y because nope") ==
        "1:23: RK0101: expected a quoted reason after `because`, found `nope`");
  CHECK(err("let x = (a") ==
        "1:11: RK0101: expected `)` to close the parenthesis, found the end of the file");
  CHECK(err("let x = a at 5") == "1:14: RK0101: expected `least` or `most` after `at`, found `5`");
  CHECK(err("let x = if a then b") ==
        "1:20: RK0101: expected `else` (every `if` needs an `else`), found the end of the file");
  CHECK(err("let x = a in {}") ==
        "1:15: RK0101: expected a word or a \"string\" after `{`, found `}`");
  CHECK(err("let x = a in {b c}") == "1:17: RK0101: expected `,` or `}` in the set, found `c`");
  CHECK(err("let x = a in 1 2") ==
        "1:16: RK0101: expected `to` in the range (`in A to B`), found `2`");
  CHECK(err("let x = a has any {b}") ==
        "1:19: RK0101: expected `of` (`has any of {...}`), found `{`");
  CHECK(err("let x = days x") ==
        "1:14: RK0101: expected `since` or `until` after `days`, found `x`");
  CHECK(err("let x = a and then") ==
        "1:15: RK0101: expected an expression after `and`, found `then`");
  CHECK(err("let x = a is not") ==
        "1:17: RK0101: expected `missing`, `present`, `one of {...}` or a value after `is not`, "
        "found the end of the file");
  CHECK(err("schema s\nfield a: list of int") ==
        "2:18: RK0101: expected `string` after `list of` (only lists of strings are supported), "
        "found `int`");
  CHECK(err("schema s\nfield a int") ==
        "2:9: RK0101: expected `:` after the field name, found `int`");
  CHECK(err("sequence q { touch a email }") ==
        "1:22: RK0101: expected `via` after the touch name, found `email`");
  CHECK(err("sequence q { holdout 5% \"x\" }") ==
        "1:25: RK0101: expected `salt \"...\"` after the holdout share, found a string");
  CHECK(err("sequence q { tuch a via b }") ==
        "1:14: RK0101: expected a sequence clause (enter, progress, wait, holdout, exit, channel, "
        "fallback, touch, cap) or `}`, found `tuch`");
  CHECK(err("segment s { mid when 2 < orders_total < 10 }") ==
        "1:39: RK0101: comparisons cannot be chained; join them with `and` (`a < b and b < c`), "
        "found `<`");
  CHECK(err("let x = a is b is c") ==
        "1:16: RK0101: comparisons cannot be chained; join them with `and` (`a < b and b < c`), "
        "found `is`");
  CHECK(err("sequence q { wait 1 wait 2 }") ==
        "1:21: RK0101: `wait` is given twice in this sequence");
  CHECK(err("let x = \"a\\nb\"") ==
        "1:11: RK0101: unknown escape in string (only \\\" and \\\\ are allowed)");
}

TEST_CASE("RK0102: unterminated string, at its opening quote", "[grammar][errors]") {
  CHECK(err("let a = 1\nlet x = \"abc\nlet y = 1") ==
        "2:9: RK0102: unterminated string: a string must end with `\"` on the same line");
  CHECK(err("stop x when y because \"no end") ==
        "1:23: RK0102: unterminated string: a string must end with `\"` on the same line");
}

TEST_CASE("RK0103: declaration expected, unexpected character", "[grammar][errors]") {
  CHECK(err("let x = 1\n\nfrobnicate x") ==
        "3:1: RK0103: expected a declaration (segment, score, stop, review, sequence, channel, "
        "fallback, cap, local time, owner, guarantee, let, parameter, candidate, import), found "
        "`frobnicate`");
  CHECK(err("let x = 1 @ 2") ==
        "1:11: RK0103: unexpected character `@` (expected a declaration (segment, score, stop, "
        "review, sequence, channel, fallback, cap, local time, owner, guarantee, let, parameter, "
        "candidate, import))");
  CHECK(err("let x = a <\x01") ==
        "1:12: RK0103: unexpected character byte 0x01 (expected a value to compare with)");
  CHECK(err("schema s\nsegment x {}") ==
        "2:1: RK0103: expected a field declaration (`field NAME: TYPE`), found `segment`");
}

TEST_CASE("RK0104: invalid date literal", "[grammar][errors]") {
  CHECK(err("let d = 2026-13-01") ==
        "1:9: RK0104: invalid date `2026-13-01`: the month must be 01 to 12");
  CHECK(err("let d = 2026-02-29") ==
        "1:9: RK0104: invalid date `2026-02-29`: February 2026 has 28 days");
  CHECK(err("segment s { a when x < 2024-04-31 }") ==
        "1:24: RK0104: invalid date `2024-04-31`: April 2024 has 30 days");
  CHECK(err("let d = 2024-02-29") == "parsed");
}

TEST_CASE("RK0105: number too large", "[grammar][errors]") {
  CHECK(err("let n = 99999999999999999999") ==
        "1:9: RK0105: number `99999999999999999999` is too large (the largest is "
        "9223372036854775807)");
  CHECK(err("let n = 9223372036854775808") ==
        "1:9: RK0105: number `9223372036854775808` is too large (the largest is "
        "9223372036854775807)");
  CHECK(err("let n = 1317624576693539402 weeks") ==
        "1:9: RK0105: number `1317624576693539402 weeks` is too large (the largest is "
        "9223372036854775807)");
  CHECK(err("let n = $9223372036854775807") == "parsed");
}

TEST_CASE("RK0106: nesting too deep", "[grammar][errors]") {
  CHECK(err("let x = " + std::string(300, '(') + "1" + std::string(300, ')')) ==
        "1:266: RK0106: expressions are nested too deeply (limit 256)");
  CHECK(err("let x = " + std::string(256, '(') + "1" + std::string(256, ')')) == "parsed");
}

TEST_CASE("RK0107: file too large", "[grammar][errors]") {
  std::string big(kMaxSourceBytes + 1, ' ');
  auto p = parse_text(std::move(big), "big.rules");
  REQUIRE_FALSE(p.file);
  CHECK(first_error(p) ==
        "1:1: RK0107: `big.rules` is too large (16777217 bytes; the limit is "
        "16777216 bytes)");
}

TEST_CASE("RK0108: keyword used as a name", "[grammar][errors]") {
  CHECK(err("segment offer { a when x }") ==
        "1:9: RK0108: `offer` is a keyword and cannot be used as a name");
  CHECK(err("segment s {\n  offer when x\n}") ==
        "2:3: RK0108: `offer` is a keyword and cannot be used as a name");
  CHECK(err("stop offer when x") ==
        "1:6: RK0108: `offer` is a keyword and cannot be used as a name");
  CHECK(err("schema s\nfield date: date") ==
        "2:7: RK0108: `date` is a keyword and cannot be used as a name");
  CHECK(err("sequence q { touch when via email }") ==
        "1:20: RK0108: `when` is a keyword and cannot be used as a name");
}

TEST_CASE("diagnostics render as file:line:col: error[code]: message", "[grammar][errors]") {
  auto p = parse_text("segment s {\n  a wen x\n}", "rules/x.rules");
  REQUIRE(p.diags.size() == 1);
  CHECK(render_text(p.sources, p.diags[0]) ==
        "rules/x.rules:2:5: error[RK0101]: expected `when` after the label name, found `wen`\n"
        "    2 |   a wen x\n"
        "      |     ^^^\n");
}

TEST_CASE("guarantee: its parts, and the contextual words", "[grammar][errors]") {
  CHECK(err("guarantee g never x") ==
        "1:13: RK0101: expected `:` after the guarantee name (`guarantee NAME: never CONDITION`), "
        "found `never`");
  CHECK(err("guarantee g: x") ==
        "1:14: RK0101: expected `never` or `always` after `:` (`guarantee NAME: never "
        "CONDITION`), found `x`");
  CHECK(err("guarantee g: always") ==
        "1:20: RK0101: expected a condition after `never` or `always`, found the end of the file");
  // `guarantee`, `never` and `always` are names elsewhere.
  CHECK(err("let guarantee = never and always") == "parsed");
}
