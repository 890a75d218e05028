// Rekindle compiler: what the checker's passes share (internal to compiler/check). One
// compilation is a Context: the sources and diagnostics, the loaded files, the program being
// built (schema, atoms, outputs, layout) with its node builder, and the side table of every
// checked expression's type and node, indexed by file and expression id (like cel-cpp's checked
// AST: the AST stays as parsed, what the checker learns about it lives beside it).
//
// The passes, in order (compile.cpp runs them): load.cpp (a rule file and its imports),
// schema.cpp (the schema), symbols.cpp (every declaration in its namespace), params.cpp
// (parameter defaults and --param overrides), then the lowering of declarations on first use
// (rules.cpp: lets, segments, candidate, stops; sequence.cpp: sequences; outputs.cpp: reviews,
// the layout's result values and the output contract's columns), each reading its expressions
// through expr.cpp (one handler per expression kind) with names.cpp (what a name refers to) and
// types.cpp (types and units); source_map.cpp records what tools need of the source.
#pragma once

#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "compiler/check/codes.h"
#include "compiler/check/compile.h"
#include "compiler/check/types.h"
#include "compiler/ir/node_builder.h"
#include "compiler/ir/program.h"
#include "grammar/ast.h"
#include "grammar/source_root.h"

namespace rk::check {

inline constexpr int kMaxLabels = 127;
inline constexpr int kMaxTouches = 127;
inline constexpr size_t kMaxDecls = 20000;
inline constexpr int kMaxExprDepth = 20000;

// A checked expression: its type and the IR node computing it. String and list fields have no
// node (they are read through atoms) but remember their field.
struct Typed {
  Type type;
  uint32_t node = UINT32_MAX;
  int field = -1;
};

inline Typed error_typed() {
  return Typed{};
}

// The side table: the result of checking each expression, by file and expression id.
class ExprTable {
 public:
  void set(const ast::File& file, ast::ExprId id, const Typed& t);
  // The checked expression `id` of file `file`; nullptr when it was not checked.
  const Typed* find(uint32_t file, ast::ExprId id) const;

 private:
  std::vector<std::vector<Typed>> by_file_;  // [file index][expression id]
  std::vector<std::vector<uint8_t>> checked_;
};

// The files of one compilation, as loaded.
struct Files {
  std::vector<std::shared_ptr<ast::File>> all;  // every parsed file
  std::vector<const ast::File*> rules;          // rule files; imports before their importers
  const ast::File* schema = nullptr;
  std::set<std::string> loaded;  // canonical paths, so a file imported twice is read once
  ast::Span first;               // the start of the first rule file
  SourceRoot root;               // the folder imports are confined to (grammar/source_root.h)
};

struct Context {
  Context(SourceSet& sources, std::vector<Diagnostic>& diagnostics, const CompileOptions& options,
          SourceMap* source_map)
      : src(sources), diags(diagnostics), opts(options), map(source_map) {}

  SourceSet& src;
  std::vector<Diagnostic>& diags;
  const CompileOptions& opts;
  SourceMap* map;  // nullptr: no source map wanted
  Files files;
  ir::Program program;  // the schema, atoms, outputs and layout being built
  ir::NodeBuilder nb;   // its nodes
  ExprTable table;

  void error(Code code, const ast::Span& span, std::string msg, std::string help = {});
  void error_note(Code code, const ast::Span& span, std::string msg, const ast::Span& at,
                  std::string note);
  bool failed() const { return has_errors(diags); }
  ast::Span file_span(uint32_t file) const { return src.span_at(file, 0, 1); }
  std::string_view source_text(const ast::Span& s) const {
    return std::string_view(src.file(s.file).text).substr(s.offset, s.len);
  }
};

}  // namespace rk::check
