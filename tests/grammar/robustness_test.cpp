// Rekindle grammar tests: hostile input never crashes the parser: deep nesting stops at the limit,
// a 10 MB file parses, and every truncation or corruption of the playbook yields a diagnostic.
#include <catch2/catch.hpp>

#include <random>

#include "parse_helpers.h"

using namespace rk;
using namespace rk::test;

TEST_CASE("10,000 nested parentheses give RK0106, not a stack overflow", "[grammar][robust]") {
  const std::string text = "let x = " + std::string(10000, '(') + "1" + std::string(10000, ')');
  auto p = parse_text(text);
  REQUIRE_FALSE(p.file);
  CHECK(p.diags.at(0).code == "RK0106");
  CHECK(p.diags.at(0).message == "expressions are nested too deeply (limit 256)");
}

TEST_CASE("every recursive construct counts toward the nesting limit", "[grammar][robust]") {
  std::string nots, negs, ifs, days;
  for (int i = 0; i < 10000; ++i) {
    nots += "not ";
    negs += "- ";
    ifs += "if a then ";
    days += "days since ";
  }
  for (const std::string& e : {nots + "x", negs + "x", ifs + "b", days + "x"}) {
    auto p = parse_text("let x = " + e);
    REQUIRE_FALSE(p.file);
    CHECK(p.diags.at(0).code == "RK0106");
  }
  // Unclosed parentheses: the limit is reached before the end of the file.
  auto p = parse_text("let x = " + std::string(100000, '('));
  REQUIRE_FALSE(p.file);
  CHECK(p.diags.at(0).code == "RK0106");
}

TEST_CASE("long flat chains are not nesting", "[grammar][robust]") {
  std::string e = "a";
  for (int i = 0; i < 20000; ++i) e += " or a and b + 1 > 2";
  auto p = parse_text("let x = " + e);
  INFO(first_error(p));
  REQUIRE(p.file);
}

TEST_CASE("a 10 MB rule file parses", "[grammar][robust]") {
  const std::string body = read_file(RK_SOURCE_DIR "/rules/winback.rules");
  std::string text;
  int copies = 0;
  while (text.size() < 10u << 20) {
    // Rename the declarations of each copy so the file stays meaningful.
    text += "segment s" + std::to_string(copies) + " { a when x in 1 to 5 days or y is missing }\n";
    text += body.substr(body.find("## Order value"));
    ++copies;
  }
  auto p = parse_text(text, "big.rules");
  INFO(first_error(p));
  REQUIRE(p.file);
  CHECK(p.file->decls.size() == static_cast<size_t>(copies) * 24);
}

TEST_CASE("an error after many lines is reported at its line", "[grammar][robust]") {
  std::string text;
  for (int i = 0; i < 50000; ++i) text += "let x" + std::to_string(i) + " = a + 1  # a comment\n";
  text += "stop oops when";
  auto p = parse_text(text, "long.rules");
  REQUIRE_FALSE(p.file);
  CHECK(first_error(p) ==
        "50001:15: RK0101: expected a condition after `when`, found the end of the file");
}

TEST_CASE("truncations and corruptions of the playbook never crash", "[grammar][robust]") {
  const std::string body = read_file(RK_SOURCE_DIR "/rules/winback.rules");
  std::mt19937 rng(20261101);
  std::uniform_int_distribution<size_t> pos(0, body.size());
  const std::string junk = "(){}\"#$%.:=<>!+-*/?@\\\n x1_";
  std::uniform_int_distribution<size_t> pick(0, junk.size() - 1);
  int failures = 0;
  for (int i = 0; i < 600; ++i) {
    std::string text = body.substr(0, pos(rng));
    if (i % 2 == 1) {  // also corrupt one byte somewhere
      std::string t = body;
      t[pos(rng) % t.size()] = junk[pick(rng)];
      text = t;
    }
    auto p = parse_text(text);
    if (!p.file) {
      ++failures;
      REQUIRE(p.diags.size() == 1);
      const Diagnostic& d = p.diags[0];
      REQUIRE(d.span);
      CHECK(d.code.rfind("RK01", 0) == 0);
      CHECK(d.span->offset <= text.size());
      CHECK_FALSE(render_text(p.sources, d).empty());
    }
  }
  CHECK(failures > 100);
}
