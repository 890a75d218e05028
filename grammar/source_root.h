// Rekindle sources: the folder tree a compilation may read (its "root") and the resolution of a
// path written inside a source file (`import "x.schema"`, a test file's `rules "x.rules"`) into
// a file in that tree. Absolute paths, paths that leave the tree (`..`, or a symlink pointing
// out of it) and files that are not rule or schema files are refused with a diagnostic that
// names the path only, so no content of a file outside the project is ever read or quoted.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "grammar/diagnostics.h"

namespace rk {

// The folder a compilation may read from: `path` canonical (symlinks resolved), `shown` as the
// user wrote it (for messages).
struct SourceRoot {
  std::string path;
  std::string shown;
};

// The folder a compilation of `top_file` may read from: `root` when given (`--root`), else the
// folder of `top_file`. Returns nullopt with an RK0502 diagnostic when `root` is not a folder or
// `top_file` is not inside it.
std::optional<SourceRoot> source_root(const std::string& top_file, const std::string& root,
                                      std::vector<Diagnostic>& diags);

// A path written in a source file, resolved: `display` as shown in diagnostics (the folder of
// the file that names it joined with the text written), `open` the canonical path to read.
struct ResolvedSource {
  std::string display;
  std::string open;
};

// Resolves `written` (the text of `import "..."` or `rules "..."`) in the file `from_file`
// against `root`. `extensions` are the file name endings allowed (".rules",
// ".schema"); `what` names the construct in messages ("import", "rules file"). On a refusal adds
// an RK0502 (outside the root) or RK0503 (not a rule or schema file) error at `span` and returns
// nullopt. Nothing is opened: a missing file resolves (reading it then fails with RK0501).
std::optional<ResolvedSource> resolve_source(const SourceRoot& root, const std::string& from_file,
                                             const std::string& written,
                                             const std::vector<std::string_view>& extensions,
                                             std::string_view what,
                                             const std::optional<ast::Span>& span,
                                             std::vector<Diagnostic>& diags);

}  // namespace rk
