// Rekindle fuzzing: derives a well-typed rule file over the playbook schema (rules/customer.schema)
// and a CSV snapshot of that schema from a stream of bytes. Used by fuzz/fuzz_jit_diff.cpp (the
// interpreter and the JIT must agree on every row) and by the hostile-input tests (big rule files).
// Every byte sequence gives a program; an exhausted stream picks the first (simplest) choice.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

namespace rk::fuzz {

class ByteSource {
 public:
  ByteSource(const uint8_t* data, size_t size) : p_(data), n_(size) {}
  // A value in [0, bound); 0 when the bytes are used up.
  uint64_t pick(uint64_t bound) {
    if (bound <= 1) return 0;
    uint64_t v = 0;
    for (uint64_t b = bound - 1; b; b >>= 8) v = (v << 8) | byte();
    return v % bound;
  }
  bool coin() { return pick(2) == 1; }
  uint8_t byte() { return pos_ < n_ ? p_[pos_++] : 0; }
  bool empty() const { return pos_ >= n_; }

 private:
  const uint8_t* p_;
  size_t n_, pos_ = 0;
};

// An endless ByteSource from a seed (splitmix64), for generated stress inputs.
class SeededBytes {
 public:
  explicit SeededBytes(uint64_t seed, size_t n) : bytes_(n) {
    for (auto& b : bytes_) {
      seed += 0x9e3779b97f4a7c15ull;
      uint64_t z = seed;
      z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
      z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
      b = static_cast<uint8_t>(z ^ (z >> 31));
    }
  }
  ByteSource source() const { return ByteSource(bytes_.data(), bytes_.size()); }

 private:
  std::vector<uint8_t> bytes_;
};

struct GenOptions {
  int max_depth = 4;
  int max_lets = 4, max_segments = 3, max_labels = 4, max_stops = 3, max_reviews = 3;
  int max_touches = 4;
  bool allow_sequence = true;
};

class RuleGen {
 public:
  enum class T { Bool, Int, Num, Money, Pct, Days, Date };

  RuleGen(ByteSource& in, GenOptions opts = {}) : in_(in), o_(opts) {}

  // The whole rule file (imports "customer.schema": compile it as rules/<anything>.rules).
  std::string rule_file() {
    std::string s = "import \"customer.schema\"\n";
    const int params = static_cast<int>(in_.pick(4));
    for (int i = 0; i < params; ++i) {
      static const T kinds[] = {T::Int, T::Money, T::Pct, T::Days};
      const T t = kinds[in_.pick(4)];
      const std::string name = "p" + std::to_string(i);
      s += "parameter " + name + " = " + literal(t) + "\n";
      names_.push_back({name, t});
    }
    const int lets = static_cast<int>(in_.pick(o_.max_lets + 1));
    for (int i = 0; i < lets; ++i) {
      const T t = any_type();
      const std::string name = "v" + std::to_string(i);
      s += "let " + name + " = " + expr(t, o_.max_depth) + "\n";
      names_.push_back({name, t});
    }
    const int segs = static_cast<int>(in_.pick(o_.max_segments + 1));
    for (int i = 0; i < segs; ++i) {
      const std::string name = "s" + std::to_string(i);
      Segment seg{name, {}};
      s += "segment " + name + " {\n";
      const int labels = 1 + static_cast<int>(in_.pick(o_.max_labels));
      for (int k = 0; k < labels; ++k) {
        const std::string label = name + "_l" + std::to_string(k);
        s += "  " + label + " when " + expr(T::Bool, o_.max_depth) + "\n";
        seg.labels.push_back(label);
      }
      if (in_.coin()) {
        const std::string label = name + "_other";
        s += "  otherwise " + label + "\n";
        seg.labels.push_back(label);
      }
      s += "}\n";
      segments_.push_back(seg);
    }
    s += "candidate when " + expr(T::Bool, o_.max_depth) + "\n";
    const int stops = static_cast<int>(in_.pick(o_.max_stops + 1));
    for (int i = 0; i < stops; ++i)
      s += "stop st" + std::to_string(i) + " when " + expr(T::Bool, o_.max_depth) +
           " because \"stop " + std::to_string(i) + "\"\n";
    const int reviews = static_cast<int>(in_.pick(o_.max_reviews + 1));
    for (int i = 0; i < reviews; ++i)
      s += "review rv" + std::to_string(i) + " when " + expr(T::Bool, o_.max_depth) + "\n";
    if (o_.allow_sequence && in_.coin()) s += sequence();
    return s;
  }

  // A CSV snapshot of the playbook schema with `rows` rows of edge-heavy values.
  std::string csv(int rows) {
    std::string s =
        "customer_id,last_purchase_date,last_engagement_date,orders_total,avg_order_value,"
        "gross_margin_pct,is_subscriber,email_opens_90d,email_clicks_90d,purchases_90d,"
        "categories,acquisition_channel,email_consent,sms_consent,opted_out,relationship_flag,"
        "spam_complaints_90d,email_bounce_rate,last_touch,last_touch_date,responded\n";
    for (int r = 0; r < rows; ++r) {
      s += "c" + std::to_string(r) + "_" + std::to_string(in_.pick(1000));
      s += "," + date_value(true) + "," + date_value(true) + "," + int_value() + "," +
           float_value(false) + "," + float_value(true) + "," + bool_value(false) + "," +
           int_value() + "," + int_value() + "," + int_value() + "," + list_value() + "," +
           enum_value(kChannels, 5, false) + "," + bool_value(true) + "," + bool_value(true) + "," +
           bool_value(false) + "," + enum_value(kFlags, 4, true) + "," + int_value() + "," +
           float_value(true) + "," + std::to_string(in_.pick(9)) + "," + date_value(true) + "," +
           bool_value(false) + "\n";
    }
    return s;
  }

  // An as-of date (days since 1970-01-01), edge-heavy.
  int32_t as_of() {
    static const int32_t kDays[] = {20759, 0, -1, -25567, 47482, 20759, 2932896, -719162};
    const int32_t base = kDays[in_.pick(8)];
    return base + static_cast<int32_t>(in_.pick(5)) - 2;
  }

 private:
  struct Name {
    std::string name;
    T type;
  };
  struct Segment {
    std::string name;
    std::vector<std::string> labels;
  };
  static constexpr const char* kChannels[] = {"paid_social", "organic_search", "email", "referral",
                                              "direct"};
  static constexpr const char* kFlags[] = {"complaint", "chargeback", "bereavement", "legal_hold"};
  static constexpr const char* kCategories[] = {"apparel", "footwear",    "home",
                                                "kitchen", "electronics", "books"};

  T any_type() { return static_cast<T>(in_.pick(7)); }

  std::string literal(T t) {
    switch (t) {
      case T::Bool:
        return in_.coin() ? "true" : "false";
      case T::Int: {
        static const char* v[] = {
            "0", "1", "2", "7", "60", "3", "10000000000000", "9223372036854775807"};
        return v[in_.pick(8)];
      }
      case T::Num: {
        static const char* v[] = {"0.5", "0", "1.25", "1000000.5", "0.001"};
        return v[in_.pick(5)];
      }
      case T::Money: {
        static const char* v[] = {"$250", "$0", "$19.99", "$75", "$1000000000000"};
        return v[in_.pick(5)];
      }
      case T::Pct: {
        static const char* v[] = {"5%", "0%", "40%", "12.5%", "100%"};
        return v[in_.pick(5)];
      }
      case T::Days: {
        static const char* v[] = {"60 days", "0 days", "1 day", "2 weeks", "36500 days", "7 days"};
        return v[in_.pick(6)];
      }
      case T::Date: {
        static const char* v[] = {"2026-11-01", "1969-12-31", "1970-01-01",
                                  "2100-03-01", "1900-02-28", "2000-02-29"};
        return v[in_.pick(6)];
      }
    }
    return "0";
  }

  std::string field(T t) {
    switch (t) {
      case T::Bool: {
        static const char* v[] = {"is_subscriber", "email_consent", "sms_consent", "opted_out",
                                  "responded"};
        return v[in_.pick(5)];
      }
      case T::Int: {
        static const char* v[] = {"orders_total",  "email_opens_90d",     "email_clicks_90d",
                                  "purchases_90d", "spam_complaints_90d", "last_touch"};
        return v[in_.pick(6)];
      }
      case T::Money:
        return "avg_order_value";
      case T::Pct:
        return in_.coin() ? "email_bounce_rate" : "gross_margin_pct";
      case T::Date: {
        static const char* v[] = {"last_purchase_date", "last_engagement_date", "last_touch_date"};
        return v[in_.pick(3)];
      }
      default:
        return literal(t);
    }
  }

  std::string leaf(T t) {
    std::vector<const Name*> named;
    for (const auto& n : names_)
      if (n.type == t) named.push_back(&n);
    const uint64_t k = in_.pick(named.empty() ? 3 : 4);
    if (k == 3) return named[in_.pick(named.size())]->name;
    if (k == 0) return literal(t);
    switch (t) {
      case T::Num:
        return field(T::Int);  // int and number mix
      case T::Days:
        return std::string(in_.coin() ? "(days since " : "(days until ") + field(T::Date) + ")";
      case T::Date:
        return k == 2 ? "today" : field(t);
      default:
        return field(t);
    }
  }

  std::string expr(T t, int depth) {
    if (depth <= 0 || in_.pick(4) == 0) return leaf(t);
    const int d = depth - 1;
    auto bin = [&](T a, const char* op, T b) { return "(" + expr(a, d) + op + expr(b, d) + ")"; };
    auto cond = [&]() {
      return "(if " + expr(T::Bool, d) + " then " + expr(t, d) + " else " + expr(t, d) + ")";
    };
    switch (t) {
      case T::Int:
        switch (in_.pick(5)) {
          case 0:
            return bin(T::Int, " + ", T::Int);
          case 1:
            return bin(T::Int, " - ", T::Int);
          case 2:
            return bin(T::Int, " * ", T::Int);
          case 3:
            return "(-" + expr(T::Int, d) + ")";
          default:
            return cond();
        }
      case T::Num:
        switch (in_.pick(6)) {
          case 0:
            return bin(T::Num, " + ", T::Int);
          case 1:
            return bin(T::Num, " * ", T::Num);
          case 2:
            return bin(T::Int, " / ", T::Int);
          case 3:
            return bin(T::Money, " / ", T::Money);
          case 4:
            return bin(T::Num, " - ", T::Num);
          default:
            return cond();
        }
      case T::Money:
        switch (in_.pick(6)) {
          case 0:
            return bin(T::Money, " + ", T::Money);
          case 1:
            return bin(T::Money, " - ", T::Money);
          case 2:
            return bin(T::Money, " * ", T::Num);
          case 3:
            return bin(T::Pct, " * ", T::Money);
          case 4:
            return "(-" + expr(T::Money, d) + ")";
          default:
            return cond();
        }
      case T::Pct:
        switch (in_.pick(3)) {
          case 0:
            return bin(T::Pct, " + ", T::Pct);
          case 1:
            return bin(T::Pct, " - ", T::Pct);
          default:
            return cond();
        }
      case T::Days:
        switch (in_.pick(4)) {
          case 0:
            return bin(T::Days, " + ", T::Days);
          case 1:
            return bin(T::Date, " - ", T::Date);
          case 2:
            return "(days since " + date_operand(d) + ")";
          default:
            return cond();
        }
      case T::Date:
        switch (in_.pick(3)) {
          case 0:
            return bin(T::Date, " + ", T::Days);
          case 1:
            return bin(T::Date, " - ", T::Days);
          default:
            return cond();
        }
      case T::Bool:
        return bool_expr(d);
    }
    return leaf(t);
  }

  std::string date_operand(int d) { return "(" + expr(T::Date, d) + ")"; }

  std::string bool_expr(int d) {
    static const char* cmps[] = {" = ",  " != ",          " < ",        " <= ",    " > ",
                                 " >= ", " is at least ", " is below ", " above ", " is under "};
    switch (in_.pick(14)) {
      case 0:
        return "(" + expr(T::Bool, d) + " and " + expr(T::Bool, d) + ")";
      case 1:
        return "(" + expr(T::Bool, d) + " or " + expr(T::Bool, d) + ")";
      case 2:
        return "(not " + expr(T::Bool, d) + ")";
      case 3: {
        static const T ord[] = {T::Int, T::Num, T::Money, T::Pct, T::Days, T::Date};
        const T a = ord[in_.pick(6)];
        const T b = (a == T::Int || a == T::Num) ? (in_.coin() ? T::Int : T::Num) : a;
        return "(" + expr(a, d) + cmps[in_.pick(10)] + expr(b, d) + ")";
      }
      case 4: {
        static const char* t[] = {" is missing", " is present", " is not missing",
                                  " is not present"};
        return "(" + expr(any_type(), d) + t[in_.pick(4)] + ")";
      }
      case 5: {
        static const char* t[] = {" is true", " is false", " is not true", " is not false"};
        return "(" + expr(T::Bool, d) + t[in_.pick(4)] + ")";
      }
      case 6: {  // enums
        const bool chan = in_.coin();
        const char* const* vals = chan ? kChannels : kFlags;
        const int n = chan ? 5 : 4;
        const std::string f = chan ? "acquisition_channel" : "relationship_flag";
        switch (in_.pick(5)) {
          case 0:
            return "(" + f + " is " + vals[in_.pick(n)] + ")";
          case 1:
            return "(" + f + " is not " + vals[in_.pick(n)] + ")";
          case 2:
            return "(" + f + " in " + set(vals, n) + ")";
          case 3:
            return "(" + f + " is one of " + set(vals, n) + ")";
          default:
            return "(" + f + " not in " + set(vals, n) + ")";
        }
      }
      case 7: {  // lists
        switch (in_.pick(4)) {
          case 0:
            return "(categories has any of " + set(kCategories, 6) + ")";
          case 1:
            return "(categories has all of " + set(kCategories, 6) + ")";
          case 2:
            return "(categories has none of " + set(kCategories, 6) + ")";
          default:
            return std::string("(categories has ") + kCategories[in_.pick(6)] + ")";
        }
      }
      case 8: {  // segments
        if (segments_.empty()) return leaf(T::Bool);
        const Segment& s = segments_[in_.pick(segments_.size())];
        std::vector<const char*> labels;
        for (const auto& l : s.labels) labels.push_back(l.c_str());
        switch (in_.pick(4)) {
          case 0:
            return "(" + s.name + " is " + s.labels[in_.pick(s.labels.size())] + ")";
          case 1:
            return "(" + s.name + " is not " + s.labels[in_.pick(s.labels.size())] + ")";
          case 2:
            return "(" + s.name + " in " + set(labels.data(), labels.size()) + ")";
          default:
            return "(" + s.name + " is missing)";
        }
      }
      case 9: {  // ranges
        if (in_.coin()) {
          const char* lo[] = {"0", "1", "-5", "60"};
          const char* hi[] = {"0", "2", "89", "9223372036854775807"};
          return "(" + expr(T::Int, d) + (in_.coin() ? " in " : " not in ") + lo[in_.pick(4)] +
                 " to " + hi[in_.pick(4)] + ")";
        }
        return "(" + expr(T::Days, d) + " in " + std::to_string(in_.pick(100)) + " to " +
               std::to_string(in_.pick(400)) + " days)";
      }
      case 10: {
        return "(if " + expr(T::Bool, d) + " then " + expr(T::Bool, d) + " else " +
               expr(T::Bool, d) + ")";
      }
      default:
        return leaf(T::Bool);
    }
  }

  std::string set(const char* const* vals, size_t n) {
    std::string s = "{";
    const size_t k = 1 + in_.pick(n);
    for (size_t i = 0; i < k; ++i) s += std::string(i ? ", " : "") + vals[in_.pick(n)];
    return s + "}";
  }

  std::string sequence() {
    std::string s = "sequence sq {\n";
    if (in_.coin()) s += "  enter when " + expr(T::Bool, o_.max_depth) + "\n";
    s += "  progress last_touch on last_touch_date\n";
    const int exits = static_cast<int>(in_.pick(3));
    for (int i = 0; i < exits; ++i)
      s += "  exit ex" + std::to_string(i) + " when " + expr(T::Bool, o_.max_depth) + "\n";
    s += "  wait " + expr(T::Days, 2) + "\n";
    if (in_.coin()) {
      static const char* shares[] = {"5%", "0%", "50%", "12.5%", "100%"};
      s += std::string("  holdout ") + shares[in_.pick(5)] + " salt \"s" +
           std::to_string(in_.pick(10)) + "\"\n";
    }
    s += "  channel email requires " + expr(T::Bool, 2) + "\n";
    s += in_.coin() ? "  channel sms\n" : "  channel sms requires " + expr(T::Bool, 2) + "\n";
    if (in_.coin()) s += "  fallback email to sms\n";
    const int touches = 1 + static_cast<int>(in_.pick(o_.max_touches));
    for (int i = 0; i < touches; ++i) {
      s += "  touch t" + std::to_string(i) + " via " +
           (in_.pick(3) == 0 ? "(if " + expr(T::Bool, 2) + " then sms else email)"
                             : std::string(in_.coin() ? "email" : "sms"));
      static const char* offers[] = {"", " offer credit 10", " offer discount 20%",
                                     " offer points 500", " offer early_access"};
      s += offers[in_.pick(5)];
      if (in_.coin()) s += " only when " + expr(T::Bool, 2);
      s += "\n";
    }
    return s + "}\n";
  }

  // ---- snapshot values ---------------------------------------------------------------------
  std::string date_value(bool nullable) {
    static const char* v[] = {"2026-11-01", "2026-09-01", "1969-12-31", "1970-01-01", "2100-12-31",
                              "2200-01-01", "1900-01-01", "2026-10-25", "0001-01-01", "9999-12-31"};
    if (nullable && in_.pick(5) == 0) return "";
    if (in_.coin()) {  // near 2026-11-01
      char buf[16];
      std::snprintf(buf, sizeof buf, "2026-%02d-%02d", 1 + static_cast<int>(in_.pick(12)),
                    1 + static_cast<int>(in_.pick(28)));
      return buf;
    }
    return v[in_.pick(10)];
  }
  std::string int_value() {
    static const char* v[] = {
        "0", "1",   "2",          "-1",         "9223372036854775807", "-9223372036854775808",
        "7", "100", "3037000500", "-3037000500"};
    return v[in_.pick(10)];
  }
  std::string float_value(bool nullable) {
    static const char* v[] = {"0",
                              "250",
                              "250.00",
                              "19.99",
                              "-5",
                              "1e300",
                              "inf",
                              "-inf",
                              "0.05",
                              "0.4",
                              "1e-320",
                              "75",
                              "1.7976931348623157e308"};
    if (nullable) {
      const uint64_t k = in_.pick(6);
      if (k == 0) return "";
      if (k == 1) return "nan";
    }
    return v[in_.pick(13)];
  }
  std::string bool_value(bool nullable) {
    const uint64_t k = in_.pick(nullable ? 3 : 2);
    return k == 0 ? "false" : k == 1 ? "true" : "";
  }
  std::string enum_value(const char* const* vals, int n, bool nullable) {
    const uint64_t k = in_.pick(n + (nullable ? 1 : 0));
    return k < static_cast<uint64_t>(n) ? vals[k] : "";
  }
  std::string list_value() {
    std::string s;
    const uint64_t k = in_.pick(4);
    for (uint64_t i = 0; i < k; ++i) s += std::string(i ? "|" : "") + kCategories[in_.pick(6)];
    return s;
  }

  ByteSource& in_;
  GenOptions o_;
  std::vector<Name> names_;
  std::vector<Segment> segments_;
};

}  // namespace rk::fuzz
