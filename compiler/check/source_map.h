// Rekindle compiler: the builder of the source map (compile.h: SourceMap), internal to
// compiler/check. Lowering tells it every rule with its condition node, every checked expression,
// every segment and every sequence's clauses; it records the terms of each condition as written
// and, once everything is checked, gives each term the node of its expression from the side
// table (Context::table).
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "compiler/check/context.h"

namespace rk::check {

class SourceMapBuilder {
 public:
  explicit SourceMapBuilder(Context& ctx) : ctx_(ctx), map_(ctx.map) {}

  void rule(SourceMap::Kind kind, std::string owner, std::string name, const ast::Span& span,
            uint32_t cond, uint32_t term, std::string doc = {});
  // How the value of the rule just recorded (a let) is shown (`explain`), from its type: a date
  // as a date, days with their unit, money with `$`, a percent with `%`.
  void shown_as(TypeKind kind);
  // A checked expression with its node (in checking order).
  void expr(const ast::Span& span, uint32_t node);
  void segment(const ast::SegmentDecl& d);
  // Records expression `id` as written, with its sub-expressions, in the terms. Returns its
  // index, or kNone without a map or an expression.
  uint32_t term(const ast::File& f, ast::ExprId id, int depth = 0);
  // Records sequence `d`'s clauses; its `enter when` and `only when` terms are those already
  // recorded with its Enter and Touch rules.
  void sequence(const ast::File& f, const ast::SequenceDecl& d, uint32_t enter_term,
                const std::vector<uint32_t>& only_terms);
  // Gives every term the node of its expression.
  void finish();

 private:
  Context& ctx_;
  SourceMap* map_;
  std::vector<std::pair<uint32_t, ast::ExprId>> term_exprs_;  // per term: file and expression
};

}  // namespace rk::check
