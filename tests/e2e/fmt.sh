#!/usr/bin/env bash
# Rekindle end-to-end test of `rekindle fmt`: the shipped rule files are formatted; --check prints
# a unified diff and exits 1 for an unformatted file without touching it; fmt rewrites it (then
# --check passes); `-` filters standard input; syntax errors exit 1 and leave the file alone; a
# missing file exits 2.
set -euo pipefail
REKINDLE=$1
SRC=$(cd "$(dirname "$0")/../.." && pwd)
cd "$SRC"
fail() { echo "fmt.sh: $*"; exit 1; }

"$REKINDLE" fmt --check rules/*.rules rules/*.schema rules/examples/*.rules > /dev/null \
  || fail "the shipped rule files are not formatted"

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
cp rules/customer.schema "$TMP/customer.schema"
cat > "$TMP/messy.rules" <<'RULES'
import "customer.schema"
# Stop rules.
stop   no_mail when email_consent is not true because "No email"  # keep me
segment tier{big when avg_order_value>=$250
  small when avg_order_value < $20 otherwise mid}
RULES
cat > "$TMP/want.rules" <<'RULES'
import "customer.schema"

# Stop rules.
stop no_mail when email_consent is not true
  because "No email"  # keep me

segment tier {
  big   when avg_order_value >= $250
  small when avg_order_value < $20
  otherwise mid
}
RULES
cp "$TMP/messy.rules" "$TMP/orig.rules"

set +e
"$REKINDLE" fmt --check "$TMP/messy.rules" > "$TMP/diff.txt"; code=$?
set -e
[ "$code" = 1 ] || fail "--check on an unformatted file: expected exit 1, got $code"
grep -qx -- "--- $TMP/messy.rules" "$TMP/diff.txt" || fail "no --- header"
grep -qx -- "+++ $TMP/messy.rules (formatted)" "$TMP/diff.txt" || fail "no +++ header"
grep -q '^@@ -1,' "$TMP/diff.txt" || fail "no hunk header"
grep -qx -- '-stop   no_mail when email_consent is not true because "No email"  # keep me' \
  "$TMP/diff.txt" || fail "diff lacks the removed line"
grep -qx -- '+  because "No email"  # keep me' "$TMP/diff.txt" || fail "diff lacks the added line"
cmp -s "$TMP/messy.rules" "$TMP/orig.rules" || fail "--check changed the file"

"$REKINDLE" fmt "$TMP/messy.rules" 2> "$TMP/err.txt"
grep -q "formatted" "$TMP/err.txt" || fail "no report of the rewritten file"
diff -u "$TMP/want.rules" "$TMP/messy.rules" || fail "unexpected formatting"
"$REKINDLE" fmt --check "$TMP/messy.rules" > "$TMP/diff2.txt" || fail "--check after fmt failed"
[ ! -s "$TMP/diff2.txt" ] || fail "--check printed output for a formatted file"
"$REKINDLE" check "$TMP/messy.rules" 2> /dev/null || fail "formatted file does not check"
ls "$TMP" | grep -q tmp && fail "a temporary file was left behind"

"$REKINDLE" fmt - < "$TMP/orig.rules" > "$TMP/stdout.rules"
cmp -s "$TMP/stdout.rules" "$TMP/want.rules" || fail "stdin formatting differs"

printf 'segment s {\n  a wen x\n}\n' > "$TMP/bad.rules"
cp "$TMP/bad.rules" "$TMP/bad.orig"
set +e
"$REKINDLE" fmt "$TMP/bad.rules" 2> "$TMP/bad.txt"; code=$?
set -e
[ "$code" = 1 ] || fail "syntax error: expected exit 1, got $code"
grep -q "bad.rules:2:5: error\[RK0101\]" "$TMP/bad.txt" || fail "no diagnostic: $(cat "$TMP/bad.txt")"
cmp -s "$TMP/bad.rules" "$TMP/bad.orig" || fail "a file with errors was touched"

set +e
"$REKINDLE" fmt "$TMP/nosuch.rules" 2> /dev/null; code=$?
set -e
[ "$code" = 2 ] || fail "missing file: expected exit 2, got $code"
echo "fmt: shipped files formatted; --check, rewrite, stdin and errors as documented"
