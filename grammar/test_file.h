// Rekindle grammar: rule test files (`*.test`), a PEGTL grammar separate from the rule grammar.
// A test file names its rules file and as-of date, gives default field values, then named tests
// (`given FIELD = VALUE ...  expect COLUMN = VALUE ...`) and `unreachable COLUMN = VALUE` notes.
// Values use the rule language's literal syntax (dates, $250, 5%, 90 days, true/false, words,
// "strings", {a, b} lists, `missing`, offers such as `discount 20%`). Syntax errors are RK07xx
// diagnostics with file:line:col; nothing is thrown. See docs/testing.md.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "grammar/ast.h"
#include "grammar/diagnostics.h"

namespace rk::testfile {

inline constexpr size_t kMaxTestFileBytes = 16u << 20;  // 16 MiB, like rule files

enum class ValueKind : uint8_t {
  Missing,  // `missing`
  Bool,     // `true`, `false`
  Number,   // 60, -1, 0.5, $250, 5%, 90 days, 2 weeks (unit says which)
  Date,     // 2026-11-01, or relative: `today`, `today - 60 days`, `today + 1 week`
  String,   // "text"
  Word,     // a bare word: an enum value, label, status, channel, touch or rule name, `none`
  Offer,    // credit 10, points 500, discount 20% (early_access and none are words)
  List,     // {a, "b c"} (items are words or strings)
};

struct Value {
  ValueKind kind = ValueKind::Missing;
  ast::Span span;
  std::string text;  // the value as written
  bool b = false;    // Bool
  // Number: like ast::NumberLit (percent already divided by 100, weeks stored as days).
  double number = 0;
  int64_t inumber = 0;
  bool is_int = false;
  ast::Unit unit = ast::Unit::None;
  // Date: absolute days since 1970-01-01, or (relative) days added to the as-of date.
  int32_t date = 0;
  bool relative = false;
  int64_t offset_days = 0;
  // Word / String: the word or the unescaped text. Offer: the offer word (credit, points,
  // discount); `amount` is the amount as written (10, 20%).
  std::string word;
  std::string amount;
  std::vector<Value> items;  // List

  // The canonical text of a Word, String or Offer value ("discount 20%"), or the text as written.
  std::string canonical() const;
};

// `NAME = VALUE`
struct Assignment {
  std::string name;
  ast::Span name_span;
  Value value;
};

enum class ClauseKind : uint8_t { Given, Expect };

struct TestCase {
  std::string name;
  ast::Span name_span;  // the quoted name
  ast::Span span;       // the whole test
  std::vector<Assignment> given;
  std::vector<Assignment> expect;
};

// `unreachable COLUMN = VALUE  # reason`: documents an output value no customer can reach.
struct Unreachable {
  Assignment what;
  std::string reason;  // the trailing comment without `#`, trimmed (may be empty)
  ast::Span span;
};

struct TestFile {
  std::string rules_path;  // as written, relative to the test file
  ast::Span rules_span;
  std::optional<int32_t> as_of;  // days since 1970-01-01
  ast::Span as_of_span;
  std::vector<Assignment> defaults;
  ast::Span defaults_span;
  std::vector<TestCase> tests;
  std::vector<Unreachable> unreachable;
};

// Parses sources.file(file_index) as a test file. Returns nullopt after adding one RK07xx error:
//   RK0701 expected something else here; RK0702 unterminated string or unknown escape;
//   RK0703 invalid date; RK0704 number too large; RK0705 a header, defaults block, test name or
//   name in one block given twice; RK0706 `rules` or `as of` missing; RK0707 file too large.
std::optional<TestFile> parse_test_file(const SourceSet& sources, uint32_t file_index,
                                        std::vector<Diagnostic>& diags);

// Parses one value alone (e.g. the VALUE of `--given FIELD=VALUE`), with the same syntax and
// errors as in a test file.
std::optional<Value> parse_value(const SourceSet& sources, uint32_t file_index,
                                 std::vector<Diagnostic>& diags);

}  // namespace rk::testfile
