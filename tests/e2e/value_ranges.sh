#!/usr/bin/env bash
# Rekindle end-to-end test of value ranges in the schema (tests/fixtures/ranges/): `gen --schema`
# draws values within them and the snapshot evaluates; values outside them are data errors in
# `eval` (CSV and Arrow, every bad row listed, nothing written), `convert` and `rekindle test`;
# `lint` reports conditions the ranges make impossible, naming the range; `fmt` keeps ranges.
set -euo pipefail
REKINDLE=$1
SRC=$(cd "$(dirname "$0")/../.." && pwd)
FIX="$SRC/tests/fixtures/ranges"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
cd "$TMP"
fail() { echo "value_ranges: FAIL: $*" >&2; exit 1; }
AS_OF=2026-11-01

# --- generated snapshots keep to the ranges -------------------------------------------------
"$REKINDLE" gen --schema "$FIX/account.schema" --rules "$FIX/account.rules" --rows 4000 --seed 3 \
  --as-of $AS_OF --out gen.csv --quiet
mkdir out
"$REKINDLE" eval "$FIX/account.rules" --snapshot gen.csv --as-of $AS_OF --out out/r.csv --quiet ||
  fail "a generated snapshot does not evaluate"
python3 - gen.csv <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1], encoding="utf-8")))
assert len(rows) == 4000
nps = [int(r["nps"]) for r in rows if r["nps"]]
assert min(nps) == 0 and max(nps) == 10, (min(nps), max(nps))
assert min(int(r["seats"]) for r in rows) >= 1
assert min(float(r["mrr"]) for r in rows) >= 0
assert all(0 <= float(r["discount_rate"]) <= 1 for r in rows if r["discount_rate"])
assert min(float(r["health"]) for r in rows) > 0
assert min(r["signed_up"] for r in rows) >= "2010-01-01"
PY
rm -f out/*
echo "value_ranges: gen --schema keeps to the ranges; the snapshot evaluates"

# --- values outside the ranges: CSV --------------------------------------------------------------
python3 - gen.csv bad.csv <<'PY'
import sys
lines = open(sys.argv[1], encoding="utf-8").read().split("\n")
head = lines[0].split(",")
col = {name: i for i, name in enumerate(head)}
def put(k, name, value):
    f = lines[k].split(",")
    f[col[name]] = value
    lines[k] = ",".join(f)
put(3, "nps", "11")          # row 4
put(8, "mrr", "-0.01")       # row 9
put(20, "seats", "0")        # row 21
put(2500, "signed_up", "2009-12-31")  # row 2501
open(sys.argv[2], "w", encoding="utf-8").write("\n".join(lines))
PY
expect_list() {  # $1: the file named in the messages
  python3 - err.txt "$1" <<'PY'
import sys
lines = [l for l in open(sys.argv[1], encoding="utf-8").read().splitlines()]
f = sys.argv[2]
want = [
    f'rekindle: error: {f}:4: column nps: "11" is outside the range of the schema (0 to 10)',
    f'rekindle: error: {f}:9: column mrr: "-0.01" is outside the range of the schema (>= $0)',
    f'rekindle: error: {f}:21: column seats: "0" is outside the range of the schema (>= 1)',
    f'rekindle: error: {f}:2501: column signed_up: "2009-12-31" is outside the range of the schema (>= 2010-01-01)',
    f"rekindle: error: {f}: 4 rows with errors",
]
assert lines == want, "\n".join(lines)
PY
}
for threads in 1 2; do
  set +e
  "$REKINDLE" eval "$FIX/account.rules" --snapshot bad.csv --as-of $AS_OF --threads $threads \
    --out out/r.csv --quiet 2> err.txt
  code=$?
  set -e
  [ "$code" = 1 ] || fail "eval of bad.csv: exit $code"
  expect_list bad.csv || fail "eval --threads $threads: $(cat err.txt)"
  [ -z "$(ls -A out)" ] || fail "eval left files behind"
done
set +e
"$REKINDLE" convert bad.csv out/bad.arrow --schema "$FIX/account.schema" --quiet 2> err.txt
code=$?
set -e
[ "$code" = 1 ] || fail "convert of bad.csv: exit $code"
expect_list bad.csv || fail "convert: $(cat err.txt)"
echo "value_ranges: eval and convert list every CSV row outside a range"

# --- values outside the ranges: Arrow (written through a schema without the ranges) ------------
python3 - "$FIX/account.schema" loose.schema <<'PY'
import re, sys
# The schema without its ranges: what typed the Arrow file's writer.
out = [re.sub(r"^(field \w+: (?:enum \{[^}]*\}|\w+)\??) [-0-9$<>].*?( key)?$", r"\1\2", l)
       for l in open(sys.argv[1], encoding="utf-8").read().split("\n")]
open(sys.argv[2], "w", encoding="utf-8").write("\n".join(out))
PY
grep -q "^field nps: int?$" loose.schema || fail "loose.schema: $(cat loose.schema)"
grep -q "^field account_id: string key$" loose.schema || fail "loose.schema: $(cat loose.schema)"
"$REKINDLE" convert bad.csv bad.arrow --schema loose.schema --quiet
set +e
"$REKINDLE" eval "$FIX/account.rules" --snapshot bad.arrow --as-of $AS_OF --out out/r.csv \
  --quiet 2> err.txt
code=$?
set -e
[ "$code" = 1 ] || fail "eval of bad.arrow: exit $code"
python3 - err.txt <<'PY'
import sys
lines = open(sys.argv[1], encoding="utf-8").read().splitlines()
# Arrow rows count from 1 at the first record (CSV row 4 is Arrow row 3).
want = ["bad.arrow:3: column nps: 11 is outside the range of the schema (0 to 10)",
        "bad.arrow:8: column mrr: -0.01 is outside the range of the schema (>= $0)",
        "bad.arrow:20: column seats: 0 is outside the range of the schema (>= 1)",
        "bad.arrow:2500: column signed_up: 2009-12-31 is outside the range of the schema (>= 2010-01-01)",
        "bad.arrow: 4 rows with errors"]
assert [l.replace("rekindle: error: ", "") for l in lines] == want, "\n".join(lines)
PY
[ -z "$(ls -A out)" ] || fail "eval of Arrow left files behind"
echo "value_ranges: eval lists every Arrow row outside a range"

# --- rule tests, lints, the formatter -------------------------------------------------------
set +e
"$REKINDLE" test "$FIX/account.test" > test.txt 2>&1
code=$?
set -e
# An error in the test file (RK0711 at the value), exit 2 as for any broken test file.
[ "$code" = 2 ] || fail "test: exit $code: $(cat test.txt)"
grep -q "account.test:23:15: error\[RK0711\]: field \`nps\`: 11 is outside the range of the schema (0 to 10)" test.txt ||
  fail "test: $(cat test.txt)"

"$REKINDLE" lint "$FIX/impossible.rules" 2> lint.txt || true
grep -q "warning\[RK0604\]: label \`off_scale\` of segment \`loyalty\` can never match" lint.txt ||
  fail "lint: $(cat lint.txt)"
grep -q "note: the schema gives \`nps\` the range 0 to 10" lint.txt || fail "lint: $(cat lint.txt)"
grep -q "note: the schema gives \`last_touch\` the range >= 0" lint.txt ||
  fail "lint: $(cat lint.txt)"
"$REKINDLE" lint "$FIX/account.rules" 2> lint_ok.txt || fail "lint account.rules: $(cat lint_ok.txt)"

"$REKINDLE" fmt --check "$FIX/account.schema" "$FIX/account.rules" "$FIX/impossible.rules" ||
  fail "the fixtures are not formatted"
printf 'schema s\nfield id: string key\nfield n: int?0   to 10\nfield m: money>=$0\n' > s.schema
"$REKINDLE" fmt s.schema 2> /dev/null
[ "$(cat s.schema)" = "$(printf 'schema s\n\nfield id: string key\nfield n: int? 0 to 10\nfield m: money >= $0')" ] ||
  fail "fmt: $(cat s.schema)"
echo "value_ranges: test customers, lints and fmt know the ranges"
