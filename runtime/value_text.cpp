// Rekindle runtime: value texts (see value_text.h). Locale-free, through std::to_chars.
#include "runtime/value_text.h"

#include <charconv>
#include <cmath>

namespace rk {

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

}  // namespace rk
