#!/usr/bin/env bash
# Rekindle editor tests, run by ctest: the LSP session with a real client (lsp_session.test.mjs)
# and the TextMate grammar tokenization (grammar.test.mjs), with node's test runner.
# Skipped (exit 77, which ctest reports as skipped) when node or the npm packages are missing:
# install them with `npm ci` in tests/editor (.ci/run does).
# Usage: bash tests/editor/run.sh REKINDLE_BINARY [TEST_FILE...]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bin=$1
shift
if ! command -v node >/dev/null 2>&1; then
  echo "skipped: node is not installed"
  exit 77
fi
for m in vscode-languageserver-protocol vscode-jsonrpc vscode-textmate vscode-oniguruma; do
  if [ ! -d "$here/node_modules/$m" ]; then
    echo "skipped: tests/editor/node_modules/$m is missing (run npm ci in tests/editor)"
    exit 77
  fi
done
if [ $# -eq 0 ]; then set -- "$here"/*.test.mjs; fi
REKINDLE=$bin exec node --test "$@"
