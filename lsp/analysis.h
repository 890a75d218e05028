// Rekindle language server: the analysis of one document version. A rule file is compiled by the
// project's compiler from the editor's text (imports from open buffers, else disk), a schema file
// is checked alone, a test file is parsed; their diagnostics become Problems (with quick fixes for
// "did you mean" and a missing `because`), and the ASTs of the document and its imports become the
// symbol index (index.h). When the document does not parse, the index is built from the last
// version that did, moved over the edit since (OffsetMap), or, for a document that never parsed,
// from the declarations before the one with the error. Lint warnings come separately
// (`lint`), as they take longer. This file and index.cpp are the only ones that know the
// compiler's result types and the AST, so a change there is adapted here.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "grammar/diagnostics.h"
#include "lsp/index.h"

namespace rk {
struct CompileResult;
struct LintOptions;
}  // namespace rk

namespace rk::lsp {

enum class DocKind : uint8_t { Rules, Schema, Test };

// The kind of a document: by its language id (`rekindle-rules`, `rekindle-schema`,
// `rekindle-test`), else by its extension (`.schema`, `.test`; anything else is a rule file).
DocKind doc_kind(std::string_view language_id, std::string_view path);

struct SourceText {
  std::string path;
  std::string text;
};

struct Edit {
  Loc loc;
  std::string text;
};
struct Fix {
  std::string title;
  std::vector<Edit> edits;
};
struct Related {
  std::string message;
  Loc loc;
};

// A diagnostic as the editor shows it: placed in the document (a problem in an imported file is
// shown at the `import` that brings it in, with the exact place as related information).
struct Problem {
  Severity severity = Severity::Error;
  std::string code;
  std::string message;  // with the help and the notes that have no place
  Loc loc;
  std::vector<Related> related;
  std::vector<Fix> fixes;
};

// The text of an open document at `path` (an absolute path), or nullopt to read the disk.
using FileReader = std::function<std::optional<std::string>(const std::string& path)>;

// A document version that parsed, kept for the versions after it that do not.
struct ParsedDoc;

struct Analysis {
  DocKind kind = DocKind::Rules;
  int64_t version = 0;
  std::vector<SourceText> files;  // [0]: the document; then the files it imports
  Index index;
  std::vector<Problem> problems;  // errors and warnings of the parser and the checker
  std::shared_ptr<const CompileResult> compiled;  // rule files: the lint's input
  std::shared_ptr<const ParsedDoc> parsed;        // the last version of the document that parsed
  bool stale = false;  // this version did not parse: the index is of `parsed`, moved over the edit
  // Per file: the document's `import` that brings it in (where its problems are shown).
  std::vector<std::optional<Loc>> import_sites;
};

struct AnalyzeInput {
  DocKind kind = DocKind::Rules;
  std::string path;  // absolute, or a name for a document that is not a file
  std::string text;
  int64_t version = 0;
  FileReader read;                          // open documents
  std::shared_ptr<const ParsedDoc> parsed;  // the last version that parsed, if any
};

// Never throws for any text.
std::shared_ptr<const Analysis> analyze(const AnalyzeInput& in);

// The time limit per guarantee while editing (milliseconds).
inline constexpr unsigned kEditorGuaranteeTimeoutMs = 2000;
// The lint warnings of a rule file without errors (else none), then its guarantees (RK0801 errors,
// RK0802 warnings), placed like `problems`. Runs the solver: seconds on a large file, so the
// server calls it off its main thread.
std::vector<Problem> lint(const Analysis& a, const LintOptions& opts);

// The canonical layout of a schema or rule file (compiler/format); nullopt with the first syntax
// error (`file:line:col: message`) in `error` when it does not parse.
std::optional<std::string> format_document(const std::string& path, const std::string& text,
                                           std::string& error);

// The `because "..."` text proposed for a stop rule named `name`: `poor_fit` -> "Poor fit".
std::string reason_for(std::string_view name);

}  // namespace rk::lsp
