// Rekindle language server: completion from the tokens before the cursor (see completion.h).
#include "lsp/completion.h"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <set>

#include "grammar/names.h"

namespace rk::lsp {
namespace {

struct Tok {
  enum Kind : uint8_t { Word, Number, String, Punct } kind;
  std::string_view text;
  uint32_t line;
};

bool ident_start(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
bool ident_char(char c) {
  return ident_start(c) || (c >= '0' && c <= '9');
}

struct Scan {
  std::vector<Tok> toks;
  bool in_comment = false;
  bool in_string = false;
  std::string_view prefix;  // the word (or the string's text) the cursor is in
  uint32_t line = 0;        // the cursor's line
};

// The tokens of text[0, end).
Scan scan(std::string_view text, uint32_t end) {
  Scan s;
  end = std::min<uint32_t>(end, static_cast<uint32_t>(text.size()));
  uint32_t line = 0;
  uint32_t i = 0;
  while (i < end) {
    const char c = text[i];
    if (c == '\n') {
      ++line, ++i;
      continue;
    }
    if (c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v') {
      ++i;
      continue;
    }
    if (c == '#') {
      const size_t nl = text.find('\n', i);
      if (nl == std::string_view::npos || nl >= end) {
        s.in_comment = true;
        break;
      }
      i = static_cast<uint32_t>(nl);
      continue;
    }
    if (c == '"') {
      uint32_t j = i + 1;
      while (j < text.size() && text[j] != '"' && text[j] != '\n') j += text[j] == '\\' ? 2 : 1;
      if (j >= end) {  // the cursor is inside the string
        s.in_string = true;
        s.prefix = text.substr(i + 1, end - i - 1);
        break;
      }
      s.toks.push_back({Tok::String, text.substr(i, j + 1 - i), line});
      i = text[j] == '"' ? j + 1 : j;
      continue;
    }
    if (ident_start(c)) {
      uint32_t j = i;
      while (j < text.size() && ident_char(text[j])) ++j;
      if (j >= end) {  // the word being typed
        s.prefix = text.substr(i, end - i);
        break;
      }
      s.toks.push_back({Tok::Word, text.substr(i, j - i), line});
      i = j;
      continue;
    }
    if ((c >= '0' && c <= '9') || c == '$') {
      uint32_t j = i + 1;
      while (j < end && ((text[j] >= '0' && text[j] <= '9') || text[j] == '.' || text[j] == '%' ||
                         text[j] == '_'))
        ++j;
      s.toks.push_back({Tok::Number, text.substr(i, j - i), line});
      i = j;
      continue;
    }
    uint32_t n = 1;
    if (i + 1 < end && (c == '<' || c == '>' || c == '!') && text[i + 1] == '=') n = 2;
    s.toks.push_back({Tok::Punct, text.substr(i, n), line});
    i += n;
  }
  s.line = line;
  return s;
}

bool is(const Tok& t, std::string_view w) {
  return t.text == w;
}

// Words that end an operand (the next thing is an operator or a new line).
bool ends_operand(const Tok& t) {
  if (t.kind == Tok::Number || t.kind == Tok::String) return true;
  if (t.kind == Tok::Punct) return is(t, ")") || is(t, "}");
  for (std::string_view w : {"missing", "present", "true", "false", "today", "none", "early_access",
                             "candidate", "stopped", "reviewed", "days", "day", "weeks", "week"})
    if (t.text == w) return true;
  return !grammar::is_keyword(t.text);
}

struct Block {
  enum Kind : uint8_t { Segment, Sequence, Enum, Set, Other } kind;
  std::string name;
  size_t open = 0;  // index of the `{`
};

// The first token of the operator that ends right before `end` (`is not one of`, `not in`, ...).
size_t operator_start(const std::vector<Tok>& t, size_t end) {
  static const std::set<std::string_view> kOps = {"is",  "not", "one",  "of", "in", "has",
                                                  "any", "all", "none", "=",  "!="};
  size_t k = end;
  while (k > 0 && t[k - 1].kind != Tok::String && kOps.count(t[k - 1].text)) --k;
  return k;
}

// The subject before index `k` (exclusive): `NAME` or `NAME.MEMBER`.
void subject_before(const std::vector<Tok>& t, size_t k, CompletionContext& c) {
  if (k == 0 || t[k - 1].kind != Tok::Word) return;
  if (k >= 3 && is(t[k - 2], ".") && t[k - 3].kind == Tok::Word) {
    c.subject = t[k - 3].text;
    c.member = t[k - 1].text;
    return;
  }
  c.subject = t[k - 1].text;
}

}  // namespace

CompletionContext completion_context(DocKind kind, std::string_view text, uint32_t offset) {
  CompletionContext c;
  const Scan s = scan(text, offset);
  const auto& t = s.toks;
  c.prefix = std::string(s.prefix);
  if (s.in_comment) return c;
  if (s.in_string) {
    if (!t.empty() && is(t.back(), "import")) c.place = CompletionPlace::Import;
    c.in_string = true;
    return c;
  }
  const bool line_start = t.empty() || t.back().line < s.line;
  if (kind == DocKind::Schema) {
    if (!t.empty() && is(t.back(), ":"))
      c.place = CompletionPlace::SchemaType;
    else if (line_start)
      c.place = CompletionPlace::SchemaLine;
    return c;
  }
  if (kind == DocKind::Test) return c;

  std::vector<Block> blocks;
  for (size_t i = 0; i < t.size(); ++i) {
    if (is(t[i], "{")) {
      Block b{Block::Set, {}, i};
      if (i >= 2 && is(t[i - 2], "segment")) b = {Block::Segment, std::string(t[i - 1].text), i};
      if (i >= 2 && is(t[i - 2], "sequence")) b = {Block::Sequence, std::string(t[i - 1].text), i};
      if (i >= 1 && is(t[i - 1], "enum")) b.kind = Block::Enum;
      blocks.push_back(std::move(b));
    } else if (is(t[i], "}") && !blocks.empty()) {
      blocks.pop_back();
    }
  }
  for (const auto& b : blocks)
    if (b.kind == Block::Sequence) c.sequence = b.name;

  if (t.empty()) {
    c.place = CompletionPlace::Declaration;
    return c;
  }
  const Tok& last = t.back();
  const size_t n = t.size();
  auto word = [&](size_t back) -> std::string_view { return back <= n ? t[n - back].text : ""; };

  if (is(last, ".") && n >= 2 && t[n - 2].kind == Tok::Word) {
    c.place = CompletionPlace::Member;
    c.subject = t[n - 2].text;
    return c;
  }
  if (!blocks.empty() && blocks.back().kind == Block::Set && (is(last, "{") || is(last, ","))) {
    const size_t open = blocks.back().open;
    const size_t op = operator_start(t, open);
    if (op < open && (is(t[op], "has") || (op + 1 < open && is(t[op + 1], "has")))) return c;
    c.place = CompletionPlace::Value;
    subject_before(t, op, c);
    return c;
  }
  if (is(last, "is") || (is(last, "not") && word(2) == "is")) {
    c.place = CompletionPlace::Value;
    c.after_is = true;
    subject_before(t, operator_start(t, n), c);
    return c;
  }
  if (is(last, "=") || is(last, "!=")) {
    if (word(3) == "let" || word(3) == "parameter") {
      c.place = CompletionPlace::Expression;
      return c;
    }
    c.place = CompletionPlace::Value;
    subject_before(t, n - 1, c);
    return c;
  }
  if (is(last, "via") || is(last, "fallback") || (is(last, "to") && word(3) == "fallback")) {
    c.place = CompletionPlace::Channel;
    return c;
  }
  if (is(last, "then") || is(last, "else")) {
    // Inside `via (if ... then A else B)`: channels.
    for (size_t i = n; i-- > 0;) {
      if (is(t[i], "touch") || is(t[i], "offer") || is(t[i], "when")) break;
      if (is(t[i], "via")) {
        c.place = CompletionPlace::Channel;
        return c;
      }
    }
  }
  if (is(last, "progress") || (is(last, "on") && word(3) == "progress")) {
    c.place = CompletionPlace::Field;
    return c;
  }
  if (is(last, "import")) {
    c.place = CompletionPlace::Import;
    return c;
  }
  for (std::string_view w : {"segment", "let", "parameter", "stop", "review", "sequence", "touch",
                             "exit", "channel", "salt", "because", "otherwise"})
    if (is(last, w) && (w != "channel" || line_start || word(2) != "via")) return c;
  if (ends_operand(last)) {
    if (line_start) {
      if (!blocks.empty() && blocks.back().kind == Block::Segment)
        c.place = CompletionPlace::SegmentLine;
      else if (!blocks.empty() && blocks.back().kind == Block::Sequence)
        c.place = CompletionPlace::SequenceLine;
      else if (blocks.empty())
        c.place = CompletionPlace::Declaration;
      return c;
    }
    c.place = CompletionPlace::Operator;
    return c;
  }
  if (is(last, "{") && !blocks.empty()) {
    if (blocks.back().kind == Block::Segment) c.place = CompletionPlace::SegmentLine;
    if (blocks.back().kind == Block::Sequence) c.place = CompletionPlace::SequenceLine;
    return c;
  }
  if (is(last, "}") && blocks.empty() && line_start) {
    c.place = CompletionPlace::Declaration;
    return c;
  }
  static const std::set<std::string_view> kExprStart = {
      "when",  "and",   "or",   "not",   "(",     "then",  "else", "if",      "requires", "since",
      "until", "least", "most", "above", "below", "under", "wait", "holdout", "<",        ">",
      "<=",    ">=",    "+",    "-",     "*",     "/",     "to",   "in",      "offer"};
  if (kExprStart.count(last.text)) c.place = CompletionPlace::Expression;
  return c;
}

namespace {

int item_kind(SymbolKind k) {
  switch (k) {
    case SymbolKind::File:
      return 17;
    case SymbolKind::Field:
      return 5;
    case SymbolKind::EnumValue:
    case SymbolKind::Label:
    case SymbolKind::Exit:
    case SymbolKind::Status:
    case SymbolKind::Channel:
      return 20;
    case SymbolKind::Parameter:
      return 21;
    case SymbolKind::Let:
    case SymbolKind::Candidate:
    case SymbolKind::Builtin:
      return 6;
    case SymbolKind::Segment:
      return 13;
    case SymbolKind::Stop:
    case SymbolKind::Review:
    case SymbolKind::Test:
    case SymbolKind::Cap:
    case SymbolKind::Guarantee:
      return 3;
    case SymbolKind::Sequence:
      return 9;
    case SymbolKind::Touch:
      return 23;
    case SymbolKind::Member:
      return 10;
  }
  return 1;
}

class Items {
 public:
  explicit Items(const Index& ix) : ix_(ix) {}

  void symbol(uint32_t id, int group) {
    const Symbol& s = ix_.symbol(id);
    if (!names_.insert(s.name).second) return;
    std::string detail(symbol_kind_name(s.kind));
    if (s.parent >= 0) {
      const Symbol& p = ix_.symbol(static_cast<uint32_t>(s.parent));
      detail += fmt::format(" of {} {}", symbol_kind_name(p.kind), p.name);
    }
    json item = {{"label", s.name},
                 {"kind", item_kind(s.kind)},
                 {"detail", detail},
                 {"sortText", fmt::format("{}{}", group, s.name)}};
    std::string doc = s.doc;
    for (const auto& f : s.facts) doc += (doc.empty() ? "" : "\n\n") + f;
    if (!doc.empty()) item["documentation"] = {{"kind", "markdown"}, {"value", doc}};
    items_.push_back(std::move(item));
  }
  void keyword(std::string_view word, int group = 8) {
    if (!names_.insert(std::string(word)).second) return;
    items_.push_back({{"label", std::string(word)},
                      {"kind", 14},
                      {"sortText", fmt::format("{}{}", group, word)}});
  }
  void file(const std::string& name, bool quote) {
    if (!names_.insert(name).second) return;
    items_.push_back({{"label", name},
                      {"kind", 17},
                      {"insertText", quote ? "\"" + name + "\"" : name},
                      {"sortText", "1" + name}});
  }
  json list() { return {{"isIncomplete", false}, {"items", std::move(items_)}}; }

 private:
  const Index& ix_;
  std::set<std::string> names_;
  json items_ = json::array();
};

}  // namespace

json completion(const View& v, Position p) {
  const Analysis& a = v.analysis();
  const Index& ix = a.index;
  const CompletionContext c = completion_context(a.kind, a.files[0].text, v.offset(p));
  Items items(ix);
  auto children = [&](const std::string& parent, SymbolKind kind) {
    if (auto s = ix.lookup(parent))
      for (uint32_t ch : ix.symbol(*s).children)
        if (ix.symbol(ch).kind == kind) items.symbol(ch, 1);
  };
  switch (c.place) {
    case CompletionPlace::None:
      break;
    case CompletionPlace::Value: {
      const auto values = ix.values_of(c.subject, c.member);
      for (uint32_t id : values) items.symbol(id, 1);
      if (c.after_is) {
        for (std::string_view w : {"missing", "present", "not", "one of"}) items.keyword(w);
        if (values.empty()) {
          items.keyword("true");
          items.keyword("false");
        }
      }
      if (c.member == "offer")
        for (std::string_view w : grammar::kOfferWords) items.keyword(w, 1);
      break;
    }
    case CompletionPlace::Channel:
      children(c.sequence, SymbolKind::Channel);
      break;
    case CompletionPlace::Member:
      children(c.subject, SymbolKind::Member);
      break;
    case CompletionPlace::Expression:
      for (uint32_t id : ix.names_in_scope()) items.symbol(id, 1);
      for (std::string_view w : {"not", "if", "days since", "days until", "today", "true", "false"})
        items.keyword(w);
      break;
    case CompletionPlace::Operator:
      for (std::string_view w :
           {"is", "is not", "is one of", "in", "not in", "has any of", "has all of", "has none of",
            "and", "or", "at least", "at most", "above", "below"})
        items.keyword(w);
      if (!c.sequence.empty()) {
        items.keyword("offer");
        items.keyword("only when");
      } else {
        items.keyword("because");
      }
      break;
    case CompletionPlace::Declaration:
      for (std::string_view w :
           {"import", "parameter", "let", "segment", "candidate when", "stop", "review", "sequence",
            "channel", "fallback", "local time from", "owner", "guarantee", "because", "and", "or"})
        items.keyword(w);
      break;
    case CompletionPlace::SegmentLine:
      for (std::string_view w : {"otherwise", "and", "or"}) items.keyword(w);
      break;
    case CompletionPlace::SequenceLine:
      for (std::string_view w :
           {"enter when", "progress", "wait", "holdout", "exit", "channel", "sends at", "except",
            "fallback", "touch", "offer", "only when", "and", "or"})
        items.keyword(w);
      break;
    case CompletionPlace::Field:
      for (uint32_t id : ix.of_kind(SymbolKind::Field)) items.symbol(id, 1);
      break;
    case CompletionPlace::Import: {
      namespace fs = std::filesystem;
      std::error_code ec;
      const fs::path dir = fs::path(a.files[0].path).parent_path();
      std::vector<std::string> names;
      for (fs::directory_iterator it(dir.empty() ? fs::path(".") : dir, ec), end; !ec && it != end;
           it.increment(ec)) {
        const std::string ext = it->path().extension().string();
        if ((ext == ".schema" || ext == ".rules") && it->path() != fs::path(a.files[0].path))
          names.push_back(it->path().filename().string());
      }
      std::sort(names.begin(), names.end());
      for (const auto& name : names) items.file(name, !c.in_string);
      break;
    }
    case CompletionPlace::SchemaLine:
      items.keyword("field");
      items.keyword("schema");
      break;
    case CompletionPlace::SchemaType:
      for (std::string_view w : {"bool", "int", "number", "money", "percent", "date", "string",
                                 "time_zone", "enum", "list of string"})
        items.keyword(w);
      break;
  }
  return items.list();
}

}  // namespace rk::lsp
