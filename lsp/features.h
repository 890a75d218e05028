// Rekindle language server: the answers to the editor's questions, as LSP 3.17 JSON: diagnostics,
// hover, go to definition, find references, document symbols, semantic tokens, quick fixes and
// formatting (completion is in completion.h). Each reads one Analysis through a View that converts
// its byte places into the client's positions and file URIs.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "lsp/analysis.h"
#include "lsp/json_rpc.h"
#include "lsp/text.h"

namespace rk::lsp {

// An analysis as the client sees it.
class View {
 public:
  // `doc_uri` is the document's URI as the client sent it (the other files get `file://` URIs).
  View(const Analysis& a, Encoding enc, const std::string& doc_uri);

  const Analysis& analysis() const { return a_; }
  Encoding encoding() const { return enc_; }
  const std::string& uri(uint32_t file) const { return uris_[file]; }
  const LineIndex& lines(uint32_t file) const { return lines_[file]; }
  json range(const Loc& l) const;
  json location(const Loc& l) const;
  // The byte offset of a client position in the document (file 0).
  uint32_t offset(Position p) const { return lines_[0].offset(p, enc_); }

 private:
  const Analysis& a_;
  Encoding enc_;
  std::vector<std::string> uris_;
  std::vector<LineIndex> lines_;
};

Position position_from_json(const json& j);  // throws json::exception when malformed

// LSP Diagnostic objects for problems of the analysis.
json diagnostic_json(const View& v, const Problem& p, const std::string& docs_base);
json diagnostics_json(const View& v, const std::vector<Problem>& problems,
                      const std::string& docs_base);

json hover(const View& v, Position p);
json definition(const View& v, Position p);
// References to the symbol at `p` in `v`, found in every view in `all` (which includes `v`).
json references(const View& v, Position p, const std::vector<const View*>& all,
                bool include_declaration);
json document_symbols(const View& v);

const std::vector<std::string>& semantic_token_types();
const std::vector<std::string>& semantic_token_modifiers();
json semantic_tokens(const View& v);

// Quick fixes for the problems that touch `range`.
json code_actions(const View& v, const Range& range, const std::vector<Problem>& problems,
                  const std::string& docs_base);

// The edits that format the document; nullopt (with `error`) when it does not parse.
std::optional<json> formatting(const View& v, std::string& error);

}  // namespace rk::lsp
