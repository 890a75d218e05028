// Rekindle tests: the formatter (compiler/format). It is idempotent, never changes meaning
// (ir::dump of the compiled program is unchanged), keeps every comment and doc comment, leaves the
// house-style files of rules/ as they are, and prints expressions with the parentheses they need.
// Checked over every rule file in the repository and over 500 generated files.
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "compiler/check/compile.h"
#include "compiler/format/format.h"
#include "grammar/parser.h"
#include "tests/gen/rule_file_gen.h"

using namespace rk;
namespace fs = std::filesystem;

namespace {

std::string read(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string fmt_ok(const std::string& text, const std::string& path = "t.rules") {
  FormatResult r = format_text(path, text);
  std::string errors;
  for (const auto& d : r.diags) errors += render_text(r.sources, d);
  INFO(text << "\n" << errors);
  REQUIRE(r.text);
  return *r.text;
}

// Every comment's text, sorted; and every doc comment with what it documents.
struct Notes {
  std::vector<std::string> comments;
  std::vector<std::string> docs;
};
Notes notes_of(const std::string& text) {
  SourceSet s;
  const uint32_t i = s.add("n.rules", text);
  std::vector<Diagnostic> diags;
  std::vector<ast::Comment> comments;
  ParseOptions o;
  o.comments = &comments;
  auto f = parse_file(s, i, diags, o);
  REQUIRE(f);
  Notes n;
  for (const auto& c : comments) n.comments.push_back(c.text);
  std::sort(n.comments.begin(), n.comments.end());
  for (const auto& d : f->decls) {
    std::visit(
        [&](const auto& x) {
          using T = std::decay_t<decltype(x)>;
          if constexpr (!std::is_same_v<T, ast::ImportDecl>) n.docs.push_back(x.doc);
          if constexpr (std::is_same_v<T, ast::SegmentDecl>)
            for (const auto& l : x.labels) n.docs.push_back(l.name + ":" + l.doc);
          if constexpr (std::is_same_v<T, ast::SequenceDecl>)
            for (const auto& t : x.touches) n.docs.push_back(t.name + ":" + t.doc);
        },
        d.decl);
  }
  return n;
}

// fmt is idempotent, keeps comments and docs, and (when the file compiles) the program.
void check_round_trip(const std::string& path, const std::string& text) {
  INFO(path << "\n---- original ----\n" << text);
  const std::string once = fmt_ok(text, path);
  INFO("---- formatted ----\n" << once);
  const std::string twice = fmt_ok(once, path);
  REQUIRE(twice == once);
  const Notes a = notes_of(text), b = notes_of(once);
  REQUIRE(a.comments == b.comments);
  REQUIRE(a.docs == b.docs);
  CompileOptions opts;
  opts.root = RK_SOURCE_DIR;  // golden cases import ../../../rules/customer.schema
  const CompileResult ca = compile_rules_text(path, text, opts);
  if (!ca.program) return;
  const CompileResult cb = compile_rules_text(path, once, opts);
  std::string errors;
  for (const auto& d : cb.diags) errors += render_text(cb.sources, d);
  INFO(errors);
  REQUIRE(cb.program);
  REQUIRE(ir::dump(*ca.program) == ir::dump(*cb.program));
}

}  // namespace

TEST_CASE("Format: the house-style files of rules/ are already formatted", "[format]") {
  const fs::path root = fs::path(RK_SOURCE_DIR) / "rules";
  std::vector<fs::path> files{root / "winback.rules", root / "customer.schema"};
  for (const auto& e : fs::directory_iterator(root / "examples"))
    if (e.path().extension() == ".rules") files.push_back(e.path());
  for (const auto& p : files) {
    const std::string text = read(p);
    INFO(p.string());
    CHECK(fmt_ok(text, p.string()) == text);
  }
}

TEST_CASE("Format: every rule and schema file in the repository round-trips", "[format]") {
  int n = 0;
  for (const auto& e : fs::recursive_directory_iterator(RK_SOURCE_DIR)) {
    const fs::path& p = e.path();
    const std::string s = p.string();
    if (s.find("/build/") != std::string::npos || s.find("/.git/") != std::string::npos) continue;
    if (p.extension() != ".rules" && p.extension() != ".schema") continue;
    const std::string text = read(p);
    SourceSet src;
    std::vector<Diagnostic> diags;
    if (!parse_file(src, src.add(s, text), diags)) continue;  // broken on purpose (golden tests)
    check_round_trip(s, text);
    ++n;
  }
  CHECK(n >= 5);
}

TEST_CASE("Format: 500 generated rule files round-trip (plain, messy, with comments)",
          "[format][gen]") {
  for (uint64_t seed = 1; seed <= 500; ++seed) {
    testgen::RuleFileOptions o;
    o.seed = 7000 + seed;
    o.schema_path = "customer.schema";  // next to rules/gN.rules
    o.messy = seed % 2 == 0;
    o.comments = seed % 3 != 0;
    const std::string text = testgen::generate_rule_file(o);
    INFO("seed " << o.seed);
    const std::string path =
        std::string(RK_SOURCE_DIR) + "/rules/g" + std::to_string(o.seed) + ".rules";
    REQUIRE(compile_rules_text(path, text).program);
    check_round_trip(path, text);
  }
}

TEST_CASE("Format: layout of declarations", "[format]") {
  CHECK(fmt_ok("segment   s{a when x>1 otherwise   b}") ==
        "segment s {\n  a when x > 1\n  otherwise b\n}\n");
  CHECK(fmt_ok("segment s { long_name when x  =1\n a when y }") ==
        "segment s {\n  long_name when x = 1\n  a         when y\n}\n");
  CHECK(fmt_ok("stop a when x because \"no\"   review b when y") ==
        "stop a when x\n  because \"no\"\n\nreview b when y\n");
  CHECK(fmt_ok("parameter a = 5%\nparameter b = $250\n\n\n\nparameter c = 90   days") ==
        "parameter a = 5%\nparameter b = $250\n\nparameter c = 90 days\n");
  CHECK(fmt_ok("parameter a = 1 let b = a candidate when b > 1") ==
        "parameter a = 1\n\nlet b = a\n\ncandidate when b > 1\n");
  CHECK(fmt_ok("schema c field a: string key field b: enum {x,y}? field l: list  of string") ==
        "schema c\n\nfield a: string key\nfield b: enum {x, y}?\nfield l: list of string\n");
  CHECK(fmt_ok("sequence q { touch a via e touch b via e offer\n (if x then credit 1 else none) "
               "only when y channel e requires z holdout 5% salt \"q\" wait 7 days progress t "
               "on d }") ==
        "sequence q {\n  touch a via e\n  touch b via e\n    offer (if x then credit 1 else none)\n"
        "    only when y\n\n  channel e requires z\n\n  holdout 5% salt \"q\"\n  wait 7 days\n"
        "  progress t on d\n}\n");
  // Scores: points right-aligned, `point` for one; `- 1 points` starts a line, not a subtraction.
  CHECK(fmt_ok("score s{10 points when x -1 points when y 2.5  point when z}") ==
        "score s {\n   10 points when x\n   -1 point when y\n  2.5 points when z\n}\n");
  CHECK(fmt_ok("score s { 1 point when x - 2 > 0 }") == "score s {\n  1 point when x - 2 > 0\n}\n");
  CHECK(fmt_ok("sequence q { channel e\n touch a via e offer credit 10 touch bb via e }") ==
        "sequence q {\n  channel e\n\n  touch a  via e offer credit 10\n  touch bb via e\n}\n");
}

TEST_CASE("Format: expressions keep their meaning with minimal parentheses", "[format]") {
  auto let = [](const std::string& e) {
    const std::string out = fmt_ok("let x = " + e);
    return out.substr(8, out.size() - 9);
  };
  CHECK(let("(a or b) and c") == "(a or b) and c");
  CHECK(let("a or (b and c)") == "a or b and c");
  CHECK(let("(a and b) or c") == "a and b or c");
  CHECK(let("not (a = b)") == "not a = b");
  CHECK(let("not (a or b)") == "not (a or b)");
  CHECK(let("a - (b - c)") == "a - (b - c)");
  CHECK(let("(a - b) - c") == "a - b - c");
  CHECK(let("a * (b + c)") == "a * (b + c)");
  CHECK(let("-(a + b)") == "-(a + b)");
  CHECK(let("((x))") == "x");
  CHECK(let("(if a then b else c)") == "(if a then b else c)");
  CHECK(let("if a then b else c") == "if a then b else c");
  CHECK(let("(if a then 1 else 2) + 3") == "(if a then 1 else 2) + 3");
  CHECK(let("x is at  least 5") == "x is at least 5");
  CHECK(let("x at most 5 and y under $3 and z is below 2%") ==
        "x at most 5 and y under $3 and z is below 2%");
  CHECK(let("x is not missing or y is not present") == "x is present or y is missing");
  CHECK(let("c has electronics and c has any of {a,b,} and c has none of {\"x y\"}") ==
        "c has electronics and c has any of {a, b} and c has none of {\"x y\"}");
  CHECK(let("d in 60 to 89 days and e not in {a,b} and f is not one of {c}") ==
        "d in 60 to 89 days and e not in {a, b} and f is not one of {c}");
  CHECK(let("days since (a + 1 day) > 2 weeks") == "days since (a + 1 day) > 2 weeks");
  CHECK(let("days until a.b") == "days until a.b");
  CHECK(let("(days since a).b") == "(days since a).b");
  CHECK(let("w.offer is discount and s = \"q\\\"x\"") == "w.offer is discount and s = \"q\\\"x\"");
  CHECK(let("today - 2026-01-01") == "today - 2026-01-01");
  CHECK(let("- -x") == "--x");
  CHECK(let("(a = b) = c") == "(a = b) = c");
}

TEST_CASE("Format: comments stay in place", "[format]") {
  const std::string src =
      "# head\n\n## Doc of a.\nparameter a = 1  # trailing a\n# between\nparameter b = 2\n\n"
      "segment s {  # after brace\n  ## Doc of x.\n  x when a > 1  # why\n  # before y\n"
      "  y when a >\n    # inside\n    2 # end of y\n  # before close\n}\n# tail\n";
  const std::string out = fmt_ok(src);
  CHECK(out ==
        "# head\n\n## Doc of a.\nparameter a = 1  # trailing a\n# between\nparameter b = 2\n\n"
        "segment s {  # after brace\n  ## Doc of x.\n  x when a > 1  # why\n  # before y\n"
        "  y when a > 2  # end of y\n  # inside\n  # before close\n}\n# tail\n");
  CHECK(fmt_ok(out) == out);
  // A `##` comment from inside an expression must not become a declaration's documentation.
  const std::string moved = fmt_ok(
      "stop s when a\n## not a doc\n or b\n  because \"r\"\n"
      "let x = y or\n## inner\n z\nlet w = 1\n");
  CHECK(fmt_ok(moved) == moved);
  CHECK(notes_of(moved).docs == notes_of("stop s when a or b because \"r\" let x = y or z "
                                         "let w = 1")
                                    .docs);
}

TEST_CASE("Format: syntax errors are diagnostics", "[format]") {
  FormatResult r = format_text("bad.rules", "segment s { a wen x }");
  CHECK_FALSE(r.text);
  REQUIRE(r.diags.size() == 1);
  CHECK(r.diags[0].code == "RK0101");
}

TEST_CASE("Format: a long flat chain formats without deep recursion", "[format]") {
  std::string text = "stop s when x = 1";
  for (int i = 0; i < 200000; ++i) text += " or x = " + std::to_string(i % 10);
  text += "\n  because \"r\"\n";
  std::string chain = "let m = a";
  for (int i = 0; i < 50000; ++i) chain += ".b";
  const std::string out = fmt_ok(text);
  CHECK(out == text);
  CHECK(fmt_ok(chain + "\n") == chain + "\n");
}
