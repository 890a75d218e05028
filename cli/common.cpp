// Rekindle CLI: shared helpers (see common.h).
#include "cli/common.h"

#include <fmt/format.h>

#include <ctime>

#include "compiler/ir/helpers.h"
#include "runtime/data_errors.h"

namespace rk::cli {

void print_error(const std::string& message) {
  fmt::print(stderr, "rekindle: error: {}\n", message);
}

void print_read_errors(const DataErrors& bad, const std::string& message) {
  if (bad.empty()) {
    print_error(message);
    return;
  }
  for (const auto& line : bad.lines()) print_error(line);
}

bool parse_params(const std::vector<std::string>& in, std::map<std::string, std::string>& out) {
  for (const auto& p : in) {
    const auto eq = p.find('=');
    if (eq == std::string::npos || eq == 0) {
      print_error(fmt::format("--param {}: expected NAME=VALUE", p));
      return false;
    }
    out[p.substr(0, eq)] = p.substr(eq + 1);
  }
  return true;
}

std::optional<int32_t> parse_as_of(const std::string& text) {
  if (text.empty()) return static_cast<int32_t>(std::time(nullptr) / 86400);
  int32_t days;
  if (!parse_iso_date(text, days)) {
    print_error(fmt::format("--as-of {}: not a date (write YYYY-MM-DD, e.g. 2026-11-01)", text));
    return std::nullopt;
  }
  return days;
}

}  // namespace rk::cli
