// Rekindle CLI: diagnostics output in the formats every checking command shares:
// text (for people), json, sarif (SARIF 2.1.0 for code scanning) and github (workflow commands).
#pragma once

#include <string>
#include <vector>

#include "grammar/diagnostics.h"

namespace rk::cli {

enum class DiagFormat { Text, Json, Sarif, Github };

bool parse_diag_format(const std::string& name, DiagFormat& out);
// Renders the diagnostics of one or more compilations (each with its own sources).
struct DiagSet {
  const SourceSet* sources;
  std::vector<Diagnostic> diags;
};
std::string render_diagnostics(const std::vector<DiagSet>& sets, DiagFormat format, bool color,
                               const std::string& tool_name = "rekindle");
// Prints diagnostics as text on standard error (coloured on a terminal): the errors of rules a
// command could not compile.
void print_diagnostics(const std::vector<DiagSet>& sets);

}  // namespace rk::cli
