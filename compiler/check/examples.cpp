// Rekindle compiler: help examples from the user's schema (see examples.h).
#include "compiler/check/examples.h"

#include <fmt/format.h>

#include <initializer_list>

namespace rk::check {
namespace {

bool has(std::string_view name, std::string_view part) {
  return name.find(part) != std::string_view::npos;
}

// The first field of `type` whose name holds every part.
const FieldDef* find_field(const Schema& s, FieldType type,
                           std::initializer_list<std::string_view> parts) {
  for (const auto& f : s.fields) {
    if (f.type != type) continue;
    bool all = true;
    for (const auto p : parts) all = all && has(f.name, p);
    if (all) return &f;
  }
  return nullptr;
}

}  // namespace

std::string string_test_example(const FieldDef& field) {
  char initial = field.name.empty() ? 'X' : field.name[0];
  if (initial >= 'a' && initial <= 'z') initial = static_cast<char>(initial - 'a' + 'A');
  if (!((initial >= 'A' && initial <= 'Z'))) initial = 'X';
  return fmt::format("{} is \"{}1\"", field.name, initial);
}

std::string string_test_example(const Schema& schema) {
  const FieldDef* f = nullptr;
  if (schema.key_field >= 0 && schema.fields[schema.key_field].type == FieldType::String)
    f = &schema.fields[schema.key_field];
  if (!f) f = find_field(schema, FieldType::String, {});
  return f ? string_test_example(*f) : std::string();
}

std::string key_field_example(const Schema& schema) {
  return fmt::format("field {}_id: string key", schema.name.empty() ? "customer" : schema.name);
}

std::string consent_example(const Schema& schema, std::string_view channel) {
  const FieldDef* f = find_field(schema, FieldType::Bool, {channel, "consent"});
  if (!f) f = find_field(schema, FieldType::Bool, {"consent"});
  if (!f && !channel.empty()) f = find_field(schema, FieldType::Bool, {channel});
  return fmt::format("{} is true", f ? f->name : std::string(channel) + "_consent");
}

std::string exit_example(const Schema& schema) {
  for (const auto part :
       {"respond", "repl", "convert", "click", "purchas", "bought", "renew", "upgrad"})
    if (const FieldDef* f = find_field(schema, FieldType::Bool, {part}))
      return fmt::format("add e.g. `exit {} when {}`", f->name, f->name);
  return "add an exit on what says the customer responded, e.g. `exit replied when FIELD`";
}

}  // namespace rk::check
