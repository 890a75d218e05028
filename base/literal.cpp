// Rekindle base: string literals (see literal.h).
#include "base/literal.h"

namespace rk {

StringLiteralScan scan_string_literal(std::string_view text) {
  StringLiteralScan s;
  if (text.empty() || text.front() != '"') return s;
  for (size_t i = 1; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '"') {
      s.status = StringLiteralScan::Status::Ok;
      s.length = i + 1;
      return s;
    }
    if (c == '\n') break;
    if (c == '\\') {
      if (i + 1 < text.size() && (text[i + 1] == '"' || text[i + 1] == '\\')) {
        ++i;
        continue;
      }
      s.status = StringLiteralScan::Status::BadEscape;
      s.error_offset = i;
      s.error_length = i + 1 < text.size() ? 2 : 1;
      return s;
    }
  }
  s.status = StringLiteralScan::Status::Unterminated;
  return s;
}

std::string unescape_string_literal(std::string_view literal) {
  std::string out;
  out.reserve(literal.size());
  for (size_t i = 1; i + 1 < literal.size(); ++i) {
    if (literal[i] == '\\') ++i;
    out += literal[i];
  }
  return out;
}

}  // namespace rk
