#!/usr/bin/env bash
# Rekindle end-to-end test: broken snapshots through `rekindle eval`. A truncated or lying Arrow
# file, a CSV whose value cannot be read, a 100 MB CSV line: exit non-zero, a message naming the
# file (and the row and column when there is one), no result file; peak memory stays bounded.
set -euo pipefail
REKINDLE=$1
SRC=$(cd "$(dirname "$0")/../.." && pwd)
cd "$SRC"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
fail() { echo "hostile_snapshot: FAIL: $*"; exit 1; }

expect_error() {  # $1: snapshot, $2: text the message must contain
  set +e
  "$REKINDLE" eval rules/winback.rules --snapshot "$1" --as-of 2026-11-01 \
    --out "$TMP/out/results.csv" --quiet 2> "$TMP/err.txt"
  local code=$?
  set -e
  [ "$code" != 0 ] || fail "$1: exit status 0"
  grep -q -- "$2" "$TMP/err.txt" || fail "$1: expected '$2' in: $(cat "$TMP/err.txt")"
  left=$(ls -A "$TMP/out")
  [ -z "$left" ] || fail "$1: files left behind: $left"
}
mkdir "$TMP/out"

# Truncated Arrow files: cut the playbook snapshot at several places (the footer goes first).
"$REKINDLE" gen --rows 5000 --seed 3 --as-of 2026-11-01 --out "$TMP/snap.arrow" --quiet
size=$(stat -c %s "$TMP/snap.arrow")
for cut in 6 64 1000 $((size / 2)) $((size - 10)); do
  head -c "$cut" "$TMP/snap.arrow" > "$TMP/cut_$cut.arrow"
  expect_error "$TMP/cut_$cut.arrow" "cut_$cut.arrow"
done
echo "hostile_snapshot: truncated Arrow files are errors naming the file"

# An Arrow file whose footer points past the end (the footer length, the 4 bytes before the
# trailing magic, is a lie).
python3 - "$TMP/snap.arrow" "$TMP/lie_footer.arrow" <<'PY'
import sys, struct
b = bytearray(open(sys.argv[1], 'rb').read())
struct.pack_into('<i', b, len(b) - 10, 0x7fffff00)
open(sys.argv[2], 'wb').write(b)
PY
expect_error "$TMP/lie_footer.arrow" "lie_footer.arrow"
echo "hostile_snapshot: a lying footer length is an error"

# CSV: NaN in a non-nullable money column; an int out of range; a bad date.
hdr=$(head -1 rules/sample.csv)
row=$(sed -n 2p rules/sample.csv)
printf '%s\n%s\n' "$hdr" "$(echo "$row" | awk -F, -v OFS=, '{$5="nan"; print}')" > "$TMP/nan.csv"
expect_error "$TMP/nan.csv" "nan.csv:2: column avg_order_value"
printf '%s\n%s\n' "$hdr" "$(echo "$row" | awk -F, -v OFS=, '{$4="9223372036854775808"; print}')" > "$TMP/big.csv"
expect_error "$TMP/big.csv" "big.csv:2: column orders_total"
printf '%s\n%s\n' "$hdr" "$(echo "$row" | awk -F, -v OFS=, '{$2="2026-02-30"; print}')" > "$TMP/date.csv"
expect_error "$TMP/date.csv" "date.csv:2: column last_purchase_date"
echo "hostile_snapshot: bad CSV values are errors naming file, row and column"

# A 100 MB line: an error naming the row, and peak memory bounded by the 64 MiB record guard.
python3 - "$TMP/long.csv" "$hdr" "$row" <<'PY'
import sys
with open(sys.argv[1], 'w') as f:
    f.write(sys.argv[2] + "\n" + sys.argv[3] + "\n")
    f.write("C2,2026-06-05,,2,40.57,,false,3,1,0,")
    chunk = "a" * (1 << 20)
    for _ in range(100):
        f.write(chunk)
    f.write(",email,true,true,false,,0,0.0051,6,2026-10-16,false\n")
PY
set +e
/usr/bin/time -f "%M" -o "$TMP/rss.txt" "$REKINDLE" eval rules/winback.rules --snapshot "$TMP/long.csv" \
  --as-of 2026-11-01 --out "$TMP/out/results.csv" --quiet 2> "$TMP/err.txt"
code=$?
set -e
[ "$code" != 0 ] || fail "100 MB line: exit 0"
grep -q "long.csv:3" "$TMP/err.txt" || fail "100 MB line: message: $(cat "$TMP/err.txt")"
[ -z "$(ls -A "$TMP/out")" ] || fail "100 MB line: files left behind"
rss_kb=$(tail -1 "$TMP/rss.txt")
limit_kb=${RK_HOSTILE_RSS_LIMIT_KB:-600000}
echo "hostile_snapshot: 100 MB line: exit $code, peak RSS $((rss_kb / 1024)) MiB: $(head -1 "$TMP/err.txt")"
[ "$rss_kb" -lt "$limit_kb" ] || fail "100 MB line: peak RSS ${rss_kb} KiB >= ${limit_kb} KiB"

# `rekindle schema` on wide CSVs (3,000 string columns): the key is the first column whose values
# are all present and distinct, wherever it is (among the first columns tracked by the one scan,
# or later, found by the probes that read candidate columns only); a file without one has none.
wide() {  # $1: file, $2: key column (or -1)
  python3 - "$1" "$2" <<'PY'
import sys
path, key = sys.argv[1], int(sys.argv[2])
n, rows = 3000, 40
with open(path, "w") as f:
    f.write(",".join(f"c{i}" for i in range(n)) + "\n")
    for r in range(rows):
        f.write(",".join(f"k{r}" if i == key else f"v{(r + i) % 7}" for i in range(n)) + "\n")
PY
}
for key in 10 2500 -1; do
  wide "$TMP/wide.csv" "$key"
  "$REKINDLE" schema "$TMP/wide.csv" > "$TMP/wide.schema"
  keys=$(grep -c ' key$' "$TMP/wide.schema" || true)
  if [ "$key" = -1 ]; then
    [ "$keys" = 0 ] || fail "schema, no distinct column: a key was printed"
  else
    [ "$keys" = 1 ] && grep -q "^field c$key: string key$" "$TMP/wide.schema" ||
      fail "schema, key in column $key: $(grep ' key$' "$TMP/wide.schema")"
  fi
done
echo "hostile_snapshot: schema of 3,000 string columns finds the key anywhere (or none)"
