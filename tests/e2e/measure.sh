#!/usr/bin/env bash
# Rekindle end-to-end test of `rekindle measure` and `rekindle gen --outcomes-for`: the report and
# the verdicts equal the independent Python oracle (tests/oracle/measure_oracle.py) on adversarial
# events and outcomes, for two windows and from standard input; data
# errors exit 1 naming file and line (or row and column) and leave no output behind; usage errors
# exit 2; a planted lift is found, and outcomes are deterministic per seed and read the same from
# CSV and Arrow. (The HTML report's browser test is tests/browser/run.sh.)
set -euo pipefail
REKINDLE=$1
SRC=$(cd "$(dirname "$0")/../.." && pwd)
ORACLE="$SRC/tests/oracle/measure_oracle.py"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
cd "$TMP"

expect_fail() {  # expect_fail CODE MESSAGE_PART COMMAND...
  local code=$1 part=$2; shift 2
  set +e
  "$@" > out.txt 2> err.txt
  local got=$?
  set -e
  if [ "$got" != "$code" ]; then echo "exit $got, expected $code: $*"; cat err.txt; exit 1; fi
  grep -qF -- "$part" err.txt || { echo "message lacks '$part':"; cat err.txt; exit 1; }
}

for seed in 4 7; do
  d="$TMP/s$seed"
  python3 "$ORACLE" generate "$seed" "$d" novariants
  for args in "30 100" "10 40"; do
    set -- $args
    "$REKINDLE" measure "$d/rules.rules" --events "$d/events_1.jsonl" "$d/events_2.jsonl" \
      --outcomes "$d/outcomes.csv" --window "$1" --min-sample "$2" --out "$d/report.json" \
      --verdicts "$d/verdicts.json" --html "$d/report.html" --quiet
    python3 "$ORACLE" report "$d" "$1" "$2" > "$d/expected.json"
    echo "== seed $seed, window $1"
    python3 "$ORACLE" compare "$d/expected.json" "$d/report.json" "$d/verdicts.json"
  done
done
d="$TMP/s7"

# Events from standard input.
cat "$d/events_1.jsonl" | "$REKINDLE" measure "$d/rules.rules" --events - "$d/events_2.jsonl" \
  --outcomes "$d/outcomes.csv" --window 10 --min-sample 40 --out stdin.json --quiet
cmp stdin.json "$d/report.json"

# The summary on standard error.
"$REKINDLE" measure "$d/rules.rules" --events "$d/events_1.jsonl" --outcomes "$d/outcomes.csv" \
  --out r.json 2> summary.txt
grep -q "units" summary.txt && grep -q "winback: treated" summary.txt

# Data errors: exit 1, file and line named, no output file left.
head -3 "$d/events_1.jsonl" > bad.jsonl
echo '{"run_id": "x", ' >> bad.jsonl
expect_fail 1 "bad.jsonl:4: not valid JSON" "$REKINDLE" measure "$d/rules.rules" --events bad.jsonl \
  --outcomes "$d/outcomes.csv" --out r1.json --verdicts v1.json --html h1.html
[ ! -e r1.json ] && [ ! -e v1.json ] && [ ! -e h1.html ] || { echo "output left behind"; exit 1; }
ls -a | grep -q '\.tmp' && { echo "temporary file left behind"; ls -a; exit 1; }
head -5 "$d/events_1.jsonl" | sed 's/"winback"/"winbak"/' > seq.jsonl
expect_fail 1 'sequence "winbak" is not in the rule file' "$REKINDLE" measure "$d/rules.rules" \
  --events seq.jsonl --outcomes "$d/outcomes.csv" --out r1.json
printf 'customer_id,date,kind,revenue,incentive_cost\nC1,2026-11-02,refund,1,\n' > bad.csv
expect_fail 1 "bad.csv:2: column kind" "$REKINDLE" measure "$d/rules.rules" \
  --events "$d/events_1.jsonl" --outcomes bad.csv --out r1.json
[ ! -e r1.json ] || { echo "output left behind"; exit 1; }
printf 'segment x {\n  a when nope\n}\n' > broken.rules
expect_fail 1 "error[RK" "$REKINDLE" measure broken.rules --events "$d/events_1.jsonl" \
  --outcomes "$d/outcomes.csv" --out r1.json
# Usage errors: exit 2.
expect_fail 2 "window" "$REKINDLE" measure "$d/rules.rules" --events "$d/events_1.jsonl" \
  --outcomes "$d/outcomes.csv" --out r1.json --window 0
expect_fail 2 "no-such-dir" "$REKINDLE" measure "$d/rules.rules" --events "$d/events_1.jsonl" \
  --outcomes "$d/outcomes.csv" --out no-such-dir/r.json
expect_fail 2 "--outcomes" "$REKINDLE" measure "$d/rules.rules" --events "$d/events_1.jsonl" \
  --out r1.json

# gen --outcomes-for: deterministic per seed; a planted lift is found, no lift is not.
"$REKINDLE" gen --outcomes-for "$d/events_1.jsonl" "$d/events_2.jsonl" --seed 9 --base-rate 0.1 \
  --lift 0.12 --out o1.csv -q
"$REKINDLE" gen --outcomes-for "$d/events_1.jsonl" "$d/events_2.jsonl" --seed 9 --base-rate 0.1 \
  --lift 0.12 --out o2.csv -q
cmp o1.csv o2.csv
"$REKINDLE" gen --outcomes-for "$d/events_1.jsonl" "$d/events_2.jsonl" --seed 10 --base-rate 0.1 \
  --lift 0.12 --out o3.csv -q
! cmp -s o1.csv o3.csv
"$REKINDLE" gen --outcomes-for "$d/events_1.jsonl" "$d/events_2.jsonl" --seed 9 --base-rate 0.1 \
  --lift 0.12 --out o1.arrow -q
"$REKINDLE" measure "$d/rules.rules" --events "$d/events_1.jsonl" "$d/events_2.jsonl" \
  --outcomes o1.csv --out planted.json --quiet
"$REKINDLE" measure "$d/rules.rules" --events "$d/events_1.jsonl" "$d/events_2.jsonl" \
  --outcomes o1.arrow --out planted_arrow.json --quiet
cmp planted.json planted_arrow.json
python3 - <<'PY'
import json
r = json.load(open("planted.json"))
w = [s for s in r["pooled"]["sequences"] if s["sequence"] == "winback"][0]["overall"]
assert w["p_value"] < 0.001 and 0.06 < w["lift"] < 0.18, w
print(f"planted lift 0.12 measured {w['lift']:.4f}, p = {w['p_value']:.2g}")
PY
expect_fail 1 "bad.jsonl:4: not valid JSON" "$REKINDLE" gen --outcomes-for bad.jsonl --out o4.csv
[ ! -e o4.csv ] || { echo "output left behind"; exit 1; }

echo "measure: all checks passed"
