// Rekindle compiler: `--param` values read by the parameter's type (see param_value.h).
#include "compiler/check/param_value.h"

#include <fmt/format.h>

#include <charconv>
#include <cmath>

#include "base/date.h"
#include "base/value_parse.h"

namespace rk {

namespace {

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

// A rule file's decimal literal, exactly: digits, optionally `.` and digits. Its value is
// correctly rounded; false when `s` is not one or is out of the double range.
bool rule_decimal(std::string_view s, double& v) {
  size_t i = 0;
  while (i < s.size() && is_digit(s[i])) ++i;
  if (i == 0) return false;
  if (i < s.size() && s[i] == '.') {
    const size_t frac = ++i;
    while (i < s.size() && is_digit(s[i])) ++i;
    if (i == frac) return false;
  }
  if (i != s.size()) return false;
  const auto r = std::from_chars(s.data(), s.data() + s.size(), v, std::chars_format::fixed);
  return r.ec == std::errc() && r.ptr == s.data() + s.size() && std::isfinite(v);
}

// A snapshot's number: parsed, present (not NaN) and in range.
bool snapshot_number(std::string_view s, double& v) {
  return parse_number(s, v) == NumParse::Ok;
}

std::string_view strip_minus(std::string_view s, bool& negative) {
  negative = !s.empty() && s[0] == '-';
  return negative ? s.substr(1) : s;
}

// A count of days as a rule file writes it: [-]DIGITS [spaces] (day|days|week|weeks).
bool rule_days(std::string_view s, int64_t& days, std::string& why) {
  bool neg = false;
  std::string_view t = strip_minus(s, neg);
  size_t i = 0;
  while (i < t.size() && is_digit(t[i])) ++i;
  if (i == 0) return false;
  const std::string_view digits = t.substr(0, i);
  std::string_view rest = t.substr(i);
  if (!rest.empty() && rest[0] == '.') {
    why = "a number of days must be whole (e.g. 10 days)";
    return false;
  }
  while (!rest.empty() && (rest[0] == ' ' || rest[0] == '\t')) rest.remove_prefix(1);
  int64_t factor = 0;
  if (rest == "day" || rest == "days") factor = 1;
  if (rest == "week" || rest == "weeks") factor = 7;
  if (factor == 0) return false;
  int64_t n = 0;
  const auto r = std::from_chars(digits.data(), digits.data() + digits.size(), n);
  if (r.ec != std::errc() || r.ptr != digits.data() + digits.size() || n > INT64_MAX / factor) {
    why = "the number of days is too large";
    return false;
  }
  days = (neg ? -n : n) * factor;
  return true;
}

}  // namespace

bool read_param_value(ParamKind kind, std::string_view text, ParamValue& out, std::string& why) {
  out = ParamValue{};
  out.text = std::string(text);
  bool neg = false;
  auto space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
  if (!text.empty() && (space(text.front()) || space(text.back()))) {
    why = "the value has spaces around it (a snapshot value may not have them either)";
    return false;
  }
  // A number a snapshot would reject for its size or NaN-ness says so.
  double probe = 0;
  const std::string_view unsigned_text = !text.empty() && text[0] == '$' ? text.substr(1) : text;
  const NumParse probed = parse_number(unsigned_text, probe);
  if (kind != ParamKind::Date && kind != ParamKind::Bool && probed == NumParse::Range) {
    why = "out of the range of a number (as in a snapshot)";
    return false;
  }
  if (kind != ParamKind::Date && kind != ParamKind::Bool && probed == NumParse::NaN) {
    why = "NaN is not a value";
    return false;
  }
  switch (kind) {
    case ParamKind::Bool: {
      const BoolParse b = parse_bool(text);
      if (b == BoolParse::Bad) {
        why = "expected true or false";
        return false;
      }
      out.b = b == BoolParse::True;
      out.text = out.b ? "true" : "false";
      return true;
    }
    case ParamKind::Int:
      if (parse_int(text, out.i) != NumParse::Ok) {
        why = "expected a whole number, e.g. 5";
        return false;
      }
      return true;
    case ParamKind::Days: {
      if (parse_int(text, out.i) == NumParse::Ok) {
        out.text = fmt::format("{} day{}", out.i, out.i == 1 || out.i == -1 ? "" : "s");
        return true;
      }
      std::string days_why;
      if (rule_days(text, out.i, days_why)) return true;
      why = days_why.empty() ? "expected a number of days, e.g. 7, 7 days or 2 weeks" : days_why;
      return false;
    }
    case ParamKind::Number:
      if (snapshot_number(text, out.f)) return true;
      if (rule_decimal(strip_minus(text, neg), out.f)) {
        out.f = neg ? -out.f : out.f;
        return true;
      }
      why = "expected a number, e.g. 2.5";
      return false;
    case ParamKind::Money: {
      const std::string_view t = strip_minus(text, neg);
      if (!t.empty() && t[0] == '$' && rule_decimal(t.substr(1), out.f)) {
        out.f = neg ? -out.f : out.f;
        return true;
      }
      if (snapshot_number(text, out.f)) {
        double plain = 0;
        if (rule_decimal(t, plain)) out.text = fmt::format("{}${}", neg ? "-" : "", t);
        return true;
      }
      why = "expected an amount of money, e.g. 300 or $300 (a negative amount: -$5)";
      return false;
    }
    case ParamKind::Percent: {
      const std::string_view t = strip_minus(text, neg);
      if (!t.empty() && t.back() == '%' && rule_decimal(t.substr(0, t.size() - 1), out.f)) {
        out.f = (neg ? -out.f : out.f) / 100.0;
        return true;
      }
      why = "expected a percent, e.g. 5% (with the % sign)";
      return false;
    }
    case ParamKind::Date: {
      int32_t d = 0;
      if (!parse_iso_date(text, d)) {
        why = "expected a date YYYY-MM-DD (year 0001 to 9999), e.g. 2026-11-01";
        return false;
      }
      out.i = d;
      return true;
    }
  }
  why = "this parameter cannot be overridden";
  return false;
}

}  // namespace rk
