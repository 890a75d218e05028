// Rekindle lints: the RK06xx checks run on a checked program (the IR and its layout, the
// SourceMap) and the parsed files the compiler kept (CompileResult::syntax; nothing is parsed
// again). Questions of the form "can this ever happen?" are put to Z3 through compiler/lint/smt.h:
// an UNSAT answer proves "never" (or, negated, "always"); a SAT answer is confirmed on a concrete
// customer (compiler/lint/witness.h) before it is reported; UNKNOWN or a timeout stays silent.
#include "compiler/lint/lint.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <tuple>
#include <unordered_map>

#include "compiler/check/examples.h"
#include "compiler/lint/smt.h"
#include "compiler/lint/witness.h"
#include "grammar/ast.h"

namespace rk {
namespace {

using lint::Customer;
using lint::Encoder;
using lint::Verdict;
using Kind = SourceMap::Kind;

const std::vector<LintInfo> kCatalog = {
    {"RK0601", "shadowed-label", "a label that never matches because earlier labels cover it"},
    {"RK0602", "never-fires",
     "a stop, review, touch, exit or sequence status that can never happen"},
    {"RK0603", "always-true", "a condition that is true for every customer"},
    {"RK0604", "always-false", "a condition that is never true"},
    {"RK0605", "empty-range", "a range whose start lies above its end"},
    {"RK0606", "overlapping-ranges", "ranges of one segment that overlap"},
    {"RK0607", "fails-closed-on-missing",
     "a stop or review rule that fires because a value is missing, without saying so"},
    {"RK0608", "channel-without-consent", "a channel without `requires`"},
    {"RK0609", "unreviewed-discount", "a discount that no review rule covers"},
    {"RK0610", "sequence-without-wait", "a sequence without `wait`"},
    {"RK0611", "sequence-without-exit", "a sequence without `exit`"},
    {"RK0612", "sequence-without-holdout", "a sequence without `holdout`"},
    {"RK0613", "unused-parameter", "a parameter no rule reads"},
    {"RK0614", "unused-let", "a let no rule reads"},
    {"RK0615", "unused-field", "a schema field no rule reads"},
    {"RK0616", "variant-shares-below-100",
     "variants of a touch whose shares leave customers without a variant"},
    {"RK0617", "indistinguishable-variants",
     "a variant that sends exactly what an earlier variant of its touch sends"},
    {"RK0618", "placeholder-always-missing",
     "a template placeholder whose value is missing for everyone who gets the message"},
};

struct Finding {
  Diagnostic diag;
  std::vector<ast::Span> anchors;  // declarations whose comment lines above may allow it
};

bool contains(const ast::Span& outer, const ast::Span& inner) {
  return outer.file == inner.file && inner.offset >= outer.offset &&
         inner.offset + inner.len <= outer.offset + outer.len;
}

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::tuple<uint32_t, uint32_t, uint32_t> span_key(const ast::Span& s) {
  return {s.file, s.offset, s.len};
}

// A sequence of the layout with its declaration.
struct SeqInfo {
  const ir::Sequence* layout = nullptr;
  const ast::SequenceDecl* decl = nullptr;
};

class Linter {
 public:
  Linter(const CompileResult& r, const LintOptions& opts)
      : r_(r), p_(*r.program), enc_(p_, opts.timeout_ms, opts.stop) {}

  std::vector<Diagnostic> run() {
    index_sources();
    read_layout();
    empty_ranges();
    conditions();
    shadowed_labels();
    overlapping_ranges();
    stops_never_fire();
    reviews_never_fire();
    sequences_never();
    fails_closed();
    channels_without_requires();
    unreviewed_discounts();
    sequence_clauses();
    variants();
    placeholders();
    unused();
    std::vector<Diagnostic> out;
    for (auto& f : findings_)
      if (!allowed(f)) out.push_back(std::move(f.diag));
    std::stable_sort(out.begin(), out.end(), [](const Diagnostic& a, const Diagnostic& b) {
      const auto ka =
          a.span ? std::make_tuple(a.span->file, a.span->offset) : std::make_tuple(0u, 0u);
      const auto kb =
          b.span ? std::make_tuple(b.span->file, b.span->offset) : std::make_tuple(0u, 0u);
      if (ka != kb) return ka < kb;
      return a.code < b.code;
    });
    return out;
  }

 private:
  // ---- setup ---------------------------------------------------------------------------------
  void index_sources() {
    for (const auto& f : r_.syntax) files_.push_back(f.get());
    for (const auto& e : r_.map.exprs) expr_node_.emplace(span_key(e.span), e.node);
    for (const auto& rule : r_.map.rules) {
      if (rule.kind == Kind::Let) continue;
      rule_index_[std::make_tuple(static_cast<int>(rule.kind), rule.owner, rule.name)] = &rule;
    }
  }

  void read_layout() {
    const ir::Layout& l = p_.layout;
    candidate_ = l.candidate.value.node;
    stops_ = l.stops.value.node;
    for (const auto& st : l.stops.rules) stop_names_.push_back(st.name);
    for (const auto& rv : l.reviews.rules) reviews_.emplace_back(rv.name, rv.value.node);
    for (const auto& q : l.sequences) {
      SeqInfo s{&q, nullptr};
      for (const ast::File* f : files_)
        for (const auto& d : f->decls)
          if (const auto* decl = std::get_if<ast::SequenceDecl>(&d.decl);
              decl && decl->name == q.name)
            s.decl = decl;
      if (s.decl) seqs_.push_back(s);
    }
  }

  const SourceMap::Rule* rule(Kind k, const std::string& owner, const std::string& name) const {
    auto it = rule_index_.find(std::make_tuple(static_cast<int>(k), owner, name));
    return it == rule_index_.end() ? nullptr : it->second;
  }

  std::optional<uint32_t> node_of(const ast::Span& s) const {
    auto it = expr_node_.find(span_key(s));
    if (it == expr_node_.end()) return std::nullopt;
    return it->second;
  }

  // The condition as written: the widest checked expression of the rule with the rule's node.
  ast::Span cond_span(const SourceMap::Rule& rule) const {
    std::optional<ast::Span> best;
    for (const auto& e : r_.map.exprs)
      if (e.node == rule.cond && contains(rule.span, e.span) && (!best || e.span.len > best->len))
        best = e.span;
    return best ? *best : rule.span;
  }

  std::string_view text(const ast::Span& s) const {
    const auto& t = r_.sources.file(s.file).text;
    if (s.offset + s.len > t.size()) return {};
    return std::string_view(t).substr(s.offset, s.len);
  }

  void report(std::string code, const ast::Span& span, std::string message,
              std::vector<ast::Span> anchors, std::vector<DiagNote> notes = {},
              std::string help = {}) {
    Finding f;
    f.diag.severity = Severity::Warning;
    f.diag.code = std::move(code);
    f.diag.message = std::move(message);
    f.diag.span = span;
    f.diag.notes = std::move(notes);
    f.diag.help = std::move(help);
    f.anchors = std::move(anchors);
    findings_.push_back(std::move(f));
  }

  // ---- `# rekindle: allow RK06xx` --------------------------------------------------------------
  bool allowed(const Finding& f) const {
    for (const auto& a : f.anchors) {
      if (a.file >= r_.sources.size()) continue;
      for (uint32_t line = a.line; line-- > 1;) {
        std::string_view t = r_.sources.line_text(a.file, line);
        while (!t.empty() && (t.front() == ' ' || t.front() == '\t')) t.remove_prefix(1);
        if (t.empty() || t.front() != '#') break;
        if (allows(t, f.diag.code)) return true;
      }
    }
    return false;
  }
  static bool allows(std::string_view line, const std::string& code) {
    while (!line.empty() && (line.front() == '#' || line.front() == ' ')) line.remove_prefix(1);
    constexpr std::string_view kMark = "rekindle:";
    if (line.substr(0, kMark.size()) != kMark) return false;
    line.remove_prefix(kMark.size());
    while (!line.empty() && line.front() == ' ') line.remove_prefix(1);
    if (line.substr(0, 5) != "allow") return false;
    line.remove_prefix(5);
    std::string word;
    auto flush = [&]() {
      const bool hit = word == code;
      word.clear();
      return hit;
    };
    for (char c : line) {
      if (c == ' ' || c == ',' || c == '\t' || c == '\r') {
        if (flush()) return true;
      } else {
        word += c;
      }
    }
    return flush();
  }

  // ---- RK0605: empty ranges --------------------------------------------------------------------
  const SourceMap::Rule* enclosing_rule(const ast::Span& s) const {
    const SourceMap::Rule* best = nullptr;
    for (const auto& rule : r_.map.rules)
      if (contains(rule.span, s) && (!best || rule.span.len < best->span.len)) best = &rule;
    return best;
  }

  void empty_ranges() {
    for (const ast::File* fp : files_) {
      const ast::File& f = *fp;
      if (f.is_schema) continue;
      for (const auto& e : f.exprs) {
        const auto* in = std::get_if<ast::InRange>(&e.kind);
        if (!in) continue;
        const auto lo = node_of(f.expr(in->lo).span), hi = node_of(f.expr(in->hi).span);
        if (!lo || !hi) continue;
        const z3::expr both = enc_.present(*lo) && enc_.present(*hi);
        const bool ints = p_.nodes[*lo].ty == ir::Ty::Int && p_.nodes[*hi].ty == ir::Ty::Int;
        const z3::expr ordered =
            ints ? enc_.value(*lo) <= enc_.value(*hi) : enc_.as_real(*lo) <= enc_.as_real(*hi);
        if (enc_.check(both && ordered) != Verdict::Unsat) continue;
        if (enc_.check(both) != Verdict::Sat) continue;
        ast::Span range = f.expr(in->lo).span;
        const ast::Span& h = f.expr(in->hi).span;
        range.len = h.offset + h.len - range.offset;
        const SourceMap::Rule* owner = enclosing_rule(e.span);
        if (owner) range_rules_.insert(owner);
        report("RK0605", range,
               fmt::format("the range `{}` is empty: it starts above where it ends", text(range)),
               {owner ? owner->span : e.span},
               {{in->negated ? "so `not in` this range is true for every value"
                             : "so no value is in it, and the test is never true",
                 std::nullopt}},
               "write the smaller end first");
      }
    }
  }

  // ---- RK0603 / RK0604: conditions that are always or never true -------------------------------
  static bool fails_closed_kind(Kind k) { return k == Kind::Stop || k == Kind::Review; }

  // Notes naming the schema's value ranges of the fields a condition's text reads (the solver
  // keeps every field within its range, so a range can be why a condition is never or always
  // true).
  std::vector<DiagNote> range_notes(const ast::Span& cond) const {
    std::vector<DiagNote> out;
    const std::string_view t = text(cond);
    auto word_char = [](char c) {
      return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_';
    };
    for (const auto& f : p_.schema.fields) {
      if (!f.has_range()) continue;
      for (size_t at = t.find(f.name); at != std::string_view::npos; at = t.find(f.name, at + 1)) {
        const size_t end = at + f.name.size();
        if ((at > 0 && word_char(t[at - 1])) || (end < t.size() && word_char(t[end]))) continue;
        out.push_back({fmt::format("the schema gives `{}` the range {}", f.name, range_text(f)),
                       std::nullopt});
        break;
      }
    }
    return out;
  }

  void conditions() {
    for (const auto& rule : r_.map.rules) {
      if (rule.kind == Kind::Let || rule.kind == Kind::Otherwise || rule.cond == UINT32_MAX)
        continue;
      if (range_rules_.count(&rule)) continue;
      const bool closed = fails_closed_kind(rule.kind);
      const z3::expr holds = closed ? !enc_.is_false(rule.cond) : enc_.is_true(rule.cond);
      const ast::Span span = cond_span(rule);
      if (enc_.check(holds) == Verdict::Unsat) {
        never_.insert(&rule);
        report("RK0604", span, never_message(rule), {rule.span}, range_notes(span));
        continue;
      }
      if (enc_.check(!holds) == Verdict::Unsat) {
        auto [msg, help] = always_message(rule);
        report("RK0603", span, msg, {rule.span}, range_notes(span), help);
      }
    }
  }

  static std::string never_message(const SourceMap::Rule& r) {
    switch (r.kind) {
      case Kind::Label:
        return fmt::format(
            "label `{}` of segment `{}` can never match: its condition is never "
            "true",
            r.name, r.owner);
      case Kind::Candidate:
        return "no customer is ever a candidate: the condition is never true";
      case Kind::Stop:
        return fmt::format(
            "stop rule `{}` can never fire: its condition is false for every "
            "customer",
            r.name);
      case Kind::Review:
        return fmt::format(
            "review rule `{}` can never fire: its condition is false for every "
            "customer",
            r.name);
      case Kind::Touch:
        return fmt::format("touch `{}` can never be sent: its `only when` is never true", r.name);
      case Kind::Exit:
        return fmt::format(
            "exit `{}` of sequence `{}` can never apply: its condition is never "
            "true",
            r.name, r.owner);
      case Kind::Channel:
        return fmt::format("channel `{}` can never be used: its `requires` is never true", r.name);
      case Kind::Cap:
        return fmt::format(
            "cap `{}` can never bind in sequence `{}`: its condition is false for "
            "every customer",
            r.name, r.owner);
      case Kind::ScoreLine:
        return fmt::format(
            "the line `{} points` of score `{}` never gives points: its condition "
            "is never true",
            r.name, r.owner);
      case Kind::Otherwise:
      case Kind::Let:
      case Kind::Enter:
        return "this condition is never true";
    }
    return "this condition is never true";
  }
  std::pair<std::string, std::string> always_message(const SourceMap::Rule& r) const {
    switch (r.kind) {
      case Kind::Label:
        return {fmt::format("the condition of label `{}` is true for every customer", r.name),
                fmt::format("labels after it can never match; write `otherwise {}` if that is "
                            "meant",
                            r.name)};
      case Kind::Candidate:
        return {"every customer is a candidate: the condition is true for every customer",
                "remove the candidate rule if that is meant"};
      case Kind::Stop:
        return {fmt::format("stop rule `{}` stops every candidate: its condition is never false",
                            r.name),
                ""};
      case Kind::Review:
        return {fmt::format("review rule `{}` fires for every customer with a touch due: its "
                            "condition is never false",
                            r.name),
                ""};
      case Kind::Touch:
        return {fmt::format("the `only when` of touch `{}` is true for every customer", r.name),
                "remove it if that is meant"};
      case Kind::Exit:
        return {fmt::format("exit `{}` applies to every customer: its condition is always true",
                            r.name),
                "no touch of the sequence can ever be sent"};
      case Kind::Channel:
        return {fmt::format("the `requires` of channel `{}` is true for every customer", r.name),
                fmt::format("it checks nothing; require the consent field, e.g. `requires {}`",
                            check::consent_example(p_.schema, r.name))};
      case Kind::Cap:
        return {fmt::format("cap `{}` caps every customer of sequence `{}`: its condition is "
                            "never false",
                            r.name, r.owner),
                "no touch of the sequence can ever be due"};
      case Kind::ScoreLine:
        return {fmt::format("the line `{} points` of score `{}` gives its points to every "
                            "customer: its condition is always true",
                            r.name, r.owner),
                "the points only shift every customer's score; remove the line if that is meant"};
      case Kind::Otherwise:
      case Kind::Let:
      case Kind::Enter:
        return {"this condition is true for every customer", ""};
    }
    return {"this condition is true for every customer", ""};
  }

  bool skip_context(const SourceMap::Rule* r) const {
    return r && (never_.count(r) || range_rules_.count(r));
  }

  // ---- RK0601: shadowed labels -----------------------------------------------------------------
  void shadowed_labels() {
    for (const auto& fam : p_.layout.families) {
      for (size_t i = 0; i < fam.labels.size(); ++i) {
        const bool otherwise = fam.labels[i].otherwise;
        const SourceMap::Rule* r =
            rule(otherwise ? Kind::Otherwise : Kind::Label, fam.name, fam.labels[i].name);
        if (!r || skip_context(r)) continue;
        if (enc_.check(enc_.equals(fam.value.node, static_cast<int64_t>(i))) != Verdict::Unsat)
          continue;
        std::vector<DiagNote> notes;
        std::vector<const SourceMap::Rule*> earlier;
        for (size_t j = 0; j < i; ++j)
          if (const auto* e = rule(Kind::Label, fam.name, fam.labels[j].name);
              e && e->cond != UINT32_MAX)
            earlier.push_back(e);
        if (otherwise) {
          notes.push_back({"the labels before it cover every customer", std::nullopt});
          report("RK0601", r->span,
                 fmt::format("`otherwise {}` of segment `{}` can never match", fam.labels[i].name,
                             fam.name),
                 {r->span}, std::move(notes), "remove it, or narrow the labels before it");
          continue;
        }
        const z3::expr mine = enc_.is_true(r->cond);
        const SourceMap::Rule* cover = nullptr;
        std::vector<const SourceMap::Rule*> overlap;
        for (const auto* e : earlier) {
          if (enc_.check(mine && !enc_.is_true(e->cond)) == Verdict::Unsat) {
            cover = e;
            break;
          }
          if (enc_.check(mine && enc_.is_true(e->cond)) != Verdict::Unsat) overlap.push_back(e);
        }
        if (cover) {
          notes.push_back(
              {fmt::format("label `{}` matches every customer this one would", cover->name),
               cover->span});
        } else {
          std::string names;
          for (const auto* e : overlap) names += (names.empty() ? "`" : ", `") + e->name + "`";
          notes.push_back({fmt::format("together, the labels before it ({}) match every customer "
                                       "this one would",
                                       names),
                           std::nullopt});
        }
        report("RK0601", r->span,
               fmt::format("label `{}` of segment `{}` can never match: earlier labels cover it",
                           r->name, fam.name),
               {r->span}, std::move(notes),
               "the first label whose condition holds wins; reorder the labels or narrow the "
               "earlier ones");
      }
    }
  }

  // ---- RK0606: overlapping ranges --------------------------------------------------------------
  struct Range {
    const ast::LabelRule* label;
    double lo, hi;
    ast::Span lo_span, hi_span;
    ast::Unit unit;
  };
  std::optional<double> const_value(uint32_t n) const {
    const ir::Node& x = p_.nodes[n];
    if (x.op == ir::Op::ConstInt) return static_cast<double>(x.imm);
    if (x.op == ir::Op::ConstFloat && std::isfinite(x.fimm)) return x.fimm;
    if (x.op == ir::Op::IntToFloat && p_.nodes[x.args[0]].op == ir::Op::ConstInt)
      return static_cast<double>(p_.nodes[x.args[0]].imm);
    return std::nullopt;
  }
  static std::string show(double v, ast::Unit u) {
    switch (u) {
      case ast::Unit::Days:
        return fmt::format("{} days", v);
      case ast::Unit::Money:
        return fmt::format("${}", v);
      case ast::Unit::Percent:
        return fmt::format("{}%", v * 100);
      case ast::Unit::None:
        return fmt::format("{}", v);
    }
    return fmt::format("{}", v);
  }

  void overlapping_ranges() {
    for (const ast::File* fp : files_) {
      const ast::File& f = *fp;
      if (f.is_schema) continue;
      for (const auto& d : f.decls) {
        const auto* seg = std::get_if<ast::SegmentDecl>(&d.decl);
        if (!seg) continue;
        std::map<uint32_t, std::vector<Range>> by_subject;
        std::vector<uint32_t> order;
        for (const auto& l : seg->labels) {
          if (l.otherwise || l.cond == ast::kNoExpr) continue;
          const auto* in = std::get_if<ast::InRange>(&f.expr(l.cond).kind);
          if (!in || in->negated) continue;
          const auto s = node_of(f.expr(in->subject).span);
          const auto lo = node_of(f.expr(in->lo).span), hi = node_of(f.expr(in->hi).span);
          if (!s || !lo || !hi) continue;
          const auto lv = const_value(*lo), hv = const_value(*hi);
          if (!lv || !hv || *lv > *hv) continue;
          ast::Unit unit = ast::Unit::None;
          for (ast::ExprId b : {in->lo, in->hi})
            if (const auto* n = std::get_if<ast::NumberLit>(&f.expr(b).kind);
                n && n->unit != ast::Unit::None)
              unit = n->unit;
          if (!by_subject.count(*s)) order.push_back(*s);
          by_subject[*s].push_back({&l, *lv, *hv, f.expr(in->lo).span, f.expr(in->hi).span, unit});
        }
        for (uint32_t s : order) {
          const auto& rs = by_subject[s];
          if (rs.size() < 2) continue;
          for (size_t i = 1; i < rs.size(); ++i) {
            for (size_t j = 0; j < i; ++j) {
              const double lo = std::max(rs[i].lo, rs[j].lo), hi = std::min(rs[i].hi, rs[j].hi);
              if (lo > hi) continue;
              const ast::Unit u = rs[i].unit != ast::Unit::None ? rs[i].unit : rs[j].unit;
              const std::string both =
                  lo == hi ? show(lo, u) : fmt::format("{} to {}", show(lo, u), show(hi, u));
              report("RK0606", rs[i].label->span,
                     fmt::format("the range of label `{}` overlaps the range of label `{}` in "
                                 "segment `{}`: {} lies in both",
                                 rs[i].label->name, rs[j].label->name, seg->name, both),
                     {rs[i].label->span},
                     {{fmt::format("`{}` comes first, so it wins there", rs[j].label->name),
                       rs[j].label->span}},
                     "make the ranges meet without overlapping, e.g. `60 to 89` then `90 to 119`");
              break;
            }
          }
        }
      }
    }
  }

  // ---- RK0602: stops, reviews, touches, exits and statuses that can never happen ---------------
  void stops_never_fire() {
    if (stop_names_.empty()) return;
    std::vector<const SourceMap::Rule*> rules;
    for (const auto& n : stop_names_) rules.push_back(rule(Kind::Stop, "", n));
    // Stops apply to the customers who enter a sequence (the candidates without sequences).
    const uint32_t scope = p_.layout.stops.scope;
    const bool candidates = scope == candidate_;
    const z3::expr cand = enc_.is_true(scope);
    auto fires = [&](const SourceMap::Rule* r) { return !enc_.is_false(r->cond); };
    for (size_t i = 0; i < rules.size(); ++i) {
      const SourceMap::Rule* r = rules[i];
      if (!r || skip_context(r)) continue;
      if (enc_.check(enc_.equals(stops_, static_cast<int64_t>(i))) != Verdict::Unsat) continue;
      std::vector<DiagNote> notes;
      if (enc_.check(cand && fires(r)) == Verdict::Unsat) {
        notes.push_back({candidates
                             ? "it fires only for customers who are not candidates, and stop rules "
                               "apply to candidates only"
                             : "it fires only for customers who enter no sequence, and stop rules "
                               "apply to customers who enter one",
                         std::nullopt});
      } else {
        const SourceMap::Rule* cover = nullptr;
        for (size_t j = 0; j < i && !cover; ++j)
          if (rules[j] && enc_.check(cand && fires(r) && !fires(rules[j])) == Verdict::Unsat)
            cover = rules[j];
        if (cover)
          notes.push_back({fmt::format("stop rule `{}` fires first for every candidate this one "
                                       "would stop",
                                       cover->name),
                           cover->span});
        else
          notes.push_back({"the stop rules before it fire first for every candidate it would stop",
                           std::nullopt});
      }
      report("RK0602", r->span, fmt::format("stop rule `{}` can never fire", r->name), {r->span},
             std::move(notes));
    }
  }

  void reviews_never_fire() {
    for (const auto& [name, node] : reviews_) {
      const SourceMap::Rule* r = rule(Kind::Review, "", name);
      if (!r || skip_context(r)) continue;
      if (enc_.check(enc_.is_true(node)) != Verdict::Unsat) continue;
      report("RK0602", r->span, fmt::format("review rule `{}` can never fire", name), {r->span},
             {{seqs_.empty() ? "its condition is false for every candidate that is not stopped"
                             : "its condition is false for every customer with a touch due",
               std::nullopt}});
    }
  }

  // The index of the first status of `q` that `pred` accepts.
  template <typename Pred>
  static std::optional<int64_t> status_index(const ir::Sequence& q, Pred pred) {
    for (size_t i = 0; i < q.statuses.size(); ++i)
      if (pred(q.statuses[i])) return static_cast<int64_t>(i);
    return std::nullopt;
  }

  void sequences_never() {
    for (const auto& s : seqs_) {
      const ast::SequenceDecl& d = *s.decl;
      const ir::Sequence& q = *s.layout;
      const uint32_t status = q.result.status.node, touch = q.result.touch.node;
      // Touches.
      for (size_t i = 0; i < d.touches.size(); ++i) {
        const ast::TouchDecl& t = d.touches[i];
        const SourceMap::Rule* r = rule(Kind::Touch, d.name, t.name);
        if (skip_context(r)) continue;
        if (enc_.check(enc_.equals(touch, static_cast<int64_t>(i))) != Verdict::Unsat) continue;
        std::vector<DiagNote> notes;
        if (!d.progress_touch && i > 0)
          notes.push_back(
              {"the sequence has no `progress`, so every customer is at its first "
               "touch",
               d.span});
        else
          notes.push_back({"no customer with a touch due is ever at this step", std::nullopt});
        report("RK0602", t.name_span,
               fmt::format("touch `{}` of sequence `{}` can never be sent", t.name, d.name),
               {t.span}, std::move(notes));
      }
      // Exits.
      for (size_t k = 0; k < d.exits.size(); ++k) {
        const SourceMap::Rule* r = rule(Kind::Exit, d.name, d.exits[k].name);
        if (skip_context(r)) continue;
        const auto idx = status_index(q, [&](const ir::Status& st) {
          return st.kind == ir::StatusKind::Exit && st.exit == k;
        });
        if (!idx || enc_.check(enc_.equals(status, *idx)) != Verdict::Unsat) continue;
        report("RK0602", d.exits[k].name_span,
               fmt::format("exit `{}` of sequence `{}` can never apply", d.exits[k].name, d.name),
               {d.exits[k].span},
               {{"whenever its condition is true, an earlier status applies (not_candidate, "
                 "stopped, holdout or an earlier exit)",
                 std::nullopt}});
      }
      // Built-in statuses, where the sequence asks for them.
      using SK = ir::StatusKind;
      std::vector<std::pair<SK, std::string>> ask;
      if (!stop_names_.empty())
        ask.emplace_back(SK::Stopped, "no stop rule fires for a customer who enters the sequence");
      if (q.holdout_atom != ir::kNoIndex)
        ask.emplace_back(SK::HeldOut, "no customer who enters the sequence is held out");
      if (q.progress_touch != ir::kNoNode) {
        ask.emplace_back(SK::Exhausted, "no customer ever gets past the last touch");
        if (q.wait != ir::kNoNode)
          ask.emplace_back(SK::Waiting, "no customer ever has to wait for the next touch");
      }
      ask.emplace_back(SK::NoChannel,
                       "every customer with a touch due may use the touch's channel or its "
                       "fallback");
      ask.emplace_back(SK::Due,
                       "no customer ever has a touch due: the sequence never sends anything");
      for (const auto& [kind, why] : ask) {
        const SK k = kind;
        const auto idx = status_index(q, [&](const ir::Status& st) { return st.kind == k; });
        if (!idx || enc_.check(enc_.equals(status, *idx)) != Verdict::Unsat) continue;
        report("RK0602", d.name_span,
               fmt::format("status `{}` of sequence `{}` can never happen",
                           q.statuses[static_cast<size_t>(*idx)].name, d.name),
               {d.span}, {{why, std::nullopt}});
      }
    }
  }

  // ---- RK0607: fails closed on a missing value without saying so -------------------------------
  void fails_closed() {
    auto check_rule = [&](const SourceMap::Rule* r, const z3::expr& in_effect,
                          const std::function<bool(const std::vector<lint::ConcreteValue>&)>& eff) {
      if (!r || r->cond == UINT32_MAX || skip_context(r)) return;
      if (lower(r->doc).find("missing") != std::string::npos) return;
      std::optional<Customer> w;
      z3::expr q = in_effect && !enc_.present(r->cond);
      if (enc_.check(q, w) != Verdict::Sat || !w) return;
      const std::vector<bool> read = lint::fields_read(p_, {r->cond});
      // Keep as few values missing as the finding needs: make the others present one by one.
      for (size_t f = 0; f < read.size(); ++f) {
        if (!read[f] || !p_.schema.fields[f].nullable || w->fields[f].present) continue;
        const z3::expr more = q && enc_.field_present(f);
        std::optional<Customer> w2;
        if (enc_.check(more, w2) == Verdict::Sat && w2) {
          q = more;
          w = w2;
        }
      }
      const auto vals = lint::evaluate(p_, *w);
      if (!eff(vals) || vals[r->cond].present) return;  // not confirmed: stay silent
      std::vector<std::string> gone;
      for (size_t f = 0; f < read.size(); ++f)
        if (read[f] && p_.schema.fields[f].nullable && !w->fields[f].present)
          gone.push_back("`" + p_.schema.fields[f].name + "`");
      const std::string what = r->kind == Kind::Stop ? "stop" : "review";
      std::string msg =
          gone.empty()
              ? fmt::format(
                    "{} rule `{}` fires when its condition cannot be decided ({} rules "
                    "fail closed)",
                    what, r->name, what)
              : fmt::format(
                    "{} rule `{}` fires when {} {} missing: its condition is then unknown, "
                    "and {} rules fail closed",
                    what, r->name, fmt::join(gone, " and "), gone.size() == 1 ? "is" : "are", what);
      const std::string field = gone.empty() ? "x" : gone[0].substr(1, gone[0].size() - 2);
      report("RK0607", cond_span(*r), std::move(msg), {r->span},
             {{"for example: " + lint::describe(p_, *w, read, false), std::nullopt}},
             fmt::format("say what a missing value means with `{} is present and ...`, `{} is "
                         "missing or ...`, `is`/`is not`/`is one of`; or, if failing closed is "
                         "meant, say so in a `##` comment that mentions \"missing\"",
                         field, field));
    };
    for (size_t i = 0; i < stop_names_.size(); ++i) {
      const auto k = static_cast<int64_t>(i);
      check_rule(rule(Kind::Stop, "", stop_names_[i]), enc_.equals(stops_, k),
                 [&](const auto& v) { return v[stops_].equals(k); });
    }
    for (const auto& [name, node] : reviews_) {
      const uint32_t n = node;
      check_rule(rule(Kind::Review, "", name), enc_.is_true(n),
                 [&](const auto& v) { return v[n].is_true(); });
    }
  }

  // ---- RK0608: channels without consent --------------------------------------------------------
  void channels_without_requires() {
    for (const auto& s : seqs_)
      for (const auto& c : s.decl->channels)
        if (c.requires_ == ast::kNoExpr)
          report("RK0608", c.name_span,
                 fmt::format("channel `{}` of sequence `{}` has no `requires`: outreach through "
                             "it never checks consent",
                             c.name, s.layout->name),
                 {c.span}, {},
                 fmt::format("add the consent it needs, e.g. `channel {} requires {}`", c.name,
                             check::consent_example(p_.schema, c.name)));
  }

  // ---- RK0609: discounts nobody reviews --------------------------------------------------------
  static bool has_discount(const ast::File& f, ast::ExprId id) {
    if (id == ast::kNoExpr) return false;
    const auto& k = f.expr(id).kind;
    if (const auto* o = std::get_if<ast::OfferLit>(&k)) return o->kind == ast::OfferKind::Discount;
    if (const auto* i = std::get_if<ast::IfExpr>(&k))
      return has_discount(f, i->then_) || has_discount(f, i->else_);
    return false;
  }
  const ast::File* file_of(const ast::Span& s) const {
    for (const ast::File* f : files_)
      if (f->file_index == s.file) return f;
    return nullptr;
  }

  void unreviewed_discounts() {
    for (const auto& s : seqs_) {
      const ast::File* f = file_of(s.decl->span);
      if (!f) continue;
      const ir::Sequence& q = *s.layout;
      const uint32_t offer = q.result.offer.node, touch = q.result.touch.node;
      std::vector<int64_t> discount;
      for (size_t k = 0; k < q.offers.size(); ++k)
        if (q.offers[k].kind == ir::OfferKind::Discount)
          discount.push_back(static_cast<int64_t>(k));
      if (discount.empty()) continue;
      for (size_t i = 0; i < s.decl->touches.size(); ++i) {
        const ast::TouchDecl& t = s.decl->touches[i];
        if (!has_discount(*f, t.offer)) continue;
        const auto ti = static_cast<int64_t>(i);
        z3::expr_vector is_discount(enc_.ctx());
        for (int64_t k : discount) is_discount.push_back(enc_.equals(offer, k));
        z3::expr query = enc_.equals(touch, ti) && z3::mk_or(is_discount);
        for (const auto& [name, node] : reviews_) query = query && !enc_.is_true(node);
        std::optional<Customer> w;
        if (enc_.check(query, w) != Verdict::Sat || !w) continue;
        const auto v = lint::evaluate(p_, *w);
        bool ok = v[touch].equals(ti) && v[offer].present &&
                  std::find(discount.begin(), discount.end(), v[offer].i) != discount.end();
        for (const auto& [name, node] : reviews_) ok = ok && !v[node].is_true();
        if (!ok) continue;
        report("RK0609", t.name_span,
               fmt::format("touch `{}` of sequence `{}` can offer `{}` and no review rule covers "
                           "it",
                           t.name, q.name, q.offers[static_cast<size_t>(v[offer].i)].text),
               {t.span},
               {{"for example: " + lint::describe(p_, *w, lint::fields_read(p_, {offer}), true),
                 std::nullopt}},
               fmt::format("add `review discount when {}.offer is discount because \"Discount "
                           "offers need approval\"`",
                           q.name));
      }
    }
  }

  // ---- RK0616 / RK0617: variants that leave customers out or cannot be told apart -------------
  // The source text of `span` (whitespace collapsed), "" for an empty span.
  std::string source_text(const ast::Span& span) const {
    if (span.len == 0 || span.file >= r_.sources.size()) return {};
    const std::string& text = r_.sources.file(span.file).text;
    if (span.offset + span.len > text.size()) return {};
    std::string out;
    for (const char c : text.substr(span.offset, span.len)) {
      const bool space = c == ' ' || c == '\n' || c == '\t' || c == '\r';
      if (space && (out.empty() || out.back() == ' ')) continue;
      out.push_back(space ? ' ' : c);
    }
    while (!out.empty() && out.back() == ' ') out.pop_back();
    return out;
  }

  void variants() {
    for (const auto& s : seqs_) {
      const ast::File* f = file_of(s.decl->span);
      if (!f) continue;
      const ir::Sequence& q = *s.layout;
      for (size_t i = 0; i < s.decl->touches.size() && i < q.touches.size(); ++i) {
        const ast::TouchDecl& t = s.decl->touches[i];
        const ir::Touch& lt = q.touches[i];
        if (t.variants.empty() || lt.variants.size() != t.variants.size()) continue;
        const uint64_t covered = lt.variants.back().end;
        if (covered < 100)
          report("RK0616", t.name_span,
                 fmt::format("the variants of touch `{}` take {}% of its customers: the other {}% "
                             "get the touch without a variant",
                             t.name, covered, 100 - covered),
                 {t.span}, {},
                 fmt::format("make the shares add up to 100%, or name the rest: `variant control "
                             "{}%`",
                             100 - covered));
        // What a variant sends: its offer, subject and body (each the touch's unless its own).
        auto sends = [&](const ast::VariantDecl& v) {
          const ast::ExprId offer = v.offer != ast::kNoExpr ? v.offer : t.offer;
          return std::make_tuple(
              offer == ast::kNoExpr ? std::string("none") : source_text(f->expr(offer).span),
              v.subject.present ? v.subject.text : t.subject.text,
              v.body.present ? v.body.text : t.body.text);
        };
        // Without templates the sender may render each variant differently from its name; with
        // templates, two variants that send the same offer and text are the same message.
        for (size_t k = 1; q.templated && k < t.variants.size(); ++k)
          for (size_t j = 0; j < k; ++j) {
            if (sends(t.variants[k]) != sends(t.variants[j])) continue;
            report("RK0617", t.variants[k].name_span,
                   fmt::format("variant `{}` of touch `{}` sends exactly what variant `{}` sends "
                               "(the same offer, subject and body): the test cannot tell them "
                               "apart",
                               t.variants[k].name, t.name, t.variants[j].name),
                   {t.variants[k].span, t.span},
                   {{"the same as this variant", t.variants[j].name_span}},
                   "give it its own offer, subject or body (`variant NAME N% { offer ... }`)");
            break;
          }
      }
    }
  }

  // ---- RK0618: a placeholder whose value is always missing -------------------------------------
  void placeholders() {
    for (const auto& s : seqs_) {
      const ir::Sequence& q = *s.layout;
      if (!q.templated) continue;
      const uint32_t touch = q.result.touch.node, variant = q.result.variant.node;
      for (size_t i = 0; i < q.touches.size() && i < s.decl->touches.size(); ++i) {
        const ir::Touch& lt = q.touches[i];
        const ast::TouchDecl& t = s.decl->touches[i];
        const z3::expr due = enc_.equals(touch, static_cast<int64_t>(i));
        // The touch's own message (for customers without a variant, or variants inheriting it)
        // and each variant's own.
        check_message(lt.message, t.subject, t.body, due, t.name, t.span);
        for (size_t k = 0; k < lt.variants.size() && k < t.variants.size(); ++k) {
          const ir::Variant& v = lt.variants[k];
          if (variant == ir::kNoNode || v.value == ir::kNoIndex) continue;
          const z3::expr gets = due && enc_.equals(variant, v.value);
          const ast::VariantDecl& vd = t.variants[k];
          ir::Message own;
          own.has_subject = vd.subject.present && v.message.has_subject;
          own.has_body = vd.body.present && v.message.has_body;
          if (own.has_subject) own.subject = v.message.subject;
          if (own.has_body) own.body = v.message.body;
          check_message(own, vd.subject, vd.body, gets, t.name + " (variant " + vd.name + ")",
                        vd.span);
        }
      }
    }
  }

  // Each placeholder with a fallback that reads a nullable field, a segment family or a let: warns
  // when no customer for whom `gets` holds has the value (so every message reads the fallback).
  void check_message(const ir::Message& m, const ast::MessageText& subject,
                     const ast::MessageText& body, const z3::expr& gets, const std::string& what,
                     const ast::Span& anchor) {
    for (const bool is_subject : {true, false}) {
      if (!(is_subject ? m.has_subject : m.has_body)) continue;
      const ir::MessageText& text = is_subject ? m.subject : m.body;
      const ast::MessageText& written = is_subject ? subject : body;
      if (!written.present) continue;
      std::set<std::string> seen;
      for (const ir::TemplatePart& part : text.parsed.parts) {
        if (part.kind != ir::TemplatePart::Kind::Placeholder || !part.has_fallback) continue;
        if (!seen.insert(part.text).second) continue;
        const ir::Placeholder* ph = text.find(part.text);
        if (!ph) continue;
        std::optional<z3::expr> present;
        if (ph->kind == ir::PlaceholderKind::Field && ph->index < p_.schema.fields.size() &&
            p_.schema.fields[ph->index].nullable)
          present = enc_.field_present(ph->index);
        else if (ph->kind == ir::PlaceholderKind::Family && ph->index < p_.layout.families.size())
          present = enc_.present(p_.layout.families[ph->index].value.node);
        else if (ph->kind == ir::PlaceholderKind::Let && ph->index < p_.layout.lets.size())
          present = enc_.present(p_.layout.lets[ph->index].value.node);
        if (!present) continue;
        if (enc_.check(gets) != Verdict::Sat) continue;  // nobody gets it: RK0602's business
        if (enc_.check(gets && *present) != Verdict::Unsat) continue;
        report("RK0618", written.span,
               fmt::format("`{{{}|{}}}` in the {} of touch {} always reads `{}`: `{}` is missing "
                           "for every customer who gets it",
                           part.text, part.fallback, is_subject ? "subject" : "body", what,
                           part.fallback, part.text),
               {anchor}, {},
               "check the condition that sends the touch, or write the fallback text itself");
      }
    }
  }

  // ---- RK0610 / RK0611 / RK0612: incomplete sequences ------------------------------------------
  void sequence_clauses() {
    for (const ast::File* fp : files_) {
      const ast::File& f = *fp;
      if (f.is_schema) continue;
      for (const auto& d : f.decls) {
        const auto* q = std::get_if<ast::SequenceDecl>(&d.decl);
        if (!q) continue;
        if (q->wait == ast::kNoExpr)
          report("RK0610", q->name_span,
                 fmt::format("sequence `{}` has no `wait`: the next touch is due as soon as the "
                             "last one was sent",
                             q->name),
                 {q->span}, {}, "add e.g. `wait 7 days`");
        if (q->exits.empty())
          report("RK0611", q->name_span,
                 fmt::format("sequence `{}` has no `exit`: customers who respond keep getting "
                             "touches",
                             q->name),
                 {q->span}, {}, check::exit_example(p_.schema));
        if (q->holdout_share == ast::kNoExpr)
          report("RK0612", q->name_span,
                 fmt::format("sequence `{}` has no `holdout`: without a control group its lift "
                             "cannot be measured",
                             q->name),
                 {q->span}, {}, fmt::format("add e.g. `holdout 5% salt \"{}\"`", q->name));
      }
    }
  }

  // ---- RK0613 / RK0614 / RK0615: unused declarations -------------------------------------------
  void unused() {
    std::set<std::string> read;
    std::vector<ast::Span> schema_imports;
    const ast::File* schema = nullptr;
    for (const ast::File* f : files_)
      if (f->is_schema) schema = f;
    namespace fs = std::filesystem;
    auto canonical = [](const fs::path& p) {
      std::error_code ec;
      auto c = fs::weakly_canonical(p, ec);
      return ec ? p.lexically_normal() : c;
    };
    for (const ast::File* fp : files_) {
      const ast::File& f = *fp;
      if (f.is_schema) continue;
      for (const auto& e : f.exprs)
        if (const auto* n = std::get_if<ast::Name>(&e.kind)) read.insert(n->name);
      for (const auto& d : f.decls) {
        if (const auto* q = std::get_if<ast::SequenceDecl>(&d.decl)) {
          if (q->progress_touch) read.insert(q->progress_touch->first);
          if (q->progress_date) read.insert(q->progress_date->first);
        }
        // `local time from FIELD` and `owner FIELD` read their fields too.
        if (const auto* lt = std::get_if<ast::LocalTimeDecl>(&d.decl)) read.insert(lt->field);
        if (const auto* ow = std::get_if<ast::OwnerDecl>(&d.decl); ow && !ow->field.empty())
          read.insert(ow->field);
        if (const auto* im = std::get_if<ast::ImportDecl>(&d.decl); im && schema) {
          const fs::path from = fs::path(r_.sources.file(f.file_index).path).parent_path();
          if (canonical(from / im->path) ==
              canonical(fs::path(r_.sources.file(schema->file_index).path)))
            schema_imports.push_back(im->span);
        }
      }
    }
    for (const ast::File* fp : files_) {
      const ast::File& f = *fp;
      for (const auto& d : f.decls) {
        if (const auto* pd = std::get_if<ast::ParamDecl>(&d.decl); pd && !read.count(pd->name))
          report("RK0613", pd->name_span, fmt::format("parameter `{}` is never read", pd->name),
                 {pd->span}, {}, "remove it, or use it in a rule");
        if (const auto* ld = std::get_if<ast::LetDecl>(&d.decl); ld && !read.count(ld->name))
          report("RK0614", ld->name_span, fmt::format("let `{}` is never read", ld->name),
                 {ld->span}, {}, "remove it, or use it in a rule");
        if (const auto* fd = std::get_if<ast::FieldDecl>(&d.decl);
            fd && f.is_schema && !fd->key && !read.count(fd->name)) {
          std::vector<ast::Span> anchors{fd->span};
          anchors.insert(anchors.end(), schema_imports.begin(), schema_imports.end());
          report("RK0615", fd->name_span,
                 fmt::format("field `{}` of schema `{}` is never read by the rules", fd->name,
                             f.schema_name),
                 anchors, {},
                 "if the snapshot carries it for other rule files, allow it with `# rekindle: "
                 "allow RK0615` above the field or above the `import`");
        }
      }
    }
  }

  const CompileResult& r_;
  const ir::Program& p_;
  Encoder enc_;
  std::vector<const ast::File*> files_;  // CompileResult::syntax
  std::map<std::tuple<uint32_t, uint32_t, uint32_t>, uint32_t> expr_node_;
  std::map<std::tuple<int, std::string, std::string>, const SourceMap::Rule*> rule_index_;
  uint32_t candidate_ = 0;
  uint32_t stops_ = 0;
  std::vector<std::string> stop_names_;
  std::vector<std::pair<std::string, uint32_t>> reviews_;
  std::vector<SeqInfo> seqs_;
  std::set<const SourceMap::Rule*> range_rules_, never_;
  std::vector<Finding> findings_;
};

}  // namespace

const std::vector<LintInfo>& lint_catalog() {
  return kCatalog;
}

std::vector<Diagnostic> lint_program(const CompileResult& r, const LintOptions& opts) {
  if (!r.program) return {};
  try {
    return Linter(r, opts).run();
  } catch (const z3::exception& e) {
    Diagnostic d;
    d.severity = Severity::Note;
    d.code = "RK0600";
    d.message = fmt::format("the lints stopped early: the solver failed ({})", e.msg());
    return {d};
  }
}

}  // namespace rk
