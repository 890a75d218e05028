#!/usr/bin/env bash
# Rekindle end-to-end test of templates in the hand-off files (docs/language.md, "Templates";
# docs/handoff.md): tests/rules/templates.rules on a generated snapshot; every draft's subject and
# body, and every review-queue row's subject, are rendered here again independently from the
# snapshot's row (placeholders, fallbacks, values as the spec writes them, offers in words, one
# pass, no subject for sms) and must match; the files are byte-identical on both engines and 1 and
# 2 threads. Then tests/rules/template_lets.rules the same way: its templates show lets of every
# type, each computed here again from the row (and a sequence's step, channel and status from the
# result file).
set -euo pipefail
REKINDLE=$1
SRC=$(cd "$(dirname "$0")/../.." && pwd)
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

cp "$SRC/tests/rules/probe.schema" "$SRC/tests/rules/templates.rules" "$TMP/"
"$REKINDLE" gen --schema "$TMP/probe.schema" --rules "$TMP/templates.rules" --rows 3000 --seed 5 \
  --as-of 2026-11-01 --out "$TMP/snap.csv" 2> /dev/null

first=""
for engine in jit interp; do
  for threads in 1 2; do
    d="$TMP/$engine-$threads"
    mkdir "$d"
    "$REKINDLE" eval "$TMP/templates.rules" --snapshot "$TMP/snap.csv" --as-of 2026-11-01 \
      --quiet --engine "$engine" --threads "$threads" --out "$d/r.csv" \
      --drafts "$d/drafts.jsonl" --review-queue "$d/queue.csv"
    if [ -z "$first" ]; then
      first=$d
    else
      for f in r.csv drafts.jsonl queue.csv; do
        cmp "$first/$f" "$d/$f" || { echo "FAILED: $engine $threads: $f differs"; exit 1; }
      done
    fi
  done
done

python3 - "$TMP/snap.csv" "$first" "$SRC/tests/oracle" <<'PY'
import csv, json, sys
snap, d = sys.argv[1], sys.argv[2]
sys.path.insert(0, sys.argv[3])
from program_oracle import money_text, shortest_double as shortest  # the CSV writer's text
rows = {r["id"]: r for r in csv.DictReader(open(snap, newline="", encoding="utf-8"))}

def number(v):
    return shortest(float(v))

def money(v):
    return "$" + money_text(float(v))

def value(name, row, offer):
    """The placeholder's text, or None when missing (empty strings and lists too)."""
    if name == "offer":
        kind, _, amount = offer.partition(" ")
        words = {"none": "", "credit": f"a ${amount} credit", "discount": f"{amount[:-1]}% off",
                 "early_access": "early access", "points": f"{amount} points"}[kind]
        return words or None
    if name == "size":
        return "big" if row["n"] != "" and int(row["n"]) >= 10 else "small"
    if name == "loyalty":
        return str((10 if row["flag"].lower() == "true" else 0) + (5 if row["tier"] == "gold" else 0))
    v = row[name]
    if v == "":
        return None
    if name == "tags":
        return ", ".join(x for x in v.split("|") if x != "") or None
    if name == "spend":
        return money(v)
    if name == "rate":
        return number(v)
    return v  # strings, enums, dates as written

def render(template, row, offer):
    out, i = [], 0
    while i < len(template):
        if template.startswith("{{", i) or template.startswith("}}", i):
            out.append(template[i]); i += 2; continue
        if template[i] == "{":
            j = template.index("}", i)
            name, bar, fallback = template[i + 1:j].partition("|")
            v = value(name, row, offer)
            out.append(v if v is not None else (fallback if bar else ""))
            i = j + 1; continue
        out.append(template[i]); i += 1
    return "".join(out)

touch_subject = "Hi {name|friend}: {offer} for a {size} customer {{VIP}}"
touch_body = ("Tier {tier}, {loyalty} points, tags {tags|none}, spend {spend|unknown}, "
              "since {d|never}, rate {rate|?}.")
messages = {("greet", None): (touch_subject, touch_body),
            ("greet", "warm"): (touch_subject, "Warm: {name|friend} gets {offer}."),
            ("greet", "cool"): ("Cool {offer}", "Cool: {color|no color}."),
            ("bye", None): ("Bye {name|there}", "Bye, {name|there}.")}
subjects = {}
seen = set()
n = 0
for line in open(f"{d}/drafts.jsonl", encoding="utf-8"):
    x = json.loads(line)
    row = rows[x["customer_id"]]
    subject, body = messages[(x["step"], x["variant"])]
    want_subject = None if x["channel"] == "sms" else render(subject, row, x["offer"])
    assert x["subject"] == want_subject, (x, want_subject)
    assert x["body"] == render(body, row, x["offer"]), (x, render(body, row, x["offer"]))
    subjects[x["customer_id"]] = want_subject or ""
    seen.add((x["step"], x["variant"], x["channel"]))
    n += 1
queue = list(csv.reader(open(f"{d}/queue.csv", newline="", encoding="utf-8")))
assert queue[0][-1] == "subject", queue[0]
for q in queue[1:]:
    assert q[-1] == subjects[q[1]], (q, subjects[q[1]])
# Not vacuous: every message by email and sms, and reviews with and without a subject.
for key in messages:
    for ch in ("email", "sms"):
        assert (key[0], key[1], ch) in seen, (key, ch, sorted(seen, key=str))
assert any(q[-1] for q in queue[1:]) and any(not q[-1] for q in queue[1:])
print(f"handoff templates: {n} drafts and {len(queue) - 1} review rows rendered as expected")
PY

# Lets: tests/rules/template_lets.rules.
cp "$SRC/tests/rules/template_lets.rules" "$TMP/"
"$REKINDLE" gen --schema "$TMP/probe.schema" --rules "$TMP/template_lets.rules" --rows 3000 \
  --seed 9 --as-of 2026-11-01 --out "$TMP/lets.csv" 2> /dev/null
first=""
for engine in jit interp; do
  for threads in 1 2; do
    d="$TMP/lets-$engine-$threads"
    mkdir "$d"
    "$REKINDLE" eval "$TMP/template_lets.rules" --snapshot "$TMP/lets.csv" --as-of 2026-11-01 \
      --quiet --engine "$engine" --threads "$threads" --out "$d/r.csv" --drafts "$d/drafts.jsonl"
    if [ -z "$first" ]; then
      first=$d
    else
      for f in r.csv drafts.jsonl; do
        cmp "$first/$f" "$d/$f" || { echo "FAILED: lets $engine $threads: $f differs"; exit 1; }
      done
    fi
  done
done

python3 - "$TMP/lets.csv" "$first" "$SRC/tests/oracle" <<'PY'
import csv, datetime, json, sys
snap, d = sys.argv[1], sys.argv[2]
sys.path.insert(0, sys.argv[3])
from program_oracle import money_text, shortest_double as shortest  # the CSV writer's text
rows = {r["id"]: r for r in csv.DictReader(open(snap, newline="", encoding="utf-8"))}
results = {r["id"]: r for r in csv.DictReader(open(f"{d}/r.csv", newline="", encoding="utf-8"))}
AS_OF = datetime.date(2026, 11, 1)

def money(f):
    return "$" + money_text(f)

def date(v):
    return datetime.date.fromisoformat(v)

def lets(row, res):
    """Each let of template_lets.rules as a template writes it, None when missing."""
    n = int(row["n"]) if row["n"] else None
    x = float(row["x"]) if row["x"] else None
    spend = float(row["spend"]) if row["spend"] else None
    dd = date(row["d"]) if row["d"] else None
    flag = row["flag"].lower() == "true" if row["flag"] else None
    return {
        "orders": None if n is None else str(n + 1),
        "quiet": None if dd is None else str((AS_OF - dd).days),
        "renew": None if dd is None else (dd + datetime.timedelta(days=30)).isoformat(),
        "first_seen": (dd or datetime.date(2026, 1, 1)).isoformat(),
        "big_buyer": None if n is None else ("true" if n >= 10 else "false"),
        "gold": "true" if row["tier"] == "gold" else "false",
        "half": None if x is None else shortest(x / 2),
        "ratio": None if x is None or not n else shortest(x / n),
        "share": None if not row["rate"] else shortest(float(row["rate"])),
        "budget": None if spend is None else money(spend * 2),
        "floor_spend": money(spend if spend is not None else 0.0),
        "level": row["tier"],
        "shade": row["color"] or None,
        "bucket": "big" if n is not None and n >= 10 else "small",
        "loyal": "10" if flag else "0",
        "nick": row["name"] or None,
        "labels": ", ".join(t for t in row["tags"].split("|") if t) or None,
        "first_step": res["hello_step"] or None,
        "first_channel": res["hello_channel"] or None,
        "first_status": res["hello_status"],
    }

def render(template, values):
    out, i = [], 0
    while i < len(template):
        if template.startswith("{{", i) or template.startswith("}}", i):
            out.append(template[i]); i += 2; continue
        if template[i] == "{":
            j = template.index("}", i)
            name, bar, fallback = template[i + 1:j].partition("|")
            v = values[name]
            assert v is not None or bar, (name, values)  # the checker's promise
            out.append(v if v is not None else fallback)
            i = j + 1; continue
        out.append(template[i]); i += 1
    return "".join(out)

messages = {
    "greet": ("Hi {nick|friend}, {level} since {first_seen}, at least {floor_spend}, gold {gold}",
              "orders {orders|?}; quiet {quiet|?} days; renew {renew|?}; big {big_buyer|?}; "
              "half {half|?}; ratio {ratio|?}; share {share|?}; budget {budget|?}; "
              "shade {shade|none}; bucket {bucket}; tags {labels|none}; loyalty {loyal}"),
    "nudge": ("After {first_step|nothing} by {first_channel|no channel}",
              "Hello is {first_status}."),
}
n = 0
fallbacks = set()
for line in open(f"{d}/drafts.jsonl", encoding="utf-8"):
    x = json.loads(line)
    cid = x["customer_id"]
    vals = lets(rows[cid], results[cid])
    subject, body = messages[x["step"]]
    assert x["subject"] == render(subject, vals), (x, render(subject, vals))
    assert x["body"] == render(body, vals), (x, render(body, vals))
    fallbacks.update(k for k, v in vals.items() if v is None)
    n += 1
# Not vacuous: both sequences drafted, and each let that can be missing was missing for someone.
steps = {json.loads(l)["step"] for l in open(f"{d}/drafts.jsonl", encoding="utf-8")}
assert steps == {"greet", "nudge"}, steps
want_missing = {"orders", "quiet", "renew", "big_buyer", "half", "ratio", "share", "budget",
                "shade", "nick", "labels", "first_step", "first_channel"}
assert want_missing <= fallbacks, want_missing - fallbacks
print(f"handoff templates: {n} drafts showing lets rendered as expected")
PY
