// Rekindle compiler: names. What a name in an expression refers to — a value of the expected
// enumerated type (a label, channel, status, enum value), a let, a parameter, a schema field, a
// segment family, a score, `candidate`, `stopped`, or a sequence's member (`winback.offer`) — with
// the value sets of enumerated types, and "did you mean" for names that refer to nothing.
#include <fmt/format.h>

#include <algorithm>

#include "compiler/check/lower.h"

namespace rk::check {

namespace {

size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j)
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] != b[j - 1])});
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

}  // namespace

std::string closest(std::string_view name, const std::vector<std::string>& candidates) {
  std::string best;
  size_t best_d = std::max<size_t>(2, name.size() / 3) + 1;
  for (const auto& c : candidates) {
    const size_t d = edit_distance(name, c);
    if (d < best_d) best_d = d, best = c;
  }
  return best;
}

// Index of `name` among the values of an enumerated type, or -1.
int Exprs::value_index(const Type& t, const std::string& name) {
  const auto* vals = values_of(t);
  if (!vals) return -1;
  auto it = std::find(vals->begin(), vals->end(), name);
  return it == vals->end() ? -1 : static_cast<int>(it - vals->begin());
}

const std::vector<std::string>* Exprs::values_of(const Type& t) {
  switch (t.kind) {
    case TypeKind::Enum:
      return &program_.schema.fields[t.ref].enum_values;
    case TypeKind::Label:
      return &families_[t.ref].labels;
    case TypeKind::Channel:
      return &seqs_[t.ref].channels;
    case TypeKind::Status:
      return &seqs_[t.ref].statuses;
    case TypeKind::Step:
      return &seqs_[t.ref].steps;
    case TypeKind::Variant:
      return &seqs_[t.ref].variant_names;
    case TypeKind::Offer:
      return &seqs_[t.ref].offers;
    case TypeKind::Error:
    case TypeKind::Bool:
    case TypeKind::Int:
    case TypeKind::Number:
    case TypeKind::Money:
    case TypeKind::Percent:
    case TypeKind::Days:
    case TypeKind::Date:
    case TypeKind::String:
    case TypeKind::StringList:
      return nullptr;
  }
  return nullptr;
}

std::string Exprs::type_title(const Type& t) {
  switch (t.kind) {
    case TypeKind::Enum:
      return fmt::format("`{}`", program_.schema.fields[t.ref].name);
    case TypeKind::Label:
      return fmt::format("segment `{}`", families_[t.ref].decl->name);
    case TypeKind::Channel:
      return fmt::format("sequence `{}` channels", seqs_[t.ref].decl->name);
    case TypeKind::Status:
      return fmt::format("`{}.status`", seqs_[t.ref].decl->name);
    case TypeKind::Step:
      return fmt::format("`{}.step`", seqs_[t.ref].decl->name);
    case TypeKind::Variant:
      return fmt::format("`{}.variant`", seqs_[t.ref].decl->name);
    case TypeKind::Offer:
      return fmt::format("`{}.offer`", seqs_[t.ref].decl->name);
    case TypeKind::Error:
    case TypeKind::Bool:
    case TypeKind::Int:
    case TypeKind::Number:
    case TypeKind::Money:
    case TypeKind::Percent:
    case TypeKind::Days:
    case TypeKind::Date:
    case TypeKind::String:
    case TypeKind::StringList:
      return type_name(t);
  }
  return type_name(t);
}

Typed Exprs::unknown_value(const Type& t, const std::string& name, const ast::Span& span) {
  const auto* vals = values_of(t);
  std::string help = vals ? fmt::format("the values are: {}", fmt::join(*vals, ", ")) : "";
  if (vals) {
    const std::string near = closest(name, *vals);
    if (!near.empty()) help = fmt::format("did you mean `{}`?", near);
  }
  if (t.kind == TypeKind::Channel)
    error(Code::NoSuchValue, span,
          fmt::format("sequence `{}` has no channel `{}`", seqs_[t.ref].decl->name, name), help);
  else
    error(Code::NoSuchValue, span, fmt::format("{} has no value `{}`", type_title(t), name), help);
  return error_typed();
}

// A bare word in a typed context (`dormancy is deep`, `x in {a, b}`, `via email`).
Typed Exprs::enum_value(const Type& t, const std::string& name, const ast::Span& span) {
  const int idx = value_index(t, name);
  if (idx < 0) return unknown_value(t, name, span);
  return Typed{t, nb_.c_int(idx)};
}

Typed Exprs::resolve_name(const ast::File& f, const std::string& name, const ast::Span& span,
                          const Type* expect) {
  if (expect && expect->is_enumerated() && value_index(*expect, name) >= 0)
    return enum_value(*expect, name, span);
  if (auto it = lets_.find(name); it != lets_.end()) return low_.lower_let(it->second, span);
  if (auto it = params_.find(name); it != params_.end()) return low_.lower_param(it->second);
  if (const int fi = program_.schema.find(name); fi >= 0) {
    Type t = field_type(program_.schema, fi);
    if (t.kind == TypeKind::String || t.kind == TypeKind::StringList)
      return Typed{t, UINT32_MAX, fi};
    return Typed{t, nb_.column(static_cast<uint32_t>(fi), phys(t)), fi};
  }
  if (auto it = family_index_.find(name); it != family_index_.end())
    return low_.lower_family(it->second, span);
  if (auto it = sym_.score_index.find(name); it != sym_.score_index.end())
    return low_.lower_score(it->second, span);
  if (name == "candidate") return low_.lower_candidate(span);
  if (name == "stopped") return Typed{Type{TypeKind::Bool}, low_.stopped_node(span)};
  // `reviewed`: some review rule fired for the customer (a schema field, let or other declaration
  // of that name comes first, like `candidate` and `stopped`; declaring one is RK0202).
  if (name == "reviewed") return low_.lower_reviews(span);
  if (seq_index_.count(name)) {
    error(Code::SequenceValue, span,
          fmt::format("`{}` is a sequence; use one of its values: {}.status, {}.touch, "
                      "{}.step, {}.channel, {}.offer, {}.discount, {}.credit",
                      name, name, name, name, name, name, name, name));
    return error_typed();
  }
  if (expect && expect->is_enumerated()) return unknown_value(*expect, name, span);
  std::string help;
  const std::string near = closest(name, sym_.all_names(program_.schema));
  if (!near.empty()) help = fmt::format("did you mean `{}`?", near);
  if (unknown_reported_.insert(name).second)
    error(Code::UnknownName, span, fmt::format("unknown name `{}`", name), help);
  return error_typed();
}

template <>
Typed Exprs::check_kind(const ast::File& f, const ast::Name& k, const ast::Span& span,
                        const Type* expect) {
  return resolve_name(f, k.name, span, expect);
}

template <>
Typed Exprs::check_kind(const ast::File& f, const ast::Member& k, const ast::Span& span,
                        const Type*) {
  const ast::Expr& obj = f.expr(k.object);
  const auto* name = std::get_if<ast::Name>(&obj.kind);
  auto it = name ? seq_index_.find(name->name) : seq_index_.end();
  if (it == seq_index_.end()) {
    error(Code::SequenceValue, obj.span,
          "only a sequence has values after a dot, e.g. `winback.offer`");
    return error_typed();
  }
  Typed s = low_.lower_sequence(it->second, span);
  if (s.type.is_error()) return s;
  SeqEnt& q = seqs_[it->second];
  const int si = static_cast<int>(it->second);
  if (k.member == "status") return Typed{Type{TypeKind::Status, si}, q.status};
  if (k.member == "step") return Typed{Type{TypeKind::Step, si}, q.touch};
  if (k.member == "channel") return Typed{Type{TypeKind::Channel, si}, q.channel};
  if (k.member == "offer") return Typed{Type{TypeKind::Offer, si}, q.offer};
  if (k.member == "variant") {
    if (q.variant == UINT32_MAX) {
      error(Code::SequenceValue, k.member_span,
            fmt::format("sequence `{}` has no variants, so no value `variant`", name->name),
            "declare variants in a touch: `touch NAME via CHANNEL { variant A 50% ... }`");
      return error_typed();
    }
    return Typed{Type{TypeKind::Variant, si}, q.variant};
  }
  if (k.member == "touch")
    return Typed{Type{TypeKind::Int}, nb_.op(ir::Op::Add, ir::Ty::Int, {q.touch, nb_.c_int(1)})};
  // `discount` (a percent) and `credit` (money): the due offer's amount when it is of that kind,
  // missing otherwise (no touch due, or another offer).
  if (k.member == "discount" || k.member == "credit") {
    const bool discount = k.member == "discount";
    const ast::OfferKind want = discount ? ast::OfferKind::Discount : ast::OfferKind::Credit;
    std::vector<uint32_t> table;
    for (size_t i = 0; i < q.offers.size(); ++i)
      table.push_back(q.offer_kinds[i] == want ? nb_.c_float(q.offer_values[i])
                                               : nb_.null(ir::Ty::Float));
    const uint32_t node = nb_.switch_(q.offer, table, ir::Ty::Float);
    sym_.missing_why.emplace(
        node, fmt::format("reads `{}.{}`, missing unless the due touch's offer is a {}", name->name,
                          k.member, k.member));
    return Typed{Type{discount ? TypeKind::Percent : TypeKind::Money}, node};
  }
  // The members it has: `variant` only for a sequence with variants.
  const bool variants = q.variant != UINT32_MAX;
  std::vector<std::string> members = {"status", "touch",  "step",    "channel",
                                      "offer",  "credit", "discount"};
  if (variants) members.emplace_back("variant");
  std::string help;
  const std::string near = closest(k.member, members);
  if (!near.empty()) help = fmt::format("did you mean `{}`?", near);
  error(Code::SequenceValue, k.member_span,
        fmt::format("sequence `{}` has no value `{}` (it has status, touch, step, channel, "
                    "offer, discount, credit{})",
                    name->name, k.member, variants ? ", variant" : ""),
        help);
  return error_typed();
}
}  // namespace rk::check
