// Rekindle grammar: the abstract syntax tree of schema and rule files.
// Expressions are `std::variant` kinds stored in one arena per file and addressed by id; every
// node carries its source span. The grammar knows nothing of types, the IR or LLVM.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <variant>
#include <vector>

namespace rk::ast {

// A place in a source file. line and col are 1-based; col counts bytes; len is in bytes.
struct Span {
  uint32_t file = 0;  // index into SourceSet::files
  uint32_t line = 0;
  uint32_t col = 0;
  uint32_t len = 0;
  uint32_t offset = 0;  // byte offset in the file
};

using ExprId = uint32_t;
inline constexpr ExprId kNoExpr = UINT32_MAX;

enum class Unit : uint8_t { None, Days, Money, Percent };

// 60, 0.5, $250, $19.99, 5%, 12.5%, 90 days, 1 day, 2 weeks (stored as 14 days).
// `text` is the literal as written. For Percent, `value` is already divided by 100 (5% -> 0.05,
// computed as 5.0 / 100.0 so it equals the double of "0.05"). `is_int` when written without a
// fraction (then `ivalue` holds the integer; for weeks the day count).
struct NumberLit {
  std::string text;
  double value = 0;
  int64_t ivalue = 0;
  bool is_int = false;
  Unit unit = Unit::None;
};
struct BoolLit {
  bool value = false;
};
struct StringLit {
  std::string value;  // unescaped
};
struct DateLit {
  int32_t days = 0;  // days since 1970-01-01
  std::string text;
};
// `today`: the evaluation's as-of date.
struct Today {};
// A bare name: a field, let, parameter, segment family, label, channel, `candidate`, `stopped`.
struct Name {
  std::string name;
};
// object.member, e.g. winback.offer
struct Member {
  ExprId object = kNoExpr;
  std::string member;
  Span member_span;
};

enum class UnOp : uint8_t { Neg, Not };
struct Unary {
  UnOp op;
  ExprId operand = kNoExpr;
};

enum class BinOp : uint8_t { Add, Sub, Mul, Div, Eq, Ne, Lt, Le, Gt, Ge, And, Or };
// Comparisons written in words map onto the same ops: `at least` Ge, `at most` Le,
// `above` Gt, `below`/`under` Lt.
struct Binary {
  BinOp op;
  ExprId lhs = kNoExpr;
  ExprId rhs = kNoExpr;
  Span op_span;
};

// An element of a set `{a, b, "c d"}`: a bare word or a quoted string.
struct SetItem {
  std::string text;
  bool quoted = false;
  Span span;
};

// `x is missing`, `x is present`, `x is V` / `x is not V` (two-valued equality: a missing x is
// never equal), `x is one of {..}` / `x is not one of {..}` (two-valued membership).
enum class IsKind : uint8_t { Missing, Present, Value, OneOf };
struct Is {
  ExprId subject = kNoExpr;
  IsKind kind = IsKind::Missing;
  bool negated = false;
  ExprId value = kNoExpr;      // IsKind::Value
  std::vector<SetItem> items;  // IsKind::OneOf
};

// `x in {a, b}` / `x not in {a, b}`: three-valued membership (unknown when x is missing).
struct InSet {
  ExprId subject = kNoExpr;
  bool negated = false;
  std::vector<SetItem> items;
};

// `x in 60 to 89 days` / `x not in 1 to 5`: inclusive range, three-valued.
struct InRange {
  ExprId subject = kNoExpr;
  bool negated = false;
  ExprId lo = kNoExpr;
  ExprId hi = kNoExpr;
};

// `categories has any of {..}`, `has all of {..}`, `has none of {..}`, `has apparel`
// (one item, same as `has any of {apparel}`).
enum class HasKind : uint8_t { Any, All, None };
struct Has {
  ExprId subject = kNoExpr;
  HasKind kind = HasKind::Any;
  std::vector<SetItem> items;
};

// `days since DATE` (as-of minus DATE, in days) and `days until DATE` (DATE minus as-of).
struct DaysSince {
  ExprId date = kNoExpr;
  bool until = false;
};

// `if COND then A else B` (an unknown COND takes the else branch).
struct IfExpr {
  ExprId cond = kNoExpr;
  ExprId then_ = kNoExpr;
  ExprId else_ = kNoExpr;
};

// Offer literals: `none`, `credit 10`, `points 500`, `early_access`, `discount 20%`.
enum class OfferKind : uint8_t { None, Credit, Points, EarlyAccess, Discount };
struct OfferLit {
  OfferKind kind = OfferKind::None;
  ExprId amount = kNoExpr;  // NumberLit for credit/points/discount
};

using ExprKind = std::variant<NumberLit, BoolLit, StringLit, DateLit, Today, Name, Member, Unary,
                              Binary, Is, InSet, InRange, Has, DaysSince, IfExpr, OfferLit>;

struct Expr {
  ExprKind kind;
  Span span;  // the whole expression
};

// For `static_assert` in the last branch of an `if constexpr` chain over the kinds of a variant,
// so that a new kind fails to compile where it is not handled.
template <typename T>
inline constexpr bool kUnhandled = false;

// The sub-expressions of an expression in source order (kNoExpr where an optional one is absent:
// a value of `is` other than `is V`, an offer without amount). Walkers that only need the tree's
// shape use this; a new kind says here what its operands are.
inline std::vector<ExprId> children(const ExprKind& kind) {
  return std::visit(
      [](const auto& k) -> std::vector<ExprId> {
        using T = std::decay_t<decltype(k)>;
        if constexpr (std::is_same_v<T, NumberLit> || std::is_same_v<T, BoolLit> ||
                      std::is_same_v<T, StringLit> || std::is_same_v<T, DateLit> ||
                      std::is_same_v<T, Today> || std::is_same_v<T, Name>) {
          return {};
        } else if constexpr (std::is_same_v<T, Member>) {
          return {k.object};
        } else if constexpr (std::is_same_v<T, Unary>) {
          return {k.operand};
        } else if constexpr (std::is_same_v<T, Binary>) {
          return {k.lhs, k.rhs};
        } else if constexpr (std::is_same_v<T, Is>) {
          return {k.subject, k.value};
        } else if constexpr (std::is_same_v<T, InSet> || std::is_same_v<T, Has>) {
          return {k.subject};
        } else if constexpr (std::is_same_v<T, InRange>) {
          return {k.subject, k.lo, k.hi};
        } else if constexpr (std::is_same_v<T, DaysSince>) {
          return {k.date};
        } else if constexpr (std::is_same_v<T, IfExpr>) {
          return {k.cond, k.then_, k.else_};
        } else if constexpr (std::is_same_v<T, OfferLit>) {
          return {k.amount};
        } else {
          static_assert(kUnhandled<T>, "ast::children: an expression kind without its operands");
        }
      },
      kind);
}

// ---- Schema files ---------------------------------------------------------------------------

// TimeZone: a string whose every present value is a zone of the system's time-zone database.
enum class TypeKind : uint8_t {
  Bool,
  Int,
  Number,
  Money,
  Percent,
  Date,
  String,
  TimeZone,
  Enum,
  StringList
};
struct TypeRef {
  TypeKind kind = TypeKind::Int;
  std::vector<SetItem> enum_values;  // TypeKind::Enum
  Span span;
};

// A field's value range: `0 to 10` (both ends included), `>= 0`, `> 0`, `<= 100%`, `< 100%`.
// The bounds are literal expressions of the file (a NumberLit, a DateLit, or a negated NumberLit).
struct FieldRange {
  ExprId lo = kNoExpr;  // kNoExpr: no lower end
  ExprId hi = kNoExpr;  // kNoExpr: no upper end
  bool lo_inclusive = true;
  bool hi_inclusive = true;
  Span span;
};

// `field NAME: TYPE[?] [RANGE] [key]`
struct FieldDecl {
  std::string name;
  Span name_span;
  TypeRef type;
  bool nullable = false;
  bool key = false;
  std::string doc;
  Span span;
  std::optional<FieldRange> range;
};

// ---- Rule files ------------------------------------------------------------------------------

// `import "customer.schema"` / `import "common.rules"` (path relative to the importing file).
struct ImportDecl {
  std::string path;
  Span span;
};
// `parameter NAME = LITERAL`
struct ParamDecl {
  std::string name;
  Span name_span;
  ExprId value = kNoExpr;
  std::string doc;
  Span span;
};
// `let NAME = EXPR`
struct LetDecl {
  std::string name;
  Span name_span;
  ExprId value = kNoExpr;
  std::string doc;
  Span span;
};
// Inside `segment F { ... }`: `LABEL when EXPR` or `otherwise LABEL`.
struct LabelRule {
  std::string name;
  Span name_span;
  ExprId cond = kNoExpr;  // kNoExpr for `otherwise`
  bool otherwise = false;
  std::string doc;
  Span span;
};
// `segment NAME { rules }`
struct SegmentDecl {
  std::string name;
  Span name_span;
  std::vector<LabelRule> labels;
  std::string doc;
  Span span;
};
// `candidate when EXPR`
struct CandidateDecl {
  ExprId cond = kNoExpr;
  std::string doc;
  Span span;
};
// `stop NAME when EXPR because "reason"` and `review NAME when EXPR [because "reason"]`.
struct RuleDecl {
  std::string name;
  Span name_span;
  ExprId cond = kNoExpr;
  std::string reason;  // empty when not given
  Span reason_span;
  std::string doc;
  Span span;
};

// `subject "TEXT"` or `body "TEXT"` in a touch's or a variant's braces: a message template as
// written (escapes resolved; compiler/ir/message_template.h parses it).
struct MessageText {
  bool present = false;
  std::string text;
  Span span;  // the string literal, quotes included
};
// `variant NAME SHARE% [{ [offer OFFER_EXPR] [subject "TEXT"] [body "TEXT"] }]` inside a touch's
// braces.
struct VariantDecl {
  std::string name;
  Span name_span;
  std::string share;  // as written, without `%`: "50", "12.5"
  Span share_span;
  ExprId offer = kNoExpr;  // kNoExpr: the touch's offer
  std::string doc;
  Span span;
  MessageText subject, body;  // not present: the touch's
};
// One `touch NAME via CHANNEL_EXPR [offer OFFER_EXPR] [only when EXPR] [{ [subject "TEXT"]
// [body "TEXT"] VARIANTS }]` of a sequence.
struct TouchDecl {
  std::string name;
  Span name_span;
  ExprId channel = kNoExpr;  // a channel name, or `if .. then .. else ..` of channel names
  ExprId offer = kNoExpr;    // kNoExpr: offer none
  ExprId only_when = kNoExpr;
  std::string doc;
  Span span;
  std::vector<VariantDecl> variants;  // in order written; empty: none
  MessageText subject, body;          // the touch's message templates
};
// A channel's local send time: `sends at HH:MM [except WEEKDAY, ... and WEEKDAY]`.
struct SendsAt {
  std::string time;  // as written: "09:00"
  Span time_span;
  std::vector<std::pair<std::string, Span>> except;  // weekday names as written
  Span span;
};
// `channel NAME [requires EXPR] [, sends at HH:MM [except DAYS]]`
struct ChannelDecl {
  std::string name;
  Span name_span;
  ExprId requires_ = kNoExpr;
  std::string doc;
  Span span;
  std::optional<SendsAt> sends;
};
// `fallback FROM to TO`
struct FallbackDecl {
  std::string from;
  Span from_span;
  std::string to;
  Span to_span;
  std::string doc;
  Span span;
};
// `exit NAME when EXPR`
struct ExitDecl {
  std::string name;
  Span name_span;
  ExprId cond = kNoExpr;
  Span span;
};
// `cap NAME when EXPR` (fails closed, like a stop rule) or `cap NAME: at most N messages per
// run` (counts the touches due in the sequences written before); top level (every sequence) or
// inside a sequence (that sequence).
struct CapDecl {
  std::string name;
  Span name_span;
  ExprId cond = kNoExpr;  // `when`
  std::string limit;      // `at most N`: N as written ("" for `when`)
  Span limit_span;
  std::string doc;
  Span span;
};
// sequence NAME {
//   enter when EXPR                      (optional; default: candidates)
//   progress FIELD on DATE_FIELD         (the last touch sent and when)
//   wait DURATION                        (between touches)
//   holdout PERCENT salt "SALT"
//   exit NAME when EXPR                  (any number, in order)
//   channel NAME requires EXPR           (any number)
//   fallback NAME to NAME                (any number)
//   touch ...                            (in order; numbered 1, 2, ...)
// }
struct SequenceDecl {
  std::string name;
  Span name_span;
  ExprId enter = kNoExpr;
  std::optional<std::pair<std::string, Span>> progress_touch;
  std::optional<std::pair<std::string, Span>> progress_date;
  ExprId wait = kNoExpr;
  ExprId holdout_share = kNoExpr;
  std::string holdout_salt;
  Span holdout_span;
  std::vector<ExitDecl> exits;
  std::vector<ChannelDecl> channels;
  std::vector<FallbackDecl> fallbacks;
  std::vector<TouchDecl> touches;
  std::vector<CapDecl> caps;
  std::string doc;
  Span span;
};

// One line of a score: `N points when EXPR` (N a whole or decimal number, negative with `-`).
struct ScoreLine {
  std::string points;  // as written: "30", "-10", "2.5"
  Span points_span;
  ExprId cond = kNoExpr;
  std::string doc;
  Span span;
};
// `score NAME { lines }`: the sum of the points of the lines whose condition is true.
struct ScoreDecl {
  std::string name;
  Span name_span;
  std::vector<ScoreLine> lines;
  std::string doc;
  Span span;
};

// `local time from FIELD[, or "ZONE" when missing]`: the customers' time zone for send times.
struct LocalTimeDecl {
  std::string field;
  Span field_span;
  std::optional<std::string> fallback;  // the zone when the field is missing
  Span fallback_span;
  std::string doc;
  Span span;
};
// `owner FIELD [or "TEXT"]` / `owner "TEXT"`: who approves a reviewed customer's outreach.
struct OwnerDecl {
  std::string field;  // empty: the text alone
  Span field_span;
  std::optional<std::string> text;  // the owner when the field is missing (or always)
  Span text_span;
  std::string doc;
  Span span;
};
// `guarantee NAME: never EXPR` (EXPR is true for no customer and as-of date) or `guarantee NAME:
// always EXPR` (EXPR is true for every one): a promise the solver proves; no output.
struct GuaranteeDecl {
  std::string name;
  Span name_span;
  bool always = false;
  Span kind_span;  // `never` or `always`
  ExprId cond = kNoExpr;
  std::string doc;
  Span span;
};

using Decl = std::variant<ImportDecl, ParamDecl, LetDecl, SegmentDecl, CandidateDecl, RuleDecl,
                          SequenceDecl, FieldDecl, ScoreDecl, ChannelDecl, FallbackDecl, CapDecl,
                          LocalTimeDecl, OwnerDecl, GuaranteeDecl>;

// What kind of rule a RuleDecl is (kept beside the decl to keep Decl small).
enum class RuleKind : uint8_t { Stop, Review };

struct TopDecl {
  Decl decl;
  RuleKind rule_kind = RuleKind::Stop;  // for RuleDecl
};

// A parsed file: either a schema file (`schema NAME` then fields) or a rule file.
struct File {
  uint32_t file_index = 0;
  bool is_schema = false;
  std::string schema_name;  // schema files: the name after `schema`
  std::vector<TopDecl> decls;
  std::vector<Expr> exprs;  // arena; ExprId indexes it

  const Expr& expr(ExprId id) const { return exprs[id]; }
};

// A comment in the source, kept for the formatter: text includes the leading '#'.
struct Comment {
  std::string text;
  Span span;
  bool doc = false;  // `##` doc comment
};

}  // namespace rk::ast
