#!/usr/bin/env bash
# Rekindle end-to-end test of which files `rekindle test` runs: a folder stands for every *.test
# file below it (sorted, hidden folders skipped), a rule file for the test files beside it that
# name it; a folder or rule file without tests is a usage error (exit 2) naming it; a file given
# twice runs once; a broken test file does not stop the others.
set -euo pipefail
REKINDLE=$1
SRC=$(cd "$(dirname "$0")/../.." && pwd)
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

expect_exit() {  # expect_exit CODE command...
  local want=$1; shift
  set +e; "$@"; local got=$?; set -e
  if [ "$got" != "$want" ]; then echo "FAILED: exit $got, expected $want: $*"; exit 1; fi
}
count() { grep -c "$1" "$2" || true; }

echo "== a folder: every *.test below it"
"$REKINDLE" test "$SRC/tests/rules/" --engine interp > "$TMP/dir.txt"
# The same files named one by one, found independently (in path order, as the folder is).
mapfile -t files < <(find "$SRC/tests/rules" -name '*.test' -not -path '*/.*' | LC_ALL=C sort)
[ "${#files[@]}" -ge 2 ] || { echo "FAILED: tests/rules has fewer than two test files"; exit 1; }
"$REKINDLE" test "${files[@]}" --engine interp > "$TMP/files.txt"
cmp "$TMP/dir.txt" "$TMP/files.txt" || { echo "FAILED: the folder ran other tests"; exit 1; }
# Each file's results follow its name, in path order.
[ "$(grep -n '^/.*\.test$' "$TMP/dir.txt" | cut -d: -f2)" = "$(printf '%s\n' "${files[@]}")" ]
want=0
for f in "${files[@]}"; do want=$(( want + $(grep -c '^test ' "$f") )); done
tail -n 1 "$TMP/dir.txt" | grep -qx "$want passed, 0 failed"
[ "$(count '^PASS ' "$TMP/dir.txt")" = "$want" ]

echo "== \`rekindle test rules/\` runs the program's and the playbook's tests"
(cd "$SRC" && "$REKINDLE" test rules/ --engine interp) > "$TMP/rules.txt"
n=$(cat "$SRC"/rules/*.test | grep -c '^test ')
tail -n 1 "$TMP/rules.txt" | grep -qx "$n passed, 0 failed"

echo "== a rule file: the tests beside it that name it"
"$REKINDLE" test "$SRC/rules/winback.rules" --engine interp > "$TMP/r.txt"
"$REKINDLE" test "$SRC/rules/winback.test" --engine interp > "$TMP/t.txt"
cmp "$TMP/r.txt" "$TMP/t.txt"
# tests/rules holds the tests of two rule files: only those of sequences.rules run.
"$REKINDLE" test "$SRC/tests/rules/sequences.rules" --engine interp > "$TMP/seq.txt"
"$REKINDLE" test "$SRC/tests/rules/sequences.test" --engine interp > "$TMP/seq2.txt"
cmp "$TMP/seq.txt" "$TMP/seq2.txt"

echo "== a tree of its own: nested folders, hidden folders, other files"
mkdir -p "$TMP/tree/a/b" "$TMP/tree/.cache" "$TMP/tree/c"
cp "$SRC/tests/rules/probe.schema" "$SRC/tests/rules/sequences.rules" "$TMP/tree/"
sed 's|^rules "sequences.rules"|rules "../../sequences.rules"|' "$SRC/tests/rules/sequences.test" \
  > "$TMP/tree/a/b/deep.test"
cp "$SRC/tests/rules/sequences.test" "$TMP/tree/top.test"
cp "$TMP/tree/top.test" "$TMP/tree/.cache/hidden.test"  # skipped: a hidden folder
echo "not a test" > "$TMP/tree/c/notes.txt"
"$REKINDLE" test "$TMP/tree" --engine interp > "$TMP/tree.txt"
[ "$(grep '\.test$' "$TMP/tree.txt")" = "$(printf '%s\n' "$TMP/tree/a/b/deep.test" "$TMP/tree/top.test")" ]
n=$(grep -c '^test ' "$SRC/tests/rules/sequences.test")
tail -n 1 "$TMP/tree.txt" | grep -qx "$((2 * n)) passed, 0 failed"
# The rule file finds top.test beside it, not the one two folders down.
"$REKINDLE" test "$TMP/tree/sequences.rules" --engine interp > "$TMP/beside.txt"
tail -n 1 "$TMP/beside.txt" | grep -qx "$n passed, 0 failed"
! grep -q 'deep.test' "$TMP/beside.txt"
# A file and the folder holding it: the file runs once.
"$REKINDLE" test "$TMP/tree/top.test" "$TMP/tree" --engine interp > "$TMP/twice.txt"
tail -n 1 "$TMP/twice.txt" | grep -qx "$((2 * n)) passed, 0 failed"

echo "== nothing to run is a usage error naming the argument"
mkdir "$TMP/empty"
expect_exit 2 "$REKINDLE" test "$TMP/empty" 2> "$TMP/err.txt"
grep -q "empty: no test files (\*.test) in this folder or below" "$TMP/err.txt"
cp "$SRC/tests/rules/expressions.rules" "$TMP/tree/lonely.rules"
expect_exit 2 "$REKINDLE" test "$TMP/tree/lonely.rules" 2> "$TMP/err.txt"
grep -q 'lonely.rules: no test file beside it tests it' "$TMP/err.txt"
expect_exit 2 "$REKINDLE" test "$TMP/nowhere" 2> /dev/null

echo "== a broken test file is reported; the others still run"
printf 'rules "sequences.rules"\nas of 2026-13-01\n' > "$TMP/tree/broken.test"
expect_exit 2 "$REKINDLE" test "$TMP/tree" --engine interp > "$TMP/out.txt" 2> "$TMP/err.txt"
grep -q 'broken.test:2:7: error\[RK0703\]' "$TMP/err.txt"
tail -n 1 "$TMP/out.txt" | grep -qx "$((2 * n)) passed, 0 failed"
# Beside its rule file, a test file that does not parse is taken when its name matches.
cp "$TMP/tree/broken.test" "$TMP/tree/sequences.test"
rm "$TMP/tree/top.test"
expect_exit 2 "$REKINDLE" test "$TMP/tree/sequences.rules" --engine interp > /dev/null \
  2> "$TMP/err.txt"
grep -q 'sequences.test:2:7: error\[RK0703\]' "$TMP/err.txt"
! grep -q 'broken.test' "$TMP/err.txt"

echo "test discovery: folders, rule files, hidden folders, repeats and errors as documented"
