// Rekindle compiler: rules. Lowers lets, segment families (first matching label, else
// `otherwise`), the candidate rule and the stop rules (fail closed, for customers who enter a
// sequence) on first use, recording each in the layout and the source map, and reports a dependency
// cycle with its path once (enter).
#include <fmt/format.h>

#include <unordered_map>

#include "compiler/check/lower.h"

namespace rk::check {

Lowering::Lowering(Context& ctx, Symbols& sym, SourceMapBuilder& smap)
    : ctx_(ctx),
      sym_(sym),
      smap_(smap),
      ex_(ctx, sym, smap, *this),
      nb_(ctx.nb),
      program_(ctx.program),
      params_(sym.params),
      lets_(sym.lets),
      families_(sym.families),
      stops_(sym.stops),
      reviews_(sym.reviews),
      seqs_(sym.seqs) {}

bool Lowering::enter(Entity& e, const std::string& name, const ast::Span& use) {
  if (e.state == State::Active) {
    std::string path;
    bool on = false;
    for (const auto& [n, s] : stack_) {
      if (n == name) on = true;
      if (on) path += n + " -> ";
    }
    path += name;
    std::set<std::string> members;
    on = false;
    for (const auto& [n, s] : stack_) {
      if (n == name) on = true;
      if (on) members.insert(n);
    }
    std::string key;
    for (const auto& m : members) key += m + "|";
    // The same cycle can be reached along several paths; report it once.
    if (cycles_reported_.insert(key).second && !cycle_use_reported_.count(use.offset))
      error(Code::Cycle, use, fmt::format("dependency cycle: {}", path),
            "a rule cannot depend on itself; break the cycle");
    cycle_use_reported_.insert(use.offset);
    return false;
  }
  return true;
}

Typed Lowering::lower_let(LetEnt& e, const ast::Span& use) {
  if (e.state == State::Done) return e.value;
  if (!enter(e, e.decl->name, use)) return error_typed();
  e.state = State::Active;
  CycleGuard g(*this, e.decl->name, use);
  e.value = ex_.check_expr(*e.file, e.decl->value, nullptr);
  e.value.type.literal = false;
  smap_.rule(SourceMap::Kind::Let, "", e.decl->name, e.decl->span, e.value.node,
             smap_.term(*e.file, e.decl->value), e.decl->doc);
  smap_.shown_as(e.value.type.kind);
  e.state = State::Done;
  return e.value;
}

Typed Lowering::lower_family(size_t index, const ast::Span& use) {
  FamilyEnt& e = families_[index];
  if (e.state == State::Done) return e.value;
  if (!enter(e, e.decl->name, use)) return error_typed();
  e.state = State::Active;
  CycleGuard g(*this, e.decl->name, use);
  const ast::SegmentDecl& d = *e.decl;
  std::vector<uint32_t> conds;
  std::optional<size_t> otherwise;
  std::unordered_map<std::string, ast::Span> seen;
  // Label names first, so conditions may compare against labels of this family's kin.
  for (const auto& l : d.labels) {
    if (auto it = seen.find(l.name); it != seen.end()) {
      error_note(Code::LabelTwice, l.name_span,
                 fmt::format("label `{}` appears twice in segment `{}`", l.name, d.name),
                 it->second, "first used here");
      continue;
    }
    seen.emplace(l.name, l.name_span);
    e.labels.push_back(l.name);
  }
  if (e.labels.size() > kMaxLabels)
    error(Code::Limit, d.name_span,
          fmt::format("segment `{}` has {} labels; the limit is {}", d.name, e.labels.size(),
                      kMaxLabels));
  bool after_otherwise = false;
  for (const auto& l : d.labels) {
    if (after_otherwise) {
      error(Code::LabelAfterOtherwise, l.span,
            fmt::format("label `{}` can never match: it comes after `otherwise`", l.name),
            "move `otherwise` to the end of the segment");
      continue;
    }
    if (l.otherwise) {
      after_otherwise = true;
      otherwise = conds.size();
      e.layout.labels.push_back({l.name, true, ir::kNoNode});
      continue;
    }
    Typed c = ex_.check_cond(*e.file, l.cond);
    conds.push_back(c.type.is_error() ? nb_.c_bool(false) : nb_.is_true(c.node));
    e.layout.labels.push_back({l.name, false, c.node});
    smap_.rule(SourceMap::Kind::Label, d.name, l.name, l.span, c.node, smap_.term(*e.file, l.cond),
               l.doc);
  }
  for (const auto& l : d.labels)
    if (l.otherwise)
      smap_.rule(SourceMap::Kind::Otherwise, d.name, l.name, l.span, UINT32_MAX, SourceMap::kNone,
                 l.doc);
  smap_.segment(d);
  // conds[i] belongs to label i (the otherwise label sits at index conds.size()).
  uint32_t node =
      conds.empty() ? nb_.null(ir::Ty::Int) : nb_.op(ir::Op::FirstTrue, ir::Ty::Int, conds);
  if (otherwise)
    node =
        nb_.op(ir::Op::Coalesce, ir::Ty::Int, {node, nb_.c_int(static_cast<int64_t>(*otherwise))});
  else
    sym_.missing_why.emplace(
        node, fmt::format("reads segment `{}`, which has no `otherwise` label", d.name));
  e.value = Typed{Type{TypeKind::Label, static_cast<int>(index)}, node};
  e.layout.name = d.name;
  e.layout.value.node = node;
  e.state = State::Done;
  return e.value;
}

Typed Lowering::lower_candidate(const ast::Span& use) {
  if (sym_.candidate.state == State::Done) return sym_.candidate.value;
  if (!enter(sym_.candidate, "candidate", use)) return error_typed();
  if (!sym_.candidate_decl) {
    sym_.candidate.value = Typed{Type{TypeKind::Bool}, nb_.c_bool(true)};
    sym_.candidate.state = State::Done;
    program_.layout.candidate.value.node = sym_.candidate.value.node;
    return sym_.candidate.value;
  }
  sym_.candidate.state = State::Active;
  CycleGuard g(*this, "candidate", use);
  Typed c = ex_.check_cond(*sym_.candidate_file, sym_.candidate_decl->cond);
  smap_.rule(SourceMap::Kind::Candidate, "", "candidate", sym_.candidate_decl->span, c.node,
             smap_.term(*sym_.candidate_file, sym_.candidate_decl->cond), sym_.candidate_decl->doc);
  sym_.candidate.value =
      Typed{Type{TypeKind::Bool}, c.type.is_error() ? nb_.c_bool(false) : nb_.is_true(c.node)};
  sym_.candidate.state = State::Done;
  program_.layout.candidate = {true, c.node, {sym_.candidate.value.node, ir::kNoOutput}};
  return sym_.candidate.value;
}

// Lowers every stop rule; value = stopped_by index node (missing when none fired).
Typed Lowering::lower_stops(const ast::Span& use) {
  if (sym_.stops_ent.state == State::Done) return sym_.stops_ent.value;
  if (!enter(sym_.stops_ent, "stop rules", use)) return error_typed();
  sym_.stops_ent.state = State::Active;
  CycleGuard g(*this, "stop rules", use);
  // Whom the stops apply to: customers who enter at least one sequence; without sequences, the
  // candidates. (A sequence without `enter when` enters the candidates, so for a file whose
  // sequences all enter the candidates this is the candidates.)
  uint32_t scope = ir::kNoNode;
  for (size_t i = 0; i < seqs_.size(); ++i) {
    const uint32_t e = lower_entry(i, use).node;
    scope = scope == ir::kNoNode ? e : nb_.or_(scope, e);
  }
  if (scope == ir::kNoNode) scope = lower_candidate(use).node;
  const uint32_t cand = scope;
  std::vector<uint32_t> fires;
  for (const auto& s : stops_) {
    Typed c = ex_.check_cond(*s.file, s.decl->cond);
    fires.push_back(c.type.is_error() ? nb_.c_bool(false) : nb_.fires(c.node));
    program_.layout.stops.rules.push_back({s.decl->name, s.decl->reason, c.node, fires.back()});
    smap_.rule(SourceMap::Kind::Stop, "", s.decl->name, s.decl->span, c.node,
               smap_.term(*s.file, s.decl->cond), s.decl->doc);
  }
  uint32_t first =
      fires.empty() ? nb_.null(ir::Ty::Int) : nb_.op(ir::Op::FirstTrue, ir::Ty::Int, fires);
  sym_.stops_ent.value =
      Typed{Type{TypeKind::Int}, nb_.if_(ir::Ty::Int, cand, first, nb_.null(ir::Ty::Int))};
  sym_.stops_ent.state = State::Done;
  program_.layout.stops.value.node = sym_.stops_ent.value.node;
  program_.layout.stops.scope = scope;
  program_.layout.stops.stopped = nb_.not_(nb_.is_missing(sym_.stops_ent.value.node));
  return sym_.stops_ent.value;
}

uint32_t Lowering::stopped_node(const ast::Span& use) {
  Typed s = lower_stops(use);
  if (s.type.is_error()) return nb_.c_bool(false);
  return nb_.not_(nb_.is_missing(s.node));
}
}  // namespace rk::check
