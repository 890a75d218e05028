// Rekindle grammar: the entry point of the PEGTL parser. Parses one schema or rule file into an
// AST with source spans; syntax errors become RK01xx diagnostics (never exceptions).
#pragma once

#include <optional>
#include <vector>

#include "grammar/ast.h"
#include "grammar/diagnostics.h"

namespace rk {

// Limits that keep hostile input from exhausting the stack or memory.
inline constexpr size_t kMaxSourceBytes = 16u << 20;  // 16 MiB per file
inline constexpr int kMaxNesting = 256;               // nested parentheses / expressions

struct ParseOptions {
  std::vector<ast::Comment>* comments = nullptr;  // when set, receives every comment in order
};

// Parses sources.file(file_index). A file whose first declaration is `schema NAME` is a schema
// file. Returns nullopt after adding at least one error diagnostic.
std::optional<ast::File> parse_file(const SourceSet& sources, uint32_t file_index,
                                    std::vector<Diagnostic>& diags, const ParseOptions& opts = {});

}  // namespace rk
