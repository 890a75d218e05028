#!/usr/bin/env bash
# Rekindle end-to-end test of `rekindle diff` and `rekindle explain`: a playbook change on an
# adversarial snapshot (counts checked against an independent count in Python), the three output
# formats, identical results for any thread count and engine, exit codes 0/1/2, and explanations of
# a customer from a snapshot and of a made-up customer (--given).
set -euo pipefail
REKINDLE=$1
SRC=$(cd "$(dirname "$0")/../.." && pwd)
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
cd "$TMP"

python3 "$SRC/tests/oracle/winback_oracle.py" generate 3000 5 2026-11-01 > snap.csv
OLD="$SRC/rules/winback.rules"
# The new rules in a folder of their own with the schema (imports stay inside a rule file's folder).
mkdir same && cp "$SRC/rules/customer.schema" same/
sed -e 's|parameter whale_aov = \$250|parameter whale_aov = $300|' "$OLD" > same/new.rules
grep -q 'whale_aov = \$300' same/new.rules

expect_code() {  # expect_code CODE command...
  local want=$1; shift
  set +e
  "$@" > out.txt 2> err.txt; local code=$?
  set -e
  if [ "$code" != "$want" ]; then
    echo "expected exit $want, got $code: $*"; cat out.txt err.txt; exit 1
  fi
}

# --- diff -----------------------------------------------------------------------------------
"$REKINDLE" diff "$OLD" same/new.rules --snapshot snap.csv --as-of 2026-11-01 > diff.txt
grep -Eq '^[0-9,]+ of 3,000 customers change \([0-9.]+%\)$' diff.txt
grep -q 'whale -> mid' diff.txt

"$REKINDLE" diff "$OLD" same/new.rules --snapshot snap.csv --as-of 2026-11-01 --format json \
  --samples 2 > diff.json
python3 - "$TMP/snap.csv" "$TMP/diff.json" <<'EOF'
import csv, json, sys
rows = list(csv.DictReader(open(sys.argv[1], newline='', encoding='utf-8')))
d = json.load(open(sys.argv[2]))
assert d["rows"] == len(rows) == 3000, d["rows"]
moved = [r["customer_id"] for r in rows if 250 <= float(r["avg_order_value"]) < 300]
assert moved, "the generator should produce customers between the thresholds"
tier = next(c for c in d["columns"] if c["name"] == "value_tier")
cell = next(c for c in tier["cells"] if c["from"] == "whale" and c["to"] == "mid")
assert cell["count"] == len(moved), (cell["count"], len(moved))
assert cell["samples"] == moved[:2], (cell["samples"], moved[:2])
assert tier["changed"] == len(moved)
hv = next(r for r in d["reviews"] if r["rule"] == "high_value")
assert hv["enter"] == 0 and hv["leave"] >= 0
assert d["inputs"]["as_of"] == "2026-11-01"
print("diff json: value_tier whale -> mid", cell["count"])
EOF

"$REKINDLE" diff "$OLD" same/new.rules --snapshot snap.csv --as-of 2026-11-01 --format markdown > diff.md
head -1 diff.md | grep -Eq '^### Rekindle: [0-9,]+ of 3,000 customers change \([0-9.]+%\)$'
grep -q '^| whale | mid | ' diff.md

# Any thread count and either engine: the same report (inputs aside).
"$REKINDLE" diff "$OLD" same/new.rules --snapshot snap.csv --as-of 2026-11-01 --format json \
  --samples 2 --threads 1 --engine interp > diff1.json
python3 -c "
import json
a = json.load(open('diff.json')); b = json.load(open('diff1.json'))
a.pop('inputs'); b.pop('inputs')
assert a == b
"

# Exit codes: rule errors 1, incompatible schemas 1, data errors 1, usage 2.
printf 'import "customer.schema"\nsegment s {\n  a when nosuch > 1\n}\n' > same/bad.rules
expect_code 1 "$REKINDLE" diff "$OLD" same/bad.rules --snapshot snap.csv --as-of 2026-11-01
grep -q "bad.rules:3:10: error\[RK0201\]" err.txt
sed -e 's|field orders_total: int|field orders_total: number|' "$SRC/rules/customer.schema" > customer.schema
sed -e 's|import "customer.schema"|import "customer.schema"|' "$OLD" > other.rules
expect_code 1 "$REKINDLE" diff "$OLD" other.rules --snapshot snap.csv --as-of 2026-11-01
grep -q "orders_total\` is int in .*winback.rules but number in other.rules" err.txt
head -1 snap.csv > broken.csv
echo 'X1,2026-01-01,,notanumber,1,,false,0,0,0,,email,true,true,false,,0,0.01,0,,false' >> broken.csv
expect_code 1 "$REKINDLE" diff "$OLD" same/new.rules --snapshot broken.csv --as-of 2026-11-01
grep -q "broken.csv:2: column orders_total" err.txt
expect_code 2 "$REKINDLE" diff "$OLD" same/new.rules
expect_code 2 "$REKINDLE" diff "$OLD" same/new.rules --snapshot snap.csv --format yaml

# --- explain --------------------------------------------------------------------------------
ID=$(sed -n 2p snap.csv | cut -d, -f1)
"$REKINDLE" explain "$OLD" --snapshot snap.csv --customer "$ID" --as-of 2026-11-01 > explain.txt
grep -q "^customer customer_id = $ID, as of 2026-11-01" explain.txt
grep -q '^segments$' explain.txt
grep -q '^sequence winback: ' explain.txt
"$REKINDLE" explain "$OLD" --snapshot snap.csv --customer "$ID" --as-of 2026-11-01 \
  --format json > explain.json
# The explanation agrees with eval for this customer.
"$REKINDLE" eval "$OLD" --snapshot snap.csv --as-of 2026-11-01 --quiet --out eval.csv
python3 - "$ID" <<'EOF'
import csv, json, sys
e = json.load(open("explain.json"))
row = next(r for r in csv.DictReader(open("eval.csv")) if r["customer_id"] == sys.argv[1])
assert e["customer"] == sys.argv[1]
for s in e["segments"]:
    assert (s["label"] or "") == row[s["name"]], (s, row[s["name"]])
assert (e["stops"]["stopped_by"] or "") == row["stopped_by"]
assert ";".join(e["review"]["fired"]) == row["review"]
w = e["sequences"][0]
assert w["status"] == row["winback_status"], (w["status"], row["winback_status"])
print("explain json agrees with eval for", sys.argv[1])
EOF

expect_code 1 "$REKINDLE" explain "$OLD" --snapshot snap.csv --customer NOPE --as-of 2026-11-01
grep -q "customer \`NOPE\` is not in snap.csv" err.txt
expect_code 2 "$REKINDLE" explain "$OLD" --snapshot snap.csv --as-of 2026-11-01
expect_code 2 "$REKINDLE" explain "$OLD" --customer C1 --given orders_total=1

# A made-up customer: fields not given are missing when nullable; required ones are listed.
expect_code 1 "$REKINDLE" explain "$OLD" --as-of 2026-11-01 --given customer_id=Z --given orders_total=2
grep -q "these fields cannot be missing and have no value: avg_order_value, is_subscriber" err.txt
expect_code 1 "$REKINDLE" explain "$OLD" --as-of 2026-11-01 --given orders_totl=2
grep -q "did you mean \`orders_total\`" err.txt
GIVEN=(--given customer_id=Z1 --given last_purchase_date=2026-06-01 --given orders_total=3
       --given avg_order_value=80 --given is_subscriber=false --given email_opens_90d=0
       --given email_clicks_90d=0 --given purchases_90d=0 --given categories=apparel
       --given acquisition_channel=email --given email_consent=true --given sms_consent=false
       --given opted_out=false --given spam_complaints_90d=0 --given last_touch=0
       --given responded=false)
"$REKINDLE" explain "$OLD" --as-of 2026-11-01 "${GIVEN[@]}" > given.txt
grep -q "^stops: stopped by deliverability$" given.txt
grep -q "stop deliverability (.*winback.rules:[0-9]*): FIRES (fail closed: unknown)" given.txt
grep -Eq "^    email_bounce_rate > max_bounce_rate +unknown +\(email_bounce_rate is missing\)$" given.txt
expect_code 1 "$REKINDLE" explain "$OLD" --as-of 2026-11-01 "${GIVEN[@]}" --given orders_total=x
grep -q "field \`orders_total\` is given twice" err.txt
echo "diff and explain: counts, formats, engines and exit codes as documented"
