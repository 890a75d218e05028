#!/usr/bin/env bash
# Rekindle end-to-end test of variants in the hand-off files (docs/handoff.md): a draft's and an
# event's `variant` and a held-out customer's `would_be.variant`, checked against the result
# column and against buckets computed here independently (fnv1a64("SEQUENCE.TOUCH:" + key) mod
# 100, ranges in the order written, spec winback-program.md 4.3), with and without a paused
# variant, on both engines and 1 and 2 threads (the files must be byte-identical).
set -euo pipefail
REKINDLE=$1
SRC=$(cd "$(dirname "$0")/../.." && pwd)
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

cp "$SRC/tests/rules/probe.schema" "$TMP/"
cat > "$TMP/ab.rules" <<'RULES'
import "probe.schema"

channel email requires email_ok is true

sequence ab {
  progress last_touch on last_touch_date
  holdout 30% salt "ab-holdout"

  touch hello via email {
    variant red_door 50%
    variant blue_door 50%
  }
  touch deal via email offer credit 10 {
    variant plain 30%
    variant big 60% { offer credit 25 }
  }
  touch bye via email
}
RULES
echo '{"paused": ["ab.hello.red_door"]}' > "$TMP/paused.json"
"$REKINDLE" gen --schema "$TMP/probe.schema" --rules "$TMP/ab.rules" --rows 4000 --seed 17 \
  --as-of 2026-11-01 --out "$TMP/snap.csv" 2> /dev/null

for mode in plain paused; do
  extra=()
  [ "$mode" = paused ] && extra=(--experiments "$TMP/paused.json")
  first=""
  for engine in jit interp; do
    for threads in 1 2; do
      d="$TMP/$mode-$engine-$threads"
      mkdir "$d"
      "$REKINDLE" eval "$TMP/ab.rules" --snapshot "$TMP/snap.csv" --as-of 2026-11-01 --quiet \
        --engine "$engine" --threads "$threads" --out "$d/r.csv" --drafts "$d/drafts.jsonl" \
        --events "$d/events.jsonl" "${extra[@]}"
      if [ -z "$first" ]; then
        first=$d
      else
        for f in r.csv drafts.jsonl events.jsonl; do
          cmp "$first/$f" "$d/$f" || { echo "FAILED: $mode $engine $threads: $f differs"; exit 1; }
        done
      fi
    done
  done
  python3 - "$first" "$mode" <<'PY'
import csv, json, sys
d, mode = sys.argv[1], sys.argv[2]

def fnv1a64(text):
    h = 0xcbf29ce484222325
    for b in text.encode("utf-8"):
        h = ((h ^ b) * 0x100000001b3) & 0xFFFFFFFFFFFFFFFF
    return h

ranges = {"hello": [("red_door", 0, 50), ("blue_door", 50, 100)],
          "deal": [("plain", 0, 30), ("big", 30, 90)], "bye": []}
paused = {"red_door"} if mode == "paused" else set()

def expected(step, key):
    bucket = fnv1a64(f"ab.{step}:{key}") % 100
    for name, lo, hi in ranges[step]:
        if lo <= bucket < hi:
            if name in paused:  # its buckets go to the first variant that is not paused
                return next(n for n, _, _ in ranges[step] if n not in paused)
            return name
    return None

rows = {r["id"]: r for r in csv.DictReader(open(f"{d}/r.csv", newline=""))}
seen = {"due": 0, "would_be": 0, "variants": set(), "would_be_variants": set()}
for line in open(f"{d}/events.jsonl"):
    e = json.loads(line)
    key, row = e["customer_id"], rows[e["customer_id"]]
    assert e["status"] == row["ab_status"], (key, e["status"], row["ab_status"])
    if e["status"] == "due":
        want = expected(e["step"], key)
        assert e["variant"] == want == (row["ab_variant"] or None), (key, e, want, row)
        seen["due"] += 1
        seen["variants"].add(e["variant"])
    else:
        assert e["variant"] is None, (key, e)
    wb = e["would_be"]
    if e["status"] == "holdout":
        assert wb is not None, (key, e)
        if wb["status"] == "due":
            want = expected(wb["step"], key)
            assert wb["variant"] == want, (key, wb, want)
            seen["would_be"] += 1
            seen["would_be_variants"].add(wb["variant"])
        else:
            assert wb["variant"] is None, (key, wb)
    else:
        assert wb is None, (key, e)
drafts = 0
for line in open(f"{d}/drafts.jsonl"):
    x = json.loads(line)
    row = rows[x["customer_id"]]
    assert x["variant"] == (row["ab_variant"] or None) == expected(x["step"], x["customer_id"]), x
    drafts += 1
assert drafts == seen["due"], (drafts, seen["due"])
# Not vacuous: every variant that can serve is seen, for treated and held-out customers alike.
serving = {n for s in ranges.values() for n, _, _ in s if n not in paused} | {None}
assert seen["variants"] == serving, (mode, seen["variants"])
assert seen["would_be_variants"] == serving, (mode, seen["would_be_variants"])
print(f"handoff variants ({mode}): {seen['due']} due, {seen['would_be']} held out with a due "
      f"touch, variants {sorted(v or '-' for v in seen['variants'])}")
PY
done

# The experiments file is an input: no output may overwrite it.
cp "$TMP/paused.json" "$TMP/paused.before"
set +e
"$REKINDLE" eval "$TMP/ab.rules" --snapshot "$TMP/snap.csv" --as-of 2026-11-01 --quiet \
  --out "$TMP/o.csv" --experiments "$TMP/paused.json" --events "$TMP/paused.json" 2> "$TMP/err"
code=$?
set -e
[ "$code" = 2 ] || { echo "FAILED: exit $code for --events onto the experiments file"; exit 1; }
grep -q "experiments file" "$TMP/err" || { cat "$TMP/err"; echo "FAILED: message"; exit 1; }
cmp "$TMP/paused.json" "$TMP/paused.before"
[ ! -e "$TMP/o.csv" ] || { echo "FAILED: a result was written"; exit 1; }
echo "handoff variants: the experiments file is never an output"
