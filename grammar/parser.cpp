// Rekindle grammar: the parser. Runs the PEGTL grammar of grammar.h with actions that build the
// AST (an operand stack for expressions, scratch slots for declarations), a control that raises
// precise syntax errors and limits nesting, and turns every failure into an RK01xx Diagnostic.
#include "grammar/parser.h"

#include <fmt/format.h>

#include <cctype>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <new>
#include <optional>
#include <type_traits>

#include "base/date.h"
#include "grammar/grammar.h"

namespace rk {
namespace {

namespace g = rk::grammar;
namespace pegtl = tao::pegtl;

bool is_space(char c) {
  return c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\v' || c == '\f';
}

struct Operand {
  ast::ExprId id;
  uint32_t begin;  // where the operand starts in the source (its opening parenthesis included)
};

struct CommentRec {
  uint32_t begin;
  uint32_t end;  // trailing whitespace excluded
  bool doc;
};

// Everything the actions build while the grammar runs.
struct State {
  State(const SourceSet& s, uint32_t f) : sources(s), file(f), text(s.file(f).text) {
    base = text.data();
  }

  const SourceSet& sources;
  uint32_t file;
  std::string_view text;
  const char* base = nullptr;
  ast::File out;
  int depth = 0;

  std::vector<Operand> operands;
  std::vector<std::pair<ast::BinOp, ast::Span>> ops;
  std::vector<ast::SetItem> items;
  std::vector<std::pair<std::string, ast::Span>> names;
  std::vector<CommentRec> comments;

  // Declaration scratch.
  std::vector<ast::LabelRule> labels;
  std::vector<ast::ScoreLine> score_lines;
  std::string points;
  ast::Span points_span;
  ast::SequenceDecl seq;
  ast::TypeRef type;
  bool nullable = false;
  bool key = false;
  std::optional<ast::FieldRange> range;
  bool range_lower = true, range_inclusive = true;  // the operator of `>= 0` and the like
  std::string str;
  ast::Span str_span;
  bool has_str = false;
  std::string member;
  ast::Span member_span;
  ast::ExprId requires_ = ast::kNoExpr;
  ast::ExprId touch_offer = ast::kNoExpr;
  ast::ExprId touch_only = ast::kNoExpr;
  ast::ExprId cap_cond = ast::kNoExpr;
  bool guarantee_always = false;  // `always` rather than `never`
  ast::Span guarantee_kind_span;
  ast::ExprId variant_offer = ast::kNoExpr;
  // `subject "..."` / `body "..."` just read, and the touch's own (before its variants).
  ast::MessageText subject, body, touch_subject, touch_body;
  std::vector<ast::VariantDecl> variants;  // of the touch being parsed
  std::optional<ast::SendsAt> sends;       // of the channel being parsed
  std::vector<std::pair<std::string, ast::Span>> weekdays;
  std::string clock;
  ast::Span clock_span;
  bool owner_has_field = false;  // `owner FIELD ...` (not a text alone)

  // The segment or sequence whose `{` is open (for "missing `}`" when a declaration follows).
  struct OpenBlock {
    std::string_view kind;  // "segment" or "sequence"
    std::string name;
    uint32_t brace = 0;  // offset of its `{`
  };
  std::optional<OpenBlock> open_block;

  uint32_t off(const char* p) const { return static_cast<uint32_t>(p - base); }
  ast::Span span(uint32_t b, uint32_t e) const { return sources.span_at(file, b, e - b); }

  // The end of the last token before `pos`: skips back over whitespace and comments.
  uint32_t trim_end(uint32_t pos) const {
    for (;;) {
      while (pos > 0 && is_space(text[pos - 1])) --pos;
      auto it = std::lower_bound(comments.begin(), comments.end(), pos,
                                 [](const CommentRec& c, uint32_t p) { return c.begin < p; });
      if (it == comments.begin()) return pos;
      --it;
      if (it->end != pos) return pos;
      pos = it->begin;
    }
  }
  uint32_t trim_end(const char* p) const { return trim_end(off(p)); }

  template <typename Input>
  ast::Span token_span(const Input& in) const {
    return span(off(in.begin()), trim_end(in.end()));
  }

  ast::ExprId add(ast::ExprKind kind, uint32_t b, uint32_t e) {
    out.exprs.push_back(ast::Expr{std::move(kind), span(b, e)});
    return static_cast<ast::ExprId>(out.exprs.size() - 1);
  }
  void push(ast::ExprKind kind, uint32_t b, uint32_t e) {
    operands.push_back({add(std::move(kind), b, e), b});
  }
  Operand pop() {
    Operand o = operands.back();
    operands.pop_back();
    return o;
  }
  std::pair<std::string, ast::Span> pop_name() {
    auto n = std::move(names.back());
    names.pop_back();
    return n;
  }

  bool gap_is_one_line_break(uint32_t a, uint32_t b) const {
    int breaks = 0;
    for (uint32_t i = a; i < b; ++i) {
      if (!is_space(text[i])) return false;
      if (text[i] == '\n') ++breaks;
    }
    return breaks == 1;
  }
  bool starts_line(uint32_t pos) const {
    while (pos > 0 && (text[pos - 1] == ' ' || text[pos - 1] == '\t')) --pos;
    return pos == 0 || text[pos - 1] == '\n';
  }

  // The `##` lines directly above `begin` (each on its own line, no blank line in between).
  std::string doc_before(uint32_t begin) const {
    auto it = std::lower_bound(comments.begin(), comments.end(), begin,
                               [](const CommentRec& c, uint32_t p) { return c.begin < p; });
    std::vector<std::string_view> lines;
    uint32_t next = begin;
    while (it != comments.begin()) {
      --it;
      if (!it->doc || !gap_is_one_line_break(it->end, next) || !starts_line(it->begin)) break;
      std::string_view line = text.substr(it->begin + 2, it->end - it->begin - 2);
      if (!line.empty() && line.front() == ' ') line.remove_prefix(1);
      lines.push_back(line);
      next = it->begin;
    }
    std::string doc;
    for (auto l = lines.rbegin(); l != lines.rend(); ++l) {
      if (!doc.empty()) doc += '\n';
      doc += *l;
    }
    return doc;
  }
};

[[noreturn]] void fail(std::string code, std::string message, uint32_t offset, uint32_t len) {
  throw g::SyntaxError{std::move(code), std::move(message), offset, len};
}

// ---- Actions ---------------------------------------------------------------------------------

template <typename Rule>
struct action : pegtl::nothing<Rule> {};

template <>
struct action<g::comment> {
  template <typename Input>
  static void apply(const Input& in, State& st) {
    uint32_t b = st.off(in.begin());
    uint32_t e = st.off(in.end());
    if (!st.comments.empty() && b <= st.comments.back().begin) return;  // seen before backtracking
    while (e > b + 1 && is_space(st.text[e - 1])) --e;
    const std::string_view t = st.text.substr(b, e - b);
    const bool doc = t.size() >= 2 && t[1] == '#' && (t.size() == 2 || t[2] != '#');
    st.comments.push_back({b, e, doc});
  }
};

// Literals.
template <>
struct action<g::number_lit> {
  template <typename Input>
  static void apply(const Input& in, State& st) {
    const uint32_t b = st.off(in.begin());
    const uint32_t e = st.trim_end(in.end());
    const std::string_view t = st.text.substr(b, e - b);
    ast::NumberLit n;
    n.text = std::string(t);
    size_t i = 0;
    if (t[0] == '$') {
      n.unit = ast::Unit::Money;
      i = 1;
    }
    size_t j = i;
    while (j < t.size() && t[j] >= '0' && t[j] <= '9') ++j;
    n.is_int = !(j < t.size() && t[j] == '.');
    if (!n.is_int) {
      ++j;
      while (j < t.size() && t[j] >= '0' && t[j] <= '9') ++j;
    }
    const std::string digits(t.substr(i, j - i));
    int64_t factor = 1;
    // What follows the digits: nothing, `%`, or white space and a day unit; anything else ran on
    // from the number (grammar.h, number_junk).
    std::string_view rest = t.substr(j);
    bool junk = false;
    if (!rest.empty()) {
      if (n.unit == ast::Unit::Money) {
        junk = true;
      } else if (rest[0] == '%') {
        n.unit = ast::Unit::Percent;
        junk = rest.size() > 1;
      } else {
        n.unit = ast::Unit::Days;
        // A unit written apart (white space or a comment before it) is the last word; anything
        // attached to the digits must be the unit itself (`5days`), or it ran on (`1e300`).
        const auto c = static_cast<unsigned char>(rest[0]);
        const bool attached = std::isalnum(c) || c == '_';
        const std::string_view word =
            attached ? rest : rest.substr(rest.find_last_of(" \t\r\n") + 1);
        if (word == "week" || word == "weeks")
          factor = 7;
        else if (word != "day" && word != "days")
          junk = true;
      }
    }
    if (junk)
      fail("RK0109",
           fmt::format("`{}` is not a number: letters or digits run on from `{}` (write numbers "
                       "out in full)",
                       t, t.substr(0, j)),
           b, e - b);
    if (n.unit == ast::Unit::Days && !n.is_int)
      fail("RK0110", fmt::format("`{}`: a number of days must be whole", t), b, e - b);
    const auto too_large = [&] {
      fail("RK0105", fmt::format("number `{}` is too large (the largest is {})", t, INT64_MAX), b,
           e - b);
    };
    double value = std::strtod(digits.c_str(), nullptr);
    if (!std::isfinite(value)) too_large();
    if (n.is_int) {
      int64_t iv = 0;
      auto [p, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), iv);
      if (ec != std::errc() || p != digits.data() + digits.size()) too_large();
      if (iv > INT64_MAX / factor) too_large();
      n.ivalue = iv * factor;
    }
    if (n.unit == ast::Unit::Percent) {
      value = value / 100.0;
    } else if (factor != 1) {
      value = n.is_int ? static_cast<double>(n.ivalue) : value * 7.0;
    }
    n.value = value;
    st.push(std::move(n), b, e);
  }
};

template <>
struct action<g::date_lit> {
  template <typename Input>
  static void apply(const Input& in, State& st) {
    const uint32_t b = st.off(in.begin());
    const std::string t = in.string();
    const CivilDate c = *split_iso_date(t);  // date_lit has the shape
    const int64_t y = c.year;
    const unsigned m = c.month, d = c.day;
    const uint32_t len = static_cast<uint32_t>(t.size());
    if (m < 1 || m > 12)
      fail("RK0104", fmt::format("invalid date `{}`: the month must be 01 to 12", t), b, len);
    if (y < 1)
      fail("RK0104", fmt::format("invalid date `{}`: the year must be 0001 to 9999", t), b, len);
    const unsigned last = days_in_month(y, m);
    if (d < 1 || d > last)
      fail("RK0104", fmt::format("invalid date `{}`: {} {} has {} days", t, month_name(m), y, last),
           b, len);
    st.push(ast::DateLit{static_cast<int32_t>(days_from_civil(y, m, d)), t}, b, b + len);
  }
};

template <>
struct action<g::string_lit> {
  template <typename Input>
  static void apply(const Input& in, State& st) {
    st.push(ast::StringLit{unescape_string_literal(in.string_view())}, st.off(in.begin()),
            st.off(in.end()));
  }
};

template <typename Input>
void push_leaf(const Input& in, State& st, ast::ExprKind&& kind) {
  st.push(std::move(kind), st.off(in.begin()), st.off(in.end()));
}

template <>
struct action<g::true_lit> {
  template <typename Input>
  static void apply(const Input& in, State& st) {
    push_leaf(in, st, ast::BoolLit{true});
  }
};
template <>
struct action<g::false_lit> {
  template <typename Input>
  static void apply(const Input& in, State& st) {
    push_leaf(in, st, ast::BoolLit{false});
  }
};
template <>
struct action<g::today_lit> {
  template <typename Input>
  static void apply(const Input& in, State& st) {
    push_leaf(in, st, ast::Today{});
  }
};
template <>
struct action<g::candidate_ref> {
  template <typename Input>
  static void apply(const Input& in, State& st) {
    push_leaf(in, st, ast::Name{"candidate"});
  }
};
template <>
struct action<g::ref_name_raw> {
  template <typename Input>
  static void apply(const Input& in, State& st) {
    push_leaf(in, st, ast::Name{in.string()});
  }
};

template <>
struct action<g::days_since> {
  template <typename Input>
  static void apply(const Input& in, State& st) {
    const Operand date = st.pop();
    // The word after `days` (whitespace and comments may sit in between).
    size_t p = st.off(in.begin()) + 4;
    for (;;) {
      while (p < st.text.size() && is_space(st.text[p])) ++p;
      if (p < st.text.size() && st.text[p] == '#') {
        while (p < st.text.size() && st.text[p] != '\n') ++p;
        continue;
      }
      break;
    }
    const bool until = st.text.substr(p, 5) == "until";
    st.push(ast::DaysSince{date.id, until}, st.off(in.begin()), st.trim_end(in.end()));
  }
};

template <ast::OfferKind K, typename Kw>
struct action<g::offer_word<K, Kw>> {
  template <typename Input>
  static void apply(const Input& in, State& st) {
    st.push(ast::OfferLit{K, ast::kNoExpr}, st.off(in.begin()), st.trim_end(in.end()));
  }
};
template <ast::OfferKind K, typename Kw>
struct action<g::offer_amount<K, Kw>> {
  template <typename Input>
  static void apply(const Input& in, State& st) {
    const uint32_t b = st.off(in.begin());
    const uint32_t e = st.trim_end(in.end());
    const uint32_t word_end = b + static_cast<uint32_t>(g::ident_length(in.begin(), in.end()));
    ast::ExprId amount = ast::kNoExpr;
    if (e > word_end) amount = st.pop().id;
    st.push(ast::OfferLit{K, amount}, b, e);
  }
};

template <>
struct action<g::paren> {
  template <typename Input>
  static void apply(const Input& in, State& st) {
    st.operands.back().begin = st.off(in.begin());
  }
};

template <>
struct action<g::member_raw> {
  template <typename Input>
  static void apply(const Input& in, State& st) {
    st.member = in.string();
    st.member_span = st.span(st.off(in.begin()), st.off(in.end()));
  }
};
template <>
struct action<g::member_tail> {
  template <typename Input>
  static void apply(const Input& in, State& st) {
    const Operand obj = st.pop();
    st.push(ast::Member{obj.id, st.member, st.member_span}, obj.begin, st.trim_end(in.end()));
  }
};

template <ast::UnOp Op>
struct unary_action {
  template <typename Input>
  static void apply(const Input& in, State& st) {
    const Operand x = st.pop();
    st.push(ast::Unary{Op, x.id}, st.off(in.begin()), st.trim_end(in.end()));
  }
};
template <>
struct action<g::neg> : unary_action<ast::UnOp::Neg> {};
template <>
struct action<g::not_prefix> : unary_action<ast::UnOp::Not> {};

template <typename R, ast::BinOp Op>
struct action<g::op_tok<R, Op>> {
  template <typename Input>
  static void apply(const Input& in, State& st) {
    st.ops.emplace_back(Op, st.token_span(in));
  }
};
template <>
struct action<g::at_op> {
  template <typename Input>
  static void apply(const Input& in, State& st) {
    const ast::Span s = st.token_span(in);
    const bool most = st.text.substr(s.offset + s.len - 4, 4) == "most";
    st.ops.emplace_back(most ? ast::BinOp::Le : ast::BinOp::Ge, s);
  }
};

struct binary_action {
  template <typename Input>
  static void apply(const Input& in, State& st) {
    const Operand rhs = st.pop();
    const Operand lhs = st.pop();
    const auto [op, op_span] = st.ops.back();
    st.ops.pop_back();
    st.push(ast::Binary{op, lhs.id, rhs.id, op_span}, lhs.begin, st.trim_end(in.end()));
  }
};
template <>
struct action<g::mul_tail> : binary_action {};
template <>
struct action<g::add_tail> : binary_action {};
template <>
struct action<g::sym_cmp> : binary_action {};
template <>
struct action<g::word_cmp> : binary_action {};
template <>
struct action<g::and_tail> : binary_action {};
template <>
struct action<g::or_tail> : binary_action {};

template <>
struct action<g::if_expr> {
  template <typename Input>
  static void apply(const Input& in, State& st) {
    const Operand e = st.pop();
    const Operand t = st.pop();
    const Operand c = st.pop();
    st.push(ast::IfExpr{c.id, t.id, e.id}, st.off(in.begin()), st.trim_end(in.end()));
  }
};

// Sets.
template <>
struct action<g::set_open> {
  template <typename Input>
  static void apply(const Input&, State& st) {
    st.items.clear();
  }
};
template <>
struct action<g::has_kw> {
  template <typename Input>
  static void apply(const Input&, State& st) {
    st.items.clear();
  }
};
template <>
struct action<g::set_word> {
  template <typename Input>
  static void apply(const Input& in, State& st) {
    st.items.push_back({in.string(), false, st.span(st.off(in.begin()), st.off(in.end()))});
  }
};
template <>
struct action<g::set_string> {
  template <typename Input>
  static void apply(const Input& in, State& st) {
    st.items.push_back({unescape_string_literal(in.string_view()), true,
                        st.span(st.off(in.begin()), st.off(in.end()))});
  }
};

// Tests: the subject is the operand below the test's own operands.
template <typename Input>
void push_test(const Input& in, State& st, const Operand& subject, ast::ExprKind&& kind) {
  st.push(std::move(kind), subject.begin, st.trim_end(in.end()));
}

template <bool Neg>
struct action<g::is_one_of<Neg>> {
  template <typename Input>
  static void apply(const Input& in, State& st) {
    const Operand s = st.pop();
    ast::Is is{s.id, ast::IsKind::OneOf, Neg, ast::kNoExpr, std::move(st.items)};
    st.items.clear();
    push_test(in, st, s, std::move(is));
  }
};
// `is not missing` is stored as `is present` and `is not present` as `is missing`.
template <bool Neg>
struct action<g::is_missing<Neg>> {
  template <typename Input>
  static void apply(const Input& in, State& st) {
    const Operand s = st.pop();
    push_test(
        in, st, s,
        ast::Is{s.id, Neg ? ast::IsKind::Present : ast::IsKind::Missing, false, ast::kNoExpr, {}});
  }
};
template <bool Neg>
struct action<g::is_present<Neg>> {
  template <typename Input>
  static void apply(const Input& in, State& st) {
    const Operand s = st.pop();
    push_test(
        in, st, s,
        ast::Is{s.id, Neg ? ast::IsKind::Missing : ast::IsKind::Present, false, ast::kNoExpr, {}});
  }
};
template <bool Neg>
struct action<g::is_value<Neg>> {
  template <typename Input>
  static void apply(const Input& in, State& st) {
    const Operand v = st.pop();
    const Operand s = st.pop();
    push_test(in, st, s, ast::Is{s.id, ast::IsKind::Value, Neg, v.id, {}});
  }
};
template <bool Neg>
struct action<g::in_set<Neg>> {
  template <typename Input>
  static void apply(const Input& in, State& st) {
    const Operand s = st.pop();
    ast::InSet set{s.id, Neg, std::move(st.items)};
    st.items.clear();
    push_test(in, st, s, std::move(set));
  }
};
template <bool Neg>
struct action<g::in_range<Neg>> {
  template <typename Input>
  static void apply(const Input& in, State& st) {
    const Operand hi = st.pop();
    const Operand lo = st.pop();
    const Operand s = st.pop();
    push_test(in, st, s, ast::InRange{s.id, Neg, lo.id, hi.id});
  }
};
template <ast::HasKind K, typename Kw>
struct action<g::has_quant<K, Kw>> {
  template <typename Input>
  static void apply(const Input& in, State& st) {
    const Operand s = st.pop();
    ast::Has has{s.id, K, std::move(st.items)};
    st.items.clear();
    push_test(in, st, s, std::move(has));
  }
};
template <>
struct action<g::has_item> {
  template <typename Input>
  static void apply(const Input& in, State& st) {
    const Operand s = st.pop();
    ast::Has has{s.id, ast::HasKind::Any, std::move(st.items)};
    st.items.clear();
    push_test(in, st, s, std::move(has));
  }
};

// ---- Declarations ----------------------------------------------------------------------------

struct name_action {
  template <typename Input>
  static void apply(const Input& in, State& st) {
    st.names.emplace_back(in.string(), st.span(st.off(in.begin()), st.off(in.end())));
  }
};
template <>
struct action<g::decl_name_raw> : name_action {};
template <>
struct action<g::offer_word_name_raw> : name_action {};

struct string_slot_action {
  template <typename Input>
  static void apply(const Input& in, State& st) {
    st.str = unescape_string_literal(in.string_view());
    st.str_span = st.span(st.off(in.begin()), st.off(in.end()));
    st.has_str = true;
  }
};
template <>
struct action<g::import_path_raw> : string_slot_action {};
template <>
struct action<g::reason_raw> : string_slot_action {};
template <>
struct action<g::salt_raw> : string_slot_action {};
template <>
struct action<g::local_zone_raw> : string_slot_action {};
template <>
struct action<g::owner_text_raw> : string_slot_action {};

// Begin offset, whole-decl span and doc comment of a declaration being completed.
struct DeclInfo {
  uint32_t begin;
  ast::Span span;
  std::string doc;
};
template <typename Input>
DeclInfo decl_info(const Input& in, State& st) {
  const uint32_t b = st.off(in.begin());
  return {b, st.span(b, st.trim_end(in.end())), st.doc_before(b)};
}

template <>
struct action<g::schema_head> {
  template <typename Input>
  static void apply(const Input&, State& st) {
    st.out.is_schema = true;
    st.out.schema_name = st.pop_name().first;
  }
};
template <ast::TypeKind K, typename Kw>
struct action<g::simple_type<K, Kw>> {
  template <typename Input>
  static void apply(const Input& in, State& st) {
    st.type = ast::TypeRef{K, {}, st.token_span(in)};
  }
};
template <>
struct action<g::type_enum> {
  template <typename Input>
  static void apply(const Input& in, State& st) {
    st.type = ast::TypeRef{ast::TypeKind::Enum, std::move(st.items), st.token_span(in)};
    st.items.clear();
  }
};
template <>
struct action<g::type_list> {
  template <typename Input>
  static void apply(const Input& in, State& st) {
    st.type = ast::TypeRef{ast::TypeKind::StringList, {}, st.token_span(in)};
  }
};
template <>
struct action<g::nullable_mark> {
  template <typename Input>
  static void apply(const Input&, State& st) {
    st.nullable = true;
  }
};
template <>
struct action<g::key_mark> {
  template <typename Input>
  static void apply(const Input&, State& st) {
    st.key = true;
  }
};
template <>
struct action<g::range_neg> : unary_action<ast::UnOp::Neg> {};
template <bool Lower, bool Inclusive>
struct action<g::range_op<Lower, Inclusive>> {
  template <typename Input>
  static void apply(const Input&, State& st) {
    st.range_lower = Lower;
    st.range_inclusive = Inclusive;
  }
};
template <>
struct action<g::field_range_cmp> {
  template <typename Input>
  static void apply(const Input& in, State& st) {
    const Operand x = st.pop();
    ast::FieldRange r;
    (st.range_lower ? r.lo : r.hi) = x.id;
    (st.range_lower ? r.lo_inclusive : r.hi_inclusive) = st.range_inclusive;
    r.span = st.token_span(in);
    st.range = r;
  }
};
template <>
struct action<g::field_range_span> {
  template <typename Input>
  static void apply(const Input& in, State& st) {
    const Operand hi = st.pop();
    const Operand lo = st.pop();
    st.range = ast::FieldRange{lo.id, hi.id, true, true, st.token_span(in)};
  }
};
template <>
struct action<g::field_decl> {
  template <typename Input>
  static void apply(const Input& in, State& st) {
    auto info = decl_info(in, st);
    auto [name, name_span] = st.pop_name();
    ast::FieldDecl f{std::move(name), name_span,           std::move(st.type), st.nullable,
                     st.key,          std::move(info.doc), info.span,          st.range};
    st.type = {};
    st.nullable = st.key = false;
    st.range.reset();
    st.out.decls.push_back({std::move(f)});
  }
};

template <>
struct action<g::import_decl> {
  template <typename Input>
  static void apply(const Input& in, State& st) {
    st.out.decls.push_back({ast::ImportDecl{std::move(st.str), decl_info(in, st).span}});
    st.has_str = false;
  }
};

template <typename Decl>
struct value_decl_action {
  template <typename Input>
  static void apply(const Input& in, State& st) {
    auto info = decl_info(in, st);
    const Operand v = st.pop();
    auto [name, name_span] = st.pop_name();
    st.out.decls.push_back(
        {Decl{std::move(name), name_span, v.id, std::move(info.doc), info.span}});
  }
};
template <>
struct action<g::parameter_decl> : value_decl_action<ast::ParamDecl> {};
template <>
struct action<g::let_decl> : value_decl_action<ast::LetDecl> {};

template <>
struct action<g::label_otherwise> {
  template <typename Input>
  static void apply(const Input& in, State& st) {
    auto info = decl_info(in, st);
    auto [name, name_span] = st.pop_name();
    st.labels.push_back(
        {std::move(name), name_span, ast::kNoExpr, true, std::move(info.doc), info.span});
  }
};
template <>
struct action<g::label_rule> {
  template <typename Input>
  static void apply(const Input& in, State& st) {
    auto info = decl_info(in, st);
    const Operand c = st.pop();
    auto [name, name_span] = st.pop_name();
    st.labels.push_back({std::move(name), name_span, c.id, false, std::move(info.doc), info.span});
  }
};
// A block's `{` and `}`: remembered while open (the name is on the name stack until the end of
// the declaration).
template <typename Rule>
struct open_block_action {
  template <typename Input>
  static void apply(const Input& in, State& st) {
    const bool seq = std::is_same_v<Rule, g::sequence_open>;
    st.open_block =
        State::OpenBlock{seq ? "sequence" : "segment",
                         st.names.empty() ? "" : st.names.back().first, st.off(in.begin())};
  }
};
template <>
struct action<g::segment_open> : open_block_action<g::segment_open> {};
template <>
struct action<g::sequence_open> : open_block_action<g::sequence_open> {};
template <typename Input>
void close_block(const Input&, State& st) {
  st.open_block.reset();
}
template <>
struct action<g::segment_close> {
  template <typename Input>
  static void apply(const Input& in, State& st) {
    close_block(in, st);
  }
};
template <>
struct action<g::sequence_close> {
  template <typename Input>
  static void apply(const Input& in, State& st) {
    close_block(in, st);
  }
};

template <>
struct action<g::score_number> {
  template <typename Input>
  static void apply(const Input& in, State& st) {
    st.points = in.string();
    st.points_span = st.token_span(in);
  }
};
template <>
struct action<g::score_line> {
  template <typename Input>
  static void apply(const Input& in, State& st) {
    auto info = decl_info(in, st);
    const Operand c = st.pop();
    st.score_lines.push_back(
        {std::move(st.points), st.points_span, c.id, std::move(info.doc), info.span});
    st.points.clear();
  }
};
template <>
struct action<g::guarantee_never> {
  template <typename Input>
  static void apply(const Input& in, State& st) {
    st.guarantee_always = false;
    st.guarantee_kind_span = st.token_span(in);
  }
};
template <>
struct action<g::guarantee_always> {
  template <typename Input>
  static void apply(const Input& in, State& st) {
    st.guarantee_always = true;
    st.guarantee_kind_span = st.token_span(in);
  }
};
template <>
struct action<g::guarantee_decl> {
  template <typename Input>
  static void apply(const Input& in, State& st) {
    auto info = decl_info(in, st);
    const Operand c = st.pop();
    auto [name, name_span] = st.pop_name();
    ast::GuaranteeDecl gd{
        std::move(name),     name_span, st.guarantee_always, st.guarantee_kind_span, c.id,
        std::move(info.doc), info.span};
    st.out.decls.push_back({std::move(gd)});
  }
};
template <>
struct action<g::score_decl> {
  template <typename Input>
  static void apply(const Input& in, State& st) {
    auto info = decl_info(in, st);
    auto [name, name_span] = st.pop_name();
    ast::ScoreDecl s{std::move(name), name_span, std::move(st.score_lines), std::move(info.doc),
                     info.span};
    st.score_lines.clear();
    st.out.decls.push_back({std::move(s)});
  }
};

template <>
struct action<g::segment_decl> {
  template <typename Input>
  static void apply(const Input& in, State& st) {
    auto info = decl_info(in, st);
    auto [name, name_span] = st.pop_name();
    ast::SegmentDecl s{std::move(name), name_span, std::move(st.labels), std::move(info.doc),
                       info.span};
    st.labels.clear();
    st.out.decls.push_back({std::move(s)});
  }
};
template <>
struct action<g::candidate_decl> {
  template <typename Input>
  static void apply(const Input& in, State& st) {
    auto info = decl_info(in, st);
    const Operand c = st.pop();
    st.out.decls.push_back({ast::CandidateDecl{c.id, std::move(info.doc), info.span}});
  }
};
template <ast::RuleKind K, typename Kw>
struct action<g::rule_decl<K, Kw>> {
  template <typename Input>
  static void apply(const Input& in, State& st) {
    auto info = decl_info(in, st);
    const Operand c = st.pop();
    auto [name, name_span] = st.pop_name();
    ast::RuleDecl r{std::move(name), name_span, c.id, {}, {}, std::move(info.doc), info.span};
    if (st.has_str) {
      r.reason = std::move(st.str);
      r.reason_span = st.str_span;
      st.has_str = false;
    }
    st.out.decls.push_back({std::move(r), K});
  }
};

// Sequence clauses fill st.seq; a clause given twice is an error.
template <typename Input>
void once(const Input& in, State& st, bool already, std::string_view clause) {
  if (!already) return;
  const uint32_t b = st.off(in.begin());
  fail("RK0101", fmt::format("`{}` is given twice in this sequence", clause), b,
       static_cast<uint32_t>(clause.size()));
}

template <>
struct action<g::enter_clause> {
  template <typename Input>
  static void apply(const Input& in, State& st) {
    const Operand c = st.pop();
    once(in, st, st.seq.enter != ast::kNoExpr, "enter");
    st.seq.enter = c.id;
  }
};
template <>
struct action<g::progress_clause> {
  template <typename Input>
  static void apply(const Input& in, State& st) {
    auto date = st.pop_name();
    auto touch = st.pop_name();
    once(in, st, st.seq.progress_touch.has_value(), "progress");
    st.seq.progress_touch = std::move(touch);
    st.seq.progress_date = std::move(date);
  }
};
template <>
struct action<g::wait_clause> {
  template <typename Input>
  static void apply(const Input& in, State& st) {
    const Operand w = st.pop();
    once(in, st, st.seq.wait != ast::kNoExpr, "wait");
    st.seq.wait = w.id;
  }
};
template <>
struct action<g::holdout_clause> {
  template <typename Input>
  static void apply(const Input& in, State& st) {
    const Operand share = st.pop();
    once(in, st, st.seq.holdout_share != ast::kNoExpr, "holdout");
    st.seq.holdout_share = share.id;
    st.seq.holdout_salt = std::move(st.str);
    st.seq.holdout_span = decl_info(in, st).span;
    st.has_str = false;
  }
};
template <>
struct action<g::exit_clause> {
  template <typename Input>
  static void apply(const Input& in, State& st) {
    const Operand c = st.pop();
    auto [name, name_span] = st.pop_name();
    st.seq.exits.push_back({std::move(name), name_span, c.id, decl_info(in, st).span});
  }
};
template <>
struct action<g::requires_part> {
  template <typename Input>
  static void apply(const Input&, State& st) {
    st.requires_ = st.pop().id;
  }
};
template <>
struct action<g::clock_raw> {
  template <typename Input>
  static void apply(const Input& in, State& st) {
    st.clock = in.string();
    st.clock_span = st.span(st.off(in.begin()), st.off(in.end()));
  }
};
template <>
struct action<g::weekday_raw> {
  template <typename Input>
  static void apply(const Input& in, State& st) {
    st.weekdays.emplace_back(in.string(), st.span(st.off(in.begin()), st.off(in.end())));
  }
};
template <>
struct action<g::sends_part> {
  template <typename Input>
  static void apply(const Input& in, State& st) {
    ast::SendsAt s;
    s.time = std::move(st.clock);
    s.time_span = st.clock_span;
    s.except = std::move(st.weekdays);
    s.span = st.span(st.off(in.begin()), st.trim_end(st.off(in.end())));
    st.sends = std::move(s);
    st.clock.clear();
    st.weekdays.clear();
  }
};
template <>
struct action<g::channel_clause> {
  template <typename Input>
  static void apply(const Input& in, State& st) {
    auto info = decl_info(in, st);
    auto [name, name_span] = st.pop_name();
    st.seq.channels.push_back({std::move(name), name_span, st.requires_, std::move(info.doc),
                               info.span, std::move(st.sends)});
    st.requires_ = ast::kNoExpr;
    st.sends.reset();
  }
};
template <>
struct action<g::fallback_clause> {
  template <typename Input>
  static void apply(const Input& in, State& st) {
    auto to = st.pop_name();
    auto from = st.pop_name();
    auto info = decl_info(in, st);
    st.seq.fallbacks.push_back({std::move(from.first), from.second, std::move(to.first), to.second,
                                std::move(info.doc), info.span});
  }
};
template <>
struct action<g::offer_part> {
  template <typename Input>
  static void apply(const Input&, State& st) {
    st.touch_offer = st.pop().id;
  }
};
template <>
struct action<g::only_part> {
  template <typename Input>
  static void apply(const Input&, State& st) {
    st.touch_only = st.pop().id;
  }
};
template <>
struct action<g::touch_clause> {
  template <typename Input>
  static void apply(const Input& in, State& st) {
    auto info = decl_info(in, st);
    const Operand via = st.pop();
    auto [name, name_span] = st.pop_name();
    st.seq.touches.push_back({std::move(name), name_span, via.id, st.touch_offer, st.touch_only,
                              std::move(info.doc), info.span, std::move(st.variants),
                              std::move(st.touch_subject), std::move(st.touch_body)});
    st.touch_offer = st.touch_only = ast::kNoExpr;
    st.variants.clear();
    st.touch_subject = st.touch_body = {};
  }
};
struct message_text_action {
  template <typename Input>
  static void apply(const Input& in, State& st, ast::MessageText& out) {
    out.present = true;
    out.text = unescape_string_literal(in.string_view());
    out.span = st.span(st.off(in.begin()), st.off(in.end()));
  }
};
template <>
struct action<g::subject_raw> {
  template <typename Input>
  static void apply(const Input& in, State& st) {
    message_text_action::apply(in, st, st.subject);
  }
};
template <>
struct action<g::body_raw> {
  template <typename Input>
  static void apply(const Input& in, State& st) {
    message_text_action::apply(in, st, st.body);
  }
};
template <>
struct action<g::touch_message> {
  template <typename Input>
  static void apply(const Input&, State& st) {
    st.touch_subject = std::move(st.subject);
    st.touch_body = std::move(st.body);
    st.subject = st.body = {};
  }
};
template <>
struct action<g::variant_share_raw> {
  template <typename Input>
  static void apply(const Input& in, State& st) {
    st.points = in.string();
    st.points.pop_back();  // the `%`
    st.points_span = st.token_span(in);
  }
};
template <>
struct action<g::variant_offer_value> {
  template <typename Input>
  static void apply(const Input&, State& st) {
    st.variant_offer = st.pop().id;
  }
};
template <>
struct action<g::variant_decl> {
  template <typename Input>
  static void apply(const Input& in, State& st) {
    auto info = decl_info(in, st);
    auto [name, name_span] = st.pop_name();
    st.variants.push_back({std::move(name), name_span, std::move(st.points), st.points_span,
                           st.variant_offer, std::move(info.doc), info.span, std::move(st.subject),
                           std::move(st.body)});
    st.variant_offer = ast::kNoExpr;
    st.subject = st.body = {};
    st.points.clear();
    st.points_span = {};
  }
};
template <>
struct action<g::cap_limit_raw> {
  template <typename Input>
  static void apply(const Input& in, State& st) {
    st.points = in.string();
    st.points_span = st.token_span(in);
  }
};
template <>
struct action<g::cap_cond> {
  template <typename Input>
  static void apply(const Input&, State& st) {
    st.cap_cond = st.pop().id;
  }
};
template <>
struct action<g::cap_clause> {
  template <typename Input>
  static void apply(const Input& in, State& st) {
    auto info = decl_info(in, st);
    auto [name, name_span] = st.pop_name();
    st.seq.caps.push_back({std::move(name), name_span, st.cap_cond, std::move(st.points),
                           st.points_span, std::move(info.doc), info.span});
    st.cap_cond = ast::kNoExpr;
    st.points.clear();
    st.points_span = {};
  }
};
// The top-level forms: the clause's action put it in the sequence scratch; move it out.
template <>
struct action<g::top_channel_decl> {
  template <typename Input>
  static void apply(const Input&, State& st) {
    st.out.decls.push_back({std::move(st.seq.channels.back())});
    st.seq.channels.pop_back();
  }
};
template <>
struct action<g::top_fallback_decl> {
  template <typename Input>
  static void apply(const Input&, State& st) {
    st.out.decls.push_back({std::move(st.seq.fallbacks.back())});
    st.seq.fallbacks.pop_back();
  }
};
template <>
struct action<g::local_time_decl> {
  template <typename Input>
  static void apply(const Input& in, State& st) {
    auto info = decl_info(in, st);
    ast::LocalTimeDecl d;
    std::tie(d.field, d.field_span) = st.pop_name();
    if (st.has_str) {
      d.fallback = std::move(st.str);
      d.fallback_span = st.str_span;
      st.has_str = false;
    }
    d.doc = std::move(info.doc);
    d.span = info.span;
    st.out.decls.push_back({std::move(d)});
  }
};
template <>
struct action<g::owner_field> {
  template <typename Input>
  static void apply(const Input&, State& st) {
    st.owner_has_field = true;
  }
};
template <>
struct action<g::owner_decl> {
  template <typename Input>
  static void apply(const Input& in, State& st) {
    auto info = decl_info(in, st);
    ast::OwnerDecl d;
    if (st.owner_has_field) std::tie(d.field, d.field_span) = st.pop_name();
    st.owner_has_field = false;
    if (st.has_str) {
      d.text = std::move(st.str);
      d.text_span = st.str_span;
      st.has_str = false;
    }
    d.doc = std::move(info.doc);
    d.span = info.span;
    st.out.decls.push_back({std::move(d)});
  }
};
template <>
struct action<g::top_cap_decl> {
  template <typename Input>
  static void apply(const Input&, State& st) {
    st.out.decls.push_back({std::move(st.seq.caps.back())});
    st.seq.caps.pop_back();
  }
};
template <>
struct action<g::sequence_decl> {
  template <typename Input>
  static void apply(const Input& in, State& st) {
    auto info = decl_info(in, st);
    auto [name, name_span] = st.pop_name();
    ast::SequenceDecl s = std::move(st.seq);
    st.seq = {};
    s.name = std::move(name);
    s.name_span = name_span;
    s.doc = std::move(info.doc);
    s.span = info.span;
    st.out.decls.push_back({std::move(s)});
  }
};

// ---- Control: must<> messages and the nesting limit -------------------------------------------

template <typename Rule>
struct control : pegtl::must_if<g::error>::control<Rule> {
  using base = typename pegtl::must_if<g::error>::template control<Rule>;
  static constexpr bool kCounted = std::is_base_of_v<g::nest_tag, Rule>;

  template <typename Input>
  static void start(const Input& in, State& st) {
    if constexpr (kCounted) {
      if (++st.depth > kMaxNesting)
        fail("RK0106", fmt::format("expressions are nested too deeply (limit {})", kMaxNesting),
             st.off(in.current()), 1);
    }
  }
  template <typename Input>
  static void success(const Input&, State& st) {
    if constexpr (kCounted) --st.depth;
  }
  template <typename Input>
  static void failure(const Input& in, State& st) {
    if constexpr (kCounted) --st.depth;
    base::failure(in, st);
  }
};

// What sits at `offset`, for "..., found X"; `unexpected` when no token can start with it.
struct Found {
  std::string text;
  uint32_t len = 0;
  bool unexpected = false;
};

Found describe(std::string_view text, uint32_t offset) {
  if (offset >= text.size()) return {"the end of the file", 0, false};
  const unsigned char c = static_cast<unsigned char>(text[offset]);
  auto word_char = [](char ch) {
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
           ch == '_';
  };
  if (word_char(static_cast<char>(c)) || c == '$') {
    uint32_t e = offset + 1;
    while (e < text.size() && (word_char(text[e]) || text[e] == '.' || text[e] == '%') &&
           e - offset < 40)
      ++e;
    return {fmt::format("`{}`", text.substr(offset, e - offset)), e - offset, false};
  }
  if (c == '"') {
    const size_t close = text.find_first_of("\"\n", offset + 1);
    const uint32_t e = close != std::string_view::npos && text[close] == '"'
                           ? static_cast<uint32_t>(close + 1)
                           : offset + 1;
    return {"a string", e - offset, false};
  }
  static constexpr std::string_view kPunct = "(){},.:=<>!+-*/%?";
  if (kPunct.find(static_cast<char>(c)) != std::string_view::npos) {
    uint32_t len = 1;
    if (offset + 1 < text.size() && text[offset + 1] == '=' && (c == '<' || c == '>' || c == '!'))
      len = 2;
    return {fmt::format("`{}`", text.substr(offset, len)), len, false};
  }
  if (c >= 0x21 && c < 0x7f) return {fmt::format("`{}`", static_cast<char>(c)), 1, true};
  if (c >= 0xc0 && c < 0xf8) {  // a UTF-8 sequence: show the character
    const uint32_t n = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2;
    if (offset + n <= text.size()) return {fmt::format("`{}`", text.substr(offset, n)), n, true};
  }
  return {fmt::format("byte 0x{:02X}", c), 1, true};
}

bool is_word_char(char ch) {
  return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
         ch == '_';
}
bool is_digit(char ch) {
  return ch >= '0' && ch <= '9';
}

// The declaration that starts at `offset`, judged by its first words (`candidate when`,
// `segment NAME`, `stop NAME when`, `let NAME =`, `import "`, ...): its keyword, or "".
std::string_view declaration_at(std::string_view text, size_t offset) {
  size_t i = offset;
  auto word = [&]() {
    const size_t b = i;
    while (i < text.size() && is_word_char(text[i])) ++i;
    return text.substr(b, i - b);
  };
  auto blank = [&]() {
    const size_t b = i;
    while (i < text.size() && is_space(text[i])) ++i;
    return i > b;
  };
  const std::string_view kw = word();
  if (kw.empty() || !blank()) return {};
  if (kw == "candidate") return word() == "when" ? kw : std::string_view();
  if (kw == "import") return i < text.size() && text[i] == '"' ? kw : std::string_view();
  const std::string_view name = word();
  if (name.empty()) return {};
  if (kw == "segment" || kw == "sequence") return kw;
  blank();
  if (kw == "stop" || kw == "review") return word() == "when" ? kw : std::string_view();
  if (kw == "parameter" || kw == "let") return i < text.size() && text[i] == '=' ? kw : "";
  return {};
}

// Makes a syntax error at `offset` say what most likely went wrong where the text shows it: a
// block whose `}` is missing (a declaration, or the end of the file, while a segment or sequence
// is open), an operator from another language (`&&`, `||`, `==`, `!`), a number with thousands
// separators (`$1,000`).
void explain_syntax_error(Diagnostic& d, const State& st, std::string_view text, size_t offset) {
  const SourceSet& sources = st.sources;
  auto at = [&](size_t b, size_t len) {
    return sources.span_at(st.file, static_cast<uint32_t>(b), static_cast<uint32_t>(len));
  };
  // Only where the block's `}` was expected (its clauses ended there) or a keyword was taken for a
  // label's name, not inside an unfinished expression.
  const auto starts = [&](std::string_view prefix) {
    return std::string_view(d.message).substr(0, prefix.size()) == prefix;
  };
  const bool block_ended = starts(g::error_message<g::segment_close>) ||
                           starts(g::error_message<g::sequence_close>) || d.code == "RK0108";
  if (st.open_block && block_ended) {
    const std::string_view decl = offset < text.size() ? declaration_at(text, offset) : "";
    if (offset >= text.size() || !decl.empty()) {
      const auto& b = *st.open_block;
      const bool seq = b.kind == "sequence";
      d.code = "RK0101";
      d.message = offset >= text.size()
                      ? fmt::format("missing `}}`: {} `{}` is not closed at the end of the file",
                                    b.kind, b.name)
                      : fmt::format("missing `}}`: {} `{}` is not closed before `{}`", b.kind,
                                    b.name, decl);
      // At the end of the file: just after its last token.
      d.span = offset >= text.size() ? at(st.trim_end(static_cast<uint32_t>(text.size())), 0)
                                     : at(offset, decl.size());
      d.notes = {{fmt::format("{} `{}` opens here", b.kind, b.name), at(b.brace, 1)}};
      d.help =
          fmt::format("end the {} with `}}` after its last {}", b.kind, seq ? "clause" : "label");
      return;
    }
  }
  if (offset >= text.size()) return;
  const std::string_view rest = text.substr(offset);
  for (const auto& [from, to] : {std::pair<std::string_view, std::string_view>{"&&", "and"},
                                 {"||", "or"},
                                 {"&", "and"},
                                 {"|", "or"}}) {
    if (rest.substr(0, from.size()) != from) continue;
    d.span = at(offset, from.size());
    d.message = fmt::format(
        "`{}` is not an operator in Rekindle: conditions are joined with "
        "`and` and `or`",
        from);
    d.help = fmt::format("write `{}` instead of `{}`", to, from);
    return;
  }
  if (rest[0] == '=' && offset > 0 && text[offset - 1] == '=') {
    d.code = "RK0101";
    d.span = at(offset - 1, 2);
    d.message = "`==` is not an operator in Rekindle: equality is `=` (or `is`)";
    d.help = "write `=` instead of `==`";
    return;
  }
  if (rest[0] == '!' && (rest.size() == 1 || rest[1] != '=')) {
    d.help = "write `not` instead of `!` (`not x`, `x is not y`)";
    return;
  }
  // `$1,000` or `1,000`: digits, `,`, three digits, then no digit.
  if (rest[0] == ',' && offset > 0 && is_digit(text[offset - 1]) && rest.size() >= 4 &&
      is_digit(rest[1]) && is_digit(rest[2]) && is_digit(rest[3]) &&
      (rest.size() == 4 || !is_digit(rest[4]))) {
    size_t b = offset;
    while (b > 0 && (is_digit(text[b - 1]) || text[b - 1] == ',')) --b;
    if (b > 0 && text[b - 1] == '$') --b;
    if (b > 0 && (is_word_char(text[b - 1]) || text[b - 1] == '.')) return;  // not a number
    size_t e = offset;
    while (e < text.size() && (is_digit(text[e]) || text[e] == ',' || text[e] == '.' ||
                               (text[e] == '%' && e > offset)))
      ++e;
    std::string plain;
    for (size_t k = b; k < e; ++k)
      if (text[k] != ',') plain += text[k];
    d.code = "RK0101";
    d.span = at(b, e - b);
    d.message = fmt::format("`{}`: numbers are written without thousands separators",
                            text.substr(b, e - b));
    d.help = fmt::format("write `{}`", plain);
  }
}

}  // namespace

std::optional<ast::File> parse_file(const SourceSet& sources, uint32_t file_index,
                                    std::vector<Diagnostic>& diags, const ParseOptions& opts) {
  const SourceFile& src = sources.file(file_index);
  if (src.text.size() > kMaxSourceBytes) {
    diags.push_back({Severity::Error,
                     "RK0107",
                     fmt::format("`{}` is too large ({} bytes; the limit is {} bytes)", src.path,
                                 src.text.size(), kMaxSourceBytes),
                     sources.span_at(file_index, 0, 0),
                     {},
                     ""});
    return std::nullopt;
  }

  State st(sources, file_index);
  st.out.file_index = file_index;
  std::optional<Diagnostic> error;
  auto make_error = [&](std::string code, std::string message, size_t offset, size_t len) {
    offset = std::min(offset, src.text.size());
    error = Diagnostic{
        Severity::Error,
        std::move(code),
        std::move(message),
        sources.span_at(file_index, static_cast<uint32_t>(offset), static_cast<uint32_t>(len)),
        {},
        ""};
  };

  try {
    pegtl::memory_input<pegtl::tracking_mode::lazy> in(src.text.data(), src.text.size(), src.path);
    if (!pegtl::parse<g::file, action, control>(in, st))
      make_error("RK0103", "expected a declaration", 0, 1);
  } catch (const g::SyntaxError& e) {
    make_error(e.code, e.message, e.offset, e.len);
    explain_syntax_error(*error, st, src.text, std::min(e.offset, src.text.size()));
  } catch (const pegtl::parse_error& e) {
    std::string_view msg = e.message();
    std::string code = "RK0101";
    if (msg.size() > 7 && msg.substr(0, 2) == "RK" && msg[6] == '|') {
      code = std::string(msg.substr(0, 6));
      msg.remove_prefix(7);
    }
    const size_t offset = e.positions().empty() ? 0 : e.positions().front().byte;
    const Found found = describe(src.text, static_cast<uint32_t>(offset));
    if (found.unexpected)
      make_error("RK0103", fmt::format("unexpected character {} ({})", found.text, msg), offset,
                 found.len);
    else
      make_error(code, fmt::format("{}, found {}", msg, found.text), offset, found.len);
    explain_syntax_error(*error, st, src.text, std::min(offset, src.text.size()));
  } catch (const std::bad_alloc&) {
    make_error("RK0107", "out of memory while parsing this file", 0, 0);
  } catch (const std::exception& e) {
    make_error("RK0101", fmt::format("internal parser error: {}", e.what()), 0, 0);
  }

  if (opts.comments) {
    for (const auto& c : st.comments)
      opts.comments->push_back(
          {std::string(st.text.substr(c.begin, c.end - c.begin)), st.span(c.begin, c.end), c.doc});
  }
  if (error) {
    diags.push_back(std::move(*error));
    return std::nullopt;
  }
  return std::move(st.out);
}

}  // namespace rk
