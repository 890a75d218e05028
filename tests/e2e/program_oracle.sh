#!/usr/bin/env bash
# Rekindle end-to-end test: `rekindle eval rules/program.rules` equals the independent Python
# oracle of the full program (tests/oracle/program_oracle.py) on adversarial snapshots: the result,
# the drafts, the review queue and the events, as of every daylight-saving and Sunday corner date,
# with paused variants, on both engines and 1 and 2 threads (byte-identical), on rekindle's own
# generator's snapshot and from Arrow, and the data errors fail in both. About 45 s of CPU (most of
# it the oracle); 80 s on a busy 2-core machine.
set -euo pipefail
REKINDLE=$1
SRC=$(cd "$(dirname "$0")/../.." && pwd)
ORACLE="$SRC/tests/oracle/program_oracle.py"
RULES="$SRC/rules/program.rules"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

compare_all() {  # compare_all EXPECTED_PREFIX ACTUAL_PREFIX: the four files, in one process
  python3 - "$1" "$2" "$ORACLE" <<'EOF'
import importlib.util, sys
e, a, oracle = sys.argv[1:4]
spec = importlib.util.spec_from_file_location("program_oracle", oracle)
po = importlib.util.module_from_spec(spec)
spec.loader.exec_module(po)
for suffix, strict in ((".csv", True), (".q.csv", True), (".d.jsonl", False), (".e.jsonl", False)):
    if po.main(["compare", e + suffix, a + suffix] + (["--strict-quoting"] if strict else [])):
        sys.exit(1)
EOF
}

run_rekindle() {  # run_rekindle SNAPSHOT AS_OF PREFIX [eval flags...]
  local snap=$1 asof=$2 out=$3; shift 3
  "$REKINDLE" eval "$RULES" --snapshot "$snap" --as-of "$asof" --out "$out.csv" \
    --drafts "$out.d.jsonl" --review-queue "$out.q.csv" --events "$out.e.jsonl" --run-id r1 \
    --quiet "$@"
}

check() {  # check SNAPSHOT AS_OF LABEL [--experiments FILE]
  local snap=$1 asof=$2 label=$3; shift 3
  echo "== $label"
  python3 "$ORACLE" eval "$snap" "$asof" --out "$TMP/exp.csv" --drafts "$TMP/exp.d.jsonl" \
    --review-queue "$TMP/exp.q.csv" --events "$TMP/exp.e.jsonl" --run-id r1 "$@"
  # Engines and thread counts give byte-identical files; the first is compared with the oracle.
  run_rekindle "$snap" "$asof" "$TMP/jit1" --engine jit --threads 1 "$@"
  for run in "interp 1" "jit 2" "interp 2"; do
    set -- $run "$@"
    local engine=$1 threads=$2; shift 2
    run_rekindle "$snap" "$asof" "$TMP/$engine$threads" --engine "$engine" --threads "$threads" "$@"
    for f in .csv .d.jsonl .q.csv .e.jsonl; do
      cmp "$TMP/jit1$f" "$TMP/$engine$threads$f"
    done
  done
  compare_all "$TMP/exp" "$TMP/jit1"
}

# Every daylight-saving and Sunday corner date, on a snapshot generated for it.
seed=1
for asof in $(python3 "$ORACLE" corner-dates); do
  python3 "$ORACLE" generate 1000 "$seed" "$asof" > "$TMP/snap.csv"
  check "$TMP/snap.csv" "$asof" "seed $seed as of $asof"
  seed=$((seed + 1))
done

# Sizes that cross the evaluator's chunks (16384 rows) twice, with variants paused; a snapshot
# evaluated as of a later Sunday than it was generated for.
python3 "$ORACLE" generate 33000 101 2026-11-01 > "$TMP/big.csv"
echo '{"paused": ["winback.winback_offer.credit", "winback.pattern_interrupt.curiosity"]}' \
  > "$TMP/paused.json"
check "$TMP/big.csv" 2026-11-01 "33000 rows, credit and curiosity paused" \
  --experiments "$TMP/paused.json"
echo '{"paused": ["winback.winback_offer.discount"], "other": 1}' > "$TMP/paused2.json"
python3 "$ORACLE" generate 17000 102 2026-03-08 > "$TMP/mid.csv"
check "$TMP/mid.csv" 2026-03-29 "17000 rows as of a later Sunday, discount paused" \
  --experiments "$TMP/paused2.json"

# The bundled sample (rules/sample.csv, `rekindle gen --program`) as of the date it was made for.
check "$SRC/rules/sample.csv" 2026-11-01 "bundled sample"

# A snapshot of rekindle's own generator; the same snapshot read from Arrow writes the same files.
"$REKINDLE" gen --program --rows 5000 --seed 7 --as-of 2026-03-08 --out "$TMP/gen.csv" --quiet
check "$TMP/gen.csv" 2026-03-08 "rekindle gen --program, as of 2026-03-08"
"$REKINDLE" convert "$TMP/gen.csv" "$TMP/gen.arrow" --schema "$SRC/rules/program.schema" > /dev/null
run_rekindle "$TMP/gen.arrow" 2026-03-08 "$TMP/arrow" --threads 2
for f in .csv .d.jsonl .q.csv .e.jsonl; do cmp "$TMP/jit1$f" "$TMP/arrow$f"; done

# The default run id (AS_OF/ + the rule set's hash) and the run manifest of the summary: the
# oracle takes the hash rekindle reports; the snapshot's size and SHA-256 are the file's.
echo "== the default run id and the run manifest"
"$REKINDLE" eval "$RULES" --snapshot "$SRC/rules/sample.csv" --as-of 2026-11-01 \
  --out "$TMP/m.csv" --events "$TMP/m.e.jsonl" --summary "$TMP/m.json" --quiet
version=$("$REKINDLE" --version | awk '{print $NF}')
read -r hash bytes sha < <(python3 -c 'import json, sys
i = json.load(open(sys.argv[1]))["inputs"]
assert i["run_id"] == "2026-11-01/" + i["rules_fnv1a64"][:8], i
assert (i["as_of"], i["version"]) == ("2026-11-01", sys.argv[2]), i
print(i["rules_fnv1a64"], i["snapshot_bytes"], i["snapshot_sha256"])' "$TMP/m.json" "$version")
[ "$bytes" = "$(stat -c %s "$SRC/rules/sample.csv")" ]
[ "$sha" = "$(sha256sum "$SRC/rules/sample.csv" | cut -d' ' -f1)" ]
python3 "$ORACLE" eval "$SRC/rules/sample.csv" 2026-11-01 --out "$TMP/m_exp.csv" \
  --events "$TMP/m_exp.e.jsonl" --rules-hash "$hash"
python3 "$ORACLE" compare "$TMP/m_exp.e.jsonl" "$TMP/m.e.jsonl"

# Data errors: the oracle and rekindle both fail, and rekindle writes no file.
for kind in dup_key neg_last_touch neg_welcome_touch unknown_tz; do
  echo "== data error: $kind"
  python3 "$ORACLE" generate 50 3 2026-11-01 --inject "$kind" > "$TMP/bad.csv" 2> /dev/null
  if python3 "$ORACLE" eval "$TMP/bad.csv" 2026-11-01 --out "$TMP/bad_exp.csv" 2> /dev/null; then
    echo "the oracle accepted a snapshot with $kind" >&2
    exit 1
  fi
  rm -f "$TMP"/bad_act*
  if run_rekindle "$TMP/bad.csv" 2026-11-01 "$TMP/bad_act" 2> "$TMP/bad.err"; then
    echo "rekindle accepted a snapshot with $kind" >&2
    exit 1
  fi
  cat "$TMP/bad.err"
  if ls "$TMP"/bad_act* > /dev/null 2>&1; then
    echo "rekindle left a file after a data error ($kind)" >&2
    exit 1
  fi
done
# Experiments files that both must refuse: a typo, every variant of a touch paused, not a list.
python3 "$ORACLE" generate 50 4 2026-11-01 > "$TMP/small.csv"
for bad in '{"paused": ["winback.winback_offer.credits"]}' \
           '{"paused": ["winback.pattern_interrupt.curiosity", "winback.pattern_interrupt.personal"]}' \
           '{"paused": "winback.winback_offer.credit"}'; do
  echo "== experiments refused: $bad"
  echo "$bad" > "$TMP/bad.json"
  if python3 "$ORACLE" eval "$TMP/small.csv" 2026-11-01 --out "$TMP/bad_exp.csv" \
      --experiments "$TMP/bad.json" 2> /dev/null; then
    echo "the oracle accepted $bad" >&2
    exit 1
  fi
  rm -f "$TMP"/bad_act*
  if run_rekindle "$TMP/small.csv" 2026-11-01 "$TMP/bad_act" --experiments "$TMP/bad.json" \
      2> "$TMP/bad.err"; then
    echo "rekindle accepted $bad" >&2
    exit 1
  fi
  cat "$TMP/bad.err"
  ! ls "$TMP"/bad_act* > /dev/null 2>&1
done
echo "program oracle: all comparisons identical"
