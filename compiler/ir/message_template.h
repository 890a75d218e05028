// Rekindle IR: message templates (a touch's subject and body). The parser of template text into
// literal parts and `{name}` / `{name|fallback}` placeholders, shared by the checker (which
// resolves and types each name) and the runtime renderer (runtime/template_render.h); and the
// words an offer reads as inside a template.
//
// Template syntax (docs/language.md, "Templates"):
//   {name}            the value of `name` (one word: letters, digits and _, not starting with a
//                     digit), e.g. {first_name}
//   {name|TEXT}       the value, or TEXT when the value is missing, an empty string or an empty
//                     list; TEXT is any text without { and } (it may be empty, and may contain |)
//   {{ and }}         a literal { and }
// Anything else is literal text, copied byte for byte (UTF-8 included).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rk::ir {

struct TemplatePart {
  enum class Kind : uint8_t { Text, Placeholder };
  Kind kind = Kind::Text;
  // Text: the literal text ({{ and }} already undoubled). Placeholder: the name.
  std::string text;
  // Where the part is in the template's text (byte offsets): a placeholder from its `{` through
  // its `}`; name_offset is where its name starts (for a diagnostic on an unknown name).
  uint32_t offset = 0;
  uint32_t length = 0;
  uint32_t name_offset = 0;
  bool has_fallback = false;
  std::string fallback;  // with has_fallback: the text after `|` (possibly empty)
};

struct MessageTemplate {
  std::vector<TemplatePart> parts;  // in order; no two Text parts in a row, none empty
};

// A malformed template: what is wrong, at which bytes of the text.
struct TemplateError {
  uint32_t offset = 0;
  uint32_t length = 1;
  std::string message;
};

// Parses `text` into `out` (replaced). Returns the first error of a malformed template: an
// unclosed `{`, a `}` without `{`, an empty or malformed name, a brace inside a fallback. A text
// longer than 4 GiB - 1 is an error too (offsets are 32-bit).
std::optional<TemplateError> parse_message_template(std::string_view text, MessageTemplate& out);

// An offer as it reads inside a template, from its text in the result (`credit 10`):
//   none -> "" (empty), credit N -> "a $N credit" (N as written, a leading $ dropped),
//   early_access -> "early access", discount N% -> "N% off", points N -> "N points".
// nullopt for a text that is none of these.
std::optional<std::string> offer_in_words(std::string_view offer);

}  // namespace rk::ir
