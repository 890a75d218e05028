#!/usr/bin/env bash
# Rekindle end-to-end test: the README's "whole loop" block runs as written (with this build's
# binary and the repository's rules) and does what the README says: measure pauses exactly the
# variant given a planted loss, and the next run gives it no customers.
set -euo pipefail
REKINDLE=$1
SRC=$(cd "$(dirname "$0")/../.." && pwd)
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

# The block between the readme-loop markers, its fence lines dropped.
awk '/<!-- readme-loop:/{on=1; next} /<!-- \/readme-loop -->/{on=0} on && !/^```/' \
  "$SRC/README.md" >"$TMP/loop.sh"
grep -q '^R=build/release/cli/rekindle$' "$TMP/loop.sh"
[ "$(grep -c '^\$R ' "$TMP/loop.sh")" -eq 5 ]  # gen + the four commands
sed -i "s|^R=build/release/cli/rekindle\$|R=$REKINDLE|; s| rules/| $SRC/rules/|g" "$TMP/loop.sh"

(cd "$TMP" && bash -euo pipefail loop.sh >out.txt 2>&1) || {
  cat "$TMP/out.txt"
  exit 1
}
grep -q 'paused: winback.pattern_interrupt.personal' "$TMP/out.txt"
python3 - "$TMP" <<'PY'
import csv, json, sys
d = sys.argv[1]
assert json.load(open(f"{d}/verdicts.json")) == {"paused": ["winback.pattern_interrupt.personal"]}
report = json.load(open(f"{d}/report.json"))
assert report["runs"], "the report has runs"
rows = list(csv.DictReader(open(f"{d}/results.csv")))
assert len(rows) == 200000, len(rows)
variants = [r["winback_variant"] for r in rows if r["winback_step"] == "pattern_interrupt"]
assert variants and all(v == "curiosity" for v in variants), set(variants)
html = open(f"{d}/report.html").read()
assert "<svg" in html and "http://" not in html.replace("http://www.w3.org", "")
PY
echo "readme loop: ok"
