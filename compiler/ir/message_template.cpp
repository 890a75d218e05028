// Rekindle IR: the message-template parser and offers in words (see message_template.h). One
// left-to-right pass; a placeholder's name is an identifier as the grammar defines it.
#include "compiler/ir/message_template.h"

#include <fmt/format.h>

#include <limits>

#include "grammar/names.h"

namespace rk::ir {

namespace {

constexpr std::string_view kHowTo =
    "write `{name}` or `{name|fallback}`, or `{{` for a literal brace";

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

bool is_name(std::string_view s) {
  return !s.empty() && grammar::ident_length(s.data(), s.data() + s.size()) == s.size();
}

// Quotes a piece of template text for a message: at most 40 bytes, cut at a UTF-8 boundary.
std::string quoted(std::string_view s) {
  if (s.size() <= 40) return fmt::format("`{}`", s);
  size_t n = 40;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
  return fmt::format("`{}...`", s.substr(0, n));
}

}  // namespace

std::optional<TemplateError> parse_message_template(std::string_view text, MessageTemplate& out) {
  out.parts.clear();
  if (text.size() >= std::numeric_limits<uint32_t>::max())
    return TemplateError{0, 0, "the template is longer than 4 GiB"};
  auto at = [](size_t offset, size_t length, std::string message) {
    return TemplateError{static_cast<uint32_t>(offset), static_cast<uint32_t>(length),
                         std::move(message)};
  };
  TemplatePart lit;  // the literal text being collected
  auto flush = [&](size_t end) {
    if (lit.text.empty()) return;
    lit.length = static_cast<uint32_t>(end - lit.offset);
    out.parts.push_back(std::move(lit));
    lit = TemplatePart{};
  };
  auto literal = [&](size_t i, char c) {
    if (lit.text.empty()) lit.offset = static_cast<uint32_t>(i);
    lit.text.push_back(c);
  };
  size_t i = 0;
  while (i < text.size()) {
    const char c = text[i];
    if (c == '}') {
      if (i + 1 < text.size() && text[i + 1] == '}') {
        literal(i, '}');
        i += 2;
        continue;
      }
      return at(i, 1, "a `}` without its `{`: write `}}` for a literal brace");
    }
    if (c != '{') {
      literal(i, c);
      ++i;
      continue;
    }
    if (i + 1 < text.size() && text[i + 1] == '{') {
      literal(i, '{');
      i += 2;
      continue;
    }
    // A placeholder: the name runs to `|` or `}`.
    const size_t open = i;
    size_t j = i + 1;
    while (j < text.size() && text[j] != '|' && text[j] != '}' && text[j] != '{') ++j;
    if (j == text.size()) return at(open, 1, fmt::format("this `{{` is never closed: {}", kHowTo));
    if (text[j] == '{')
      return at(open, j - open,
                fmt::format("this `{{` is not closed before the next `{{`: {}", kHowTo));
    const std::string_view name = text.substr(open + 1, j - open - 1);
    if (name.empty())
      return at(open, j + 1 - open,
                fmt::format("a placeholder needs a name, e.g. `{{first_name}}` ({})", kHowTo));
    if (!is_name(name)) {
      size_t b = 0, e = name.size();
      while (b < e && is_space(name[b])) ++b;
      while (e > b && is_space(name[e - 1])) --e;
      if (b < e && is_name(name.substr(b, e - b)) && (b > 0 || e < name.size()))
        return at(open, j + 1 - open,
                  fmt::format("no spaces around a placeholder's name: write `{{{}}}`",
                              name.substr(b, e - b)));
      return at(open + 1, name.size(),
                fmt::format("{} is not a placeholder name: a name is one word of letters, digits "
                            "and _ that does not start with a digit, e.g. `{{first_name}}` ({})",
                            quoted(name), kHowTo));
    }
    TemplatePart p;
    p.kind = TemplatePart::Kind::Placeholder;
    p.text = std::string(name);
    p.offset = static_cast<uint32_t>(open);
    p.name_offset = static_cast<uint32_t>(open + 1);
    size_t close = j;
    if (text[j] == '|') {
      size_t k = j + 1;
      while (k < text.size() && text[k] != '}' && text[k] != '{') ++k;
      if (k == text.size())
        return at(open, 1, fmt::format("this `{{` is never closed: {}", kHowTo));
      if (text[k] == '{')
        return at(k, 1,
                  fmt::format("a fallback cannot contain `{{` (nor `}}`): the fallback of "
                              "`{{{}|...}}` is plain text",
                              name));
      p.has_fallback = true;
      p.fallback = std::string(text.substr(j + 1, k - j - 1));
      close = k;
    }
    p.length = static_cast<uint32_t>(close + 1 - open);
    flush(open);
    out.parts.push_back(std::move(p));
    i = close + 1;
  }
  flush(text.size());
  return std::nullopt;
}

std::optional<std::string> offer_in_words(std::string_view offer) {
  if (offer == "none") return std::string();
  if (offer == "early_access") return std::string("early access");
  auto amount_after = [&](std::string_view word) -> std::optional<std::string_view> {
    if (offer.size() <= word.size() + 1 || offer.substr(0, word.size()) != word ||
        offer[word.size()] != ' ')
      return std::nullopt;
    return offer.substr(word.size() + 1);
  };
  if (auto n = amount_after("credit")) {
    std::string_view amount = *n;
    if (amount.front() == '$') amount.remove_prefix(1);
    if (amount.empty()) return std::nullopt;
    return fmt::format("a ${} credit", amount);
  }
  if (auto n = amount_after("discount")) {
    if (n->size() < 2 || n->back() != '%') return std::nullopt;
    return fmt::format("{} off", *n);
  }
  if (auto n = amount_after("points")) return fmt::format("{} points", *n);
  return std::nullopt;
}

}  // namespace rk::ir
