// Rekindle language server: the session. Reads LSP 3.17 messages (JSON-RPC 2.0, Content-Length
// framing) from one stream and answers on another: the life cycle (initialize, shutdown, exit),
// open documents kept in sync (full or incremental changes), diagnostics published after each
// change (errors and the checker's warnings first, then lint warnings when the solver is done,
// on a worker thread with a budget of its own; a newer edit stops older lint work), and the
// requests of features.h and completion.h. A burst of changes is checked once. A message the
// server cannot handle gets a JSON-RPC error reply; unknown notifications are ignored; nothing a
// client sends ends the session but `exit` and the end of the input.
#pragma once

#include <istream>
#include <ostream>
#include <string>

namespace rk::lsp {

struct ServerOptions {
  // Where codes link to (codeDescription.href): a URL ending in `/` under which
  // `diagnostics.md`, `lints.md` and `testing.md` are found. Empty: no links. `rekindle lsp`
  // passes rk::docs_base_url() (grammar/doc_links.h, the setting SARIF output uses too) unless
  // --docs-url is given; the client may set it with the initialization option `docsBaseUrl`.
  std::string docs_base;
  bool lint = true;                 // run the RK06xx lints (initialization option `lint`)
  unsigned lint_timeout_ms = 100;   // per solver question (`lintTimeoutMs`)
  unsigned lint_budget_ms = 10000;  // per lint run of one document version (`lintBudgetMs`)
  // Lints start after this pause in editing (`lintDelayMs`), so they do not compete with typing.
  unsigned lint_delay_ms = 200;
};

// Runs a session until `exit` or the end of `in`. Returns the process exit code: 0 after
// `shutdown` then `exit`, 1 otherwise (as LSP asks).
int run_server(std::istream& in, std::ostream& out, const ServerOptions& opts);

}  // namespace rk::lsp
