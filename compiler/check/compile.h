// Rekindle compiler: the front door. Parses a rule file with its imports (or a schema file),
// checks names, types, units and structure, and lowers the result to the IR. Every problem is a
// Diagnostic in the result; nothing is thrown.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "compiler/ir/program.h"
#include "grammar/diagnostics.h"

namespace rk {

struct CompileOptions {
  // `--param name=value` overrides, parsed by the parameter's declared type.
  std::map<std::string, std::string> params;
};

struct CompileResult {
  std::optional<ir::Program> program;  // set when there are no errors
  std::vector<Diagnostic> diags;
  SourceSet sources;
};

// Compiles the rule file at `path` (reading its imports relative to it).
CompileResult compile_rules(const std::string& path, const CompileOptions& opts = {});
// Same, from text already in memory (path is used for messages and relative imports).
CompileResult compile_rules_text(const std::string& path, std::string text,
                                 const CompileOptions& opts = {});

struct SchemaResult {
  std::optional<Schema> schema;
  std::vector<Diagnostic> diags;
  SourceSet sources;
};
// Parses and checks a schema file alone (e.g. for `rekindle convert --schema`).
SchemaResult compile_schema(const std::string& path);

}  // namespace rk
