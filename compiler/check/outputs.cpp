// Rekindle compiler: the whole program. Lowers every declaration (so unused ones are checked
// too), then the reviews (fail closed, for customers with a touch due), puts each result value
// of the layout in a kernel output, presents the layout as the output contract's columns
// (ir::result_columns) and reports two columns with one name.
#include <fmt/format.h>

#include <algorithm>

#include "compiler/check/lower.h"
#include "compiler/ir/columns.h"

namespace rk::check {

void Lowering::add_output(const std::string& name, uint32_t node, ir::OutputWidth width) {
  program_.outputs.push_back(ir::Output{name, node, width});
}

// The declaration that introduces result column `c` (for RK0411), if the author wrote one.
std::optional<ast::Span> Lowering::column_decl(const ir::ResultColumn& c) const {
  switch (c.role) {
    case ir::ColumnRole::Family:
      return families_[c.owner].decl->name_span;
    case ir::ColumnRole::Score:
      return sym_.scores[c.owner].decl->name_span;
    case ir::ColumnRole::Status:
    case ir::ColumnRole::Touch:
    case ir::ColumnRole::Step:
    case ir::ColumnRole::Channel:
    case ir::ColumnRole::Offer:
    case ir::ColumnRole::Variant:
    case ir::ColumnRole::SendAt:
      return seqs_[c.owner].decl->name_span;
    case ir::ColumnRole::Owner:
      return sym_.owner.decl ? std::optional<ast::Span>(sym_.owner.decl->span) : std::nullopt;
    case ir::ColumnRole::Key:
    case ir::ColumnRole::Candidate:
    case ir::ColumnRole::StoppedBy:
    case ir::ColumnRole::Review:
      return std::nullopt;
  }
  return std::nullopt;
}

// RK0411: two result columns with one name.
void Lowering::check_column_names() {
  std::vector<std::pair<std::string, std::optional<ast::Span>>> kept;
  for (const auto& c : program_.columns) {
    const std::optional<ast::Span> where = column_decl(c);
    auto it =
        std::find_if(kept.begin(), kept.end(), [&](const auto& k) { return k.first == c.name; });
    if (it == kept.end()) {
      kept.emplace_back(c.name, where);
      continue;
    }
    // Point at whichever of the two was declared by the author.
    error(Code::DuplicateColumn, where ? *where : it->second.value_or(ctx_.files.first),
          fmt::format("two output columns would be called `{}`; rename this one", c.name),
          "the key field, `candidate`, `stopped_by`, `review`, every segment, every "
          "sequence's NAME_status/_touch/_step/_variant/_channel/_offer/_send_at, every score and "
          "`owner` each give a column");
  }
}

// The events' `would_be` of a sequence with a holdout (ir::WouldBe): for a held-out customer,
// the first status after `holdout` that applies (the same conditions as the status, so caps and
// every later status count), and the touch, channel and offer when that status is Due. Kernel
// outputs after the result's, from the decision's existing nodes.
void Lowering::add_would_be(ir::Sequence& seq) {
  size_t held = seq.statuses.size(), due = seq.statuses.size();
  for (size_t i = 0; i < seq.statuses.size(); ++i) {
    if (seq.statuses[i].kind == ir::StatusKind::HeldOut) held = i;
    if (seq.statuses[i].kind == ir::StatusKind::Due) due = i;
  }
  if (seq.holdout_atom == ir::kNoIndex || held == seq.statuses.size() || due == seq.statuses.size())
    return;
  std::vector<uint32_t> conds;
  for (size_t i = 0; i < seq.statuses.size(); ++i)
    conds.push_back(i <= held ? nb_.c_bool(false) : seq.statuses[i].when);
  const uint32_t none = nb_.null(ir::Ty::Int);
  auto is = [&](uint32_t status, size_t index) {
    return nb_.is_true(nb_.cmp(ir::Op::Eq, status, nb_.c_int(static_cast<int64_t>(index))));
  };
  const uint32_t status = nb_.if_(ir::Ty::Int, is(seq.result.status.node, held),
                                  nb_.op(ir::Op::FirstTrue, ir::Ty::Int, conds), none);
  const uint32_t wb_due = is(status, due);
  ir::WouldBe& w = seq.would_be;
  w.status.node = status;
  w.touch.node = nb_.if_(ir::Ty::Int, wb_due, seq.decision.next_touch, none);
  w.channel.node = nb_.if_(ir::Ty::Int, wb_due, seq.decision.channel, none);
  w.offer.node = nb_.if_(ir::Ty::Int, wb_due, seq.decision.offer, none);
  // The variant the would-be touch gives (buckets do not depend on the holdout; paused variants
  // applied), only for a sequence with variants.
  if (seq.decision.variant != ir::kNoNode)
    w.variant.node = nb_.if_(ir::Ty::Int, wb_due, seq.decision.variant, none);
  for (auto [value, what] : {std::pair{&w.status, "status"}, std::pair{&w.touch, "touch"},
                             std::pair{&w.channel, "channel"}, std::pair{&w.offer, "offer"},
                             std::pair{&w.variant, "variant"}}) {
    if (value->node == ir::kNoNode) continue;
    add_output(seq.name + "_would_be_" + what, value->node);
    value->output = last_output();
  }
}

Typed Lowering::lower_reviews(const ast::Span& use) {
  Entity& e = sym_.reviews_ent;
  if (e.state == State::Done) return e.value;
  if (!enter(e, "review rules", use)) return error_typed();
  e.state = State::Active;
  CycleGuard g(*this, "review rules", use);
  // Reviews apply to customers with a touch due (or, without sequences, to candidates that
  // are not stopped). Like stops they fail closed.
  uint32_t scope;
  if (seqs_.empty()) {
    scope = nb_.and_(lower_candidate(use).node, nb_.is_missing(lower_stops(use).node));
  } else {
    scope = lower_sequence(0, use).type.is_error() ? nb_.c_bool(false) : seqs_[0].is_due;
    for (size_t i = 1; i < seqs_.size(); ++i)
      if (!lower_sequence(i, use).type.is_error()) scope = nb_.or_(scope, seqs_[i].is_due);
  }
  sym_.review_scope = scope;
  uint32_t any = nb_.c_bool(false);
  for (const auto& r : reviews_) {
    Typed c = ex_.check_cond(*r.file, r.decl->cond);
    if (c.type.is_error()) continue;
    sym_.review_conds.push_back(c.node);
    smap_.rule(SourceMap::Kind::Review, "", r.decl->name, r.decl->span, c.node,
               smap_.term(*r.file, r.decl->cond), r.decl->doc);
    sym_.review_nodes.push_back(nb_.if_(ir::Ty::Bool, scope, nb_.fires(c.node), nb_.c_bool(false)));
    any = sym_.review_nodes.size() == 1 ? sym_.review_nodes.back()
                                        : nb_.or_(any, sym_.review_nodes.back());
  }
  e.value = Typed{Type{TypeKind::Bool}, any};
  e.state = State::Done;
  return e.value;
}

void Lowering::lower_all() {
  const ast::Span here = ctx_.files.first;
  for (auto& [name, p] : params_) lower_param(p);
  for (auto& [name, l] : lets_) lower_let(l, l.decl->name_span);
  for (size_t i = 0; i < families_.size(); ++i) lower_family(i, families_[i].decl->name_span);
  for (size_t i = 0; i < sym_.scores.size(); ++i) lower_score(i, sym_.scores[i].decl->name_span);
  const uint32_t cand = lower_candidate(here).node;
  const Typed stops = lower_stops(here);
  for (size_t i = 0; i < seqs_.size(); ++i) lower_sequence(i, seqs_[i].decl->name_span);
  check_experiments();
  if (ctx_.failed()) return;

  const Typed reviewed = lower_reviews(here);
  // Guarantees: checked like any condition; the solver proves them (compiler/lint/guarantees.h).
  std::vector<ir::Guarantee> guarantees;
  for (const auto& g : sym_.guarantees) {
    Typed c = ex_.check_cond(*g.file, g.decl->cond);
    if (!c.type.is_error()) guarantees.push_back({g.decl->name, g.decl->always, c.node});
  }
  if (ctx_.failed() || reviewed.type.is_error()) return;
  const uint32_t scope = sym_.review_scope;
  const std::vector<uint32_t>& review_nodes = sym_.review_nodes;
  const std::vector<uint32_t>& review_conds = sym_.review_conds;

  // The layout's result values, each in a kernel output.
  ir::Layout& L = program_.layout;
  L.key_field = program_.schema.key_field;
  add_output("candidate", cand);
  L.candidate.value.output = last_output();
  for (auto& fam : families_) {
    add_output(fam.decl->name, fam.value.node);
    fam.layout.value.output = last_output();
    L.families.push_back(std::move(fam.layout));
  }
  add_output("stopped_by", stops.node);
  L.stops.value.output = last_output();
  L.reviews.scope = scope;
  for (size_t i = 0; i < reviews_.size(); ++i) {
    add_output("review " + reviews_[i].decl->name, review_nodes[i]);
    L.reviews.rules.push_back({reviews_[i].decl->name,
                               reviews_[i].decl->reason,
                               review_conds[i],
                               {review_nodes[i], last_output()}});
  }
  for (auto& q : seqs_) {
    const std::string& n = q.decl->name;
    ir::SequenceResult& r = q.layout.result;
    add_output(n + "_status", q.status);
    r.status.output = last_output();
    add_output(n + "_touch", q.touch);
    r.touch.output = last_output();
    add_output(n + "_channel", q.channel);
    r.channel.output = last_output();
    add_output(n + "_offer", q.offer);
    r.offer.output = last_output();
    if (q.variant != ir::kNoNode) {
      add_output(n + "_variant", q.variant);
      r.variant.output = last_output();
    }
    if (q.send_times) {  // filled after the kernel by the runtime (runtime/send_at.h)
      r.send_at.node = nb_.c_int(0);
      add_output(n + "_send_at", r.send_at.node, ir::OutputWidth::Int64);
      r.send_at.output = last_output();
      add_output(n + "_send_at present", nb_.c_bool(false));
      r.send_at.present = last_output();
    }
    L.sequences.push_back(std::move(q.layout));
  }
  for (auto& sc : sym_.scores) {
    ir::WideValue& v = sc.layout.value;
    add_output(sc.decl->name, v.node,
               sc.layout.decimal ? ir::OutputWidth::Float64 : ir::OutputWidth::Int64);
    v.output = last_output();
    add_output(sc.decl->name + " present", nb_.not_(nb_.is_missing(v.node)));
    v.present = last_output();
    L.scores.push_back(std::move(sc.layout));
  }
  // The owner column is filled for a customer with a review (`reviewed`: some review rule
  // fired, the node guarantees read too).
  lower_owner(reviewed.node);
  if (ctx_.failed()) return;
  for (ir::Sequence& seq : L.sequences) add_would_be(seq);
  // The lets templates show, each in kernel outputs of its own (never a result column): a Code
  // output for a yes/no or enumerated value, else a wide one and its presence.
  for (ir::ShownLet& lt : shown_lets_) {
    const std::string name = "let " + lt.name;
    if (lt.type == FieldType::Bool || lt.type == FieldType::Enum) {
      add_output(name, lt.value.node);
      lt.value.output = last_output();
      continue;
    }
    const bool wide_float = lt.type == FieldType::Number || lt.type == FieldType::Money;
    add_output(name, lt.value.node, wide_float ? ir::OutputWidth::Float64 : ir::OutputWidth::Int64);
    lt.value.output = last_output();
    add_output(name + " present", nb_.not_(nb_.is_missing(lt.value.node)));
    lt.value.present = last_output();
  }
  L.lets = std::move(shown_lets_);
  L.guarantees = std::move(guarantees);
  program_.columns = ir::result_columns(L, program_.schema);
  check_column_names();
}
}  // namespace rk::check
