// Tests of position conversion (bytes <-> LSP UTF-16 or UTF-8 positions), incremental edits and
// file URIs.
#include <catch2/catch.hpp>

#include "lsp/text.h"
#include "lsp/uri.h"

using rk::lsp::Encoding;
using rk::lsp::LineIndex;
using rk::lsp::Position;

TEST_CASE("positions: ASCII lines, CRLF, the end of the text") {
  const std::string t = "ab\r\ncd\nlast";
  LineIndex ix(t);
  CHECK(ix.line_count() == 3);
  CHECK(ix.position(0, Encoding::Utf16) == Position{0, 0});
  CHECK(ix.position(5, Encoding::Utf16) == Position{1, 1});
  CHECK(ix.position(11, Encoding::Utf16) == Position{2, 4});
  CHECK(ix.position(999, Encoding::Utf16) == Position{2, 4});  // clamped
  CHECK(ix.offset({1, 1}, Encoding::Utf16) == 5);
  CHECK(ix.offset({0, 50}, Encoding::Utf16) == 2);  // past the line: its end, before "\r\n"
  CHECK(ix.offset({9, 0}, Encoding::Utf16) == t.size());
  CHECK(ix.line_end(0) == 2);
  CHECK(ix.line_end(2) == t.size());
}

TEST_CASE("positions: UTF-16 code units for 2-, 3- and 4-byte characters") {
  // "é" 2 bytes / 1 unit, "€" 3 bytes / 1 unit, "😀" 4 bytes / 2 units (a surrogate pair).
  const std::string t = "x\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80y";
  LineIndex ix(t);
  CHECK(ix.position(1, Encoding::Utf16) == Position{0, 1});   // before é
  CHECK(ix.position(3, Encoding::Utf16) == Position{0, 2});   // before €
  CHECK(ix.position(6, Encoding::Utf16) == Position{0, 3});   // before 😀
  CHECK(ix.position(10, Encoding::Utf16) == Position{0, 5});  // before y
  CHECK(ix.offset({0, 5}, Encoding::Utf16) == 10);
  CHECK(ix.offset({0, 3}, Encoding::Utf16) == 6);
  CHECK(ix.offset({0, 4}, Encoding::Utf16) == 6);  // between the surrogates: the character's start
  CHECK(ix.position(2, Encoding::Utf16) == Position{0, 1});  // inside é: its start
  // UTF-8 positions are bytes, never inside a character.
  CHECK(ix.position(10, Encoding::Utf8) == Position{0, 10});
  CHECK(ix.offset({0, 7}, Encoding::Utf8) == 6);
  CHECK(ix.offset({0, 2}, Encoding::Utf8) == 1);
  CHECK(ix.offset({0, 6}, Encoding::Utf8) == 6);
}

TEST_CASE("positions: invalid UTF-8 counts one unit per byte and never fails") {
  const std::string t = "a\xff\xc3(\xe2\x82z";
  LineIndex ix(t);
  for (uint32_t i = 0; i <= t.size(); ++i) {
    const Position p = ix.position(i, Encoding::Utf16);
    CHECK(ix.offset(p, Encoding::Utf16) == i);
  }
  CHECK(rk::lsp::utf8_sequence_length("\xc0\x80", 0) == 1);          // overlong
  CHECK(rk::lsp::utf8_sequence_length("\xed\xa0\x80", 0) == 1);      // a surrogate
  CHECK(rk::lsp::utf8_sequence_length("\xf4\x90\x80\x80", 0) == 1);  // above U+10FFFF
  CHECK(rk::lsp::utf8_sequence_length("\xf0\x9f\x98\x80", 0) == 4);
}

TEST_CASE("positions: round trips on every character boundary") {
  const std::string t = "segment \xc3\xa9t\xc3\xa9 {\n  \xf0\x9f\x98\x80 when x\r\n}\n";
  LineIndex ix(t);
  for (Encoding enc : {Encoding::Utf8, Encoding::Utf16})
    for (uint32_t i = 0; i <= t.size(); i += rk::lsp::utf8_sequence_length(t, i)) {
      // Between "\r" and "\n" is no position (a line ends before its "\r\n").
      if (i == 0 || t[i - 1] != '\r') CHECK(ix.offset(ix.position(i, enc), enc) == i);
      if (i == t.size()) break;
    }
}

TEST_CASE("edits: incremental changes in UTF-16 positions") {
  std::string t = "let \xf0\x9f\x98\x80 = 1\nline two\n";
  // The emoji is two UTF-16 units (4 and 5), so `1` is at unit 9.
  rk::lsp::apply_edit(t, {{0, 9}, {0, 10}}, "2", Encoding::Utf16);
  CHECK(t == "let \xf0\x9f\x98\x80 = 2\nline two\n");
  rk::lsp::apply_edit(t, {{1, 0}, {1, 4}}, "LINE", Encoding::Utf16);
  CHECK(t == "let \xf0\x9f\x98\x80 = 2\nLINE two\n");
  rk::lsp::apply_edit(t, {{0, 10}, {2, 0}}, "", Encoding::Utf16);  // up to the end
  CHECK(t == "let \xf0\x9f\x98\x80 = 2");
  rk::lsp::apply_edit(t, {{5, 0}, {5, 0}}, "\nmore", Encoding::Utf16);  // past the end: appended
  CHECK(t == "let \xf0\x9f\x98\x80 = 2\nmore");
  rk::lsp::apply_edit(t, {{1, 4}, {0, 0}}, "", Encoding::Utf16);  // reversed range
  CHECK(t.empty());
}

TEST_CASE("uris: file URIs and paths") {
  using rk::lsp::path_from_uri;
  using rk::lsp::uri_from_path;
  CHECK(path_from_uri("file:///work/rules/winback.rules") == "/work/rules/winback.rules");
  CHECK(path_from_uri("file:///a/b%20c/%C3%A9.rules") == "/a/b c/\xc3\xa9.rules");
  CHECK(path_from_uri("FILE://localhost/x/y") == "/x/y");
  CHECK(path_from_uri("file:///x/y#frag") == "/x/y");
  CHECK_FALSE(path_from_uri("untitled:Untitled-1"));
  CHECK_FALSE(path_from_uri("file:///bad%zz"));
  CHECK_FALSE(path_from_uri("file:///bad%0"));
  CHECK_FALSE(path_from_uri("file:///nul%00"));
  CHECK(uri_from_path("/a/b c/\xc3\xa9#.rules") == "file:///a/b%20c/%C3%A9%23.rules");
  for (const char* p : {"/work/x.rules", "/a b/c%d/e:f", "/\xf0\x9f\x98\x80"})
    CHECK(path_from_uri(uri_from_path(p)) == p);
}
