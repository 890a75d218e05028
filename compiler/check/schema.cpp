// Rekindle compiler: the schema. Builds the checked schema (compiler/ir/schema.h) from the
// imported schema file: fields with their types and nullability, enum values, and the one key
// field; a field or enum value declared twice, too many enum values and a missing or wrong key
// are reported here.
#include <fmt/format.h>

#include <set>
#include <unordered_map>

#include "compiler/check/passes.h"

namespace rk::check {

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
    if (def.key) {
      if (s.key_field >= 0) {
        ctx.error(Code::KeyField, fd->name_span,
                  fmt::format("`{}` is a second key field; a schema has exactly one", fd->name));
      } else if (def.type != FieldType::String || def.nullable) {
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
              "mark the customer id with `key`, e.g. `field customer_id: string key`");
}

}  // namespace rk::check
