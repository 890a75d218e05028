// Rekindle runtime: `rekindle explain` (see explain.h). Evaluates every IR node for one row with
// the interpreter, then walks the compiler's source map (rules, the terms of their conditions,
// segments and sequence clauses; never the AST or the parser) to turn node values into reasons:
// each rule's condition text, the value of each part of it and what it read.
#include "runtime/explain.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <tuple>

#include "base/date.h"
#include "compiler/ir/bucket.h"
#include "compiler/ir/helpers.h"
#include "runtime/atoms.h"
#include "runtime/csv_reader.h"
#include "runtime/evaluator.h"
#include "runtime/send_time.h"

namespace rk {

// One-row evaluation is the interpreter's own (runtime/interpreter.h: evaluate_row).

namespace {

using ir::Op;
using ir::Ty;

// 0 false, 1 true, 2 unknown.
int truth(const NodeValue& v) {
  return v.present ? static_cast<int>(v.i != 0) : 2;
}

}  // namespace

// ---- finding the row ---------------------------------------------------------------------------

bool find_customer(SnapshotReader& reader, const Schema& schema, const std::string& id,
                   const std::string& snapshot_name, Batch& out, int64_t& row, std::string& error) {
  if (schema.key_field < 0) {
    error = "the schema has no key field to find a customer by";
    return false;
  }
  const size_t key = static_cast<size_t>(schema.key_field);
  while (reader.next(out)) {
    for (int64_t r = 0; r < out.num_rows; ++r) {
      auto s = out.string_at(key, r);
      if (s && *s == id) {
        row = r;
        // The rest is read too: the key check (runtime/key_check.h) refuses a snapshot where a
        // customer has two rows, as `eval` does, instead of explaining the first one.
        Batch rest;
        while (reader.next(rest)) {
        }
        if (reader.error()) {
          error = reader.error()->to_string();
          return false;
        }
        return true;
      }
    }
  }
  if (reader.error()) {
    error = reader.error()->to_string();
    return false;
  }
  error = fmt::format("customer `{}` is not in {} (no row has {} = {})", id, snapshot_name,
                      schema.fields[key].name, id);
  return false;
}

namespace {

std::string csv_quote(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

// Edit distance for "did you mean" on --given field names.
size_t distance(std::string_view a, std::string_view b) {
  std::vector<size_t> d(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) d[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t prev = d[0];
    d[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t cur = d[j];
      d[j] = std::min({d[j] + 1, d[j - 1] + 1, prev + (a[i - 1] == b[j - 1] ? 0 : 1)});
      prev = cur;
    }
  }
  return d[b.size()];
}

}  // namespace

bool given_batch(const Schema& schema, const std::vector<std::string>& given, Batch& out,
                 std::string& error) {
  std::vector<std::optional<std::string>> values(schema.fields.size());
  for (const auto& g : given) {
    const auto eq = g.find('=');
    if (eq == std::string::npos || eq == 0) {
      error = fmt::format("--given {}: expected FIELD=VALUE", g);
      return false;
    }
    const std::string name = g.substr(0, eq);
    const int f = schema.find(name);
    if (f < 0) {
      std::string best;
      size_t best_d = 3;
      for (const auto& fd : schema.fields)
        if (const size_t d = distance(name, fd.name); d < best_d) best_d = d, best = fd.name;
      error = fmt::format("--given {}: the schema has no field `{}`{}", g, name,
                          best.empty() ? "" : fmt::format(" (did you mean `{}`?)", best));
      return false;
    }
    if (values[f]) {
      error = fmt::format("--given {}: field `{}` is given twice", g, name);
      return false;
    }
    values[f] = g.substr(eq + 1);
  }
  std::vector<std::string> needed;
  for (size_t i = 0; i < schema.fields.size(); ++i)
    if (!values[i] && !schema.fields[i].nullable) needed.push_back(schema.fields[i].name);
  if (!needed.empty()) {
    error = fmt::format(
        "--given: these fields cannot be missing and have no value: {} (give each as "
        "--given FIELD=VALUE; fields marked `?` in the schema may be left out)",
        fmt::join(needed, ", "));
    return false;
  }
  std::string csv, line;
  for (size_t i = 0; i < schema.fields.size(); ++i)
    csv += (i ? "," : "") + csv_quote(schema.fields[i].name);
  csv += "\n";
  for (size_t i = 0; i < schema.fields.size(); ++i) {
    if (i) csv += ',';
    if (values[i] && !values[i]->empty()) csv += csv_quote(*values[i]);
  }
  csv += "\n";
  std::optional<SnapshotError> err;
  auto reader = open_csv_snapshot_memory(std::move(csv), "--given", schema, ReaderOptions{}, err);
  if (!reader) {
    error = err ? err->to_string() : "--given: cannot build the customer";
    return false;
  }
  if (!reader->next(out)) {
    const auto& e = reader->error();
    if (e && !e->column.empty()) {
      const int f = schema.find(e->column);
      error = fmt::format("--given {}={}: {}", e->column,
                          f >= 0 && values[f] ? *values[f] : std::string(), e->message);
    } else {
      error = e ? e->to_string() : "--given: cannot build the customer";
    }
    return false;
  }
  return true;
}

std::optional<VariantDraw> RowReading::variant(const ir::Touch& touch) const {
  if (touch.variants.empty() || p_.schema.key_field < 0) return std::nullopt;
  VariantDraw d;
  d.salt = touch.salt;
  const std::string_view key =
      b_.string_at(static_cast<size_t>(p_.schema.key_field), row_).value_or("");
  d.bucket = ir::bucket(touch.salt, key, 100);
  for (uint32_t k = 0; k < touch.variants.size(); ++k) {
    const ir::Variant& v = touch.variants[k];
    if (ir::BucketRange{v.begin, v.end}.contains(d.bucket)) {
      d.in = k;
      d.gets = v.serves;
      break;
    }
  }
  return d;
}

// ---- explanation -------------------------------------------------------------------------------

namespace {

using Term = SourceMap::Term;
constexpr uint32_t kNone = SourceMap::kNone;

std::string collapse(std::string_view s) {
  std::string out;
  bool space = false;
  for (char c : s) {
    if (c == ' ' || c == '\n' || c == '\r' || c == '\t') {
      space = true;
      continue;
    }
    if (space && !out.empty()) out += ' ';
    space = false;
    out += c;
  }
  return out;
}

std::string truth_text(const NodeValue& v) {
  const int t = truth(v);
  return t == 1 ? "true" : t == 0 ? "false" : "unknown";
}

std::string number_text(double v) {
  return fmt::format("{:.10g}", v);
}

// The value of field `f` of row `r` as text, or nullopt when missing.
std::optional<std::string> field_text(const Schema& schema, const Batch& b, size_t f, int64_t r) {
  const FieldDef& fd = schema.fields[f];
  const RkColumn& c = b.columns[f];
  if (!is_present(c.validity, r)) return std::nullopt;
  switch (fd.type) {
    case FieldType::Bool:
      return bit_is_set(static_cast<const uint8_t*>(c.values), r) ? "true" : "false";
    case FieldType::Int:
      return std::to_string(static_cast<const int64_t*>(c.values)[r]);
    case FieldType::Number:
    case FieldType::Money:
    case FieldType::Percent: {
      const double v = static_cast<const double*>(c.values)[r];
      if (std::isnan(v)) return std::nullopt;
      if (fd.type == FieldType::Money) return fmt::format("{:.2f}", v);
      if (fd.type == FieldType::Percent) return number_text(v * 100) + "%";
      return number_text(v);
    }
    case FieldType::Date:
      return format_iso_date(static_cast<const int32_t*>(c.values)[r]);
    case FieldType::Enum: {
      const int32_t o = static_cast<const int32_t*>(c.values)[r];
      if (o < 0 || static_cast<size_t>(o) >= fd.enum_values.size()) return std::to_string(o);
      return fd.enum_values[o];
    }
    case FieldType::String: {
      auto s = b.string_at(f, r);
      if (!s) return std::nullopt;
      return std::string(*s);
    }
    case FieldType::StringList: {
      const auto* off = static_cast<const int32_t*>(c.offsets);
      const auto* dict = static_cast<const StringDict*>(c.dict);
      std::vector<std::string> items;
      for (int32_t k = off[r]; k < off[r + 1]; ++k)
        items.emplace_back(dict->entries[c.child_codes[k]]);
      return fmt::format("[{}]", fmt::join(items, ", "));
    }
  }
  return std::nullopt;
}

// The first value of `m` whose key is `name`, or nullptr.
template <typename T>
const T* named(const std::vector<T>& v, const std::string& name) {
  for (const auto& x : v)
    if (x.name == name) return &x;
  return nullptr;
}

}  // namespace

// ---- one customer's evaluated program ----------------------------------------------------------

RowReading::RowReading(const CompileResult& compiled, const Batch& batch, int64_t row,
                       int32_t as_of)
    : p_(*compiled.program), b_(batch), row_(row), as_of_(as_of) {
  PreparedAtoms atoms;
  atoms.prepare(p_, b_);
  const RkBatchView view{b_.columns.data(), atoms.data(), b_.num_rows, as_of_, 0};
  v_ = evaluate_row(p_, view, row_);
}

std::string RowReading::truth(uint32_t node) const {
  return truth_text(v_[node]);
}

std::optional<std::string> RowReading::condition(const SourceMap::Rule& r) const {
  if (r.cond == SourceMap::kNone || r.cond >= v_.size()) return std::nullopt;
  return truth(r.cond);
}

std::optional<size_t> RowReading::index(uint32_t node) const {
  const NodeValue& v = v_[node];
  if (!v.present || v.i < 0) return std::nullopt;
  return static_cast<size_t>(v.i);
}

template <typename T>
const T* RowReading::pick(const std::vector<T>& values, uint32_t node) const {
  const auto i = index(node);
  return i && *i < values.size() ? &values[*i] : nullptr;
}

std::string RowReading::label(const ir::Family& f) const {
  const ir::Label* l = pick(f.labels, f.value.node);
  return l ? l->name : "";
}

std::string RowReading::stopped_by() const {
  const ir::StopRule* s = pick(p_.layout.stops.rules, p_.layout.stops.value.node);
  return s ? s->name : "";
}

const ir::Status& RowReading::status(const ir::Sequence& sequence) const {
  const ir::Status* s = pick(sequence.statuses, sequence.result.status.node);
  return s ? *s : sequence.statuses.back();  // a status always applies (the last, due, is true)
}

const ir::Touch* RowReading::touch(const ir::Sequence& sequence) const {
  return pick(sequence.touches, sequence.result.touch.node);
}

const ir::Channel* RowReading::channel(const ir::Sequence& sequence) const {
  return pick(sequence.channels, sequence.result.channel.node);
}

std::optional<std::string> RowReading::send_time(const ir::Sequence& sequence) const {
  if (sequence.result.send_at.node == ir::kNoNode) return std::nullopt;
  const ir::Channel* ch = channel(sequence);
  if (!ch || !ch->sends) return std::nullopt;
  const ir::LocalTime& lt = p_.layout.local_time;
  std::optional<std::string_view> text;
  if (lt.field >= 0) text = b_.string_at(static_cast<size_t>(lt.field), row_);
  const ZoneTable& zones = ZoneTable::system();
  const std::string zone_name = text ? std::string(*text) : lt.fallback;
  const ZoneId zone = zones.find(zone_name);
  const int minute = ch->sends->minute_of_day;
  const std::string local = fmt::format("{:02}:{:02}", minute / 60, minute % 60);
  const std::string where = text
                                ? fmt::format("in {}", zone_name)
                                : fmt::format("in {} (the default: `{}` is missing)", zone_name,
                                              p_.schema.fields[static_cast<size_t>(lt.field)].name);
  if (zone == kNoZone)
    return fmt::format("unknown: {} {} is not a zone of the system's database", local, where);
  const SendTimes times(zones, as_of_, {SendWindow{minute, ch->sends->excluded_weekdays}});
  const std::optional<int64_t> t = times.instant(zone, 0);
  const std::optional<int32_t> off = t ? zones.utc_offset(zone, *t) : std::nullopt;
  if (!t || !off) return fmt::format("unknown: the zone {} cannot be read", zone_name);
  std::string out;
  append_utc_timestamp(out, *t);
  const int32_t a = *off < 0 ? -*off : *off;
  out += fmt::format(": {} {}, UTC{}{:02}:{:02}", local, where, *off < 0 ? '-' : '+', a / 3600,
                     a / 60 % 60);
  const int32_t day = times.local_day(0);
  if (day != as_of_) {
    static constexpr const char* kDays[] = {"Monday", "Tuesday",  "Wednesday", "Thursday",
                                            "Friday", "Saturday", "Sunday"};
    out += fmt::format(" on {} {} (channel `{}` never sends on a local {})", kDays[weekday_of(day)],
                       format_iso_date(day), ch->name, kDays[weekday_of(as_of_)]);
  }
  return out;
}

const ir::Offer* RowReading::offer(const ir::Sequence& sequence) const {
  return pick(sequence.offers, sequence.result.offer.node);
}

std::optional<HoldoutDraw> RowReading::holdout(const ir::Sequence& sequence) const {
  if (sequence.holdout_atom == ir::kNoIndex || p_.schema.key_field < 0) return std::nullopt;
  const ir::Atom& atom = p_.atoms[sequence.holdout_atom];
  HoldoutDraw d;
  d.salt = atom.salt;
  d.key = std::string(b_.string_at(static_cast<size_t>(p_.schema.key_field), row_).value_or(""));
  d.bucket = ir::bucket(atom.salt, d.key, atom.modulus);
  d.modulus = atom.modulus;
  d.threshold = atom.threshold;
  d.held = truth(sequence.decision.held_out) == "true";
  return d;
}

// ---- explanation -------------------------------------------------------------------------------

namespace {

class Explainer {
 public:
  Explainer(const CompileResult& c, const Batch& b, int64_t row, int32_t as_of)
      : c_(c), p_(*c.program), b_(b), row_(row), as_of_(as_of) {}

  bool run(Explanation& e, std::string& error) {
    if (!map_fits(error)) return false;
    rr_.emplace(c_, b_, row_, as_of_);
    for (const auto& r : c_.map.rules)
      if (r.kind == SourceMap::Kind::Let) lets_[r.name] = &r;
    for (const auto& q : c_.map.sequences) seqs_[q.name] = &q;
    for (const auto& g : c_.map.segments) segments_[g.name] = g.doc;

    const Schema& s = p_.schema;
    e = Explanation{};
    e.key_field = s.key_field >= 0 ? s.fields[s.key_field].name : "";
    if (s.key_field >= 0)
      e.customer = field_text(s, b_, static_cast<size_t>(s.key_field), row_).value_or("");
    e.as_of = format_iso_date(as_of_);
    e.rules_file = c_.sources.size() ? c_.sources.file(0).path : "";
    for (size_t f = 0; f < s.fields.size(); ++f)
      e.fields.emplace_back(s.fields[f].name, field_text(s, b_, f, row_).value_or(""));
    families(e);
    scores(e);
    candidate(e);
    stops(e);
    sequences(e);
    reviews(e);
    return true;
  }

 private:
  // The source map and the layout belong to the program: every index and node they hold is in
  // range, and and/or/not terms have their operands.
  bool map_fits(std::string& error) const {
    const SourceMap& m = c_.map;
    const size_t nodes = p_.nodes.size(), terms = m.terms.size();
    auto node_ok = [&](uint32_t n) { return n == kNone || n < nodes; };
    auto term_ok = [&](uint32_t t) { return t == kNone || t < terms; };
    bool ok = true;
    for (const auto& r : m.rules) ok = ok && node_ok(r.cond) && term_ok(r.term);
    for (uint32_t t = 0; t < terms && ok; ++t) {
      const Term& x = m.terms[t];
      ok = node_ok(x.node);
      for (uint32_t sub : x.subs) ok = ok && sub < t;  // subs come first
      if (x.kind == Term::Kind::And || x.kind == Term::Kind::Or) ok = ok && x.subs.size() == 2;
      if (x.kind == Term::Kind::Not) ok = ok && x.subs.size() == 1;
    }
    for (const auto& q : m.sequences) {
      ok = ok && term_ok(q.enter) && term_ok(q.wait) && term_ok(q.holdout);
      for (const auto& t : q.touches)
        ok = ok && t.channel != kNone && term_ok(t.channel) && term_ok(t.offer) &&
             term_ok(t.only_when);
    }
    for (const auto& x : m.exprs) ok = ok && x.node < nodes;
    const ir::Layout& l = p_.layout;
    ok = ok && node_ok(l.candidate.value.node) && node_ok(l.stops.value.node) &&
         node_ok(l.reviews.scope);
    for (const auto& f : l.families) ok = ok && node_ok(f.value.node);
    for (const auto& r : l.reviews.rules) ok = ok && node_ok(r.value.node);
    for (const auto& q : l.sequences) {
      const auto& d = q.decision;
      for (uint32_t n :
           {d.held_out, d.next_touch, d.chosen_channel, d.chosen_allowed, d.fallback_channel,
            d.fallback_allowed, q.result.status.node, q.result.touch.node, q.result.channel.node,
            q.result.offer.node, q.progress_touch, q.progress_date, q.last_touch, q.wait,
            q.days_since_last})
        ok = ok && node_ok(n);
      ok = ok && !q.statuses.empty() && seqs_fit(q) &&
           (q.holdout_atom == ir::kNoIndex || q.holdout_atom < p_.atoms.size());
    }
    if (!ok) error = "the source map does not belong to the compiled program";
    return ok;
  }
  bool seqs_fit(const ir::Sequence& q) const {
    for (const auto& st : q.statuses)
      if (st.kind == ir::StatusKind::Exit && st.exit >= q.exits.size()) return false;
    for (const auto& ch : q.channels)
      if (ch.fallback != ir::kNoIndex && ch.fallback >= q.channels.size()) return false;
    return true;
  }

  const RowReading& rr() const { return *rr_; }
  const NodeValue& val(uint32_t node) const { return rr().value(node); }
  const Term& term(uint32_t t) const { return c_.map.terms[t]; }
  std::optional<uint32_t> node_of(uint32_t t) const {
    if (t == kNone || term(t).node == kNone) return std::nullopt;
    return term(t).node;
  }
  std::string text_of(uint32_t t) const {
    const ast::Span& s = term(t).span;
    return collapse(std::string_view(c_.sources.file(s.file).text).substr(s.offset, s.len));
  }
  std::string value_of(uint32_t t) const {
    auto n = node_of(t);
    return n ? rr().truth(*n) : "unknown";
  }

  // "what it read": fields, lets, segments, the candidate flag and sequence values named in a
  // part of a condition, with their values for this customer.
  void collect_reads(uint32_t t, std::vector<std::string>& out, std::set<std::string>& seen) const {
    if (t == kNone) return;
    const Term& e = term(t);
    if (e.kind == Term::Kind::Name) {
      if (seen.insert(e.name).second) {
        if (auto r = read_text(e.name)) out.push_back(*r);
      }
      return;
    }
    if (e.kind == Term::Kind::Member) {
      if (e.name.empty()) return;  // the object is not a name
      const std::string name = e.name + "." + e.member;
      if (!seen.insert(name).second) return;
      if (e.node == kNone) return;
      const std::string text = member_text(e.name, e.member, e.node);
      out.push_back(text.empty() ? name + " is empty" : name + " = " + text);
      return;
    }
    for (uint32_t sub : e.subs) collect_reads(sub, out, seen);
  }

  // The value of `sequence.member` (node `node`) as text, "" when empty.
  std::string member_text(const std::string& sequence, const std::string& member,
                          uint32_t node) const {
    const ir::Sequence* q = named(p_.layout.sequences, sequence);
    if (!q) return {};
    if (member == "touch") {
      const NodeValue& v = val(node);
      return v.present ? std::to_string(v.i) : "";
    }
    auto name_of = [&](const auto& values) -> std::string {
      const auto i = rr().index(node);
      return i && *i < values.size() ? values[*i].name : "";
    };
    if (member == "status") return name_of(q->statuses);
    if (member == "step") return name_of(q->touches);
    if (member == "channel") return name_of(q->channels);
    if (member == "offer") {
      const auto i = rr().index(node);
      return i && *i < q->offers.size() ? q->offers[*i].text : "";
    }
    return {};
  }

  std::optional<std::string> read_text(const std::string& name) const {
    const Schema& s = p_.schema;
    if (const int f = s.find(name); f >= 0) {
      auto t = field_text(s, b_, static_cast<size_t>(f), row_);
      return t ? name + " = " + *t : name + " is missing";
    }
    if (auto it = lets_.find(name); it != lets_.end() && it->second->cond != kNone) {
      const SourceMap::Rule& let = *it->second;
      const NodeValue& v = val(let.cond);
      if (!v.present) return name + " is missing";
      const ir::Node& n = p_.nodes[let.cond];
      using Shown = SourceMap::Rule::Shown;
      // Shown by its type: a date as a date (whatever its year), days, money and percents with
      // their units.
      switch (let.shown) {
        case Shown::Date:
          return name + " = " + format_iso_date(v.i);
        case Shown::Days:
          return name + " = " + std::to_string(v.i) + " days";
        case Shown::Money:
          return name + " = " + fmt::format("{:.2f}", v.f);
        case Shown::Percent:
          return name + " = " + number_text(v.f * 100) + "%";
        case Shown::Other:
          break;
      }
      const std::string unit =
          let.term != kNone && term(let.term).kind == Term::Kind::DaysSince ? " days" : "";
      if (n.ty == Ty::Bool) return name + " = " + truth_text(v);
      if (n.ty == Ty::Float) return name + " = " + number_text(v.f);
      return name + " = " + std::to_string(v.i) + unit;
    }
    if (const ir::Score* sc = named(p_.layout.scores, name)) {
      const std::string v = score_text(*sc);
      return v.empty() ? name + " is missing" : name + " = " + v;
    }
    if (name == "candidate") return "candidate = " + rr().truth(p_.layout.candidate.value.node);
    if (const ir::Family* f = named(p_.layout.families, name)) {
      const std::string label = rr().label(*f);
      return label.empty() ? name + " has no label" : name + " = " + label;
    }
    return std::nullopt;
  }

  ExplainClause clause(uint32_t t, int depth, bool leaf) const {
    ExplainClause c;
    c.depth = depth;
    c.text = text_of(t);
    c.value = value_of(t);
    if (leaf) {
      std::set<std::string> seen;
      collect_reads(t, c.reads, seen);
    }
    return c;
  }

  bool connective(uint32_t t) const {
    const Term::Kind k = term(t).kind;
    return k == Term::Kind::And || k == Term::Kind::Or || k == Term::Kind::Not;
  }

  // The direct parts of a connective (`a and b and c` gives a, b, c; `not a` gives a).
  void parts(uint32_t t, std::vector<uint32_t>& out) const {
    const Term& e = term(t);
    if (e.kind == Term::Kind::Not) {
      out.push_back(e.subs[0]);
      return;
    }
    auto flat = [&](auto&& self, uint32_t x) -> void {
      const Term& xe = term(x);
      if (xe.kind == e.kind) {
        self(self, xe.subs[0]);
        self(self, xe.subs[1]);
      } else {
        out.push_back(x);
      }
    };
    flat(flat, e.subs[0]);
    flat(flat, e.subs[1]);
  }

  void clauses(uint32_t t, int depth, std::vector<ExplainClause>& out) const {
    std::vector<uint32_t> ps;
    parts(t, ps);
    for (uint32_t p : ps) {
      const bool leaf = !connective(p);
      out.push_back(clause(p, depth, leaf));
      if (!leaf) clauses(p, depth + 1, out);
    }
  }

  std::string place(const ast::Span& s) const { return c_.sources.file(s.file).path; }

  // A rule of the source map with its condition explained (value, parts, reads).
  ExplainRule rule(const SourceMap::Rule& m, const char* kind, bool with_clauses) const {
    ExplainRule r;
    r.kind = kind;
    r.owner = m.owner;
    r.name = m.name;
    r.file = place(m.span);
    r.line = m.span.line;
    r.doc = m.doc;
    const uint32_t c = m.term;
    if (c == kNone) return r;
    r.condition = text_of(c);
    r.value = m.cond != kNone ? rr().truth(m.cond) : value_of(c);
    if (!with_clauses) return r;
    if (term(c).kind == Term::Kind::Not) {
      // `not (...)`: the whole condition first, so its value shows beside the negated part.
      r.clauses.push_back(clause(c, 0, false));
      clauses(c, 1, r.clauses);
    } else if (connective(c)) {
      clauses(c, 0, r.clauses);
    } else {
      r.clauses.push_back(clause(c, 0, true));
    }
    return r;
  }

  std::vector<const SourceMap::Rule*> rules_of(SourceMap::Kind kind,
                                               const std::string& owner) const {
    std::vector<const SourceMap::Rule*> out;
    for (const auto& r : c_.map.rules)
      if (r.kind == kind && r.owner == owner) out.push_back(&r);
    return out;
  }
  const SourceMap::Rule* rule_of(SourceMap::Kind kind, const std::string& owner,
                                 const std::string& name) const {
    for (const auto& r : c_.map.rules)
      if (r.kind == kind && r.owner == owner && r.name == name) return &r;
    return nullptr;
  }

  void families(Explanation& e) const {
    for (const ir::Family& f : p_.layout.families) {
      auto doc = segments_.find(f.name);
      if (doc == segments_.end()) continue;
      // The labels' rules, in source order (the map lists `otherwise` after the others).
      std::vector<const SourceMap::Rule*> labels;
      for (const auto& r : c_.map.rules)
        if ((r.kind == SourceMap::Kind::Label || r.kind == SourceMap::Kind::Otherwise) &&
            r.owner == f.name)
          labels.push_back(&r);
      std::sort(labels.begin(), labels.end(), [](const auto* a, const auto* b) {
        return std::tie(a->span.file, a->span.offset) < std::tie(b->span.file, b->span.offset);
      });
      ExplainFamily fam;
      fam.name = f.name;
      fam.doc = doc->second;
      fam.label = rr().label(f);
      for (const auto* m : labels) {
        const bool is_otherwise = m->kind == SourceMap::Kind::Otherwise;
        const bool decided = m->name == fam.label;
        ExplainRule r = rule(*m, is_otherwise ? "otherwise" : "label", decided);
        r.decided = decided;
        if (is_otherwise)
          r.verdict = decided ? "MATCHES (no label before it matched)" : "not reached";
        else
          r.verdict = r.value == "true" ? "MATCHES" : "no match (" + r.value + ")";
        fam.rules.push_back(std::move(r));
        if (decided) break;
      }
      e.families.push_back(std::move(fam));
    }
  }

  // A score's value as the result writes it; "" when missing (the sum overflowed).
  std::string score_text(const ir::Score& s) const {
    const NodeValue& v = val(s.value.node);
    if (!v.present) return {};
    return s.decimal ? number_text(v.f) : std::to_string(v.i);
  }

  // Every score with the lines that gave its points (a line whose condition is false or unknown
  // adds nothing).
  void scores(Explanation& e) const {
    for (const ir::Score& s : p_.layout.scores) {
      ExplainScore out;
      out.name = s.name;
      out.value = score_text(s);
      for (const auto* m : rules_of(SourceMap::Kind::ScoreLine, s.name)) {
        ExplainRule r = rule(*m, "points", true);
        r.decided = r.value == "true";
        const bool negative = !m->name.empty() && m->name[0] == '-';
        r.verdict =
            r.decided ? (negative ? m->name : "+" + m->name) : "adds nothing (" + r.value + ")";
        out.lines.push_back(std::move(r));
      }
      e.scores.push_back(std::move(out));
    }
  }

  void candidate(Explanation& e) const {
    e.candidate = rr().truth(p_.layout.candidate.value.node) == "true";
    for (const auto& m : c_.map.rules)
      if (m.kind == SourceMap::Kind::Candidate) {
        e.has_candidate_rule = true;
        e.candidate_rule = rule(m, "candidate", true);
        e.candidate_rule.decided = true;
        e.candidate_rule.verdict =
            e.candidate ? "a candidate" : "not a candidate (" + e.candidate_rule.value + ")";
      }
  }

  static std::string fire_verdict(const std::string& value) {
    if (value == "true") return "FIRES";
    if (value == "unknown") return "FIRES (fail closed: unknown)";
    return "does not fire";
  }

  void stops(Explanation& e) const {
    e.stopped_by = rr().stopped_by();
    // Stops apply to the customers who enter some sequence (the candidates, when every sequence
    // enters the candidates or there is none).
    const ir::Stops& st = p_.layout.stops;
    const bool in_scope = rr().truth(st.scope) == "true";
    if (!in_scope)
      e.stops_note = st.scope == p_.layout.candidate.value.node
                         ? "stop rules apply to candidates only"
                         : "stop rules apply to customers who enter a sequence; this customer "
                           "enters none";
    bool fired = false;
    for (const auto* m : rules_of(SourceMap::Kind::Stop, "")) {
      const bool applies = in_scope && !fired;
      ExplainRule r = rule(*m, "stop", applies);
      if (!in_scope) {
        r.verdict = "not applied";
      } else if (fired) {
        r.verdict = "not reached (" + e.stopped_by + " fired first)";
      } else {
        r.verdict = fire_verdict(r.value);
        if (r.value != "false") fired = r.decided = true;
      }
      e.stops.push_back(std::move(r));
    }
  }

  void reviews(Explanation& e) const {
    const ir::Reviews& rv = p_.layout.reviews;
    const bool in_scope = rr().truth(rv.scope) == "true";
    if (!in_scope) {
      if (e.sequences.empty()) {
        e.review_note = e.candidate ? "review applies to candidates that are not stopped; "
                                      "this customer is stopped by " +
                                          e.stopped_by
                                    : "review applies to candidates only";
      } else {
        std::vector<std::string> st;
        for (const auto& q : e.sequences) st.push_back(q.name + " is " + q.status);
        e.review_note = fmt::format("review applies only to customers with a touch due ({})",
                                    fmt::join(st, ", "));
      }
    }
    for (const auto& r : rv.rules)
      if (rr().truth(r.value.node) == "true") e.review.push_back(r.name);
    // The owner, as the result's `owner` column has it: the field's text, else the default.
    const ir::Owner& ow = p_.layout.owner;
    if (ow.declared && !e.review.empty()) {
      const std::optional<std::string_view> v =
          ow.field >= 0 ? b_.string_at(static_cast<size_t>(ow.field), row_) : std::nullopt;
      const std::string field = ow.field >= 0 ? p_.schema.fields[ow.field].name : "";
      if (v) {
        e.owner = std::string(*v);
        e.owner_from = field;
      } else {
        e.owner = ow.text;
        e.owner_from =
            field.empty() ? "the owner declared" : "the default: " + field + " is missing";
      }
    }
    for (const auto* m : rules_of(SourceMap::Kind::Review, "")) {
      ExplainRule r = rule(*m, "review", in_scope);
      if (!in_scope) {
        r.verdict = "not applied";
      } else {
        r.verdict = fire_verdict(r.value);
        r.decided = r.value != "false";
      }
      e.reviews.push_back(std::move(r));
    }
  }

  void sequences(Explanation& e) const {
    for (const ir::Sequence& q : p_.layout.sequences) {
      auto it = seqs_.find(q.name);
      if (it == seqs_.end()) continue;
      e.sequences.push_back(sequence(q, *it->second, e));
    }
  }

  // The decision of sequence `q`, status by status in the order they are tried, up to the one
  // the evaluation gave: for each, the rule or value that made it apply or not.
  ExplainSequence sequence(const ir::Sequence& q, const SourceMap::Sequence& d,
                           const Explanation& e) const {
    ExplainSequence x;
    x.name = q.name;
    x.doc = d.doc;
    const ir::Status& given = rr().status(q);
    x.status = given.name;
    const ir::Touch* due_touch = rr().touch(q);
    x.step = due_touch ? due_touch->name : "";
    x.channel = rr().channel(q) ? rr().channel(q)->name : "";
    x.offer = rr().offer(q) ? rr().offer(q)->text : "";
    if (due_touch) x.touch = static_cast<int>(due_touch - q.touches.data()) + 1;
    Steps steps{x.steps};
    for (const ir::Status& st : q.statuses) {
      const bool applies = &st == &given;
      status_steps(q, d, st, applies, e, x, steps);
      if (applies) break;
    }
    return x;
  }

  struct Steps {
    std::vector<ExplainStep>& out;
    void say(std::string s, std::optional<ExplainRule> r = std::nullopt) {
      out.push_back({std::move(s), std::move(r)});
    }
  };

  // The last touch sent, as the sequence's progress field says.
  struct Progress {
    int64_t last = 0;
    std::optional<int32_t> last_date;
    int next = 0;  // the next touch's number, 0: none
  };
  Progress progress(const ir::Sequence& q) const {
    Progress p;
    const NodeValue& last = val(q.last_touch);
    p.last = last.present ? last.i : 0;
    if (q.progress_date != ir::kNoNode && val(q.progress_date).present)
      p.last_date = static_cast<int32_t>(val(q.progress_date).i);
    if (auto n = rr().index(q.decision.next_touch)) p.next = static_cast<int>(*n) + 1;
    return p;
  }

  // What status `st` of `q` says for this customer (`applies`: it is the customer's status).
  void status_steps(const ir::Sequence& q, const SourceMap::Sequence& d, const ir::Status& st,
                    bool applies, const Explanation& e, const ExplainSequence& x,
                    Steps& steps) const {
    switch (st.kind) {
      case ir::StatusKind::NotEntered:
        if (d.enter != kNone)
          steps.say(fmt::format("enter when {}: {}", text_of(d.enter), value_of(d.enter)));
        else
          steps.say(fmt::format("entered: candidate = {}", e.candidate ? "true" : "false"));
        return;
      case ir::StatusKind::Stopped:
        steps.say(applies ? fmt::format("stopped by {}", e.stopped_by) : "no stop rule fired");
        return;
      case ir::StatusKind::HeldOut:
        if (d.holdout != kNone)
          if (auto draw = rr().holdout(q))
            steps.say(fmt::format("holdout {} salt \"{}\": bucket {} of {} is {} {}",
                                  text_of(d.holdout), d.holdout_salt, draw->bucket, draw->modulus,
                                  draw->held ? "below" : "not below", draw->threshold));
        return;
      case ir::StatusKind::Exit:
        if (const auto* m = rule_of(SourceMap::Kind::Exit, q.name, st.name)) {
          ExplainRule r = rule(*m, "exit", true);
          r.verdict = applies ? "EXITS" : "does not exit (" + r.value + ")";
          r.decided = applies;
          steps.say(fmt::format("exit {} ({}:{}): {}", m->name, r.file, r.line, r.verdict), r);
        }
        return;
      case ir::StatusKind::Exhausted:
        touch_steps(q, d, applies, steps);
        return;
      case ir::StatusKind::Waiting:
        wait_steps(q, d, applies, steps);
        return;
      case ir::StatusKind::NoChannel:
        channel_steps(q, d, steps);
        return;
      case ir::StatusKind::Capped:
        for (const auto& cap : q.caps) {
          const std::string fired = rr().truth(cap.fires);
          if (cap.cond != ir::kNoNode)
            steps.say(fmt::format("cap {}{}: {}", cap.name, cap.shared ? "" : " (this sequence)",
                                  fired == "true" ? "FIRES (capped)" : "does not fire"));
          else
            steps.say(fmt::format("cap {}: at most {} per run; earlier sequences have {} due: {}",
                                  cap.name, cap.limit, val(cap.earlier).i,
                                  fired == "true" ? "CAPPED" : "not capped"));
        }
        return;
      case ir::StatusKind::Due: {
        const Progress p = progress(q);
        const ir::Touch& t = q.touches[static_cast<size_t>(p.next - 1)];
        steps.say(
            fmt::format("due: touch {} {} via {}, offer {}", p.next, t.name, x.channel, x.offer));
        if (auto draw = rr().variant(t)) {
          if (draw->in == ir::kNoIndex) {
            steps.say(
                fmt::format("variant: bucket {} of 100 under \"{}\" lies beyond the "
                            "variants' shares: no variant",
                            draw->bucket, draw->salt));
          } else {
            const ir::Variant& v = t.variants[draw->in];
            std::string line = fmt::format("variant {}: bucket {} of 100 under \"{}\" is in {}-{}",
                                           v.name, draw->bucket, draw->salt, v.begin, v.end - 1);
            if (draw->gets != draw->in && draw->gets != ir::kNoIndex)
              line += fmt::format(" (paused: {} instead)", t.variants[draw->gets].name);
            steps.say(line);
          }
        }
        if (auto when = rr().send_time(q)) steps.say("sends at " + *when);
        return;
      }
    }
  }

  // The last touch sent, the touches after it skipped for their `only when`, and the next one.
  void touch_steps(const ir::Sequence& q, const SourceMap::Sequence& d, bool exhausted,
                   Steps& steps) const {
    const Progress p = progress(q);
    if (q.progress_touch != ir::kNoNode) {
      const NodeValue& lv = val(q.progress_touch);
      std::string shown = std::to_string(lv.i);
      const ir::Node& col = p_.nodes[q.progress_touch];
      if (q.progress_by_name && col.op == ir::Op::Column && col.index < p_.schema.fields.size()) {
        // The field is an enum of the touch names: show the name it holds.
        const auto& names = p_.schema.fields[col.index].enum_values;
        if (lv.present && lv.i >= 0 && static_cast<size_t>(lv.i) < names.size())
          shown = names[static_cast<size_t>(lv.i)];
      }
      steps.say(lv.present ? fmt::format("last touch {} ({} = {})", p.last, d.progress_touch, shown)
                           : fmt::format("last touch 0 ({} is missing)", d.progress_touch));
    } else {
      steps.say("no progress field: no touch sent");
    }
    for (size_t i = 0; i < q.touches.size() && i < d.touches.size(); ++i) {
      if (static_cast<int64_t>(i + 1) <= p.last) continue;
      const SourceMap::Touch& t = d.touches[i];
      const bool next = static_cast<int>(i + 1) == p.next;
      if (t.only_when == kNone) break;  // eligible: it is the next touch
      const std::string v = value_of(t.only_when);
      std::optional<ExplainRule> r;
      if (const auto* m = rule_of(SourceMap::Kind::Touch, q.name, t.name)) {
        r = rule(*m, "touch", true);
        r->verdict = next ? "eligible" : "skipped (" + v + ")";
        r->decided = next;
      }
      if (next) {
        steps.say(
            fmt::format("touch {} {}: only when {}: true", i + 1, t.name, text_of(t.only_when)),
            std::move(r));
        break;
      }
      steps.say(fmt::format("touch {} {} skipped: only when {}: {}", i + 1, t.name,
                            text_of(t.only_when), v),
                std::move(r));
    }
    if (exhausted) {
      steps.say(fmt::format("no touch after touch {}", p.last));
      return;
    }
    const SourceMap::Touch& t = d.touches[static_cast<size_t>(p.next - 1)];
    steps.say(fmt::format("next touch: {} {} ({}:{})", p.next, t.name, place(t.span), t.span.line));
  }

  // The wait since the last touch.
  void wait_steps(const ir::Sequence& q, const SourceMap::Sequence& d, bool waiting,
                  Steps& steps) const {
    if (d.wait == kNone || q.wait == ir::kNoNode) return;
    const Progress p = progress(q);
    const NodeValue& w = val(q.wait);
    const std::string wtext = text_of(d.wait);
    const std::string wshow = w.present && wtext.find(std::to_string(w.i)) == std::string::npos
                                  ? fmt::format("{} ({} days)", wtext, w.i)
                                  : wtext;
    if (p.last <= 0) {
      steps.say("no touch sent yet: no wait");
      return;
    }
    if (!p.last_date) {
      steps.say(fmt::format("waiting: {} is missing, so the wait ({}) cannot have passed",
                            d.progress_date.empty() ? "the progress date" : d.progress_date,
                            wshow));
      return;
    }
    steps.say(fmt::format("{} days since the last touch on {}; wait {}: {}",
                          val(q.days_since_last).i, format_iso_date(*p.last_date), wshow,
                          waiting ? "not yet" : "passed"));
  }

  // The next touch's channel, its `requires`, and its fallback.
  void channel_steps(const ir::Sequence& q, const SourceMap::Sequence& d, Steps& steps) const {
    const Progress p = progress(q);
    const SourceMap::Touch& t = d.touches[static_cast<size_t>(p.next - 1)];
    const ir::SequenceDecision& dec = q.decision;
    auto allowed = [&](const ir::Channel& ch, uint32_t ok_node) {
      if (const auto* m = rule_of(SourceMap::Kind::Channel, q.name, ch.name)) {
        ExplainRule r = rule(*m, "channel", true);
        const bool ok = rr().truth(ok_node) == "true";
        r.verdict = ok ? "allowed" : "not allowed (" + r.value + ")";
        steps.say(fmt::format("channel {} requires {}: {}", ch.name, r.condition, r.value), r);
        return ok;
      }
      steps.say(fmt::format("channel {}: no requirement", ch.name));
      return true;
    };
    const auto chosen = rr().index(dec.chosen_channel);
    if (!chosen || *chosen >= q.channels.size()) {
      steps.say(fmt::format("via {}: no channel", text_of(t.channel)));
      return;
    }
    const ir::Channel& ch = q.channels[*chosen];
    if (term(t.channel).kind != Term::Kind::Name)
      steps.say(fmt::format("via {}: {}", text_of(t.channel), ch.name));
    if (allowed(ch, dec.chosen_allowed)) return;
    const auto fb = rr().index(dec.fallback_channel);
    if (!fb || *fb >= q.channels.size()) {
      steps.say(fmt::format("no fallback for {}", ch.name));
      return;
    }
    steps.say(fmt::format("fallback {} to {}", ch.name, q.channels[*fb].name));
    allowed(q.channels[*fb], dec.fallback_allowed);
  }

  const CompileResult& c_;
  const ir::Program& p_;
  const Batch& b_;
  int64_t row_;
  int32_t as_of_;
  std::optional<RowReading> rr_;
  std::map<std::string, const SourceMap::Rule*> lets_;
  std::map<std::string, const SourceMap::Sequence*> seqs_;
  std::map<std::string, std::string> segments_;  // segment family -> its doc comment
};

}  // namespace

bool explain_row(const CompileResult& compiled, const Batch& batch, int64_t row, int32_t as_of,
                 Explanation& out, std::string& error) {
  if (!compiled.program) {
    error = "the rules did not compile";
    return false;
  }
  if (row < 0 || row >= batch.num_rows) {
    error = "row out of range";
    return false;
  }
  Explainer x(compiled, batch, row, as_of);
  return x.run(out, error);
}

}  // namespace rk
