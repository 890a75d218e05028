#!/usr/bin/env bash
# Rekindle end-to-end test of the JIT's fallback: on a host without executable memory (simulated
# by the LD_PRELOAD shim tests/shims/no_exec_memory.c, whose mmap/mprotect refuse PROT_EXEC with
# EACCES), `rekindle eval`, `diff` and `test` print one warning on standard error, no stray LLVM
# message, exit 0 and give exactly the interpreter's results.
set -euo pipefail
REKINDLE=$1
SHIM=$2
SRC=$(cd "$(dirname "$0")/../.." && pwd)
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
cd "$TMP"
RULES="$SRC/rules/winback.rules"
SAMPLE="$SRC/rules/sample.csv"
# No object cache: a cached kernel would still need executable memory, but keep runs independent
# of the user's cache. A sanitizer build's runtime tolerates being loaded after the shim.
export REKINDLE_CACHE=0
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"
[ -f "$SHIM" ] || { echo "FAILED: the shim $SHIM is not built"; exit 1; }
fail() { echo "FAILED: $*"; exit 1; }
no_exec() { LD_PRELOAD="$SHIM${LD_PRELOAD:+ $LD_PRELOAD}" "$@"; }

WARNING_RE='^rekindle: warning: the JIT is unavailable \(.*Permission denied.*\); using the interpreter$'

echo "== without the shim the JIT runs and nothing is said"
"$REKINDLE" eval "$RULES" --snapshot "$SAMPLE" --as-of 2026-11-01 --quiet > jit.csv 2> jit.err
[ ! -s jit.err ] || { cat jit.err; fail "stderr of a normal JIT run is not empty"; }
"$REKINDLE" eval "$RULES" --snapshot "$SAMPLE" --as-of 2026-11-01 --engine interp --quiet \
  > interp.csv
cmp jit.csv interp.csv

echo "== the shim denies executable memory to a plain process"
command -v python3 > /dev/null || fail "python3 is needed to check the shim"
if no_exec python3 -c 'import mmap; mmap.mmap(-1, 4096, prot=mmap.PROT_READ | mmap.PROT_EXEC)' \
  2> /dev/null; then
  fail "the shim did not refuse an executable mapping"
fi

echo "== eval falls back to the interpreter: one warning, exit 0, the interpreter's output"
set +e
no_exec "$REKINDLE" eval "$RULES" --snapshot "$SAMPLE" --as-of 2026-11-01 --quiet \
  > fallback.csv 2> fallback.err
code=$?
set -e
cat fallback.err
[ "$code" = 0 ] || fail "eval exited $code"
[ "$(wc -l < fallback.err)" = 1 ] || fail "expected exactly one line on stderr"
grep -Eq "$WARNING_RE" fallback.err || fail "the warning is not as expected"
cmp fallback.csv interp.csv

echo "== the summary names the engine that ran"
no_exec "$REKINDLE" eval "$RULES" --snapshot "$SAMPLE" --as-of 2026-11-01 --out out.jsonl \
  --summary summary.json 2> /dev/null
grep -q '"engine": *"interp"' summary.json || fail "summary.json does not say interp"
no_exec "$REKINDLE" eval "$RULES" --snapshot "$SAMPLE" --as-of 2026-11-01 --out out.csv \
  2> summary.err
grep -q ', as of 2026-11-01, interp engine$' summary.err || fail "the summary does not say interp"
! grep -q 'JIT session error' summary.err || fail "a stray LLVM message on stderr"
cmp out.csv interp.csv
"$REKINDLE" eval "$RULES" --snapshot "$SAMPLE" --as-of 2026-11-01 --engine interp \
  --out interp.jsonl --quiet
cmp out.jsonl interp.jsonl

echo "== diff falls back the same way"
no_exec "$REKINDLE" diff "$RULES" "$RULES" --snapshot "$SAMPLE" --as-of 2026-11-01 \
  > diff.out 2> diff.err
grep -Eq "$WARNING_RE" diff.err || { cat diff.err; fail "diff did not warn"; }
! grep -q 'JIT session error' diff.err || fail "a stray LLVM message on stderr"
"$REKINDLE" diff "$RULES" "$RULES" --snapshot "$SAMPLE" --as-of 2026-11-01 --engine interp \
  > diff_interp.out 2> /dev/null
cmp diff.out diff_interp.out

echo "== rule tests run on the interpreter only, with a warning"
no_exec "$REKINDLE" test "$SRC/rules/winback.test" > test.out 2> test.err
cat test.err
[ "$(wc -l < test.err)" = 1 ] || fail "expected exactly one line on stderr"
grep -Eq '^rekindle: warning: the JIT is unavailable \(.*Permission denied.*\); tests ran on the interpreter only$' \
  test.err || fail "rekindle test did not warn"
tail -n 1 test.out | grep -Eq '^[0-9]+ passed, 0 failed$'
echo "== an object cache folder others can write to is not used, and every command says so"
mkdir shared_cache && chmod 777 shared_cache
CACHE_RE='^rekindle: warning: the JIT object cache is not used: .*shared_cache is writable by other users'
for cmd in "eval $RULES --snapshot $SAMPLE --as-of 2026-11-01 --quiet" \
  "diff $RULES $RULES --snapshot $SAMPLE --as-of 2026-11-01" "test $SRC/rules/winback.test"; do
  # shellcheck disable=SC2086
  REKINDLE_CACHE=1 REKINDLE_CACHE_DIR="$TMP/shared_cache" "$REKINDLE" $cmd > cached.out 2> cached.err
  grep -Eq "$CACHE_RE" cached.err || { cat cached.err; fail "${cmd%% *}: no cache warning"; }
done
[ -z "$(ls -A shared_cache)" ] || fail "an entry was written to a folder others can write to"
"$REKINDLE" eval "$RULES" --snapshot "$SAMPLE" --as-of 2026-11-01 --quiet > cached.csv 2> /dev/null
cmp cached.csv interp.csv
echo "jit fallback: all checks passed"
