// Rekindle compiler: parameters. A parameter's default must be a literal (checked like any
// expression); a `--param NAME=VALUE` override is read by the parameter's type exactly as a rule
// file or a snapshot would read it (param_value.h: "$300", "7%", "2 weeks", a date) and replaces
// the default; the values, with their units, go to the summary.
#include <fmt/format.h>

#include "compiler/check/lower.h"
#include "compiler/check/param_value.h"

namespace rk::check {

namespace {

// Parses an override by the parameter's type (compiler/check/param_value.h: what a rule file or
// a snapshot would accept, nothing else); returns false with a message. `shown` is the value as
// summaries show it (with its unit: `14 days`, `$300`, `5%`).
bool parse_override(const Type& t, const std::string& text, Typed& out, ir::NodeBuilder& nb,
                    std::string& shown, std::string& why) {
  ParamKind kind = ParamKind::Bool;
  switch (t.kind) {
    case TypeKind::Bool:
      kind = ParamKind::Bool;
      break;
    case TypeKind::Int:
      kind = ParamKind::Int;
      break;
    case TypeKind::Days:
      kind = ParamKind::Days;
      break;
    case TypeKind::Number:
      kind = ParamKind::Number;
      break;
    case TypeKind::Money:
      kind = ParamKind::Money;
      break;
    case TypeKind::Percent:
      kind = ParamKind::Percent;
      break;
    case TypeKind::Date:
      kind = ParamKind::Date;
      break;
    case TypeKind::Error:
    case TypeKind::String:
    case TypeKind::StringList:
    case TypeKind::Enum:
    case TypeKind::Label:
    case TypeKind::Channel:
    case TypeKind::Offer:
    case TypeKind::Status:
    case TypeKind::Step:
    case TypeKind::Variant:
      why = "this parameter cannot be overridden";
      return false;
  }
  ParamValue v;
  if (!read_param_value(kind, text, v, why)) return false;
  out.type = t;
  switch (kind) {
    case ParamKind::Bool:
      out.node = nb.c_bool(v.b);
      break;
    case ParamKind::Int:
    case ParamKind::Days:
    case ParamKind::Date:
      out.node = nb.c_int(v.i);
      break;
    case ParamKind::Number:
    case ParamKind::Money:
    case ParamKind::Percent:
      out.node = nb.c_float(v.f);
      break;
  }
  shown = v.text;
  return true;
}

}  // namespace

void Lowering::apply_param_overrides() {
  for (const auto& [name, text] : ctx_.opts.params) {
    auto it = params_.find(name);
    if (it == params_.end()) {
      std::string help;
      const std::string near = closest(name, sym_.param_order);
      if (!near.empty()) help = fmt::format("did you mean `{}`?", near);
      ctx_.diags.push_back(
          Diagnostic{Severity::Error,
                     std::string(check::info(Code::BadParam).code),
                     fmt::format("--param {}: there is no parameter `{}`", name, name),
                     std::nullopt,
                     {},
                     help});
      continue;
    }
    Typed def = lower_param(it->second);
    if (def.type.is_error()) continue;
    Typed v;
    std::string why, shown;
    if (!parse_override(def.type, text, v, nb_, shown, why)) {
      ctx_.diags.push_back(Diagnostic{Severity::Error,
                                      std::string(check::info(Code::BadParam).code),
                                      fmt::format("--param {}={}: {}", name, text, why),
                                      std::nullopt,
                                      {},
                                      {}});
      continue;
    }
    it->second.value = v;
    program_.params[name] = shown;
  }
}

Typed Lowering::lower_param(ParamEnt& p) {
  if (p.state == State::Done) return p.value;
  p.state = State::Done;
  const ast::Expr& e = p.file->expr(p.decl->value);
  const ast::Expr* lit = &e;
  bool neg = false;
  if (const auto* u = std::get_if<ast::Unary>(&e.kind); u && u->op == ast::UnOp::Neg) {
    lit = &p.file->expr(u->operand);
    neg = true;
  }
  const bool literal = std::holds_alternative<ast::NumberLit>(lit->kind) ||
                       (!neg && (std::holds_alternative<ast::BoolLit>(lit->kind) ||
                                 std::holds_alternative<ast::DateLit>(lit->kind)));
  if (!literal) {
    error(Code::ParamNotLiteral, e.span,
          fmt::format("the default of parameter `{}` must be a literal value", p.decl->name),
          "e.g. `parameter min_value = $250`, `parameter wait = 7 days`, `parameter cap = 5%`");
    p.value = error_typed();
    return p.value;
  }
  p.value = ex_.check_expr(*p.file, p.decl->value, nullptr);
  p.value.type.literal = false;
  program_.params.emplace(p.decl->name, std::string(ctx_.source_text(e.span)));
  return p.value;
}
}  // namespace rk::check
