// Rekindle diagnostics: the documentation of each code, read from the docs pages embedded at build
// time (grammar/CMakeLists.txt), and the one documentation base URL (see doc_links.h).
#include "grammar/doc_links.h"

#include <cstdlib>
#include <optional>
#include <utility>

namespace rk {
namespace {

struct Page {
  std::string_view name;
  std::string_view text;
};

// {"diagnostics.md", R"rkdoc(...)rkdoc"}, ... generated from docs/ by grammar/CMakeLists.txt.
constexpr Page kPages[] = {
#include "grammar_doc_pages.inc"
};

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

bool is_code_at(std::string_view s, size_t i) {
  if (i + 6 > s.size() || s.substr(i, 2) != "RK") return false;
  for (size_t k = i + 2; k < i + 6; ++k)
    if (s[k] < '0' || s[k] > '9') return false;
  return i + 6 == s.size() || s[i + 6] == ' ' || s[i + 6] == ',';
}

// GitHub's heading anchors (as VS Code's Markdown preview makes them too): lower case, only
// letters, digits, spaces, `-` and `_` kept, spaces become `-`.
std::string slug(std::string_view heading) {
  std::string out;
  for (char c : heading) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-')
      out += c;
    else if (c == ' ')
      out += '-';
  }
  return out;
}

// The id of a line `<a id="ID"></a>` (an anchor placed above a heading), or nullopt.
std::optional<std::string> explicit_anchor(std::string_view l) {
  constexpr std::string_view kOpen = "<a id=\"", kClose = "\"></a>";
  if (l.substr(0, kOpen.size()) != kOpen || l.size() < kOpen.size() + kClose.size() ||
      l.substr(l.size() - kClose.size()) != kClose)
    return std::nullopt;
  const std::string_view id = l.substr(kOpen.size(), l.size() - kOpen.size() - kClose.size());
  if (id.empty() || id.find('"') != std::string_view::npos) return std::nullopt;
  return std::string(id);
}

std::vector<std::string_view> split_lines(std::string_view text) {
  std::vector<std::string_view> lines;
  size_t b = 0;
  while (b <= text.size()) {
    size_t e = text.find('\n', b);
    if (e == std::string_view::npos) e = text.size();
    std::string_view l = text.substr(b, e - b);
    if (!l.empty() && l.back() == '\r') l.remove_suffix(1);
    lines.push_back(l);
    b = e + 1;
  }
  return lines;
}

// A line that starts something other than a paragraph of prose.
bool starts_block(std::string_view l) {
  const std::string_view t = trim(l);
  return t.empty() || t.substr(0, 3) == "```" || t[0] == '#' || t[0] == '|' || t[0] == '<' ||
         l.substr(0, 4) == "    ";
}

// The table cells of `| a | b | c |` (a `\|` stays inside its cell, as `|`).
std::vector<std::string> cells(std::string_view row) {
  std::vector<std::string> out;
  std::string cur;
  bool open = false;
  for (size_t i = 0; i < row.size(); ++i) {
    if (row[i] == '\\' && i + 1 < row.size() && row[i + 1] == '|') {
      cur += '|';
      ++i;
    } else if (row[i] == '|') {
      if (open) out.emplace_back(trim(cur));
      cur.clear();
      open = true;
    } else {
      cur += row[i];
    }
  }
  return out;
}

std::string capitalized(std::string s) {
  if (!s.empty() && s[0] >= 'a' && s[0] <= 'z') s[0] = static_cast<char>(s[0] - 'a' + 'A');
  return s;
}

}  // namespace

std::vector<CodeDoc> parse_code_docs(std::string_view page, std::string_view markdown) {
  std::vector<CodeDoc> out;
  const std::vector<std::string_view> lines = split_lines(markdown);
  std::string section;  // the anchor of the latest heading, for table rows
  bool in_fence = false;
  for (size_t i = 0; i < lines.size(); ++i) {
    const std::string_view line = lines[i];
    if (trim(line).substr(0, 3) == "```") {
      in_fence = !in_fence;
      continue;
    }
    if (in_fence) continue;
    if (line.substr(0, 1) == "#") {
      const size_t level = line.find_first_not_of('#');
      if (level == std::string_view::npos || line[level] != ' ') continue;
      const std::string_view heading = trim(line.substr(level + 1));
      // `<a id="RK0201"></a>` on the line above names the heading's anchor; else GitHub's slug.
      const std::string_view above = i > 0 ? trim(lines[i - 1]) : std::string_view();
      section = explicit_anchor(above).value_or(slug(heading));
      if (level != 3 || !is_code_at(heading, 0)) continue;
      // The first paragraph below the heading.
      std::string description;
      size_t j = i + 1;
      while (j < lines.size() && trim(lines[j]).empty()) ++j;
      for (; j < lines.size() && !starts_block(lines[j]); ++j) {
        if (!description.empty()) description += ' ';
        description += trim(lines[j]);
      }
      // `RK0613 unused-parameter, RK0614 unused-let`: one entry per code.
      size_t b = 0;
      while (b < heading.size()) {
        size_t next = heading.size();
        for (size_t k = b + 6; k + 1 < heading.size(); ++k)
          if (heading.substr(k, 2) == ", " && is_code_at(heading, k + 2)) {
            next = k;
            break;
          }
        const std::string_view code = heading.substr(b, 6);
        const std::string_view title = trim(heading.substr(b + 6, next - (b + 6)));
        if (title.find("(unused)") == std::string_view::npos)
          out.push_back(
              {std::string(code), std::string(page), section, std::string(title), description});
        b = next == heading.size() ? next : next + 2;
      }
      continue;
    }
    if (trim(line).substr(0, 1) == "|") {
      const std::vector<std::string> c = cells(trim(line));
      if (c.size() >= 2 && is_code_at(c[0], 0) && c[0].size() == 6) {
        std::string description = capitalized(c[1]) + ".";
        if (c.size() >= 3 && !c[2].empty()) description += " For example: " + c[2] + ".";
        out.push_back({c[0], std::string(page), section, c[1], std::move(description)});
      }
    }
  }
  return out;
}

const std::vector<CodeDoc>& code_docs() {
  static const std::vector<CodeDoc> docs = [] {
    std::vector<CodeDoc> all;
    for (const Page& p : kPages) {
      std::vector<CodeDoc> one = parse_code_docs(p.name, p.text);
      for (auto& d : one) all.push_back(std::move(d));
    }
    return all;
  }();
  return docs;
}

const CodeDoc* find_code_doc(std::string_view code) {
  for (const auto& d : code_docs())
    if (d.code == code) return &d;
  return nullptr;
}

std::string_view default_docs_base_url() {
  return RK_DEFAULT_DOCS_URL;
}

std::string docs_base_url() {
  std::string base;
  if (const char* env = std::getenv("REKINDLE_DOCS_URL"); env != nullptr && *env != '\0')
    base = env;
  else
    base = std::string(default_docs_base_url());
  if (!base.empty() && base.back() != '/') base += '/';
  return base;
}

std::string docs_link(std::string_view base, std::string_view code) {
  if (base.empty()) return {};
  const CodeDoc* d = find_code_doc(code);
  if (d == nullptr) return {};
  std::string out(base);
  out += d->page;
  out += '#';
  out += d->anchor;
  return out;
}

std::string markdown_to_text(std::string_view md) {
  std::string out;
  bool in_code = false;  // inside a `code span`, every character is itself
  for (size_t i = 0; i < md.size(); ++i) {
    const char c = md[i];
    if (c == '`') {
      in_code = !in_code;
      continue;
    }
    if (in_code) {
      out += c;
      continue;
    }
    if (c == '*' && i + 1 < md.size() && md[i + 1] == '*') {
      ++i;
      continue;
    }
    if (c == '\\' && i + 1 < md.size() && md[i + 1] != ' ') {  // an escaped character
      out += md[++i];
      continue;
    }
    if (c == '[') {  // [text](link) -> text
      const size_t close = md.find("](", i);
      const size_t end = close == std::string_view::npos ? close : md.find(')', close);
      if (end != std::string_view::npos &&
          md.substr(i + 1, close - i - 1).find('[') == std::string_view::npos) {
        out += markdown_to_text(md.substr(i + 1, close - i - 1));
        i = end;
        continue;
      }
    }
    out += c;
  }
  return out;
}

}  // namespace rk
