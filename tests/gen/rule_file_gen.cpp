// Rekindle tests: the random rule-file generator (see rule_file_gen.h). Expressions are built
// top-down for a wanted type from the schema's fields and the names declared so far (never
// later ones, so there are no cycles); a splitmix64 stream makes every choice, so a seed names
// one file on every platform.
#include "tests/gen/rule_file_gen.h"

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace rk::testgen {
namespace {

enum class T { Bool, Int, Number, Money, Percent, Days, Date };

struct Named {
  std::string name;
  T type;
};
struct Segment {
  std::string name;
  std::vector<std::string> labels;
};
struct Sequence {
  std::string name;
  std::vector<std::string> channels;
  std::vector<std::string> exits;
  std::set<std::string> offer_kinds;
  bool templated = false;  // its touches have subjects and bodies
};

const char* const kEnumValues[] = {"paid_social", "organic_search", "email", "referral", "direct"};
const char* const kFlags[] = {"complaint", "chargeback", "bereavement", "legal_hold"};
const char* const kCategories[] = {"apparel", "footwear", "accessories", "home",
                                   "kitchen", "garden",   "electronics", "toys"};

class Gen {
 public:
  explicit Gen(const RuleFileOptions& o)
      : o_(o),
        state_(o.seed * 0x9E3779B97F4A7C15ull + 1),
        message_state_(o.seed * 0xD1B54A32D192ED03ull + 7),
        guarantee_state_(o.seed * 0xA24BAED4963EE407ull + 11) {}

  std::string file();

 private:
  const RuleFileOptions& o_;
  uint64_t state_;
  // Templates draw from a stream of their own, so files without templates are as before.
  uint64_t message_state_;
  uint64_t guarantee_state_;
  int comment_no_ = 0;
  std::vector<Named> params_, lets_;
  std::vector<Segment> segments_;
  std::vector<Sequence> sequences_;
  // What an expression may read where it is being generated.
  bool allow_candidate_ = false;
  bool allow_sequences_ = false;

  uint64_t next() {
    uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  int pick(int n) { return static_cast<int>(next() % static_cast<uint64_t>(n)); }
  bool chance(int percent) { return pick(100) < percent; }
  // Whether and how many guarantees a file gets: a stream of its own, so files without them are
  // unchanged (their conditions come last in the file, from the main stream).
  int gpick(int n) {
    uint64_t z = (guarantee_state_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return static_cast<int>((z ^ (z >> 31)) % static_cast<uint64_t>(n));
  }
  int mpick(int n) {
    uint64_t z = (message_state_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return static_cast<int>((z ^ (z >> 31)) % static_cast<uint64_t>(n));
  }
  // A subject or body template, quoted: words (with escaped quotes, literal braces, `|`, UTF-8),
  // `{offer}`, fields, lets, scores and segments' labels, each with a fallback (some can be
  // missing).
  std::string message_text() {
    static const char* const kWords[] = {"Hi",      "there",         "a \\\"quoted\\\" word",
                                         "{{VIP}}", "50% off }}",    "a | bar",
                                         "Zoë",     "{{not_a_name}}"};
    static const char* const kFallbacks[] = {"friend", "", "a | b", "your last visit"};
    static const char* const kFields[] = {
        "orders_total",       "avg_order_value", "gross_margin_pct",    "email_bounce_rate",
        "last_purchase_date", "categories",      "acquisition_channel", "email_consent"};
    std::string out = "\"";
    const int n = 1 + mpick(4);
    for (int i = 0; i < n; ++i) {
      if (i) out += ' ';
      switch (mpick(5)) {
        case 0:
          out += kWords[mpick(static_cast<int>(std::size(kWords)))];
          break;
        case 1:
          out += mpick(2) ? "{offer}" : "{offer|a surprise}";
          break;
        case 2:
          out += std::string("{") + kFields[mpick(static_cast<int>(std::size(kFields)))] + "|" +
                 kFallbacks[mpick(static_cast<int>(std::size(kFallbacks)))] + "}";
          break;
        case 3:
          // A let (or a score) of any type, with a fallback: the generator does not know
          // whether it can be missing.
          if (!lets_.empty()) {
            out += "{" + lets_[static_cast<size_t>(mpick(static_cast<int>(lets_.size())))].name +
                   "|" + kFallbacks[mpick(static_cast<int>(std::size(kFallbacks)))] + "}";
            break;
          }
          [[fallthrough]];
        default:
          out += segments_.empty()
                     ? std::string("{offer}")
                     : "{" +
                           segments_[static_cast<size_t>(mpick(static_cast<int>(segments_.size())))]
                               .name +
                           "|none}";
          break;
      }
    }
    return out + "\"";
  }
  template <typename V>
  const auto& one(const V& v) {
    return v[static_cast<size_t>(pick(static_cast<int>(std::size(v))))];
  }

  std::string comment(bool doc = false) {
    return (doc ? "## note " : "# remark ") + std::to_string(++comment_no_);
  }
  // Between two tokens: one space, or (messy/comments) odd spacing, a line break, a comment.
  std::string sp() {
    if (o_.comments && chance(3)) return "  " + comment() + "\n      ";
    if (o_.messy && chance(4)) return one(std::vector<std::string>{"  ", "\n    ", "\t", "\n\n  "});
    return " ";
  }
  // Before a declaration: maybe blank lines, comments, a doc comment.
  std::string before_decl(int indent) {
    std::string pad(static_cast<size_t>(indent) * 2, ' ');
    std::string out;
    if (o_.comments && chance(15)) out += pad + comment() + "\n";
    if (o_.comments && chance(10)) out += "\n";
    if (o_.comments && chance(25)) out += pad + comment(true) + "\n";
    return out;
  }
  std::string eol() {
    if (o_.comments && chance(12)) return "  " + comment(chance(20)) + "\n";
    return "\n";
  }

  // ---- Literals ----
  std::string int_lit() { return std::to_string(pick(3) == 0 ? pick(1000) : pick(10)); }
  std::string number_lit() { return std::to_string(pick(100)) + "." + std::to_string(pick(100)); }
  std::string money_lit() {
    return "$" + std::to_string(pick(400)) +
           (chance(30) ? "." + std::to_string(10 + pick(90)) : "");
  }
  std::string percent_lit() { return std::to_string(pick(60)) + (chance(20) ? ".5" : "") + "%"; }
  // One space between the number and its unit: ir::dump shows a parameter's literal as written.
  std::string days_lit() {
    switch (pick(4)) {
      case 0:
        return std::to_string(pick(400)) + " days";
      case 1:
        return "1 day";
      case 2:
        return std::to_string(1 + pick(8)) + " weeks";
      default:
        return "1 week";
    }
  }
  std::string date_lit() {
    static const char* const kDates[] = {"2025-01-31", "2026-02-28", "2026-11-01",
                                         "2024-02-29", "2026-06-15", "2019-12-31"};
    return one(kDates);
  }
  std::string literal(T t) {
    switch (t) {
      case T::Bool:
        return chance(50) ? "true" : "false";
      case T::Int:
        return int_lit();
      case T::Number:
        return number_lit();
      case T::Money:
        return money_lit();
      case T::Percent:
        return percent_lit();
      case T::Days:
        return days_lit();
      case T::Date:
        return date_lit();
    }
    return "0";
  }

  // ---- Names by type ----
  std::vector<std::string> fields(T t, bool nullable_only = false) {
    switch (t) {
      case T::Bool:
        return nullable_only ? std::vector<std::string>{"email_consent", "sms_consent"}
                             : std::vector<std::string>{"is_subscriber", "opted_out", "responded",
                                                        "email_consent", "sms_consent"};
      case T::Int:
        return nullable_only ? std::vector<std::string>{}
                             : std::vector<std::string>{"orders_total",        "email_opens_90d",
                                                        "email_clicks_90d",    "purchases_90d",
                                                        "spam_complaints_90d", "last_touch"};
      case T::Money:
        return nullable_only ? std::vector<std::string>{}
                             : std::vector<std::string>{"avg_order_value"};
      case T::Percent:
        return {"gross_margin_pct", "email_bounce_rate"};
      case T::Date:
        return {"last_purchase_date", "last_engagement_date", "last_touch_date"};
      default:
        return {};
    }
  }
  std::vector<std::string> names(T t) {
    std::vector<std::string> out = fields(t);
    for (const auto& p : params_)
      if (p.type == t) out.push_back(p.name);
    for (const auto& l : lets_)
      if (l.type == t) out.push_back(l.name);
    return out;
  }

  std::string paren(const std::string& s) {
    if (chance(8)) return "((" + s + "))";
    return "(" + s + ")";
  }

  // ---- Expressions of a type ----
  std::string leaf(T t) {
    auto n = names(t);
    if (t == T::Date && chance(20)) return "today";
    if (t == T::Days && chance(25))
      return std::string("days") + sp() + (chance(70) ? "since" : "until") + sp() +
             one(fields(T::Date));
    if (!n.empty() && chance(65)) return one(n);
    return literal(t);
  }

  std::string num(T t, int d) {
    if (d <= 0 || chance(30)) return leaf(t);
    const int k = pick(8);
    if (k == 0)
      return paren("if" + sp() + cond(d - 1) + sp() + "then" + sp() + num(t, d - 1) + sp() +
                   "else" + sp() + num(t, d - 1));
    if (k == 1 && t != T::Date) return "-" + unary(t, d - 1);
    if (k == 2) return paren(num(t, d - 1));
    switch (t) {
      case T::Int:
        if (chance(50))
          return num(T::Int, d - 1) + sp() + one(std::vector<std::string>{"+", "-", "*"}) + sp() +
                 term(T::Int, d - 1);
        return leaf(T::Int);
      case T::Number:
        switch (pick(4)) {
          case 0:
            return num(T::Number, d - 1) + sp() + "+" + sp() + term(T::Int, d - 1);
          case 1:
            return term(T::Money, d - 1) + sp() + "/" + sp() + unary(T::Money, d - 1);
          case 2:
            return term(T::Int, d - 1) + sp() + "/" + sp() + unary(T::Int, d - 1);
          default:
            return num(T::Int, d - 1) + sp() + "*" + sp() + unary(T::Number, d - 1);
        }
      case T::Money:
        switch (pick(5)) {
          case 0:
            return num(T::Money, d - 1) + sp() + one(std::vector<std::string>{"+", "-"}) + sp() +
                   term(T::Money, d - 1);
          case 1:
            return term(T::Money, d - 1) + sp() + "*" + sp() + unary(T::Int, d - 1);
          case 2:
            return term(T::Percent, d - 1) + sp() + "*" + sp() + unary(T::Money, d - 1);
          case 3:
            return term(T::Money, d - 1) + sp() + "/" + sp() + unary(T::Number, d - 1);
          default:
            return leaf(T::Money);
        }
      case T::Percent:
        switch (pick(3)) {
          case 0:
            return num(T::Percent, d - 1) + sp() + one(std::vector<std::string>{"+", "-"}) + sp() +
                   term(T::Percent, d - 1);
          case 1:
            return term(T::Percent, d - 1) + sp() + "*" + sp() + unary(T::Int, d - 1);
          default:
            return leaf(T::Percent);
        }
      case T::Days:
        switch (pick(4)) {
          case 0:
            return num(T::Days, d - 1) + sp() + one(std::vector<std::string>{"+", "-"}) + sp() +
                   term(T::Days, d - 1);
          case 1:
            return term(T::Days, d - 1) + sp() + "*" + sp() + unary(T::Int, d - 1);
          case 2:
            return num(T::Date, d - 1) + sp() + "-" + sp() + term(T::Date, d - 1);
          default:
            return std::string("days") + sp() + (chance(50) ? "since" : "until") + sp() +
                   paren(num(T::Date, d - 1));
        }
      case T::Date:
        switch (pick(3)) {
          case 0:
            return num(T::Date, d - 1) + sp() + one(std::vector<std::string>{"+", "-"}) + sp() +
                   term(T::Days, d - 1);
          case 1:
            return term(T::Days, d - 1) + sp() + "+" + sp() + term(T::Date, d - 1);
          default:
            return leaf(T::Date);
        }
      default:
        return leaf(t);
    }
  }
  // An operand of `*`/`/`/`-`: parenthesized unless it is a leaf.
  std::string unary(T t, int d) {
    if (d <= 0 || chance(50)) return leaf(t);
    return paren(num(t, d - 1));
  }
  // A right operand of `+`/`-`: a product or a leaf.
  std::string term(T t, int d) { return unary(t, d); }

  std::string set_of(const std::vector<std::string>& pool, bool quoted = false) {
    std::vector<std::string> items;
    const int n = 1 + pick(3);
    for (int i = 0; i < n; ++i) {
      const std::string& it = pool[static_cast<size_t>(pick(static_cast<int>(pool.size())))];
      items.push_back(quoted || chance(10) ? "\"" + it + "\"" : it);
    }
    std::string out = "{";
    for (size_t i = 0; i < items.size(); ++i) out += (i ? "," + sp() : "") + items[i];
    if (chance(10)) out += ",";
    return out + "}";
  }

  std::string cmp_op(bool ordered) {
    if (!ordered) return chance(50) ? "=" : "!=";
    static const char* const kOps[] = {"=",       "!=",         "<",        "<=",
                                       ">",       ">=",         "at least", "is at least",
                                       "at most", "is at most", "above",    "is above",
                                       "below",   "is below",   "under",    "is under"};
    std::string op = one(kOps);
    for (auto& c : op)
      if (c == ' ') c = '\x01';
    std::string out;
    for (char c : op) out += c == '\x01' ? sp() : std::string(1, c);
    return out;
  }

  // A condition (bool).
  std::string cond(int d) {
    if (d <= 0) return atom_cond(0);
    switch (pick(9)) {
      case 0:
        return cond(d - 1) + sp() + "and" + sp() + and_operand(d - 1);
      case 1:
        return cond(d - 1) + sp() + "or" + sp() + or_operand(d - 1);
      case 2:
        return "not" + sp() + (chance(50) ? paren(cond(d - 1)) : atom_cond(d - 1));
      case 3:
        return paren("if" + sp() + cond(d - 1) + sp() + "then" + sp() + cond(d - 1) + sp() +
                     "else" + sp() + cond(d - 1));
      case 4:
        return paren(cond(d - 1));
      default:
        return atom_cond(d);
    }
  }
  std::string and_operand(int d) {
    std::string c = cond(d);
    return c.find(" or ") != std::string::npos || c.rfind("if", 0) == 0 ? paren(c) : atom_cond(d);
  }
  std::string or_operand(int d) { return chance(50) ? atom_cond(d) : paren(cond(d)); }

  std::string atom_cond(int d) {
    const int k = pick(16);
    static const T kNum[] = {T::Int, T::Number, T::Money, T::Percent, T::Days, T::Date};
    switch (k) {
      case 0:
      case 1: {
        const T t = one(kNum);
        return num(t, d) + sp() + cmp_op(true) + sp() + num(t, d);
      }
      case 2: {
        const T t = one(kNum);
        if (t == T::Days && chance(50))
          return num(t, d) + sp() + (chance(30) ? "not in" : "in") + sp() +
                 std::to_string(pick(100)) + sp() + "to" + sp() + days_lit();
        return num(t, d) + sp() + (chance(30) ? "not" + sp() + "in" : "in") + sp() + leaf(t) +
               sp() + "to" + sp() + leaf(t);
      }
      case 3: {
        auto n = names(T::Bool);
        return n.empty() ? "true" : one(n);
      }
      case 4:
        return one(fields(T::Bool, true)) + sp() + "is" + sp() + (chance(40) ? "not" + sp() : "") +
               (chance(50) ? "true" : "false");
      case 5: {
        static const char* const kNullable[] = {
            "last_purchase_date", "last_engagement_date", "last_touch_date",  "gross_margin_pct",
            "email_bounce_rate",  "email_consent",        "relationship_flag"};
        static const char* const kTests[] = {"is missing", "is present", "is not missing",
                                             "is not present"};
        std::string test = one(kTests);
        for (auto& c : test)
          if (c == ' ') c = '\x01';
        std::string out = std::string(one(kNullable));
        out += sp();
        for (char c : test) out += c == '\x01' ? sp() : std::string(1, c);
        return out;
      }
      case 6:
        return std::string("acquisition_channel") + sp() + "is" + sp() +
               (chance(30) ? "not" + sp() : "") + one(kEnumValues);
      case 7: {
        std::vector<std::string> pool(std::begin(kFlags), std::end(kFlags));
        return std::string("relationship_flag") + sp() + "is" + sp() +
               (chance(30) ? "not" + sp() : "") + "one" + sp() + "of" + sp() + set_of(pool);
      }
      case 8: {
        std::vector<std::string> pool(std::begin(kEnumValues), std::end(kEnumValues));
        return std::string("acquisition_channel") + sp() + (chance(30) ? "not" + sp() : "") + "in" +
               sp() + set_of(pool);
      }
      case 9: {
        std::vector<std::string> pool(std::begin(kCategories), std::end(kCategories));
        switch (pick(4)) {
          case 0:
            return "categories" + sp() + "has" + sp() + one(pool);
          case 1:
            return "categories" + sp() + "has" + sp() + "any" + sp() + "of" + sp() + set_of(pool);
          case 2:
            return "categories" + sp() + "has" + sp() + "all" + sp() + "of" + sp() + set_of(pool);
          default:
            return "categories" + sp() + "has" + sp() + "none" + sp() + "of" + sp() + set_of(pool);
        }
      }
      case 10: {
        if (segments_.empty()) return atom_cond(d);
        const Segment& s = one(segments_);
        if (chance(40)) return s.name + sp() + "is" + sp() + one(s.labels);
        if (chance(50)) return s.name + sp() + "in" + sp() + set_of(s.labels);
        return s.name + sp() + "is" + sp() + (chance(30) ? "not" + sp() : "") + "one" + sp() +
               "of" + sp() + set_of(s.labels);
      }
      case 11:
        return "customer_id" + sp() +
               (chance(50) ? "is" + sp() + "\"C" + std::to_string(pick(50)) + "\""
                           : "in" + sp() + set_of({"C1", "C2", "C3 x", "C\\\"4"}, true));
      case 12:
        if (allow_candidate_) return chance(50) ? "candidate" : "not" + sp() + "candidate";
        return atom_cond(d);
      case 13:
        if (allow_sequences_ && !sequences_.empty()) {
          const Sequence& q = one(sequences_);
          switch (pick(3)) {
            case 0: {
              std::vector<std::string> kinds(q.offer_kinds.begin(), q.offer_kinds.end());
              return q.name + "." + "offer" + sp() + "is" + sp() + one(kinds);
            }
            case 1: {
              std::vector<std::string> st{"not_candidate", "stopped",    "exhausted",
                                          "waiting",       "no_channel", "due"};
              st.insert(st.end(), q.exits.begin(), q.exits.end());
              return q.name + ".status" + sp() + "is" + sp() + one(st);
            }
            default:
              return q.name + ".channel" + sp() + "is" + sp() + one(q.channels);
          }
        }
        return atom_cond(d);
      case 14:
        return num(T::Int, d) + sp() + "is" + sp() + (chance(30) ? "not" + sp() : "") + int_lit();
      default:
        return (chance(50) ? "is_subscriber" : "responded") + sp() + "=" + sp() +
               (chance(50) ? "true" : "false");
    }
  }
  std::string top_cond() { return cond(1 + pick(o_.max_depth)); }

  // ---- Declarations ----
  std::string param(int i) {
    static const T kTypes[] = {T::Int, T::Number, T::Money, T::Percent, T::Days, T::Date, T::Bool};
    const T t = one(kTypes);
    const std::string name = "p" + std::to_string(i);
    std::string out =
        before_decl(0) + "parameter" + sp() + name + sp() + "=" + sp() + literal(t) + eol();
    params_.push_back({name, t});
    return out;
  }
  std::string let(int i) {
    static const T kTypes[] = {T::Int, T::Number, T::Money, T::Percent, T::Days, T::Date, T::Bool};
    const T t = one(kTypes);
    const std::string name = "l" + std::to_string(i);
    const std::string value = t == T::Bool ? top_cond() : num(t, 1 + pick(o_.max_depth));
    lets_.push_back({name, t});
    return before_decl(0) + "let" + sp() + name + sp() + "=" + sp() + value + eol();
  }
  std::string segment(int i) {
    Segment s{"seg" + std::to_string(i), {}};
    const int n = 1 + pick(5);
    const bool otherwise = chance(60);
    std::string out = before_decl(0) + "segment" + sp() + s.name + sp() + "{" + eol();
    for (int k = 0; k < n; ++k) {
      const std::string label = s.name + "_" + std::string(1, static_cast<char>('a' + k)) +
                                std::string(static_cast<size_t>(pick(4)), 'x');
      out += before_decl(1) + "  " + label + (o_.messy ? sp() : " ") + "when" + sp() + top_cond() +
             eol();
      s.labels.push_back(label);
    }
    if (otherwise) {
      const std::string label = s.name + "_rest";
      out += before_decl(1) + "  otherwise" + sp() + label + eol();
      s.labels.push_back(label);
    }
    out += "}" + eol();
    segments_.push_back(std::move(s));
    return out;
  }
  // `score scI { N points when COND ... }`: whole or decimal points, some negative; later
  // expressions may read it like a let of its type.
  std::string score(int i) {
    const std::string name = "sc" + std::to_string(i);
    const bool decimal = chance(30);
    std::string out = before_decl(0) + "score" + sp() + name + sp() + "{" + eol();
    const int n = 1 + pick(5);
    for (int k = 0; k < n; ++k) {
      std::string points = (chance(25) ? "-" : "") + std::to_string(pick(40));
      if (decimal && chance(60)) points += "." + std::to_string(1 + pick(99));
      out += before_decl(1) + "  " + points + sp() + (chance(10) ? "point" : "points") + sp() +
             "when" + sp() + top_cond() + eol();
    }
    out += "}" + eol();
    lets_.push_back({name, decimal ? T::Number : T::Int});
    return out;
  }
  std::string rule(bool stop, int i) {
    std::string out = before_decl(0) + (stop ? "stop " : "review ") + (stop ? "s" : "r") +
                      std::to_string(i) + sp() + "when" + sp() + top_cond();
    if (stop || chance(60)) {
      out += o_.messy && chance(30) ? " " : "\n  ";
      out += "because" + sp() + "\"Reason " + std::to_string(i) + (chance(10) ? " \\\"q\\\"" : "") +
             "\"";
    }
    return out + eol();
  }
  std::string offer(Sequence& q) {
    switch (pick(6)) {
      case 0:
        q.offer_kinds.insert("none");
        return "none";
      case 1:
        q.offer_kinds.insert("credit");
        return "credit" + sp() + std::to_string(1 + pick(50));
      case 2:
        q.offer_kinds.insert("points");
        return "points" + sp() + std::to_string(100 * (1 + pick(9)));
      case 3:
        q.offer_kinds.insert("early_access");
        return "early_access";
      case 4:
        q.offer_kinds.insert("discount");
        return "discount" + sp() + std::to_string(5 + pick(30)) + "%";
      default: {
        std::string a = offer(q), b = offer(q);
        std::string e =
            "if" + sp() + top_cond() + sp() + "then" + sp() + a + sp() + "else" + sp() + b;
        return chance(70) ? paren(e) : e;
      }
    }
  }
  std::string sequence(int i) {
    Sequence q;
    q.name = "q" + std::to_string(i);
    q.templated = mpick(100) < 30;
    const int nch = 1 + pick(3);
    for (int k = 0; k < nch; ++k) q.channels.push_back(q.name + "_ch" + std::to_string(k));
    std::vector<std::string> clauses;  // header clauses (any order when messy)
    if (chance(40)) clauses.push_back("enter" + sp() + "when" + sp() + top_cond());
    if (chance(80))
      clauses.push_back("progress last_touch" + sp() + "on" + sp() + "last_touch_date");
    const int nexit = pick(3);
    for (int k = 0; k < nexit; ++k) {
      q.exits.push_back(q.name + "_exit" + std::to_string(k));
      clauses.push_back("exit" + sp() + q.exits.back() + sp() + "when" + sp() + top_cond());
    }
    if (chance(80)) {
      auto days = names(T::Days);
      clauses.push_back("wait" + sp() + (chance(50) && !days.empty() ? one(days) : days_lit()));
    }
    if (chance(80))
      clauses.push_back("holdout" + sp() + std::to_string(pick(20)) + (chance(20) ? ".5" : "") +
                        "%" + sp() + "salt" + sp() + "\"" + q.name + "\"");
    std::vector<std::string> chans;
    for (const auto& c : q.channels)
      chans.push_back("channel" + sp() + c +
                      (chance(80) ? sp() + "requires" + sp() + top_cond() : ""));
    if (q.channels.size() > 1 && chance(70))
      chans.push_back("fallback" + sp() + q.channels[0] + sp() + "to" + sp() + q.channels[1]);
    std::vector<std::string> touches;
    const int nt = 1 + pick(6);
    for (int k = 0; k < nt; ++k) {
      std::string via = one(q.channels);
      if (q.channels.size() > 1 && chance(25)) {
        const std::string e = "if" + sp() + top_cond() + sp() + "then" + sp() + q.channels[0] +
                              sp() + "else" + sp() + q.channels[1];
        via = paren(e);
      }
      std::string t = before_decl(1) + "  touch" + sp() + q.name + "_t" + std::to_string(k) + sp() +
                      "via" + sp() + via;
      std::string off, only;
      if (chance(60)) {
        std::string o = offer(q);
        // An unparenthesized `if` must come last or before `only when` only if parenthesized.
        off = "offer" + sp() + o;
      } else {
        q.offer_kinds.insert("none");
      }
      if (chance(30)) only = "only" + sp() + "when" + sp() + top_cond();
      const bool only_first =
          !only.empty() && !off.empty() && chance(30) && off.find("offer if") == std::string::npos;
      auto cont = [&](const std::string& c) { return (chance(50) ? "\n    " : " ") + c; };
      if (only_first) {
        t += cont(only) + cont(off);
      } else {
        if (!off.empty()) t += cont(off);
        if (!only.empty()) {
          // `offer if .. else X only when` parses: `only` ends the else branch.
          t += cont(only);
        }
      }
      if (chance(20)) {
        // Variants (a touch's braces): 1-3 of them, whole-percent shares adding up to at most
        // 100% (sometimes less: the rest get no variant), some with an offer of their own; with
        // templates, the touch's subject and body first, and some variants with their own.
        const int nv = 1 + pick(3);
        int left = 100;
        t += sp() + "{" + eol();
        if (q.templated)
          t += "    subject " + message_text() + "\n    body " + message_text() + "\n";
        for (int v = 0; v < nv && left > 0; ++v) {
          const int share = v + 1 == nv && chance(70) ? left : 1 + pick(left);
          left -= share;
          t += before_decl(2) + "    variant" + sp() + q.name + "_v" + std::to_string(v) + sp() +
               std::to_string(share) + "%";
          const bool own_message = q.templated && mpick(100) < 40;
          if (chance(40)) {
            t += sp() + "{" + sp() + "offer" + sp() + offer(q);
            if (own_message) t += " body " + message_text();
            t += sp() + "}";
          } else if (own_message) {
            t += " {\n      subject " + message_text() + "\n    }";
          }
          t += eol();
        }
        t += "  }";
      } else if (q.templated) {
        t += " {\n    subject " + message_text() + "\n    body " + message_text() + "\n  }";
      }
      touches.push_back(t + eol());
    }
    if (o_.messy) {
      for (size_t k = clauses.size(); k > 1; --k)
        std::swap(clauses[k - 1], clauses[pick(static_cast<int>(k))]);
    }
    std::string out = before_decl(0) + "sequence" + sp() + q.name + sp() + "{" + eol();
    for (const auto& c : clauses) out += before_decl(1) + "  " + c + eol();
    if (!clauses.empty() && chance(70)) out += "\n";
    for (const auto& c : chans) out += before_decl(1) + "  " + c + eol();
    if (chance(70)) out += "\n";
    for (const auto& t : touches) out += t;
    out += "}" + eol();
    sequences_.push_back(std::move(q));
    return out;
  }
};

std::string Gen::file() {
  std::string out;
  if (o_.comments) out += comment() + "\n" + comment() + "\n\n";
  out += "import \"" + o_.schema_path + "\"" + eol() + "\n";
  const int np = 1 + pick(6);
  for (int i = 0; i < np; ++i) out += param(i);
  out += "\n";
  const int nl = pick(5);
  for (int i = 0; i < nl; ++i) out += let(i) + (chance(40) ? "\n" : "");
  out += "\n";
  const int ns = 1 + pick(5);
  for (int i = 0; i < ns; ++i) out += segment(i) + "\n";
  const int nsc = pick(3);
  for (int i = 0; i < nsc; ++i) out += score(i) + "\n";
  if (chance(80))
    out += before_decl(0) + "candidate" + sp() + "when" + sp() + top_cond() + eol() + "\n";
  allow_candidate_ = true;
  const int nstop = pick(5);
  for (int i = 0; i < nstop; ++i) out += rule(true, i) + "\n";
  const int nq = pick(3);
  for (int i = 0; i < nq; ++i) out += sequence(i) + "\n";
  allow_sequences_ = true;
  const int nr = pick(5);
  for (int i = 0; i < nr; ++i) out += rule(false, i) + "\n";
  if (o_.comments && chance(50)) out += comment() + "\n";
  // Guarantees in about 30% of files, after everything (they read anything, `reviewed` too).
  if (gpick(100) < 30) {
    const int ng = 1 + gpick(3);
    for (int i = 0; i < ng; ++i) {
      std::string c = top_cond();
      if (gpick(3) == 0) c = paren(c) + sp() + "and" + sp() + "not" + sp() + "reviewed";
      out += "\n" + before_decl(0) + "guarantee" + sp() + "g" + std::to_string(i) + ":" + sp() +
             (gpick(2) ? "never" : "always") + sp() + c + eol();
    }
  }
  return out;
}

}  // namespace

std::string generate_rule_file(const RuleFileOptions& opts) {
  return Gen(opts).file();
}

}  // namespace rk::testgen
