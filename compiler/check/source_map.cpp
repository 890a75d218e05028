// Rekindle compiler: the builder of the source map (see source_map.h).
#include "compiler/check/source_map.h"

#include <type_traits>
#include <variant>

namespace rk::check {

void SourceMapBuilder::rule(SourceMap::Kind kind, std::string owner, std::string name,
                            const ast::Span& span, uint32_t cond, uint32_t term, std::string doc) {
  if (map_)
    map_->rules.push_back(
        {kind, std::move(owner), std::move(name), span, cond, std::move(doc), term});
}

void SourceMapBuilder::shown_as(TypeKind kind) {
  if (!map_ || map_->rules.empty()) return;
  using S = SourceMap::Rule::Shown;
  S shown = S::Other;
  switch (kind) {
    case TypeKind::Date:
      shown = S::Date;
      break;
    case TypeKind::Days:
      shown = S::Days;
      break;
    case TypeKind::Money:
      shown = S::Money;
      break;
    case TypeKind::Percent:
      shown = S::Percent;
      break;
    case TypeKind::Error:
    case TypeKind::Bool:
    case TypeKind::Int:
    case TypeKind::Number:
    case TypeKind::String:
    case TypeKind::StringList:
    case TypeKind::Enum:
    case TypeKind::Label:
    case TypeKind::Channel:
    case TypeKind::Offer:
    case TypeKind::Status:
    case TypeKind::Step:
    case TypeKind::Variant:
      break;
  }
  map_->rules.back().shown = shown;
}

void SourceMapBuilder::expr(const ast::Span& span, uint32_t node) {
  if (map_) map_->exprs.push_back({span, node});
}

void SourceMapBuilder::segment(const ast::SegmentDecl& d) {
  if (map_) map_->segments.push_back({d.name, d.span, d.doc});
}

uint32_t SourceMapBuilder::term(const ast::File& f, ast::ExprId id, int depth) {
  if (!map_ || id == ast::kNoExpr) return SourceMap::kNone;
  using K = SourceMap::Term::Kind;
  const ast::Expr& e = f.expr(id);
  SourceMap::Term t;
  t.span = e.span;
  // What tools take apart (and/or/not, names, members, `days since`); everything else is Other.
  if (const auto* n = std::get_if<ast::Name>(&e.kind)) {
    t.kind = K::Name;
    t.name = n->name;
  } else if (const auto* m = std::get_if<ast::Member>(&e.kind)) {
    t.kind = K::Member;
    if (const auto* o = std::get_if<ast::Name>(&f.expr(m->object).kind)) t.name = o->name;
    t.member = m->member;
  } else if (const auto* u = std::get_if<ast::Unary>(&e.kind)) {
    t.kind = u->op == ast::UnOp::Not ? K::Not : K::Other;
  } else if (const auto* b = std::get_if<ast::Binary>(&e.kind)) {
    t.kind = b->op == ast::BinOp::And ? K::And : b->op == ast::BinOp::Or ? K::Or : K::Other;
  } else if (std::holds_alternative<ast::DaysSince>(e.kind)) {
    t.kind = K::DaysSince;
  }
  // Deeper than the checker goes is an error already (RK0106); stop there.
  if (depth < kMaxExprDepth)
    for (ast::ExprId sub : ast::children(e.kind))
      if (sub != ast::kNoExpr) t.subs.push_back(term(f, sub, depth + 1));
  map_->terms.push_back(std::move(t));
  term_exprs_.emplace_back(f.file_index, id);
  return static_cast<uint32_t>(map_->terms.size() - 1);
}

void SourceMapBuilder::sequence(const ast::File& f, const ast::SequenceDecl& d, uint32_t enter_term,
                                const std::vector<uint32_t>& only_terms) {
  if (!map_) return;
  SourceMap::Sequence m;
  m.name = d.name;
  m.span = d.span;
  m.doc = d.doc;
  m.enter = enter_term;
  if (d.progress_touch) {
    m.progress_touch = d.progress_touch->first;
    m.progress_span = d.progress_touch->second;
  }
  if (d.progress_date) m.progress_date = d.progress_date->first;
  m.wait = term(f, d.wait);
  m.holdout = term(f, d.holdout_share);
  m.holdout_salt = d.holdout_salt;
  m.holdout_span = d.holdout_span;
  for (const auto& fb : d.fallbacks) m.fallbacks.push_back({fb.from, fb.to, fb.span});
  for (size_t i = 0; i < d.touches.size(); ++i) {
    const ast::TouchDecl& t = d.touches[i];
    m.touches.push_back({t.name, t.span, term(f, t.channel), term(f, t.offer), only_terms.at(i)});
  }
  map_->sequences.push_back(std::move(m));
}

void SourceMapBuilder::finish() {
  if (!map_) return;
  for (size_t i = 0; i < map_->terms.size(); ++i) {
    const auto& [file, id] = term_exprs_[i];
    const Typed* t = ctx_.table.find(file, id);
    if (t && !t->type.is_error() && t->node != UINT32_MAX) map_->terms[i].node = t->node;
  }
}

}  // namespace rk::check
