// Rekindle grammar: the PEGTL grammar and parser of rule test files (see test_file.h and
// docs/testing.md). Tokens consume their trailing whitespace and comments, so an error points at
// the next token; must<> points carry the messages of RK0701 errors.
#include "grammar/test_file.h"

#include <fmt/format.h>

#include <cctype>
#include <charconv>
#include <cmath>
#include <set>
#include <string_view>
#include <tao/pegtl.hpp>

#include "base/date.h"
#include "base/literal.h"

namespace rk::testfile {

std::string Value::canonical() const {
  switch (kind) {
    case ValueKind::Word:
    case ValueKind::String:
      return word;
    case ValueKind::Offer:
      return word + " " + amount;
    case ValueKind::Missing:
    case ValueKind::Bool:
    case ValueKind::Number:
    case ValueKind::Date:
    case ValueKind::List:
      return text;
  }
  return text;
}

namespace {

namespace pegtl = tao::pegtl;

// Thrown by actions; the parser turns it into a Diagnostic.
struct SyntaxError {
  std::string code;
  std::string message;
  size_t offset = 0;
  size_t len = 1;
};

namespace g {
using namespace tao::pegtl;  // NOLINT: the grammar is written in PEGTL's vocabulary

struct comment : seq<one<'#'>, star<not_one<'\n'>>> {};
struct ws : star<sor<space, comment>> {};
template <typename R>
struct tok : seq<R, ws> {};

// A "double-quoted string" on one line; \" and \\ are its only escapes (base/literal.h).
template <int Tag>
struct string_raw {
  using rule_t = string_raw;
  using subs_t = empty_list;
  template <typename ParseInput>
  static bool match(ParseInput& in) {
    return match_string_literal<SyntaxError>(in, "RK0702", "RK0702");
  }
};

struct k_rules : TAO_PEGTL_KEYWORD("rules") {};
struct k_as : TAO_PEGTL_KEYWORD("as") {};
struct k_of : TAO_PEGTL_KEYWORD("of") {};
struct k_defaults : TAO_PEGTL_KEYWORD("defaults") {};
struct k_test : TAO_PEGTL_KEYWORD("test") {};
struct k_given : TAO_PEGTL_KEYWORD("given") {};
struct k_expect : TAO_PEGTL_KEYWORD("expect") {};
struct k_unreachable : TAO_PEGTL_KEYWORD("unreachable") {};
struct k_today : TAO_PEGTL_KEYWORD("today") {};
struct k_missing : TAO_PEGTL_KEYWORD("missing") {};
struct k_true : TAO_PEGTL_KEYWORD("true") {};
struct k_false : TAO_PEGTL_KEYWORD("false") {};
struct k_credit : TAO_PEGTL_KEYWORD("credit") {};
struct k_points : TAO_PEGTL_KEYWORD("points") {};
struct k_discount : TAO_PEGTL_KEYWORD("discount") {};
struct unit_word : sor<TAO_PEGTL_KEYWORD("days"), TAO_PEGTL_KEYWORD("day"),
                       TAO_PEGTL_KEYWORD("weeks"), TAO_PEGTL_KEYWORD("week")> {};

// ---- Values ---------------------------------------------------------------------------------
struct digits : plus<digit> {};
struct decimal : seq<digits, opt<one<'.'>, digits>> {};
struct not_word_char : not_at<ranges<'a', 'z', 'A', 'Z', '0', '9', '_', '_'>> {};

struct v_date
    : seq<rep<4, digit>, one<'-'>, rep<2, digit>, one<'-'>, rep<2, digit>, not_word_char> {};
struct money_digits : decimal {};
struct v_money : seq<one<'$'>, must<money_digits>, not_word_char> {};
struct v_number
    : seq<opt<one<'-'>>, decimal,
          sor<seq<one<'%'>, not_word_char>, seq<not_word_char, opt<star<blank>, unit_word>>>> {};
struct days_amount : seq<decimal, star<blank>, unit_word> {};
struct v_today : seq<k_today, opt<star<blank>, one<'+', '-'>, star<blank>, must<days_amount>>> {};
struct v_string : string_raw<1> {};
struct list_word : identifier {};
struct list_string : string_raw<2> {};
struct list_item : sor<tok<list_word>, tok<list_string>> {};
struct list_close : one<'}'> {};
struct v_list
    : seq<tok<one<'{'>>, opt<list_item, star<tok<one<','>>, list_item>, opt<tok<one<','>>>>,
          must<list_close>> {};
struct v_missing : k_missing {};
struct v_true : k_true {};
struct v_false : k_false {};
struct offer_amount : seq<decimal, opt<one<'%'>>, not_word_char> {};
struct v_offer : seq<sor<k_credit, k_points, k_discount>, plus<blank>, offer_amount> {};
struct v_word : identifier {};
struct value : seq<sor<v_date, v_money, v_number, v_today, v_string, v_list, v_missing, v_true,
                       v_false, v_offer, v_word>,
                   ws> {};

// ---- Assignments ----------------------------------------------------------------------------
struct assign_name : identifier {};
struct assign_eq : tok<one<'='>> {};
struct assign_value : value {};
struct assignment : seq<tok<assign_name>, must<assign_eq>, must<assign_value>> {};
struct clause_word : sor<k_given, k_expect> {};
struct after_comma : assignment {};
struct assign_more
    : sor<seq<tok<one<','>>, must<after_comma>>, seq<not_at<clause_word>, assignment>> {};
struct given_first : assignment {};
struct expect_first : assignment {};
struct given_clause : seq<tok<k_given>, must<given_first>, star<assign_more>> {};
struct expect_clause : seq<tok<k_expect>, must<expect_first>, star<assign_more>> {};

// ---- Declarations ---------------------------------------------------------------------------
struct rules_path : tok<string_raw<3>> {};
struct rules_decl : seq<tok<k_rules>, must<rules_path>> {};
struct as_of_of : tok<k_of> {};
struct as_of_date : tok<v_date> {};
struct as_of_decl : seq<tok<k_as>, must<as_of_of>, must<as_of_date>> {};
struct defaults_open : tok<one<'{'>> {};
struct defaults_close : tok<one<'}'>> {};
struct defaults_decl : seq<tok<k_defaults>, must<defaults_open>, opt<assignment, star<assign_more>>,
                           must<defaults_close>> {};
struct test_name : tok<string_raw<4>> {};
struct test_open : tok<one<'{'>> {};
struct test_close : tok<one<'}'>> {};
struct test_start : tok<k_test> {};
struct test_decl : seq<test_start, must<test_name>, must<test_open>,
                       star<sor<given_clause, expect_clause>>, must<test_close>> {};
struct unreachable_what : assignment {};
struct unreachable_decl : seq<tok<k_unreachable>, must<unreachable_what>> {};
struct top_decl : sor<rules_decl, as_of_decl, defaults_decl, test_decl, unreachable_decl> {};
struct file_end : eof {};
struct file : seq<ws, star<top_decl>, must<file_end>> {};

struct value_end : eof {};
struct value_only : seq<ws, must<assign_value>, must<value_end>> {};

template <typename Rule>
inline constexpr const char* error_message = nullptr;
// clang-format off
template <> inline constexpr auto error_message<money_digits> = "expected digits after `$`";
template <> inline constexpr auto error_message<days_amount> = "expected a number of days (e.g. `60 days`) after `today +` / `today -`";
template <> inline constexpr auto error_message<list_close> = "expected `,` or `}` in the list";
template <> inline constexpr auto error_message<assign_eq> = "expected `=` after the name";
template <> inline constexpr auto error_message<assign_value> = "expected a value (e.g. 42, $250, 5%, 90 days, 2026-11-01, today - 60 days, true, a word, \"text\", {a, b}, discount 20% or missing)";
template <> inline constexpr auto error_message<after_comma> = "expected `NAME = VALUE` after `,`";
template <> inline constexpr auto error_message<given_first> = "expected `FIELD = VALUE` after `given`";
template <> inline constexpr auto error_message<expect_first> = "expected `COLUMN = VALUE` after `expect`";
template <> inline constexpr auto error_message<rules_path> = "expected the rules file as a \"string\" after `rules`";
template <> inline constexpr auto error_message<as_of_of> = "expected `of` after `as`";
template <> inline constexpr auto error_message<as_of_date> = "expected a date (YYYY-MM-DD) after `as of`";
template <> inline constexpr auto error_message<defaults_open> = "expected `{` after `defaults`";
template <> inline constexpr auto error_message<defaults_close> = "expected `FIELD = VALUE` or `}` in `defaults`";
template <> inline constexpr auto error_message<test_name> = "expected the test's name as a \"string\" after `test`";
template <> inline constexpr auto error_message<test_open> = "expected `{` after the test name";
template <> inline constexpr auto error_message<test_close> = "expected `given`, `expect` or `}` in the test";
template <> inline constexpr auto error_message<unreachable_what> = "expected `COLUMN = VALUE` after `unreachable`";
template <> inline constexpr auto error_message<file_end> = "expected `rules`, `as of`, `defaults`, `test` or `unreachable`";
template <> inline constexpr auto error_message<value_end> = "expected the end of the value";
// clang-format on

struct error {
  template <typename Rule>
  static constexpr auto message = error_message<Rule>;
};

}  // namespace g

// ---- Actions --------------------------------------------------------------------------------

struct State {
  State(const SourceSet& s, uint32_t f) : sources(s), file(f), base(s.file(f).text.data()) {}
  const SourceSet& sources;
  uint32_t file;
  const char* base;
  TestFile out;
  Value cur;
  std::vector<Value> items;
  std::string name;
  ast::Span name_span;
  std::vector<Assignment> assigns;
  TestCase test;
  bool have_defaults = false;
  std::set<std::string> test_names;

  size_t off(const char* p) const { return static_cast<size_t>(p - base); }
  template <typename Input>
  ast::Span span(const Input& in) const {
    return sources.span_at(file, static_cast<uint32_t>(off(in.begin())),
                           static_cast<uint32_t>(in.size()));
  }
};

[[noreturn]] void fail(std::string code, std::string message, size_t offset, size_t len) {
  throw SyntaxError{std::move(code), std::move(message), offset, len};
}

// Fills the number fields of `v` from "12", "-1", "0.5", "5%", "90 days", "2 weeks" (no `$`).
void number_from(std::string_view t, Value& v, size_t offset) {
  size_t end = 0;
  if (end < t.size() && t[end] == '-') ++end;
  while (end < t.size() && (std::isdigit(static_cast<unsigned char>(t[end])) || t[end] == '.'))
    ++end;
  const std::string_view num = t.substr(0, end);
  std::string_view rest = t.substr(end);
  v.is_int = num.find('.') == std::string_view::npos;
  if (v.is_int) {
    auto r = std::from_chars(num.data(), num.data() + num.size(), v.inumber);
    if (r.ec != std::errc())
      fail("RK0704",
           fmt::format("number `{}` is too large (the largest is 9223372036854775807)", num),
           offset, num.size());
  }
  double d = 0;
  auto r = std::from_chars(num.data(), num.data() + num.size(), d, std::chars_format::general);
  if (r.ec != std::errc() || std::isinf(d))
    fail("RK0704", fmt::format("number `{}` is too large", num), offset, num.size());
  v.number = d;
  if (!rest.empty() && rest.front() == '%') {
    v.unit = ast::Unit::Percent;
    v.number = d / 100.0;
    return;
  }
  while (!rest.empty() && (rest.front() == ' ' || rest.front() == '\t')) rest.remove_prefix(1);
  if (rest.empty()) return;
  v.unit = ast::Unit::Days;
  if (rest.substr(0, 4) == "week") {
    if (!v.is_int || __builtin_mul_overflow(v.inumber, int64_t{7}, &v.inumber))
      fail("RK0704", fmt::format("`{}` is not a whole number of days", t), offset, t.size());
    v.number = static_cast<double>(v.inumber);
  }
}

template <typename Rule>
struct action : pegtl::nothing<Rule> {};

template <typename Input>
Value start_value(const Input& in, State& st, ValueKind kind) {
  Value v;
  v.kind = kind;
  v.span = st.span(in);
  v.text = in.string();
  return v;
}

template <>
struct action<g::v_date> {
  template <typename Input>
  static void apply(const Input& in, State& st) {
    st.cur = start_value(in, st, ValueKind::Date);
    int32_t days = 0;
    if (!parse_iso_date(in.string_view(), days)) {
      const std::string t = in.string();
      const CivilDate c = *split_iso_date(t);  // v_date has the shape
      const int64_t y = c.year;
      const unsigned m = c.month;
      fail("RK0703",
           y < 1 ? fmt::format("invalid date `{}`: the year must be 0001 to 9999", t)
           : m < 1 || m > 12
               ? fmt::format("invalid date `{}`: the month must be 01 to 12", t)
               : fmt::format("invalid date `{}`: that month has no day {}", t, t.substr(8, 2)),
           st.off(in.begin()), in.size());
    }
    st.cur.date = days;
  }
};
template <>
struct action<g::v_money> {
  template <typename Input>
  static void apply(const Input& in, State& st) {
    st.cur = start_value(in, st, ValueKind::Number);
    number_from(in.string_view().substr(1), st.cur, st.off(in.begin()) + 1);
    st.cur.unit = ast::Unit::Money;
  }
};
template <>
struct action<g::v_number> {
  template <typename Input>
  static void apply(const Input& in, State& st) {
    st.cur = start_value(in, st, ValueKind::Number);
    number_from(in.string_view(), st.cur, st.off(in.begin()));
  }
};
template <>
struct action<g::v_today> {
  template <typename Input>
  static void apply(const Input& in, State& st) {
    st.cur = start_value(in, st, ValueKind::Date);
    st.cur.relative = true;
    std::string_view t = in.string_view().substr(5);
    while (!t.empty() && (t.front() == ' ' || t.front() == '\t')) t.remove_prefix(1);
    if (t.empty()) return;
    const bool minus = t.front() == '-';
    t.remove_prefix(1);
    while (!t.empty() && (t.front() == ' ' || t.front() == '\t')) t.remove_prefix(1);
    Value amount;
    number_from(t, amount, st.off(in.begin()) + in.size() - t.size());
    if (!amount.is_int)
      fail("RK0701", "expected a whole number of days after `today +` / `today -`",
           st.off(in.begin()) + in.size() - t.size(), t.size());
    st.cur.offset_days = minus ? -amount.inumber : amount.inumber;
  }
};
template <>
struct action<g::v_string> {
  template <typename Input>
  static void apply(const Input& in, State& st) {
    st.cur = start_value(in, st, ValueKind::String);
    st.cur.word = unescape_string_literal(in.string_view());
  }
};
template <>
struct action<g::list_word> {
  template <typename Input>
  static void apply(const Input& in, State& st) {
    Value v = start_value(in, st, ValueKind::Word);
    v.word = in.string();
    st.items.push_back(std::move(v));
  }
};
template <>
struct action<g::list_string> {
  template <typename Input>
  static void apply(const Input& in, State& st) {
    Value v = start_value(in, st, ValueKind::String);
    v.word = unescape_string_literal(in.string_view());
    st.items.push_back(std::move(v));
  }
};
template <>
struct action<g::v_list> {
  template <typename Input>
  static void apply(const Input& in, State& st) {
    st.cur = start_value(in, st, ValueKind::List);
    st.cur.items = std::move(st.items);
    st.items.clear();
  }
};
template <>
struct action<g::tok<pegtl::one<'{'>>> {
  template <typename Input>
  static void apply(const Input&, State& st) {
    st.items.clear();
  }
};
template <>
struct action<g::v_missing> {
  template <typename Input>
  static void apply(const Input& in, State& st) {
    st.cur = start_value(in, st, ValueKind::Missing);
  }
};
template <>
struct action<g::v_true> {
  template <typename Input>
  static void apply(const Input& in, State& st) {
    st.cur = start_value(in, st, ValueKind::Bool);
    st.cur.b = true;
  }
};
template <>
struct action<g::v_false> {
  template <typename Input>
  static void apply(const Input& in, State& st) {
    st.cur = start_value(in, st, ValueKind::Bool);
  }
};
template <>
struct action<g::v_offer> {
  template <typename Input>
  static void apply(const Input& in, State& st) {
    st.cur = start_value(in, st, ValueKind::Offer);
    const std::string_view t = in.string_view();
    const size_t sp = t.find_first_of(" \t");
    st.cur.word = std::string(t.substr(0, sp));
    std::string_view amount = t.substr(sp);
    while (!amount.empty() && (amount.front() == ' ' || amount.front() == '\t'))
      amount.remove_prefix(1);
    st.cur.amount = std::string(amount);
  }
};
template <>
struct action<g::v_word> {
  template <typename Input>
  static void apply(const Input& in, State& st) {
    st.cur = start_value(in, st, ValueKind::Word);
    st.cur.word = in.string();
  }
};
template <>
struct action<g::assign_name> {
  template <typename Input>
  static void apply(const Input& in, State& st) {
    st.name = in.string();
    st.name_span = st.span(in);
  }
};

void add_assignment(State& st) {
  for (const auto& a : st.assigns)
    if (a.name == st.name)
      fail("RK0705",
           fmt::format("`{}` is given twice here (first at line {})", st.name, a.name_span.line),
           st.name_span.offset, st.name_span.len);
  st.assigns.push_back({st.name, st.name_span, std::move(st.cur)});
  st.cur = {};
}

template <>
struct action<g::assignment> {
  template <typename Input>
  static void apply(const Input&, State& st) {
    add_assignment(st);
  }
};
template <>
struct action<g::after_comma> : action<g::assignment> {};
template <>
struct action<g::given_first> : action<g::assignment> {};
template <>
struct action<g::expect_first> : action<g::assignment> {};
template <>
struct action<g::unreachable_what> : action<g::assignment> {};
template <>
struct action<g::k_unreachable> {
  template <typename Input>
  static void apply(const Input&, State& st) {
    st.assigns.clear();
  }
};

// Appends the clause's assignments to `to`, rejecting names already given in the test.
void end_clause(State& st, std::vector<Assignment>& to) {
  for (auto& a : st.assigns) {
    for (const auto& b : to)
      if (b.name == a.name)
        fail("RK0705",
             fmt::format("`{}` is given twice in this test (first at line {})", a.name,
                         b.name_span.line),
             a.name_span.offset, a.name_span.len);
    to.push_back(std::move(a));
  }
  st.assigns.clear();
}

template <>
struct action<g::given_clause> {
  template <typename Input>
  static void apply(const Input&, State& st) {
    end_clause(st, st.test.given);
  }
};
template <>
struct action<g::expect_clause> {
  template <typename Input>
  static void apply(const Input&, State& st) {
    end_clause(st, st.test.expect);
  }
};
template <>
struct action<g::string_raw<3>> {
  template <typename Input>
  static void apply(const Input& in, State& st) {
    if (st.out.rules_span.len)
      fail("RK0705", "`rules` is given twice (a test file tests one rules file)",
           st.off(in.begin()), in.size());
    st.out.rules_path = unescape_string_literal(in.string_view());
    st.out.rules_span = st.span(in);
  }
};
template <>
struct action<g::as_of_date> {
  template <typename Input>
  static void apply(const Input& in, State& st) {
    if (st.out.as_of)
      fail("RK0705", "`as of` is given twice", st.off(in.begin()), st.cur.text.size());
    st.out.as_of = st.cur.date;
    st.out.as_of_span = st.cur.span;
    st.cur = {};
  }
};
template <>
struct action<g::k_defaults> {
  template <typename Input>
  static void apply(const Input& in, State& st) {
    if (st.have_defaults)
      fail("RK0705", "`defaults` is given twice (put every default in one block)",
           st.off(in.begin()), in.size());
    st.have_defaults = true;
    st.out.defaults_span = st.span(in);
    st.assigns.clear();
  }
};
template <>
struct action<g::defaults_decl> {
  template <typename Input>
  static void apply(const Input&, State& st) {
    st.out.defaults = std::move(st.assigns);
    st.assigns.clear();
  }
};
template <>
struct action<g::test_start> {
  template <typename Input>
  static void apply(const Input& in, State& st) {
    st.test = {};
    st.assigns.clear();
    st.test.span = st.span(in);
  }
};
template <>
struct action<g::string_raw<4>> {
  template <typename Input>
  static void apply(const Input& in, State& st) {
    st.test.name = unescape_string_literal(in.string_view());
    st.test.name_span = st.span(in);
    if (st.test.name.empty()) fail("RK0701", "a test needs a name", st.off(in.begin()), in.size());
    if (!st.test_names.insert(st.test.name).second)
      fail("RK0705", fmt::format("two tests are called \"{}\"", st.test.name), st.off(in.begin()),
           in.size());
  }
};
template <>
struct action<g::test_decl> {
  template <typename Input>
  static void apply(const Input& in, State& st) {
    const uint32_t start = st.test.span.offset;
    st.test.span =
        st.sources.span_at(st.file, start, static_cast<uint32_t>(st.off(in.end()) - start));
    st.out.tests.push_back(std::move(st.test));
    st.test = {};
  }
};
template <>
struct action<g::unreachable_decl> {
  template <typename Input>
  static void apply(const Input& in, State& st) {
    Unreachable u;
    u.what = std::move(st.assigns.back());
    st.assigns.clear();
    u.span = st.span(in);
    // The reason: a comment on the same line, right after the value.
    const std::string& text = st.sources.file(st.file).text;
    size_t p = u.what.value.span.offset + u.what.value.span.len;
    while (p < text.size() && (text[p] == ' ' || text[p] == '\t')) ++p;
    if (p < text.size() && text[p] == '#') {
      size_t e = text.find('\n', p);
      if (e == std::string::npos) e = text.size();
      std::string reason = text.substr(p + 1, e - p - 1);
      while (!reason.empty() && (reason.front() == ' ' || reason.front() == '#'))
        reason.erase(0, 1);
      while (!reason.empty() && (reason.back() == ' ' || reason.back() == '\r')) reason.pop_back();
      u.reason = std::move(reason);
    }
    st.out.unreachable.push_back(std::move(u));
  }
};

template <typename Rule>
using control = pegtl::must_if<g::error>::control<Rule>;

// What sits at `offset`, for "..., found X".
std::string describe(std::string_view text, size_t offset, size_t& len) {
  len = 1;
  if (offset >= text.size()) {
    len = 0;
    return "the end of the file";
  }
  auto word_char = [](char ch) {
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
           ch == '_';
  };
  const unsigned char c = static_cast<unsigned char>(text[offset]);
  if (c == ' ' || c == '\t') return "a space";
  if (c == '\n' || c == '\r') return "the end of the line";
  if (word_char(static_cast<char>(c)) || c == '$') {
    const bool numeric = c >= '0' && c <= '9';  // dates: 2026-11-01
    size_t e = offset + 1;
    while (
        e < text.size() &&
        (word_char(text[e]) || text[e] == '.' || text[e] == '%' || (numeric && text[e] == '-')) &&
        e - offset < 40)
      ++e;
    len = e - offset;
    return fmt::format("`{}`", text.substr(offset, len));
  }
  if (c == '"') return "a string";
  if (c >= 0x21 && c < 0x7f) return fmt::format("`{}`", static_cast<char>(c));
  if (c >= 0xc0 && c < 0xf8) {
    const size_t n = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2;
    if (offset + n <= text.size()) {
      len = n;
      return fmt::format("`{}`", text.substr(offset, n));
    }
  }
  return fmt::format("byte 0x{:02X}", c);
}

template <typename Grammar>
bool run(const SourceSet& sources, uint32_t file_index, std::vector<Diagnostic>& diags, State& st) {
  const SourceFile& src = sources.file(file_index);
  auto add_error = [&](std::string code, std::string message, size_t offset, size_t len) {
    offset = std::min(offset, src.text.size());
    diags.push_back(Diagnostic{
        Severity::Error,
        std::move(code),
        std::move(message),
        sources.span_at(file_index, static_cast<uint32_t>(offset), static_cast<uint32_t>(len)),
        {},
        ""});
  };
  if (src.text.size() > kMaxTestFileBytes) {
    add_error("RK0707",
              fmt::format("`{}` is too large ({} bytes; the limit is {} bytes)", src.path,
                          src.text.size(), kMaxTestFileBytes),
              0, 0);
    return false;
  }
  try {
    pegtl::memory_input<pegtl::tracking_mode::lazy> in(src.text.data(), src.text.size(), src.path);
    if (!pegtl::parse<Grammar, action, control>(in, st)) {
      add_error("RK0701", "expected a test file", 0, 1);
      return false;
    }
  } catch (const SyntaxError& e) {
    add_error(e.code, e.message, e.offset, e.len);
    return false;
  } catch (const pegtl::parse_error& e) {
    const size_t offset = e.positions().empty() ? 0 : e.positions().front().byte;
    size_t len = 1;
    const std::string found = describe(src.text, offset, len);
    add_error("RK0701", fmt::format("{}, found {}", e.message(), found), offset, len);
    return false;
  } catch (const std::exception& e) {
    add_error("RK0701", fmt::format("internal parser error: {}", e.what()), 0, 0);
    return false;
  }
  return true;
}

}  // namespace

std::optional<TestFile> parse_test_file(const SourceSet& sources, uint32_t file_index,
                                        std::vector<Diagnostic>& diags) {
  State st(sources, file_index);
  if (!run<g::file>(sources, file_index, diags, st)) return std::nullopt;
  if (st.out.rules_span.len == 0) {
    diags.push_back({Severity::Error,
                     "RK0706",
                     "the test file does not say which rules it tests",
                     sources.span_at(file_index, 0, 0),
                     {},
                     "add e.g. `rules \"winback.rules\"` at the top"});
    return std::nullopt;
  }
  if (!st.out.as_of) {
    diags.push_back({Severity::Error,
                     "RK0706",
                     "the test file does not give the as-of date of its tests",
                     sources.span_at(file_index, 0, 0),
                     {},
                     "add e.g. `as of 2026-11-01` at the top"});
    return std::nullopt;
  }
  return std::move(st.out);
}

std::optional<Value> parse_value(const SourceSet& sources, uint32_t file_index,
                                 std::vector<Diagnostic>& diags) {
  State st(sources, file_index);
  if (!run<g::value_only>(sources, file_index, diags, st)) return std::nullopt;
  return std::move(st.cur);
}

}  // namespace rk::testfile
