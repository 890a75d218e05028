#!/usr/bin/env bash
# Rekindle end-to-end test: where a snapshot can come from and what it can be
# (runtime/snapshot.cpp, runtime/snapshot_format.h). A pipe (`<(cat x.csv)`) and a FIFO give the
# same results as the file (nothing is lost to telling the format), for CSV and for Arrow (stream
# and file format, buffered in memory); Parquet, gzip/zstd/bzip2/xz, ZIP (xlsx) and UTF-16 files
# are refused with a message that says what the file is, whatever its name; `schema` refuses a
# pipe it would have to read twice. Every command runs under a timeout: nothing may hang.
set -euo pipefail
REKINDLE=$1
SRC=$(cd "$(dirname "$0")/../.." && pwd)
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
fail() { echo "snapshot_sources: FAIL: $*"; exit 1; }
cd "$SRC"
eval_to() {  # eval_to OUT SNAPSHOT
  timeout 60 "$REKINDLE" eval rules/winback.rules --snapshot "$2" --as-of 2026-11-01 --quiet \
    --out "$1"
}

# --- pipes and FIFOs ------------------------------------------------------------------------------
eval_to "$TMP/file.csv" rules/sample.csv
eval_to "$TMP/pipe.csv" <(cat rules/sample.csv)
cmp -s "$TMP/file.csv" "$TMP/pipe.csv" || fail "CSV through a pipe differs from the file"
mkfifo "$TMP/in.fifo"
cat rules/sample.csv > "$TMP/in.fifo" &
eval_to "$TMP/fifo.csv" "$TMP/in.fifo"
wait
cmp -s "$TMP/file.csv" "$TMP/fifo.csv" || fail "CSV through a FIFO differs from the file"
# A CSV larger than the 64 KiB looked at to tell the format: nothing of it is lost.
[ "$(stat -c %s rules/sample.csv)" -gt 65536 ] || fail "the sample is too small for this test"
fx=tests/fixtures/arrowjs
for f in customers.arrows customers.arrow; do
  eval_to "$TMP/$f.file.csv" "$fx/$f"
  eval_to "$TMP/$f.pipe.csv" <(cat "$fx/$f")
  cmp -s "$TMP/$f.file.csv" "$TMP/$f.pipe.csv" || fail "Arrow $f through a pipe differs"
done
echo "snapshot_sources: pipes and FIFOs read like files (CSV, Arrow stream and file)"

# --- formats that are not read ---------------------------------------------------------------------
refused() {  # refused FILE MESSAGE-PART
  set +e
  timeout 60 "$REKINDLE" eval rules/winback.rules --snapshot "$1" --as-of 2026-11-01 --quiet \
    --out "$TMP/never.csv" 2> "$TMP/err.txt"
  local code=$?
  set -e
  [ "$code" = 1 ] || fail "$1: exit $code ($(cat "$TMP/err.txt"))"
  grep -qF -- "$1: $2" "$TMP/err.txt" || fail "$1: message: $(cat "$TMP/err.txt")"
  [ ! -e "$TMP/never.csv" ] || fail "$1: a result was written"
}
gzip -c rules/sample.csv > "$TMP/gz.csv"
refused "$TMP/gz.csv" "is gzip-compressed; Rekindle reads Arrow IPC and CSV: decompress it first"
cp "$TMP/gz.csv" "$TMP/gz.arrow"
refused "$TMP/gz.arrow" "is gzip-compressed"
printf 'PAR1\x15\x04\x15\x10\x15\x14L\x15\x04\x15\x00\x12\x00\x00PAR1' > "$TMP/data.parquet"
refused "$TMP/data.parquet" "is a Parquet file, and Parquet is not read"
iconv -f UTF-8 -t UTF-16 rules/sample.csv > "$TMP/u16.csv"
refused "$TMP/u16.csv" "is UTF-16 text; Rekindle reads UTF-8: convert it first (\`iconv -f UTF-16"
iconv -f UTF-8 -t UTF-16LE rules/sample.csv > "$TMP/u16le.csv"  # no byte order mark
refused "$TMP/u16le.csv" "is UTF-16 text"
(cd "$TMP" && python3 -m zipfile -c book.xlsx "$SRC/rules/sample.csv")
refused "$TMP/book.xlsx" "is a ZIP archive (an Excel .xlsx"
if command -v zstd > /dev/null; then
  zstd -q -c rules/sample.csv > "$TMP/z.csv"
  refused "$TMP/z.csv" "is zstd-compressed"
fi
xz -c rules/sample.csv > "$TMP/x.csv" 2> /dev/null && refused "$TMP/x.csv" "is xz-compressed"
bzip2 -c rules/sample.csv > "$TMP/b.csv" 2> /dev/null && refused "$TMP/b.csv" "is bzip2-compressed"
# The same messages from convert and schema.
set +e
timeout 60 "$REKINDLE" schema "$TMP/u16.csv" > /dev/null 2> "$TMP/err.txt"
code=$?
set -e
[ "$code" = 1 ] && grep -qF "is UTF-16 text" "$TMP/err.txt" || fail "schema UTF-16: $code $(cat "$TMP/err.txt")"
set +e
timeout 60 "$REKINDLE" schema <(cat rules/sample.csv) > /dev/null 2> "$TMP/err.txt"
code=$?
set -e
[ "$code" = 2 ] && grep -qF "reads the file twice" "$TMP/err.txt" || fail "schema of a pipe: $code $(cat "$TMP/err.txt")"
# A name given twice cannot be typed: schema says so instead of printing a field twice.
printf 'id,n,id\na,1,b\n' > "$TMP/twice.csv"
set +e
timeout 60 "$REKINDLE" schema "$TMP/twice.csv" > /dev/null 2> "$TMP/err.txt"
code=$?
set -e
[ "$code" = 1 ] && grep -qF "column id: appears more than once in the header (columns 1 and 3)" \
  "$TMP/err.txt" || fail "schema of a header with a name twice: $code $(cat "$TMP/err.txt")"
echo "snapshot_sources: Parquet, compressed, ZIP and UTF-16 files are refused by what they are"
echo "snapshot_sources: ok"
