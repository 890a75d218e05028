// Rekindle CLI: `rekindle lsp` runs the language server (lsp/) on standard input and output:
// LSP 3.17 over JSON-RPC, for editors (editors/vscode, Neovim, Helix; docs/editor.md). Exit 0
// after the client's `shutdown` and `exit`, 1 when the input ends or `exit` comes without
// `shutdown`.
#include <iostream>

#include "cli/command.h"
#include "grammar/doc_links.h"
#include "lsp/server.h"

namespace rk::cli {
namespace {

struct LspArgs {
  std::string docs_url;
  bool no_lint = false;
  unsigned lint_timeout_ms = 100;
  unsigned lint_budget_ms = 10000;
  unsigned lint_delay_ms = 200;
  bool stdio = false;
};

std::function<int()> setup_lsp(CLI::App& app) {
  auto args = std::make_shared<LspArgs>();
  auto* sub = app.add_subcommand(
      "lsp",
      "Run the language server on standard input and output (for editors: diagnostics, "
      "lints, quick fixes, hover, go to definition, completion, formatting)");
  sub->add_flag("--stdio", args->stdio,
                "Talk over standard input and output (the default and only transport; accepted "
                "because clients pass it)");
  sub->add_option("--docs-url", args->docs_url,
                  "Base URL of the documentation that error codes link to, ending in `/`; "
                  "default: $REKINDLE_DOCS_URL, else the build's " +
                      std::string(default_docs_base_url()));
  sub->add_flag("--no-lint", args->no_lint, "Do not run the RK06xx lints while editing");
  sub->add_option("--lint-timeout-ms", args->lint_timeout_ms,
                  "Time limit per lint solver question in milliseconds (default 100)")
      ->check(CLI::Range(1u, 600000u));
  sub->add_option("--lint-budget-ms", args->lint_budget_ms,
                  "Time limit for all lints of one version of a document (default 10000)")
      ->check(CLI::Range(1u, 3600000u));
  sub->add_option("--lint-delay-ms", args->lint_delay_ms,
                  "Start the lints after this pause in editing, in milliseconds (default 200)")
      ->check(CLI::Range(0u, 60000u));
  sub->footer(
      "Editors start it as `rekindle lsp`; see docs/editor.md for VS Code, Neovim and Helix.\n"
      "Messages that cannot be handled get JSON-RPC error replies; logs go to standard error.");
  return [args]() {
    std::ios::sync_with_stdio(false);
    lsp::ServerOptions opts;
    opts.docs_base = args->docs_url.empty() ? docs_base_url() : args->docs_url;
    opts.lint = !args->no_lint;
    opts.lint_timeout_ms = args->lint_timeout_ms;
    opts.lint_budget_ms = args->lint_budget_ms;
    opts.lint_delay_ms = args->lint_delay_ms;
    return lsp::run_server(std::cin, std::cout, opts);
  };
}

}  // namespace

RK_COMMAND(lsp, "lsp", setup_lsp);

}  // namespace rk::cli
