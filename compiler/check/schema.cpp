// Rekindle compiler: the schema. Builds the checked schema (compiler/ir/schema.h) from the
// imported schema file: fields with their types, nullability and value ranges, enum values, and
// the one key field; a field or enum value declared twice, too many enum values, a missing or
// wrong key and a range that does not fit its field are reported here.
#include <fmt/format.h>

#include <set>
#include <unordered_map>

#include "compiler/check/examples.h"
#include "compiler/check/passes.h"

namespace rk::check {

namespace {

// What a bound of a field of type `t` is written as, for messages.
const char* bound_kind(FieldType t) {
  switch (t) {
    case FieldType::Int:
      return "whole numbers, e.g. `0 to 10`";
    case FieldType::Number:
      return "numbers, e.g. `0 to 1.5`";
    case FieldType::Money:
      return "amounts of money, e.g. `>= $0`";
    case FieldType::Percent:
      return "percents, e.g. `0% to 100%`";
    case FieldType::Date:
      return "dates, e.g. `>= 2000-01-01`";
    case FieldType::Bool:
    case FieldType::String:
    case FieldType::Enum:
    case FieldType::StringList:
      return "";
  }
  return "";
}

// One bound of field `def` from its literal expression: false (reported) when it is not a
// literal of the field's kind.
bool range_end(Context& ctx, const ast::File& file, ast::ExprId id, bool inclusive,
               const FieldDef& def, std::optional<RangeEnd>& out) {
  const ast::Expr& e = file.expr(id);
  bool negative = false;
  const ast::Expr* lit = &e;
  if (const auto* u = std::get_if<ast::Unary>(&e.kind); u && u->op == ast::UnOp::Neg) {
    negative = true;
    lit = &file.expr(u->operand);
  }
  RangeEnd end;
  end.inclusive = inclusive;
  end.text = std::string(ctx.source_text(e.span));
  bool ok = false;
  if (const auto* n = std::get_if<ast::NumberLit>(&lit->kind)) {
    const double v = negative ? -n->value : n->value;
    switch (def.type) {
      case FieldType::Int:
        ok = n->unit == ast::Unit::None && n->is_int;
        end.ivalue = negative ? -n->ivalue : n->ivalue;
        break;
      case FieldType::Number:
        ok = n->unit == ast::Unit::None;
        break;
      case FieldType::Money:
        ok = n->unit == ast::Unit::Money;
        break;
      case FieldType::Percent:
        ok = n->unit == ast::Unit::Percent;
        break;
      case FieldType::Date:
      case FieldType::Bool:
      case FieldType::String:
      case FieldType::Enum:
      case FieldType::StringList:
        break;
    }
    end.value = v;
  } else if (const auto* d = std::get_if<ast::DateLit>(&lit->kind)) {
    ok = def.type == FieldType::Date && !negative;
    end.ivalue = d->days;
    end.value = d->days;
  }
  if (!ok) {
    ctx.error(Code::FieldRange, e.span,
              fmt::format("`{}` cannot bound `{}`: the field is `{}`", end.text, def.name,
                          field_type_name(def.type)),
              fmt::format("the range of a `{}` field is written in {}", field_type_name(def.type),
                          bound_kind(def.type)));
    return false;
  }
  out = std::move(end);
  return true;
}

// The range of field `def` declared as `r`.
void field_range(Context& ctx, const ast::File& file, const ast::FieldRange& r, FieldDef& def) {
  switch (def.type) {
    case FieldType::Int:
    case FieldType::Number:
    case FieldType::Money:
    case FieldType::Percent:
    case FieldType::Date:
      break;
    case FieldType::Bool:
    case FieldType::String:
    case FieldType::Enum:
    case FieldType::StringList:
      ctx.error(Code::FieldRange, r.span,
                fmt::format("`{}` cannot have a range: `{}` fields have no order", def.name,
                            field_type_name(def)),
                "ranges are for int, number, money, percent and date fields");
      return;
  }
  std::optional<RangeEnd> lo, hi;
  const bool lo_ok = r.lo == ast::kNoExpr || range_end(ctx, file, r.lo, r.lo_inclusive, def, lo);
  const bool hi_ok = r.hi == ast::kNoExpr || range_end(ctx, file, r.hi, r.hi_inclusive, def, hi);
  if (!lo_ok || !hi_ok) return;
  if (lo && hi) {
    const bool ints = def.type == FieldType::Int || def.type == FieldType::Date;
    const bool empty = ints ? (lo->ivalue > hi->ivalue) : !(lo->value <= hi->value);
    if (empty) {
      ctx.error(
          Code::FieldRange, r.span,
          fmt::format("the range of `{}` is empty: {} is above {}", def.name, lo->text, hi->text),
          fmt::format("write the lower end first: `{} to {}`", hi->text, lo->text));
      return;
    }
  }
  def.min = std::move(lo);
  def.max = std::move(hi);
}

}  // namespace

void build_schema(Context& ctx) {
  Schema& s = ctx.program.schema;
  s.name = ctx.files.schema->schema_name;
  std::unordered_map<std::string, ast::Span> seen;
  for (const auto& top : ctx.files.schema->decls) {
    const auto* fd = std::get_if<ast::FieldDecl>(&top.decl);
    if (!fd) continue;
    if (auto it = seen.find(fd->name); it != seen.end()) {
      ctx.error_note(Code::DeclaredTwice, fd->name_span,
                     fmt::format("field `{}` is declared twice", fd->name), it->second,
                     "first declared here");
      continue;
    }
    seen.emplace(fd->name, fd->name_span);
    FieldDef def;
    def.name = fd->name;
    def.nullable = fd->nullable;
    def.key = fd->key;
    switch (fd->type.kind) {
      case ast::TypeKind::Bool:
        def.type = FieldType::Bool;
        break;
      case ast::TypeKind::Int:
        def.type = FieldType::Int;
        break;
      case ast::TypeKind::Number:
        def.type = FieldType::Number;
        break;
      case ast::TypeKind::Money:
        def.type = FieldType::Money;
        break;
      case ast::TypeKind::Percent:
        def.type = FieldType::Percent;
        break;
      case ast::TypeKind::Date:
        def.type = FieldType::Date;
        break;
      case ast::TypeKind::String:
        def.type = FieldType::String;
        break;
      case ast::TypeKind::TimeZone:  // a string checked on reading
        def.type = FieldType::String;
        def.time_zone = true;
        break;
      case ast::TypeKind::Enum:
        def.type = FieldType::Enum;
        break;
      case ast::TypeKind::StringList:
        def.type = FieldType::StringList;
        break;
    }
    if (def.type == FieldType::Enum) {
      std::set<std::string> vals;
      for (const auto& item : fd->type.enum_values) {
        if (!vals.insert(item.text).second)
          ctx.error(Code::DeclaredTwice, item.span,
                    fmt::format("enum value `{}` is listed twice in `{}`", item.text, fd->name));
        def.enum_values.push_back(item.text);
      }
      if (def.enum_values.size() > 64)
        ctx.error(Code::Limit, fd->type.span,
                  fmt::format("enum `{}` has {} values; the limit is 64", fd->name,
                              def.enum_values.size()));
    }
    if (fd->range) field_range(ctx, *ctx.files.schema, *fd->range, def);
    if (def.key) {
      if (s.key_field >= 0) {
        ctx.error(Code::KeyField, fd->name_span,
                  fmt::format("`{}` is a second key field; a schema has exactly one", fd->name));
      } else if (def.type != FieldType::String || def.time_zone || def.nullable) {
        ctx.error(Code::KeyField, fd->name_span, "the key field must be a non-missing `string`");
      } else {
        s.key_field = static_cast<int>(s.fields.size());
      }
    }
    s.fields.push_back(std::move(def));
  }
  if (s.key_field < 0 && !ctx.failed())
    ctx.error(Code::KeyField, ctx.file_span(ctx.files.schema->file_index),
              "the schema has no key field",
              fmt::format("mark the customer id with `key`, e.g. `{}`", key_field_example(s)));
}

}  // namespace rk::check
