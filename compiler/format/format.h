// Rekindle formatter: prints a parsed schema or rule file in the one canonical layout (the
// playbook's house style) while keeping every comment in place. Used by `rekindle fmt`; the
// result parses to the same program (same ir::dump) and formatting it again changes nothing.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "grammar/diagnostics.h"

namespace rk {

struct FormatResult {
  std::optional<std::string> text;  // set when the file parsed; the canonical text
  std::vector<Diagnostic> diags;    // syntax errors (render with `sources`)
  SourceSet sources;
};

// Formats sources.file(file_index). Returns nullopt after adding the syntax errors to `diags`.
std::optional<std::string> format_source(const SourceSet& sources, uint32_t file_index,
                                         std::vector<Diagnostic>& diags);

// Formats `text` (named `path` in diagnostics).
FormatResult format_text(const std::string& path, std::string text);

}  // namespace rk
