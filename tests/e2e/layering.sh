#!/usr/bin/env bash
# Rekindle layering test: the libraries are linked one way (base -> grammar -> compiler -> runtime
# -> cli, and grammar -> compiler -> lsp -> cli; see docs/design.md), and these #include rules
# keep it so. It prints every offending file:line.
#   - base/ includes nothing of the project (grammar/, compiler/, runtime/, lsp/, cli/, python/), no
#     LLVM header: it is the library under everything.
#   - runtime/ and cli/ never include the parser (grammar/parser.h) or the PEGTL grammar
#     (grammar/grammar.h): they work from what the compiler returns (CompileResult: the IR, the
#     source map, the sources); runtime/ does not include the AST (grammar/ast.h) directly either.
#   - grammar/ includes nothing of compiler/ or runtime/, and no LLVM header.
#   - compiler/ includes LLVM headers only in compiler/jit; runtime/ includes none.
#   - lsp/ (the language server) includes nothing of runtime/ and no LLVM header (so nothing of
#     compiler/jit either); grammar/, compiler/ and runtime/ include nothing of lsp/.
# The scanner first proves itself on a planted tree, so a broken pattern cannot pass silently.
# Usage: bash tests/e2e/layering.sh [REKINDLE_BINARY]  (the binary is not needed)
set -euo pipefail
SRC=$(cd "$(dirname "$0")/../.." && pwd)

# Prints "file:line: message" for each include of a header matching the ERE `pattern` in the C++
# files under `dir` (relative to `root`), skipping files under `skip` (a directory, or "").
check() {  # check ROOT DIR PATTERN SKIP MESSAGE
  local root=$1 dir=$2 pattern=$3 skip=$4 message=$5
  [ -d "$root/$dir" ] || return 0
  (cd "$root" && grep -rnE --include='*.h' --include='*.hpp' --include='*.cpp' --include='*.cc' \
    --include='*.inc' "^[[:space:]]*#[[:space:]]*include[[:space:]]*[<\"]($pattern)[\">]" "$dir" ||
    true) |
    while IFS= read -r hit; do
      local file=${hit%%:*}
      if [ -n "$skip" ] && [[ "$file" == "$skip"/* ]]; then continue; fi
      local rest=${hit#*:}
      echo "${file}:${rest%%:*}: $message: ${rest#*:}"
    done
}

LLVM='llvm/[^">]*|llvm-c/[^">]*'
scan() {  # scan ROOT: every violation, one per line
  local root=$1
  local use="use compiler/check/compile.h; the reserved words are in grammar/names.h"
  for dir in runtime cli; do
    check "$root" "$dir" 'grammar/parser\.h|grammar/grammar\.h' "" \
      "$dir/ must not include the parser or the grammar ($use)"
  done
  check "$root" runtime 'grammar/ast\.h' "" \
    "runtime/ must not include the AST (the source map in compiler/check/compile.h has spans)"
  check "$root" base "grammar/[^\">]*|compiler/[^\">]*|runtime/[^\">]*|lsp/[^\">]*|cli/[^\">]*|python/[^\">]*|$LLVM" \
    "" "base/ must not include anything of the project or LLVM"
  check "$root" grammar "compiler/[^\">]*|runtime/[^\">]*|$LLVM" "" \
    "grammar/ must not include the compiler, the runtime or LLVM"
  check "$root" compiler "$LLVM" compiler/jit "only compiler/jit may include LLVM"
  check "$root" runtime "$LLVM" "" "runtime/ must not include LLVM"
  check "$root" lsp "runtime/[^\">]*|compiler/jit/[^\">]*|$LLVM" "" \
    "lsp/ must not include the runtime, the JIT or LLVM"
  for dir in grammar compiler runtime; do
    check "$root" "$dir" 'lsp/[^">]*' "" "$dir/ must not include the language server"
  done
}

# 1. The scanner finds planted violations (and only those).
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
mkdir -p "$TMP"/{runtime/sub,cli,grammar,compiler/check,compiler/jit,lsp,base}
printf '#include "grammar/parser.h"\n#include "compiler/check/compile.h"\n' > "$TMP/runtime/a.cpp"
printf '// x\n  #  include <grammar/grammar.h>\n' > "$TMP/runtime/sub/b.h"
printf '#include "grammar/ast.h"\n#include <llvm/IR/Module.h>\n' > "$TMP/runtime/c.cpp"
printf '#include "grammar/grammar.h"\n#include "grammar/names.h"\n' > "$TMP/cli/d.cpp"
printf '#include "compiler/ir/helpers.h"\n#include "runtime/x.h"\n#include "llvm-c/Core.h"\n' \
  > "$TMP/grammar/e.cpp"
printf '#include "grammar/ast.h"\n' > "$TMP/grammar/ok.h"
printf '#include "llvm/ADT/StringRef.h"\n' > "$TMP/compiler/check/f.cpp"
printf '#include "base/date.h"\n#include "grammar/ast.h"\n#include "runtime/x.h"\n' > "$TMP/base/g.cpp"
printf '#include <string>\n#include "compiler/ir/program.h"\n#include "llvm/IR/Module.h"\n' > "$TMP/base/h.h"
printf '#include "llvm/ADT/StringRef.h"\n// #include "grammar/parser.h"\n' \
  > "$TMP/compiler/jit/ok.cpp"
printf '#include "grammar/parser.h"\n#include "compiler/lint/lint.h"\n#include "runtime/x.h"\n' \
  > "$TMP/lsp/g.cpp"
printf '#include "compiler/jit/jit.h"\n#include <llvm/IR/Module.h>\n' > "$TMP/lsp/h.h"
printf '#include "lsp/server.h"\n' > "$TMP/compiler/check/i.cpp"
got=$(scan "$TMP" | cut -d: -f1,2 | sort | tr '\n' ' ')
want="base/g.cpp:2 base/g.cpp:3 base/h.h:2 base/h.h:3 cli/d.cpp:1 compiler/check/f.cpp:1 \
compiler/check/i.cpp:1 grammar/e.cpp:1 grammar/e.cpp:2 grammar/e.cpp:3 lsp/g.cpp:3 lsp/h.h:1 \
lsp/h.h:2 runtime/a.cpp:1 runtime/c.cpp:1 runtime/c.cpp:2 runtime/sub/b.h:2 "
if [ "$got" != "$want" ]; then
  echo "layering.sh: the scanner is broken"
  echo "  found:    $got"
  echo "  expected: $want"
  exit 1
fi

# 2. The source tree has none.
found=$(scan "$SRC")
if [ -n "$found" ]; then
  echo "layering violations:"
  echo "$found"
  exit 1
fi
echo "layering: nothing of the project in base/, no parser in runtime/ or cli/, nothing above grammar/ in it, LLVM only in compiler/jit, lsp/ beside runtime/"
