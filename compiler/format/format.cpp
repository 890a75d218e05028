// Rekindle formatter: the canonical printer. Declarations become output lines (each remembering
// the source ranges it came from); every comment is then attached to a line by its position
// (leading, trailing, or moved after the line when it sat inside a collapsed expression), and
// blank lines follow the source where the layout does not decide them. Expressions print with
// the fewest parentheses their precedence needs (an `if` keeps the author's parentheses); long
// left-leaning chains (`a or b or ...`, `a.b.c`) are walked iteratively. An expression that does
// not fit in 100 columns is broken before the operators of its loosest chain (`or`, then `and`,
// then `+`/`-`), one operand per line (see fit()).
#include "compiler/format/format.h"

#include <algorithm>
#include <string_view>
#include <utility>

#include "grammar/parser.h"

namespace rk {
namespace {

// Binding levels, loosest first (docs/language.md, "Precedence").
enum Level : int {
  kIf = 0,
  kOr = 1,
  kAnd = 2,
  kNot = 3,
  kCmp = 4,
  kAdd = 5,
  kMul = 6,
  kNeg = 7,
  kPost = 8,
  kPrim = 9
};

// The width lines are kept within when an expression can be broken (docs/formatting.md).
constexpr size_t kWidth = 100;
// Continuation lines of a broken expression: 4 columns past the start of its line, 2 more for
// each operand broken inside an operand.
constexpr size_t kContinue = 4;
constexpr size_t kNested = 2;

// Columns taken by UTF-8 text (code points; the formatter's output has no tabs).
size_t columns(std::string_view s) {
  size_t n = 0;
  for (char c : s)
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++n;
  return n;
}
// The column after `s` when it starts at `col` (its last line's width if it has several).
size_t column_after(std::string_view s, size_t col) {
  const size_t nl = s.rfind('\n');
  return nl == std::string_view::npos ? col + columns(s) : columns(s.substr(nl + 1));
}

bool is_space(char c) {
  return c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\v' || c == '\f';
}
bool is_word_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

std::string quote(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  out += '"';
  return out;
}

std::string set_text(const std::vector<ast::SetItem>& items) {
  std::string out = "{";
  for (size_t i = 0; i < items.size(); ++i) {
    if (i) out += ", ";
    out += items[i].quoted ? quote(items[i].text) : items[i].text;
  }
  return out + "}";
}

// A piece of source an output line was printed from.
struct Seg {
  uint32_t b = 0;
  uint32_t e = 0;
  size_t line = 0;
};

struct Note {          // a comment placed on its own line
  uint32_t index = 0;  // into comments
  bool moved = false;  // came from inside a collapsed line
};

enum class Role : uint8_t { First, Cont, Header, Close };

struct Line {
  int indent = 0;
  std::string text;
  std::vector<std::pair<uint32_t, uint32_t>> src;  // source ranges, in output order
  Role role = Role::First;
  int depth = 0;      // block depth of the declaration this line belongs to
  int sep_kind = -1;  // Role::First: what the blank-line rule compares with its sibling
  bool takes_doc = false;
  bool doc_guard = false;  // a blank line must separate moved comments from this line
  std::vector<Note> leading;
  std::vector<uint32_t> trailing_candidates;
  std::vector<uint32_t> moved;
};

class Formatter {
 public:
  Formatter(const ast::File& f, std::string_view text, const std::vector<ast::Comment>& comments)
      : f_(f), text_(text), comments_(comments) {}

  std::string run();

 private:
  const ast::File& f_;
  std::string_view text_;
  const std::vector<ast::Comment>& comments_;
  std::vector<Line> lines_;

  // ---- Source helpers ----
  // The index of the comment that ends exactly at `pos`, or -1.
  int comment_ending_at(uint32_t pos) const {
    auto it = std::lower_bound(
        comments_.begin(), comments_.end(), pos,
        [](const ast::Comment& c, uint32_t p) { return c.span.offset + c.span.len < p; });
    if (it != comments_.end() && it->span.offset + it->span.len == pos)
      return static_cast<int>(it - comments_.begin());
    return -1;
  }
  // The end of the last token before `pos` (whitespace and comments skipped).
  uint32_t skip_back(uint32_t pos) const {
    for (;;) {
      while (pos > 0 && is_space(text_[pos - 1])) --pos;
      const int c = comment_ending_at(pos);
      if (c < 0 || pos == 0) return pos;
      pos = comments_[c].span.offset;
    }
  }
  // Where the word before `pos` starts.
  uint32_t word_before(uint32_t pos) const {
    uint32_t e = skip_back(pos);
    while (e > 0 && is_word_char(text_[e - 1])) --e;
    return e;
  }
  std::string_view word_at(uint32_t b) const {
    uint32_t e = b;
    while (e < text_.size() && is_word_char(text_[e])) ++e;
    return text_.substr(b, e - b);
  }
  char char_before(uint32_t pos) const {
    const uint32_t e = skip_back(pos);
    return e > 0 ? text_[e - 1] : '\0';
  }
  uint32_t skip_fwd(uint32_t pos) const {
    for (;;) {
      while (pos < text_.size() && is_space(text_[pos])) ++pos;
      if (pos < text_.size() && text_[pos] == '#') {
        while (pos < text_.size() && text_[pos] != '\n') ++pos;
        continue;
      }
      return pos;
    }
  }
  bool starts_line(uint32_t pos) const {
    while (pos > 0 && (text_[pos - 1] == ' ' || text_[pos - 1] == '\t' || text_[pos - 1] == '\r'))
      --pos;
    return pos == 0 || text_[pos - 1] == '\n' || (pos == 3 && text_.substr(0, 3) == "\xEF\xBB\xBF");
  }
  bool blank_between(uint32_t a, uint32_t b) const {
    if (a >= b || b > text_.size()) return false;
    bool newline = false;
    for (uint32_t i = a; i < b; ++i) {
      const char c = text_[i];
      if (c == '\n') {
        if (newline) return true;
        newline = true;
      } else if (c != ' ' && c != '\t' && c != '\r') {
        newline = false;
      }
    }
    return false;
  }
  uint32_t end_of(const ast::Span& s) const { return s.offset + s.len; }
  uint32_t expr_begin(ast::ExprId id) const { return f_.expr(id).span.offset; }
  uint32_t expr_end(ast::ExprId id) const { return end_of(f_.expr(id).span); }

  // ---- Expressions ----
  static int level(const ast::Expr& e);
  std::string expr(ast::ExprId id, int min_level) const;
  std::string expr_inner(ast::ExprId id) const;
  std::string fit(ast::ExprId id, int min_level, size_t col, size_t cont, size_t trail) const;
  // `prefix` and the expression ending the line (at block depth `indent`), broken to fit.
  std::string line_expr(int indent, const std::string& prefix, ast::ExprId id) const {
    const size_t start = static_cast<size_t>(indent) * 2;
    return prefix + fit(id, kIf, start + columns(prefix), start + kContinue, 0);
  }
  std::string binary(const ast::Expr& e, const ast::Binary& b) const;
  std::string member(const ast::Member& m) const;
  std::string number(const ast::NumberLit& n) const;
  std::string word_op(const ast::Binary& b) const;

  // ---- Layout ----
  size_t add_line(int indent, std::string text, Role role, int depth,
                  std::vector<std::pair<uint32_t, uint32_t>> src, int sep_kind = -1,
                  bool takes_doc = false) {
    Line l;
    l.indent = indent;
    l.text = std::move(text);
    l.role = role;
    l.depth = depth;
    l.src = std::move(src);
    l.sep_kind = sep_kind;
    l.takes_doc = takes_doc;
    lines_.push_back(std::move(l));
    return lines_.size() - 1;
  }
  void layout_decl(const ast::TopDecl& d);
  void layout_segment(const ast::SegmentDecl& s);
  void layout_score(const ast::ScoreDecl& s);
  // `, sends at 09:00 except saturday and sunday` (without the comma after no `requires`).
  static std::string sends_text(const ast::ChannelDecl& c) {
    if (!c.sends) return "";
    std::string t = c.requires_ != ast::kNoExpr ? ", sends at " : " sends at ";
    t += c.sends->time;
    const auto& days = c.sends->except;
    for (size_t i = 0; i < days.size(); ++i)
      t += (i == 0 ? " except " : i + 1 == days.size() ? " and " : ", ") + days[i].first;
    return t;
  }
  std::string cap_text(const ast::CapDecl& c) {
    if (c.cond != ast::kNoExpr) return "cap " + c.name + " when " + expr(c.cond, kIf);
    return "cap " + c.name + ": at most " + c.limit + (c.limit == "1" ? " message" : " messages") +
           " per run";
  }
  void layout_sequence(const ast::SequenceDecl& s);
  // The offset of the first `{` at or after `from`, outside comments.
  uint32_t next_brace(uint32_t from) const {
    for (size_t i = from; i < text_.size(); ++i) {
      if (text_[i] == '#') {
        while (i < text_.size() && text_[i] != '\n') ++i;
      } else if (text_[i] == '{') {
        return static_cast<uint32_t>(i);
      }
    }
    return from;
  }
  void attach_comments(std::vector<uint32_t>& tail);
  std::string emit(const std::vector<uint32_t>& tail) const;
};

// ---- Expressions -------------------------------------------------------------------------------

int Formatter::level(const ast::Expr& e) {
  using namespace ast;
  return std::visit(
      [](const auto& k) -> int {
        using T = std::decay_t<decltype(k)>;
        if constexpr (std::is_same_v<T, IfExpr>) {
          return kIf;
        } else if constexpr (std::is_same_v<T, Binary>) {
          switch (k.op) {
            case BinOp::Or:
              return kOr;
            case BinOp::And:
              return kAnd;
            case BinOp::Add:
            case BinOp::Sub:
              return kAdd;
            case BinOp::Mul:
            case BinOp::Div:
              return kMul;
            case BinOp::Eq:
            case BinOp::Ne:
            case BinOp::Lt:
            case BinOp::Le:
            case BinOp::Gt:
            case BinOp::Ge:
              return kCmp;
          }
          return kCmp;
        } else if constexpr (std::is_same_v<T, Unary>) {
          return k.op == UnOp::Not ? kNot : kNeg;
        } else if constexpr (std::is_same_v<T, Is> || std::is_same_v<T, InSet> ||
                             std::is_same_v<T, InRange> || std::is_same_v<T, Has>) {
          return kCmp;
        } else if constexpr (std::is_same_v<T, Member> || std::is_same_v<T, DaysSince>) {
          return kPost;
        } else if constexpr (std::is_same_v<T, OfferLit>) {
          return k.amount == kNoExpr ? kPrim : kPost;
        } else if constexpr (std::is_same_v<T, NumberLit>) {
          return k.unit == Unit::Days ? kPost : kPrim;  // `5 days.x` would read differently
        } else if constexpr (std::is_same_v<T, BoolLit> || std::is_same_v<T, StringLit> ||
                             std::is_same_v<T, DateLit> || std::is_same_v<T, Today> ||
                             std::is_same_v<T, Name>) {
          return kPrim;
        } else {
          static_assert(kUnhandled<T>, "Formatter::level: an expression kind without a level");
        }
      },
      e.kind);
}

std::string Formatter::number(const ast::NumberLit& n) const {
  if (n.unit != ast::Unit::Days) return n.text;
  // `90 days`, `2 weeks`: digits, one space, the unit word (comments between are moved).
  size_t i = 0;
  while (i < n.text.size() && !is_space(n.text[i]) && n.text[i] != '#' && is_word_char(n.text[i]))
    ++i;
  while (i < n.text.size() && n.text[i] == '.') {  // a fraction: 1.5 days
    ++i;
    while (i < n.text.size() && is_word_char(n.text[i])) ++i;
  }
  size_t w = n.text.size();
  while (w > 0 && is_word_char(n.text[w - 1])) --w;
  return n.text.substr(0, i) + " " + n.text.substr(w);
}

std::string Formatter::word_op(const ast::Binary& b) const {
  const std::string_view src = text_.substr(b.op_span.offset, b.op_span.len);
  std::string_view first =
      src.substr(0, std::min(src.size(), src.find_first_not_of("abcdefghijklmnopqrstuvwxyz")));
  std::string op;
  if (first == "at") {
    size_t w = src.size();
    while (w > 0 && is_word_char(src[w - 1])) --w;
    op = "at " + std::string(src.substr(w));
  } else {
    op = std::string(first);
  }
  // `x is at least 5`: the `is` before the word is not part of the operator's span.
  const uint32_t w = word_before(b.op_span.offset);
  if (word_at(w) == "is" && skip_back(b.op_span.offset) == w + 2 && char_before(w) != '.')
    op = "is " + op;
  return op;
}

// Expression `id` printed from column `col`, within kWidth columns when it can be: what fits stays
// on one line; otherwise the loosest chain (`or`, `and`, `+`/`-`) is broken before each operator,
// one operand per line at column `cont`, each operand broken the same way when it still does not
// fit (its own continuation lines 2 columns further in). A comparison or `not` breaks inside its
// operands. `trail` columns (closing parentheses) follow on the last line. Anything else stays on
// one line, however long.
std::string Formatter::fit(ast::ExprId id, int min_level, size_t col, size_t cont,
                           size_t trail) const {
  using namespace ast;
  std::string flat = expr(id, min_level);
  if (col + columns(flat) + trail <= kWidth) return flat;
  const Expr& e = f_.expr(id);
  const int lv = level(e);
  const bool paren = lv < min_level;
  const size_t open = paren ? 1 : 0;
  std::string out = paren ? "(" : "";
  if (const auto* b = std::get_if<Binary>(&e.kind)) {
    if (lv == kOr || lv == kAnd || lv == kAdd) {
      std::vector<const Binary*> chain{b};
      for (;;) {
        const Expr& l = f_.expr(chain.back()->lhs);
        const auto* lb = std::get_if<Binary>(&l.kind);
        if (!lb || level(l) != lv) break;
        chain.push_back(lb);
      }
      out += fit(chain.back()->lhs, lv, col + open, cont + kNested, 0);
      for (auto it = chain.rbegin(); it != chain.rend(); ++it) {
        const BinOp o = (*it)->op;
        const std::string op = o == BinOp::Or    ? "or"
                               : o == BinOp::And ? "and"
                               : o == BinOp::Add ? "+"
                                                 : "-";
        out += '\n';
        out.append(cont, ' ');
        out += op;
        out += ' ';
        const bool last = it + 1 == chain.rend();
        out +=
            fit((*it)->rhs, lv + 1, cont + op.size() + 1, cont + kNested, last ? trail + open : 0);
      }
      return paren ? out + ")" : out;
    }
    if (lv == kCmp) {
      // `LHS OP RHS`: the operator as the flat text has it (between the two flat sides).
      const std::string l = expr(b->lhs, kAdd), r = expr(b->rhs, kAdd);
      const std::string inner = paren ? flat.substr(1, flat.size() - 2) : flat;
      const std::string op = inner.substr(l.size(), inner.size() - l.size() - r.size());
      // The operator and the right side follow the left side's last line.
      out += fit(b->lhs, kAdd, col + open, cont, columns(op) + columns(r) + trail + open);
      out += op;
      out += fit(b->rhs, kAdd, column_after(out, col), cont, trail + open);
      return paren ? out + ")" : out;
    }
    return flat;
  }
  if (const auto* u = std::get_if<Unary>(&e.kind); u && u->op == UnOp::Not) {
    out += "not ";
    out += fit(u->operand, kNot, col + open + 4, cont, trail + open);
    return paren ? out + ")" : out;
  }
  return flat;
}

std::string Formatter::expr(ast::ExprId id, int min_level) const {
  const ast::Expr& e = f_.expr(id);
  const int lv = level(e);
  if (lv < min_level) return "(" + expr_inner(id) + ")";
  if (lv == kIf && char_before(e.span.offset) == '(') return "(" + expr_inner(id) + ")";
  return expr_inner(id);
}

// The operator as a symbol or word: `or`, `and`, `+`, ..., `>=`.
std::string_view symbol(ast::BinOp op) {
  using ast::BinOp;
  switch (op) {
    case BinOp::Or:
      return "or";
    case BinOp::And:
      return "and";
    case BinOp::Add:
      return "+";
    case BinOp::Sub:
      return "-";
    case BinOp::Mul:
      return "*";
    case BinOp::Div:
      return "/";
    case BinOp::Eq:
      return "=";
    case BinOp::Ne:
      return "!=";
    case BinOp::Lt:
      return "<";
    case BinOp::Le:
      return "<=";
    case BinOp::Gt:
      return ">";
    case BinOp::Ge:
      return ">=";
  }
  return "?";
}

std::string Formatter::binary(const ast::Expr& e, const ast::Binary& b) const {
  using namespace ast;
  const int lv = level(e);
  if (lv != kCmp) {
    // A left-leaning chain of one level: walk it without recursion.
    std::vector<const Binary*> chain{&b};
    for (;;) {
      const Expr& l = f_.expr(chain.back()->lhs);
      const auto* lb = std::get_if<Binary>(&l.kind);
      if (!lb || level(l) != lv) break;
      chain.push_back(lb);
    }
    std::string out = expr(chain.back()->lhs, lv);
    for (auto it = chain.rbegin(); it != chain.rend(); ++it) {
      out += " " + std::string(symbol((*it)->op)) + " ";
      out += expr((*it)->rhs, lv + 1);
    }
    return out;
  }
  const std::string_view src = text_.substr(b.op_span.offset, b.op_span.len);
  std::string op;
  if (!src.empty() && is_word_char(src[0])) {
    op = word_op(b);
  } else {
    op = symbol(b.op);
  }
  return expr(b.lhs, kAdd) + " " + op + " " + expr(b.rhs, kAdd);
}

std::string Formatter::member(const ast::Member& m) const {
  using namespace ast;
  std::vector<const Member*> chain{&m};
  while (const auto* inner = std::get_if<Member>(&f_.expr(chain.back()->object).kind))
    chain.push_back(inner);
  std::string out = expr(chain.back()->object, kPrim);
  for (auto it = chain.rbegin(); it != chain.rend(); ++it) out += "." + (*it)->member;
  return out;
}

std::string Formatter::expr_inner(ast::ExprId id) const {
  using namespace ast;
  const Expr& e = f_.expr(id);
  return std::visit(
      [&](const auto& k) -> std::string {
        using T = std::decay_t<decltype(k)>;
        if constexpr (std::is_same_v<T, NumberLit>) {
          return number(k);
        } else if constexpr (std::is_same_v<T, BoolLit>) {
          return k.value ? "true" : "false";
        } else if constexpr (std::is_same_v<T, StringLit>) {
          return quote(k.value);
        } else if constexpr (std::is_same_v<T, DateLit>) {
          return k.text;
        } else if constexpr (std::is_same_v<T, Today>) {
          return "today";
        } else if constexpr (std::is_same_v<T, Name>) {
          return k.name;
        } else if constexpr (std::is_same_v<T, Unary>) {
          if (k.op == UnOp::Not) return "not " + expr(k.operand, kNot);
          return "-" + expr(k.operand, kNeg);
        } else if constexpr (std::is_same_v<T, Is>) {
          std::string out = expr(k.subject, kAdd) + " is ";
          switch (k.kind) {
            case IsKind::Missing:
              return out + (k.negated ? "present" : "missing");
            case IsKind::Present:
              return out + (k.negated ? "missing" : "present");
            case IsKind::Value:
              return out + (k.negated ? "not " : "") + expr(k.value, kAdd);
            case IsKind::OneOf:
              return out + (k.negated ? "not " : "") + "one of " + set_text(k.items);
          }
          return out;
        } else if constexpr (std::is_same_v<T, InSet>) {
          return expr(k.subject, kAdd) + (k.negated ? " not in " : " in ") + set_text(k.items);
        } else if constexpr (std::is_same_v<T, InRange>) {
          return expr(k.subject, kAdd) + (k.negated ? " not in " : " in ") + expr(k.lo, kAdd) +
                 " to " + expr(k.hi, kAdd);
        } else if constexpr (std::is_same_v<T, Has>) {
          std::string out = expr(k.subject, kAdd) + " has ";
          // `has apparel` (no braces) stays short.
          if (k.kind == HasKind::Any && k.items.size() == 1 &&
              char_before(k.items[0].span.offset) != '{')
            return out + (k.items[0].quoted ? quote(k.items[0].text) : k.items[0].text);
          out += k.kind == HasKind::Any   ? "any of "
                 : k.kind == HasKind::All ? "all of "
                                          : "none of ";
          return out + set_text(k.items);
        } else if constexpr (std::is_same_v<T, DaysSince>) {
          return std::string(k.until ? "days until " : "days since ") + expr(k.date, kPost);
        } else if constexpr (std::is_same_v<T, IfExpr>) {
          return "if " + expr(k.cond, kIf) + " then " + expr(k.then_, kIf) + " else " +
                 expr(k.else_, kIf);
        } else if constexpr (std::is_same_v<T, OfferLit>) {
          std::string w;
          switch (k.kind) {
            case OfferKind::None:
              return "none";
            case OfferKind::EarlyAccess:
              return "early_access";
            case OfferKind::Credit:
              w = "credit";
              break;
            case OfferKind::Points:
              w = "points";
              break;
            case OfferKind::Discount:
              w = "discount";
              break;
          }
          if (k.amount != kNoExpr) w += " " + expr_inner(k.amount);
          return w;
        } else if constexpr (std::is_same_v<T, Binary>) {
          return binary(e, k);
        } else if constexpr (std::is_same_v<T, Member>) {
          return member(k);
        } else {
          static_assert(kUnhandled<T>, "Formatter::expr_inner: an expression kind it cannot write");
        }
      },
      e.kind);
}

// ---- Layout ------------------------------------------------------------------------------------

// Sibling kinds at the top level: consecutive imports, parameters, lets, fields, channels (with
// fallbacks) or caps may share a
// paragraph (as written); everything else gets a paragraph of its own.
enum TopKind : int {
  kImport = 0,
  kParam = 1,
  kLet = 2,
  kField = 3,
  kChannel = 4,  // top-level channels and fallbacks
  kCap = 5,
  kGuarantee = 6,
  kSchemaHead = 10,
  kOther = 11
};

void Formatter::layout_decl(const ast::TopDecl& td) {
  using namespace ast;
  std::visit(
      [&](const auto& d) {
        using T = std::decay_t<decltype(d)>;
        const uint32_t b = d.span.offset, e = end_of(d.span);
        if constexpr (std::is_same_v<T, ImportDecl>) {
          add_line(0, "import " + quote(d.path), Role::First, 0, {{b, e}}, kImport);
        } else if constexpr (std::is_same_v<T, ParamDecl>) {
          add_line(0, line_expr(0, "parameter " + d.name + " = ", d.value), Role::First, 0,
                   {{b, e}}, kParam, true);
        } else if constexpr (std::is_same_v<T, LetDecl>) {
          add_line(0, line_expr(0, "let " + d.name + " = ", d.value), Role::First, 0, {{b, e}},
                   kLet, true);
        } else if constexpr (std::is_same_v<T, FieldDecl>) {
          std::string t = "field " + d.name + ": ";
          switch (d.type.kind) {
            case TypeKind::Bool:
              t += "bool";
              break;
            case TypeKind::Int:
              t += "int";
              break;
            case TypeKind::Number:
              t += "number";
              break;
            case TypeKind::Money:
              t += "money";
              break;
            case TypeKind::Percent:
              t += "percent";
              break;
            case TypeKind::Date:
              t += "date";
              break;
            case TypeKind::String:
              t += "string";
              break;
            case TypeKind::TimeZone:
              t += "time_zone";
              break;
            case TypeKind::Enum:
              t += "enum " + set_text(d.type.enum_values);
              break;
            case TypeKind::StringList:
              t += "list of string";
              break;
          }
          if (d.nullable) t += "?";
          if (d.range) {  // `0 to 10`, `>= 0`, `< 100%`
            const ast::FieldRange& r = *d.range;
            if (r.lo != ast::kNoExpr && r.hi != ast::kNoExpr)
              t += " " + expr(r.lo, kIf) + " to " + expr(r.hi, kIf);
            else if (r.lo != ast::kNoExpr)
              t += std::string(r.lo_inclusive ? " >= " : " > ") + expr(r.lo, kIf);
            else
              t += std::string(r.hi_inclusive ? " <= " : " < ") + expr(r.hi, kIf);
          }
          if (d.key) t += " key";
          add_line(0, std::move(t), Role::First, 0, {{b, e}}, kField, true);
        } else if constexpr (std::is_same_v<T, CandidateDecl>) {
          add_line(0, line_expr(0, "candidate when ", d.cond), Role::First, 0, {{b, e}}, kOther,
                   true);
        } else if constexpr (std::is_same_v<T, RuleDecl>) {
          const std::string kw = td.rule_kind == RuleKind::Stop ? "stop " : "review ";
          add_line(0, line_expr(0, kw + d.name + " when ", d.cond), Role::First, 0,
                   {{b, expr_end(d.cond)}}, kOther, true);
          if (d.reason_span.len > 0) {
            const uint32_t kb = word_before(d.reason_span.offset);
            add_line(1, "because " + quote(d.reason), Role::Cont, 0, {{kb, e}});
          }
        } else if constexpr (std::is_same_v<T, SegmentDecl>) {
          layout_segment(d);
        } else if constexpr (std::is_same_v<T, ScoreDecl>) {
          layout_score(d);
        } else if constexpr (std::is_same_v<T, ChannelDecl>) {
          std::string t = "channel " + d.name;
          if (d.requires_ != ast::kNoExpr) t = line_expr(0, t + " requires ", d.requires_);
          add_line(0, t + sends_text(d), Role::First, 0, {{b, e}}, kChannel, true);
        } else if constexpr (std::is_same_v<T, FallbackDecl>) {
          add_line(0, "fallback " + d.from + " to " + d.to, Role::First, 0, {{b, e}}, kChannel,
                   true);
        } else if constexpr (std::is_same_v<T, CapDecl>) {
          add_line(0, cap_text(d), Role::First, 0, {{b, e}}, kCap, true);
        } else if constexpr (std::is_same_v<T, LocalTimeDecl>) {
          std::string t = "local time from " + d.field;
          if (d.fallback) t += ", or " + quote(*d.fallback) + " when missing";
          add_line(0, std::move(t), Role::First, 0, {{b, e}}, kChannel, true);
        } else if constexpr (std::is_same_v<T, OwnerDecl>) {
          std::string t = "owner ";
          if (!d.field.empty()) t += d.field + (d.text ? " or " : "");
          if (d.text) t += quote(*d.text);
          add_line(0, std::move(t), Role::First, 0, {{b, e}}, kOther, true);
        } else if constexpr (std::is_same_v<T, GuaranteeDecl>) {
          const std::string head = "guarantee " + d.name + (d.always ? ": always " : ": never ");
          add_line(0, line_expr(0, head, d.cond), Role::First, 0, {{b, e}}, kGuarantee, true);
        } else if constexpr (std::is_same_v<T, SequenceDecl>) {
          layout_sequence(d);
        } else {
          static_assert(kUnhandled<T>, "Formatter::layout_decl: a declaration it cannot write");
        }
      },
      td.decl);
}

void Formatter::layout_segment(const ast::SegmentDecl& s) {
  const uint32_t open = skip_fwd(end_of(s.name_span));
  add_line(0, "segment " + s.name + " {", Role::Header, 0, {{s.span.offset, open + 1}}, kOther,
           true);
  size_t width = 0;
  for (const auto& l : s.labels)
    if (!l.otherwise) width = std::max(width, l.name.size());
  for (const auto& l : s.labels) {
    std::string t;
    if (l.otherwise) {
      t = "otherwise " + l.name;
    } else {
      t = line_expr(1, l.name + std::string(width - l.name.size(), ' ') + " when ", l.cond);
    }
    add_line(1, std::move(t), Role::First, 1, {{l.span.offset, end_of(l.span)}}, 0, true);
  }
  const uint32_t close = end_of(s.span) - 1;
  add_line(0, "}", Role::Close, 0, {{close, close + 1}});
}

// Points right-aligned (`-10` under ` 30`); `point` for one, `points` otherwise.
void Formatter::layout_score(const ast::ScoreDecl& s) {
  const uint32_t open = skip_fwd(end_of(s.name_span));
  add_line(0, "score " + s.name + " {", Role::Header, 0, {{s.span.offset, open + 1}}, kOther, true);
  size_t width = 0;
  for (const auto& l : s.lines) width = std::max(width, l.points.size());
  for (const auto& l : s.lines) {
    const bool one = l.points == "1" || l.points == "-1";
    std::string t = std::string(width - l.points.size(), ' ') + l.points +
                    (one ? " point when " : " points when ") + expr(l.cond, kIf);
    add_line(1, std::move(t), Role::First, 1, {{l.span.offset, end_of(l.span)}}, 0, true);
  }
  const uint32_t close = end_of(s.span) - 1;
  add_line(0, "}", Role::Close, 0, {{close, close + 1}});
}

void Formatter::layout_sequence(const ast::SequenceDecl& s) {
  const uint32_t open = skip_fwd(end_of(s.name_span));
  add_line(0, "sequence " + s.name + " {", Role::Header, 0, {{s.span.offset, open + 1}}, kOther,
           true);
  // Clauses in source order; groups (header clauses, channels, touches) get their own paragraph.
  enum class Kind : uint8_t { Enter, Progress, Wait, Holdout, Exit, Channel, Fallback, Cap, Touch };
  struct Clause {
    uint32_t begin;
    int group;
    Kind kind;
    size_t index;
  };
  std::vector<Clause> clauses;
  if (s.enter != ast::kNoExpr)
    clauses.push_back({word_before(word_before(expr_begin(s.enter))), 0, Kind::Enter, 0});
  if (s.progress_touch)
    clauses.push_back({word_before(s.progress_touch->second.offset), 0, Kind::Progress, 0});
  if (s.wait != ast::kNoExpr)
    clauses.push_back({word_before(expr_begin(s.wait)), 0, Kind::Wait, 0});
  if (s.holdout_share != ast::kNoExpr)
    clauses.push_back({s.holdout_span.offset, 0, Kind::Holdout, 0});
  for (size_t i = 0; i < s.exits.size(); ++i)
    clauses.push_back({s.exits[i].span.offset, 0, Kind::Exit, i});
  for (size_t i = 0; i < s.channels.size(); ++i)
    clauses.push_back({s.channels[i].span.offset, 1, Kind::Channel, i});
  for (size_t i = 0; i < s.fallbacks.size(); ++i)
    clauses.push_back({s.fallbacks[i].span.offset, 1, Kind::Fallback, i});
  for (size_t i = 0; i < s.caps.size(); ++i)
    clauses.push_back({s.caps[i].span.offset, 1, Kind::Cap, i});
  for (size_t i = 0; i < s.touches.size(); ++i)
    clauses.push_back({s.touches[i].span.offset, 2, Kind::Touch, i});
  std::stable_sort(clauses.begin(), clauses.end(),
                   [](const Clause& a, const Clause& b) { return a.begin < b.begin; });

  auto is_if = [&](ast::ExprId id) {
    return std::holds_alternative<ast::IfExpr>(f_.expr(id).kind);
  };
  // Touches are aligned on `via` when every touch fits on one line.
  bool one_line = s.touches.size() > 1;
  size_t width = 0;
  for (const auto& t : s.touches) {
    if (t.only_when != ast::kNoExpr || (t.offer != ast::kNoExpr && is_if(t.offer)) ||
        !t.variants.empty() || t.subject.present || t.body.present)
      one_line = false;
    width = std::max(width, t.name.size());
  }

  for (const Clause& c : clauses) {
    const uint32_t b = c.begin;
    switch (c.kind) {
      case Kind::Enter:
        add_line(1, line_expr(1, "enter when ", s.enter), Role::First, 1, {{b, expr_end(s.enter)}},
                 c.group);
        break;
      case Kind::Progress:
        add_line(1, "progress " + s.progress_touch->first + " on " + s.progress_date->first,
                 Role::First, 1, {{b, end_of(s.progress_date->second)}}, c.group);
        break;
      case Kind::Wait:
        add_line(1, "wait " + expr(s.wait, kIf), Role::First, 1, {{b, expr_end(s.wait)}}, c.group);
        break;
      case Kind::Holdout:
        add_line(1, "holdout " + expr(s.holdout_share, kIf) + " salt " + quote(s.holdout_salt),
                 Role::First, 1, {{b, end_of(s.holdout_span)}}, c.group);
        break;
      case Kind::Exit: {
        const auto& x = s.exits[c.index];
        add_line(1, line_expr(1, "exit " + x.name + " when ", x.cond), Role::First, 1,
                 {{b, end_of(x.span)}}, c.group);
        break;
      }
      case Kind::Channel: {
        const auto& x = s.channels[c.index];
        std::string t = "channel " + x.name;
        if (x.requires_ != ast::kNoExpr) {
          t += " requires ";
          t = line_expr(1, t, x.requires_);
        }
        add_line(1, t + sends_text(x), Role::First, 1, {{b, end_of(x.span)}}, c.group);
        break;
      }
      case Kind::Fallback: {
        const auto& x = s.fallbacks[c.index];
        add_line(1, "fallback " + x.from + " to " + x.to, Role::First, 1, {{b, end_of(x.span)}},
                 c.group);
        break;
      }
      case Kind::Cap:
        add_line(1, cap_text(s.caps[c.index]), Role::First, 1, {{b, end_of(s.caps[c.index].span)}},
                 c.group, true);
        break;
      case Kind::Touch: {
        const auto& t = s.touches[c.index];
        std::string text = "touch " + t.name;
        if (one_line) text += std::string(width - t.name.size(), ' ');
        text += " via " + expr(t.channel, kIf);
        std::vector<std::pair<uint32_t, uint32_t>> src{{b, expr_end(t.channel)}};
        const bool offer_inline = t.offer != ast::kNoExpr && !is_if(t.offer);
        uint32_t offer_b = 0;
        if (t.offer != ast::kNoExpr) offer_b = word_before(expr_begin(t.offer));
        if (offer_inline) {
          text += " offer " + expr(t.offer, kIf);
          src.push_back({offer_b, expr_end(t.offer)});
        }
        add_line(1, std::move(text), Role::First, 1, std::move(src), c.group, true);
        if (t.offer != ast::kNoExpr && !offer_inline)
          add_line(2, "offer " + expr(t.offer, kIf), Role::Cont, 1, {{offer_b, expr_end(t.offer)}});
        if (t.only_when != ast::kNoExpr)
          add_line(2, line_expr(2, "only when ", t.only_when), Role::Cont, 1,
                   {{word_before(word_before(expr_begin(t.only_when))), expr_end(t.only_when)}});
        if (!t.variants.empty() || t.subject.present || t.body.present) {
          // `{` ends the touch's last line; its subject and body, then one variant a line (a
          // variant with a subject or body: one clause a line); `}` on a line of its own.
          const uint32_t open = next_brace(lines_.back().src.back().second);
          lines_.back().text += " {";
          lines_.back().src.push_back({open, open + 1});
          auto message_line = [&](int indent, const char* word, const ast::MessageText& m) {
            if (!m.present) return;
            add_line(indent, std::string(word) + " " + quote(m.text), Role::First, indent,
                     {{word_before(m.span.offset), end_of(m.span)}}, 0);
          };
          message_line(2, "subject", t.subject);
          message_line(2, "body", t.body);
          for (const auto& v : t.variants) {
            std::string vt = "variant " + v.name + " " + v.share + "%";
            if (!v.subject.present && !v.body.present) {
              if (v.offer != ast::kNoExpr) vt += " { offer " + expr(v.offer, kIf) + " }";
              add_line(2, std::move(vt), Role::First, 2, {{v.span.offset, end_of(v.span)}}, 0,
                       true);
              continue;
            }
            const uint32_t v_open = next_brace(end_of(v.share_span));
            add_line(2, vt + " {", Role::First, 2, {{v.span.offset, v_open + 1}}, 0, true);
            if (v.offer != ast::kNoExpr)
              add_line(3, "offer " + expr(v.offer, kIf), Role::First, 3,
                       {{word_before(expr_begin(v.offer)), expr_end(v.offer)}}, 0);
            message_line(3, "subject", v.subject);
            message_line(3, "body", v.body);
            const uint32_t v_close = end_of(v.span) - 1;
            add_line(2, "}", Role::Close, 2, {{v_close, v_close + 1}});
          }
          const uint32_t close = end_of(t.span) - 1;
          add_line(1, "}", Role::Close, 1, {{close, close + 1}});
        }
        break;
      }
    }
  }
  const uint32_t close = end_of(s.span) - 1;
  add_line(0, "}", Role::Close, 0, {{close, close + 1}});
}

// Gives every comment its place: leading (own line before a line), trailing (end of a line), or
// moved (own line after a line it sat inside of). `tail` receives the comments after everything.
void Formatter::attach_comments(std::vector<uint32_t>& tail) {
  std::vector<Seg> segs;
  for (size_t i = 0; i < lines_.size(); ++i)
    for (const auto& [b, e] : lines_[i].src) segs.push_back({b, std::max(e, b + 1), i});
  std::stable_sort(segs.begin(), segs.end(), [](const Seg& a, const Seg& b) { return a.b < b.b; });
  // First source offset of each line.
  std::vector<uint32_t> first(lines_.size(), UINT32_MAX);
  for (size_t i = 0; i < lines_.size(); ++i)
    for (const auto& r : lines_[i].src) first[i] = std::min(first[i], r.first);

  size_t s = 0;
  for (uint32_t ci = 0; ci < comments_.size(); ++ci) {
    const uint32_t cb = comments_[ci].span.offset;
    while (s < segs.size() && segs[s].e <= cb) ++s;
    const bool trailing = !starts_line(cb);
    if (s == segs.size()) {
      if (trailing && !segs.empty())
        lines_[segs.back().line].trailing_candidates.push_back(ci);
      else
        tail.push_back(ci);
      continue;
    }
    const Seg& seg = segs[s];
    if (cb >= seg.b) {  // inside a line's source
      if (trailing)
        lines_[seg.line].trailing_candidates.push_back(ci);
      else
        lines_[seg.line].moved.push_back(ci);
    } else if (trailing && s > 0) {
      lines_[segs[s - 1].line].trailing_candidates.push_back(ci);
    } else if (cb > first[seg.line]) {
      lines_[seg.line].moved.push_back(ci);
    } else {
      lines_[seg.line].leading.push_back({ci, false});
    }
  }
  // One trailing comment per line (the last); the others move below the line.
  for (auto& l : lines_) {
    if (l.trailing_candidates.size() > 1) {
      l.moved.insert(l.moved.end(), l.trailing_candidates.begin(), l.trailing_candidates.end() - 1);
      l.trailing_candidates.erase(l.trailing_candidates.begin(), l.trailing_candidates.end() - 1);
    }
    std::sort(l.moved.begin(), l.moved.end());
  }
  // Moved comments lead the next line (or end the file).
  for (size_t i = lines_.size(); i-- > 0;) {
    if (lines_[i].moved.empty()) continue;
    std::vector<Note> notes;
    for (uint32_t ci : lines_[i].moved) notes.push_back({ci, true});
    if (i + 1 < lines_.size()) {
      Line& next = lines_[i + 1];
      // A moved `##` right above a declaration would become its documentation.
      if (next.takes_doc && next.leading.empty() && comments_[lines_[i].moved.back()].doc)
        next.doc_guard = true;
      next.leading.insert(next.leading.begin(), notes.begin(), notes.end());
    } else {
      std::vector<uint32_t> t(lines_[i].moved.begin(), lines_[i].moved.end());
      tail.insert(tail.begin(), t.begin(), t.end());
    }
    lines_[i].moved.clear();
  }
}

std::string Formatter::emit(const std::vector<uint32_t>& tail) const {
  std::string out;
  bool any = false;
  uint32_t prev_end = 0;  // source end of the previous element, for blank lines as written
  bool prev_header = false;
  // The previous sibling declaration at each depth (its sep_kind), reset when a block opens.
  std::vector<int> sibling(4, -2);

  auto put = [&](int indent, const std::string& text, bool blank) {
    if (any && blank) out += '\n';
    out.append(static_cast<size_t>(indent) * 2, ' ');
    out += text;
    out += '\n';
    any = true;
  };

  for (const Line& l : lines_) {
    const bool first_role = l.role == Role::First || l.role == Role::Header;
    bool forced = false;
    if (first_role) {
      const int prev = sibling[l.depth];
      if (prev != -2) {
        if (l.depth == 0)
          forced = !(prev == l.sep_kind && prev <= kField);
        else
          forced = prev != l.sep_kind;
      }
    }
    const bool no_blank = l.role == Role::Cont || l.role == Role::Close;
    const int comment_indent = l.role == Role::Close ? l.indent + 1 : l.indent;
    bool first_elem = true;
    uint32_t line_begin = UINT32_MAX;
    for (const auto& r : l.src) line_begin = std::min(line_begin, r.first);
    for (size_t k = 0; k < l.leading.size(); ++k) {
      const ast::Comment& c = comments_[l.leading[k].index];
      bool blank = false;
      if (!no_blank || l.role == Role::Close) {
        if (first_elem && forced && !prev_header) blank = true;
        if (!l.leading[k].moved && !prev_header && blank_between(prev_end, c.span.offset))
          blank = true;
        if (l.role == Role::Cont) blank = false;
      }
      put(comment_indent, c.text, blank);
      if (!l.leading[k].moved) prev_end = end_of(c.span);
      prev_header = false;
      first_elem = false;
    }
    bool blank = false;
    if (!no_blank && !prev_header) {
      if (first_elem && forced) blank = true;
      if (blank_between(prev_end, line_begin)) blank = true;
      if (l.doc_guard) blank = true;
    }
    if (l.role == Role::Close && !prev_header && !l.leading.empty() &&
        blank_between(prev_end, line_begin))
      blank = false;  // never a blank line right before `}`
    std::string text = l.text;
    if (!l.trailing_candidates.empty()) text += "  " + comments_[l.trailing_candidates[0]].text;
    put(l.indent, text, blank);
    uint32_t end = 0;
    for (const auto& r : l.src) end = std::max(end, r.second);
    prev_end = std::max(prev_end, end);
    if (!l.trailing_candidates.empty())
      prev_end = std::max(prev_end, end_of(comments_[l.trailing_candidates[0]].span));
    prev_header = l.role == Role::Header;
    if (first_role) sibling[l.depth] = l.sep_kind;
    if (l.role == Role::Header) sibling[l.depth + 1] = -2;
  }
  for (size_t k = 0; k < tail.size(); ++k) {
    const ast::Comment& c = comments_[tail[k]];
    put(0, c.text, blank_between(prev_end, c.span.offset));
    prev_end = std::max(prev_end, end_of(c.span));
  }
  return out;
}

std::string Formatter::run() {
  if (f_.is_schema) {
    // `schema NAME`: the first word of the file, then the name.
    const uint32_t kw = skip_fwd(text_.substr(0, 3) == "\xEF\xBB\xBF" ? 3 : 0);
    const uint32_t name_b = skip_fwd(kw + 6);
    uint32_t name_e = name_b;
    while (name_e < text_.size() && is_word_char(text_[name_e])) ++name_e;
    add_line(0, "schema " + f_.schema_name, Role::First, 0, {{kw, name_e}}, kSchemaHead);
  }
  for (const auto& d : f_.decls) layout_decl(d);
  std::vector<uint32_t> tail;
  attach_comments(tail);
  return emit(tail);
}

}  // namespace

std::optional<std::string> format_source(const SourceSet& sources, uint32_t file_index,
                                         std::vector<Diagnostic>& diags) {
  std::vector<ast::Comment> comments;
  ParseOptions opts;
  opts.comments = &comments;
  auto file = parse_file(sources, file_index, diags, opts);
  if (!file) return std::nullopt;
  Formatter f(*file, sources.file(file_index).text, comments);
  return f.run();
}

FormatResult format_text(const std::string& path, std::string text) {
  FormatResult r;
  const uint32_t index = r.sources.add(path, std::move(text));
  r.text = format_source(r.sources, index, r.diags);
  return r;
}

}  // namespace rk
