// Rekindle grammar tests: expression precedence and shapes, literals with units, sets, spans,
// doc comments and the optional parts of declarations.
#include <catch2/catch.hpp>

#include "parse_helpers.h"

using namespace rk;
using namespace rk::test;

TEST_CASE("precedence: or < and < not < comparison < + < * < unary < member", "[grammar]") {
  CHECK(shape("a or b and not c > 1") == "(or a (and b (not (> c 1))))");
  CHECK(shape("not not a") == "(not (not a))");
  CHECK(shape("a and b or c and d") == "(or (and a b) (and c d))");
  CHECK(shape("a + b * c - d / e") == "(- (+ a (* b c)) (/ d e))");
  CHECK(shape("a - b - c") == "(- (- a b) c)");
  CHECK(shape("-a * b") == "(* (neg a) b)");
  CHECK(shape("- -a.b") == "(neg (neg (. a b)))");
  CHECK(shape("(a or b) and c") == "(and (or a b) c)");
  CHECK(shape("a + 1 < b * 2") == "(< (+ a 1) (* b 2))");
  CHECK(shape("if a then b else c or d") == "(if a b (or c d))");
  CHECK(shape("if a then if b then 1 else 2 else 3") == "(if a (if b 1 2) 3)");
  CHECK(shape("x.y.z") == "(. (. x y) z)");
}

TEST_CASE("comparison words and tests", "[grammar]") {
  CHECK(shape("x = 1") == "(= x 1)");
  CHECK(shape("x != 1") == "(!= x 1)");
  CHECK(shape("x <= 1") == "(<= x 1)");
  CHECK(shape("x >= 1") == "(>= x 1)");
  CHECK(shape("x < 1") == "(< x 1)");
  CHECK(shape("x > 1") == "(> x 1)");
  CHECK(shape("x is at least 3") == "(>= x 3)");
  CHECK(shape("x is at most 3") == "(<= x 3)");
  CHECK(shape("x is above 3") == "(> x 3)");
  CHECK(shape("x is below 3") == "(< x 3)");
  CHECK(shape("x is under 3") == "(< x 3)");
  CHECK(shape("x at least 3") == "(>= x 3)");
  CHECK(shape("x at most 3") == "(<= x 3)");
  CHECK(shape("x above 3") == "(> x 3)");
  CHECK(shape("x below 3") == "(< x 3)");
  CHECK(shape("x under 3") == "(< x 3)");
  CHECK(shape("x is missing") == "(is-missing x)");
  CHECK(shape("x is present") == "(is-present x)");
  CHECK(shape("x is not missing") == "(is-present x)");
  CHECK(shape("x is not present") == "(is-missing x)");
  CHECK(shape("x is one of {a, b}") == "(is-one-of x {a b})");
  CHECK(shape("x is not one of {a, \"b c\",}") == "(is-not-one-of x {a \"b c\"})");
  CHECK(shape("x is true") == "(is x true)");
  CHECK(shape("x is not y + 1") == "(is-not x (+ y 1))");
  CHECK(shape("x in {a}") == "(in x {a})");
  CHECK(shape("x not in {a, b}") == "(not-in x {a b})");
  CHECK(shape("x in 60 to 89 days") == "(in-range x 60 89 days)");
  CHECK(shape("x not in 1 to n + 1") == "(not-in-range x 1 (+ n 1))");
  CHECK(shape("c has any of {a, b}") == "(has-any c {a b})");
  CHECK(shape("c has all of {a}") == "(has-all c {a})");
  CHECK(shape("c has none of {a}") == "(has-none c {a})");
  CHECK(shape("c has apparel") == "(has-any c {apparel})");
  CHECK(shape("c has \"home & garden\"") == "(has-any c {\"home & garden\"})");
  CHECK(shape("a is missing or b") == "(or (is-missing a) b)");
  CHECK(shape("not a is b") == "(not (is a b))");
}

TEST_CASE("literals: numbers with units, money, percent, dates, strings, offers", "[grammar]") {
  auto p = parse_text(
      "let a = 60\nlet b = 0.5\nlet c = $250\nlet d = $19.99\nlet e = 5%\nlet f = 12.5%\n"
      "let g = 90 days\nlet h = 1 day\nlet i = 2 weeks\nlet j = 1 week\nlet k = 2026-11-01\n"
      "let l = \"say \\\"hi\\\" \\\\ bye\"\nlet m = today\nlet n = days until 2024-02-29\n"
      "let o = credit 10\nlet q = points 500\nlet r = discount 20%\nlet s = none\n"
      "let t = early_access\nlet u = 9223372036854775807\n");
  INFO(first_error(p));
  REQUIRE(p.file);
  const auto& f = *p.file;
  auto value = [&](size_t i) { return std::get<ast::LetDecl>(f.decls.at(i).decl).value; };
  auto num = [&](size_t i) { return std::get<ast::NumberLit>(f.expr(value(i)).kind); };
  CHECK(num(0).is_int);
  CHECK(num(0).ivalue == 60);
  CHECK(num(0).unit == ast::Unit::None);
  CHECK_FALSE(num(1).is_int);
  CHECK(num(1).value == 0.5);
  CHECK(num(2).unit == ast::Unit::Money);
  CHECK(num(2).ivalue == 250);
  CHECK(num(3).unit == ast::Unit::Money);
  CHECK(num(3).value == 19.99);
  CHECK_FALSE(num(3).is_int);
  CHECK(num(3).text == "$19.99");
  CHECK(num(4).unit == ast::Unit::Percent);
  CHECK(num(4).value == 0.05);
  CHECK(num(4).value == 5.0 / 100.0);
  CHECK(num(5).value == 0.125);
  CHECK(num(6).unit == ast::Unit::Days);
  CHECK(num(6).ivalue == 90);
  CHECK(num(6).text == "90 days");
  CHECK(num(7).ivalue == 1);
  CHECK(num(8).ivalue == 14);
  CHECK(num(8).value == 14.0);
  CHECK(num(8).text == "2 weeks");
  CHECK(num(9).ivalue == 7);
  const auto& date = std::get<ast::DateLit>(f.expr(value(10)).kind);
  CHECK(date.days == 20758);  // 2026-11-01
  CHECK(date.text == "2026-11-01");
  CHECK(std::get<ast::StringLit>(f.expr(value(11)).kind).value == "say \"hi\" \\ bye");
  CHECK(std::holds_alternative<ast::Today>(f.expr(value(12)).kind));
  CHECK(sexpr(f, value(13)) == "(days-until 2024-02-29)");
  CHECK(sexpr(f, value(14)) == "(offer credit 10)");
  CHECK(sexpr(f, value(15)) == "(offer points 500)");
  CHECK(sexpr(f, value(16)) == "(offer discount 20%)");
  CHECK(sexpr(f, value(17)) == "(offer none)");
  CHECK(sexpr(f, value(18)) == "(offer early_access)");
  CHECK(num(19).ivalue == INT64_MAX);
  // Days are whole: `1.5 weeks` is an error (it was read as 0 days by the checker).
  CHECK(first_error(parse_text("let v = 1.5 weeks\n")).find("RK0110") != std::string::npos);
  CHECK(std::get<ast::DateLit>(parse_text("let x = 1970-01-01").file->exprs[0].kind).days == 0);
}

TEST_CASE("spans cover whole expressions and operators", "[grammar]") {
  auto p = parse_text("let x =  (a or b)  and  c.d is not missing  # note\nlet y = 1");
  REQUIRE(p.file);
  const auto& f = *p.file;
  const auto& let = std::get<ast::LetDecl>(f.decls[0].decl);
  CHECK(span_text(p, let.value) == "(a or b)  and  c.d is not missing");
  const auto& e = f.expr(let.value);
  CHECK(e.span.line == 1);
  CHECK(e.span.col == 10);
  CHECK(e.span.offset == 9);
  const auto& bin = std::get<ast::Binary>(e.kind);
  CHECK(bin.op_span.col == 20);
  CHECK(bin.op_span.len == 3);
  CHECK(span_text(p, bin.lhs) == "a or b");
  CHECK(span_text(p, bin.rhs) == "c.d is not missing");
  const auto& is = std::get<ast::Is>(f.expr(bin.rhs).kind);
  const auto& mem = std::get<ast::Member>(f.expr(is.subject).kind);
  CHECK(mem.member == "d");
  CHECK(mem.member_span.col == 27);
  CHECK(let.span.len == std::string("let x =  (a or b)  and  c.d is not missing").size());
  CHECK(let.name_span.col == 5);
  CHECK(let.name_span.len == 1);
  // A comment between a number and its unit stays in the literal's text.
  auto q = parse_text("let z = 3 # three\n  weeks");
  REQUIRE(q.file);
  CHECK(std::get<ast::NumberLit>(q.file->exprs[0].kind).ivalue == 21);
}

TEST_CASE("newlines are not significant", "[grammar]") {
  auto p = parse_text("segment s{a when x>1 otherwise b}stop r when\nnot\nx because\"y\"");
  INFO(first_error(p));
  REQUIRE(p.file);
  CHECK(p.file->decls.size() == 2);
  const auto& r = std::get<ast::RuleDecl>(p.file->decls[1].decl);
  CHECK(r.reason == "y");
  CHECK(r.reason_span.col == 10);
  CHECK(r.reason_span.line == 3);
}

TEST_CASE("doc comments attach to declarations, labels and touches", "[grammar]") {
  auto p = parse_text(
      "# plain comment\n## first line\n##   second\nsegment s {\n  ## the a label\n  a when x\n"
      "  # not a doc\n  otherwise b\n}\n\n## detached\n\nlet y = 1\n### banner\nlet z = 2\n"
      "sequence q {\n  ## a touch\n  touch t via email only when x offer credit 5\n"
      "  touch u via email offer none only when y\n  enter when candidate\n"
      "  channel email\n}\n");
  INFO(first_error(p));
  REQUIRE(p.file);
  const auto& f = *p.file;
  const auto& s = std::get<ast::SegmentDecl>(f.decls[0].decl);
  CHECK(s.doc == "first line\n  second");
  CHECK(s.labels[0].doc == "the a label");
  CHECK(s.labels[1].doc.empty());
  CHECK(std::get<ast::LetDecl>(f.decls[1].decl).doc.empty());
  CHECK(std::get<ast::LetDecl>(f.decls[2].decl).doc.empty());
  const auto& q = std::get<ast::SequenceDecl>(f.decls[3].decl);
  CHECK(q.touches[0].doc == "a touch");
  CHECK(sexpr(f, q.touches[0].only_when) == "x");
  CHECK(sexpr(f, q.touches[0].offer) == "(offer credit 5)");
  CHECK(sexpr(f, q.touches[1].only_when) == "y");
  CHECK(sexpr(f, q.touches[1].offer) == "(offer none)");
  CHECK(sexpr(f, q.enter) == "candidate");
  CHECK(q.channels[0].requires_ == ast::kNoExpr);
  REQUIRE(p.comments.size() == 8);
  CHECK(p.comments[1].doc);
  CHECK(p.comments[1].text == "## first line");
  CHECK_FALSE(p.comments[4].doc);
  CHECK_FALSE(p.comments[6].doc);  // ### banner
  CHECK(p.comments[7].span.line == 17);
}

TEST_CASE("an empty file and a comment-only file are empty rule files", "[grammar]") {
  auto p = parse_text("");
  REQUIRE(p.file);
  CHECK(p.file->decls.empty());
  auto q = parse_text("# nothing here\n\n   ");
  REQUIRE(q.file);
  CHECK_FALSE(q.file->is_schema);
  CHECK(q.comments.size() == 1);
  auto r = parse_text("\xEF\xBB\xBFschema s field a: int");
  INFO(first_error(r));
  REQUIRE(r.file);
  CHECK(r.file->is_schema);
  CHECK(std::get<ast::FieldDecl>(r.file->decls[0].decl).span.col == 13);
}

TEST_CASE("review reasons are optional, rule names may be offer words", "[grammar]") {
  auto p = parse_text("review discount when x\nstop credit when y because \"z\"");
  INFO(first_error(p));
  REQUIRE(p.file);
  const auto& r = std::get<ast::RuleDecl>(p.file->decls[0].decl);
  CHECK(p.file->decls[0].rule_kind == ast::RuleKind::Review);
  CHECK(r.name == "discount");
  CHECK(r.reason.empty());
  CHECK(p.file->decls[1].rule_kind == ast::RuleKind::Stop);
}
