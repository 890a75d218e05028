#!/usr/bin/env bash
# Rekindle end-to-end test of the loop (issue 15, spec winback-program.md sections 4.3 and 8):
# `eval --events` -> outcomes with a planted losing variant (`gen --outcomes-for`) -> `measure
# --verdicts` pauses exactly that variant -> `eval --experiments` gives it no customers: its
# customers move to the first variant of the touch that is not paused, and every other value of
# every customer (statuses, touches, other touches' variants, offers) stays as it was.
set -euo pipefail
REKINDLE=$1
SRC=$(cd "$(dirname "$0")/../.." && pwd)
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

cp "$SRC/tests/rules/probe.schema" "$TMP/"
cat > "$TMP/loop.rules" <<'RULES'
import "probe.schema"

channel email requires email_ok is true

sequence ab {
  progress last_touch on last_touch_date
  holdout 10% salt "ab-holdout"

  touch hello via email {
    variant red_door 50%
    variant blue_door 50%
  }
  touch deal via email offer credit 10 {
    variant plain 50%
    variant big 50% { offer credit 25 }
  }
  touch bye via email
}
RULES
"$REKINDLE" gen --schema "$TMP/probe.schema" --rules "$TMP/loop.rules" --rows 40000 --seed 5 \
  --as-of 2026-11-01 --out "$TMP/snap.csv" 2> /dev/null

# Night 1.
"$REKINDLE" eval "$TMP/loop.rules" --snapshot "$TMP/snap.csv" --as-of 2026-11-01 --quiet \
  --out "$TMP/r1.csv" --events "$TMP/e1.jsonl"
# The month after: blue_door loses 6 points of reactivation against red_door; big neither wins
# nor loses.
"$REKINDLE" gen --outcomes-for "$TMP/e1.jsonl" --seed 11 --base-rate 0.12 --lift 0.04 \
  --variant-lift ab.hello.blue_door=-0.06 --out "$TMP/outcomes.csv" 2> /dev/null
"$REKINDLE" measure "$TMP/loop.rules" --events "$TMP/e1.jsonl" --outcomes "$TMP/outcomes.csv" \
  --out "$TMP/report.json" --verdicts "$TMP/verdicts.json" 2> /dev/null
python3 - "$TMP" <<'PY'
import json, sys
tmp = sys.argv[1]
verdicts = json.load(open(f"{tmp}/verdicts.json"))
assert verdicts["paused"] == ["ab.hello.blue_door"], verdicts
report = json.load(open(f"{tmp}/report.json"))
seq = report["pooled"]["sequences"][0]
by = {(v["step"], v["variant"]): v for v in seq["variants"]}
assert by[("hello", "blue_door")]["verdict"] == "losing", by
assert by[("hello", "blue_door")]["lift"] < 0, by
assert by[("deal", "big")]["verdict"] == "undecided", by
print("loop: measure pauses ab.hello.blue_door and nothing else")
PY

# Night 2, same snapshot, with the verdicts.
"$REKINDLE" eval "$TMP/loop.rules" --snapshot "$TMP/snap.csv" --as-of 2026-11-01 --quiet \
  --out "$TMP/r2.csv" --events "$TMP/e2.jsonl" --experiments "$TMP/verdicts.json"
python3 - "$TMP" <<'PY'
import csv, json, sys
tmp = sys.argv[1]
r1 = list(csv.DictReader(open(f"{tmp}/r1.csv", newline="")))
r2 = list(csv.DictReader(open(f"{tmp}/r2.csv", newline="")))
assert len(r1) == len(r2) > 0
moved = kept = 0
for a, b in zip(r1, r2):
    assert a["id"] == b["id"]
    if a["ab_variant"] == "blue_door":
        assert b["ab_variant"] == "red_door", (a, b)  # the first variant not paused
        moved += 1
        a = dict(a, ab_variant="red_door")
    else:
        kept += 1
    assert a == b, (a, b)  # everything else unchanged
assert moved > 100 and kept > 100, (moved, kept)
e2 = [json.loads(l) for l in open(f"{tmp}/e2.jsonl")]
assert not any(e["variant"] == "blue_door" for e in e2)
assert not any((e["would_be"] or {}).get("variant") == "blue_door" for e in e2)
assert any(e["variant"] == "big" for e in e2)  # the other touch's variants still serve
print(f"loop: night 2 gives blue_door no one ({moved} customers moved to red_door, {kept} kept theirs)")
PY
