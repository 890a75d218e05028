// Rekindle tests: the formatter (compiler/format). It is idempotent, never changes meaning
// (ir::dump of the compiled program is unchanged), keeps every comment and doc comment, leaves the
// house-style files of rules/ as they are, and prints expressions with the parentheses they need.
// Checked over every rule file in the repository and over 500 generated files.
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>
#include <random>
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
  int templated = 0;  // sequences with templates
  size_t guarantees = 0;
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
    const CompileResult compiled = compile_rules_text(path, text);
    REQUIRE(compiled.program);
    for (const auto& q : compiled.program->layout.sequences) templated += q.templated ? 1 : 0;
    guarantees += compiled.program->layout.guarantees.size();
    check_round_trip(path, text);
  }
  CHECK(templated > 100);   // templates are among the constructs generated
  CHECK(guarantees > 100);  // and guarantees
}

TEST_CASE("Format: guarantees", "[format]") {
  CHECK(fmt_ok("guarantee   g :never  x>1") == "guarantee g: never x > 1\n");
  CHECK(fmt_ok("## Kept.\nguarantee g:always(x > 1 or y)and not reviewed") ==
        "## Kept.\nguarantee g: always (x > 1 or y) and not reviewed\n");
}

TEST_CASE("Format: send times, local time and owner", "[format]") {
  CHECK(fmt_ok("channel email requires e,sends   at 09:00\nchannel sms sends at 11:00 except "
               "saturday,sunday local time from tz ,or \"UTC\" when   missing owner csm or   "
               "\"x y\"") ==
        "channel email requires e, sends at 09:00\n\nchannel sms sends at 11:00 except saturday "
        "and sunday\n\nlocal time from tz, or \"UTC\" when missing\n\nowner csm or \"x y\"\n");
  CHECK(fmt_ok("channel c sends at 07:30 except monday and tuesday and friday\nowner \"ops\"") ==
        "channel c sends at 07:30 except monday, tuesday and friday\n\nowner \"ops\"\n");
  CHECK(
      fmt_ok("sequence s {\n  channel email requires e , sends at 09:00\n  touch a via email\n}") ==
      "sequence s {\n  channel email requires e, sends at 09:00\n\n  touch a via email\n}\n");
  CHECK(fmt_ok("schema s field id: string key field tz: time_zone?") ==
        "schema s\n\nfield id: string key\nfield tz: time_zone?\n");
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
  // Value ranges: `A to B`, one end with its operator, negative ends, each unit's literals.
  CHECK(fmt_ok("schema c field a: string key field n: int?0  to   10 field t: int>=0 "
               "field m: money >$0 field p: percent <  100% field d: date >=2010-01-01 "
               "field x: number -1.5 to -0.5 field y: int <= -1") ==
        "schema c\n\nfield a: string key\nfield n: int? 0 to 10\nfield t: int >= 0\n"
        "field m: money > $0\nfield p: percent < 100%\nfield d: date >= 2010-01-01\n"
        "field x: number -1.5 to -0.5\nfield y: int <= -1\n");
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
  // Templates: subject and body one a line in the touch's braces (escapes kept); a variant with
  // its own template has one clause a line, one without stays on one line.
  CHECK(fmt_ok("sequence q { channel e touch a via e {subject \"Hi {n|x}\" body   \"a \\\"b\\\" "
               "{{c}}\" variant v 50% { offer credit 5 body \"B\" } variant w 50% } }") ==
        "sequence q {\n  channel e\n\n  touch a via e {\n    subject \"Hi {n|x}\"\n"
        "    body \"a \\\"b\\\" {{c}}\"\n    variant v 50% {\n      offer credit 5\n      body "
        "\"B\"\n"
        "    }\n    variant w 50%\n  }\n}\n");
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
  std::string text = "stop s when x = 1", broken = text;
  for (int i = 0; i < 200000; ++i) {
    text += " or x = " + std::to_string(i % 10);
    broken += "\n    or x = " + std::to_string(i % 10);
  }
  text += "\n  because \"r\"\n";
  broken += "\n  because \"r\"\n";
  std::string chain = "let m = a";
  for (int i = 0; i < 50000; ++i) chain += ".b";
  const std::string out = fmt_ok(text);
  CHECK(out == broken);
  CHECK(fmt_ok(out) == out);
  CHECK(fmt_ok(chain + "\n") == chain + "\n");  // a member chain cannot break
}

namespace {

// Columns of the longest line (code points).
size_t widest_line(const std::string& text) {
  size_t widest = 0, n = 0;
  for (char c : text) {
    if (c == '\n') {
      widest = std::max(widest, n);
      n = 0;
    } else if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) {
      ++n;
    }
  }
  return std::max(widest, n);
}

}  // namespace

TEST_CASE("Format: long expressions break at or, and, + within 100 columns", "[format]") {
  // An `and` chain: one operand per line, continuation lines 4 spaces in, the operator first.
  const std::string stop =
      "stop poor_fit when orders_total = 1 and avg_order_value < $20 and days since "
      "last_purchase_date >= 365 days and email_bounce_rate > 5%\n  because \"Poor fit\"\n";
  CHECK(fmt_ok(stop) ==
        "stop poor_fit when orders_total = 1\n"
        "    and avg_order_value < $20\n"
        "    and days since last_purchase_date >= 365 days\n"
        "    and email_bounce_rate > 5%\n"
        "  because \"Poor fit\"\n");
  // `or` is looser than `and`: the `or` chain breaks first; an operand that fits stays whole,
  // one that does not breaks inside, 2 columns further in.
  CHECK(fmt_ok("review r when orders_total >= 10 and avg_order_value >= $250 or is_subscriber and "
               "email_consent is true and purchases_90d >= 3 and email_clicks_90d >= 5 and "
               "email_opens_90d >= 20 because \"x\"") ==
        "review r when orders_total >= 10 and avg_order_value >= $250\n"
        "    or is_subscriber\n"
        "      and email_consent is true\n"
        "      and purchases_90d >= 3\n"
        "      and email_clicks_90d >= 5\n"
        "      and email_opens_90d >= 20\n"
        "  because \"x\"\n");
  // A sum breaks at `+` and `-`, inside a comparison too.
  CHECK(fmt_ok("let spend = avg_order_value * orders_total + avg_order_value_last_year * 2 - "
               "refunds_total_amount + credits_total_amount + bonus_total_amount_given") ==
        "let spend = avg_order_value * orders_total\n"
        "    + avg_order_value_last_year * 2\n"
        "    - refunds_total_amount\n"
        "    + credits_total_amount\n"
        "    + bonus_total_amount_given\n");
  CHECK(fmt_ok("candidate when total_amount_spent_in_the_last_year_by_this_customer >= "
               "first_threshold_amount + second_threshold_amount") ==
        "candidate when total_amount_spent_in_the_last_year_by_this_customer >= "
        "first_threshold_amount\n"
        "    + second_threshold_amount\n");
  // Inside parentheses and after `not`; the closing parenthesis stays on the last line.
  CHECK(fmt_ok("let x = (orders_total_over_lifetime > 100 or avg_order_value_over_lifetime > "
               "$1000 or is_subscriber_for_years) and opted_out") ==
        "let x = (orders_total_over_lifetime > 100\n"
        "      or avg_order_value_over_lifetime > $1000\n"
        "      or is_subscriber_for_years)\n"
        "    and opted_out\n");
  CHECK(fmt_ok("let y = not (orders_total_over_lifetime > 100 or avg_order_value_over_lifetime > "
               "$1000 or is_subscriber_for_years)") ==
        "let y = not (orders_total_over_lifetime > 100\n"
        "    or avg_order_value_over_lifetime > $1000\n"
        "    or is_subscriber_for_years)\n");
  // Segment labels (aligned on `when`), sequence clauses and `only when` continue 4 spaces past
  // their own line.
  CHECK(fmt_ok("segment s { a when x = 1 long_label_name when orders_total_over_the_lifetime > 100 "
               "and avg_order_value_over_lifetime > $1000 }") ==
        "segment s {\n"
        "  a               when x = 1\n"
        "  long_label_name when orders_total_over_the_lifetime > 100\n"
        "      and avg_order_value_over_lifetime > $1000\n"
        "}\n");
  CHECK(fmt_ok("sequence q { channel email requires email_consent and not opted_out and "
               "email_bounce_rate_last_quarter < 5% and spam_complaints_90d = 0 touch a via email "
               "only when orders_total_over_the_lifetime_of_customer > 100 and "
               "avg_order_value_over_lifetime > $1000 }") ==
        "sequence q {\n"
        "  channel email requires email_consent\n"
        "      and not opted_out\n"
        "      and email_bounce_rate_last_quarter < 5%\n"
        "      and spam_complaints_90d = 0\n"
        "\n"
        "  touch a via email\n"
        "    only when orders_total_over_the_lifetime_of_customer > 100\n"
        "        and avg_order_value_over_lifetime > $1000\n"
        "}\n");
  // What fits stays on one line; what cannot break (a long name, a set) stays whole.
  CHECK(fmt_ok("let z = a or b\n") == "let z = a or b\n");
  const std::string set = "let s = x in {" + std::string(120, 'a') + "}\n";
  CHECK(fmt_ok(set) == set);
  // A trailing comment stays at the end of the last line; comments inside move below.
  CHECK(fmt_ok("let t = orders_total_over_lifetime > 100 and  # why\n"
               "  avg_order_value_over_lifetime > $1000 and is_subscriber_for_years  # end\n") ==
        "let t = orders_total_over_lifetime > 100\n"
        "    and avg_order_value_over_lifetime > $1000\n"
        "    and is_subscriber_for_years  # end\n"
        "# why\n");
}

TEST_CASE("Format: the broken examples of docs/formatting.md are formatted", "[format]") {
  const std::string doc = read(fs::path(RK_SOURCE_DIR) / "docs" / "formatting.md");
  const size_t at = doc.find("  stop poor_fit when orders_total = 1\n");
  REQUIRE(at != std::string::npos);
  const size_t end = doc.find("  ```", at);
  REQUIRE(end != std::string::npos);
  std::string block;  // the example without the list item's indentation
  std::istringstream lines(doc.substr(at, end - at));
  for (std::string l; std::getline(lines, l);) block += (l.size() >= 2 ? l.substr(2) : l) + "\n";
  CHECK(fmt_ok(block) == block);
}

TEST_CASE("Format: breaking is idempotent and keeps the meaning (random long conditions)",
          "[format][gen]") {
  // Random and/or/not/parentheses/sums over short comparisons of the playbook's fields: every
  // line fits in 100 columns (each atom is short), formatting again changes nothing, and the
  // program is the same (ir::dump).
  const std::vector<std::string> atoms = {
      "orders_total >= 3",
      "avg_order_value < $20",
      "is_subscriber",
      "email_consent is true",
      "opted_out",
      "days since last_purchase_date > 90 days",
      "purchases_90d = 0",
      "email_bounce_rate > 5%",
      "categories has apparel",
      "acquisition_channel is referral",
      "email_clicks_90d >= 2",
      "relationship_flag is missing",
  };
  const std::vector<std::string> sums = {"orders_total", "purchases_90d", "email_opens_90d",
                                         "email_clicks_90d", "spam_complaints_90d"};
  std::mt19937_64 rng(16);
  auto pick = [&](size_t n) { return static_cast<size_t>(rng() % n); };
  std::function<std::string(int)> cond = [&](int depth) -> std::string {
    const size_t k = depth <= 0 ? 0 : pick(6);
    if (k == 0) return atoms[pick(atoms.size())];
    if (k == 1) return "not (" + cond(depth - 1) + ")";
    if (k == 2) {  // a comparison of a sum
      std::string s = sums[pick(sums.size())];
      for (size_t i = 0, n = 1 + pick(8); i < n; ++i)
        s += (pick(3) ? " + " : " - ") + sums[pick(sums.size())];
      return s + " > " + std::to_string(pick(50));
    }
    std::string out = "(" + cond(depth - 1);
    for (size_t i = 0, n = 1 + pick(5); i < n; ++i)
      out += (k % 2 ? " and " : " or ") + cond(depth - 1);
    return out + ")";
  };
  int broken = 0;
  for (int f = 0; f < 150; ++f) {
    std::string text = "import \"" + std::string(RK_SOURCE_DIR) + "/rules/customer.schema\"\n";
    text += "let l = " + cond(4) + "\n";
    text += "candidate when " + cond(4) + "\n";
    text += "stop s when " + cond(4) + " because \"r\"\n";
    text += "segment g {\n  some_label when " + cond(3) + "\n  otherwise rest\n}\n";
    text += "review v when l or " + cond(3) + " because \"v\"\n";
    INFO("file " << f);
    check_round_trip("long" + std::to_string(f) + ".rules", text);
    const std::string once = fmt_ok(text);
    INFO(once);
    CHECK(widest_line(once) <= 100);
    if (once.find("\n    or ") != std::string::npos || once.find("\n    and ") != std::string::npos)
      ++broken;
  }
  CHECK(broken > 100);
}

TEST_CASE("Format: deep generated files round-trip with broken lines", "[format][gen]") {
  for (uint64_t seed = 1; seed <= 200; ++seed) {
    testgen::RuleFileOptions o;
    o.seed = 9100 + seed;
    o.schema_path = "customer.schema";  // next to rules/deepN.rules
    o.messy = seed % 2 == 0;
    o.comments = seed % 3 == 0;
    o.max_depth = 6;
    const std::string text = testgen::generate_rule_file(o);
    INFO("seed " << o.seed);
    const std::string path =
        std::string(RK_SOURCE_DIR) + "/rules/deep" + std::to_string(o.seed) + ".rules";
    REQUIRE(compile_rules_text(path, text).program);
    check_round_trip(path, text);
  }
}
