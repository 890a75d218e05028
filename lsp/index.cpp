// Rekindle language server: the symbol index (see index.h). Two passes over the files: the first
// declares every symbol (and the built-in statuses and members of each sequence), the second walks
// every expression and clause and records what each name denotes, with the value set of the
// subject it is compared with (`dormancy is deep`: `deep` is a label of `dormancy`).
#include "lsp/index.h"

#include <fmt/format.h>

#include <algorithm>
#include <set>
#include <tuple>
#include <type_traits>
#include <variant>

namespace rk::lsp {

OffsetMap OffsetMap::between(std::string_view old_text, std::string_view new_text) {
  const size_t n = std::min(old_text.size(), new_text.size());
  size_t p = 0;
  while (p < n && old_text[p] == new_text[p]) ++p;
  size_t s = 0;
  while (s < n - p && old_text[old_text.size() - 1 - s] == new_text[new_text.size() - 1 - s]) ++s;
  // Never split a UTF-8 character: the region starts and ends on character boundaries.
  auto continuation = [](char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; };
  while (p > 0 && ((p < old_text.size() && continuation(old_text[p])) ||
                   (p < new_text.size() && continuation(new_text[p]))))
    --p;
  while (s > 0 && ((s < old_text.size() && continuation(old_text[old_text.size() - s])) ||
                   (s < new_text.size() && continuation(new_text[new_text.size() - s]))))
    --s;
  OffsetMap m;
  m.begin = static_cast<uint32_t>(p);
  m.old_end = static_cast<uint32_t>(old_text.size() - s);
  m.new_end = static_cast<uint32_t>(new_text.size() - s);
  return m;
}

std::optional<Loc> OffsetMap::name(Loc l) const {
  if (begin == old_end && begin == new_end) return l;  // the texts are equal
  // A name that touches the edited region (even at an end: typing onto a name changes it) is gone.
  if (l.offset + l.len < begin) return l;
  if (l.offset > old_end) {
    l.offset = l.offset - old_end + new_end;
    return l;
  }
  return std::nullopt;
}

Loc OffsetMap::extent(Loc l) const {
  auto at = [&](uint32_t o, bool is_end) -> uint32_t {
    if (o < begin || (is_end && o == begin)) return o;
    if (o >= old_end) return o - old_end + new_end;
    return is_end ? new_end : begin;
  };
  const uint32_t a = at(l.offset, false);
  const uint32_t b = std::max(a, at(l.offset + l.len, true));
  return Loc{l.file, a, b - a};
}

std::string_view symbol_kind_name(SymbolKind k) {
  switch (k) {
    case SymbolKind::File:
      return "file";
    case SymbolKind::Field:
      return "field";
    case SymbolKind::EnumValue:
      return "enum value";
    case SymbolKind::Parameter:
      return "parameter";
    case SymbolKind::Let:
      return "let";
    case SymbolKind::Segment:
      return "segment";
    case SymbolKind::Label:
      return "label";
    case SymbolKind::Candidate:
      return "candidate rule";
    case SymbolKind::Stop:
      return "stop rule";
    case SymbolKind::Review:
      return "review rule";
    case SymbolKind::Sequence:
      return "sequence";
    case SymbolKind::Exit:
      return "exit";
    case SymbolKind::Channel:
      return "channel";
    case SymbolKind::Touch:
      return "touch";
    case SymbolKind::Status:
      return "status";
    case SymbolKind::Member:
      return "sequence member";
    case SymbolKind::Builtin:
      return "built-in";
    case SymbolKind::Test:
      return "test";
    case SymbolKind::Cap:
      return "cap";
    case SymbolKind::Guarantee:
      return "guarantee";
  }
  return "symbol";
}

namespace {

constexpr int kMaxDepth = 20000;  // the checker's limit on expression depth

// The built-in statuses of every sequence, in the order the checker tries them (docs/language.md).
struct BuiltinInfo {
  const char* name;
  const char* meaning;
};
constexpr BuiltinInfo kStatusesBefore[] = {
    {"not_candidate",
     "did not enter the sequence (`enter when` is not true; by default: not a "
     "candidate)"},
    {"stopped", "a stop rule fired"},
    {"holdout", "in the control group (`holdout`)"},
};
constexpr BuiltinInfo kStatusesAfter[] = {
    {"exhausted", "no touch is left after the last one sent"},
    {"waiting", "fewer than `wait` days have passed since the last touch"},
    {"no_channel", "neither the chosen channel nor its fallback is allowed"},
    {"due", "the next touch is due"},
};
constexpr BuiltinInfo kMembers[] = {
    {"status", "the customer's status in the sequence (the exits and the built-in statuses)"},
    {"touch", "the number of the touch due, 1 for the first (missing when none is due)"},
    {"step", "the name of the touch due"},
    {"channel", "the channel of the touch due"},
    {"offer", "the offer of the touch due (`is discount` matches any discount)"},
    {"discount", "the discount of the touch due, a percent (missing unless its offer is one)"},
    {"credit", "the credit of the touch due, money (missing unless its offer is one)"},
};

std::string type_text(const ast::TypeRef& t) {
  switch (t.kind) {
    case ast::TypeKind::Bool:
      return "bool";
    case ast::TypeKind::Int:
      return "int";
    case ast::TypeKind::Number:
      return "number";
    case ast::TypeKind::Money:
      return "money";
    case ast::TypeKind::Percent:
      return "percent";
    case ast::TypeKind::Date:
      return "date";
    case ast::TypeKind::String:
      return "string";
    case ast::TypeKind::TimeZone:
      return "time_zone";
    case ast::TypeKind::Enum: {
      std::vector<std::string> v;
      for (const auto& i : t.enum_values) v.push_back(i.text);
      return fmt::format("enum {{{}}}", fmt::join(v, ", "));
    }
    case ast::TypeKind::StringList:
      return "list of string";
  }
  return "?";
}

// The source text of a declaration: at most `max_lines` lines, the common indentation of the
// lines after the first removed.
std::string snippet(std::string_view text, const ast::Span& s, size_t max_lines = 16) {
  if (s.offset > text.size()) return {};
  std::string_view t = text.substr(s.offset, s.len);
  std::vector<std::string_view> lines;
  while (!t.empty()) {
    size_t nl = t.find('\n');
    std::string_view line = t.substr(0, nl);
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t'))
      line.remove_suffix(1);
    lines.push_back(line);
    if (nl == std::string_view::npos) break;
    t = t.substr(nl + 1);
  }
  // The first line starts at the declaration; the others keep their indentation relative to the
  // line the declaration starts on.
  size_t base = 0;
  {
    size_t ls = s.offset;
    while (ls > 0 && text[ls - 1] != '\n') --ls;
    while (ls + base < s.offset && (text[ls + base] == ' ' || text[ls + base] == '\t')) ++base;
  }
  std::string out;
  for (size_t i = 0; i < lines.size(); ++i) {
    if (i == max_lines) {
      out += "\n...";
      break;
    }
    std::string_view l = lines[i];
    if (i > 0) {
      size_t k = 0;
      while (k < base && k < l.size() && (l[k] == ' ' || l[k] == '\t')) ++k;
      l.remove_prefix(k);
      out += '\n';
    }
    out += l;
  }
  return out;
}

std::string one_line(std::string_view text, const ast::Span& s) {
  std::string out;
  if (s.offset > text.size()) return out;
  bool space = false;
  for (char c : text.substr(s.offset, s.len)) {
    if (c == ' ' || c == '\n' || c == '\r' || c == '\t') {
      space = !out.empty();
      continue;
    }
    if (space) out += ' ';
    space = false;
    out += c;
  }
  return out;
}

}  // namespace

class IndexBuilder {
 public:
  IndexBuilder(Index& ix, const std::vector<std::string>& file_names)
      : ix_(ix), file_names_(file_names) {}

  void declare(const IndexInput& in) {
    in_ = &in;
    for (const auto& top : in.ast->decls) {
      std::visit([&](const auto& d) { declare_decl(d, top); }, top.decl);
    }
  }

  // After every file is declared: the names expressions see, in the checker's order of lookup.
  void publish_names() {
    for (SymbolKind k : {SymbolKind::Let, SymbolKind::Parameter, SymbolKind::Field,
                         SymbolKind::Segment, SymbolKind::Sequence})
      for (uint32_t i = 0; i < ix_.symbols_.size(); ++i)
        if (ix_.symbols_[i].kind == k && ix_.symbols_[i].parent < 0)
          ix_.top_.emplace(ix_.symbols_[i].name, i);
    if (candidate_ < 0) {
      Symbol s;
      s.kind = SymbolKind::Candidate;
      s.name = "candidate";
      s.facts.push_back("every customer is a candidate: there is no `candidate when` rule");
      candidate_ = static_cast<int>(add(std::move(s)));
    }
    ix_.top_.emplace("candidate", static_cast<uint32_t>(candidate_));
    Symbol st;
    st.kind = SymbolKind::Builtin;
    st.name = "stopped";
    st.facts.push_back("true when a stop rule fires for the customer (stops apply to candidates)");
    ix_.top_.emplace("stopped", add(std::move(st)));
    if (!ix_.top_.count("reviewed")) {  // a field of that name is read instead
      Symbol rv;
      rv.kind = SymbolKind::Builtin;
      rv.name = "reviewed";
      rv.facts.push_back(
          "true when some review rule fires for the customer (only customers with a "
          "touch due are reviewed)");
      ix_.top_.emplace("reviewed", add(std::move(rv)));
    }
  }

  // Every let's value set (for completion after `LET is`).
  void finish_lets() {
    for (const auto& [id, where] : lets_) let_value_set(id, 0);
  }

  void resolve(const IndexInput& in) {
    in_ = &in;
    for (const auto& top : in.ast->decls)
      std::visit([&](const auto& d) { resolve_decl(d); }, top.decl);
  }

 private:
  // ---- places --------------------------------------------------------------------------------
  std::optional<Loc> name_loc(const ast::Span& s) const {
    const Loc l{in_->file, s.offset, s.len};
    return in_->map ? in_->map->name(l) : std::optional<Loc>(l);
  }
  Loc extent(const ast::Span& s) const {
    const Loc l{in_->file, s.offset, s.len};
    return in_->map ? in_->map->extent(l) : l;
  }
  void ref(const ast::Span& s, uint32_t symbol, bool declaration = false) {
    if (auto l = name_loc(s)) ix_.refs_.push_back({*l, symbol, declaration});
  }
  uint32_t add(Symbol s) {
    ix_.symbols_.push_back(std::move(s));
    return static_cast<uint32_t>(ix_.symbols_.size() - 1);
  }
  // A declared symbol: its places, its code and doc, and the reference of its name.
  uint32_t declared(SymbolKind kind, const std::string& name, const ast::Span& name_span,
                    const ast::Span& span, const std::string& doc, int parent = -1,
                    size_t max_lines = 16) {
    Symbol s;
    s.kind = kind;
    s.name = name;
    s.parent = parent;
    s.name_loc = name_loc(name_span);
    s.decl_loc = extent(span);
    s.code = snippet(in_->text, span, max_lines);
    s.doc = doc;
    const uint32_t id = add(std::move(s));
    if (parent >= 0) ix_.symbols_[parent].children.push_back(id);
    ref(name_span, id, true);
    return id;
  }
  uint32_t builtin(SymbolKind kind, const char* name, std::string fact, int parent) {
    Symbol s;
    s.kind = kind;
    s.name = name;
    s.parent = parent;
    s.facts.push_back(std::move(fact));
    const uint32_t id = add(std::move(s));
    ix_.symbols_[parent].children.push_back(id);
    return id;
  }
  std::string text(const ast::Span& s) const { return one_line(in_->text, s); }

  // ---- declarations --------------------------------------------------------------------------
  void declare_decl(const ast::ImportDecl&, const ast::TopDecl&) {}
  void declare_decl(const ast::FieldDecl& d, const ast::TopDecl&) {
    const uint32_t id = declared(SymbolKind::Field, d.name, d.name_span, d.span, d.doc);
    Symbol& s = ix_.symbols_[id];
    s.facts.push_back(fmt::format("type: {}{}", type_text(d.type),
                                  d.nullable ? ", may be missing (`?`)" : ", never missing"));
    if (d.range) {  // the values a snapshot may hold, as the schema writes them
      const ast::FieldRange& r = *d.range;
      std::string range;
      if (r.lo != ast::kNoExpr && r.hi != ast::kNoExpr)
        range = text(in_->ast->expr(r.lo).span) + " to " + text(in_->ast->expr(r.hi).span);
      else if (r.lo != ast::kNoExpr)
        range = (r.lo_inclusive ? ">= " : "> ") + text(in_->ast->expr(r.lo).span);
      else
        range = (r.hi_inclusive ? "<= " : "< ") + text(in_->ast->expr(r.hi).span);
      ix_.symbols_[id].facts.push_back(
          fmt::format("range: {} (a snapshot value outside it is a data error)", range));
    }
    if (d.key) ix_.symbols_[id].facts.push_back("the customer key (the first output column)");
    for (size_t i = 0; i < d.type.enum_values.size(); ++i) {
      const auto& v = d.type.enum_values[i];
      const uint32_t e =
          declared(SymbolKind::EnumValue, v.text, v.span, v.span, {}, static_cast<int>(id));
      ix_.symbols_[e].code.clear();
      ix_.symbols_[e].facts.push_back(fmt::format("value {} of {} of the enum field `{}`", i + 1,
                                                  d.type.enum_values.size(), d.name));
    }
  }
  void declare_decl(const ast::ParamDecl& d, const ast::TopDecl&) {
    const uint32_t id = declared(SymbolKind::Parameter, d.name, d.name_span, d.span, d.doc);
    if (d.value != ast::kNoExpr)
      ix_.symbols_[id].facts.push_back(fmt::format("value: {} (override with `--param {}=VALUE`)",
                                                   text(in_->ast->expr(d.value).span), d.name));
  }
  void declare_decl(const ast::LetDecl& d, const ast::TopDecl&) {
    const uint32_t id = declared(SymbolKind::Let, d.name, d.name_span, d.span, d.doc);
    ix_.symbols_[id].facts.push_back("computed once per customer");
    lets_[id] = {in_, d.value};
  }
  // Top-level channels, fallbacks, caps and guarantees: their conditions are walked like any
  // rule's.
  void declare_decl(const ast::ChannelDecl&, const ast::TopDecl&) {}
  void declare_decl(const ast::FallbackDecl&, const ast::TopDecl&) {}
  void declare_decl(const ast::CapDecl& d, const ast::TopDecl&) { declare_cap(d, -1, ""); }
  void declare_decl(const ast::LocalTimeDecl&, const ast::TopDecl&) {}
  void declare_decl(const ast::OwnerDecl&, const ast::TopDecl&) {}
  void declare_decl(const ast::GuaranteeDecl& d, const ast::TopDecl&) {
    const uint32_t id = declared(SymbolKind::Guarantee, d.name, d.name_span, d.span, d.doc);
    ix_.symbols_[id].facts.push_back(fmt::format(
        "a promise: `{}` is {} true, for every customer and as-of date; proven by the solver "
        "when the file is checked (refuted: an error with an example customer; undecided: a "
        "warning)",
        text(in_->ast->expr(d.cond).span), d.always ? "always" : "never"));
  }
  // A cap (top level: `sequence` empty, every sequence with its channels; in a sequence: that
  // one's).
  void declare_cap(const ast::CapDecl& d, int parent, const std::string& sequence) {
    const uint32_t id = declared(SymbolKind::Cap, d.name, d.name_span, d.span, d.doc, parent);
    const std::string where = sequence.empty() ? std::string("across sequences")
                                               : fmt::format("in sequence `{}`", sequence);
    ix_.symbols_[id].facts.push_back(
        d.limit.empty()
            ? fmt::format("a cap {}: a customer with a touch due is `capped` when {} (fails "
                          "closed: also when it cannot be decided)",
                          where, d.cond == ast::kNoExpr ? "" : text(in_->ast->expr(d.cond).span))
            : fmt::format("a cap {}: at most {} message(s) per customer per run; an earlier "
                          "sequence's touch counts first, later ones are `capped`",
                          where, d.limit));
  }
  // A score reads like a let in expressions (a number per customer).
  void declare_decl(const ast::ScoreDecl& d, const ast::TopDecl&) {
    const uint32_t id = declared(SymbolKind::Let, d.name, d.name_span, d.span, d.doc);
    ix_.symbols_[id].facts.push_back(fmt::format(
        "a score: the sum of the points of its {} lines whose condition is true", d.lines.size()));
  }
  void declare_decl(const ast::SegmentDecl& d, const ast::TopDecl&) {
    const uint32_t id = declared(SymbolKind::Segment, d.name, d.name_span, d.span, d.doc);
    std::vector<std::string> names;
    for (const auto& l : d.labels) names.push_back(l.name);
    ix_.symbols_[id].facts.push_back(
        fmt::format("labels: {} (the first that matches wins)", fmt::join(names, ", ")));
    const size_t n = d.labels.size();
    for (size_t i = 0; i < n; ++i) {
      const auto& l = d.labels[i];
      const uint32_t lid =
          declared(SymbolKind::Label, l.name, l.name_span, l.span, l.doc, static_cast<int>(id));
      ix_.symbols_[lid].facts.push_back(
          l.otherwise
              ? fmt::format("label {} of {} of segment `{}`: every customer no label above matches",
                            i + 1, n, d.name)
              : fmt::format("label {} of {} of segment `{}`: when {}", i + 1, n, d.name,
                            l.cond == ast::kNoExpr ? "" : text(in_->ast->expr(l.cond).span)));
    }
  }
  void declare_decl(const ast::CandidateDecl& d, const ast::TopDecl&) {
    if (candidate_ >= 0) return;  // declared twice: an error the checker reports
    ast::Span kw = d.span;
    kw.len = std::min<uint32_t>(kw.len, 9);  // `candidate`
    const uint32_t id = declared(SymbolKind::Candidate, "candidate", kw, d.span, d.doc);
    ix_.symbols_[id].facts.push_back(
        "who is worth contacting; stops and sequences apply to candidates");
    candidate_ = static_cast<int>(id);
  }
  void declare_decl(const ast::RuleDecl& d, const ast::TopDecl& top) {
    const bool stop = top.rule_kind == ast::RuleKind::Stop;
    const uint32_t id =
        declared(stop ? SymbolKind::Stop : SymbolKind::Review, d.name, d.name_span, d.span, d.doc);
    Symbol& s = ix_.symbols_[id];
    if (!d.reason.empty()) s.facts.push_back(fmt::format("reason: \"{}\"", d.reason));
    s.facts.push_back(stop ? "fails closed: fires unless its condition is false; the first stop "
                             "that fires is `stopped_by`"
                           : "fails closed: fires unless its condition is false; applies to "
                             "customers with a touch due");
  }
  void declare_decl(const ast::SequenceDecl& d, const ast::TopDecl&) {
    const uint32_t id = declared(SymbolKind::Sequence, d.name, d.name_span, d.span, d.doc, -1, 24);
    const int p = static_cast<int>(id);
    std::vector<std::string> touches;
    for (const auto& t : d.touches) touches.push_back(t.name);
    std::vector<std::string> channels;
    for (const auto& c : d.channels) channels.push_back(c.name);
    ix_.symbols_[id].facts.push_back(fmt::format("touches: {}", fmt::join(touches, ", ")));
    ix_.symbols_[id].facts.push_back(fmt::format("channels: {}", fmt::join(channels, ", ")));
    for (const auto& b : kStatusesBefore) builtin(SymbolKind::Status, b.name, b.meaning, p);
    for (const auto& x : d.exits) {
      const uint32_t e = declared(SymbolKind::Exit, x.name, x.name_span, x.span, {}, p);
      ix_.symbols_[e].facts.push_back(fmt::format(
          "status `{}` of sequence `{}`: the customer leaves the sequence", x.name, d.name));
    }
    for (const auto& b : kStatusesAfter) builtin(SymbolKind::Status, b.name, b.meaning, p);
    for (const auto& c : d.channels) {
      const uint32_t e = declared(SymbolKind::Channel, c.name, c.name_span, c.span, {}, p);
      ix_.symbols_[e].facts.push_back(
          c.requires_ == ast::kNoExpr
              ? fmt::format("channel of sequence `{}`, always allowed", d.name)
              : fmt::format("channel of sequence `{}`, allowed when {}", d.name,
                            text(in_->ast->expr(c.requires_).span)));
    }
    for (size_t i = 0; i < d.touches.size(); ++i) {
      const auto& t = d.touches[i];
      const uint32_t e = declared(SymbolKind::Touch, t.name, t.name_span, t.span, t.doc, p);
      ix_.symbols_[e].facts.push_back(
          fmt::format("touch {} of {} of sequence `{}`", i + 1, d.touches.size(), d.name));
    }
    for (const auto& c : d.caps) declare_cap(c, p, d.name);
    for (const auto& m : kMembers) builtin(SymbolKind::Member, m.name, m.meaning, p);
    for (uint32_t c : ix_.symbols_[id].children)
      if (ix_.symbols_[c].kind == SymbolKind::Status)
        ix_.symbols_[c].facts.front() = fmt::format("built-in status of sequence `{}`: {}", d.name,
                                                    ix_.symbols_[c].facts.front());
      else if (ix_.symbols_[c].kind == SymbolKind::Member)
        ix_.symbols_[c].facts.front() =
            fmt::format("`{}.{}`: {}", d.name, ix_.symbols_[c].name, ix_.symbols_[c].facts.front());
  }

  // ---- uses ----------------------------------------------------------------------------------
  void resolve_decl(const ast::ImportDecl& d) {
    auto it = in_->imports.find(d.path);
    if (it == in_->imports.end()) return;
    auto f = files_.find(it->second);
    if (f == files_.end()) {
      Symbol s;
      s.kind = SymbolKind::File;
      s.name = it->second < file_names_.size() ? file_names_[it->second] : d.path;
      s.name_loc = Loc{it->second, 0, 0};
      s.decl_loc = Loc{it->second, 0, 0};
      f = files_.emplace(it->second, add(std::move(s))).first;
    }
    ref(d.span, f->second);
  }
  void resolve_decl(const ast::FieldDecl&) {}
  void resolve_decl(const ast::ParamDecl& d) { walk(d.value, nullptr); }
  void resolve_decl(const ast::LetDecl& d) { walk(d.value, nullptr); }
  void resolve_decl(const ast::SegmentDecl& d) {
    for (const auto& l : d.labels) walk(l.cond, nullptr);
  }
  void resolve_decl(const ast::ChannelDecl& d) {
    if (d.requires_ != ast::kNoExpr) walk(d.requires_, nullptr);
  }
  void resolve_decl(const ast::FallbackDecl&) {}
  void resolve_decl(const ast::LocalTimeDecl& d) { name_ref(d.field, d.field_span); }
  void resolve_decl(const ast::OwnerDecl& d) {
    if (!d.field.empty()) name_ref(d.field, d.field_span);
  }
  void resolve_decl(const ast::CapDecl& d) {
    if (d.cond != ast::kNoExpr) walk(d.cond, nullptr);
  }
  void resolve_decl(const ast::GuaranteeDecl& d) { walk(d.cond, nullptr); }
  void resolve_decl(const ast::ScoreDecl& d) {
    for (const auto& l : d.lines) walk(l.cond, nullptr);
  }
  void resolve_decl(const ast::CandidateDecl& d) { walk(d.cond, nullptr); }
  void resolve_decl(const ast::RuleDecl& d) { walk(d.cond, nullptr); }
  void resolve_decl(const ast::SequenceDecl& d) {
    const auto seq = ix_.top_.find(d.name);
    const std::vector<uint32_t> channels = seq == ix_.top_.end()
                                               ? std::vector<uint32_t>{}
                                               : children_of(seq->second, SymbolKind::Channel);
    walk(d.enter, nullptr);
    if (d.progress_touch) name_ref(d.progress_touch->first, d.progress_touch->second);
    if (d.progress_date) name_ref(d.progress_date->first, d.progress_date->second);
    walk(d.wait, nullptr);
    walk(d.holdout_share, nullptr);
    for (const auto& x : d.exits) walk(x.cond, nullptr);
    for (const auto& c : d.channels) walk(c.requires_, nullptr);
    for (const auto& fb : d.fallbacks) {
      value_ref(fb.from, fb.from_span, channels);
      value_ref(fb.to, fb.to_span, channels);
    }
    for (const auto& t : d.touches) {
      walk(t.channel, &channels);
      walk(t.offer, nullptr);
      walk(t.only_when, nullptr);
    }
  }

  std::vector<uint32_t> children_of(uint32_t parent, SymbolKind kind) const {
    std::vector<uint32_t> out;
    for (uint32_t c : ix_.symbols_[parent].children)
      if (ix_.symbols_[c].kind == kind) out.push_back(c);
    return out;
  }

  void name_ref(const std::string& name, const ast::Span& span) {
    if (auto s = ix_.lookup(name)) ref(span, *s);
  }
  bool value_ref(const std::string& name, const ast::Span& span,
                 const std::vector<uint32_t>& values) {
    for (uint32_t v : values)
      if (ix_.symbols_[v].name == name) {
        ref(span, v);
        return true;
      }
    return false;
  }

  // What `id` (an expression of the current file) is compared with: see Index::values_of.
  std::vector<uint32_t> value_set(const IndexInput& in, ast::ExprId id, int depth) {
    if (id == ast::kNoExpr || depth > 64) return {};
    const ast::Expr& e = in.ast->expr(id);
    if (const auto* n = std::get_if<ast::Name>(&e.kind)) {
      const auto s = ix_.lookup(n->name);
      if (!s) return {};
      if (ix_.symbols_[*s].kind == SymbolKind::Let) return let_value_set(*s, depth + 1);
      return ix_.values_of(n->name);
    }
    if (const auto* m = std::get_if<ast::Member>(&e.kind)) {
      if (const auto* o = std::get_if<ast::Name>(&in.ast->expr(m->object).kind))
        return ix_.values_of(o->name, m->member);
      return {};
    }
    if (const auto* i = std::get_if<ast::IfExpr>(&e.kind)) {
      auto a = value_set(in, i->then_, depth + 1);
      return a.empty() ? value_set(in, i->else_, depth + 1) : a;
    }
    return {};
  }
  std::vector<uint32_t> let_value_set(uint32_t let, int depth) {
    if (auto it = ix_.let_values_.find(let); it != ix_.let_values_.end()) return it->second;
    auto it = lets_.find(let);
    if (it == lets_.end() || !active_lets_.insert(let).second) return {};
    auto v = value_set(*it->second.first, it->second.second, depth);
    active_lets_.erase(let);
    ix_.let_values_[let] = v;
    return v;
  }

  // Records the references in expression `id`; a bare word is first looked up in `expected` (the
  // values of what it is compared with).
  void walk(ast::ExprId id, const std::vector<uint32_t>* expected, int depth = 0) {
    if (id == ast::kNoExpr || depth > kMaxDepth) return;
    const ast::Expr& e = in_->ast->expr(id);
    std::visit([&](const auto& k) { walk_kind(k, e.span, expected, depth + 1); }, e.kind);
  }
  using Expected = const std::vector<uint32_t>*;
  void walk_kind(const ast::NumberLit&, const ast::Span&, Expected, int) {}
  void walk_kind(const ast::BoolLit&, const ast::Span&, Expected, int) {}
  void walk_kind(const ast::StringLit&, const ast::Span&, Expected, int) {}
  void walk_kind(const ast::DateLit&, const ast::Span&, Expected, int) {}
  void walk_kind(const ast::Today&, const ast::Span&, Expected, int) {}
  void walk_kind(const ast::Name& n, const ast::Span& span, Expected expected, int) {
    if (expected && value_ref(n.name, span, *expected)) return;
    name_ref(n.name, span);
  }
  void walk_kind(const ast::Member& m, const ast::Span&, Expected, int depth) {
    const ast::Expr& obj = in_->ast->expr(m.object);
    const auto* n = std::get_if<ast::Name>(&obj.kind);
    const auto s = n ? ix_.lookup(n->name) : std::nullopt;
    if (!s || ix_.symbols_[*s].kind != SymbolKind::Sequence) {
      walk(m.object, nullptr, depth);
      return;
    }
    ref(obj.span, *s);
    value_ref(m.member, m.member_span, children_of(*s, SymbolKind::Member));
  }
  void walk_kind(const ast::Unary& u, const ast::Span&, Expected, int depth) {
    walk(u.operand, nullptr, depth);
  }
  void walk_kind(const ast::Binary& b, const ast::Span&, Expected, int depth) {
    walk(b.lhs, nullptr, depth);
    const bool compares = b.op != ast::BinOp::And && b.op != ast::BinOp::Or &&
                          b.op != ast::BinOp::Add && b.op != ast::BinOp::Sub &&
                          b.op != ast::BinOp::Mul && b.op != ast::BinOp::Div;
    if (compares) {
      const auto values = value_set(*in_, b.lhs, 0);
      walk(b.rhs, &values, depth);
    } else {
      walk(b.rhs, nullptr, depth);
    }
  }
  void walk_kind(const ast::Is& is, const ast::Span&, Expected, int depth) {
    walk(is.subject, nullptr, depth);
    const auto values = value_set(*in_, is.subject, 0);
    walk(is.value, &values, depth);
    for (const auto& item : is.items) value_ref(item.text, item.span, values);
  }
  void walk_kind(const ast::InSet& in, const ast::Span&, Expected, int depth) {
    walk(in.subject, nullptr, depth);
    const auto values = value_set(*in_, in.subject, 0);
    for (const auto& item : in.items) value_ref(item.text, item.span, values);
  }
  void walk_kind(const ast::InRange& in, const ast::Span&, Expected, int depth) {
    walk(in.subject, nullptr, depth);
    walk(in.lo, nullptr, depth);
    walk(in.hi, nullptr, depth);
  }
  void walk_kind(const ast::Has& h, const ast::Span&, Expected, int depth) {
    walk(h.subject, nullptr, depth);  // the items are strings of a list: no symbols
  }
  void walk_kind(const ast::DaysSince& d, const ast::Span&, Expected, int depth) {
    walk(d.date, nullptr, depth);
  }
  void walk_kind(const ast::IfExpr& i, const ast::Span&, Expected expected, int depth) {
    walk(i.cond, nullptr, depth);
    walk(i.then_, expected, depth);
    walk(i.else_, expected, depth);
  }
  void walk_kind(const ast::OfferLit& o, const ast::Span&, Expected, int depth) {
    walk(o.amount, nullptr, depth);
  }

  Index& ix_;
  const std::vector<std::string>& file_names_;
  const IndexInput* in_ = nullptr;
  int candidate_ = -1;
  std::map<uint32_t, std::pair<const IndexInput*, ast::ExprId>> lets_;
  std::set<uint32_t> active_lets_;
  std::map<uint32_t, uint32_t> files_;  // analysis file -> its File symbol
};

Index Index::build(const std::vector<IndexInput>& inputs,
                   const std::vector<std::string>& file_names) {
  Index ix;
  IndexBuilder b(ix, file_names);
  for (const auto& in : inputs)
    if (in.ast) b.declare(in);
  b.publish_names();
  for (const auto& in : inputs)
    if (in.ast) b.resolve(in);
  b.finish_lets();
  ix.finish();
  return ix;
}

uint32_t Index::add(Symbol s) {
  symbols_.push_back(std::move(s));
  const auto id = static_cast<uint32_t>(symbols_.size() - 1);
  if (symbols_[id].name_loc) refs_.push_back({*symbols_[id].name_loc, id, true});
  return id;
}

void Index::finish() {
  std::stable_sort(refs_.begin(), refs_.end(), [](const Reference& a, const Reference& b) {
    return std::tie(a.loc.file, a.loc.offset) < std::tie(b.loc.file, b.loc.offset);
  });
}

const Reference* Index::reference_at(uint32_t file, uint32_t offset) const {
  // The last reference starting at or before offset (references do not overlap).
  auto it =
      std::upper_bound(refs_.begin(), refs_.end(), std::make_pair(file, offset),
                       [](const std::pair<uint32_t, uint32_t>& k, const Reference& r) {
                         return std::tie(k.first, k.second) < std::tie(r.loc.file, r.loc.offset);
                       });
  if (it == refs_.begin()) return nullptr;
  --it;
  if (it->loc.file != file || offset > it->loc.offset + it->loc.len) return nullptr;
  // Two references may touch (`a.b`): prefer the one that starts at the offset.
  return &*it;
}

std::optional<uint32_t> Index::lookup(std::string_view name) const {
  auto it = top_.find(name);
  if (it == top_.end()) return std::nullopt;
  return it->second;
}

std::vector<uint32_t> Index::names_in_scope() const {
  std::vector<uint32_t> out;
  for (const auto& [name, id] : top_) out.push_back(id);
  return out;
}

std::vector<uint32_t> Index::values_of(std::string_view subject, std::string_view member) const {
  const auto s = lookup(subject);
  if (!s) return {};
  const Symbol& sym = symbols_[*s];
  std::vector<uint32_t> out;
  auto take = [&](std::initializer_list<SymbolKind> kinds) {
    for (uint32_t c : sym.children)
      for (SymbolKind k : kinds)
        if (symbols_[c].kind == k) out.push_back(c);
  };
  if (!member.empty()) {
    if (sym.kind != SymbolKind::Sequence) return {};
    if (member == "status") take({SymbolKind::Status, SymbolKind::Exit});
    if (member == "step") take({SymbolKind::Touch});
    if (member == "channel") take({SymbolKind::Channel});
    return out;
  }
  switch (sym.kind) {
    case SymbolKind::Field:
      take({SymbolKind::EnumValue});
      break;
    case SymbolKind::Segment:
      take({SymbolKind::Label});
      break;
    case SymbolKind::Let:
      if (auto it = let_values_.find(*s); it != let_values_.end()) out = it->second;
      break;
    case SymbolKind::File:
    case SymbolKind::EnumValue:
    case SymbolKind::Parameter:
    case SymbolKind::Label:
    case SymbolKind::Candidate:
    case SymbolKind::Stop:
    case SymbolKind::Review:
    case SymbolKind::Sequence:
    case SymbolKind::Exit:
    case SymbolKind::Channel:
    case SymbolKind::Touch:
    case SymbolKind::Status:
    case SymbolKind::Member:
    case SymbolKind::Builtin:
    case SymbolKind::Test:
    case SymbolKind::Cap:
    case SymbolKind::Guarantee:
      break;
  }
  return out;
}

std::vector<uint32_t> Index::of_kind(SymbolKind kind) const {
  std::vector<uint32_t> out;
  for (uint32_t i = 0; i < symbols_.size(); ++i)
    if (symbols_[i].kind == kind) out.push_back(i);
  return out;
}

std::vector<uint32_t> Index::roots(uint32_t file) const {
  std::vector<uint32_t> out;
  for (uint32_t i = 0; i < symbols_.size(); ++i) {
    const Symbol& s = symbols_[i];
    if (s.parent < 0 && s.kind != SymbolKind::File && s.decl_loc && s.decl_loc->file == file)
      out.push_back(i);
  }
  std::stable_sort(out.begin(), out.end(), [&](uint32_t a, uint32_t b) {
    return symbols_[a].decl_loc->offset < symbols_[b].decl_loc->offset;
  });
  return out;
}

}  // namespace rk::lsp
