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

// Where the IR came from: every rule with its condition node and every checked expression with
// its node, so tools (explain, lint, test coverage) can point back at the source.
struct SourceMap {
  enum class Kind : uint8_t {
    Label,
    Otherwise,
    Candidate,
    Stop,
    Review,
    Touch,
    Exit,
    Channel,
    Let,
    Enter
  };
  struct Rule {
    Kind kind;
    std::string owner;  // segment or sequence name ("" for candidate, stops, reviews, lets)
    std::string name;   // label, rule, touch, exit or channel name
    ast::Span span;     // the whole declaration
    uint32_t cond = UINT32_MAX;  // the condition's node as written (three-valued), if any
    std::string doc;
  };
  std::vector<Rule> rules;
  struct Expr {
    ast::Span span;
    uint32_t node;
  };
  std::vector<Expr> exprs;  // every checked expression that has a node, in checking order
  // Schema fields each node reads (by node id), computed on demand by tools.
};

struct CompileResult {
  std::optional<ir::Program> program;  // set when there are no errors
  std::vector<Diagnostic> diags;
  SourceSet sources;
  SourceMap map;
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
