#!/usr/bin/env bash
# Rekindle end-to-end test of local send times and the owner (docs/language.md "Send times" and
# "Owner", docs/handoff.md): tests/rules/send_times.rules on a generated snapshot whose time_zone
# field holds zones of many regions, as of a Sunday on which New York leaves daylight saving, a
# Sunday on which Berlin starts it, and a Tuesday. Every result's `hello_send_at`, every draft's
# `send_at` and `owner` and every review-queue row's `owner` (and the queue's order: by owner in
# code-point order, then snapshot order) is checked against an independent computation with
# Python's zoneinfo; the result (CSV, JSON lines, Arrow), drafts and queue are byte-identical on
# both engines and 1 and 2 threads. Then an unknown zone in the snapshot is a data error naming
# the row and column, and no output file is left.
set -euo pipefail
REKINDLE=$1
SRC=$(cd "$(dirname "$0")/../.." && pwd)
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

cp "$SRC/tests/rules/zones.schema" "$SRC/tests/rules/send_times.rules" "$TMP/"
RULES="$TMP/send_times.rules"
"$REKINDLE" gen --schema "$TMP/zones.schema" --rules "$RULES" --rows 5000 --seed 23 \
  --as-of 2026-11-01 --out "$TMP/snap.csv" 2> /dev/null

for as_of in 2026-11-01 2026-03-29 2026-11-03; do
  first=""
  for engine in jit interp; do
    for threads in 1 2; do
      d="$TMP/$as_of-$engine-$threads"
      mkdir "$d"
      "$REKINDLE" eval "$RULES" --snapshot "$TMP/snap.csv" --as-of "$as_of" --quiet \
        --engine "$engine" --threads "$threads" --out "$d/r.csv" --drafts "$d/drafts.jsonl" \
        --review-queue "$d/queue.csv"
      "$REKINDLE" eval "$RULES" --snapshot "$TMP/snap.csv" --as-of "$as_of" --quiet \
        --engine "$engine" --threads "$threads" --out "$d/r.jsonl"
      "$REKINDLE" eval "$RULES" --snapshot "$TMP/snap.csv" --as-of "$as_of" --quiet \
        --engine "$engine" --threads "$threads" --out "$d/r.arrow"
      if [ -z "$first" ]; then
        first=$d
      else
        for f in r.csv r.jsonl r.arrow drafts.jsonl queue.csv; do
          cmp "$first/$f" "$d/$f" || { echo "FAILED: $as_of $engine $threads: $f differs"; exit 1; }
        done
      fi
    done
  done
  python3 - "$TMP/snap.csv" "$first" "$as_of" <<'PY'
import csv, json, sys
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

snap_path, d, as_of = sys.argv[1], sys.argv[2], date.fromisoformat(sys.argv[3])
snap = list(csv.DictReader(open(snap_path, newline="", encoding="utf-8")))
result = list(csv.DictReader(open(f"{d}/r.csv", newline="", encoding="utf-8")))
assert len(snap) == len(result), (len(snap), len(result))
cols = list(result[0].keys())
# The send time after the offer, the owner last (after the scores: none here).
assert cols[-2:] == ["hello_send_at", "owner"], cols
assert cols.index("hello_send_at") == cols.index("hello_offer") + 1, cols

def send_at(zone, channel):
    day, hour = as_of, 9
    if channel == "sms":
        hour = 11
        if day.weekday() == 6:  # never on a local Sunday
            day += timedelta(days=1)
    t = datetime(day.year, day.month, day.day, hour, 0, tzinfo=ZoneInfo(zone))
    return t.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")

def owner(row):
    return row["csm"] if row["csm"] != "" else "marketing-ops"

due = reviewed = defaulted = 0
zones = set()
for s, r in zip(snap, result):
    assert s["id"] == r["id"]
    zone = s["tz"] or "America/New_York"
    if r["hello_status"] == "due":
        due += 1
        defaulted += s["tz"] == ""
        zones.add(zone)
        want = send_at(zone, r["hello_channel"])
        assert r["hello_send_at"] == want, (s["id"], zone, r["hello_channel"], r["hello_send_at"], want)
    else:
        assert r["hello_send_at"] == "", r
    if r["review"]:
        reviewed += 1
        assert r["owner"] == owner(s), (r["owner"], s["csm"])
    else:
        assert r["owner"] == "", r
assert due > 500 and reviewed > 50 and defaulted > 10 and len(zones) >= 15, (due, reviewed, defaulted, zones)

# JSON lines: the same texts, null when empty.
for line, r in zip(open(f"{d}/r.jsonl", encoding="utf-8"), result):
    j = json.loads(line)
    assert j["hello_send_at"] == (r["hello_send_at"] or None)
    assert j["owner"] == (r["owner"] or None)

# Drafts: one per due touch, send_at and owner from the result.
by_id = {r["id"]: (s, r) for s, r in zip(snap, result)}
drafts = [json.loads(l) for l in open(f"{d}/drafts.jsonl", encoding="utf-8")]
assert len(drafts) == due
for x in drafts:
    s, r = by_id[x["customer_id"]]
    assert x["send_at"] == r["hello_send_at"], x
    assert x["owner"] == (owner(s) if r["review"] else None), x

# Review queue: owner first, sorted by owner in code-point order, then snapshot order.
queue = list(csv.DictReader(open(f"{d}/queue.csv", newline="", encoding="utf-8")))
assert len(queue) == reviewed
order = {s["id"]: i for i, s in enumerate(snap)}
for q in queue:
    assert q["owner"] == owner(by_id[q["customer_id"]][0])
keys = [(q["owner"].encode("utf-8"), order[q["customer_id"]]) for q in queue]
assert keys == sorted(keys), "queue not in owner, snapshot order"
print(f"{as_of}: {due} due over {len(zones)} zones, {reviewed} reviewed")
PY
done

echo "== an unknown zone is a data error with row and column; no output is left"
python3 - "$TMP/snap.csv" "$TMP/bad.csv" <<'PY'
import csv, sys
rows = list(csv.reader(open(sys.argv[1], newline="", encoding="utf-8")))
tz = rows[0].index("tz")
rows[41][tz] = "europe/berlin"
csv.writer(open(sys.argv[2], "w", newline="", encoding="utf-8"), lineterminator="\n").writerows(rows)
PY
set +e
"$REKINDLE" eval "$RULES" --snapshot "$TMP/bad.csv" --as-of 2026-11-01 --quiet --out "$TMP/bad-out.csv" \
  2> "$TMP/err.txt"
code=$?
set -e
[ "$code" != 0 ] || { echo "FAILED: an unknown zone was accepted"; exit 1; }
grep -q 'bad.csv:42: column tz: "europe/berlin" is not a time zone of the system.s database (.*); did you mean "Europe/Berlin"?' "$TMP/err.txt" ||
  { cat "$TMP/err.txt"; echo "FAILED: the data error"; exit 1; }
[ ! -e "$TMP/bad-out.csv" ] || { echo "FAILED: an output was left"; exit 1; }
# The same snapshot as Arrow (written with the zone field read as a plain string; the Arrow
# reader counts data rows, so CSV line 42 is row 41).
mkdir "$TMP/loose"
sed 's/field tz: time_zone?/field tz: string?/' "$TMP/zones.schema" > "$TMP/loose/zones.schema"
"$REKINDLE" convert "$TMP/bad.csv" "$TMP/bad.arrow" --schema "$TMP/loose/zones.schema" 2> /dev/null
set +e
"$REKINDLE" eval "$RULES" --snapshot "$TMP/bad.arrow" --as-of 2026-11-01 --quiet \
  --out "$TMP/bad-out.csv" 2> "$TMP/err.txt"
code=$?
set -e
[ "$code" != 0 ] || { echo "FAILED: an unknown zone was accepted (Arrow)"; exit 1; }
grep -q 'bad.arrow:41: column tz: "europe/berlin" is not a time zone of the system.s database (.*); did you mean "Europe/Berlin"?' "$TMP/err.txt" ||
  { cat "$TMP/err.txt"; echo "FAILED: the data error (Arrow)"; exit 1; }
[ ! -e "$TMP/bad-out.csv" ] || { echo "FAILED: an output was left (Arrow)"; exit 1; }
echo "OK"
