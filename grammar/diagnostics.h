// Rekindle diagnostics: errors and warnings as data (severity, code, span, message, notes), the
// set of loaded source files they point into, and the one text renderer
// (`file:line:col: error[RK0103]: message`, the source line, a caret under the span).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "grammar/ast.h"

namespace rk {

enum class Severity : uint8_t { Error, Warning, Note };
std::string_view severity_name(Severity s);

struct DiagNote {
  std::string message;
  std::optional<ast::Span> span;
};

struct Diagnostic {
  Severity severity = Severity::Error;
  std::string code;  // e.g. "RK0103"
  std::string message;
  std::optional<ast::Span> span;  // absent for file-less errors (usage, I/O)
  std::vector<DiagNote> notes;
  std::string help;  // a suggested fix, e.g. "did you mean `last_purchase_date`?"
};

struct SourceFile {
  std::string path;  // as given by the user (shown in diagnostics)
  std::string text;
  std::vector<uint32_t> line_starts;  // byte offset of each line
};

// All source files of one compilation; spans index into it.
class SourceSet {
 public:
  // Adds an in-memory file and returns its index.
  uint32_t add(std::string path, std::string text);
  // Reads a file from disk (a regular file of at most kMaxSourceBytes); on failure adds an RK0501
  // (or RK0107) diagnostic and returns nullopt. `display` names the file in diagnostics (default:
  // `path`).
  std::optional<uint32_t> load(const std::string& path, std::vector<Diagnostic>& diags,
                               std::optional<ast::Span> from = std::nullopt,
                               const std::string& display = {});
  const SourceFile& file(uint32_t i) const { return files_[i]; }
  size_t size() const { return files_.size(); }
  // 1-based line and column of a byte offset.
  std::pair<uint32_t, uint32_t> line_col(uint32_t file, uint32_t offset) const;
  std::string_view line_text(uint32_t file, uint32_t line) const;
  ast::Span span_at(uint32_t file, uint32_t offset, uint32_t len) const;

 private:
  std::vector<SourceFile> files_;
};

// Renders one diagnostic as text: header, source line, caret line, notes, help.
std::string render_text(const SourceSet& sources, const Diagnostic& d, bool color = false);

inline bool has_errors(const std::vector<Diagnostic>& diags) {
  for (const auto& d : diags)
    if (d.severity == Severity::Error) return true;
  return false;
}

}  // namespace rk
