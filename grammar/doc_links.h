// Rekindle diagnostics: where each diagnostic code is documented, in one place for every tool that
// links to the docs (SARIF `helpUri` and rule descriptions, the language server's
// codeDescription links). The documentation base URL is the build's REKINDLE_DOCS_URL (CMake) or,
// when set, the environment variable of the same name; each code's page, anchor, title and
// description are read from the docs pages themselves (docs/diagnostics.md, docs/lints.md,
// docs/testing.md), embedded at build time, so a code documented there is linked and described.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace rk {

struct CodeDoc {
  std::string code;         // RKxxxx
  std::string page;         // diagnostics.md, lints.md or testing.md
  std::string anchor;       // the heading's anchor as GitHub makes it: rk0201-unknown-name
  std::string title;        // the heading's words for this code: "unknown name" (Markdown)
  std::string description;  // the section's first paragraph, on one line (Markdown)
};

// The codes documented in one Markdown page: `### RKxxxx title` headings (several codes in one
// heading as `### RK0613 a, RK0614 b`; `(unused)` ones skipped), each described by the first
// paragraph below it; and rows `| RKxxxx | meaning | example |` of a table, described by their
// cells and anchored at the section above the table.
std::vector<CodeDoc> parse_code_docs(std::string_view page, std::string_view markdown);

// Every documented code, in page order (diagnostics, lints, tests), read once from the embedded
// docs pages.
const std::vector<CodeDoc>& code_docs();
// The documentation of one code, or nullptr.
const CodeDoc* find_code_doc(std::string_view code);

// Where the docs are published, ending in `/`: $REKINDLE_DOCS_URL when set and not empty, else
// the build's default (CMake's REKINDLE_DOCS_URL). The one setting that SARIF output and the
// language server share.
std::string docs_base_url();
// The build's default alone (for `--help` texts and tests).
std::string_view default_docs_base_url();

// base + page + "#" + anchor ("https://.../docs/diagnostics.md#rk0201-unknown-name"); empty when
// `base` is empty or the code is not documented.
std::string docs_link(std::string_view base, std::string_view code);

// Markdown to plain text for descriptions: `code` spans and **emphasis** lose their marks,
// [text](link) keeps its text.
std::string markdown_to_text(std::string_view md);

}  // namespace rk
