// Rekindle language server: byte offsets <-> LSP positions (see text.h).
#include "lsp/text.h"

#include <algorithm>

namespace rk::lsp {

uint32_t utf8_sequence_length(std::string_view s, size_t i) {
  const auto b0 = static_cast<unsigned char>(s[i]);
  uint32_t n = 0;
  uint32_t min = 0;
  uint32_t cp = 0;
  if (b0 < 0x80) return 1;
  if ((b0 & 0xE0) == 0xC0) {
    n = 2, min = 0x80, cp = b0 & 0x1F;
  } else if ((b0 & 0xF0) == 0xE0) {
    n = 3, min = 0x800, cp = b0 & 0x0F;
  } else if ((b0 & 0xF8) == 0xF0) {
    n = 4, min = 0x10000, cp = b0 & 0x07;
  } else {
    return 1;
  }
  if (i + n > s.size()) return 1;
  for (uint32_t k = 1; k < n; ++k) {
    const auto b = static_cast<unsigned char>(s[i + k]);
    if ((b & 0xC0) != 0x80) return 1;
    cp = (cp << 6) | (b & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 1;
  return n;
}

namespace {

// UTF-16 code units of the character whose UTF-8 sequence has `len` bytes.
uint32_t utf16_units(uint32_t len) {
  return len == 4 ? 2 : 1;
}

}  // namespace

LineIndex::LineIndex(std::string_view text) : text_(text) {
  starts_.push_back(0);
  for (size_t i = 0; i < text.size(); ++i)
    if (text[i] == '\n') starts_.push_back(static_cast<uint32_t>(i + 1));
}

uint32_t LineIndex::line_start(uint32_t line) const {
  if (line >= starts_.size()) return static_cast<uint32_t>(text_.size());
  return starts_[line];
}

uint32_t LineIndex::line_end(uint32_t line) const {
  if (line >= starts_.size()) return static_cast<uint32_t>(text_.size());
  uint32_t end =
      line + 1 < starts_.size() ? starts_[line + 1] - 1 : static_cast<uint32_t>(text_.size());
  if (line + 1 < starts_.size() && end > starts_[line] && text_[end - 1] == '\r') --end;
  return end;
}

Position LineIndex::position(uint32_t offset, Encoding enc) const {
  offset = std::min<uint32_t>(offset, static_cast<uint32_t>(text_.size()));
  const auto it = std::upper_bound(starts_.begin(), starts_.end(), offset);
  const auto line = static_cast<uint32_t>(it - starts_.begin() - 1);
  const uint32_t begin = starts_[line];
  if (enc == Encoding::Utf8) return {line, offset - begin};
  uint32_t units = 0;
  for (uint32_t i = begin; i < offset;) {
    const uint32_t n = utf8_sequence_length(text_, i);
    if (i + n > offset) break;  // inside a character: its start
    units += utf16_units(n);
    i += n;
  }
  return {line, units};
}

uint32_t LineIndex::offset(Position pos, Encoding enc) const {
  if (pos.line >= starts_.size()) return static_cast<uint32_t>(text_.size());
  const uint32_t begin = starts_[pos.line];
  const uint32_t end = line_end(pos.line);
  if (enc == Encoding::Utf8) {
    const uint32_t off = std::min(begin + pos.character, end);
    // Never inside a character: back to its start.
    for (uint32_t s = off; s > begin && off - s < 3;) {
      --s;
      if ((static_cast<unsigned char>(text_[s]) & 0xC0) == 0x80) continue;
      if (s + utf8_sequence_length(text_, s) > off) return s;
      break;
    }
    return off;
  }
  uint32_t units = 0;
  uint32_t i = begin;
  while (i < end && units < pos.character) {
    const uint32_t n = utf8_sequence_length(text_, i);
    // A position between the two halves of a surrogate pair means the character's start.
    if (units + utf16_units(n) > pos.character) break;
    units += utf16_units(n);
    i += n;
  }
  return i;
}

Range LineIndex::range(uint32_t offset, uint32_t len, Encoding enc) const {
  return {position(offset, enc), position(offset + len, enc)};
}

void apply_edit(std::string& text, const Range& range, std::string_view replacement, Encoding enc) {
  const LineIndex index(text);
  uint32_t a = index.offset(range.start, enc);
  uint32_t b = index.offset(range.end, enc);
  if (b < a) std::swap(a, b);
  text.replace(a, b - a, replacement);
}

}  // namespace rk::lsp
