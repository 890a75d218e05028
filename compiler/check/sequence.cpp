// Rekindle compiler: sequences. Lowers a sequence on first use: its channels with their
// `requires` and fallbacks, its progress fields, entry, holdout, exits, touches (with their `via`
// channel, offer and `only when`) and wait, to the nodes of each decision (next touch, channel,
// offer) and the status as one FirstTrue over its statuses in order; records all of it in the
// layout (ir::Sequence) and its clauses in the source map.
#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <functional>
#include <set>
#include <unordered_map>

#include "compiler/check/examples.h"
#include "compiler/check/lower.h"

namespace rk::check {

// Entry is lowered apart from the rest of the sequence, because the stop rules apply to the
// customers who enter some sequence: stops read every sequence's entry, and each sequence reads
// the stops. An `enter when` that reads `stopped` (or a sequence's values) is a cycle.
Typed Lowering::lower_entry(size_t index, const ast::Span& use) {
  SeqEnt& q = seqs_[index];
  Entity& e = q.entry;
  if (e.state == State::Done) return e.value;
  const ast::SequenceDecl& d = *q.decl;
  const std::string what = d.name + " entry";
  if (!enter(e, what, use)) return error_typed();
  e.state = State::Active;
  CycleGuard g(*this, what, use);
  if (d.enter != ast::kNoExpr) {
    const ast::File& f = *q.file;
    Typed c = ex_.check_cond(f, d.enter);
    q.enter_term = smap_.term(f, d.enter);
    q.layout.enter_cond = c.node;
    smap_.rule(SourceMap::Kind::Enter, d.name, "enter", f.expr(d.enter).span, c.node, q.enter_term);
    e.value =
        Typed{Type{TypeKind::Bool}, c.type.is_error() ? nb_.c_bool(false) : nb_.is_true(c.node)};
  } else {
    e.value = Typed{Type{TypeKind::Bool}, lower_candidate(use).node};
  }
  e.state = State::Done;
  return e.value;
}

// The variants of touch `t` of sequence `si`: names unique in the touch, whole-percent shares
// taking consecutive bucket ranges (at most 100% in all), one Holdout atom `bucket < end` each
// under the salt "SEQUENCE.TOUCH", the offer of each, and the pausing of --experiments.
void Lowering::lower_variants(int si, const ast::TouchDecl& t, ir::Touch& lt,
                              const std::function<uint32_t(ast::ExprId)>& lower_offer) {
  SeqEnt& q = seqs_[si];
  lt.salt = q.decl->name + "." + t.name;
  std::unordered_map<std::string, ast::Span> names;
  uint64_t begin = 0;
  for (const ast::VariantDecl& v : t.variants) {
    if (auto it = names.find(v.name); it != names.end())
      error_note(Code::DeclaredTwice, v.name_span,
                 fmt::format("variant `{}` appears twice in touch `{}`", v.name, t.name),
                 it->second, "first declared here");
    names.emplace(v.name, v.name_span);
    ir::Variant lv;
    lv.name = v.name;
    auto vit = std::find(q.variant_names.begin(), q.variant_names.end(), v.name);
    lv.value = static_cast<uint32_t>(vit - q.variant_names.begin());
    if (vit == q.variant_names.end()) q.variant_names.push_back(v.name);
    lv.offer = v.offer == ast::kNoExpr ? lt.offer : lower_offer(v.offer);
    int64_t pct = 0;
    const auto r = std::from_chars(v.share.data(), v.share.data() + v.share.size(), pct);
    if (r.ec != std::errc() || r.ptr != v.share.data() + v.share.size() || pct < 1 || pct > 100) {
      error(Code::Variant, v.share_span,
            fmt::format("a variant's share must be a whole percent from 1% to 100%, not {}%",
                        v.share),
            "variants take whole buckets of 100, e.g. `variant curiosity 50%`");
    } else if (begin + static_cast<uint64_t>(pct) > 100) {
      error(Code::Variant, v.share_span,
            fmt::format("the shares of touch `{}`'s variants add up to {}%, more than 100%", t.name,
                        begin + static_cast<uint64_t>(pct)),
            "a customer is in one variant: make the shares add up to 100% or less");
    } else {
      lv.begin = begin;
      lv.end = begin + static_cast<uint64_t>(pct);
      begin = lv.end;
      ir::Atom a;
      a.kind = ir::AtomKind::Holdout;
      a.field = static_cast<uint32_t>(program_.schema.key_field);
      a.salt = lt.salt;
      a.modulus = 100;
      a.threshold = lv.end;
      const uint32_t atom = ex_.add_atom(std::move(a));
      lv.atom = nb_.node(atom).index;
      atom_nodes_[lv.atom] = atom;
    }
    lt.variants.push_back(std::move(lv));
  }
  // Pausing: a paused variant's buckets go to the first variant of the touch that is not paused.
  uint32_t first_open = ir::kNoIndex;
  for (uint32_t k = 0; k < lt.variants.size(); ++k) {
    ir::Variant& v = lt.variants[k];
    v.paused = pause_variant(lt.salt + "." + v.name);
    if (!v.paused && first_open == ir::kNoIndex) first_open = k;
  }
  for (uint32_t k = 0; k < lt.variants.size(); ++k)
    lt.variants[k].serves = lt.variants[k].paused ? first_open : k;
  if (first_open == ir::kNoIndex) paused_everything(lt.salt, t.name_span);
}

ast::Span Lowering::experiments_span(size_t entry) {
  const Experiments& e = *ctx_.opts.experiments;
  if (!experiments_file_) experiments_file_ = ctx_.src.add(e.path, e.text);
  return ctx_.src.span_at(*experiments_file_, e.paused[entry].offset, e.paused[entry].length);
}

bool Lowering::pause_variant(const std::string& full_name) {
  variant_full_names_.push_back(full_name);
  if (!ctx_.opts.experiments) return false;
  const auto& paused = ctx_.opts.experiments->paused;
  paused_used_.resize(paused.size(), false);
  bool hit = false;
  for (size_t i = 0; i < paused.size(); ++i)
    if (paused[i].name == full_name) hit = paused_used_[i] = true;
  return hit;
}

void Lowering::paused_everything(const std::string& touch, const ast::Span& touch_span) {
  const auto& paused = ctx_.opts.experiments->paused;
  size_t last = 0;
  for (size_t i = 0; i < paused.size(); ++i)
    if (paused[i].name.rfind(touch + ".", 0) == 0) last = i;
  error_note(Code::Experiments, experiments_span(last),
             fmt::format("every variant of touch `{}` is paused", touch), touch_span,
             "the touch is declared here");
}

void Lowering::check_experiments() {
  if (!ctx_.opts.experiments) return;
  const auto& paused = ctx_.opts.experiments->paused;
  paused_used_.resize(paused.size(), false);
  for (size_t i = 0; i < paused.size(); ++i) {
    if (paused_used_[i]) continue;
    const std::string near = closest(paused[i].name, variant_full_names_);
    error(Code::Experiments, experiments_span(i),
          fmt::format("`{}` names no variant of these rules", paused[i].name),
          near.empty() ? "a paused entry is SEQUENCE.TOUCH.VARIANT, e.g. "
                         "`winback.winback_offer.credit`"
                       : fmt::format("did you mean `{}`?", near));
  }
}

std::optional<uint32_t> Lowering::progress_by_name(const ast::SequenceDecl& d, const Typed& t) {
  const FieldDef& field = program_.schema.fields[static_cast<size_t>(t.type.ref)];
  const ast::Span& at = d.progress_touch->second;
  std::vector<std::string> touches;
  for (const ast::TouchDecl& touch : d.touches) touches.push_back(touch.name);
  bool ok = true;
  std::vector<uint32_t> number;  // per enum value: its touch's number
  for (const std::string& value : field.enum_values) {
    const auto it = std::find(touches.begin(), touches.end(), value);
    if (it == touches.end()) {
      const std::string near = closest(value, touches);
      error(Code::Progress, at,
            fmt::format("`{}` is a value of `{}` but no touch of sequence `{}` has that name",
                        value, field.name, d.name),
            near.empty() ? fmt::format("a progress field by name lists exactly the touch names "
                                       "of the sequence ({})",
                                       fmt::join(touches, ", "))
                         : fmt::format("did you mean `{}`?", near));
      ok = false;
      continue;
    }
    number.push_back(nb_.c_int(static_cast<int64_t>(it - touches.begin()) + 1));
  }
  for (const ast::TouchDecl& touch : d.touches) {
    if (std::find(field.enum_values.begin(), field.enum_values.end(), touch.name) !=
        field.enum_values.end())
      continue;
    error_note(Code::Progress, at,
               fmt::format("touch `{}` is not a value of `{}`: a customer who got it could never "
                           "be recorded as having got it",
                           touch.name, field.name),
               touch.name_span, "the touch is declared here");
    ok = false;
  }
  if (!ok) return std::nullopt;
  // The value's ordinal picks the touch's number; a missing value is 0: no touch sent yet.
  return nb_.op(ir::Op::Coalesce, ir::Ty::Int,
                {nb_.switch_(t.node, number, ir::Ty::Int), nb_.c_int(0)});
}

Typed Lowering::lower_sequence(size_t index, const ast::Span& use) {
  SeqEnt& q = seqs_[index];
  if (q.state == State::Done) return q.value;
  if (!enter(q, q.decl->name, use)) return error_typed();
  q.state = State::Active;
  CycleGuard g(*this, q.decl->name, use);
  const ast::SequenceDecl& d = *q.decl;
  const ast::File& f = *q.file;
  const int si = static_cast<int>(index);
  auto fail = [&]() {
    q.value = error_typed();
    q.state = State::Done;
    return q.value;
  };

  if (d.touches.empty()) {
    error(Code::NoTouches, d.name_span, fmt::format("sequence `{}` has no touches", d.name),
          "add `touch NAME via CHANNEL`");
    return fail();
  }
  if (d.touches.size() > kMaxTouches) {
    error(Code::Limit, d.name_span,
          fmt::format("sequence `{}` has {} touches; the limit is {}", d.name, d.touches.size(),
                      kMaxTouches));
    return fail();
  }
  // Channels and their permissions: the sequence's own, or (when it declares none) the top-level
  // channels and fallbacks, followed by its own fallbacks.
  std::vector<std::pair<const ast::File*, const ast::ChannelDecl*>> chans;
  std::vector<std::pair<const ast::File*, const ast::FallbackDecl*>> fbs;
  if (d.channels.empty()) {
    for (const auto& c : sym_.channels) chans.push_back({c.file, c.decl});
    for (const auto& c : sym_.fallbacks) fbs.push_back({c.file, c.decl});
  }
  for (const auto& c : d.channels) chans.push_back({&f, &c});
  for (const auto& c : d.fallbacks) fbs.push_back({&f, &c});
  std::unordered_map<std::string, ast::Span> seen;
  for (const auto& [cf, cp] : chans) {
    const ast::ChannelDecl& c = *cp;
    if (auto it = seen.find(c.name); it != seen.end()) {
      error_note(Code::DeclaredTwice, c.name_span,
                 fmt::format("channel `{}` is declared twice", c.name), it->second,
                 "first declared here");
      continue;
    }
    seen.emplace(c.name, c.name_span);
    q.channels.push_back(c.name);
  }
  if (q.channels.empty()) {
    error(Code::Channels, d.name_span, fmt::format("sequence `{}` declares no channel", d.name),
          fmt::format("add e.g. `channel email requires {}`, in the sequence or at top level "
                      "(shared by every sequence that declares none)",
                      consent_example(program_.schema, "email")));
    return fail();
  }
  ir::Sequence& L = q.layout;
  L.name = d.name;
  for (const auto& c : q.channels) L.channels.push_back({c});
  std::vector<uint32_t> allowed(q.channels.size(), nb_.c_bool(true));
  std::vector<bool> required(q.channels.size(), false);
  for (const auto& [cf, cp] : chans) {
    const ast::ChannelDecl& c = *cp;
    if (c.requires_ == ast::kNoExpr) continue;
    const int ci = ex_.value_index(Type{TypeKind::Channel, si}, c.name);
    if (required[ci]) continue;  // declared twice: reported above
    required[ci] = true;
    Typed r = ex_.check_cond(*cf, c.requires_);
    if (!r.type.is_error()) allowed[ci] = nb_.is_true(r.node);
    L.channels[ci].requires_ = r.node;
    smap_.rule(SourceMap::Kind::Channel, d.name, c.name, c.span, r.node,
               smap_.term(*cf, c.requires_));
  }
  std::vector<uint32_t> fallback(q.channels.size(), nb_.null(ir::Ty::Int));
  for (const auto& [ff, fp] : fbs) {
    const ast::FallbackDecl& fb = *fp;
    const int from = ex_.value_index(Type{TypeKind::Channel, si}, fb.from);
    const int to = ex_.value_index(Type{TypeKind::Channel, si}, fb.to);
    if (from < 0) {
      ex_.unknown_value(Type{TypeKind::Channel, si}, fb.from, fb.from_span);
      continue;
    }
    if (to < 0) {
      ex_.unknown_value(Type{TypeKind::Channel, si}, fb.to, fb.to_span);
      continue;
    }
    if (from == to) {
      error(Code::Channels, fb.span,
            fmt::format("channel `{}` cannot fall back to itself", fb.from));
      continue;
    }
    fallback[from] = nb_.c_int(to);
    L.channels[from].fallback = static_cast<uint32_t>(to);
  }
  for (size_t c = 0; c < L.channels.size(); ++c) L.channels[c].allowed = allowed[c];
  // Send times: on every channel of the sequence or on none (a due touch's `send_at` would
  // otherwise depend on which channel it went through).
  {
    const ast::ChannelDecl* with = nullptr;
    const ast::ChannelDecl* without = nullptr;
    std::vector<bool> seen_channel(q.channels.size(), false);
    for (const auto& [cf, cp] : chans) {
      const int ci = ex_.value_index(Type{TypeKind::Channel, si}, cp->name);
      if (ci < 0 || seen_channel[static_cast<size_t>(ci)]) continue;
      seen_channel[static_cast<size_t>(ci)] = true;
      if (!cp->sends) {
        if (!without) without = cp;
        continue;
      }
      if (!with) with = cp;
      L.channels[static_cast<size_t>(ci)].sends = send_window(*cp);
    }
    if (with && without)
      error(Code::SendTime, without->name_span,
            fmt::format("channel `{}` of sequence `{}` has no send time, but `{}` has one",
                        without->name, d.name, with->name),
            "write `sends at HH:MM` on every channel of the sequence, or on none");
    if (with && !without && local_time(with->sends->span)) q.send_times = true;
  }

  // Progress: the last touch sent and when.
  uint32_t last = nb_.c_int(0), last_date = nb_.null(ir::Ty::Int);
  if (d.progress_touch) {
    Typed t = ex_.resolve_name(f, d.progress_touch->first, d.progress_touch->second, nullptr);
    if (!t.type.is_error() && t.type.kind == TypeKind::Enum) {
      // Progress by touch name: the field's values are the touches' names, so adding, removing
      // or moving a touch never reinterprets where a customer is.
      if (const auto by_name = progress_by_name(d, t)) {
        last = *by_name;
        L.progress_touch = t.node;
        L.progress_by_name = true;
      }
    } else if (!t.type.is_error() && t.type.kind != TypeKind::Int) {
      error(Code::Progress, d.progress_touch->second,
            fmt::format("`progress` needs a whole-number field counting touches, or an enum of "
                        "the touch names, but `{}` is {}",
                        d.progress_touch->first, type_name(t.type)));
    } else if (!t.type.is_error()) {
      last = nb_.op(ir::Op::Coalesce, ir::Ty::Int, {t.node, nb_.c_int(0)});
      L.progress_touch = t.node;
    }
    Typed dt = ex_.resolve_name(f, d.progress_date->first, d.progress_date->second, nullptr);
    if (!dt.type.is_error() && dt.type.kind != TypeKind::Date) {
      error(Code::Progress, d.progress_date->second,
            fmt::format("`progress ... on` needs a date field, but `{}` is {}",
                        d.progress_date->first, type_name(dt.type)));
    } else if (!dt.type.is_error()) {
      last_date = dt.node;
      L.progress_date = dt.node;
    }
  }
  L.last_touch = last;

  // Entry, stop, holdout, exits.
  const uint32_t entered = lower_entry(index, use).node;
  const uint32_t enter_term = q.enter_term;
  const uint32_t stopped = stopped_node(use);
  uint32_t hold = nb_.c_bool(false);
  if (d.holdout_share != ast::kNoExpr) {
    Typed share = ex_.check_expr(f, d.holdout_share, nullptr);
    const ast::Expr& se = f.expr(d.holdout_share);
    const ir::Node* cn = share.type.is_error() ? nullptr : &nb_.node(share.node);
    if (!share.type.is_error() &&
        (share.type.kind != TypeKind::Percent || cn->op != ir::Op::ConstFloat)) {
      error(Code::HoldoutShare, se.span,
            "the holdout share must be a fixed percent, e.g. `holdout 5%`");
    } else if (cn) {
      const double pct = cn->fimm * 100.0;
      const double bp = cn->fimm * 10000.0;
      ir::Atom a;
      a.kind = ir::AtomKind::Holdout;
      a.field = static_cast<uint32_t>(program_.schema.key_field);
      a.salt = d.holdout_salt;
      if (pct < 0 || pct > 100) {
        error(Code::HoldoutShare, se.span, "the holdout share must lie between 0% and 100%");
      } else if (std::fabs(pct - std::round(pct)) < 1e-9) {
        a.modulus = 100;
        a.threshold = static_cast<uint64_t>(std::llround(pct));
      } else if (std::fabs(bp - std::round(bp)) < 1e-6) {
        a.modulus = 10000;
        a.threshold = static_cast<uint64_t>(std::llround(bp));
      } else {
        error(Code::HoldoutShare, se.span,
              "the holdout share must be a whole number of basis points");
      }
      if (!ctx_.failed()) {
        const uint32_t atom = ex_.add_atom(std::move(a));
        L.holdout_atom = nb_.node(atom).index;
        hold = nb_.is_true(atom);
      }
    }
  }
  std::vector<uint32_t> exits;
  std::vector<std::string> exit_names;
  for (const auto& x : d.exits) {
    Typed c = ex_.check_cond(f, x.cond);
    exits.push_back(c.type.is_error() ? nb_.c_bool(false) : nb_.is_true(c.node));
    L.exits.push_back({x.name, c.node, exits.back()});
    smap_.rule(SourceMap::Kind::Exit, d.name, x.name, x.span, c.node, smap_.term(f, x.cond));
    exit_names.push_back(x.name);
  }

  // Touches: the next is the first after `last` whose `only when` holds.
  ex_.begin_offers(&q, si);
  q.offers.push_back("none");
  q.offer_kinds.push_back(ast::OfferKind::None);
  q.offer_amounts.push_back("");
  q.offer_values.push_back(0);
  std::vector<uint32_t> next_conds, channel_of, offer_of, variant_of, only_terms;
  std::unordered_map<std::string, ast::Span> touch_names;
  const Type channel_type{TypeKind::Channel, si};
  // A sequence has templates when any touch or variant has a subject or a body.
  for (const ast::TouchDecl& t : d.touches) {
    L.templated = L.templated || t.subject.present || t.body.present;
    for (const ast::VariantDecl& v : t.variants)
      L.templated = L.templated || v.subject.present || v.body.present;
  }
  for (size_t i = 0; i < d.touches.size(); ++i) {
    const ast::TouchDecl& t = d.touches[i];
    if (auto it = touch_names.find(t.name); it != touch_names.end())
      error_note(Code::DeclaredTwice, t.name_span, fmt::format("touch `{}` appears twice", t.name),
                 it->second, "first used here");
    touch_names.emplace(t.name, t.name_span);
    q.steps.push_back(t.name);
    uint32_t cond = nb_.cmp(ir::Op::Gt, nb_.c_int(static_cast<int64_t>(i + 1)), last);
    uint32_t only = UINT32_MAX;
    if (t.only_when != ast::kNoExpr) {
      Typed c = ex_.check_cond(f, t.only_when);
      cond = nb_.and_(cond, c.type.is_error() ? nb_.c_bool(false) : nb_.is_true(c.node));
      only = c.node;
    }
    only_terms.push_back(smap_.term(f, t.only_when));
    smap_.rule(SourceMap::Kind::Touch, d.name, t.name, t.span, only, only_terms.back(), t.doc);
    next_conds.push_back(cond);
    Typed ch = ex_.check_expr(f, t.channel, &channel_type);
    if (!ch.type.is_error() && !(ch.type == channel_type)) {
      error(Code::Channels, f.expr(t.channel).span,
            fmt::format("`via` needs a channel of sequence `{}` ({}), but this is {}", d.name,
                        fmt::join(q.channels, ", "), type_name(ch.type)));
      ch = error_typed();
    }
    channel_of.push_back(ch.type.is_error() ? nb_.null(ir::Ty::Int) : ch.node);
    const Type offer_type{TypeKind::Offer, si};
    auto lower_offer = [&](ast::ExprId e) {
      if (e == ast::kNoExpr) return nb_.c_int(0);
      Typed o = ex_.check_expr(f, e, &offer_type);
      if (!o.type.is_error() && !(o.type == offer_type)) {
        error(Code::Offer, f.expr(e).span,
              fmt::format("`offer` needs an offer (none, credit N, points N, early_access, "
                          "discount N%), but this is {}",
                          type_name(o.type)));
        o = error_typed();
      }
      return o.type.is_error() ? nb_.null(ir::Ty::Int) : o.node;
    };
    offer_of.push_back(lower_offer(t.offer));
    ir::Touch lt{t.name, channel_of.back(), offer_of.back(), only, cond};
    variant_of.push_back(nb_.null(ir::Ty::Int));
    if (!t.variants.empty()) {
      lower_variants(si, t, lt, lower_offer);
      // The customer's variant and its offer: the first range holding their bucket, after
      // pausing; beyond the last range, no variant and the touch's own offer.
      uint32_t which = nb_.null(ir::Ty::Int), value = nb_.null(ir::Ty::Int);
      uint32_t offer_v = offer_of.back();
      for (size_t k = lt.variants.size(); k-- > 0;) {
        const ir::Variant& v = lt.variants[k];
        if (v.atom == ir::kNoIndex) continue;  // an error was reported
        const uint32_t in_range = nb_.is_true(atom_nodes_[v.atom]);
        const bool served = v.serves != ir::kNoIndex;
        const ir::Variant& s = served ? lt.variants[v.serves] : v;
        which = nb_.if_(ir::Ty::Int, in_range, served ? nb_.c_int(v.serves) : nb_.null(ir::Ty::Int),
                        which);
        value = nb_.if_(ir::Ty::Int, in_range, served ? nb_.c_int(s.value) : nb_.null(ir::Ty::Int),
                        value);
        offer_v = nb_.if_(ir::Ty::Int, in_range, served ? s.offer : offer_of.back(), offer_v);
      }
      lt.variant = which;
      offer_of.back() = offer_v;
      variant_of.back() = value;
    }
    lower_messages(d, t, lt, L.templated);
    L.touches.push_back(std::move(lt));
  }
  ex_.end_offers();
  if (q.offers.size() > 64)
    error(Code::Limit, d.name_span, "a sequence can have at most 64 offers");

  const uint32_t next = nb_.op(ir::Op::FirstTrue, ir::Ty::Int, next_conds);
  const uint32_t exhausted = nb_.is_missing(next);
  uint32_t due_time = nb_.c_bool(true);
  if (d.wait != ast::kNoExpr) {
    Typed w = ex_.check_expr(f, d.wait, nullptr);
    if (!w.type.is_error() && w.type.kind != TypeKind::Days) {
      error(Code::WaitNotDays, f.expr(d.wait).span,
            fmt::format("`wait` needs a number of days, e.g. `wait 7 days`, but this is {}",
                        type_name(w.type)));
    } else if (!w.type.is_error()) {
      const uint32_t since = nb_.op(ir::Op::Sub, ir::Ty::Int, {nb_.as_of(), last_date});
      due_time = nb_.or_(nb_.is_true(nb_.cmp(ir::Op::Le, last, nb_.c_int(0))),
                         nb_.is_true(nb_.cmp(ir::Op::Ge, since, w.node)));
      L.wait = w.node;
      L.days_since_last = since;
    }
  }
  const uint32_t chosen = nb_.op(ir::Op::Switch, ir::Ty::Int, [&] {
    std::vector<uint32_t> a{next};
    a.insert(a.end(), channel_of.begin(), channel_of.end());
    return a;
  }());
  auto switch_on = [&](uint32_t idx, const std::vector<uint32_t>& table, ir::Ty ty) {
    std::vector<uint32_t> a{idx};
    a.insert(a.end(), table.begin(), table.end());
    return nb_.op(ir::Op::Switch, ty, a);
  };
  const uint32_t chosen_ok = nb_.is_true(switch_on(chosen, allowed, ir::Ty::Bool));
  const uint32_t fb = switch_on(chosen, fallback, ir::Ty::Int);
  const uint32_t fb_ok = nb_.is_true(switch_on(fb, allowed, ir::Ty::Bool));
  const uint32_t channel = nb_.if_(ir::Ty::Int, chosen_ok, chosen,
                                   nb_.if_(ir::Ty::Int, fb_ok, fb, nb_.null(ir::Ty::Int)));
  const uint32_t offer = switch_on(next, offer_of, ir::Ty::Int);
  const bool has_variants = !q.variant_names.empty();
  const uint32_t variant = has_variants ? switch_on(next, variant_of, ir::Ty::Int) : ir::kNoNode;

  // Caps: the top-level ones, then the sequence's own. A `when` cap fails closed (it fires unless
  // its condition is false); a count cap fires when the sequences written before this one have
  // `limit` or more touches due (their final status, after their own caps).
  std::vector<std::pair<const ast::File*, const ast::CapDecl*>> caps;
  for (const auto& c : sym_.caps) caps.push_back({c.file, c.decl});
  for (const auto& c : d.caps) caps.push_back({&f, &c});
  uint32_t capped = nb_.c_bool(false);
  std::unordered_map<std::string, ast::Span> cap_names;
  for (size_t i = 0; i < caps.size(); ++i) {
    const auto& [cf, cp] = caps[i];
    const ast::CapDecl& c = *cp;
    if (auto it = cap_names.find(c.name); it != cap_names.end()) {
      if (i >= sym_.caps.size() || index == 0)  // a top-level pair is reported once
        error_note(Code::DeclaredTwice, c.name_span,
                   fmt::format("cap `{}` is declared twice", c.name), it->second,
                   "first declared here");
      continue;
    }
    cap_names.emplace(c.name, c.name_span);
    ir::Cap cap;
    cap.name = c.name;
    cap.shared = i < sym_.caps.size();
    if (c.cond != ast::kNoExpr) {
      Typed t = ex_.check_cond(*cf, c.cond);
      cap.cond = t.node;
      cap.fires = t.type.is_error() ? nb_.c_bool(false) : nb_.fires(t.node);
      smap_.rule(SourceMap::Kind::Cap, d.name, c.name, c.span, t.node, smap_.term(*cf, c.cond),
                 c.doc);
    } else {
      int64_t limit = 0;
      const auto r = std::from_chars(c.limit.data(), c.limit.data() + c.limit.size(), limit);
      if (r.ec != std::errc() || limit > kMaxTouches * 1000) {
        error(Code::Limit, c.limit_span,
              fmt::format("`at most {}` is too many messages (the limit is {})", c.limit,
                          kMaxTouches * 1000));
        continue;
      }
      uint32_t earlier = nb_.c_int(0);
      for (size_t j = 0; j < index; ++j) {
        if (lower_sequence(j, c.span).type.is_error()) continue;
        earlier =
            nb_.op(ir::Op::Add, ir::Ty::Int,
                   {earlier, nb_.if_(ir::Ty::Int, seqs_[j].is_due, nb_.c_int(1), nb_.c_int(0))});
      }
      cap.limit = limit;
      cap.earlier = earlier;
      cap.fires = nb_.is_true(nb_.cmp(ir::Op::Ge, earlier, nb_.c_int(limit)));
    }
    capped = L.caps.empty() ? cap.fires : nb_.or_(capped, cap.fires);
    L.caps.push_back(std::move(cap));
  }
  const bool has_caps = !caps.empty();

  std::vector<uint32_t> status_conds{nb_.not_(entered), stopped, hold};
  q.statuses = {"not_candidate", "stopped", "holdout"};
  for (size_t i = 0; i < exits.size(); ++i) {
    status_conds.push_back(exits[i]);
    q.statuses.push_back(exit_names[i]);
  }
  status_conds.push_back(exhausted);
  status_conds.push_back(nb_.not_(due_time));
  status_conds.push_back(nb_.is_missing(channel));
  for (const char* s : {"exhausted", "waiting", "no_channel"}) q.statuses.push_back(s);
  if (has_caps) {
    status_conds.push_back(capped);
    q.statuses.push_back("capped");
  }
  status_conds.push_back(nb_.c_bool(true));
  q.statuses.push_back("due");
  {
    std::set<std::string> uniq;
    for (const auto& s : q.statuses)
      if (!uniq.insert(s).second) {
        ast::Span at = d.name_span;
        for (const auto& x : d.exits)
          if (x.name == s) at = x.name_span;
        error(
            Code::DeclaredTwice, at,
            fmt::format("exit `{}` has the name of a built-in status of sequence `{}`", s, d.name),
            "the statuses not_candidate, stopped, holdout, exhausted, waiting, no_channel, "
            "capped (with caps) and due are built in; give the exit another name");
      }
  }
  q.status = nb_.op(ir::Op::FirstTrue, ir::Ty::Int, status_conds);
  q.is_due = nb_.is_true(
      nb_.cmp(ir::Op::Eq, q.status, nb_.c_int(static_cast<int64_t>(q.statuses.size() - 1))));
  const uint32_t none = nb_.null(ir::Ty::Int);
  q.next = next;
  q.touch = nb_.if_(ir::Ty::Int, q.is_due, next, none);
  q.channel = nb_.if_(ir::Ty::Int, q.is_due, channel, none);
  q.offer = nb_.if_(ir::Ty::Int, q.is_due, offer, none);
  q.variant = has_variants ? nb_.if_(ir::Ty::Int, q.is_due, variant, none) : ir::kNoNode;
  // What a template showing a let that reads one of them says (messages.cpp).
  sym_.missing_why.emplace(
      q.touch,
      fmt::format("reads `{}.touch` or `{}.step`, missing unless a touch is due", d.name, d.name));
  sym_.missing_why.emplace(
      q.channel, fmt::format("reads `{}.channel`, missing unless a touch is due", d.name));
  sym_.missing_why.emplace(q.offer,
                           fmt::format("reads `{}.offer`, missing unless a touch is due", d.name));
  if (has_variants)
    sym_.missing_why.emplace(q.variant,
                             fmt::format("reads `{}.variant`, missing unless a touch with "
                                         "variants is due",
                                         d.name));
  L.variant_names = q.variant_names;
  q.value = Typed{Type{TypeKind::Status, si}, q.status};
  for (size_t i = 0; i < q.offers.size(); ++i)
    L.offers.push_back({q.offers[i], offer_kind(q.offer_kinds[i]), q.offer_amounts[i]});
  for (size_t i = 0; i < q.statuses.size(); ++i) {
    using K = ir::StatusKind;
    const size_t after_exits = 3 + exits.size();
    static constexpr K kFirst[] = {K::NotEntered, K::Stopped, K::HeldOut};
    static constexpr K kLast[] = {K::Exhausted, K::Waiting, K::NoChannel, K::Capped, K::Due};
    ir::Status st;
    st.name = q.statuses[i];
    st.when = status_conds[i];
    if (i < 3) {
      st.kind = kFirst[i];
    } else if (i < after_exits) {
      st.kind = K::Exit;
      st.exit = static_cast<uint32_t>(i - 3);
    } else {
      const size_t k = i - after_exits;
      st.kind = kLast[!has_caps && k >= 3 ? k + 1 : k];
    }
    L.statuses.push_back(std::move(st));
  }
  L.decision = {entered, stopped, hold,    next,  exhausted, due_time, chosen,  chosen_ok,
                fb,      fb_ok,   channel, offer, capped,    variant,  q.is_due};
  L.result.status.node = q.status;
  L.result.touch.node = q.touch;
  L.result.channel.node = q.channel;
  L.result.offer.node = q.offer;
  L.result.variant.node = q.variant;
  q.state = State::Done;
  smap_.sequence(f, d, enter_term, only_terms);
  return q.value;
}
}  // namespace rk::check
