// Rekindle grammar: the words of the language without PEGTL: the one list of reserved and
// contextual words (RK_RESERVED_WORDS, RK_CONTEXTUAL_WORDS), the offer words and what an
// identifier is. The grammar (grammar.h) makes its keyword tokens from these lists; tools that
// write rule or schema text (`rekindle schema`) use them without including the parser.
#pragma once

#include <cstddef>
#include <string_view>

namespace rk::grammar {

// ---- Words of the language (the one list) ---------------------------------------------------

// Every reserved word, in the grammar's order: X(word) for each. The grammar (grammar.h) makes
// its keyword rules from this list, and `is_keyword` reads it.
// clang-format off
#define RK_RESERVED_WORDS(X) \
  X(schema) X(field) X(key) X(list) X(of) X(string) X(int) X(number) X(money) X(percent) \
  X(date) X(bool) X(enum) X(import) X(parameter) X(let) X(segment) X(when) X(otherwise) \
  X(candidate) X(stop) X(review) X(because) X(sequence) X(progress) X(on) X(wait) X(holdout) \
  X(salt) X(exit) X(channel) X(requires) X(fallback) X(to) X(touch) X(via) X(offer) X(only) \
  X(and) X(or) X(not) X(is) X(missing) X(present) X(one) X(in) X(has) X(any) X(all) X(none) \
  X(if) X(then) X(else) X(days) X(day) X(weeks) X(week) X(since) X(until) X(today) X(true) \
  X(false) X(credit) X(points) X(early_access) X(discount) X(at) X(least) X(most) X(above) \
  X(below) X(under)
// Contextual words: a keyword only where the grammar expects it (`enter` at the start of a
// sequence clause, `score` and `cap` at the start of a declaration, `point` after a score line's
// number, `message(s) per run` in a cap, `variant` in a touch's braces, `subject` and `body` in a touch's
// or a variant's braces, `time_zone` as a schema field's type, `sends` and `except` after a
// channel, `local time from` and `owner` at the start of a declaration, `guarantee` at the start
// of a declaration and `never`/`always` after its name);
// elsewhere a name.
#define RK_CONTEXTUAL_WORDS(X) \
  X(enter) X(score) X(point) X(cap) X(message) X(messages) X(per) X(run) X(variant) \
  X(subject) X(body) X(time_zone) X(sends) X(except) X(local) X(time) X(from) X(owner) \
  X(guarantee) X(never) X(always)
// clang-format on

#define RK_WORD_TEXT(word) #word,
inline constexpr std::string_view kKeywords[] = {RK_RESERVED_WORDS(RK_WORD_TEXT)};
#undef RK_WORD_TEXT

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
