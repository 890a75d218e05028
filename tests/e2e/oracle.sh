#!/usr/bin/env bash
# Rekindle end-to-end test: `rekindle eval` of the playbook equals the independent Python oracle
# (tests/oracle/winback_oracle.py) row for row, on adversarial snapshots and the bundled sample,
# with both engines, any thread count, and from CSV and Arrow inputs.
set -euo pipefail
REKINDLE=$1
SRC=$(cd "$(dirname "$0")/../.." && pwd)
ORACLE="$SRC/tests/oracle/winback_oracle.py"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

check() {  # check SNAPSHOT AS_OF LABEL [eval flags...]
  local snap=$1 asof=$2 label=$3; shift 3
  python3 "$ORACLE" eval "$snap" "$asof" > "$TMP/expected.csv"
  "$REKINDLE" eval "$SRC/rules/winback.rules" --snapshot "$snap" --as-of "$asof" \
    --out "$TMP/actual.csv" --quiet "$@"
  echo "== $label"
  python3 "$ORACLE" compare "$TMP/expected.csv" "$TMP/actual.csv"
}

for seed in 1 2 3; do
  for asof in 2026-11-01 2024-02-29; do
    python3 "$ORACLE" generate 4000 "$seed" "$asof" > "$TMP/adv.csv"
    check "$TMP/adv.csv" "$asof" "adversarial seed $seed as of $asof (jit)" --engine jit
    check "$TMP/adv.csv" "$asof" "adversarial seed $seed as of $asof (interp)" --engine interp
  done
done
# A snapshot evaluated as of another date than the one it was generated for.
check "$TMP/adv.csv" 2027-06-30 "adversarial, later as-of"
check "$SRC/rules/sample.csv" 2026-11-01 "bundled sample"

# Thread counts and engines give byte-identical files.
"$REKINDLE" eval "$SRC/rules/winback.rules" --snapshot "$TMP/adv.csv" --as-of 2026-11-01 \
  --out "$TMP/t1.csv" --threads 1 --quiet
"$REKINDLE" eval "$SRC/rules/winback.rules" --snapshot "$TMP/adv.csv" --as-of 2026-11-01 \
  --out "$TMP/t2.csv" --threads 2 --engine interp --quiet
cmp "$TMP/t1.csv" "$TMP/t2.csv"

# Arrow input gives the same result as CSV input.
"$REKINDLE" convert "$TMP/adv.csv" "$TMP/adv.arrow" --schema "$SRC/rules/customer.schema"
"$REKINDLE" eval "$SRC/rules/winback.rules" --snapshot "$TMP/adv.arrow" --as-of 2026-11-01 \
  --out "$TMP/from_arrow.csv" --quiet
cmp "$TMP/t1.csv" "$TMP/from_arrow.csv"
echo "oracle: all comparisons identical"
