// Rekindle runtime: value texts (see value_text.h). Locale-free, through std::to_chars.
#include "runtime/value_text.h"

#include <charconv>
#include <cmath>

#include "compiler/ir/helpers.h"

namespace rk {

namespace {

void append2(std::string& out, unsigned v) {
  out.push_back(static_cast<char>('0' + v / 10));
  out.push_back(static_cast<char>('0' + v % 10));
}

void append_month_day(std::string& out, const CivilDate& d) {
  out.push_back('-');
  append2(out, d.month);
  out.push_back('-');
  append2(out, d.day);
}

}  // namespace

void append_int_text(std::string& out, int64_t v) {
  char buf[24];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

void append_number_text(std::string& out, double v) {
  char buf[64];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

void append_money_text(std::string& out, double v) {
  if (std::isfinite(v) && std::fabs(v) < 1e15) {
    char buf[64];
    const auto r = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::fixed, 2);
    double back;
    const auto b = std::from_chars(buf, r.ptr, back);
    if (b.ec == std::errc() && back == v) {
      out.append(buf, r.ptr);
      return;
    }
  }
  append_number_text(out, v);
}

bool append_date_text(std::string& out, int32_t days) {
  const CivilDate d = civil_from_days(days);
  if (d.year < 1 || d.year > 9999) return false;
  const auto y = static_cast<unsigned>(d.year);
  append2(out, y / 100);
  append2(out, y % 100);
  append_month_day(out, d);
  return true;
}

void append_any_date_text(std::string& out, int32_t days) {
  if (append_date_text(out, days)) return;
  const CivilDate d = civil_from_days(days);
  out.push_back(d.year < 0 ? '-' : '+');
  const int64_t y = d.year < 0 ? -d.year : d.year;
  char buf[24];
  const auto r = std::to_chars(buf, buf + sizeof buf, y);
  for (auto n = r.ptr - buf; n < 4; ++n) out.push_back('0');
  out.append(buf, r.ptr);
  append_month_day(out, d);
}

}  // namespace rk
