#!/usr/bin/env bash
# Rekindle end-to-end test of templates in the hand-off files (docs/language.md, "Templates";
# docs/handoff.md): tests/rules/templates.rules on a generated snapshot; every draft's subject and
# body, and every review-queue row's subject, are rendered here again independently from the
# snapshot's row (placeholders, fallbacks, values as the spec writes them, offers in words, one
# pass, no subject for sms) and must match; the files are byte-identical on both engines and 1 and
# 2 threads.
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

python3 - "$TMP/snap.csv" "$first" <<'PY'
import csv, json, sys
from decimal import Decimal
snap, d = sys.argv[1], sys.argv[2]
rows = {r["id"]: r for r in csv.DictReader(open(snap, newline="", encoding="utf-8"))}

def shortest(f):
    """std::to_chars(double): the shortest digits that read back, in fixed or scientific
    notation, whichever is shorter (fixed on a tie)."""
    sign, digits, exp = Decimal(repr(f)).normalize().as_tuple()
    ds = "".join(map(str, digits))
    e = exp + len(ds) - 1
    sci = ("-" if sign else "") + ds[0] + ("." + ds[1:] if len(ds) > 1 else "") + \
        "e" + ("+" if e >= 0 else "-") + f"{abs(e):02d}"
    fixed = format(Decimal(repr(f)).normalize(), "f")
    return fixed if len(fixed) <= len(sci) else sci

def number(v):
    return shortest(float(v))

def money(v):  # cents when they read back exactly, else the shortest text
    f = float(v)
    cents = f"{f:.2f}"
    return "$" + (cents if float(cents) == f else shortest(f))

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
