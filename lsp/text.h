// Rekindle language server: text positions. The project's spans count bytes; LSP positions are a
// zero-based line and a character offset in UTF-16 code units (or bytes, when the client accepts
// the `utf-8` position encoding). A LineIndex converts both ways over one text, and edits given
// as LSP ranges are applied to a document's text. Invalid UTF-8 never fails a conversion: a byte
// that starts no valid sequence counts as one code unit.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace rk::lsp {

enum class Encoding : uint8_t { Utf8, Utf16 };

struct Position {
  uint32_t line = 0;
  uint32_t character = 0;
  bool operator==(const Position&) const = default;
};

struct Range {
  Position start;
  Position end;
  bool operator==(const Range&) const = default;
};

// Line starts of a text, and conversions between byte offsets and LSP positions. The text must
// outlive the index. Lines end at "\n" (a "\r" before it belongs to the line's end).
class LineIndex {
 public:
  explicit LineIndex(std::string_view text);

  // The position of byte `offset` (clamped to the text's size). An offset inside a multi-byte
  // character is taken as the start of that character.
  Position position(uint32_t offset, Encoding enc) const;
  // The byte offset of a position. A line past the end gives the text's size; a character past
  // the end of its line gives the line's end (before "\r\n"), as LSP asks.
  uint32_t offset(Position pos, Encoding enc) const;
  Range range(uint32_t offset, uint32_t len, Encoding enc) const;

  uint32_t line_count() const { return static_cast<uint32_t>(starts_.size()); }
  // The byte offset where line `line` (0-based) starts, and where it ends (before "\r\n").
  uint32_t line_start(uint32_t line) const;
  uint32_t line_end(uint32_t line) const;

 private:
  std::string_view text_;
  std::vector<uint32_t> starts_;
};

// The length of the UTF-8 sequence starting at s[i] if it is valid (1 to 4), else 1.
uint32_t utf8_sequence_length(std::string_view s, size_t i);

// Replaces `range` of `text` by `replacement` (an LSP incremental change).
void apply_edit(std::string& text, const Range& range, std::string_view replacement, Encoding enc);

}  // namespace rk::lsp
