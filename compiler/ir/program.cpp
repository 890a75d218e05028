// Rekindle IR: deterministic text dump of a program and small type helpers.
#include "compiler/ir/program.h"

#include <fmt/format.h>

namespace rk {

std::string_view field_type_name(const FieldDef& f) {
  return f.time_zone ? std::string_view("time_zone") : field_type_name(f.type);
}

std::string_view field_type_name(FieldType t) {
  switch (t) {
    case FieldType::Bool:
      return "bool";
    case FieldType::Int:
      return "int";
    case FieldType::Number:
      return "number";
    case FieldType::Money:
      return "money";
    case FieldType::Percent:
      return "percent";
    case FieldType::Date:
      return "date";
    case FieldType::String:
      return "string";
    case FieldType::Enum:
      return "enum";
    case FieldType::StringList:
      return "list of string";
  }
  return "?";
}

std::string range_text(const FieldDef& f) {
  if (f.min && f.max && f.min->inclusive && f.max->inclusive)
    return f.min->text + " to " + f.max->text;
  std::string out;
  if (f.min) out += (f.min->inclusive ? ">= " : "> ") + f.min->text;
  if (f.max)
    out +=
        std::string(out.empty() ? "" : " and ") + (f.max->inclusive ? "<= " : "< ") + f.max->text;
  return out;
}

namespace ir {

Ty column_ty(FieldType t) {
  switch (t) {
    case FieldType::Bool:
      return Ty::Bool;
    case FieldType::Number:
    case FieldType::Money:
    case FieldType::Percent:
      return Ty::Float;
    case FieldType::Int:
    case FieldType::Date:
    case FieldType::String:
    case FieldType::Enum:
    case FieldType::StringList:
      return Ty::Int;
  }
  return Ty::Int;
}

namespace {

const char* ty_name(Ty t) {
  return t == Ty::Bool ? "b" : t == Ty::Int ? "i" : "f";
}

const char* atom_kind_name(AtomKind k) {
  switch (k) {
    case AtomKind::StrInSet:
      return "str_in_set";
    case AtomKind::ListHasAny:
      return "list_has_any";
    case AtomKind::ListHasAll:
      return "list_has_all";
    case AtomKind::ListHasNone:
      return "list_has_none";
    case AtomKind::Holdout:
      return "holdout";
  }
  return "?";
}

}  // namespace

std::string dump(const Program& p) {
  std::string out;
  out += fmt::format("schema {}\n", p.schema.name);
  for (const auto& f : p.schema.fields) {
    out += fmt::format("  field {}: {}{}{}", f.name, field_type_name(f), f.nullable ? "?" : "",
                       f.key ? " key" : "");
    if (!f.enum_values.empty()) out += fmt::format(" {{{}}}", fmt::join(f.enum_values, ", "));
    if (f.has_range()) out += " " + range_text(f);
    out += "\n";
  }
  for (size_t i = 0; i < p.atoms.size(); ++i) {
    const auto& a = p.atoms[i];
    out += fmt::format("atom {} = {} field {} set {{{}}}", i, atom_kind_name(a.kind), a.field,
                       fmt::join(a.set, ", "));
    if (a.kind == AtomKind::Holdout)
      out += fmt::format(" salt \"{}\" {} < {}", a.salt, a.modulus, a.threshold);
    out += "\n";
  }
  for (size_t i = 0; i < p.nodes.size(); ++i) {
    const auto& n = p.nodes[i];
    out += fmt::format("%{} = {}.{}", i, op_mnemonic(n.op), ty_name(n.ty));
    // The node's immediate, for the ops that have one.
    if (n.op == Op::ConstBool || n.op == Op::ConstInt) out += fmt::format(" {}", n.imm);
    if (n.op == Op::ConstFloat) out += fmt::format(" {}", n.fimm);
    if (n.op == Op::Column || n.op == Op::Atom) out += fmt::format(" #{}", n.index);
    if (n.op == Op::InMask) out += fmt::format(" mask {:#x}", n.mask);
    for (uint32_t a : n.args) out += fmt::format(" %{}", a);
    out += "\n";
  }
  for (size_t i = 0; i < p.outputs.size(); ++i)
    out += fmt::format("output {} {} = %{}{}\n", i, p.outputs[i].name, p.outputs[i].node,
                       p.outputs[i].width == OutputWidth::Int64     ? " i64"
                       : p.outputs[i].width == OutputWidth::Float64 ? " f64"
                                                                    : "");
  for (const auto& c : p.columns) {
    out += fmt::format("column {} kind {} type {} outputs [{}] texts [{}] role {} {}\n", c.name,
                       static_cast<int>(c.kind), static_cast<int>(c.type),
                       fmt::join(c.outputs, ","), fmt::join(c.texts, ","), static_cast<int>(c.role),
                       static_cast<int64_t>(c.owner));
  }
  out += dump_layout(p.layout);
  for (const auto& [k, v] : p.params) out += fmt::format("param {} = {}\n", k, v);
  return out;
}

}  // namespace ir
}  // namespace rk
