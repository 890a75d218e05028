// Rekindle compiler: the checker's shared state (see context.h): diagnostics and the side table.
#include "compiler/check/context.h"

namespace rk::check {

void ExprTable::set(const ast::File& file, ast::ExprId id, const Typed& t) {
  if (by_file_.size() <= file.file_index) {
    by_file_.resize(file.file_index + 1);
    checked_.resize(file.file_index + 1);
  }
  auto& row = by_file_[file.file_index];
  auto& seen = checked_[file.file_index];
  if (row.size() < file.exprs.size()) {
    row.resize(file.exprs.size());
    seen.resize(file.exprs.size(), 0);
  }
  row[id] = t;
  seen[id] = 1;
}

const Typed* ExprTable::find(uint32_t file, ast::ExprId id) const {
  if (file >= by_file_.size() || id >= by_file_[file].size() || !checked_[file][id]) return nullptr;
  return &by_file_[file][id];
}

void Context::error(Code code, const ast::Span& span, std::string msg, std::string help) {
  diags.push_back(Diagnostic{
      Severity::Error, std::string(info(code).code), std::move(msg), span, {}, std::move(help)});
}

void Context::error_note(Code code, const ast::Span& span, std::string msg, const ast::Span& at,
                         std::string note) {
  Diagnostic d{Severity::Error, std::string(info(code).code), std::move(msg), span, {}, {}};
  d.notes.push_back({std::move(note), at});
  diags.push_back(std::move(d));
}

}  // namespace rk::check
