#!/usr/bin/env bash
# Rekindle end-to-end test: a snapshot with many bad rows through `rekindle eval`, `diff` and
# `convert`. Every bad row is listed (its first bad value), up to 100, then the count of all; the
# run fails as a whole (exit 1, no result file). A US date says how to write it; a CSV separated
# by semicolons says so.
set -euo pipefail
REKINDLE=$1
SRC=$(cd "$(dirname "$0")/../.." && pwd)
cd "$SRC"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
fail() { echo "snapshot_errors: FAIL: $*"; exit 1; }

run() {  # $@: a rekindle command; its exit status must be 1 and it must leave $TMP/out empty
  set +e
  "$REKINDLE" "$@" 2> "$TMP/err.txt" > "$TMP/stdout.txt"
  local code=$?
  set -e
  [ "$code" = 1 ] || fail "$*: exit status $code: $(head -3 "$TMP/err.txt")"
  left=$(ls -A "$TMP/out")
  [ -z "$left" ] || fail "$*: files left behind: $left"
}
mkdir "$TMP/out"

# 3,000 customers; rows 2..3001. Rows 11, 21, ..., 2501 (250 rows) get a bad orders_total, row
# 7 a US date, row 9 one field too many: 252 bad rows, of which the first 100 are listed.
"$REKINDLE" gen --rows 3000 --seed 5 --as-of 2026-11-01 --out "$TMP/snap.csv" --quiet
python3 - "$TMP/snap.csv" "$TMP/bad.csv" <<'PY'
import sys
lines = open(sys.argv[1], encoding="utf-8").read().split("\n")
for k in range(10, 2501, 10):  # lines[k] is row k + 1
    f = lines[k].split(",")
    f[3] = "three"
    lines[k] = ",".join(f)
f = lines[6].split(",")
f[1] = "10/07/2026"
lines[6] = ",".join(f)
lines[8] += ",extra"
open(sys.argv[2], "w", encoding="utf-8").write("\n".join(lines))
PY
bad=$TMP/bad.csv

check_list() {  # the error list in $TMP/err.txt
  python3 - "$TMP/err.txt" "$bad" <<'PY'
import sys
lines = open(sys.argv[1], encoding="utf-8").read().splitlines()
bad = sys.argv[2]
errors = [l for l in lines if l.startswith("rekindle: error: ")]
assert len(errors) == 101, (len(errors), lines[:5])
prefix = "rekindle: error: " + bad + ":"
assert errors[0] == prefix + '7: column last_purchase_date: "10/07/2026" is not a date (write ' \
    "dates as YYYY-MM-DD: 2026-10-07 if this is October 7, 2026-07-10 if it is July 10)", errors[0]
assert errors[1] == prefix + "9: expected 21 fields, found 22", errors[1]
assert errors[2] == prefix + '11: column orders_total: "three" is not an int', errors[2]
rows = [int(e[len(prefix):].split(":")[0]) for e in errors[:100]]
assert rows == [7, 9] + list(range(11, 991, 10)), rows
assert errors[100] == "rekindle: error: " + bad + \
    ": 252 rows with errors (the first 100 are shown)", errors[100]
PY
}

run eval rules/winback.rules --snapshot "$bad" --as-of 2026-11-01 --out "$TMP/out/r.csv"
check_list || fail "eval: $(head -3 "$TMP/err.txt")"
for threads in 1 3; do
  run eval rules/winback.rules --snapshot "$bad" --as-of 2026-11-01 --threads "$threads" \
    --out "$TMP/out/r.csv"
  check_list || fail "eval --threads $threads"
done
echo "snapshot_errors: eval lists every bad row (up to 100) and counts them, writes nothing"

run diff rules/winback.rules rules/winback.rules --snapshot "$bad" --as-of 2026-11-01
check_list || fail "diff: $(head -3 "$TMP/err.txt")"
run convert "$bad" "$TMP/out/snap.arrow" --schema rules/customer.schema
check_list || fail "convert: $(head -3 "$TMP/err.txt")"
echo "snapshot_errors: diff and convert list them too"

# One bad row: its message alone, no count.
python3 - "$TMP/snap.csv" "$TMP/one.csv" <<'PY'
import sys
lines = open(sys.argv[1], encoding="utf-8").read().split("\n")
f = lines[2].split(",")
f[1] = "2026-02-30"
lines[2] = ",".join(f)
open(sys.argv[2], "w", encoding="utf-8").write("\n".join(lines))
PY
run eval rules/winback.rules --snapshot "$TMP/one.csv" --as-of 2026-11-01 --out "$TMP/out/r.csv"
[ "$(cat "$TMP/err.txt")" = "rekindle: error: $TMP/one.csv:3: column last_purchase_date: \"2026-02-30\" is not a date (February 2026 has 28 days)" ] ||
  fail "one bad row: $(cat "$TMP/err.txt")"
echo "snapshot_errors: one bad row is one line"

# A CSV separated by semicolons (as a spreadsheet in many countries exports it).
sed 's/,/;/g' "$TMP/snap.csv" > "$TMP/semi.csv"
run eval rules/winback.rules --snapshot "$TMP/semi.csv" --as-of 2026-11-01 --out "$TMP/out/r.csv"
grep -q "semi.csv:1: the header is a single column, \"customer_id;last_purchase_date;" "$TMP/err.txt" ||
  fail "semicolons: $(cat "$TMP/err.txt")"
grep -q "the file is separated by semicolons" "$TMP/err.txt" || fail "semicolons: $(cat "$TMP/err.txt")"
grep -q "export it again with \`,\` as the field separator" "$TMP/err.txt" ||
  fail "semicolons: $(cat "$TMP/err.txt")"
echo "snapshot_errors: a CSV separated by semicolons says so"
