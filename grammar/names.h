// Rekindle grammar: the words of the language without PEGTL: the one list of reserved words, the
// offer words and what an identifier is. The grammar (grammar.h) builds its tokens on these; tools
// that write rule or schema text (`rekindle schema`) use them without including the parser.
#pragma once

#include <cstddef>
#include <string_view>

namespace rk::grammar {

// ---- Reserved words (the one list) ---------------------------------------------------------

// `enter` is a contextual word (it only has a meaning at the start of a sequence clause).
inline constexpr std::string_view kKeywords[] = {
    "schema",    "field",        "key",      "list",     "of",        "string",    "int",
    "number",    "money",        "percent",  "date",     "bool",      "enum",      "import",
    "parameter", "let",          "segment",  "when",     "otherwise", "candidate", "stop",
    "review",    "because",      "sequence", "progress", "on",        "wait",      "holdout",
    "salt",      "exit",         "channel",  "requires", "fallback",  "to",        "touch",
    "via",       "offer",        "only",     "and",      "or",        "not",       "is",
    "missing",   "present",      "one",      "in",       "has",       "any",       "all",
    "none",      "if",           "then",     "else",     "days",      "day",       "weeks",
    "week",      "since",        "until",    "today",    "true",      "false",     "credit",
    "points",    "early_access", "discount", "at",       "least",     "most",      "above",
    "below",     "under"};

// True when `word` is reserved and cannot name a field, segment, label, rule, channel, ...
constexpr bool is_keyword(std::string_view word) {
  for (std::string_view k : kKeywords)
    if (k == word) return true;
  return false;
}

// The offer words: reserved inside expressions, but a stop or review rule may be named by one
// (rule names are never read by expressions), e.g. `review discount when ...`.
inline constexpr std::string_view kOfferWords[] = {"none", "credit", "points", "early_access",
                                                   "discount"};
constexpr bool is_offer_word(std::string_view word) {
  for (std::string_view k : kOfferWords)
    if (k == word) return true;
  return false;
}

// The length of the identifier starting at p ([A-Za-z_][A-Za-z0-9_]*), 0 when there is none.
inline size_t ident_length(const char* p, const char* e) {
  auto first = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; };
  auto other = [&](char c) { return first(c) || (c >= '0' && c <= '9'); };
  if (p == e || !first(*p)) return 0;
  const char* q = p + 1;
  while (q != e && other(*q)) ++q;
  return static_cast<size_t>(q - p);
}

}  // namespace rk::grammar
