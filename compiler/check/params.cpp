// Rekindle compiler: parameters. A parameter's default must be a literal (checked like any
// expression); a `--param NAME=VALUE` override is parsed by the parameter's type ("$300", "7%",
// "10 days", a date) and replaces the default; the values as written go to the summary.
#include <fmt/format.h>

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>

#include "base/date.h"
#include "compiler/check/lower.h"
#include "compiler/ir/helpers.h"

namespace rk::check {

namespace {

// Parses an override by the parameter's type; returns false with a message.
bool parse_override(const Type& t, std::string text, Typed& out, ir::NodeBuilder& nb,
                    std::string& why) {
  auto trim = [](std::string s) {
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
    size_t i = 0;
    while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
    return s.substr(i);
  };
  text = trim(text);
  auto number = [&](const std::string& s, double& v) {
    if (s.empty()) return false;
    char* end = nullptr;
    v = std::strtod(s.c_str(), &end);
    return end == s.c_str() + s.size() && std::isfinite(v);
  };
  auto integer = [&](const std::string& s, int64_t& v) {
    if (s.empty()) return false;
    char* end = nullptr;
    errno = 0;
    v = std::strtoll(s.c_str(), &end, 10);
    return errno == 0 && end == s.c_str() + s.size();
  };
  out.type = t;
  switch (t.kind) {
    case TypeKind::Bool:
      if (text == "true" || text == "false") {
        out.node = nb.c_bool(text == "true");
        return true;
      }
      why = "expected true or false";
      return false;
    case TypeKind::Int: {
      int64_t v;
      if (integer(text, v)) {
        out.node = nb.c_int(v);
        return true;
      }
      why = "expected a whole number";
      return false;
    }
    case TypeKind::Days: {
      for (const char* suffix : {" days", " day", "days", "day"})
        if (text.size() > strlen(suffix) &&
            text.compare(text.size() - strlen(suffix), strlen(suffix), suffix) == 0) {
          text = trim(text.substr(0, text.size() - strlen(suffix)));
          break;
        }
      int64_t v;
      if (integer(text, v)) {
        out.node = nb.c_int(v);
        return true;
      }
      why = "expected a number of days, e.g. 7 or \"7 days\"";
      return false;
    }
    case TypeKind::Number: {
      double v;
      if (number(text, v)) {
        out.node = nb.c_float(v);
        return true;
      }
      why = "expected a number";
      return false;
    }
    case TypeKind::Money: {
      if (!text.empty() && text[0] == '$') text = text.substr(1);
      double v;
      if (number(text, v)) {
        out.node = nb.c_float(v);
        return true;
      }
      why = "expected an amount of money, e.g. 300 or $300";
      return false;
    }
    case TypeKind::Percent: {
      double v;
      if (!text.empty() && text.back() == '%' && number(trim(text.substr(0, text.size() - 1)), v)) {
        out.node = nb.c_float(v / 100.0);
        return true;
      }
      why = "expected a percent, e.g. 5%";
      return false;
    }
    case TypeKind::Date: {
      int32_t d;
      if (parse_iso_date(text, d)) {
        out.node = nb.c_int(d);
        return true;
      }
      why = "expected a date, e.g. 2026-11-01";
      return false;
    }
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
  return false;
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
    std::string why;
    if (!parse_override(def.type, text, v, nb_, why)) {
      ctx_.diags.push_back(Diagnostic{Severity::Error,
                                      std::string(check::info(Code::BadParam).code),
                                      fmt::format("--param {}={}: {}", name, text, why),
                                      std::nullopt,
                                      {},
                                      {}});
      continue;
    }
    it->second.value = v;
    program_.params[name] = text;
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
          "e.g. `parameter whale_aov = $250`, `parameter wait = 7 days`, `parameter cap = 5%`");
    p.value = error_typed();
    return p.value;
  }
  p.value = ex_.check_expr(*p.file, p.decl->value, nullptr);
  p.value.type.literal = false;
  program_.params.emplace(p.decl->name, std::string(ctx_.source_text(e.span)));
  return p.value;
}
}  // namespace rk::check
