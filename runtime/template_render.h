// Rekindle runtime: renders a parsed message template (compiler/ir/message_template.h) for one
// row, appending to a caller's reusable buffer. Each placeholder is bound once to where its value
// lives (a snapshot field of the batch, a kernel output coded as an index into texts, a typed
// column such as a score, or a wide kernel output with its presence, such as a let) and reads as
// the spec says: as the CSV writer writes it (value_text.h), except money ($84.50) and lists
// (joined with ", "); no CSV quoting; one pass (an inserted value is never scanned for
// placeholders).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "compiler/ir/batch_abi.h"
#include "compiler/ir/message_template.h"
#include "compiler/ir/schema.h"
#include "runtime/columnar.h"

namespace rk {

// Where one placeholder's value comes from, and how it reads.
struct TemplateValue {
  enum class Source : uint8_t {
    Field,   // batch.columns[index], a snapshot field of type `type`
    Coded,   // outputs[index][row]: an int8 index into `texts` (a family's label, the offer in
             // words); below 0 or past the end: missing
    Column,  // columns[index] of TemplateInputs: a typed column laid out like a snapshot field
             // (e.g. a score as int64 values), read as `type`
    Wide,    // outputs[index][row] read as an int64 (`type` Int: the number; Date: days since
             // 1970-01-01) or a double (Number, Money), present where outputs[present][row] is 1
             // (a let's wide kernel output, ir::ShownLet)
  };
  Source source = Source::Field;
  uint32_t index = 0;
  uint32_t present = 0;                // Wide: the presence output
  FieldType type = FieldType::String;  // Field, Column, Wide
  // Coded: the text of each code. Field, Column of type Enum: the enum's values.
  std::vector<std::string> texts;

  static TemplateValue field(const Schema& schema, uint32_t field);
  static TemplateValue coded(uint32_t output, std::vector<std::string> texts);
  static TemplateValue column(uint32_t column, FieldType type,
                              std::vector<std::string> enum_values = {});
  static TemplateValue wide(uint32_t output, uint32_t present, FieldType type);
};

// The values of one batch that templates read.
struct TemplateInputs {
  const Batch* batch = nullptr;            // for Source::Field
  const int8_t* const* outputs = nullptr;  // for Source::Coded and Wide: outputs[k][row]
  const RkColumn* columns = nullptr;       // for Source::Column
};

// Given a placeholder's name, its value; nullopt when the name is unknown.
using TemplateLookup = std::function<std::optional<TemplateValue>(std::string_view name)>;

class TemplateRenderer {
 public:
  TemplateRenderer() = default;
  // Binds every placeholder of `tmpl` through `lookup` (each distinct name looked up once).
  // Returns false and sets `error` when a name is unknown.
  bool bind(const ir::MessageTemplate& tmpl, const TemplateLookup& lookup, std::string& error);

  // Appends row `row`'s text to `out`. A value that is missing (or NaN), an empty string, an
  // empty list or a code whose text is empty reads as the placeholder's fallback. Without a
  // fallback an empty value reads as nothing, and a missing one too, but then the result is false:
  // the checker rejects a placeholder that can be missing without a fallback, so for a checked
  // program false means a broken promise, never a user's mistake. Allocates only when `out`
  // grows.
  bool render(const TemplateInputs& in, int64_t row, std::string& out) const;

  // Renders a whole template for tests and tools: the text, or nullopt when a placeholder
  // without fallback was missing.
  std::optional<std::string> render(const TemplateInputs& in, int64_t row) const;

 private:
  struct Part {
    bool placeholder = false;
    bool has_fallback = false;
    uint32_t value = 0;  // index into values_
    std::string text;    // literal text, or the fallback
  };
  std::vector<Part> parts_;
  std::vector<TemplateValue> values_;
};

enum class ValueRead : uint8_t {
  Present,  // the value's text was appended
  Empty,    // an empty string, an empty list, a code whose text is empty: nothing appended
  Missing,  // no value (missing, NaN, a code below 0 or past the texts): nothing appended
};

// Appends the value `v` of row `row` as a template shows it. Exposed for tools that show one
// value (explain).
ValueRead append_template_value(const TemplateValue& v, const TemplateInputs& in, int64_t row,
                                std::string& out);

}  // namespace rk
