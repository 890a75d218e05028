#!/usr/bin/env bash
# Rekindle end-to-end test of `rekindle convert`: CSV -> Arrow -> CSV is lossless on the bundled
# sample (byte for byte, through the playbook's schema and through the whole program's), and so
# is Arrow -> CSV -> Arrow on a generated snapshot with every shape the generator makes (nulls,
# non-ASCII ids, commas and quotes in ids, lists); the Arrow copy also evaluates to the same
# results as the CSV.
set -euo pipefail
REKINDLE=$1
SRC=$(cd "$(dirname "$0")/../.." && pwd)
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
cd "$TMP"
SCHEMA="$SRC/rules/customer.schema"
RULES="$SRC/rules/winback.rules"

# The bundled sample has the program's columns after the playbook's (`rekindle gen --program`):
# through the playbook's schema it is the playbook's snapshot of the same seed, and through the
# schema `rekindle schema` infers for it the whole file comes back byte for byte.
"$REKINDLE" convert "$SRC/rules/sample.csv" sample.arrow --schema "$SCHEMA"
"$REKINDLE" convert sample.arrow sample.csv --schema "$SCHEMA"
"$REKINDLE" gen --rows 3000 --seed 1 --as-of 2026-11-01 --out playbook_sample.csv --quiet
cmp playbook_sample.csv sample.csv
"$REKINDLE" schema "$SRC/rules/sample.csv" > program.schema
"$REKINDLE" convert "$SRC/rules/sample.csv" program.arrow --schema program.schema
"$REKINDLE" convert program.arrow program.csv --schema program.schema
cmp "$SRC/rules/sample.csv" program.csv

# List items that tell the reader's item index apart only by their middle, order or length.
python3 - "$SRC/rules/sample.csv" > items.csv <<'PY'
import csv, sys
words = ["ab", "ba", "a", "abc", "acb", "abcd", "abdc", "abcdefgh", "abcdefgi", "abcdefghijklmnop",
         "abcdefghijklmnoq", "abcdefghXjklmnopq", "abcdefghYjklmnopq", "Zoë", "顧客", "x" * 40,
         "x" * 39 + "y"]
rows = [r[:21] for r in csv.reader(open(sys.argv[1], newline=""))]  # the playbook's columns
col = rows[0].index("categories")
w = csv.writer(sys.stdout, lineterminator="\n")
w.writerow(rows[0])
for i, r in enumerate(rows[1:]):
    r[col] = "|".join(words[(i * 7 + j * 3) % len(words)] for j in range(i % 4))
    w.writerow(r)
PY
"$REKINDLE" convert items.csv items.arrow --schema "$SCHEMA"
"$REKINDLE" convert items.arrow items2.csv --schema "$SCHEMA"
cmp items.csv items2.csv

"$REKINDLE" gen --rows 50000 --seed 11 --as-of 2026-11-01 --out gen.arrow
"$REKINDLE" convert gen.arrow gen.csv --schema "$SCHEMA"
"$REKINDLE" convert gen.csv gen2.arrow --schema "$SCHEMA"
"$REKINDLE" convert gen2.arrow gen2.csv --schema "$SCHEMA"
cmp gen.csv gen2.csv
grep -q '"' gen.csv || { echo "the generated snapshot has no quoted field"; exit 1; }
LC_ALL=C grep -q $'[\x80-\xff]' gen.csv || { echo "the generated snapshot has no non-ASCII id"; exit 1; }

"$REKINDLE" eval "$RULES" --snapshot gen.csv --as-of 2026-11-01 --out a.csv --quiet
"$REKINDLE" eval "$RULES" --snapshot gen2.arrow --as-of 2026-11-01 --out b.csv --quiet
cmp a.csv b.csv
echo "convert round trips: lossless"
