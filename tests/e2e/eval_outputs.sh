#!/usr/bin/env bash
# Rekindle end-to-end test of `rekindle eval`'s outputs and errors: standard output equals --out,
# JSON lines and the summary are valid and agree with the CSV, usage errors exit 2, data errors
# exit 1 naming row and column, and a failed run leaves no output file behind.
set -euo pipefail
REKINDLE=$1
SRC=$(cd "$(dirname "$0")/../.." && pwd)
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
cd "$TMP"
RULES="$SRC/rules/winback.rules"
SAMPLE="$SRC/rules/sample.csv"

"$REKINDLE" eval "$RULES" --snapshot "$SAMPLE" --as-of 2026-11-01 --out out.csv --quiet
"$REKINDLE" eval "$RULES" --snapshot "$SAMPLE" --as-of 2026-11-01 --quiet > stdout.csv
cmp out.csv stdout.csv
[ ! -e ./- ] || { echo "a file named '-' was written"; exit 1; }

"$REKINDLE" eval "$RULES" --snapshot "$SAMPLE" --as-of 2026-11-01 --out out.jsonl \
  --summary summary.json 2> stderr.txt
[ ! -s stderr.txt ] || { echo "unexpected output on stderr:"; cat stderr.txt; exit 1; }
python3 - <<'PY'
import csv, json
rows = list(csv.DictReader(open("out.csv", newline="", encoding="utf-8")))
lines = [json.loads(l) for l in open("out.jsonl", encoding="utf-8")]
assert len(rows) == len(lines) == 3000, (len(rows), len(lines))
for r, j in zip(rows, lines):
    assert list(j.keys()) == list(r.keys()), j.keys()
    assert j["candidate"] is (r["candidate"] == "true")
    assert (j["winback_touch"] is None) == (r["winback_touch"] == "")
    if j["winback_touch"] is not None:
        assert j["winback_touch"] == int(r["winback_touch"])
    for k in ("dormancy", "stopped_by", "winback_status", "winback_offer"):
        assert (j[k] or "") == r[k], (k, j[k], r[k])
s = json.load(open("summary.json"))
assert s["rows"] == 3000
assert s["inputs"]["as_of"] == "2026-11-01"
assert s["inputs"]["params"]["whale_aov"] == "$250", s["inputs"]["params"]
status = s["counts"]["winback_status"]
for name in ("not_candidate", "stopped", "holdout", "responded", "exhausted", "waiting", "due"):
    assert status[name] == sum(1 for r in rows if r["winback_status"] == name), name
print("eval outputs agree")
PY

expect_exit() {  # expect_exit CODE PATTERN -- command...
  local code=$1 pattern=$2; shift 3
  set +e
  "$@" > /dev/null 2> err.txt; local got=$?
  set -e
  [ "$got" = "$code" ] || { echo "expected exit $code, got $got: $*"; cat err.txt; exit 1; }
  grep -q -- "$pattern" err.txt || { echo "expected '$pattern' in:"; cat err.txt; exit 1; }
}
expect_exit 2 "not a date" -- "$REKINDLE" eval "$RULES" --snapshot "$SAMPLE" --as-of 2026-13-01 --out x.csv
expect_exit 2 "expected NAME=VALUE" -- "$REKINDLE" eval "$RULES" --snapshot "$SAMPLE" --param whale_aov --out x.csv
expect_exit 1 "there is no parameter" -- "$REKINDLE" eval "$RULES" --snapshot "$SAMPLE" --param whale=3 --out x.csv
expect_exit 2 "snapshot" -- "$REKINDLE" eval "$RULES" --snapshot nosuch.csv --out x.csv
[ ! -e x.csv ] || { echo "x.csv written by a failed run"; exit 1; }
# A summary that cannot be written is a usage error found before the run: no result file.
expect_exit 2 "nodir" -- "$REKINDLE" eval "$RULES" --snapshot "$SAMPLE" --as-of 2026-11-01 --out x.csv --summary nodir/s.json
[ ! -e x.csv ] || { echo "x.csv written by a run whose summary could not be written"; exit 1; }

# The printed summary states the run's inputs: rule file and hash, snapshot, as-of, params, engine.
"$REKINDLE" eval "$RULES" --snapshot "$SAMPLE" --as-of 2026-11-01 --param whale_aov=300 --out y.csv 2> text.txt
grep -q "^rules $RULES (fnv1a64 [0-9a-f]\{16\}), snapshot $SAMPLE, as of 2026-11-01, jit engine$" text.txt \
  || { echo "no inputs line in:"; cat text.txt; exit 1; }
grep -q "^params: .*whale_aov = \$300" text.txt || { echo "no params line in:"; cat text.txt; exit 1; }
grep -q "^3000 rows$" text.txt || { echo "no row count in:"; cat text.txt; exit 1; }

# A data error in the middle of a snapshot: exit 1, row and column named, nothing written.
head -1 "$SAMPLE" > bad.csv
sed -n '2,1500p' "$SAMPLE" >> bad.csv
sed -n '1501p' "$SAMPLE" | sed 's/,2026-\([0-9][0-9]\)-\([0-9][0-9]\),/,2026-13-\2,/' > line.txt
grep -q '2026-13-' line.txt || sed -n '1501p' "$SAMPLE" | awk -F, 'BEGIN{OFS=","} {$4="abc"; print}' > line.txt
cat line.txt >> bad.csv
sed -n '1502,3001p' "$SAMPLE" >> bad.csv
expect_exit 1 "bad.csv:1501: column" -- "$REKINDLE" eval "$RULES" --snapshot bad.csv --as-of 2026-11-01 --out bad_out.csv
[ ! -e bad_out.csv ] || { echo "bad_out.csv written by a failed run"; exit 1; }
[ -z "$(ls -A . | grep '\.tmp-' || true)" ] || { echo "temporary file left behind"; ls -la; exit 1; }
echo "eval: outputs, exit codes and failure cleanup as documented"
