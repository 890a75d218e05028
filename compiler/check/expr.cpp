// Rekindle compiler: expressions. One handler per expression kind (check_kind) checks its
// operands, applies the kind's rules (conditions are yes/no, `is` is two-valued, `in` and `has`
// take sets, offers belong to a sequence's touches) and lowers it to IR nodes; check_expr
// dispatches on the kind, bounds the nesting, and records the result in the side table and the
// source map. A new expression kind that lowers to existing IR is one handler here (with the
// grammar, the AST, the formatter and the docs).
#include <fmt/format.h>

#include <algorithm>
#include <variant>

#include "compiler/check/examples.h"
#include "compiler/check/lower.h"

namespace rk::check {

Exprs::Exprs(Context& ctx, Symbols& sym, SourceMapBuilder& smap, Lowering& low)
    : ctx_(ctx),
      sym_(sym),
      smap_(smap),
      low_(low),
      nb_(ctx.nb),
      program_(ctx.program),
      lets_(sym.lets),
      params_(sym.params),
      families_(sym.families),
      family_index_(sym.family_index),
      seqs_(sym.seqs),
      seq_index_(sym.seq_index) {}

Typed Exprs::check_cond(const ast::File& f, ast::ExprId id) {
  Typed t = check_expr(f, id, nullptr);
  if (t.type.is_error()) return t;
  if (t.type.kind != TypeKind::Bool) {
    error(Code::NotACondition, f.expr(id).span,
          fmt::format("a condition must be yes or no, but this is {}", type_name(t.type)),
          "compare it with something, e.g. `x > 0` or `x is present`");
    return error_typed();
  }
  return t;
}

// The right-hand side of `=`/`is` against `subject`, resolving bare words in its value set. A
// quoted text against an enum, a segment or a sequence's values says to drop the quotes.
Typed Exprs::check_value(const ast::File& f, ast::ExprId id, const Typed& subject,
                         const Written& w) {
  if (!subject.type.is_enumerated()) return check_expr(f, id, nullptr);
  const ast::Expr& e = f.expr(id);
  const auto* lit = std::get_if<ast::StringLit>(&e.kind);
  if (!lit) return check_expr(f, id, &subject.type);
  const auto* vals = values_of(subject.type);
  if (value_index(subject.type, lit->value) < 0) {
    std::string help = vals ? fmt::format("its values are: {}", fmt::join(*vals, ", ")) : "";
    if (vals)
      if (const std::string near = closest(lit->value, *vals); !near.empty())
        help = fmt::format("did you mean `{}`?", near);
    error(Code::NoSuchValue, e.span,
          fmt::format("{} has no value `{}` (and its values are written without quotes)",
                      type_title(subject.type), lit->value),
          help);
    return error_typed();
  }
  // The comparison as written, with the value unquoted.
  std::string fixed = lit->value;
  if (w.whole.len > 0 && w.whole.file == e.span.file && e.span.offset >= w.whole.offset &&
      e.span.offset + e.span.len <= w.whole.offset + w.whole.len) {
    const std::string whole(ctx_.source_text(w.whole));
    const size_t at = e.span.offset - w.whole.offset;
    fixed = whole.substr(0, at) + lit->value + whole.substr(at + e.span.len);
  }
  error(Code::NotApplicable, e.span,
        fmt::format("{} is compared with a quoted text, but its values are names, written "
                    "without quotes",
                    type_title(subject.type)),
        fmt::format("drop the quotes: `{}`", fixed));
  return error_typed();
}

uint32_t Exprs::add_atom(ir::Atom a) {
  for (size_t i = 0; i < program_.atoms.size(); ++i) {
    const auto& b = program_.atoms[i];
    if (b.kind == a.kind && b.field == a.field && b.set == a.set && b.salt == a.salt &&
        b.modulus == a.modulus && b.threshold == a.threshold) {
      return nb_.atom(static_cast<uint32_t>(i));
    }
  }
  program_.atoms.push_back(std::move(a));
  return nb_.atom(static_cast<uint32_t>(program_.atoms.size() - 1));
}

// Membership of `subject` in a set of written items; three-valued.
Typed Exprs::membership(const Typed& subject, const std::vector<ast::SetItem>& items,
                        const ast::Span& span) {
  if (subject.type.is_error()) return error_typed();
  if (subject.type.kind == TypeKind::String) {
    ir::Atom a;
    a.kind = ir::AtomKind::StrInSet;
    a.field = static_cast<uint32_t>(subject.field);
    for (const auto& it : items) a.set.push_back(it.text);
    std::sort(a.set.begin(), a.set.end());
    a.set.erase(std::unique(a.set.begin(), a.set.end()), a.set.end());
    return Typed{Type{TypeKind::Bool}, add_atom(std::move(a))};
  }
  if (subject.type.is_enumerated() && subject.type.kind != TypeKind::Offer) {
    uint64_t mask = 0;
    bool ok = true;
    for (const auto& it : items) {
      const int idx = value_index(subject.type, it.text);
      if (idx < 0) {
        unknown_value(subject.type, it.text, it.span);
        ok = false;
      } else if (idx >= 64) {
        error(Code::Limit, it.span, "sets can only name the first 64 values of a segment");
        ok = false;
      } else {
        mask |= uint64_t{1} << idx;
      }
    }
    if (!ok) return error_typed();
    return Typed{Type{TypeKind::Bool}, nb_.in_mask(subject.node, mask)};
  }
  if (subject.type.kind == TypeKind::Offer) {
    uint64_t mask = 0;
    for (const auto& it : items) {
      const uint64_t m = offer_kind_mask(subject.type.ref, it.text);
      if (m == UINT64_MAX) {
        error(Code::NoSuchValue, it.span,
              fmt::format("`{}` is not an offer kind (none, credit, points, early_access, "
                          "discount)",
                          it.text));
        return error_typed();
      }
      mask |= m;
    }
    return Typed{Type{TypeKind::Bool}, nb_.in_mask(subject.node, mask)};
  }
  error(Code::NotApplicable, span,
        fmt::format("`in {{...}}` needs a string, enum or segment value, not {}",
                    type_name(subject.type)),
        subject.type.is_numeric() ? "for numbers use a range: `x in 1 to 5`" : "");
  return error_typed();
}

uint64_t Exprs::offer_kind_mask(int seq, const std::string& kind) {
  static const std::pair<const char*, ast::OfferKind> kKinds[] = {
      {"none", ast::OfferKind::None},
      {"credit", ast::OfferKind::Credit},
      {"points", ast::OfferKind::Points},
      {"early_access", ast::OfferKind::EarlyAccess},
      {"discount", ast::OfferKind::Discount}};
  for (const auto& [name, k] : kKinds) {
    if (kind != name) continue;
    uint64_t mask = 0;
    const auto& kinds = seqs_[seq].offer_kinds;
    for (size_t i = 0; i < kinds.size() && i < 64; ++i)
      if (kinds[i] == k) mask |= uint64_t{1} << i;
    return mask;
  }
  return UINT64_MAX;
}

Typed Exprs::check_is(const ast::File& f, const ast::Is& is, const ast::Span& span) {
  Typed s = check_expr(f, is.subject, nullptr);
  if (s.type.is_error()) return s;
  uint32_t node = 0;
  switch (is.kind) {
    case ast::IsKind::Missing:
    case ast::IsKind::Present: {
      if (s.field >= 0 && s.node == UINT32_MAX) {
        if (!program_.schema.fields[s.field].nullable) {
          node = nb_.c_bool(false);
        } else {
          // Strings and lists: presence through a membership with an empty set, which is
          // missing exactly when the value is (StrInSet: false when present; ListHasAll of
          // nothing: true when present).
          ir::Atom a;
          a.kind =
              s.type.kind == TypeKind::String ? ir::AtomKind::StrInSet : ir::AtomKind::ListHasAll;
          a.field = static_cast<uint32_t>(s.field);
          node = nb_.is_missing(add_atom(std::move(a)));
        }
      } else {
        node = nb_.is_missing(s.node);
      }
      if (is.kind == ast::IsKind::Present) node = nb_.not_(node);
      if (is.negated) node = nb_.not_(node);
      return Typed{Type{TypeKind::Bool}, node};
    }
    case ast::IsKind::OneOf: {
      Typed m = membership(s, is.items, span);
      if (m.type.is_error()) return m;
      node = nb_.is_true(m.node);
      break;
    }
    case ast::IsKind::Value: {
      const ast::Expr& ve = f.expr(is.value);
      if (s.type.kind == TypeKind::Offer) {
        if (const auto* n = std::get_if<ast::Name>(&ve.kind)) {
          const uint64_t mask = offer_kind_mask(s.type.ref, n->name);
          if (mask == UINT64_MAX) {
            error(Code::NoSuchValue, ve.span,
                  fmt::format("`{}` is not an offer kind (none, credit, points, early_access, "
                              "discount)",
                              n->name));
            return error_typed();
          }
          node = nb_.is_true(nb_.in_mask(s.node, mask));
          break;
        }
        if (const auto* ol = std::get_if<ast::OfferLit>(&ve.kind);
            ol && ol->amount == ast::kNoExpr) {
          // `is discount`, `is credit`, `is none`: any offer of that kind.
          static const char* kKindNames[] = {"none", "credit", "points", "early_access",
                                             "discount"};
          const uint64_t mask = offer_kind_mask(s.type.ref, kKindNames[static_cast<int>(ol->kind)]);
          node = nb_.is_true(nb_.in_mask(s.node, mask));
          break;
        }
        if (std::holds_alternative<ast::OfferLit>(ve.kind)) {
          const std::string text = offer_text(f, std::get<ast::OfferLit>(ve.kind));
          const int idx = value_index(s.type, text);
          if (idx < 0) {
            error(
                Code::Offer, ve.span,
                fmt::format("sequence `{}` never offers `{}`", seqs_[s.type.ref].decl->name, text),
                fmt::format("its offers are: {}", fmt::join(seqs_[s.type.ref].offers, ", ")));
            return error_typed();
          }
          node = nb_.is_true(nb_.cmp(ir::Op::Eq, s.node, nb_.c_int(idx)));
          break;
        }
      }
      if (s.type.kind == TypeKind::String) {
        if (const auto* lit = std::get_if<ast::StringLit>(&ve.kind)) {
          Typed m = membership(s, {ast::SetItem{lit->value, true, ve.span}}, span);
          if (m.type.is_error()) return m;
          node = nb_.is_true(m.node);
          break;
        }
        error(Code::Comparison, ve.span, "compare a string with a quoted text, e.g. `is \"C1\"`");
        return error_typed();
      }
      if (s.type.kind == TypeKind::Bool) {
        if (const auto* b = std::get_if<ast::BoolLit>(&ve.kind)) {
          node = b->value ? nb_.is_true(s.node) : nb_.is_false(s.node);
          break;
        }
      }
      const Written w{&f, is.subject, is.value, "is", span};
      Typed v = check_value(f, is.value, s, w);
      Typed c = compare(ir::Op::Eq, s, v, span, false, w);
      if (c.type.is_error()) return c;
      node = nb_.is_true(c.node);
      break;
    }
  }
  if (is.negated) node = nb_.not_(node);
  return Typed{Type{TypeKind::Bool}, node};
}

std::string Exprs::offer_text(const ast::File& f, const ast::OfferLit& o) {
  auto amount = [&]() -> std::string {
    if (o.amount == ast::kNoExpr) return "";
    const auto& e = f.expr(o.amount);
    if (const auto* n = std::get_if<ast::NumberLit>(&e.kind)) return n->text;
    return std::string(ctx_.source_text(e.span));
  };
  switch (o.kind) {
    case ast::OfferKind::None:
      return "none";
    case ast::OfferKind::EarlyAccess:
      return "early_access";
    case ast::OfferKind::Credit:
      return "credit " + amount();
    case ast::OfferKind::Points:
      return "points " + amount();
    case ast::OfferKind::Discount:
      return "discount " + amount();
  }
  return "none";
}

Typed Exprs::check_offer(const ast::File& f, const ast::OfferLit& o, const ast::Span& span) {
  if (!current_seq_) {
    error(Code::NotApplicable, span,
          "an offer can only be given in a sequence's `touch ... offer ...`");
    return error_typed();
  }
  const bool needs_amount = o.kind == ast::OfferKind::Credit || o.kind == ast::OfferKind::Points ||
                            o.kind == ast::OfferKind::Discount;
  if (needs_amount && o.amount == ast::kNoExpr) {
    error(Code::Offer, span,
          o.kind == ast::OfferKind::Discount ? "say how much: e.g. `discount 20%`"
                                             : "say how much: e.g. `credit 10` or `points 500`");
    return error_typed();
  }
  if (o.amount != ast::kNoExpr) {
    const auto& e = f.expr(o.amount);
    const auto* n = std::get_if<ast::NumberLit>(&e.kind);
    const bool want_percent = o.kind == ast::OfferKind::Discount;
    if (!n || (want_percent ? n->unit != ast::Unit::Percent
                            : (n->unit == ast::Unit::Percent || n->unit == ast::Unit::Days))) {
      error(Code::Arithmetic, e.span,
            want_percent ? "a discount is a percent, e.g. `discount 20%`"
                         : "credit and points are amounts, e.g. `credit 10`");
      return error_typed();
    }
  }
  SeqEnt& s = *current_seq_;
  const std::string text = offer_text(f, o);
  int idx = value_index(Type{TypeKind::Offer, current_seq_index_}, text);
  if (idx < 0) {
    s.offers.push_back(text);
    s.offer_kinds.push_back(o.kind);
    const size_t space = text.find(' ');
    s.offer_amounts.push_back(space == std::string::npos ? "" : text.substr(space + 1));
    double value = 0;
    if (o.amount != ast::kNoExpr)
      if (const auto* n = std::get_if<ast::NumberLit>(&f.expr(o.amount).kind)) value = n->value;
    s.offer_values.push_back(value);
    idx = static_cast<int>(s.offers.size() - 1);
  }
  return Typed{Type{TypeKind::Offer, current_seq_index_}, nb_.c_int(idx)};
}

template <>
Typed Exprs::check_kind(const ast::File&, const ast::NumberLit& n, const ast::Span&, const Type*) {
  Type t;
  t.literal = n.unit == ast::Unit::None;
  switch (n.unit) {
    case ast::Unit::None:
      t.kind = n.is_int ? TypeKind::Int : TypeKind::Number;
      break;
    case ast::Unit::Days:
      t.kind = TypeKind::Days;
      break;
    case ast::Unit::Money:
      t.kind = TypeKind::Money;
      break;
    case ast::Unit::Percent:
      t.kind = TypeKind::Percent;
      break;
  }
  if (t.kind == TypeKind::Int || t.kind == TypeKind::Days)
    return Typed{t, nb_.c_int(n.unit == ast::Unit::Days ? n.ivalue : n.ivalue)};
  return Typed{t, nb_.c_float(n.value)};
}

template <>
Typed Exprs::check_kind(const ast::File&, const ast::BoolLit& b, const ast::Span&, const Type*) {
  return Typed{Type{TypeKind::Bool}, nb_.c_bool(b.value)};
}

template <>
Typed Exprs::check_kind(const ast::File&, const ast::StringLit&, const ast::Span& span,
                        const Type*) {
  const std::string example = string_test_example(program_.schema);
  error(Code::NotApplicable, span, "a quoted text can only follow `is`, `=` or appear in a set",
        example.empty() ? "" : fmt::format("e.g. `{}`", example));
  return error_typed();
}

template <>
Typed Exprs::check_kind(const ast::File&, const ast::DateLit& d, const ast::Span&, const Type*) {
  return Typed{Type{TypeKind::Date}, nb_.c_int(d.days)};
}

template <>
Typed Exprs::check_kind(const ast::File&, const ast::Today&, const ast::Span&, const Type*) {
  return Typed{Type{TypeKind::Date}, nb_.as_of()};
}

template <>
Typed Exprs::check_kind(const ast::File& f, const ast::Unary& u, const ast::Span& span,
                        const Type*) {
  if (u.op == ast::UnOp::Not) {
    Typed a = check_cond(f, u.operand);
    if (a.type.is_error()) return a;
    return Typed{Type{TypeKind::Bool}, nb_.not_(a.node)};
  }
  Typed a = check_expr(f, u.operand, nullptr);
  if (a.type.is_error()) return a;
  if (!a.type.is_numeric()) {
    error(Code::Arithmetic, span, fmt::format("cannot negate {}", type_name(a.type)));
    return error_typed();
  }
  return Typed{a.type, nb_.op(ir::Op::Neg, phys(a.type), {a.node})};
}

template <>
Typed Exprs::check_kind(const ast::File& f, const ast::Binary& b, const ast::Span& span,
                        const Type*) {
  using ast::BinOp;
  if (b.op == BinOp::And || b.op == BinOp::Or) {
    Typed l = check_cond(f, b.lhs);
    Typed r = check_cond(f, b.rhs);
    if (l.type.is_error() || r.type.is_error()) return error_typed();
    return Typed{Type{TypeKind::Bool},
                 b.op == BinOp::And ? nb_.and_(l.node, r.node) : nb_.or_(l.node, r.node)};
  }
  Typed l = check_expr(f, b.lhs, nullptr);
  if (l.type.is_error()) return l;
  if (b.op == BinOp::Add || b.op == BinOp::Sub || b.op == BinOp::Mul || b.op == BinOp::Div) {
    Typed r = check_expr(f, b.rhs, nullptr);
    if (r.type.is_error()) return r;
    return arith(b.op, l, r, b.op_span.len ? b.op_span : span);
  }
  const bool eq = b.op == BinOp::Eq || b.op == BinOp::Ne;
  if (eq && l.type.kind == TypeKind::String) {
    const ast::Expr& re = f.expr(b.rhs);
    if (const auto* lit = std::get_if<ast::StringLit>(&re.kind)) {
      Typed m = membership(l, {ast::SetItem{lit->value, true, re.span}}, span);
      if (m.type.is_error() || b.op == BinOp::Eq) return m;
      return Typed{Type{TypeKind::Bool}, nb_.not_(m.node)};
    }
  }
  const Written w{&f, b.lhs, b.rhs, ctx_.source_text(b.op_span), span};
  Typed r =
      (eq || l.type.is_enumerated()) ? check_value(f, b.rhs, l, w) : check_expr(f, b.rhs, nullptr);
  if (r.type.is_error()) return r;
  static const ir::Op kOps[] = {ir::Op::Eq, ir::Op::Ne, ir::Op::Lt,
                                ir::Op::Le, ir::Op::Gt, ir::Op::Ge};
  const ir::Op o = kOps[static_cast<int>(b.op) - static_cast<int>(BinOp::Eq)];
  return compare(o, l, r, span, !eq, w);
}

template <>
Typed Exprs::check_kind(const ast::File& f, const ast::Is& is, const ast::Span& span, const Type*) {
  return check_is(f, is, span);
}

template <>
Typed Exprs::check_kind(const ast::File& f, const ast::InSet& in, const ast::Span& span,
                        const Type*) {
  Typed s = check_expr(f, in.subject, nullptr);
  if (s.type.is_error()) return s;
  Typed m = membership(s, in.items, span);
  if (m.type.is_error() || !in.negated) return m;
  return Typed{Type{TypeKind::Bool}, nb_.not_(m.node)};
}

template <>
Typed Exprs::check_kind(const ast::File& f, const ast::InRange& in, const ast::Span& span,
                        const Type*) {
  Typed s = check_expr(f, in.subject, nullptr);
  Typed lo = check_expr(f, in.lo, nullptr);
  Typed hi = check_expr(f, in.hi, nullptr);
  if (s.type.is_error() || lo.type.is_error() || hi.type.is_error()) return error_typed();
  adopt_unit(lo, hi);
  adopt_unit(hi, lo);
  Typed a = compare(ir::Op::Ge, s, lo, span, true, Written{&f, in.subject, in.lo, "", span});
  if (a.type.is_error()) return a;
  Typed b = compare(ir::Op::Le, s, hi, span, true, Written{&f, in.subject, in.hi, "", span});
  if (b.type.is_error()) return b;
  uint32_t node = nb_.and_(a.node, b.node);
  if (in.negated) node = nb_.not_(node);
  return Typed{Type{TypeKind::Bool}, node};
}

template <>
Typed Exprs::check_kind(const ast::File& f, const ast::Has& h, const ast::Span& span, const Type*) {
  Typed s = check_expr(f, h.subject, nullptr);
  if (s.type.is_error()) return s;
  if (s.type.kind != TypeKind::StringList) {
    error(Code::NotApplicable, f.expr(h.subject).span,
          fmt::format("`has` needs a list of strings, but this is {}", type_name(s.type)),
          s.type.kind == TypeKind::String || s.type.is_enumerated()
              ? "for a single value use `is one of {...}`"
              : "");
    return error_typed();
  }
  ir::Atom a;
  a.kind = h.kind == ast::HasKind::Any   ? ir::AtomKind::ListHasAny
           : h.kind == ast::HasKind::All ? ir::AtomKind::ListHasAll
                                         : ir::AtomKind::ListHasNone;
  a.field = static_cast<uint32_t>(s.field);
  for (const auto& it : h.items) a.set.push_back(it.text);
  std::sort(a.set.begin(), a.set.end());
  a.set.erase(std::unique(a.set.begin(), a.set.end()), a.set.end());
  return Typed{Type{TypeKind::Bool}, add_atom(std::move(a))};
}

template <>
Typed Exprs::check_kind(const ast::File& f, const ast::DaysSince& d, const ast::Span& span,
                        const Type*) {
  Typed x = check_expr(f, d.date, nullptr);
  if (x.type.is_error()) return x;
  if (x.type.kind != TypeKind::Date) {
    error(Code::NotApplicable, f.expr(d.date).span,
          fmt::format("`days {}` needs a date, but this is {}", d.until ? "until" : "since",
                      type_name(x.type)));
    return error_typed();
  }
  const uint32_t asof = nb_.as_of();
  const uint32_t node = d.until ? nb_.op(ir::Op::Sub, ir::Ty::Int, {x.node, asof})
                                : nb_.op(ir::Op::Sub, ir::Ty::Int, {asof, x.node});
  return Typed{Type{TypeKind::Days}, node};
}

template <>
Typed Exprs::check_kind(const ast::File& f, const ast::IfExpr& i, const ast::Span& span,
                        const Type* expect) {
  Typed c = check_cond(f, i.cond);
  Typed a = check_expr(f, i.then_, expect);
  Typed b = check_expr(f, i.else_, expect);
  if (c.type.is_error() || a.type.is_error() || b.type.is_error()) return error_typed();
  if (!(a.type == b.type)) {
    if (a.type.is_plain_numeric() && b.type.is_plain_numeric()) {
      a.node = to_float(a);
      b.node = to_float(b);
      a.type.kind = TypeKind::Number;
    } else {
      error(Code::IfBranches, span,
            fmt::format("the two branches differ: {} after `then`, {} after `else`",
                        type_name(a.type), type_name(b.type)));
      return error_typed();
    }
  }
  if (a.type.kind == TypeKind::String || a.type.kind == TypeKind::StringList) {
    error(Code::NotApplicable, span, "`if` cannot choose between strings or lists");
    return error_typed();
  }
  Type t = a.type;
  t.literal = false;
  return Typed{t, nb_.if_(phys(t), c.node, a.node, b.node)};
}

template <>
Typed Exprs::check_kind(const ast::File& f, const ast::OfferLit& o, const ast::Span& span,
                        const Type*) {
  return check_offer(f, o, span);
}

// The handlers of Name and Member (names.cpp).
template <>
Typed Exprs::check_kind(const ast::File& f, const ast::Name& n, const ast::Span& span,
                        const Type* expect);
template <>
Typed Exprs::check_kind(const ast::File& f, const ast::Member& m, const ast::Span& span,
                        const Type*);

// Every handler is declared above: a kind without one fails to compile here.
Typed Exprs::check_expr(const ast::File& f, ast::ExprId id, const Type* expect) {
  const ast::Expr& e = f.expr(id);
  // Long flat chains (`a or b or ...`) build deep trees; bound the recursion (the checker runs
  // on a thread with a large stack, see run_on_big_stack).
  if (depth_ >= kMaxExprDepth) {
    if (!depth_reported_)
      error(Code::NestedTooDeeply, e.span,
            fmt::format("this expression is nested too deeply (limit {} levels)", kMaxExprDepth),
            "split it into several `let`s");
    depth_reported_ = true;
    return error_typed();
  }
  ++depth_;
  Typed t = std::visit([&](const auto& k) { return check_kind(f, k, e.span, expect); }, e.kind);
  --depth_;
  ctx_.table.set(f, id, t);
  if (t.node != UINT32_MAX && !t.type.is_error()) smap_.expr(e.span, t.node);
  return t;
}

}  // namespace rk::check
