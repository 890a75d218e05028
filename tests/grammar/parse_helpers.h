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
  auto rec = [&](ast::ExprId e) { return sexpr(f, e); };
  return std::visit(
      [&](const auto& k) -> std::string {
        using T = std::decay_t<decltype(k)>;
        if constexpr (std::is_same_v<T, ast::NumberLit>) {
          return k.text;
        } else if constexpr (std::is_same_v<T, ast::BoolLit>) {
          return k.value ? "true" : "false";
        } else if constexpr (std::is_same_v<T, ast::StringLit>) {
          return "\"" + k.value + "\"";
        } else if constexpr (std::is_same_v<T, ast::DateLit>) {
          return k.text;
        } else if constexpr (std::is_same_v<T, ast::Today>) {
          return "today";
        } else if constexpr (std::is_same_v<T, ast::Name>) {
          return k.name;
        } else if constexpr (std::is_same_v<T, ast::Member>) {
          return "(. " + rec(k.object) + " " + k.member + ")";
        } else if constexpr (std::is_same_v<T, ast::Unary>) {
          return std::string(k.op == ast::UnOp::Not ? "(not " : "(neg ") + rec(k.operand) + ")";
        } else if constexpr (std::is_same_v<T, ast::Binary>) {
          return fmt::format("({} {} {})", bin_name(k.op), rec(k.lhs), rec(k.rhs));
        } else if constexpr (std::is_same_v<T, ast::Is>) {
          const std::string neg = k.negated ? "-not" : "";
          switch (k.kind) {
            case ast::IsKind::Missing:
              return "(is" + neg + "-missing " + rec(k.subject) + ")";
            case ast::IsKind::Present:
              return "(is" + neg + "-present " + rec(k.subject) + ")";
            case ast::IsKind::Value:
              return "(is" + neg + " " + rec(k.subject) + " " + rec(k.value) + ")";
            case ast::IsKind::OneOf:
              return "(is" + neg + "-one-of " + rec(k.subject) + " " + items_str(k.items) + ")";
          }
          return "?";
        } else if constexpr (std::is_same_v<T, ast::InSet>) {
          return std::string(k.negated ? "(not-in " : "(in ") + rec(k.subject) + " " +
                 items_str(k.items) + ")";
        } else if constexpr (std::is_same_v<T, ast::InRange>) {
          return std::string(k.negated ? "(not-in-range " : "(in-range ") + rec(k.subject) + " " +
                 rec(k.lo) + " " + rec(k.hi) + ")";
        } else if constexpr (std::is_same_v<T, ast::Has>) {
          const char* q = k.kind == ast::HasKind::Any   ? "any"
                          : k.kind == ast::HasKind::All ? "all"
                                                        : "none";
          return fmt::format("(has-{} {} {})", q, rec(k.subject), items_str(k.items));
        } else if constexpr (std::is_same_v<T, ast::DaysSince>) {
          return std::string(k.until ? "(days-until " : "(days-since ") + rec(k.date) + ")";
        } else if constexpr (std::is_same_v<T, ast::IfExpr>) {
          return "(if " + rec(k.cond) + " " + rec(k.then_) + " " + rec(k.else_) + ")";
        } else if constexpr (std::is_same_v<T, ast::OfferLit>) {
          static const char* kNames[] = {"none", "credit", "points", "early_access", "discount"};
          std::string s = std::string("(offer ") + kNames[static_cast<int>(k.kind)];
          if (k.amount != ast::kNoExpr) s.append(" ").append(rec(k.amount));
          return s + ")";
        } else {
          static_assert(ast::kUnhandled<T>, "sexpr: an expression kind it cannot print");
        }
      },
      f.expr(id).kind);
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
