// Rekindle compiler: types and units. The names and physical IR types of the checker's types,
// and the rules of arithmetic and comparison: which units combine (money + money, date - days,
// days since ...), when a bare number may meet a unit (never, except one end of a range), which
// values compare, and the nodes that implement them (IntToFloat where Int meets Float).
#include <fmt/format.h>

#include <variant>

#include "compiler/check/examples.h"
#include "compiler/check/lower.h"

namespace rk::check {

std::string type_name(const Type& t) {
  switch (t.kind) {
    case TypeKind::Error:
      return "an erroneous value";
    case TypeKind::Bool:
      return "yes/no (bool)";
    case TypeKind::Int:
      return "a whole number";
    case TypeKind::Number:
      return "a number";
    case TypeKind::Money:
      return "money";
    case TypeKind::Percent:
      return "a percent";
    case TypeKind::Days:
      return "days";
    case TypeKind::Date:
      return "a date";
    case TypeKind::String:
      return "a string";
    case TypeKind::StringList:
      return "a list of strings";
    case TypeKind::Enum:
      return "an enum value";
    case TypeKind::Label:
      return "a segment label";
    case TypeKind::Channel:
      return "a channel";
    case TypeKind::Offer:
      return "an offer";
    case TypeKind::Status:
      return "a sequence status";
    case TypeKind::Step:
      return "a sequence step";
    case TypeKind::Variant:
      return "a variant";
  }
  return "?";
}

ir::OfferKind offer_kind(ast::OfferKind k) {
  switch (k) {
    case ast::OfferKind::None:
      return ir::OfferKind::None;
    case ast::OfferKind::Credit:
      return ir::OfferKind::Credit;
    case ast::OfferKind::Points:
      return ir::OfferKind::Points;
    case ast::OfferKind::EarlyAccess:
      return ir::OfferKind::EarlyAccess;
    case ast::OfferKind::Discount:
      return ir::OfferKind::Discount;
  }
  return ir::OfferKind::None;
}

ir::Ty phys(const Type& t) {
  switch (t.kind) {
    case TypeKind::Bool:
      return ir::Ty::Bool;
    case TypeKind::Number:
    case TypeKind::Money:
    case TypeKind::Percent:
      return ir::Ty::Float;
    case TypeKind::Error:
    case TypeKind::Int:
    case TypeKind::Days:
    case TypeKind::Date:
    case TypeKind::String:
    case TypeKind::StringList:
    case TypeKind::Enum:
    case TypeKind::Label:
    case TypeKind::Channel:
    case TypeKind::Offer:
    case TypeKind::Status:
    case TypeKind::Step:
    case TypeKind::Variant:
      return ir::Ty::Int;
  }
  return ir::Ty::Int;
}

Type field_type(const Schema& s, int f) {
  switch (s.fields[f].type) {
    case FieldType::Bool:
      return {TypeKind::Bool};
    case FieldType::Int:
      return {TypeKind::Int};
    case FieldType::Number:
      return {TypeKind::Number};
    case FieldType::Money:
      return {TypeKind::Money};
    case FieldType::Percent:
      return {TypeKind::Percent};
    case FieldType::Date:
      return {TypeKind::Date};
    case FieldType::String:
      return {TypeKind::String};
    case FieldType::Enum:
      return {TypeKind::Enum, f};
    case FieldType::StringList:
      return {TypeKind::StringList};
  }
  return {};
}

uint32_t Exprs::to_float(const Typed& t) {
  if (phys(t.type) == ir::Ty::Float) return t.node;
  return nb_.op(ir::Op::IntToFloat, ir::Ty::Float, {t.node});
}

// Gives an untyped integer literal the unit of the other side (used by ranges).
void Exprs::adopt_unit(Typed& lit, const Typed& other) {
  if (!lit.type.literal || lit.type.kind != TypeKind::Int) return;
  if (other.type.kind == TypeKind::Days) lit.type.kind = TypeKind::Days;
}

std::string Exprs::unit_hint(const Type& a, const Type& b) {
  const Type& u = a.is_plain_numeric() ? b : a;
  switch (u.kind) {
    case TypeKind::Money:
      return "write money with a $, e.g. $20";
    case TypeKind::Percent:
      return "write percents with a %, e.g. 5%";
    case TypeKind::Days:
      return "write durations with a unit, e.g. 60 days";
    case TypeKind::Error:
    case TypeKind::Bool:
    case TypeKind::Int:
    case TypeKind::Number:
    case TypeKind::Date:
    case TypeKind::String:
    case TypeKind::StringList:
    case TypeKind::Enum:
    case TypeKind::Label:
    case TypeKind::Channel:
    case TypeKind::Offer:
    case TypeKind::Status:
    case TypeKind::Step:
    case TypeKind::Variant:
      return {};
  }
  return {};
}

// Brings two numeric operands to one physical type for comparison; false on unit mismatch.
bool Exprs::comparable(Typed& a, Typed& b) {
  if (a.type.kind == b.type.kind && a.type.ref == b.type.ref) {
    if (a.type.kind == TypeKind::Int || a.type.kind == TypeKind::Days ||
        a.type.kind == TypeKind::Date || a.type.is_enumerated() || a.type.kind == TypeKind::Bool)
      return true;
    return true;
  }
  if (a.type.is_plain_numeric() && b.type.is_plain_numeric()) {
    if (phys(a.type) != phys(b.type)) {
      a.node = to_float(a);
      b.node = to_float(b);
      a.type.kind = b.type.kind = TypeKind::Number;
    }
    return true;
  }
  return false;
}

Typed Exprs::arith(ast::BinOp op, Typed a, Typed b, const ast::Span& span) {
  using K = TypeKind;
  auto k = [](const Typed& t) { return t.type.kind; };
  const char* sym = op == ast::BinOp::Add   ? "+"
                    : op == ast::BinOp::Sub ? "-"
                    : op == ast::BinOp::Mul ? "*"
                                            : "/";
  auto mismatch = [&]() {
    error(Code::Arithmetic, span,
          fmt::format("cannot compute {} {} {}", type_name(a.type), sym, type_name(b.type)),
          unit_hint(a.type, b.type));
    return error_typed();
  };
  if (!a.type.is_numeric() && k(a) != K::Date) return mismatch();
  if (!b.type.is_numeric() && k(b) != K::Date) return mismatch();
  Type result;
  bool float_op = false;
  switch (op) {
    case ast::BinOp::Add:
    case ast::BinOp::Sub:
      if (a.type.is_plain_numeric() && b.type.is_plain_numeric()) {
        result.kind = (k(a) == K::Int && k(b) == K::Int) ? K::Int : K::Number;
      } else if (k(a) == k(b) && k(a) != K::Date) {
        result.kind = k(a);
      } else if (k(a) == K::Date && k(b) == K::Days) {
        result.kind = K::Date;
      } else if (k(a) == K::Days && k(b) == K::Date && op == ast::BinOp::Add) {
        result.kind = K::Date;
      } else if (k(a) == K::Date && k(b) == K::Date && op == ast::BinOp::Sub) {
        result.kind = K::Days;
      } else {
        return mismatch();
      }
      break;
    case ast::BinOp::Mul:
      if (a.type.is_plain_numeric() && b.type.is_plain_numeric()) {
        result.kind = (k(a) == K::Int && k(b) == K::Int) ? K::Int : K::Number;
      } else if (k(a) == K::Days || k(b) == K::Days) {
        const Typed& other = k(a) == K::Days ? b : a;
        if (other.type.kind != K::Int) return mismatch();
        result.kind = K::Days;
      } else if (a.type.is_plain_numeric()) {
        result.kind = k(b);
      } else if (b.type.is_plain_numeric()) {
        result.kind = k(a);
      } else if (k(a) == K::Percent) {
        result.kind = k(b);
      } else if (k(b) == K::Percent) {
        result.kind = k(a);
      } else {
        return mismatch();
      }
      if (result.kind == K::Date) return mismatch();
      break;
    case ast::BinOp::Div:
      if (k(a) == K::Days || k(b) == K::Days || k(a) == K::Date || k(b) == K::Date)
        return mismatch();
      if (k(a) == k(b)) {
        result.kind = K::Number;
      } else if (b.type.is_plain_numeric()) {
        result.kind = a.type.is_plain_numeric() ? K::Number : k(a);
      } else if (k(b) == K::Percent) {
        result.kind = a.type.is_plain_numeric() ? K::Number : k(a);
      } else {
        return mismatch();
      }
      float_op = true;
      break;
    case ast::BinOp::Eq:
    case ast::BinOp::Ne:
    case ast::BinOp::Lt:
    case ast::BinOp::Le:
    case ast::BinOp::Gt:
    case ast::BinOp::Ge:
    case ast::BinOp::And:
    case ast::BinOp::Or:
      return mismatch();  // not arithmetic (check_kind(Binary) sends only + - * / here)
  }
  ir::Ty ty = phys(result);
  if (float_op) ty = ir::Ty::Float;
  if (float_op || ty == ir::Ty::Float || phys(a.type) != phys(b.type)) {
    ty = ir::Ty::Float;
    a.node = to_float(a);
    b.node = to_float(b);
    if (result.kind == K::Int) result.kind = K::Number;
  }
  const ir::Op o = op == ast::BinOp::Add   ? ir::Op::Add
                   : op == ast::BinOp::Sub ? ir::Op::Sub
                   : op == ast::BinOp::Mul ? ir::Op::Mul
                                           : ir::Op::Div;
  return Typed{result, nb_.op(o, ty, {a.node, b.node})};
}

namespace {

// The number of a literal without its unit: `30%` -> `30`, `$1000` -> `1000`, `7 days` -> `7`.
std::string_view number_part(std::string_view text) {
  if (!text.empty() && text[0] == '$') text.remove_prefix(1);
  size_t e = 0;
  while (e < text.size() && ((text[e] >= '0' && text[e] <= '9') || text[e] == '.')) ++e;
  return text.substr(0, e);
}

}  // namespace

// A help for a comparison whose sides do not compare, from the operands as written: a date
// against days asks for `days since`/`days until`; a unit written on the literal side of a
// field without one says to drop it (the field decides); otherwise the unit the literal needs.
std::string Exprs::comparison_help(const Typed& a, const Typed& b, const Written& w) {
  std::string generic = unit_hint(a.type, b.type);
  if (!w.file || w.lhs == ast::kNoExpr || w.rhs == ast::kNoExpr) return generic;
  const ast::Expr& le = w.file->expr(w.lhs);
  const ast::Expr& re = w.file->expr(w.rhs);
  const std::string lt(ctx_.source_text(le.span)), rt(ctx_.source_text(re.span));
  const std::string op(w.op);  // empty for the ends of a range
  using K = TypeKind;
  // A date and a duration (or a bare number): how long ago, or how soon.
  const bool date_left =
      a.type.kind == K::Date && (b.type.kind == K::Days || b.type.is_plain_numeric());
  const bool date_right =
      b.type.kind == K::Date && (a.type.kind == K::Days || a.type.is_plain_numeric());
  if (date_left || date_right) {
    const std::string& date = date_left ? lt : rt;
    std::string days = date_left ? rt : lt;
    if ((date_left ? b : a).type.is_plain_numeric()) days += " days";
    auto form = [&](const char* dir) {
      if (op.empty()) return fmt::format("`days {} {}`", dir, date);
      return date_left ? fmt::format("`days {} {} {} {}`", dir, date, op, days)
                       : fmt::format("`{} {} days {} {}`", days, op, dir, date);
    };
    return fmt::format(
        "a date is a day, not a length of time: write {} for how long ago it "
        "was, or {} for how soon it comes",
        form("since"), form("until"));
  }
  // A unit on a literal compared with a field or expression without one.
  const auto* ln = std::get_if<ast::NumberLit>(&le.kind);
  const auto* rn = std::get_if<ast::NumberLit>(&re.kind);
  const bool unit_on_right = rn && rn->unit != ast::Unit::None && !ln && a.type.is_plain_numeric();
  const bool unit_on_left = ln && ln->unit != ast::Unit::None && !rn && b.type.is_plain_numeric();
  if (unit_on_right || unit_on_left) {
    const ast::NumberLit& lit = unit_on_right ? *rn : *ln;
    const Typed& plain = unit_on_right ? a : b;
    const Typed& unit = unit_on_right ? b : a;
    const std::string& subject = unit_on_right ? lt : rt;
    const std::string_view num = number_part(lit.text);
    const char* mark = lit.unit == ast::Unit::Money     ? "the `$`"
                       : lit.unit == ast::Unit::Percent ? "the `%`"
                                                        : "the unit";
    if (lit.unit == ast::Unit::Percent && plain.type.kind == K::Number)
      return fmt::format(
          "`{}` is {}, not {}: compare it with the fraction ({}), or make the field a `percent` "
          "in the schema",
          subject, type_name(plain.type), type_name(unit.type), lit.value);
    std::string head = fmt::format("`{}` is {}, not {}: drop {}", subject, type_name(plain.type),
                                   type_name(unit.type), mark);
    if (op.empty()) return head;  // an end of a range
    return fmt::format("{} (`{}`)", head,
                       unit_on_right ? fmt::format("{} {} {}", subject, op, num)
                                     : fmt::format("{} {} {}", num, op, subject));
  }
  return generic;
}

Typed Exprs::compare(ir::Op o, Typed a, Typed b, const ast::Span& span, bool ordered,
                     const Written& w) {
  if (a.type.is_error() || b.type.is_error()) return error_typed();
  if (a.type.kind == TypeKind::String || b.type.kind == TypeKind::String) {
    const Typed& str = a.type.kind == TypeKind::String ? a : b;
    const std::string example = str.field >= 0
                                    ? string_test_example(program_.schema.fields[str.field])
                                    : string_test_example(program_.schema);
    error(Code::Comparison, span, "strings can only be tested with `=`, `is`, `in {...}`",
          example.empty() ? "" : fmt::format("e.g. `{}`", example));
    return error_typed();
  }
  if (a.type.kind == TypeKind::StringList || b.type.kind == TypeKind::StringList) {
    error(Code::NotApplicable, span,
          "a list is tested with `has any of {...}`, `has all of {...}` or "
          "`has none of {...}`");
    return error_typed();
  }
  if (ordered && (a.type.is_enumerated() || a.type.kind == TypeKind::Bool)) {
    error(Code::Comparison, span,
          fmt::format("{} has no order; use `is`, `=` or `in {{...}}`", type_name(a.type)));
    return error_typed();
  }
  if (!comparable(a, b)) {
    error(Code::Comparison, span,
          fmt::format("cannot compare {} with {}", type_name(a.type), type_name(b.type)),
          comparison_help(a, b, w));
    return error_typed();
  }
  return Typed{Type{TypeKind::Bool}, nb_.cmp(o, a.node, b.node)};
}
}  // namespace rk::check
