// Rekindle runtime: the snapshot generator for any schema. Every field gets a plan (the type
// table's entry, its share of missing values, the boundaries and words of the guide, hints from
// its name); a batch draws each column from a random stream of its own, row by row, through the
// entry's drawing function, and stores the values as the entry's storage says.
#include "runtime/generate_schema.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <set>
#include <string_view>

#include "base/date.h"
#include "base/fnv1a.h"
#include "compiler/ir/helpers.h"
#include "runtime/generate_util.h"
#include "runtime/value_ranges.h"

namespace rk {

namespace {

using gen::new_buffer;
using gen::Rng;
using gen::set_bit;

// How a column is stored (compiler/ir/batch_abi.h).
enum class Storage : uint8_t {
  Bits,     // bit-packed bool
  I64,      // int64_t
  F64,      // double
  Days,     // int32_t days since 1970-01-01
  Ordinal,  // int32_t enum ordinal
  Text,     // plain int32 offsets + bytes
  List,     // int32 offsets + int32 codes into the plan's dictionary
};

// How a string field's values look, from its name.
enum class TextHint : uint8_t { Generic, Email, Phone, FirstName, LastName, FullName, TimeZone };

// One value drawn for a row, in the form of the entry's storage (buffers reused row to row).
struct Value {
  int64_t i = 0;
  double f = 0;
  std::string text;
  std::vector<int32_t> codes;
};

struct FieldPlan;
using PlanFn = void (*)(FieldPlan&);
using DrawFn = void (*)(const FieldPlan&, Rng&, int64_t serial, Value&);

// An entry of the type table (entry_for): how a type's values are stored, the least difference
// between two of them (the step between a boundary and its neighbours; 0 for types without
// order), how a field's plan is made (usual range, vocabulary) and how a value is drawn.
struct TypeEntry {
  Storage storage;
  double step;
  PlanFn plan;
  DrawFn draw;
};

struct FieldPlan {
  const FieldDef* def = nullptr;
  const TypeEntry* entry = nullptr;
  uint64_t salt = 0;   // the column's random stream
  int32_t as_of = 0;   // days since 1970-01-01
  double missing = 0;  // share of missing values (nullable fields)
  // Numbers, dates: every value lies in [lo, hi]; values differ by multiples of `step` (written
  // with `decimals` decimals); the boundaries of the guide with their neighbours, a share of rows
  // on them (`edge_share`) and as many spread around one of them (`spread_share`).
  double lo = -std::numeric_limits<double>::infinity();
  double hi = std::numeric_limits<double>::infinity();
  double step = 1;
  int decimals = 0;
  std::vector<double> edges;
  double edge_share = 0, spread_share = 0;
  double spread_min = 1;   // the least half-width of the spread around a boundary
  double spread_days = 0;  // dates: the half-width in days
  double (*natural)(const FieldPlan&, Rng&) = nullptr;  // the usual shape of the values
  // Date: a date to come (a renewal, an expiry): mostly after the as-of date.
  bool future = false;
  // Bool: the share of true values. Int: the share of zeros.
  double true_share = 0.35;
  double zero_share = 0.3;
  // Text: the hint, the generic vocabulary, the words the rules test (and their share).
  TextHint hint = TextHint::Generic;
  std::vector<std::string> vocab;
  std::vector<std::string> words;
  double word_share = 0;
  const std::vector<std::string>* names = nullptr;  // first names (FirstName, FullName)
  // The key: a prefix letter, and the rules' words given to the first rows.
  bool key = false;
  char key_prefix = 'K';
  // Enum: the values the rules name and the others (ordinals), half the rows from each.
  std::vector<int32_t> named, others;
  // List: the dictionary (rule items first), the rules' items and the generic ones (codes), the
  // `has all of` sets (codes).
  std::shared_ptr<StringDict> dict;  // owns its strings: batches may outlive the generator
  std::vector<int32_t> rule_items, generic_items;
  std::vector<std::vector<int32_t>> all_of;
};

double round_to(double x, int decimals) {
  if (decimals <= 0) return std::round(x);
  const double scale = std::pow(10.0, decimals);
  return std::round(x * scale) / scale;
}

std::vector<std::string> name_tokens(std::string_view name) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : name) {
    if (c == '_' || c == '-') {
      if (!cur.empty()) out.push_back(cur);
      cur.clear();
    } else {
      cur += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
  }
  if (!cur.empty()) out.push_back(cur);
  return out;
}

bool has_token(const std::vector<std::string>& tokens, std::initializer_list<const char*> words) {
  for (const auto& t : tokens)
    for (const char* w : words)
      if (t == w) return true;
  return false;
}

bool contains(std::string_view name, std::initializer_list<const char*> parts) {
  std::string lower(name);
  for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (const char* p : parts)
    if (lower.find(p) != std::string::npos) return true;
  return false;
}

TextHint text_hint(std::string_view name) {
  const auto tokens = name_tokens(name);
  if (has_token(tokens, {"email", "mail", "emailaddress"})) return TextHint::Email;
  if (has_token(tokens, {"phone", "mobile", "msisdn", "tel", "telephone", "cell"}))
    return TextHint::Phone;
  if (contains(name, {"timezone", "time_zone"}) || has_token(tokens, {"tz", "zone"}))
    return TextHint::TimeZone;
  if (contains(name, {"first_name", "firstname", "given_name", "givenname"}))
    return TextHint::FirstName;
  if (contains(name, {"last_name", "lastname", "surname", "family_name"}))
    return TextHint::LastName;
  if (has_token(tokens, {"name", "owner", "manager", "rep", "agent", "csm", "assignee"}))
    return TextHint::FullName;
  return TextHint::Generic;
}

// Whether an int field counts problems (complaints, bounces, refunds, ...), which are mostly 0.
bool is_problem_count(std::string_view name) {
  return has_token(
      name_tokens(name),
      {"complaint",   "complaints", "bounce",      "bounces",      "bounced",  "chargeback",
       "chargebacks", "refund",     "refunds",     "return",       "returns",  "dispute",
       "disputes",    "error",      "errors",      "failure",      "failures", "failed",
       "spam",        "fraud",      "unsubscribe", "unsubscribes", "incident", "incidents",
       "violation",   "violations", "late",        "overdue",      "declined"});
}

// Whether a date field names a date to come (`renews_on`, `trial_ends`, `expiry_date`, ...).
bool is_future_date_name(std::string_view name) {
  return has_token(
      name_tokens(name),
      {"renews", "renewal", "renew", "expires", "expiry", "expiration", "due", "until", "ends",
       "end", "next", "scheduled", "upcoming", "deadline", "valid", "birthday", "anniversary"});
}

// The share of true values of a bool field, from its name: consent-like flags are mostly true,
// opt-out-like and problem flags rarely.
double bool_true_share(std::string_view name) {
  const auto tokens = name_tokens(name);
  if (has_token(tokens,
                {"out",        "optout",   "unsubscribed", "bounced",     "complaint", "complained",
                 "churned",    "deleted",  "blocked",      "fraud",       "suspended", "banned",
                 "deceased",   "spam",     "blacklisted",  "blocklisted", "not",       "no",
                 "disabled",   "inactive", "test",         "dnc",         "churn",     "flagged",
                 "suppressed", "risk",     "hold"}))
    return 0.05;
  if (has_token(tokens, {"consent", "consented", "subscribed", "verified", "active", "enabled",
                         "optin", "in", "allowed", "marketable", "reachable", "valid"}))
    return 0.7;
  return 0.35;
}

constexpr const char* kSurnames[] = {"Smith",  "García",  "Müller", "Nguyễn", "Kowalski", "O'Brien",
                                     "王",     "Tanaka",  "Silva",  "Okafor", "Jensen",   "Rossi",
                                     "Petrov", "Dubois",  "Kim",    "Singh",  "Cohen",    "Haddad",
                                     "Brown",  "Johnson", "López",  "Schmidt"};
constexpr const char* kEmailDomains[] = {"example.com", "example.net", "example.org",
                                         "mail.example"};

// --- Numbers and dates ---------------------------------------------------------------------

// The widest range drawn uniformly when the usual shape of a field misses it (a million steps of
// a count or a cent; days across 2,700 years).
constexpr double kUniformSpan = 1e6;

// A value of the field: on a boundary, spread around one, or of the usual shape; always within
// [lo, hi] and a multiple of the step.
double draw_number(const FieldPlan& p, Rng& rng) {
  double v;
  const double k = p.edges.empty() ? 1.0 : rng.uniform();
  if (k < p.edge_share) {
    return p.edges[static_cast<size_t>(rng.below(static_cast<int64_t>(p.edges.size())))];
  } else if (k < p.edge_share + p.spread_share) {
    // Around a boundary: within half its size (dates: 60 days) on either side, not below 0 for a
    // boundary that is not negative (counts and amounts stay counts and amounts).
    const double e = p.edges[static_cast<size_t>(rng.below(static_cast<int64_t>(p.edges.size())))];
    const double w = p.spread_days > 0 ? p.spread_days : std::max(std::fabs(e) * 0.5, p.spread_min);
    const double low = p.spread_days == 0 && e >= 0 ? std::max(0.0, e - w) : e - w;
    v = low + rng.uniform() * (e + w - low);
  } else {
    v = p.natural(p, rng);
  }
  v = round_to(v, p.decimals);
  // Outside the field's range (`int >= 1` drew a zero): values of the usual shape drawn again,
  // so a one-sided range keeps plausible values (seats 1..10, not 1..2^53). For a range the
  // usual shape misses: a narrow one uniformly, a wide one by the usual shape moved past its
  // nearer end (`money >= $1000`: $1000 plus an amount).
  for (int tries = 0; tries < 16 && (v < p.lo || v > p.hi); ++tries)
    v = round_to(p.natural(p, rng), p.decimals);
  if (v < p.lo || v > p.hi) {
    if (p.hi - p.lo <= kUniformSpan)
      v = p.lo + rng.uniform() * (p.hi - p.lo);
    else
      v = v < p.lo ? p.lo + std::fabs(p.natural(p, rng)) : p.hi - std::fabs(p.natural(p, rng));
    v = std::clamp(round_to(v, p.decimals), p.lo, p.hi);
  }
  return v;
}

// Counts: a third 0 (nine in ten for counts of problems), most below 10, a long tail to 10,000.
double natural_int(const FieldPlan& p, Rng& rng) {
  if (std::isfinite(p.lo) && std::isfinite(p.hi) && p.hi - p.lo <= 1000)
    return static_cast<double>(rng.range(static_cast<int64_t>(p.lo), static_cast<int64_t>(p.hi)));
  const double k = rng.uniform();
  if (k < p.zero_share) return 0;
  if (p.zero_share > 0.5) return static_cast<double>(rng.range(1, 3));
  if (k < 0.7) return static_cast<double>(rng.range(1, 10));
  if (k < 0.95) return std::floor(std::exp(std::log(11.0) + rng.uniform() * std::log(100 / 11.0)));
  return std::floor(std::exp(std::log(101.0) + rng.uniform() * std::log(10000 / 101.0)));
}
// Amounts: log-normal around 60.00, a few zero.
double natural_money(const FieldPlan&, Rng& rng) {
  if (rng.chance(0.03)) return 0;
  return std::exp(std::log(60.0) + 0.9 * rng.normal());
}
// Numbers: log-normal around 20, a few zero.
double natural_number(const FieldPlan&, Rng& rng) {
  if (rng.chance(0.05)) return 0;
  return std::exp(std::log(20.0) + 1.2 * rng.normal());
}
// Fractions: around 0.3, some exactly 0 or 1.
double natural_percent(const FieldPlan&, Rng& rng) {
  const double k = rng.uniform();
  if (k < 0.05) return 0;
  if (k < 0.07) return 1;
  return std::clamp(0.3 + 0.2 * rng.normal(), 0.0, 1.0);
}
// Dates: recent-heavy before the as-of date (within days, months, up to four years), a few after;
// for dates to come (renewals, expiries, due dates) 60% are mirrored after the as-of date.
double natural_date(const FieldPlan& p, Rng& rng) {
  const double k = rng.uniform();
  int64_t days_before;
  if (k < 0.10)
    days_before = rng.range(0, 14);
  else if (k < 0.55)
    days_before = static_cast<int64_t>(-90.0 * std::log(1.0 - rng.uniform()));
  else if (k < 0.95)
    days_before = rng.range(0, 1460);
  else
    days_before = -rng.range(1, 60);
  const bool after = p.future && rng.chance(0.6);
  return static_cast<double>(after ? p.as_of + days_before : p.as_of - days_before);
}

int decimals_of(double step) {
  int d = 0;
  while (d < 9 && std::fabs(round_to(step, d) - step) > 1e-12) ++d;
  return d;
}
void plan_numeric(FieldPlan& p, double spread_min, double (*natural)(const FieldPlan&, Rng&)) {
  p.step = p.entry->step;
  p.decimals = decimals_of(p.step);
  p.spread_min = spread_min;
  p.natural = natural;
}
void plan_int(FieldPlan& p) {
  plan_numeric(p, 10, natural_int);
  if (is_problem_count(p.def->name)) p.zero_share = 0.9;
  // The range an int field keeps to: int64, within what a double holds exactly. (A declared
  // range of the schema, `int 0 to 10`, narrows lo and hi: narrow_to_range.)
  p.lo = -9007199254740992.0;
  p.hi = 9007199254740992.0;
}
void plan_number(FieldPlan& p) {
  plan_numeric(p, 1, natural_number);
}
void plan_money(FieldPlan& p) {
  plan_numeric(p, 1, natural_money);
}
void plan_percent(FieldPlan& p) {
  plan_numeric(p, 0.01, natural_percent);
}
void plan_date(FieldPlan& p) {
  p.future = is_future_date_name(p.def->name);
  plan_numeric(p, 1, natural_date);
  p.spread_days = 60;
  p.lo = -719162;  // 0001-01-01: the dates a CSV file can hold
  p.hi = 2932896;  // 9999-12-31
}

// Narrows [lo, hi] to the field's declared range (`int 0 to 10`, `money > $0`), in multiples of
// its step, leaving out an end the range excludes. False when no such value is left.
bool narrow_to_range(FieldPlan& p) {
  const FieldDef& d = *p.def;
  const bool ints = d.type == FieldType::Int || d.type == FieldType::Date;
  auto above_min = [&](double v) {
    if (!d.min) return true;
    if (ints) {
      const auto i = static_cast<int64_t>(v);
      return d.min->inclusive ? i >= d.min->ivalue : i > d.min->ivalue;
    }
    return d.min->inclusive ? v >= d.min->value : v > d.min->value;
  };
  auto below_max = [&](double v) {
    if (!d.max) return true;
    if (ints) {
      const auto i = static_cast<int64_t>(v);
      return d.max->inclusive ? i <= d.max->ivalue : i < d.max->ivalue;
    }
    return d.max->inclusive ? v <= d.max->value : v < d.max->value;
  };
  if (d.min) {
    const double m = ints ? static_cast<double>(d.min->ivalue) : d.min->value;
    double lo = round_to(std::ceil(m / p.step - 1e-9) * p.step, p.decimals);
    for (int k = 0; k < 3 && !above_min(lo); ++k) lo = round_to(lo + p.step, p.decimals);
    p.lo = std::max(p.lo, lo);
  }
  if (d.max) {
    const double m = ints ? static_cast<double>(d.max->ivalue) : d.max->value;
    double hi = round_to(std::floor(m / p.step + 1e-9) * p.step, p.decimals);
    for (int k = 0; k < 3 && !below_max(hi); ++k) hi = round_to(hi - p.step, p.decimals);
    p.hi = std::min(p.hi, hi);
  }
  return p.lo <= p.hi && above_min(p.lo) && below_max(p.hi);
}

void draw_int(const FieldPlan& p, Rng& rng, int64_t, Value& v) {
  v.i = static_cast<int64_t>(draw_number(p, rng));
}
void draw_float(const FieldPlan& p, Rng& rng, int64_t, Value& v) {
  v.f = draw_number(p, rng);
}

// --- Bool and enum -------------------------------------------------------------------------

void plan_bool(FieldPlan& p) {
  p.true_share = bool_true_share(p.def->name);
}
void draw_bool(const FieldPlan& p, Rng& rng, int64_t, Value& v) {
  v.i = rng.chance(p.true_share) ? 1 : 0;
}

void plan_enum(FieldPlan&) {}
// Half the rows take a value the rules name, half another one (uniformly among each), so every
// `is`, `is one of` and `in` is true for some customers and false for others.
void draw_enum(const FieldPlan& p, Rng& rng, int64_t, Value& v) {
  const bool named = !p.named.empty() && (p.others.empty() || rng.chance(0.5));
  const auto& from = named ? p.named : p.others;
  v.i = from[static_cast<size_t>(rng.below(static_cast<int64_t>(from.size())))];
}

// --- Strings -------------------------------------------------------------------------------

void plan_string(FieldPlan& p) {
  // A `time_zone` field draws zones whatever its name; a `string` field whose name says zone
  // (`tz`, `timezone`) too.
  p.hint = p.def->time_zone ? TextHint::TimeZone : text_hint(p.def->name);
  if (p.hint == TextHint::TimeZone) p.vocab = generated_time_zones();
  if (p.hint == TextHint::FirstName || p.hint == TextHint::FullName)
    p.names = &generated_first_names();
  if (p.hint == TextHint::Generic)
    for (int i = 1; i <= 40; ++i) p.vocab.push_back(fmt::format("{}_{}", p.def->name, i));
  const unsigned char first =
      static_cast<unsigned char>(p.def->name.empty() ? 'k' : p.def->name[0]);
  p.key_prefix = std::isalpha(first) ? static_cast<char>(std::toupper(first)) : 'K';
}

// An index in [0, n) favouring the first (Zipf-like: index i about twice as likely as 2i).
size_t skewed(Rng& rng, size_t n) {
  const double u = rng.uniform();
  return std::min(n - 1,
                  static_cast<size_t>(std::floor(std::pow(static_cast<double>(n) + 1, u))) - 1);
}

void draw_key(const FieldPlan& p, Rng& rng, int64_t serial, Value& v) {
  if (serial <= static_cast<int64_t>(p.words.size())) {
    v.text = p.words[static_cast<size_t>(serial - 1)];
    return;
  }
  const double k = rng.uniform();
  const auto n = static_cast<long long>(serial);
  if (k < 0.002)
    v.text = fmt::format(
        "{}-\xC3\x9Cn\xC3\xAF"
        "c\xC3\xB8"
        "d\xC3\xA9-{:09}",
        p.key_prefix, n);
  else if (k < 0.003)
    v.text = fmt::format("{},{:09}", p.key_prefix, n);
  else
    v.text = fmt::format("{}{:09}", p.key_prefix, n);
}

void draw_string(const FieldPlan& p, Rng& rng, int64_t serial, Value& v) {
  if (p.key) {
    draw_key(p, rng, serial, v);
    return;
  }
  if (!p.words.empty() && rng.chance(p.word_share)) {
    v.text = p.words[static_cast<size_t>(rng.below(static_cast<int64_t>(p.words.size())))];
    return;
  }
  auto pick = [&](const auto& list) -> std::string_view {
    return list[static_cast<size_t>(rng.below(static_cast<int64_t>(std::size(list))))];
  };
  switch (p.hint) {
    case TextHint::Email:
      v.text = fmt::format("{}.{}@{}", rng.chance(0.5) ? "customer" : "user", serial,
                           pick(kEmailDomains));
      return;
    case TextHint::Phone:
      v.text = fmt::format("+{} {} {}", rng.range(1, 99), rng.range(20, 999),
                           rng.range(1000000, 9999999));
      return;
    case TextHint::FirstName:
      v.text = pick(*p.names);
      return;
    case TextHint::LastName:
      v.text = pick(kSurnames);
      return;
    case TextHint::FullName:
      v.text = fmt::format("{} {}", pick(*p.names), pick(kSurnames));
      return;
    case TextHint::TimeZone:
      v.text = p.vocab[skewed(rng, p.vocab.size())];
      return;
    case TextHint::Generic: {
      const std::string& base = p.vocab[skewed(rng, p.vocab.size())];
      const double k = rng.uniform();
      if (k < 0.005)
        v.text = fmt::format(
            "\xC3\xBCn\xC3\xAF"
            "c\xC3\xB8"
            "d\xC3\xA9 {}",
            base);  // "ünïcødé "
      else if (k < 0.008)
        v.text = fmt::format("{}, {}", base, serial % 100);
      else if (k < 0.010)
        v.text = fmt::format("\"{}\"", base);
      else
        v.text = base;
      return;
    }
  }
}

// --- Lists ---------------------------------------------------------------------------------

void plan_list(FieldPlan& p) {
  for (int i = 1; i <= 12; ++i) p.vocab.push_back(fmt::format("{}_{}", p.def->name, i));
}

// 0 to 4 distinct items (never 0 in a nullable list: CSV reads an empty list there as missing),
// some of them items the rules test; a tenth of the rows hold a whole `has all of` set.
void draw_list(const FieldPlan& p, Rng& rng, int64_t, Value& v) {
  v.codes.clear();
  if (!p.all_of.empty() && rng.chance(0.1)) {
    const auto& set =
        p.all_of[static_cast<size_t>(rng.below(static_cast<int64_t>(p.all_of.size())))];
    v.codes = set;
    if (rng.chance(0.5) && !p.generic_items.empty()) {
      const int32_t extra = p.generic_items[static_cast<size_t>(
          rng.below(static_cast<int64_t>(p.generic_items.size())))];
      v.codes.push_back(extra);
    }
    return;
  }
  const double ck = rng.uniform();
  int count = ck < 0.15 ? 0 : ck < 0.5 ? 1 : ck < 0.75 ? 2 : ck < 0.9 ? 3 : 4;
  if (count == 0 && p.def->nullable) count = 1;
  const size_t total = p.rule_items.size() + p.generic_items.size();
  count = std::min<int>(count, static_cast<int>(total));
  // Each item is one the rules test with probability 1/2, less when they test fewer than four.
  const double rule_share = 0.5 * std::min(1.0, static_cast<double>(p.rule_items.size()) / 4.0);
  for (int c = 0; c < count; ++c) {
    for (int attempt = 0; attempt < 16; ++attempt) {
      const bool rule =
          !p.rule_items.empty() && (p.generic_items.empty() || rng.chance(rule_share));
      const auto& from = rule ? p.rule_items : p.generic_items;
      const int32_t code = from[static_cast<size_t>(rng.below(static_cast<int64_t>(from.size())))];
      if (std::find(v.codes.begin(), v.codes.end(), code) == v.codes.end()) {
        v.codes.push_back(code);
        break;
      }
    }
  }
}

// The type table: one entry per field type of the schema language, in a switch without a default
// so the compiler names a type without one (a `time_zone` field is a String whose plan draws
// zones: plan_string); a declared value range (`int 0 to 10`) narrows FieldPlan::lo and hi after
// the plan (narrow_to_range).
const TypeEntry& entry_for(FieldType type) {
  static constexpr TypeEntry kBool{Storage::Bits, 0, plan_bool, draw_bool};
  static constexpr TypeEntry kInt{Storage::I64, 1, plan_int, draw_int};
  static constexpr TypeEntry kNumber{Storage::F64, 0.01, plan_number, draw_float};
  static constexpr TypeEntry kMoney{Storage::F64, 0.01, plan_money, draw_float};
  static constexpr TypeEntry kPercent{Storage::F64, 0.0001, plan_percent, draw_float};
  static constexpr TypeEntry kDate{Storage::Days, 1, plan_date, draw_int};
  static constexpr TypeEntry kString{Storage::Text, 0, plan_string, draw_string};
  static constexpr TypeEntry kEnum{Storage::Ordinal, 0, plan_enum, draw_enum};
  static constexpr TypeEntry kList{Storage::List, 0, plan_list, draw_list};
  switch (type) {
    case FieldType::Bool:
      return kBool;
    case FieldType::Int:
      return kInt;
    case FieldType::Number:
      return kNumber;
    case FieldType::Money:
      return kMoney;
    case FieldType::Percent:
      return kPercent;
    case FieldType::Date:
      return kDate;
    case FieldType::String:
      return kString;
    case FieldType::Enum:
      return kEnum;
    case FieldType::StringList:
      return kList;
  }
  return kString;  // not reached: the switch names every type
}

std::string format_value(const FieldPlan& p, double v) {
  if (p.def->type == FieldType::Date) {
    const CivilDate d = civil_from_days(static_cast<int64_t>(v));
    return fmt::format("{:04}-{:02}-{:02}", d.year, d.month, d.day);
  }
  if (p.decimals == 0) return fmt::format("{}", static_cast<int64_t>(v));
  return fmt::format("{:.{}f}", v, p.decimals);
}

}  // namespace

struct SchemaGenerator::Impl {
  Schema schema;
  GenerateOptions opts;
  std::vector<FieldPlan> plans;
};

namespace gen {

double value_step(FieldType type) {
  return entry_for(type).step;
}

}  // namespace gen

SchemaGenerator::SchemaGenerator(const Schema& schema, const GenerationGuide& guide,
                                 const GenerateOptions& opts)
    : impl_(std::make_unique<Impl>()) {
  Impl& m = *impl_;
  m.schema = schema;
  m.opts = opts;
  if (m.opts.batch_rows <= 0) m.opts.batch_rows = 65536;
  if (schema.key_field < 0) {
    error_ = "the schema has no key field";
    return;
  }
  m.plans.resize(m.schema.fields.size());
  for (size_t f = 0; f < m.schema.fields.size(); ++f) {
    FieldPlan& p = m.plans[f];
    const FieldDef& def = m.schema.fields[f];
    p.def = &def;
    p.entry = &entry_for(def.type);
    p.salt = fnv1a64(def.name);
    p.as_of = opts.as_of;
    p.key = static_cast<int>(f) == m.schema.key_field;
    p.missing = def.nullable && !p.key ? 0.1 : 0.0;
    p.entry->plan(p);
    if (def.has_range() && !narrow_to_range(p)) {
      error_ = fmt::format("the range of field `{}` ({}) holds no value written with {} decimals",
                           def.name, range_text(def), p.decimals);
      return;
    }
    const FieldGuide* g = f < guide.fields.size() ? &guide.fields[f] : nullptr;
    switch (p.entry->storage) {
      case Storage::I64:
      case Storage::F64:
      case Storage::Days: {
        if (!g) break;
        std::set<double> edges;
        for (double e : g->edges)
          if (std::isfinite(e) && e >= p.lo && e <= p.hi) edges.insert(e);
        p.edges.assign(edges.begin(), edges.end());
        if (p.edges.size() > 600) {
          // Keep an even sample of the boundaries of very large rule files.
          std::vector<double> kept;
          for (size_t i = 0; i < 600; ++i) kept.push_back(p.edges[i * p.edges.size() / 600]);
          p.edges = std::move(kept);
        }
        if (!p.edges.empty()) {
          p.edge_share = 0.1;
          p.spread_share = 0.1;
        }
        break;
      }
      case Storage::Ordinal: {
        const uint64_t named = g ? g->enum_values : 0;
        for (size_t v = 0; v < def.enum_values.size(); ++v)
          (v < 64 && ((named >> v) & 1) ? p.named : p.others).push_back(static_cast<int32_t>(v));
        break;
      }
      case Storage::Text: {
        if (!g) break;
        std::set<std::string> seen;
        for (const auto& w : g->words)
          if (!w.empty() && (!def.time_zone || is_known_zone(w)) && seen.insert(w).second)
            p.words.push_back(w);  // a time-zone field's only when it names a zone
        if (p.key) {
          // The key's words go to the first rows, unless one could be another row's generated id
          // (nine digits in a row): keys stay unique.
          std::vector<std::string> kept;
          for (const auto& w : p.words) {
            int run = 0, longest = 0;
            for (char c : w)
              longest = std::max(longest,
                                 run = std::isdigit(static_cast<unsigned char>(c)) ? run + 1 : 0);
            if (longest < 9) kept.push_back(w);
          }
          p.words = std::move(kept);
        }
        p.word_share = p.words.empty() ? 0 : 0.4;
        break;
      }
      case Storage::List: {
        std::vector<std::string> items;
        auto code_of = [&](const std::string& s) -> int32_t {
          auto it = std::find(items.begin(), items.end(), s);
          if (it != items.end()) return static_cast<int32_t>(it - items.begin());
          items.push_back(s);
          return static_cast<int32_t>(items.size() - 1);
        };
        // Items CSV cannot carry (empty, or holding the separator `|`) are left out.
        auto usable = [](const std::string& s) {
          return !s.empty() && s.find('|') == std::string::npos;
        };
        if (g) {
          for (const auto& it : g->items)
            if (usable(it)) {
              const int32_t c = code_of(it);
              if (std::find(p.rule_items.begin(), p.rule_items.end(), c) == p.rule_items.end())
                p.rule_items.push_back(c);
            }
          for (const auto& set : g->all_of) {
            std::vector<int32_t> codes;
            for (const auto& it : set)
              if (usable(it) && codes.size() < 8) {
                const int32_t c = code_of(it);
                if (std::find(codes.begin(), codes.end(), c) == codes.end()) codes.push_back(c);
              }
            if (!codes.empty()) p.all_of.push_back(std::move(codes));
          }
        }
        for (const auto& it : p.vocab) {
          const int32_t c = code_of(it);
          if (std::find(p.rule_items.begin(), p.rule_items.end(), c) == p.rule_items.end())
            p.generic_items.push_back(c);
        }
        p.dict = std::make_shared<StringDict>();
        for (const auto& item : items) {
          auto copy = std::make_unique<char[]>(item.size());
          std::copy(item.begin(), item.end(), copy.get());
          p.dict->entries.emplace_back(copy.get(), item.size());
          p.dict->arena.push_back(std::move(copy));
        }
        break;
      }
      case Storage::Bits:
        break;
    }
  }
}

SchemaGenerator::~SchemaGenerator() = default;

Batch SchemaGenerator::batch(int64_t index) const {
  const Impl& m = *impl_;
  const int64_t n = gen::batch_row_count(m.opts, index);
  const auto rows = static_cast<size_t>(n);
  const size_t bitmap = (rows + 7) / 8;
  Batch b;
  b.num_rows = n;
  b.first_row = index * m.opts.batch_rows;
  b.columns.assign(m.plans.size(), RkColumn{});
  b.dicts.assign(m.plans.size(), nullptr);
  Value v;
  for (size_t f = 0; f < m.plans.size(); ++f) {
    const FieldPlan& p = m.plans[f];
    Rng rng(m.opts.seed ^ p.salt, static_cast<uint64_t>(index));
    RkColumn& col = b.columns[f];
    uint8_t* validity = p.missing > 0 ? new_buffer<uint8_t>(b, bitmap) : nullptr;
    col.validity = validity;
    uint8_t* bits = nullptr;
    int64_t* i64 = nullptr;
    double* f64 = nullptr;
    int32_t* i32 = nullptr;
    int32_t* offsets = nullptr;
    std::shared_ptr<std::string> data;
    std::shared_ptr<std::vector<int32_t>> codes;
    switch (p.entry->storage) {
      case Storage::Bits:
        col.values = bits = new_buffer<uint8_t>(b, bitmap);
        break;
      case Storage::I64:
        col.values = i64 = new_buffer<int64_t>(b, rows);
        break;
      case Storage::F64:
        col.values = f64 = new_buffer<double>(b, rows);
        break;
      case Storage::Days:
      case Storage::Ordinal:
        col.values = i32 = new_buffer<int32_t>(b, rows);
        break;
      case Storage::Text:
        offsets = new_buffer<int32_t>(b, rows + 1);
        data = std::make_shared<std::string>();
        b.owned.push_back(data);
        col.offsets = offsets;
        col.encoding = RK_STR_PLAIN32;
        break;
      case Storage::List:
        offsets = new_buffer<int32_t>(b, rows + 1);
        codes = std::make_shared<std::vector<int32_t>>();
        b.owned.push_back(codes);
        col.offsets = offsets;
        col.encoding = RK_STR_DICT;
        col.dict = p.dict.get();
        b.dicts[f] = p.dict;
        break;
    }
    if (offsets) offsets[0] = 0;
    for (size_t r = 0; r < rows; ++r) {
      const auto i = static_cast<int64_t>(r);
      const int64_t serial = b.first_row + i + 1;
      const bool present = !(p.missing > 0 && rng.chance(p.missing));
      if (present) {
        if (validity) set_bit(validity, i);
        p.entry->draw(p, rng, serial, v);
      }
      switch (p.entry->storage) {
        case Storage::Bits:
          if (present && v.i) set_bit(bits, i);
          break;
        case Storage::I64:
          i64[r] = present ? v.i : 0;
          break;
        case Storage::F64:
          f64[r] = present ? v.f : 0;
          break;
        case Storage::Days:
        case Storage::Ordinal:
          i32[r] = present ? static_cast<int32_t>(v.i) : 0;
          break;
        case Storage::Text:
          if (present) data->append(v.text);
          offsets[r + 1] = static_cast<int32_t>(data->size());
          break;
        case Storage::List:
          if (present) codes->insert(codes->end(), v.codes.begin(), v.codes.end());
          offsets[r + 1] = static_cast<int32_t>(codes->size());
          break;
      }
    }
    if (data) col.data = data->data();
    if (codes) col.child_codes = codes->data();
  }
  return b;
}

std::vector<std::string> SchemaGenerator::describe() const {
  std::vector<std::string> out;
  for (const FieldPlan& p : impl_->plans) {
    std::string line =
        fmt::format("{}: {}{}", p.def->name, field_type_name(*p.def), p.def->nullable ? "?" : "");
    if (p.missing > 0) line += fmt::format(", {:.0f}% missing", p.missing * 100);
    if (p.key) line += ", unique";
    if (!p.edges.empty()) {
      line += fmt::format(", {} boundary values (", p.edges.size());
      for (size_t i = 0; i < p.edges.size() && i < 9; ++i) {
        if (i) line += ' ';
        line += format_value(p, p.edges[i]);
      }
      line += p.edges.size() > 9 ? " ...)" : ")";
    }
    if (!p.words.empty())
      line += fmt::format(", {} value{} from the rules", p.words.size(),
                          p.words.size() == 1 ? "" : "s");
    if (!p.rule_items.empty())
      line += fmt::format(", {} item{} from the rules", p.rule_items.size(),
                          p.rule_items.size() == 1 ? "" : "s");
    if (p.entry->storage == Storage::Ordinal && !p.named.empty() && !p.others.empty())
      line += fmt::format(", {} of {} values named by the rules", p.named.size(),
                          p.named.size() + p.others.size());
    out.push_back(std::move(line));
  }
  return out;
}

bool generate_schema_snapshot(const Schema& schema, const GenerationGuide& guide,
                              const GenerateOptions& options, const std::string& path,
                              SnapshotFormat format, std::string& error) {
  GenerateOptions opts = options;
  if (opts.rows < 0) {
    error = "the row count must not be negative";
    return false;
  }
  if (opts.batch_rows <= 0) opts.batch_rows = 65536;
  SchemaGenerator generator(schema, guide, opts);
  if (!generator.valid()) {
    error = generator.error();
    return false;
  }
  return gen::write_generated(
      schema, opts, [&generator](int64_t index) { return generator.batch(index); }, path, format,
      error);
}

}  // namespace rk
