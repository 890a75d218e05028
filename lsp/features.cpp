// Rekindle language server: diagnostics, hover, navigation, outline, semantic tokens, quick fixes
// and formatting over an analysis's symbol index (see features.h).
#include "lsp/features.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>
#include <string_view>

#include "grammar/doc_links.h"
#include "lsp/uri.h"

namespace rk::lsp {

View::View(const Analysis& a, Encoding enc, const std::string& doc_uri) : a_(a), enc_(enc) {
  uris_.reserve(a.files.size());
  lines_.reserve(a.files.size());
  for (size_t i = 0; i < a.files.size(); ++i) {
    uris_.push_back(i == 0 ? doc_uri : uri_from_path(a.files[i].path));
    lines_.emplace_back(a.files[i].text);
  }
}

json View::range(const Loc& l) const {
  const Range r = lines_[l.file].range(l.offset, l.len, enc_);
  return {{"start", {{"line", r.start.line}, {"character", r.start.character}}},
          {"end", {{"line", r.end.line}, {"character", r.end.character}}}};
}

json View::location(const Loc& l) const {
  return {{"uri", uris_[l.file]}, {"range", range(l)}};
}

Position position_from_json(const json& j) {
  const auto line = j.at("line").get<int64_t>();
  const auto character = j.at("character").get<int64_t>();
  if (line < 0 || character < 0 || line > UINT32_MAX || character > UINT32_MAX)
    throw json::other_error::create(501, "a position must be two non-negative integers", &j);
  return {static_cast<uint32_t>(line), static_cast<uint32_t>(character)};
}

// ---- diagnostics ------------------------------------------------------------------------------

json diagnostic_json(const View& v, const Problem& p, const std::string& docs_base) {
  json d;
  d["range"] = v.range(p.loc);
  d["severity"] = p.severity == Severity::Error ? 1 : p.severity == Severity::Warning ? 2 : 3;
  d["source"] = "rekindle";
  if (!p.code.empty()) {
    d["code"] = p.code;
    if (const std::string href = docs_link(docs_base, p.code); !href.empty())
      d["codeDescription"] = {{"href", href}};
  }
  d["message"] = p.message;
  // Unused parameters, lets and fields: shown faded.
  if (p.code == "RK0613" || p.code == "RK0614" || p.code == "RK0615") d["tags"] = {1};
  if (!p.related.empty()) {
    json rel = json::array();
    for (const auto& r : p.related)
      rel.push_back({{"location", v.location(r.loc)}, {"message", r.message}});
    d["relatedInformation"] = rel;
  }
  return d;
}

json diagnostics_json(const View& v, const std::vector<Problem>& problems,
                      const std::string& docs_base) {
  json out = json::array();
  for (const auto& p : problems) out.push_back(diagnostic_json(v, p, docs_base));
  return out;
}

// ---- hover ------------------------------------------------------------------------------------

namespace {

const Reference* at(const View& v, Position p) {
  return v.analysis().index.reference_at(0, v.offset(p));
}

std::string_view fence_language(const Symbol& s) {
  const bool schema = s.kind == SymbolKind::Field || s.kind == SymbolKind::EnumValue;
  return schema ? "rekindle-schema" : "rekindle-rules";
}

}  // namespace

json hover(const View& v, Position p) {
  const Reference* r = at(v, p);
  if (!r) return nullptr;
  const Index& ix = v.analysis().index;
  const Symbol& s = ix.symbol(r->symbol);
  std::string md = fmt::format("**{}** `{}`", symbol_kind_name(s.kind), s.name);
  if (s.parent >= 0) {
    const Symbol& parent = ix.symbol(static_cast<uint32_t>(s.parent));
    md += fmt::format(" of {} `{}`", symbol_kind_name(parent.kind), parent.name);
  }
  if (s.kind == SymbolKind::File) md = fmt::format("**file** `{}`", s.name);
  if (!s.code.empty()) md += fmt::format("\n\n```{}\n{}\n```", fence_language(s), s.code);
  if (!s.doc.empty()) md += "\n\n" + s.doc;
  if (!s.facts.empty()) {
    md += "\n";
    for (const auto& f : s.facts) md += "\n- " + f;
  }
  return {{"contents", {{"kind", "markdown"}, {"value", md}}}, {"range", v.range(r->loc)}};
}

// ---- definition and references ----------------------------------------------------------------

namespace {

// Where a symbol is declared; a built-in status or member: its sequence.
std::optional<Loc> target(const Index& ix, uint32_t id) {
  const Symbol& s = ix.symbol(id);
  if (s.name_loc) return s.name_loc;
  if (s.parent >= 0) return ix.symbol(static_cast<uint32_t>(s.parent)).name_loc;
  return std::nullopt;
}

// What identifies a symbol across analyses: its declaring file and place (or, for a built-in, its
// owner's identity and its name).
std::string identity(const Analysis& a, uint32_t id) {
  const Symbol& s = a.index.symbol(id);
  if (s.name_loc)
    return fmt::format("{}:{}:{}", a.files[s.name_loc->file].path, s.name_loc->offset,
                       static_cast<int>(s.kind));
  if (s.parent >= 0) return identity(a, static_cast<uint32_t>(s.parent)) + "/" + s.name;
  return "builtin:" + s.name;
}

}  // namespace

json definition(const View& v, Position p) {
  const Reference* r = at(v, p);
  if (!r) return nullptr;
  const auto t = target(v.analysis().index, r->symbol);
  if (!t) return nullptr;
  return v.location(*t);
}

json references(const View& v, Position p, const std::vector<const View*>& all,
                bool include_declaration) {
  const Reference* r = at(v, p);
  if (!r) return nullptr;
  const std::string key = identity(v.analysis(), r->symbol);
  json out = json::array();
  std::set<std::tuple<std::string, uint32_t, uint32_t>> seen;  // path, offset, len
  for (const View* w : all) {
    const Analysis& a = w->analysis();
    std::map<uint32_t, bool> match;
    for (const auto& ref : a.index.references()) {
      if (ref.declaration && !include_declaration) continue;
      auto it = match.find(ref.symbol);
      if (it == match.end()) it = match.emplace(ref.symbol, identity(a, ref.symbol) == key).first;
      if (!it->second) continue;
      if (!seen.emplace(a.files[ref.loc.file].path, ref.loc.offset, ref.loc.len).second) continue;
      out.push_back(w->location(ref.loc));
    }
  }
  return out;
}

// ---- document symbols -------------------------------------------------------------------------

namespace {

int lsp_symbol_kind(SymbolKind k) {
  switch (k) {
    case SymbolKind::File:
      return 1;  // File
    case SymbolKind::Field:
      return 8;  // Field
    case SymbolKind::EnumValue:
    case SymbolKind::Label:
    case SymbolKind::Status:
      return 22;  // EnumMember
    case SymbolKind::Parameter:
      return 14;  // Constant
    case SymbolKind::Let:
      return 13;  // Variable
    case SymbolKind::Segment:
      return 10;  // Enum
    case SymbolKind::Candidate:
    case SymbolKind::Stop:
    case SymbolKind::Review:
    case SymbolKind::Test:
      return 12;  // Function
    case SymbolKind::Sequence:
      return 3;  // Namespace
    case SymbolKind::Exit:
    case SymbolKind::Touch:
      return 24;  // Event
    case SymbolKind::Channel:
      return 11;  // Interface
    case SymbolKind::Member:
    case SymbolKind::Builtin:
      return 7;  // Property
    case SymbolKind::Cap:
      return 19;  // Object
    case SymbolKind::Guarantee:
      return 14;  // Constant
  }
  return 13;
}

json symbol_json(const View& v, uint32_t id, int depth) {
  const Index& ix = v.analysis().index;
  const Symbol& s = ix.symbol(id);
  Loc range = *s.decl_loc;
  Loc selection =
      s.name_loc && s.name_loc->file == range.file ? *s.name_loc : Loc{range.file, range.offset, 0};
  // The selection must lie inside the range.
  if (selection.offset < range.offset ||
      selection.offset + selection.len > range.offset + range.len)
    selection = Loc{range.file, range.offset, 0};
  json j = {{"name", s.name.empty() ? std::string("?") : s.name},
            {"detail", std::string(symbol_kind_name(s.kind))},
            {"kind", lsp_symbol_kind(s.kind)},
            {"range", v.range(range)},
            {"selectionRange", v.range(selection)}};
  json children = json::array();
  if (depth < 4)
    for (uint32_t c : s.children)
      if (ix.symbol(c).decl_loc && ix.symbol(c).decl_loc->file == range.file)
        children.push_back(symbol_json(v, c, depth + 1));
  if (!children.empty()) j["children"] = children;
  return j;
}

}  // namespace

json document_symbols(const View& v) {
  json out = json::array();
  for (uint32_t id : v.analysis().index.roots(0)) out.push_back(symbol_json(v, id, 0));
  return out;
}

// ---- semantic tokens --------------------------------------------------------------------------

const std::vector<std::string>& semantic_token_types() {
  static const std::vector<std::string> kTypes = {
      "namespace", "enum", "enumMember", "parameter", "variable", "property", "function", "event"};
  return kTypes;
}
const std::vector<std::string>& semantic_token_modifiers() {
  static const std::vector<std::string> kModifiers = {"declaration", "readonly", "defaultLibrary"};
  return kModifiers;
}

namespace {

enum TokenType : int {
  kNamespace,
  kEnum,
  kEnumMember,
  kParameter,
  kVariable,
  kProperty,
  kFunction,
  kEvent
};
constexpr int kDeclaration = 1;
constexpr int kReadonly = 2;
constexpr int kDefaultLibrary = 4;

// The token type of a symbol's names, or -1 for none (keywords and strings keep their grammar
// colours).
int token_type(SymbolKind k, int& modifiers) {
  switch (k) {
    case SymbolKind::Field:
      return kProperty;
    case SymbolKind::EnumValue:
    case SymbolKind::Label:
    case SymbolKind::Exit:
    case SymbolKind::Channel:
      return kEnumMember;
    case SymbolKind::Status:
      modifiers |= kDefaultLibrary;
      return kEnumMember;
    case SymbolKind::Parameter:
      modifiers |= kReadonly;
      return kParameter;
    case SymbolKind::Let:
      return kVariable;
    case SymbolKind::Segment:
      return kEnum;
    case SymbolKind::Stop:
    case SymbolKind::Review:
      return kFunction;
    case SymbolKind::Sequence:
      return kNamespace;
    case SymbolKind::Touch:
      return kEvent;
    case SymbolKind::Member:
      modifiers |= kDefaultLibrary;
      return kProperty;
    case SymbolKind::File:
    case SymbolKind::Candidate:
    case SymbolKind::Builtin:
    case SymbolKind::Test:
    case SymbolKind::Cap:
    case SymbolKind::Guarantee:
      return -1;
  }
  return -1;
}

}  // namespace

json semantic_tokens(const View& v) {
  const Index& ix = v.analysis().index;
  std::vector<uint32_t> data;
  uint32_t prev_line = 0;
  uint32_t prev_char = 0;
  for (const auto& r : ix.references()) {
    if (r.loc.file != 0 || r.loc.len == 0) continue;
    int modifiers = r.declaration ? kDeclaration : 0;
    const int type = token_type(ix.symbol(r.symbol).kind, modifiers);
    if (type < 0) continue;
    const Range range = v.lines(0).range(r.loc.offset, r.loc.len, v.encoding());
    if (range.start.line != range.end.line) continue;  // a token is on one line
    const uint32_t line = range.start.line;
    const uint32_t ch = range.start.character;
    if (!data.empty() && (line < prev_line || (line == prev_line && ch < prev_char))) continue;
    data.push_back(line - prev_line);
    data.push_back(line == prev_line ? ch - prev_char : ch);
    data.push_back(range.end.character - ch);
    data.push_back(static_cast<uint32_t>(type));
    data.push_back(static_cast<uint32_t>(modifiers));
    prev_line = line;
    prev_char = ch;
  }
  return {{"data", data}};
}

// ---- quick fixes ------------------------------------------------------------------------------

json code_actions(const View& v, const Range& range, const std::vector<Problem>& problems,
                  const std::string& docs_base) {
  json out = json::array();
  const uint32_t a = v.lines(0).offset(range.start, v.encoding());
  const uint32_t b = v.lines(0).offset(range.end, v.encoding());
  for (const auto& p : problems) {
    if (p.fixes.empty() || p.loc.file != 0) continue;
    if (p.loc.offset > b || a > p.loc.offset + p.loc.len) continue;
    for (const auto& fix : p.fixes) {
      json changes = json::object();
      for (const auto& e : fix.edits)
        changes[v.uri(e.loc.file)].push_back({{"range", v.range(e.loc)}, {"newText", e.text}});
      out.push_back({{"title", fix.title},
                     {"kind", "quickfix"},
                     {"diagnostics", json::array({diagnostic_json(v, p, docs_base)})},
                     {"isPreferred", p.fixes.size() == 1},
                     {"edit", {{"changes", changes}}}});
    }
  }
  return out;
}

// ---- formatting -------------------------------------------------------------------------------

std::optional<json> formatting(const View& v, std::string& error) {
  const SourceText& doc = v.analysis().files[0];
  auto formatted = format_document(doc.path, doc.text, error);
  if (!formatted) return std::nullopt;
  // One edit over the part that changed, so the editor keeps the cursor and folds elsewhere.
  const std::string& old = doc.text;
  const std::string& now = *formatted;
  const OffsetMap m = OffsetMap::between(old, now);
  json edits = json::array();
  if (m.begin == m.old_end && m.begin == m.new_end && old.size() == now.size()) return edits;
  edits.push_back({{"range", v.range(Loc{0, m.begin, m.old_end - m.begin})},
                   {"newText", now.substr(m.begin, m.new_end - m.begin)}});
  return edits;
}

}  // namespace rk::lsp
