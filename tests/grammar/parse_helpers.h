// Rekindle grammar tests: helpers to parse text in memory, show the first error as
// `line:col: CODE: message` and print expressions as S-expressions for shape checks.
#pragma once

#include <fmt/format.h>

#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "grammar/parser.h"

namespace rk::test {

struct Parsed {
  SourceSet sources;
  std::vector<Diagnostic> diags;
  std::optional<ast::File> file;
  std::vector<ast::Comment> comments;
};

inline Parsed parse_text(std::string text, std::string path = "t.rules") {
  Parsed p;
  const uint32_t idx = p.sources.add(std::move(path), std::move(text));
  ParseOptions opts;
  opts.comments = &p.comments;
  p.file = parse_file(p.sources, idx, p.diags, opts);
  return p;
}

inline std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// "3:5: RK0101: expected ..." for the first diagnostic, or "" when there is none.
inline std::string first_error(const Parsed& p) {
  if (p.diags.empty()) return "";
  const auto& d = p.diags.front();
  if (!d.span) return fmt::format("{}: {}", d.code, d.message);
  return fmt::format("{}:{}: {}: {}", d.span->line, d.span->col, d.code, d.message);
}

inline const char* bin_name(ast::BinOp op) {
  switch (op) {
    case ast::BinOp::Add:
      return "+";
    case ast::BinOp::Sub:
      return "-";
    case ast::BinOp::Mul:
      return "*";
    case ast::BinOp::Div:
      return "/";
    case ast::BinOp::Eq:
      return "=";
    case ast::BinOp::Ne:
      return "!=";
    case ast::BinOp::Lt:
      return "<";
    case ast::BinOp::Le:
      return "<=";
    case ast::BinOp::Gt:
      return ">";
    case ast::BinOp::Ge:
      return ">=";
    case ast::BinOp::And:
      return "and";
    case ast::BinOp::Or:
      return "or";
  }
  return "?";
}

inline std::string items_str(const std::vector<ast::SetItem>& items) {
  std::string s = "{";
  for (size_t i = 0; i < items.size(); ++i)
    s += (i ? " " : "") + (items[i].quoted ? "\"" + items[i].text + "\"" : items[i].text);
  return s + "}";
}

inline std::string sexpr(const ast::File& f, ast::ExprId id) {
  if (id == ast::kNoExpr) return "_";
  const auto& k = f.expr(id).kind;
  auto rec = [&](ast::ExprId e) { return sexpr(f, e); };
  if (auto* n = std::get_if<ast::NumberLit>(&k)) return n->text;
  if (auto* b = std::get_if<ast::BoolLit>(&k)) return b->value ? "true" : "false";
  if (auto* s = std::get_if<ast::StringLit>(&k)) return "\"" + s->value + "\"";
  if (auto* d = std::get_if<ast::DateLit>(&k)) return d->text;
  if (std::get_if<ast::Today>(&k)) return "today";
  if (auto* n = std::get_if<ast::Name>(&k)) return n->name;
  if (auto* m = std::get_if<ast::Member>(&k)) return "(. " + rec(m->object) + " " + m->member + ")";
  if (auto* u = std::get_if<ast::Unary>(&k))
    return std::string(u->op == ast::UnOp::Not ? "(not " : "(neg ") + rec(u->operand) + ")";
  if (auto* b = std::get_if<ast::Binary>(&k))
    return fmt::format("({} {} {})", bin_name(b->op), rec(b->lhs), rec(b->rhs));
  if (auto* i = std::get_if<ast::Is>(&k)) {
    const std::string neg = i->negated ? "-not" : "";
    switch (i->kind) {
      case ast::IsKind::Missing:
        return "(is" + neg + "-missing " + rec(i->subject) + ")";
      case ast::IsKind::Present:
        return "(is" + neg + "-present " + rec(i->subject) + ")";
      case ast::IsKind::Value:
        return "(is" + neg + " " + rec(i->subject) + " " + rec(i->value) + ")";
      case ast::IsKind::OneOf:
        return "(is" + neg + "-one-of " + rec(i->subject) + " " + items_str(i->items) + ")";
    }
  }
  if (auto* s = std::get_if<ast::InSet>(&k))
    return std::string(s->negated ? "(not-in " : "(in ") + rec(s->subject) + " " +
           items_str(s->items) + ")";
  if (auto* r = std::get_if<ast::InRange>(&k))
    return std::string(r->negated ? "(not-in-range " : "(in-range ") + rec(r->subject) + " " +
           rec(r->lo) + " " + rec(r->hi) + ")";
  if (auto* h = std::get_if<ast::Has>(&k)) {
    const char* q = h->kind == ast::HasKind::Any   ? "any"
                    : h->kind == ast::HasKind::All ? "all"
                                                   : "none";
    return fmt::format("(has-{} {} {})", q, rec(h->subject), items_str(h->items));
  }
  if (auto* d = std::get_if<ast::DaysSince>(&k))
    return std::string(d->until ? "(days-until " : "(days-since ") + rec(d->date) + ")";
  if (auto* i = std::get_if<ast::IfExpr>(&k))
    return "(if " + rec(i->cond) + " " + rec(i->then_) + " " + rec(i->else_) + ")";
  if (auto* o = std::get_if<ast::OfferLit>(&k)) {
    static const char* kNames[] = {"none", "credit", "points", "early_access", "discount"};
    std::string s = std::string("(offer ") + kNames[static_cast<int>(o->kind)];
    if (o->amount != ast::kNoExpr) s += " " + rec(o->amount);
    return s + ")";
  }
  return "?";
}

// Parses `let x = EXPR` and returns the value's S-expression (or the first error).
inline std::string shape(const std::string& expr) {
  auto p = parse_text("let x = " + expr + "\n");
  if (!p.file) return "error: " + first_error(p);
  return sexpr(*p.file, std::get<ast::LetDecl>(p.file->decls.at(0).decl).value);
}

// The source text an expression's span covers.
inline std::string span_text(const Parsed& p, ast::ExprId id) {
  const auto& s = p.file->expr(id).span;
  return p.sources.file(s.file).text.substr(s.offset, s.len);
}

}  // namespace rk::test
