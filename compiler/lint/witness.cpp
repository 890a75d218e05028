// Rekindle lints: concrete evaluation of the IR on one customer (compiler/ir/semantics.h, the
// interpreter's definitions, with atoms computed from the actual strings, lists and holdout
// buckets) and the text of a customer's values for notes.
#include "compiler/lint/witness.h"

#include <fmt/format.h>

#include "base/date.h"

namespace rk::lint {
namespace {

// The leaves of one customer, for ir::eval_node.
struct CustomerLeaves {
  const ir::Program& p;
  const Customer& c;

  ir::Value column(uint32_t field) const {
    const FieldValue& fv = c.fields[field];
    if (!fv.present) return ir::sem::missing();
    return ir::sem::column_value(p.schema.fields[field].type, fv.i, fv.f);
  }
  ir::Value atom(uint32_t index) const {
    const ir::Atom& a = p.atoms[index];
    const FieldValue& fv = c.fields[a.field];
    return ir::sem::atom_value(a, fv.present, fv.s, fv.list);
  }
  int64_t as_of() const { return c.as_of; }
};

}  // namespace

std::vector<ConcreteValue> evaluate(const ir::Program& p, const Customer& c) {
  std::vector<ConcreteValue> values;
  ir::evaluate_nodes(p, CustomerLeaves{p, c}, values);
  return values;
}

std::vector<bool> fields_read(const ir::Program& p, const std::vector<uint32_t>& roots) {
  std::vector<bool> reach(p.nodes.size(), false), fields(p.schema.fields.size(), false);
  for (uint32_t r : roots)
    if (r < reach.size()) reach[r] = true;
  for (size_t id = p.nodes.size(); id-- > 0;) {
    if (!reach[id]) continue;
    const ir::Node& n = p.nodes[id];
    if (n.op == ir::Op::Column) fields[n.index] = true;
    if (n.op == ir::Op::Atom) fields[p.atoms[n.index].field] = true;
    for (uint32_t a : n.args) reach[a] = true;
  }
  return fields;
}

std::string describe(const ir::Program& p, const Customer& c, const std::vector<bool>& fields,
                     bool with_as_of) {
  std::vector<std::string> parts;
  if (with_as_of) parts.push_back("as of " + format_iso_date(c.as_of));
  for (size_t f = 0; f < p.schema.fields.size(); ++f) {
    if (f >= fields.size() || !fields[f]) continue;
    const FieldDef& fd = p.schema.fields[f];
    const FieldValue& fv = c.fields[f];
    if (!fv.present) {
      parts.push_back(fd.name + " is missing");
      continue;
    }
    std::string text;
    switch (fd.type) {
      case FieldType::Bool:
        text = fv.i ? "true" : "false";
        break;
      case FieldType::Int:
        text = std::to_string(fv.i);
        break;
      case FieldType::Date:
        text = format_iso_date(fv.i);
        break;
      case FieldType::Enum:
        text = fv.i >= 0 && fv.i < static_cast<int64_t>(fd.enum_values.size())
                   ? fd.enum_values[static_cast<size_t>(fv.i)]
                   : std::to_string(fv.i);
        break;
      case FieldType::Number:
        text = fmt::format("{}", fv.f);
        break;
      case FieldType::Money:
        text = fmt::format("${}", fv.f);
        break;
      case FieldType::Percent:
        text = fmt::format("{} ({}%)", fv.f, fv.f * 100);
        break;
      case FieldType::String:
        text = fmt::format("\"{}\"", fv.s);
        break;
      case FieldType::StringList: {
        text = "{";
        for (size_t k = 0; k < fv.list.size(); ++k) text += (k ? ", " : "") + fv.list[k];
        text += "}";
        break;
      }
    }
    parts.push_back(fd.name + " = " + text);
  }
  std::string out;
  for (size_t k = 0; k < parts.size(); ++k) out += (k ? ", " : "") + parts[k];
  return out;
}

}  // namespace rk::lint
