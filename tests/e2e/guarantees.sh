#!/usr/bin/env bash
# Rekindle end-to-end test of guarantees: `rekindle check` proves the five promises of the program
# (spec winback-program.md section 2a) on tests/rules/guarantees.rules ("6 guarantees proven",
# exit 0); breaking one rule at a time (a variant offering credit 30, no discount review, email
# without consent, no opt-out stop, no cap across sequences) makes exactly that guarantee an error
# (exit 1) naming the guarantee's place and the touch that breaks it, and the example customer
# is evaluated by `rekindle eval` on a one-row snapshot built from the error's note: the breaking
# touch is due there too. A 1 ms budget is a warning, never "proven"; SARIF carries RK0801 and
# `lint` reports it as well.
set -euo pipefail
REKINDLE=$1
SRC=$(cd "$(dirname "$0")/../.." && pwd)
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
cp "$SRC/tests/rules/guarantees.schema" "$SRC/tests/rules/guarantees.rules" "$TMP/"

fail() { echo "FAIL: $*" >&2; exit 1; }

# All proven.
"$REKINDLE" check "$TMP/guarantees.rules" 2> "$TMP/ok.err" || fail "check of the program failed"
grep -q "guarantees.rules: ok (6 guarantees proven)" "$TMP/ok.err" || { cat "$TMP/ok.err"; fail "not proven"; }

# One broken rule at a time: (name, python replacement of the text, the guarantee, what the
# breaking touch's note says).
python3 - "$TMP" <<'PY'
import sys
tmp = sys.argv[1]
src = open(f"{tmp}/guarantees.rules").read()
cases = {
  "ceiling": ("variant credit 20% { offer credit 25 }", "variant credit 20% { offer credit 30 }"),
  "review": ("review discount when winback.offer is discount or welcome_back.offer is discount\n"
             "  because \"Discount offers need approval\"\n", ""),
  "email": ("channel email requires email_allowed", "channel email requires email is present"),
  "optout": ("stop opted_out when opted_out\n  because \"Contact opted out\"\n", ""),
  "once": ("cap one_per_run: at most 1 message per run\n", ""),
}
for name, (a, b) in cases.items():
    assert a in src, name
    open(f"{tmp}/{name}.rules", "w").write(src.replace(a, b))
PY

expect_broken() {  # FILE GUARANTEE NOTE-TEXT
  local f=$1 g=$2 note=$3 rc=0
  "$REKINDLE" check "$TMP/$f.rules" 2> "$TMP/$f.err" || rc=$?
  [ "$rc" = 1 ] || { cat "$TMP/$f.err"; fail "$f: exit $rc, expected 1"; }
  [ "$(grep -c 'error\[RK0801\]' "$TMP/$f.err")" = 1 ] || { cat "$TMP/$f.err"; fail "$f: not one RK0801"; }
  local line
  line=$(grep -n "^guarantee $g:" "$TMP/$f.rules" | cut -d: -f1)
  grep -q "$f.rules:$line:11: error\[RK0801\]: guarantee \`$g\` is broken" "$TMP/$f.err" \
    || { cat "$TMP/$f.err"; fail "$f: the error does not name $g at line $line"; }
  grep -qF "$note" "$TMP/$f.err" || { cat "$TMP/$f.err"; fail "$f: no note '$note'"; }
}
expect_broken ceiling offer_ceiling "touch \`winback_offer\` (variant \`credit\`) of sequence \`winback\` is due"
grep -q "offering credit 30" "$TMP/ceiling.err" || fail "ceiling: the offer is not named"
expect_broken review discounts_reviewed "(variant \`discount\`) of sequence \`winback\` is due"
grep -q "no review rule fires" "$TMP/review.err" || fail "review: the reviews are not named"
expect_broken email email_consent "is due via email"
expect_broken optout opt_out "is due"
expect_broken once one_sequence "of sequence \`welcome_back\` is due"

# The example customer of the offer ceiling, evaluated by `eval` on both engines: a one-row
# snapshot from the note (the values it names, every other nullable value missing) gets the
# credit variant's credit 30 in winback.
python3 - "$TMP" <<'PY'
import re, sys
tmp = sys.argv[1]
err = open(f"{tmp}/ceiling.err").read()
note = re.search(r"note: for example: as of (\d{4}-\d\d-\d\d), (.*?); every other", err)
assert note, err
open(f"{tmp}/as_of", "w").write(note.group(1))
values = {}
for part in re.split(r", (?=[a-z_0-9]+ = )", note.group(2)):
    k, v = part.split(" = ", 1)
    v = v.strip('"')
    m = re.match(r"^\$(.*)$", v)
    if m: v = m.group(1)
    m = re.match(r"^(.*) \((.*)%\)$", v)
    if m: v = m.group(1)
    values[k] = v
fields = [l.split()[1].rstrip(":") for l in open(f"{tmp}/guarantees.schema") if l.startswith("field ")]
ints = {"orders_total", "spam_complaints_90d", "last_touch", "welcome_touch", "contacts_30d"}
defaults = {"opted_out": "false", "responded": "false", "avg_order_value": "0"}
row = [values.get(f, defaults.get(f, "0" if f in ints else "")) for f in fields]
open(f"{tmp}/one.csv", "w").write(",".join(fields) + "\n" + ",".join(row) + "\n")
PY
AS_OF=$(cat "$TMP/as_of")
for engine in interp jit; do
  "$REKINDLE" eval "$TMP/ceiling.rules" --snapshot "$TMP/one.csv" --as-of "$AS_OF" --engine $engine \
    --out "$TMP/out_$engine.csv" 2> "$TMP/eval.err" || { cat "$TMP/eval.err"; fail "eval ($engine)"; }
  python3 - "$TMP/out_$engine.csv" <<'PY' || fail "eval ($engine) does not confirm the example"
import csv, sys
row = next(csv.DictReader(open(sys.argv[1])))
assert row["winback_status"] == "due", row
assert row["winback_step"] == "winback_offer", row
assert row["winback_variant"] == "credit", row
assert row["winback_offer"] == "credit 30", row
PY
done

# A 1 ms budget: undecided is a warning, and never counted as proven.
"$REKINDLE" check "$TMP/guarantees.rules" --guarantee-timeout-ms 1 2> "$TMP/tiny.err" \
  || fail "an undecided guarantee must not fail check"
if grep -q "6 guarantees proven" "$TMP/tiny.err"; then
  # The solver may decide everything within 1 ms on a fast machine; then nothing is undecided.
  ! grep -q "RK0802" "$TMP/tiny.err" || fail "proven and undecided at once"
else
  grep -q "warning\[RK0802\]" "$TMP/tiny.err" || { cat "$TMP/tiny.err"; fail "no RK0802 warning"; }
  grep -q "undecided)" "$TMP/tiny.err" || fail "the ok line does not count the undecided"
fi

# SARIF and lint carry the broken guarantee.
"$REKINDLE" check "$TMP/ceiling.rules" --format sarif > "$TMP/ceiling.sarif" || true
python3 - "$TMP/ceiling.sarif" <<'PY' || fail "SARIF"
import json, sys
run = json.load(open(sys.argv[1]))["runs"][0]
res = [r for r in run["results"] if r["ruleId"] == "RK0801"]
assert len(res) == 1 and res[0]["level"] == "error", run["results"]
assert "offer_ceiling" in res[0]["message"]["text"]
PY
rc=0
"$REKINDLE" lint "$TMP/ceiling.rules" 2> "$TMP/lint.err" || rc=$?
[ "$rc" = 1 ] && grep -q "error\[RK0801\]" "$TMP/lint.err" || fail "lint does not report the broken guarantee"
echo "guarantees: ok"
