// Rekindle grammar tests: the grammar is well-formed (PEGTL analyze) and the playbook's schema and
// rule files parse into the expected declarations, values, docs and spans.
#include <catch2/catch.hpp>
#include <tao/pegtl/contrib/analyze.hpp>

#include "grammar/grammar.h"
#include "parse_helpers.h"

using namespace rk;
using namespace rk::test;

TEST_CASE("the grammar has no PEGTL analysis issues", "[grammar]") {
  REQUIRE(tao::pegtl::analyze<rk::grammar::file>() == 0);
}

TEST_CASE("the keyword table reserves the language's words", "[grammar]") {
  CHECK(grammar::is_keyword("offer"));
  CHECK(grammar::is_keyword("early_access"));
  CHECK(grammar::is_keyword("of"));
  CHECK_FALSE(grammar::is_keyword("enter"));
  CHECK_FALSE(grammar::is_keyword("winback"));
  CHECK(std::size(grammar::kKeywords) == 72);
}

TEST_CASE("the customer schema parses", "[grammar][playbook]") {
  auto p = parse_text(read_file(RK_SOURCE_DIR "/rules/customer.schema"), "rules/customer.schema");
  INFO(first_error(p));
  REQUIRE(p.file);
  CHECK(p.file->is_schema);
  CHECK(p.file->schema_name == "customer");
  REQUIRE(p.file->decls.size() == 21);
  std::vector<ast::FieldDecl> fields;
  for (auto& d : p.file->decls) fields.push_back(std::get<ast::FieldDecl>(d.decl));

  CHECK(fields[0].name == "customer_id");
  CHECK(fields[0].key);
  CHECK_FALSE(fields[0].nullable);
  CHECK(fields[0].type.kind == ast::TypeKind::String);
  CHECK(fields[0].doc == "Unique key of the customer.");
  CHECK(fields[0].span.line == 6);
  CHECK(fields[0].span.col == 1);
  CHECK(fields[0].span.len == std::string("field customer_id: string key").size());
  CHECK(fields[0].name_span.col == 7);

  CHECK(fields[1].name == "last_purchase_date");
  CHECK(fields[1].nullable);
  CHECK(fields[1].type.kind == ast::TypeKind::Date);
  CHECK(fields[4].type.kind == ast::TypeKind::Money);
  CHECK(fields[5].type.kind == ast::TypeKind::Percent);
  CHECK(fields[5].nullable);
  CHECK(fields[6].type.kind == ast::TypeKind::Bool);
  CHECK(fields[7].doc.empty());
  CHECK(fields[10].type.kind == ast::TypeKind::StringList);
  CHECK(fields[10].name == "categories");
  CHECK(fields[11].type.kind == ast::TypeKind::Enum);
  REQUIRE(fields[11].type.enum_values.size() == 5);
  CHECK(fields[11].type.enum_values[4].text == "direct");
  CHECK(fields[15].name == "relationship_flag");
  CHECK(fields[15].type.kind == ast::TypeKind::Enum);
  CHECK(fields[15].nullable);
  CHECK(fields[15].doc == "Missing: nothing on record.");

  // Comments are reported in order, with the doc flag.
  REQUIRE(p.comments.size() >= 3);
  CHECK(p.comments[0].text ==
        "# The customer snapshot, one row per customer. Owned by the data team.");
  CHECK_FALSE(p.comments[0].doc);
  CHECK(p.comments[2].doc);
  CHECK(p.comments[2].span.line == 5);
}

namespace {
template <typename T>
std::vector<const T*> decls_of(const ast::File& f) {
  std::vector<const T*> out;
  for (const auto& d : f.decls)
    if (auto* x = std::get_if<T>(&d.decl)) out.push_back(x);
  return out;
}
}  // namespace

TEST_CASE("the win-back rules parse", "[grammar][playbook]") {
  auto p = parse_text(read_file(RK_SOURCE_DIR "/rules/winback.rules"), "rules/winback.rules");
  INFO(first_error(p));
  REQUIRE(p.file);
  const ast::File& f = *p.file;
  CHECK_FALSE(f.is_schema);

  auto imports = decls_of<ast::ImportDecl>(f);
  REQUIRE(imports.size() == 1);
  CHECK(imports[0]->path == "customer.schema");
  CHECK(decls_of<ast::SegmentDecl>(f).size() == 7);
  CHECK(decls_of<ast::ParamDecl>(f).size() == 5);
  CHECK(decls_of<ast::LetDecl>(f).size() == 1);
  CHECK(decls_of<ast::CandidateDecl>(f).size() == 1);
  int stops = 0, reviews = 0;
  for (const auto& d : f.decls)
    if (std::holds_alternative<ast::RuleDecl>(d.decl))
      (d.rule_kind == ast::RuleKind::Stop ? stops : reviews)++;
  CHECK(stops == 5);
  CHECK(reviews == 3);
  auto seqs = decls_of<ast::SequenceDecl>(f);
  REQUIRE(seqs.size() == 1);
  const ast::SequenceDecl& s = *seqs[0];
  CHECK(s.name == "winback");
  CHECK(s.touches.size() == 7);
  CHECK(s.channels.size() == 2);
  CHECK(s.fallbacks.size() == 1);
  CHECK(s.exits.size() == 1);
  CHECK(s.enter == ast::kNoExpr);

  // Parameters: exact values.
  auto params = decls_of<ast::ParamDecl>(f);
  auto num = [&](ast::ExprId id) { return std::get<ast::NumberLit>(f.expr(id).kind); };
  CHECK(params[0]->name == "whale_aov");
  CHECK(params[0]->doc == "Order value from which a customer counts as a whale.");
  CHECK(num(params[0]->value).unit == ast::Unit::Money);
  CHECK(num(params[0]->value).ivalue == 250);
  CHECK(num(params[0]->value).is_int);
  CHECK(num(params[2]->value).unit == ast::Unit::Percent);
  CHECK(num(params[2]->value).value == 0.40);
  CHECK(num(params[3]->value).value == 0.05);
  CHECK(num(params[3]->value).text == "5%");
  CHECK(num(params[4]->value).unit == ast::Unit::Days);
  CHECK(num(params[4]->value).ivalue == 7);
  CHECK(num(params[4]->value).text == "7 days");
  CHECK(params[4]->span.line == 15);
  CHECK(params[4]->name_span.col == 11);
  CHECK(params[4]->span.len == std::string("parameter touch_interval = 7 days").size());

  auto lets = decls_of<ast::LetDecl>(f);
  CHECK(sexpr(f, lets[0]->value) == "(days-since last_purchase_date)");
  CHECK(span_text(p, lets[0]->value) == "days since last_purchase_date");

  // Segments.
  auto segs = decls_of<ast::SegmentDecl>(f);
  CHECK(segs[0]->name == "dormancy");
  CHECK(segs[0]->doc == "How long the customer has been quiet.");
  REQUIRE(segs[0]->labels.size() == 6);
  CHECK(sexpr(f, segs[0]->labels[0].cond) == "(is-missing last_purchase_date)");
  CHECK(sexpr(f, segs[0]->labels[2].cond) == "(in-range days_dormant 60 89 days)");
  CHECK(segs[0]->labels[2].span.line == 24);
  CHECK(segs[0]->labels[2].span.col == 3);
  CHECK(segs[1]->labels[2].otherwise);
  CHECK(segs[1]->labels[2].name == "low");
  CHECK(segs[1]->labels[2].cond == ast::kNoExpr);
  CHECK(sexpr(f, segs[4]->labels[0].cond) == "(and (= email_opens_90d 0) (= email_clicks_90d 0))");
  CHECK(sexpr(f, segs[5]->labels[0].cond) == "(has-any categories {apparel footwear accessories})");
  CHECK(sexpr(f, segs[5]->labels[2].cond) == "(has-any categories {electronics})");
  CHECK(sexpr(f, segs[6]->labels[0].cond) == "(is acquisition_channel paid_social)");
  CHECK(sexpr(f, segs[6]->labels[1].cond) ==
        "(is-one-of acquisition_channel {organic_search direct})");
  CHECK(segs[6]->labels.size() == 3);

  auto cand = decls_of<ast::CandidateDecl>(f);
  CHECK(sexpr(f, cand[0]->cond) == "(in dormancy {early_warning active_risk critical deep})");
  CHECK(cand[0]->doc == "Dormant customers worth winning back.");

  // Stops and reviews.
  auto rules = decls_of<ast::RuleDecl>(f);
  CHECK(rules[0]->name == "opted_out");
  CHECK(rules[0]->reason == "Contact opted out");
  CHECK(rules[0]->span.line == 74);
  CHECK(rules[0]->span.len ==
        std::string("stop opted_out when opted_out\n  because \"Contact opted out\"").size());
  CHECK(sexpr(f, rules[1]->cond) == "(not (or (is email_consent true) (is sms_consent true)))");
  CHECK(rules[2]->doc ==
        "A missing relationship flag means nothing is on record, so it is not legal_hold.");
  CHECK(sexpr(f, rules[3]->cond) ==
        "(and (> email_bounce_rate max_bounce_rate) (is-not sms_consent true))");
  CHECK(sexpr(f, rules[4]->cond) ==
        "(and (and (= orders_total 1) (< avg_order_value $20)) (>= days_dormant 365 days))");
  CHECK(rules[7]->name == "discount");
  CHECK(sexpr(f, rules[7]->cond) == "(is (. winback offer) (offer discount))");
  CHECK(rules[7]->reason == "Discount offers need approval");

  // The sequence.
  CHECK(s.progress_touch->first == "last_touch");
  CHECK(s.progress_date->first == "last_touch_date");
  CHECK(sexpr(f, s.wait) == "touch_interval");
  CHECK(num(s.holdout_share).value == 0.05);
  CHECK(num(s.holdout_share).ivalue == 5);
  CHECK(s.holdout_salt == "winback");
  CHECK(s.exits[0].name == "responded");
  CHECK(sexpr(f, s.exits[0].cond) == "(and (> last_touch 0) responded)");
  CHECK(s.channels[0].name == "email");
  CHECK(sexpr(f, s.channels[1].requires_) == "(is sms_consent true)");
  CHECK(s.fallbacks[0].from == "email");
  CHECK(s.fallbacks[0].to == "sms");
  CHECK(s.touches[0].name == "pattern_interrupt");
  CHECK(s.touches[0].offer == ast::kNoExpr);
  CHECK(sexpr(f, s.touches[2].offer) == "(offer credit 10)");
  CHECK(sexpr(f, s.touches[4].channel) == "(if (is sms_consent true) sms email)");
  // A parenthesized expression keeps the span of its inside.
  CHECK(span_text(p, s.touches[4].channel) == "if sms_consent is true then sms else email");
  CHECK(sexpr(f, s.touches[4].offer) == "(offer early_access)");
  CHECK(sexpr(f, s.touches[4].only_when) == "(is dormancy deep)");
  CHECK(sexpr(f, s.touches[5].offer) ==
        "(if (is value_tier whale) (offer discount 15%) (offer discount 20%))");
  CHECK(s.touches[6].name == "final_nudge");
  CHECK(s.doc ==
        "Seven touches that escalate slowly: attention, relevance, small rewards, discounts, a "
        "last nudge.");
}
