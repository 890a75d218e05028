// Tests of the documentation of diagnostic codes (grammar/doc_links.h): parsing headings, tables
// and first paragraphs from Markdown; every code the sources can report is documented with a title
// and a prose description; links and the one base URL (the build's default, the environment's
// override); Markdown to plain text.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <string>

#include "grammar/doc_links.h"

namespace {

namespace fs = std::filesystem;

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

TEST_CASE("doc links: headings, several codes in one, unused ones, fences, tables", "[doc_links]") {
  const std::string md =
      "# Page\n"
      "\n"
      "<a id=\"RK0101\"></a>\n"
      "### RK0101 expected something else here\n"
      "\n"
      "The parser got stuck: the message says\n"
      "what it expected.\n"
      "\n"
      "More text.\n"
      "\n"
      "### RK0204 (unused)\n"
      "\n"
      "Reserved.\n"
      "\n"
      "```\n"
      "### RK0999 inside a fence is not a heading\n"
      "```\n"
      "\n"
      "### RK0613 unused-parameter, RK0614 unused-let\n"
      "A `parameter` or `let` that nothing reads.\n"
      "### RK0307 `if` branches\n"
      "\n"
      "```\n"
      "code first\n"
      "```\n"
      "\n"
      "## Errors in tests\n"
      "\n"
      "| code | meaning | example |\n"
      "|---|---|---|\n"
      "| RK0701 | expected something else here | `given x 3` \\| more |\n";
  const auto docs = rk::parse_code_docs("p.md", md);
  REQUIRE(docs.size() == 5);
  CHECK(docs[0].code == "RK0101");
  CHECK(docs[0].page == "p.md");
  CHECK(docs[0].anchor == "RK0101");  // the explicit anchor above the heading
  CHECK(docs[0].title == "expected something else here");
  CHECK(docs[0].description == "The parser got stuck: the message says what it expected.");
  CHECK(docs[1].code == "RK0613");
  CHECK(docs[1].title == "unused-parameter");
  CHECK(docs[2].code == "RK0614");
  CHECK(docs[2].title == "unused-let");
  CHECK(docs[1].anchor == "rk0613-unused-parameter-rk0614-unused-let");
  CHECK(docs[2].anchor == docs[1].anchor);
  CHECK(docs[2].description == "A `parameter` or `let` that nothing reads.");
  CHECK(docs[3].code == "RK0307");
  CHECK(docs[3].anchor == "rk0307-if-branches");
  CHECK(docs[3].description.empty());  // a code block first: no description
  CHECK(docs[4].code == "RK0701");
  CHECK(docs[4].anchor == "errors-in-tests");
  CHECK(docs[4].title == "expected something else here");
  CHECK(docs[4].description == "Expected something else here. For example: `given x 3` | more.");
}

TEST_CASE("doc links: every code the sources report is documented, with prose", "[doc_links]") {
  const fs::path root = RK_SOURCE_DIR;
  // Codes written in the sources of every stage that reports diagnostics.
  std::set<std::string> used;
  static const std::regex literal(R"re("(RK[0-9]{4})")re");
  for (const char* dir : {"grammar", "compiler", "runtime", "cli", "lsp"})
    for (const auto& e : fs::recursive_directory_iterator(root / dir)) {
      const std::string ext = e.path().extension().string();
      if (ext != ".cpp" && ext != ".h") continue;
      const std::string text = read_file(e.path());
      for (std::sregex_iterator it(text.begin(), text.end(), literal), end; it != end; ++it)
        used.insert((*it)[1]);
    }
  REQUIRE(used.size() > 50);
  std::set<std::string> documented;
  for (const auto& d : rk::code_docs()) {
    INFO(d.code << " in " << d.page);
    CHECK(documented.insert(d.code).second);  // each code documented once
    CHECK(!d.title.empty());
    CHECK(d.description.size() > 20);
    CHECK(d.description.rfind("**Fix", 0) == std::string::npos);
    CHECK(d.description.rfind("Golden", 0) == std::string::npos);
    const std::string page = read_file(root / "docs" / d.page);
    REQUIRE(!page.empty());
  }
  for (const auto& c : used) {
    INFO(c << " is reported but not documented in docs/diagnostics.md, lints.md or testing.md");
    CHECK(documented.count(c) == 1);
  }
  // The pages are the docs' own: a lint is described from docs/lints.md.
  const rk::CodeDoc* lint = rk::find_code_doc("RK0608");
  REQUIRE(lint != nullptr);
  CHECK(lint->page == "lints.md");
  CHECK(lint->anchor == "rk0608-channel-without-consent");
  CHECK(lint->description.find("consent") != std::string::npos);
  const rk::CodeDoc* test = rk::find_code_doc("RK0712");
  REQUIRE(test != nullptr);
  CHECK(test->page == "testing.md");
  CHECK(test->anchor == "errors");
  CHECK(rk::find_code_doc("RK0204") == nullptr);  // (unused)
  CHECK(rk::find_code_doc("RK9999") == nullptr);
}

TEST_CASE("doc links: one base URL, the build's default or the environment's", "[doc_links]") {
  const std::string def(rk::default_docs_base_url());
  CHECK(def.rfind("https://", 0) == 0);
  const char* saved = std::getenv("REKINDLE_DOCS_URL");
  const std::string saved_value = saved ? saved : "";
  ::unsetenv("REKINDLE_DOCS_URL");
  CHECK(rk::docs_base_url() == (def.back() == '/' ? def : def + "/"));
  ::setenv("REKINDLE_DOCS_URL", "https://docs.example/rk", 1);  // a `/` is added
  CHECK(rk::docs_base_url() == "https://docs.example/rk/");
  ::setenv("REKINDLE_DOCS_URL", "", 1);  // empty: the default
  CHECK(rk::docs_base_url().rfind("https://", 0) == 0);
  if (saved)
    ::setenv("REKINDLE_DOCS_URL", saved_value.c_str(), 1);
  else
    ::unsetenv("REKINDLE_DOCS_URL");

  CHECK(rk::docs_link("https://d/", "RK0201") == "https://d/diagnostics.md#RK0201");
  CHECK(rk::docs_link("B/", "RK0614") == "B/lints.md#rk0613-unused-parameter-rk0614-unused-let");
  CHECK(rk::docs_link("B/", "RK0705") == "B/testing.md#errors");
  CHECK(rk::docs_link("", "RK0201").empty());
  CHECK(rk::docs_link("B/", "RK9999").empty());
}

TEST_CASE("doc links: Markdown to plain text", "[doc_links]") {
  CHECK(rk::markdown_to_text("a `b` **c** [d](e.md#f) g") == "a b c d g");
  CHECK(rk::markdown_to_text("`\\\"` and \\* x") == "\\\" and * x");
  CHECK(rk::markdown_to_text("[unclosed") == "[unclosed");
  CHECK(rk::markdown_to_text("").empty());
}
