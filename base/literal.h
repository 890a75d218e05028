// Rekindle base: the lexing of literals written the same way in rule files and rule test files:
// "double-quoted strings" on one line whose only escapes are \" and \\. The rule grammar
// (grammar/grammar.h) and the test-file grammar (grammar/test_file.cpp) both match and unescape
// their strings here, and raise these messages with their own diagnostic codes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace rk {

struct StringLiteralScan {
  enum class Status : uint8_t {
    NotAString,    // the text does not start with `"`
    Ok,            // a literal of `length` bytes, quotes included
    BadEscape,     // a `\` not followed by `"` or `\`, at `error_offset` (`error_length` 2, or 1
                   // at the end of the text)
    Unterminated,  // no closing `"` before the end of the line or text (`error_offset` 0: the
                   // opening quote)
  };
  Status status = Status::NotAString;
  size_t length = 0;
  size_t error_offset = 0;
  size_t error_length = 1;
};

// Scans the string literal at the start of `text`.
StringLiteralScan scan_string_literal(std::string_view text);

// The text of a literal scan_string_literal accepted (quotes included), escapes resolved.
std::string unescape_string_literal(std::string_view literal);

inline constexpr std::string_view kBadEscapeMessage =
    "unknown escape in string (only \\\" and \\\\ are allowed)";
inline constexpr std::string_view kUnterminatedStringMessage =
    "unterminated string: a string must end with `\"` on the same line";

// The match() of a PEGTL rule for a string literal (any input with begin(), current(), end() and
// bump(); base/ does not include PEGTL): consumes the literal at the input's position and returns
// true, returns false when none starts there, and throws Error{code, message, offset, length}
// (offset in the whole input) for a bad escape or an unterminated literal, with the grammar's
// own codes.
template <class Error, class Input>
bool match_string_literal(Input& in, std::string_view bad_escape_code,
                          std::string_view unterminated_code) {
  const auto scan = scan_string_literal(
      std::string_view(in.current(), static_cast<size_t>(in.end() - in.current())));
  const auto at = static_cast<size_t>(in.current() - in.begin());
  switch (scan.status) {
    case StringLiteralScan::Status::NotAString:
      return false;
    case StringLiteralScan::Status::Ok:
      in.bump(scan.length);
      return true;
    case StringLiteralScan::Status::BadEscape:
      throw Error{std::string(bad_escape_code), std::string(kBadEscapeMessage),
                  at + scan.error_offset, scan.error_length};
    case StringLiteralScan::Status::Unterminated:
      throw Error{std::string(unterminated_code), std::string(kUnterminatedStringMessage), at, 1};
  }
  return false;
}

}  // namespace rk
