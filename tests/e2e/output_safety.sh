#!/usr/bin/env bash
# Rekindle end-to-end test: what an output may overwrite (runtime/output_guard.h). An output that
# is an input of the run (snapshot, rule file, schema; also through a symlink, a hard link or a
# redirected standard output) or two outputs that are one file are refused with exit 2 and the
# inputs are untouched; a device and a FIFO are written straight through (a device node is never
# replaced by a file: as root, /dev/null was); a symlinked --out writes its target; a legal
# 255-byte file name works (the temporary name does not depend on it); `fmt` writes through a
# symlinked rule file. Root-only cases (a device node) are skipped with a message otherwise.
set -euo pipefail
REKINDLE=$1
SRC=$(cd "$(dirname "$0")/../.." && pwd)
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
fail() { echo "output_safety: FAIL: $*"; exit 1; }
cd "$TMP"
cp "$SRC/rules/winback.rules" "$SRC/rules/customer.schema" "$SRC/rules/sample.csv" .
sums() { md5sum winback.rules customer.schema sample.csv; }
sums > before.md5

# refused DESCRIPTION MESSAGE-PART ARGS... : exit 2, the message, inputs unchanged, nothing made.
refused() {
  local what=$1 want=$2
  shift 2
  set +e
  "$REKINDLE" eval winback.rules --snapshot sample.csv --as-of 2026-11-01 --quiet "$@" \
    > out.txt 2> err.txt
  local code=$?
  set -e
  [ "$code" = 2 ] || fail "$what: exit $code, expected 2 ($(cat err.txt))"
  grep -qF -- "$want" err.txt || fail "$what: message: $(cat err.txt)"
  sums | cmp -s - before.md5 || fail "$what: an input changed"
  [ -z "$(find . -name '.rekindle-*')" ] || fail "$what: a temporary file was left"
}
refused "--out = snapshot" "--out \`sample.csv\` is the snapshot: writing there would destroy an input" --out sample.csv
refused "--out = rule file" "--out \`winback.rules\` is the rule file" --out winback.rules
refused "--out = schema" "--out \`customer.schema\` is the schema" --out customer.schema
refused "--out = ./snapshot" "is the snapshot" --out ./sample.csv
refused "--summary = snapshot" "--summary \`sample.csv\` is the snapshot" --out r.csv --summary sample.csv
refused "--summary = --out" "--out \`r.csv\` and --summary \`r.csv\` are the same file" --out r.csv --summary r.csv
refused "--summary = ./--out" "are the same file" --out r.csv --summary ./r.csv
ln -s sample.csv link.csv
refused "--out = a symlink to the snapshot" "--out \`link.csv\` is the snapshot \`sample.csv\`" --out link.csv
ln sample.csv hard.csv
refused "--out = a hard link of the snapshot" "--out \`hard.csv\` is the snapshot \`sample.csv\`" --out hard.csv
mkdir sub && ln -s ../r2.csv sub/r2.csv
refused "two outputs, one through a symlink" "are the same file" --out r2.csv --summary sub/r2.csv
refused "--out - and --summary -" "--out and --summary both go to standard output" --out - --summary -
# Standard output redirected onto the snapshot (>> keeps the file): refused, nothing appended.
set +e
"$REKINDLE" eval winback.rules --snapshot sample.csv --as-of 2026-11-01 --quiet >> sample.csv 2> err.txt
code=$?
set -e
[ "$code" = 2 ] || fail ">> snapshot: exit $code"
grep -qF -- "--out (standard output) is the snapshot \`sample.csv\`" err.txt || fail ">> snapshot: $(cat err.txt)"
sums | cmp -s - before.md5 || fail ">> snapshot: the snapshot changed"
[ ! -e r.csv ] && [ ! -e r2.csv ] || fail "a refused run made an output"
# Every command that reads files and prints refuses to print onto one of them.
appended() {  # appended WHAT MESSAGE-PART TARGET ARGS...
  local what=$1 want=$2 target=$3
  shift 3
  set +e
  "$REKINDLE" "$@" >> "$target" 2> err.txt
  local code=$?
  set -e
  [ "$code" = 2 ] && grep -qF -- "$want" err.txt || fail "$what >> $target: exit $code: $(cat err.txt)"
  sums | cmp -s - before.md5 || fail "$what >> $target: an input changed"
}
appended check "the output (standard output) is the rule file" winback.rules check winback.rules --format json
appended lint "is the schema" customer.schema lint winback.rules --format json
appended explain "is the snapshot" sample.csv explain winback.rules --snapshot sample.csv \
  --customer C000000001 --as-of 2026-11-01
appended diff "is the snapshot" sample.csv diff winback.rules winback.rules --snapshot sample.csv \
  --as-of 2026-11-01
appended schema "is the snapshot" sample.csv schema sample.csv
# convert: the output is the input.
set +e
"$REKINDLE" convert sample.csv sample.csv --schema customer.schema --quiet 2> err.txt
code=$?
set -e
[ "$code" = 2 ] && grep -qF "the output \`sample.csv\` is the snapshot" err.txt ||
  fail "convert onto its input: exit $code: $(cat err.txt)"
sums | cmp -s - before.md5 || fail "convert onto its input: an input changed"
# gen: a snapshot guided by rules or a schema, and outcomes for events, onto one of its inputs.
gen_refused() {  # gen_refused WHAT MESSAGE-PART FILE ARGS...
  local what=$1 want=$2 file=$3
  shift 3
  local before
  before=$(md5sum "$file")
  set +e
  "$REKINDLE" gen "$@" --quiet 2> err.txt
  local code=$?
  set -e
  [ "$code" = 2 ] && grep -qF -- "$want" err.txt || fail "gen $what: exit $code: $(cat err.txt)"
  [ "$(md5sum "$file")" = "$before" ] || fail "gen $what: the input changed"
}
gen_refused "--out = --schema" "--out \`customer.schema\` is the schema" customer.schema \
  --schema customer.schema --rows 10 --as-of 2026-11-01 --out customer.schema --format csv
gen_refused "--out = --rules" "--out \`winback.rules\` is the rule file" winback.rules \
  --rules winback.rules --rows 10 --as-of 2026-11-01 --out winback.rules --format csv
gen_refused "--out = the imported schema" "--out \`customer.schema\` is the schema" \
  customer.schema --rules winback.rules --rows 10 --as-of 2026-11-01 --out customer.schema \
  --format csv
# (The outputs are checked before the events are read: any file stands for them.)
echo '{}' > events.jsonl
gen_refused "--out = --outcomes-for" "--out \`events.jsonl\` is an events file" events.jsonl \
  --outcomes-for events.jsonl --out events.jsonl --format csv
rm -f events.jsonl
echo "output_safety: outputs that are inputs, or two outputs that are one file, are refused"

# --- devices and FIFOs are written straight through --------------------------------------------
"$REKINDLE" eval winback.rules --snapshot sample.csv --as-of 2026-11-01 --quiet --out /dev/null \
  --summary /dev/null
[ -c /dev/null ] || fail "/dev/null is no longer a character device"
if [ "$(id -u)" = 0 ]; then
  mknod "$TMP/null" c 1 3
  "$REKINDLE" eval winback.rules --snapshot sample.csv --as-of 2026-11-01 --quiet --out "$TMP/null"
  [ -c "$TMP/null" ] || fail "--out DEVICE (as root): the device node was replaced by a file"
  ln -s "$TMP/null" "$TMP/null-link"
  "$REKINDLE" eval winback.rules --snapshot sample.csv --as-of 2026-11-01 --quiet \
    --out "$TMP/null-link" --format arrow
  [ -c "$TMP/null" ] && [ -L "$TMP/null-link" ] || fail "--out a symlink to a device: replaced"
  echo "output_safety: a device node (as root) is written through, never replaced"
else
  echo "output_safety: SKIP (not root): writing to a private device node needs root (mknod)"
fi
mkfifo results.fifo
cat results.fifo > from_fifo.csv &
reader=$!
"$REKINDLE" eval winback.rules --snapshot sample.csv --as-of 2026-11-01 --quiet --out results.fifo
wait "$reader"
[ -p results.fifo ] || fail "--out FIFO: the FIFO was replaced"
"$REKINDLE" eval winback.rules --snapshot sample.csv --as-of 2026-11-01 --quiet --out direct.csv
cmp -s from_fifo.csv direct.csv || fail "--out FIFO: the results differ from a file's"
echo "output_safety: a FIFO is written through"

# --- a symlinked --out writes its target; a dangling one creates it ------------------------------
echo old > target.csv
ln -s target.csv out-link.csv
"$REKINDLE" eval winback.rules --snapshot sample.csv --as-of 2026-11-01 --quiet --out out-link.csv
[ -L out-link.csv ] || fail "--out symlink: the link was replaced by a file"
cmp -s target.csv direct.csv || fail "--out symlink: the target does not hold the results"
ln -s sub/new-target.csv dangling.csv
"$REKINDLE" eval winback.rules --snapshot sample.csv --as-of 2026-11-01 --quiet --out dangling.csv
[ -L dangling.csv ] && cmp -s sub/new-target.csv direct.csv || fail "--out dangling symlink"
echo "output_safety: a symlinked --out writes the file it names"

# --- the longest legal file name (255 bytes) ----------------------------------------------------
long=$(printf 'r%.0s' $(seq 1 251)).csv
"$REKINDLE" eval winback.rules --snapshot sample.csv --as-of 2026-11-01 --quiet --out "$long" \
  --summary "${long%.csv}.jsn"
cmp -s "$long" direct.csv || fail "a 255-byte --out name"
echo "output_safety: a 255-byte output name works"

# --- a replaced file keeps its mode; fmt writes through a symlinked rule file --------------------
chmod 640 direct.csv
"$REKINDLE" eval winback.rules --snapshot sample.csv --as-of 2026-11-01 --quiet --out direct.csv
[ "$(stat -c %a direct.csv)" = 640 ] || fail "a replaced result lost its mode: $(stat -c %a direct.csv)"
mkdir real
printf 'import "../customer.schema"\ncandidate   when   orders_total>3\n' > real/r.rules
ln -s real/r.rules linked.rules
"$REKINDLE" fmt linked.rules 2> /dev/null
[ -L linked.rules ] || fail "fmt: the symlinked rule file was replaced by a file"
grep -q "^candidate when orders_total > 3$" real/r.rules || fail "fmt: the target was not formatted"
echo "output_safety: fmt formats the file a symlink names"
echo "output_safety: ok"
