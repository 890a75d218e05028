// Rekindle compiler: how a due touch is delivered. A channel's local send time (`sends at 09:00
// except sunday`), the customers' time zone (`local time from timezone, or "America/New_York"
// when missing`: a time_zone field, and a default that the system's time-zone database has,
// checked here at compile time), and the reviewed customers' `owner`. Each declaration is checked
// once however many sequences share it; the send instants themselves are the runtime's
// (runtime/send_at.h).
#include <fmt/format.h>

#include <array>
#include <string>

#include "base/zone_names.h"
#include "compiler/check/lower.h"

namespace rk::check {

namespace {

constexpr std::array<std::string_view, 7> kWeekdays = {
    "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"};

int weekday_index(std::string_view w) {
  for (size_t i = 0; i < kWeekdays.size(); ++i)
    if (kWeekdays[i] == w) return static_cast<int>(i);
  return -1;
}

std::string lower_ascii(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

// "did you mean" for a zone name: the same name in another case.
std::string zone_help(std::string_view name) {
  const ZoneNames& zones = ZoneNames::system();
  if (auto near = zones.suggest(name)) return fmt::format("did you mean \"{}\"?", *near);
  if (!zones.error().empty()) return zones.error();
  return fmt::format(
      "zones are named as the system's database spells them ({}), e.g. "
      "\"America/New_York\", \"Europe/Berlin\", \"Asia/Kolkata\"",
      zones.directory());
}

}  // namespace

std::optional<ir::SendsAt> Lowering::send_window(const ast::ChannelDecl& c) {
  if (!c.sends) return std::nullopt;
  if (auto it = windows_.find(&c); it != windows_.end()) return it->second;
  std::optional<ir::SendsAt>& out = windows_[&c];
  const ast::SendsAt& s = *c.sends;
  bool ok = true;
  // The grammar took two digits, `:`, two digits.
  const int hour = (s.time[0] - '0') * 10 + (s.time[1] - '0');
  const int minute = (s.time[3] - '0') * 10 + (s.time[4] - '0');
  if (hour > 23 || minute > 59) {
    error(Code::SendTime, s.time_span,
          fmt::format("`{}` is not a time of day: hours run from 00 to 23, minutes from 00 to 59",
                      s.time),
          "write the local time on a 24-hour clock, e.g. `sends at 09:00` or `sends at 17:30`");
    ok = false;
  }
  uint8_t excluded = 0;
  for (const auto& [day, span] : s.except) {
    const int w = weekday_index(day);
    if (w < 0) {
      const std::string lower = lower_ascii(day);
      std::string near =
          weekday_index(lower) >= 0 ? lower : closest(day, {kWeekdays.begin(), kWeekdays.end()});
      error(Code::SendTime, span, fmt::format("`{}` is not a day of the week", day),
            near.empty() ? "write weekdays in lowercase: monday, tuesday, ..., sunday"
                         : fmt::format("did you mean `{}`?", near));
      ok = false;
      continue;
    }
    if ((excluded >> w) & 1) {
      error(Code::SendTime, span, fmt::format("`{}` is listed twice", day));
      ok = false;
    }
    excluded = static_cast<uint8_t>(excluded | (1u << w));
  }
  if (ok && excluded == 0x7F) {
    error(Code::SendTime, s.span,
          fmt::format("channel `{}` would never send: every day of the week is excluded", c.name),
          "leave out at least one day");
    ok = false;
  }
  if (ok) out = ir::SendsAt{hour * 60 + minute, excluded};
  return out;
}

const ir::LocalTime* Lowering::local_time(const ast::Span& use) {
  if (local_time_done_) return local_time_ ? &*local_time_ : nullptr;
  local_time_done_ = true;
  const ast::LocalTimeDecl* d = sym_.local_time.decl;
  if (!d) {
    error(Code::LocalTime, use,
          "send times need the customers' time zone: the rule file has no `local time from`",
          "declare where the zone comes from, e.g. `local time from timezone, or "
          "\"America/New_York\" when missing` (a `time_zone` field of the schema)");
    return nullptr;
  }
  const Schema& schema = program_.schema;
  const int f = schema.find(d->field);
  if (f < 0) {
    std::vector<std::string> zone_fields, all;
    for (const auto& fd : schema.fields) {
      all.push_back(fd.name);
      if (fd.time_zone) zone_fields.push_back(fd.name);
    }
    std::string near = closest(d->field, zone_fields);
    if (near.empty()) near = closest(d->field, all);
    error(Code::LocalTime, d->field_span,
          fmt::format("`{}` is not a field of schema `{}`", d->field, schema.name),
          near.empty() ? "name a `time_zone` field of the schema"
                       : fmt::format("did you mean `{}`?", near));
    return nullptr;
  }
  const FieldDef& fd = schema.fields[static_cast<size_t>(f)];
  if (!fd.time_zone) {
    error(Code::LocalTime, d->field_span,
          fmt::format("`{}` is a `{}` field; send times read a `time_zone` field", d->field,
                      field_type_name(fd)),
          fmt::format("declare it in the schema as `field {}: time_zone{}` (its values are then "
                      "checked against the system's time-zone database on reading)",
                      fd.name, fd.nullable ? "?" : ""));
    return nullptr;
  }
  bool ok = true;
  if (d->fallback) {
    if (ZoneNames::system().find(*d->fallback) < 0) {
      error(Code::LocalTime, d->fallback_span,
            fmt::format("\"{}\" is not a time zone of the system's database", *d->fallback),
            zone_help(*d->fallback));
      ok = false;
    }
  } else if (fd.nullable) {
    error(Code::LocalTime, d->field_span,
          fmt::format("`{}` can be missing, and the send time of a customer without a zone "
                      "would be unknown",
                      d->field),
          fmt::format("say which zone applies then: `local time from {}, or \"America/New_York\" "
                      "when missing`",
                      d->field));
    ok = false;
  }
  if (!ok) return nullptr;
  local_time_ = ir::LocalTime{f, d->fallback.value_or("")};
  program_.layout.local_time = *local_time_;
  return &*local_time_;
}

void Lowering::lower_owner(uint32_t reviewed) {
  const ast::OwnerDecl* d = sym_.owner.decl;
  if (!d) return;
  ir::Owner o;
  o.declared = true;
  o.text = d->text.value_or("");
  if (!d->field.empty()) {
    const Schema& schema = program_.schema;
    const int f = schema.find(d->field);
    if (f < 0) {
      std::vector<std::string> all;
      for (const auto& fd : schema.fields) all.push_back(fd.name);
      const std::string near = closest(d->field, all);
      error(Code::Owner, d->field_span,
            fmt::format("`{}` is not a field of schema `{}`", d->field, schema.name),
            near.empty() ? "name a `string` field of the schema, or write the owner in quotes"
                         : fmt::format("did you mean `{}`?", near));
      return;
    }
    const FieldDef& fd = schema.fields[static_cast<size_t>(f)];
    if (fd.type != FieldType::String) {
      error(Code::Owner, d->field_span,
            fmt::format("`{}` is a `{}` field; an owner is a `string` field (or a text in quotes)",
                        d->field, field_type_name(fd)));
      return;
    }
    if (fd.nullable && !d->text) {
      error(
          Code::Owner, d->field_span,
          fmt::format("`{}` can be missing, and a reviewed customer would have no owner", d->field),
          fmt::format("say who approves then: `owner {} or \"marketing-ops\"`", d->field));
      return;
    }
    o.field = f;
  }
  add_output("owner present", reviewed);
  o.reviewed = {reviewed, last_output()};
  program_.layout.owner = std::move(o);
}

}  // namespace rk::check
