// Rekindle compiler: message templates. Checks a touch's (and each variant's) `subject "..."` and
// `body "..."`: parses each with compiler/ir/message_template.h (a malformed template is RK0415 at
// its place in the string), resolves every placeholder to a snapshot field, a segment family's
// label, a score, a `let` or `offer` (an unknown name is RK0201 with a "did you mean"; a value that
// can be missing without `|fallback`, or a name a template cannot show, is RK0416), and, in a
// sequence whose touches have templates, requires a subject and a body for every customer who can
// get a touch (RK0417). The result is the layout's ir::Message of each touch and variant; each
// let a template shows becomes an ir::ShownLet (its outputs are added with the others, in
// outputs.cpp). Whether a let can be missing is read from its IR nodes (MissingReader below).
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <set>
#include <unordered_map>

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

// The words of MissingReader for an optional field: "reads the optional field `NAME`".
constexpr std::string_view kReadsOptional = "reads the optional field `";

// Whether a node's value can be missing for some customer, and why: a conservative reading of the
// IR (compiler/ir/semantics.h). Constants, the as-of date, required fields and two-valued tests
// are present; an optional field, a division by anything but a non-zero constant and a choice
// that can match nothing (a segment without `otherwise`, a sequence's touch when none is due) can
// be missing; an operation is present when its operands are; `if C then A else B` when A is
// present where C is true and B where C is not (so `if x is present then x else 0` is present),
// and a coalesce when either side is. Two things it does not count, like scores (layout.h): an
// Int64 overflow and a NaN from infinite floats (the snapshot readers never give one). Kleene
// `and`/`or` count as missing when an operand can be, though `false and unknown` is false.
class MissingReader {
 public:
  MissingReader(const ir::NodeBuilder& nb, const ir::Program& program,
                const std::unordered_map<uint32_t, std::string>& why)
      : nb_(nb), program_(program), why_(why) {}

  // "" when node `n` is present for every customer; else why it is not, as the words after
  // "the let `x` " ("reads the optional field `last_purchase_date`").
  std::string why(uint32_t n) { return visit(n, {}); }

 private:
  using Known = std::set<uint32_t>;          // nodes known present where a node is read
  static constexpr size_t kBudget = 200000;  // visits under assumptions, then plain answers

  std::string visit(uint32_t n, const Known& known) {
    if (known.count(n)) return {};
    if (known.empty()) {
      if (auto it = memo_.find(n); it != memo_.end()) return it->second;
      std::string r = compute(n, known);
      if (!r.empty())
        if (auto w = why_.find(n); w != why_.end()) r = w->second;
      memo_.emplace(n, r);
      return r;
    }
    // What holds everywhere holds here too; assumptions only help a node that can be missing.
    std::string plain = visit(n, {});
    if (plain.empty() || ++visits_ > kBudget) return plain;
    return compute(n, known).empty() ? std::string() : plain;
  }

  std::string field_why(uint32_t field) const {
    const FieldDef& f = program_.schema.fields[field];
    return f.nullable ? fmt::format("{}{}`", kReadsOptional, f.name) : std::string();
  }

  bool is_const(uint32_t n, double& value) const {
    const ir::Node& x = nb_.node(n);
    if (x.op == ir::Op::ConstFloat) {
      value = x.fimm;
      return true;
    }
    if (x.op == ir::Op::ConstInt) {
      value = static_cast<double>(x.imm);
      return true;
    }
    if (x.op == ir::Op::IntToFloat) return is_const(x.args[0], value);
    return false;
  }

  // The nodes known present when `n` is present: `n`, and the operands of an operation that is
  // missing whenever one of them is.
  void present(uint32_t n, Known& k) const {
    if (!k.insert(n).second) return;
    const ir::Node& x = nb_.node(n);
    switch (x.op) {
      case ir::Op::Add:
      case ir::Op::Sub:
      case ir::Op::Mul:
      case ir::Op::Div:
      case ir::Op::Neg:
      case ir::Op::IntToFloat:
      case ir::Op::Eq:
      case ir::Op::Ne:
      case ir::Op::Lt:
      case ir::Op::Le:
      case ir::Op::Gt:
      case ir::Op::Ge:
      case ir::Op::Not:
      case ir::Op::InMask:
        for (uint32_t a : x.args) present(a, k);
        break;
      default:
        break;
    }
  }
  // The nodes known present when the Bool `n` is true, and when it is false.
  void when_true(uint32_t n, Known& k) const {
    present(n, k);
    const ir::Node& x = nb_.node(n);
    switch (x.op) {
      case ir::Op::Not:
        when_false(x.args[0], k);
        break;
      case ir::Op::And:
        when_true(x.args[0], k);
        when_true(x.args[1], k);
        break;
      case ir::Op::IsTrue:
        when_true(x.args[0], k);
        break;
      case ir::Op::IsFalse:
        when_false(x.args[0], k);
        break;
      default:
        break;
    }
  }
  void when_false(uint32_t n, Known& k) const {
    present(n, k);
    const ir::Node& x = nb_.node(n);
    switch (x.op) {
      case ir::Op::Not:
        when_true(x.args[0], k);
        break;
      case ir::Op::Or:
        when_false(x.args[0], k);
        when_false(x.args[1], k);
        break;
      case ir::Op::IsMissing:
        present(x.args[0], k);
        break;
      default:
        break;
    }
  }

  std::string first_of(const std::vector<uint32_t>& args, const Known& known) {
    for (uint32_t a : args)
      if (std::string r = visit(a, known); !r.empty()) return r;
    return {};
  }

  std::string compute(uint32_t n, const Known& known) {
    const ir::Node& x = nb_.node(n);
    switch (x.op) {
      case ir::Op::ConstBool:
      case ir::Op::ConstInt:
      case ir::Op::ConstFloat:
      case ir::Op::AsOf:
      case ir::Op::IsMissing:
      case ir::Op::IsTrue:
      case ir::Op::IsFalse:
        return {};
      case ir::Op::Null:
        return "has no value for some customers";
      case ir::Op::Column:
        return field_why(x.index);
      case ir::Op::Atom: {
        const ir::Atom& a = program_.atoms[x.index];
        return a.kind == ir::AtomKind::Holdout ? std::string() : field_why(a.field);
      }
      case ir::Op::Add:
      case ir::Op::Sub:
      case ir::Op::Mul:
      case ir::Op::Neg:
      case ir::Op::IntToFloat:
      case ir::Op::Eq:
      case ir::Op::Ne:
      case ir::Op::Lt:
      case ir::Op::Le:
      case ir::Op::Gt:
      case ir::Op::Ge:
      case ir::Op::And:
      case ir::Op::Or:
      case ir::Op::Not:
      case ir::Op::InMask:
        return first_of(x.args, known);
      case ir::Op::Div: {
        if (std::string r = visit(x.args[0], known); !r.empty()) return r;
        double d = 0;
        if (is_const(x.args[1], d) && d != 0 && std::isfinite(d)) return {};
        if (known.count(x.args[1]) == 0) {
          if (std::string r = visit(x.args[1], known); !r.empty()) return r;
        }
        return "divides, and a division by zero is missing";
      }
      case ir::Op::If: {
        Known then_known = known;
        when_true(x.args[0], then_known);
        if (std::string r = visit(x.args[1], then_known); !r.empty()) return r;
        // The else branch is taken when the condition is false or unknown; when the condition
        // is never unknown here, it is false there.
        Known else_known = known;
        if (visit(x.args[0], known).empty()) when_false(x.args[0], else_known);
        return visit(x.args[2], else_known);
      }
      case ir::Op::Coalesce: {
        std::string r = visit(x.args[0], known);
        if (r.empty() || visit(x.args[1], known).empty()) return {};
        return r;
      }
      case ir::Op::FirstTrue:
        for (uint32_t a : x.args) {
          const ir::Node& c = nb_.node(a);
          if (c.op == ir::Op::ConstBool && c.imm != 0) return {};
        }
        return "reads a choice that can match none of its conditions";
      case ir::Op::Switch: {
        // The checker switches over its own tables with an index of that table (a sequence's
        // offer), so the index is in range whenever it is present.
        return first_of(x.args, known);
      }
    }
    return "can be missing";
  }

  const ir::NodeBuilder& nb_;
  const ir::Program& program_;
  const std::unordered_map<uint32_t, std::string>& why_;
  std::unordered_map<uint32_t, std::string> memo_;
  size_t visits_ = 0;
};

// How a template writes a value of type `t` (ir::ShownLet::type).
FieldType shown_type(const Type& t) {
  switch (t.kind) {
    case TypeKind::Bool:
      return FieldType::Bool;
    case TypeKind::Int:
    case TypeKind::Days:
      return FieldType::Int;
    case TypeKind::Number:
    case TypeKind::Percent:
      return FieldType::Number;
    case TypeKind::Money:
      return FieldType::Money;
    case TypeKind::Date:
      return FieldType::Date;
    case TypeKind::Enum:
    case TypeKind::Label:
    case TypeKind::Channel:
    case TypeKind::Offer:
    case TypeKind::Status:
    case TypeKind::Step:
    case TypeKind::Variant:
      return FieldType::Enum;
    case TypeKind::String:
      return FieldType::String;
    case TypeKind::StringList:
      return FieldType::StringList;
    case TypeKind::Error:
      break;
  }
  return FieldType::String;
}

}  // namespace

std::string Lowering::let_missing(const std::string& name, uint32_t node, std::string& help) {
  MissingReader reader(nb_, program_, sym_.missing_why);
  std::string r = reader.why(node);
  if (r.empty()) return r;
  // How to make the let present for every customer, when an optional field is why.
  std::string_view field;
  if (r.rfind(kReadsOptional, 0) == 0) {
    field = std::string_view(r).substr(kReadsOptional.size());
    field = field.substr(0, field.find('`'));
  }
  help = fmt::format(
      "say what it reads as then, e.g. `{{{}|...}}`, or give the let a value for "
      "every customer{}",
      name,
      field.empty() ? std::string()
                    : fmt::format(" (`if {} is present then ... else ...`)", field));
  return fmt::format("the let `{}` {}", name, r);
}

uint32_t Lowering::show_let(const std::string& name, const Typed& v) {
  if (auto it = shown_let_index_.find(name); it != shown_let_index_.end()) return it->second;
  ir::ShownLet lt;
  lt.name = name;
  lt.type = shown_type(v.type);
  if (const auto* texts = ex_.values_of(v.type)) lt.texts = *texts;
  lt.value.node = v.node;
  const auto index = static_cast<uint32_t>(shown_lets_.size());
  shown_lets_.push_back(std::move(lt));
  shown_let_index_.emplace(name, index);
  return index;
}

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
    std::string missing;   // why the value can be missing ("" : it cannot)
    std::string let_help;  // a let's: the help also says how to make it always present
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
    } else if (auto le = lets_.find(name); le != lets_.end()) {
      const Typed v = lower_let(le->second, name_span);
      if (v.type.is_error()) {
        ok = false;
        continue;
      }
      if (v.type.kind == TypeKind::String || v.type.kind == TypeKind::StringList) {
        // A string or a list is a snapshot field under another name (names.cpp): no expression
        // makes one otherwise (`if` cannot choose between them, a quoted text is no value).
        if (v.field < 0) {
          error(Code::Placeholder, name_span,
                fmt::format("a template cannot show `{}`: it is no field's value", name));
          ok = false;
          continue;
        }
        ph.kind = ir::PlaceholderKind::Field;
        ph.index = static_cast<uint32_t>(v.field);
        if (schema.fields[static_cast<size_t>(v.field)].nullable)
          missing = fmt::format("the let `{}` is the optional field `{}`", name,
                                schema.fields[static_cast<size_t>(v.field)].name);
      } else {
        ph.kind = ir::PlaceholderKind::Let;
        ph.index = show_let(name, v);
        missing = let_missing(name, v.node, let_help);
      }
    } else {
      std::string what;
      if (params_.count(name))
        what = "a parameter";
      else if (sym_.seq_index.count(name))
        what = "a sequence";
      else if (name == "candidate" || name == "stopped" || name == "reviewed")
        what = "a rule's answer";
      if (!what.empty()) {
        error(Code::Placeholder, name_span,
              fmt::format("a template cannot show `{}`, {}", name, what),
              "a placeholder shows a snapshot field, a segment's label, a score, a `let` or "
              "`offer`");
      } else {
        std::vector<std::string> shown{"offer"};
        for (const auto& f : schema.fields) shown.push_back(f.name);
        for (const auto& fam : families_) shown.push_back(fam.decl->name);
        for (const auto& s : sym_.scores) shown.push_back(s.decl->name);
        for (const auto& [let_name, l] : lets_) shown.push_back(let_name);
        const std::string near = closest(name, shown);
        error(Code::UnknownName, name_span, fmt::format("unknown name `{}` in a template", name),
              near.empty() ? std::string("a placeholder shows a snapshot field, a segment's "
                                         "label, a score, a `let` or `offer`")
                           : fmt::format("did you mean `{}`?", near));
      }
      ok = false;
      continue;
    }
    if (!missing.empty() && !part.has_fallback) {
      error(Code::Placeholder, whole,
            fmt::format("`{{{}}}` can be missing ({}) and has no fallback", name, missing),
            !let_help.empty() ? let_help
                              : fmt::format("say what it reads as then, e.g. `{{{}|...}}`", name));
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
