// Rekindle IR: names of the layout's kinds and its text dump (see layout.h).
#include "compiler/ir/layout.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace rk::ir {

std::string_view status_kind_name(StatusKind k) {
  switch (k) {
    case StatusKind::NotEntered:
      return "not_entered";
    case StatusKind::Stopped:
      return "stopped";
    case StatusKind::HeldOut:
      return "held_out";
    case StatusKind::Exit:
      return "exit";
    case StatusKind::Exhausted:
      return "exhausted";
    case StatusKind::Waiting:
      return "waiting";
    case StatusKind::NoChannel:
      return "no_channel";
    case StatusKind::Capped:
      return "capped";
    case StatusKind::Due:
      return "due";
  }
  return "?";
}

std::string_view placeholder_kind_name(PlaceholderKind k) {
  switch (k) {
    case PlaceholderKind::Field:
      return "field";
    case PlaceholderKind::Family:
      return "family";
    case PlaceholderKind::Score:
      return "score";
    case PlaceholderKind::Offer:
      return "offer";
    case PlaceholderKind::Let:
      return "let";
  }
  return "?";
}

std::string_view offer_kind_name(OfferKind k) {
  switch (k) {
    case OfferKind::None:
      return "none";
    case OfferKind::Credit:
      return "credit";
    case OfferKind::Points:
      return "points";
    case OfferKind::EarlyAccess:
      return "early_access";
    case OfferKind::Discount:
      return "discount";
  }
  return "?";
}

namespace {

std::string n(uint32_t node) {
  return node == kNoNode ? "-" : fmt::format("%{}", node);
}
std::string v(const OutputValue& x) {
  return x.output == kNoOutput ? n(x.node) : fmt::format("{} @{}", n(x.node), x.output);
}
std::string i(uint32_t index) {
  return index == kNoIndex ? "-" : fmt::format("{}", index);
}

}  // namespace

std::string dump_layout(const Layout& l) {
  std::string out = fmt::format("layout key {}\n", l.key_field);
  const auto& c = l.candidate;
  out += fmt::format("  candidate {} cond {} = {}\n", c.declared ? "declared" : "everyone",
                     n(c.cond), v(c.value));
  for (const auto& f : l.families) {
    out += fmt::format("  family {} = {}\n", f.name, v(f.value));
    for (const auto& lab : f.labels)
      out += fmt::format("    label {}{} cond {}\n", lab.name, lab.otherwise ? " otherwise" : "",
                         n(lab.cond));
  }
  out += fmt::format("  stops = {} stopped {} scope {}\n", v(l.stops.value), n(l.stops.stopped),
                     n(l.stops.scope));
  for (const auto& s : l.stops.rules)
    out += fmt::format("    stop {} cond {} fires {} because \"{}\"\n", s.name, n(s.cond),
                       n(s.fires), s.reason);
  out += fmt::format("  reviews scope {}\n", n(l.reviews.scope));
  for (const auto& r : l.reviews.rules)
    out += fmt::format("    review {} cond {} = {} because \"{}\"\n", r.name, n(r.cond), v(r.value),
                       r.reason);
  for (const auto& q : l.sequences) {
    const auto& d = q.decision;
    const auto& r = q.result;
    out += fmt::format(
        "  sequence {} enter {} progress {} {} last {} wait {} since {} holdout atom {}\n", q.name,
        n(q.enter_cond), n(q.progress_touch), n(q.progress_date), n(q.last_touch), n(q.wait),
        n(q.days_since_last), i(q.holdout_atom));
    out += fmt::format(
        "    decision entered {} stopped {} held_out {} next {} exhausted {} waited {} chosen {} "
        "{} fallback {} {} channel {} offer {} due {}\n",
        n(d.entered), n(d.stopped), n(d.held_out), n(d.next_touch), n(d.exhausted), n(d.waited),
        n(d.chosen_channel), n(d.chosen_allowed), n(d.fallback_channel), n(d.fallback_allowed),
        n(d.channel), n(d.offer), n(d.due));
    if (!q.caps.empty()) out += fmt::format("    decision capped {}\n", n(d.capped));
    if (!q.variant_names.empty())
      out += fmt::format("    variants {} decision {} result {}\n", fmt::join(q.variant_names, " "),
                         n(d.variant), v(r.variant));
    out += fmt::format("    result status {} touch {} channel {} offer {}\n", v(r.status),
                       v(r.touch), v(r.channel), v(r.offer));
    for (const auto& s : q.statuses)
      out += fmt::format("    status {} {} exit {} when {}\n", s.name, status_kind_name(s.kind),
                         i(s.exit), n(s.when));
    for (const auto& x : q.exits)
      out += fmt::format("    exit {} cond {} applies {}\n", x.name, n(x.cond), n(x.applies));
    for (const auto& ch : q.channels) {
      out += fmt::format("    channel {} requires {} allowed {} fallback {}\n", ch.name,
                         n(ch.requires_), n(ch.allowed), i(ch.fallback));
      if (ch.sends)
        out += fmt::format("    channel {} sends at minute {} except weekdays {:#x}\n", ch.name,
                           ch.sends->minute_of_day, ch.sends->excluded_weekdays);
    }
    if (r.send_at.node != kNoNode)
      out += fmt::format("    result send_at {} {} present {}\n", n(r.send_at.node),
                         r.send_at.output, r.send_at.present);
    for (const auto& o : q.offers)
      out += fmt::format("    offer \"{}\" {} \"{}\"\n", o.text, offer_kind_name(o.kind), o.amount);
    for (const auto& c : q.caps)
      out += fmt::format("    cap {}{} when {} at_most {} earlier {} fires {}\n", c.name,
                         c.shared ? " shared" : "", n(c.cond), c.limit, n(c.earlier), n(c.fires));
    for (const auto& t : q.touches)
      out += fmt::format("    touch {} via {} offer {} only_when {} eligible {}\n", t.name,
                         n(t.channel), n(t.offer), n(t.only_when), n(t.eligible));
    for (const auto& t : q.touches) {
      if (t.variants.empty()) continue;
      out += fmt::format("    touch {} salt \"{}\" variant {}\n", t.name, t.salt, n(t.variant));
      for (const auto& x : t.variants)
        out += fmt::format("      variant {} value {} buckets {}-{} atom {}{} serves {} offer {}\n",
                           x.name, i(x.value), x.begin, x.end, i(x.atom), x.paused ? " paused" : "",
                           i(x.serves), n(x.offer));
    }
    if (q.templated) {
      auto message = [&](const std::string& who, const Message& m) {
        auto one = [&](const char* what, bool has, const MessageText& t) {
          if (!has) return;
          out += fmt::format("    {} {} \"{}\"", who, what, t.text);
          for (const Placeholder& p : t.placeholders)
            out += fmt::format(" {}={}:{}", p.name, placeholder_kind_name(p.kind), i(p.index));
          out += '\n';
        };
        one("subject", m.has_subject, m.subject);
        one("body", m.has_body, m.body);
      };
      for (const auto& t : q.touches) {
        message("message " + t.name, t.message);
        for (const auto& x : t.variants) message("message " + t.name + "." + x.name, x.message);
      }
    }
  }
  for (const auto& sc : l.scores) {
    out += fmt::format("  score {}{} = {} @{} present @{}\n", sc.name, sc.decimal ? " decimal" : "",
                       n(sc.value.node), i(sc.value.output), i(sc.value.present));
    for (const auto& line : sc.lines)
      out += fmt::format("    points {} cond {}\n", line.points, n(line.cond));
  }
  for (const auto& lt : l.lets) {
    out += fmt::format("  let {} {} = {} @{}", lt.name, field_type_name(lt.type), n(lt.value.node),
                       i(lt.value.output));
    if (lt.value.present != kNoOutput) out += fmt::format(" present @{}", lt.value.present);
    if (!lt.texts.empty()) out += fmt::format(" texts {}", fmt::join(lt.texts, ","));
    out += '\n';
  }
  if (l.local_time.field >= 0)
    out +=
        fmt::format("  local time field {} or \"{}\"\n", l.local_time.field, l.local_time.fallback);
  if (l.owner.declared)
    out += fmt::format("  owner field {} or \"{}\" reviewed {}\n", l.owner.field, l.owner.text,
                       v(l.owner.reviewed));
  for (const auto& g : l.guarantees)
    out += fmt::format("  guarantee {} {} {}\n", g.name, g.always ? "always" : "never", n(g.cond));
  return out;
}

}  // namespace rk::ir
