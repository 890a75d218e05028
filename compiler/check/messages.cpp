// Rekindle compiler: message templates. Checks a touch's (and each variant's) `subject "..."` and
// `body "..."`: parses each with compiler/ir/message_template.h (a malformed template is RK0415 at
// its place in the string), resolves every placeholder to a snapshot field, a segment family's
// label, a score or `offer` (an unknown name is RK0201 with a "did you mean"; a value that can be
// missing without `|fallback`, or a name a template cannot show, is RK0416), and, in a sequence
// whose touches have templates, requires a subject and a body for every customer who can get a
// touch (RK0417). The result is the layout's ir::Message of each touch and variant.
#include <fmt/format.h>

#include <algorithm>

#include "compiler/check/lower.h"

namespace rk::check {

namespace {

// The byte of the source file where byte `k` of a template's text was written: after the opening
// quote, each `"` and `\` before it was written as two bytes (its escape).
uint32_t source_offset(const ast::MessageText& m, uint32_t k) {
  uint32_t off = m.span.offset + 1 + k;
  for (uint32_t i = 0; i < k && i < m.text.size(); ++i)
    if (m.text[i] == '"' || m.text[i] == '\\') ++off;
  return off;
}

}  // namespace

bool Lowering::lower_message_text(const ast::MessageText& m, ir::MessageText& out) {
  out.text = m.text;
  auto at = [&](uint32_t offset, uint32_t length) {
    const uint32_t b = source_offset(m, offset);
    const uint32_t e = source_offset(m, offset + length);
    return ctx_.src.span_at(m.span.file, b, std::max<uint32_t>(1, e - b));
  };
  if (auto err = ir::parse_message_template(m.text, out.parsed)) {
    error(Code::Template, at(err->offset, err->length), err->message);
    return false;
  }
  const Schema& schema = program_.schema;
  bool ok = true;
  for (const ir::TemplatePart& part : out.parsed.parts) {
    if (part.kind != ir::TemplatePart::Kind::Placeholder) continue;
    const std::string& name = part.text;
    const ast::Span name_span = at(part.name_offset, static_cast<uint32_t>(name.size()));
    const ast::Span whole = at(part.offset, part.length);
    ir::Placeholder ph;
    ph.name = name;
    std::string missing;  // why the value can be missing ("" : it cannot)
    if (name == "offer") {
      ph.kind = ir::PlaceholderKind::Offer;
    } else if (const int fi = schema.find(name); fi >= 0) {
      ph.kind = ir::PlaceholderKind::Field;
      ph.index = static_cast<uint32_t>(fi);
      if (schema.fields[static_cast<size_t>(fi)].nullable)
        missing = fmt::format("the field `{}` is optional", name);
    } else if (auto it = sym_.family_index.find(name); it != sym_.family_index.end()) {
      ph.kind = ir::PlaceholderKind::Family;
      ph.index = static_cast<uint32_t>(it->second);
      const auto& labels = families_[it->second].decl->labels;
      if (std::none_of(labels.begin(), labels.end(),
                       [](const ast::LabelRule& l) { return l.otherwise; }))
        missing =
            fmt::format("segment `{}` has no `otherwise` label, so a customer can have none", name);
    } else if (auto sc = sym_.score_index.find(name); sc != sym_.score_index.end()) {
      ph.kind = ir::PlaceholderKind::Score;
      ph.index = static_cast<uint32_t>(sc->second);
    } else {
      std::string what;
      if (lets_.count(name))
        what = "a `let`";
      else if (params_.count(name))
        what = "a parameter";
      else if (sym_.seq_index.count(name))
        what = "a sequence";
      else if (name == "candidate" || name == "stopped" || name == "reviewed")
        what = "a rule's answer";
      if (!what.empty()) {
        error(Code::Placeholder, name_span,
              fmt::format("a template cannot show `{}`, {}", name, what),
              "a placeholder shows a snapshot field, a segment's label, a score or `offer`");
      } else {
        std::vector<std::string> shown{"offer"};
        for (const auto& f : schema.fields) shown.push_back(f.name);
        for (const auto& fam : families_) shown.push_back(fam.decl->name);
        for (const auto& s : sym_.scores) shown.push_back(s.decl->name);
        const std::string near = closest(name, shown);
        error(Code::UnknownName, name_span, fmt::format("unknown name `{}` in a template", name),
              near.empty() ? std::string("a placeholder shows a snapshot field, a segment's "
                                         "label, a score or `offer`")
                           : fmt::format("did you mean `{}`?", near));
      }
      ok = false;
      continue;
    }
    if (!missing.empty() && !part.has_fallback) {
      error(Code::Placeholder, whole,
            fmt::format("`{{{}}}` can be missing ({}) and has no fallback", name, missing),
            fmt::format("say what it reads as then, e.g. `{{{}|...}}`", name));
      ok = false;
    }
    if (!out.find(name)) out.placeholders.push_back(std::move(ph));
  }
  return ok;
}

void Lowering::lower_messages(const ast::SequenceDecl& d, const ast::TouchDecl& t, ir::Touch& lt,
                              bool templated) {
  auto lower = [&](const ast::MessageText& subject, const ast::MessageText& body,
                   const ir::Message& inherit) {
    ir::Message m = inherit;
    if (subject.present) {
      m.has_subject = true;
      m.subject = {};
      lower_message_text(subject, m.subject);
    }
    if (body.present) {
      m.has_body = true;
      m.body = {};
      lower_message_text(body, m.body);
    }
    return m;
  };
  lt.message = lower(t.subject, t.body, ir::Message{});
  for (size_t k = 0; k < t.variants.size() && k < lt.variants.size(); ++k)
    lt.variants[k].message = lower(t.variants[k].subject, t.variants[k].body, lt.message);
  if (!templated) return;

  const std::string help = fmt::format(
      "once one touch of sequence `{}` has a subject and a body, every touch (every variant of a "
      "touch with variants) needs both",
      d.name);
  auto require = [&](const ir::Message& m, const ast::Span& span, const std::string& who) {
    if (!m.has_subject && !m.has_body)
      error(Code::MessageMissing, span, fmt::format("{} has no subject and no body", who), help);
    else if (!m.has_subject)
      error(Code::MessageMissing, span, fmt::format("{} has no subject", who), help);
    else if (!m.has_body)
      error(Code::MessageMissing, span, fmt::format("{} has no body", who), help);
  };
  for (size_t k = 0; k < t.variants.size() && k < lt.variants.size(); ++k)
    require(lt.variants[k].message, t.variants[k].name_span,
            fmt::format("variant `{}` of touch `{}`", t.variants[k].name, t.name));
  // Customers in no variant: every customer of a touch without variants, or those whose bucket
  // lies beyond the last variant's range.
  uint64_t covered = 0;
  for (const ir::Variant& v : lt.variants) covered = std::max(covered, v.end);
  if (t.variants.empty())
    require(lt.message, t.name_span, fmt::format("touch `{}`", t.name));
  else if (covered < 100 && (!lt.message.has_subject || !lt.message.has_body))
    require(lt.message, t.name_span,
            fmt::format("touch `{}` (for the {}% of customers in none of its variants)", t.name,
                        100 - covered));
}

}  // namespace rk::check
