// Rekindle language server: completion. The place of the cursor is read off the tokens before it
// (the file is usually incomplete while one types, so nothing here needs it to parse): after
// `is`, `=` or inside `in {...}` the values of the subject (enum values, labels of a segment,
// statuses, steps and channels of a sequence); after `via` and `fallback` the sequence's
// channels; after `NAME.` a sequence's members; in expressions the fields, lets, parameters,
// segments and sequences; at the start of a line the keywords that can start a declaration or a
// clause there; after `import` the schema and rule files beside the document. The names come from
// the analysis's symbol index (the last version that parsed, when the current one does not).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "lsp/features.h"

namespace rk::lsp {

// What the cursor is after, for completion (exposed for tests).
enum class CompletionPlace : uint8_t {
  None,          // in a comment or string, or after a word that declares a new name
  Value,         // after `is`, `=`, `!=`, or in a set: the subject's values
  Channel,       // after `via`, `fallback`, `fallback X to`
  Member,        // after `SEQUENCE.`
  Expression,    // where an expression starts
  Operator,      // after a complete operand
  Declaration,   // at the start of a line at the top level
  SegmentLine,   // at the start of a line inside `segment NAME {`
  SequenceLine,  // at the start of a line inside `sequence NAME {`
  Field,         // after `progress` or `progress X on`
  Import,        // after `import`
  SchemaLine,    // a schema file: the start of a line
  SchemaType,    // a schema file: after `:`
};

struct CompletionContext {
  CompletionPlace place = CompletionPlace::None;
  std::string subject;     // Value: the subject's name; Member: the sequence
  std::string member;      // Value: `seq.member` subjects
  std::string sequence;    // the enclosing sequence (Channel, SequenceLine)
  bool after_is = false;   // Value: `is` (so `missing`, `present`, `one of` also fit)
  bool in_string = false;  // Import: inside the quotes already
  std::string prefix;      // the part of a word before the cursor
};

CompletionContext completion_context(DocKind kind, std::string_view text, uint32_t offset);

// The LSP CompletionList for the document position.
json completion(const View& v, Position p);

}  // namespace rk::lsp
