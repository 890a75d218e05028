// Tests of the message-template parser (compiler/ir/message_template.h): literal text and
// placeholders with their places in the text, fallbacks, doubled braces, every malformed form
// with its message and place, and offers in words (winback-program.md section 5).
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "compiler/ir/message_template.h"

using namespace rk;
using ir::MessageTemplate;
using ir::TemplatePart;

namespace {

MessageTemplate parse_ok(std::string_view text) {
  MessageTemplate t;
  const auto err = ir::parse_message_template(text, t);
  INFO(text);
  REQUIRE_FALSE(err);
  return t;
}

ir::TemplateError parse_error(std::string_view text) {
  MessageTemplate t;
  const auto err = ir::parse_message_template(text, t);
  INFO(text);
  REQUIRE(err);
  return *err;
}

// The parts as a compact string: text as is, placeholders as <name> or <name|fallback>.
std::string shape(const MessageTemplate& t) {
  std::string s;
  for (const TemplatePart& p : t.parts) {
    if (p.kind == TemplatePart::Kind::Text) {
      s += "'" + p.text + "'";
    } else {
      s += "<" + p.text;
      if (p.has_fallback) s += "|" + p.fallback;
      s += ">";
    }
  }
  return s;
}

}  // namespace

TEST_CASE("template: literal text and placeholders, in order, with their places", "[template]") {
  const std::string text = "Welcome back, {first_name|friend}! New in {affinity}.";
  const MessageTemplate t = parse_ok(text);
  CHECK(shape(t) == "'Welcome back, '<first_name|friend>'! New in '<affinity>'.'");
  REQUIRE(t.parts.size() == 5);
  // Every part's span covers its source bytes exactly, and the spans tile the text.
  uint32_t at = 0;
  for (const TemplatePart& p : t.parts) {
    CHECK(p.offset == at);
    at += p.length;
  }
  CHECK(at == text.size());
  CHECK(text.substr(t.parts[1].offset, t.parts[1].length) == "{first_name|friend}");
  CHECK(t.parts[1].name_offset == t.parts[1].offset + 1);
  CHECK(text.substr(t.parts[3].offset, t.parts[3].length) == "{affinity}");
  CHECK_FALSE(t.parts[3].has_fallback);
}

TEST_CASE("template: every template of the program's spec parses", "[template]") {
  // winback-program.md section 5, subjects and bodies.
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"Welcome back, {first_name|friend}!", "'Welcome back, '<first_name|friend>'!'"},
      {"Good to see you again, {first_name|friend}. Here is what is new in {affinity}.",
       "'Good to see you again, '<first_name|friend>'. Here is what is new in '<affinity>'.'"},
      {"Three things to try this week", "'Three things to try this week'"},
      {"Something changed since {last_purchase_date|your last visit}.",
       "'Something changed since '<last_purchase_date|your last visit>'.'"},
      {"{first_name|Hi there}, we saved something for you",
       "<first_name|Hi there>', we saved something for you'"},
      {"A thank-you: {offer}", "'A thank-you: '<offer>"},
      {"{offer} for the next 72 hours", "<offer>' for the next 72 hours'"},
      {"{first_name|Hi}, you have early access to our next drop. Reply STOP to opt out.",
       "<first_name|Hi>', you have early access to our next drop. Reply STOP to opt out.'"},
  };
  for (const auto& [text, want] : cases) CHECK(shape(parse_ok(text)) == want);
}

TEST_CASE("template: fallbacks may be empty, hold | and spaces, and names may be keywords",
          "[template]") {
  CHECK(shape(parse_ok("{first_name|}")) == "<first_name|>");
  CHECK(parse_ok("{first_name|}").parts[0].has_fallback);
  CHECK(shape(parse_ok("{a|x|y}")) == "<a|x|y>");
  CHECK(shape(parse_ok("{a| dear friend }")) == "<a| dear friend >");
  CHECK(shape(parse_ok("{offer}")) == "<offer>");  // `offer` is reserved in rules, not here
  CHECK(shape(parse_ok("{_x1}")) == "<_x1>");
  CHECK(shape(parse_ok("")).empty());
}

TEST_CASE("template: doubled braces are literal braces", "[template]") {
  const std::string text = "{{not a placeholder}} and {{{affinity}}}";
  const MessageTemplate t = parse_ok(text);
  CHECK(shape(t) == "'{not a placeholder} and {'<affinity>'}'");
  // The literal part's span covers the doubled braces as written.
  CHECK(text.substr(t.parts[0].offset, t.parts[0].length) == "{{not a placeholder}} and {{");
  CHECK(text.substr(t.parts[1].offset, t.parts[1].length) == "{affinity}");
  CHECK(text.substr(t.parts[2].offset, t.parts[2].length) == "}}");
}

TEST_CASE("template: non-ASCII text and fallbacks are copied byte for byte", "[template]") {
  const std::string text = "Grüße, {first_name|Freund·in} — 🎁 {offer}";
  const MessageTemplate t = parse_ok(text);
  CHECK(shape(t) == "'Grüße, '<first_name|Freund·in>' — 🎁 '<offer>");
  CHECK(text.substr(t.parts[2].offset, t.parts[2].length) == " — 🎁 ");
}

TEST_CASE("template: malformed templates are errors with their place", "[template]") {
  struct Case {
    std::string text;
    uint32_t offset, length;
    std::string message_part;
  };
  const std::vector<Case> cases = {
      {"Hi {first_name", 3, 1, "this `{` is never closed"},
      {"Hi {first_name|friend", 3, 1, "this `{` is never closed"},
      {"Hi {first_name, {affinity}", 3, 13, "not closed before the next `{`"},
      {"Hi {}", 3, 2, "a placeholder needs a name"},
      {"Hi {|friend}", 3, 2, "a placeholder needs a name"},
      {"Hi { first_name }", 3, 14, "no spaces around a placeholder's name: write `{first_name}`"},
      {"Hi {first name}", 4, 10, "`first name` is not a placeholder name"},
      {"Hi {1st}", 4, 3, "`1st` is not a placeholder name"},
      {"Hi {prénom}", 4, 7, "`prénom` is not a placeholder name"},
      {"Hi {a.b}", 4, 3, "`a.b` is not a placeholder name"},
      {"50% off} today", 7, 1, "a `}` without its `{`: write `}}` for a literal brace"},
      {"{a|b{c}}", 4, 1, "a fallback cannot contain `{`"},
  };
  for (const Case& c : cases) {
    const ir::TemplateError e = parse_error(c.text);
    INFO(c.text << " -> " << e.message);
    CHECK(e.offset == c.offset);
    CHECK(e.length == c.length);
    CHECK(e.message.find(c.message_part) != std::string::npos);
  }
  // The messages say how to write a literal brace.
  CHECK(parse_error("{").message.find("`{{` for a literal brace") != std::string::npos);
  // A long bad name is quoted shortened, cut at a character boundary.
  std::string long_name(39, 'x');
  const ir::TemplateError e = parse_error("{" + long_name + "é yz}");
  CHECK(e.message.find("`" + long_name + "...`") != std::string::npos);
}

TEST_CASE("template: the output is replaced on every parse", "[template]") {
  MessageTemplate t = parse_ok("{a} b");
  REQUIRE_FALSE(ir::parse_message_template("c", t));
  CHECK(shape(t) == "'c'");
  REQUIRE(ir::parse_message_template("{", t));
}

TEST_CASE("template: offers in words", "[template]") {
  CHECK(ir::offer_in_words("none") == std::string());
  CHECK(ir::offer_in_words("credit 20") == "a $20 credit");
  CHECK(ir::offer_in_words("credit 25") == "a $25 credit");
  CHECK(ir::offer_in_words("credit 12.50") == "a $12.50 credit");  // the number as written
  CHECK(ir::offer_in_words("credit $10") == "a $10 credit");
  CHECK(ir::offer_in_words("early_access") == "early access");
  CHECK(ir::offer_in_words("discount 15%") == "15% off");
  CHECK(ir::offer_in_words("discount 7.5%") == "7.5% off");
  CHECK(ir::offer_in_words("points 500") == "500 points");
  CHECK_FALSE(ir::offer_in_words("credit"));
  CHECK_FALSE(ir::offer_in_words("credit "));
  CHECK_FALSE(ir::offer_in_words("credit $"));
  CHECK_FALSE(ir::offer_in_words("discount 15"));
  CHECK_FALSE(ir::offer_in_words("discount %"));
  CHECK_FALSE(ir::offer_in_words("gift"));
  CHECK_FALSE(ir::offer_in_words(""));
}

TEST_CASE("template: random texts parse to parts that spell the text, or to an error inside it",
          "[template]") {
  // Texts over an alphabet dense in braces and bars: a parsed template's parts, written back
  // (braces doubled in text, `{name|fallback}`), are exactly the text, part by part; an error's
  // span lies inside the text.
  const std::vector<std::string> alphabet = {"{", "}",  "|",  "a",   "_",   "1", " ",
                                             "é", "{{", "}}", "{a}", "{a|", "x"};
  uint64_t seed = 7;
  auto next = [&] {
    seed = seed * 6364136223846793005ull + 1442695040888963407ull;
    return static_cast<size_t>(seed >> 33);
  };
  size_t parsed = 0, errors = 0;
  for (int n = 0; n < 20000; ++n) {
    std::string text;
    const size_t len = next() % 12;
    for (size_t i = 0; i < len; ++i) text += alphabet[next() % alphabet.size()];
    MessageTemplate t;
    const auto err = ir::parse_message_template(text, t);
    INFO('"' << text << '"');
    if (err) {
      ++errors;
      REQUIRE(err->offset + err->length <= text.size());
      REQUIRE(!err->message.empty());
      continue;
    }
    ++parsed;
    std::string back;
    bool after_text = false;
    for (const TemplatePart& p : t.parts) {
      std::string part;
      const bool is_text = p.kind == TemplatePart::Kind::Text;
      REQUIRE_FALSE((is_text && after_text));  // literal text is one part
      after_text = is_text;
      if (is_text) {
        REQUIRE(!p.text.empty());
        for (char c : p.text)
          part += (c == '{' || c == '}') ? std::string(2, c) : std::string(1, c);
      } else {
        part = "{" + p.text + (p.has_fallback ? "|" + p.fallback : "") + "}";
        REQUIRE(text.substr(p.name_offset, p.text.size()) == p.text);
      }
      REQUIRE(text.substr(p.offset, p.length) == part);
      back += part;
    }
    REQUIRE(back == text);
  }
  CHECK(parsed > 1000);
  CHECK(errors > 1000);
}
