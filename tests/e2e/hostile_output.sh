#!/usr/bin/env bash
# Rekindle end-to-end test: output safety of `rekindle eval`. Stopped by any catchable signal
# mid-run, writing into a full disk (`ulimit -f`: EFBIG), or into a folder it cannot write, it
# must exit non-zero, say why, and leave neither a partial result nor a temporary file behind; a
# SIGKILLed run's temporary files are removed by the next run into the folder (and nothing else
# is); a closed pipe on standard output is an error with a message (exit 2), not a silent death.
set -euo pipefail
REKINDLE=$1
SRC=$(cd "$(dirname "$0")/../.." && pwd)
cd "$SRC"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
fail() { echo "hostile_output: FAIL: $*"; exit 1; }
known_fail() { echo "hostile_output: KNOWN-FAIL (not counted): $*"; }

# A snapshot big enough that eval runs for a few seconds (Arrow: cheap to generate).
ROWS=${RK_HOSTILE_ROWS:-3000000}
"$REKINDLE" gen --rows "$ROWS" --seed 5 --as-of 2026-11-01 --out "$TMP/big.arrow" --quiet
mkdir "$TMP/out"

# --- every catchable terminating signal mid-run ---------------------------------------------------
# Job control on: background jobs do not ignore SIGINT and SIGQUIT (as they do in a script), so
# each signal reaches rekindle with its default disposition. No core files (SIGQUIT dumps core).
set -m
ulimit -c 0
for sig in INT TERM HUP QUIT USR1 USR2 ALRM VTALRM PROF XCPU; do
  rm -rf "$TMP/out" && mkdir "$TMP/out"
  # --threads 1 keeps the run long enough to interrupt on a fast machine.
  "$REKINDLE" eval rules/winback.rules --snapshot "$TMP/big.arrow" --as-of 2026-11-01 \
    --threads 1 --out "$TMP/out/results.csv" --summary "$TMP/out/summary.json" \
    2> "$TMP/err_$sig.txt" &
  pid=$!
  # Wait until both temporary files exist (the run is writing), then interrupt.
  for _ in $(seq 1 600); do
    n=$(find "$TMP/out" -name '.rekindle-*.tmp' | wc -l)
    if [ "$n" -ge 2 ]; then break; fi
    sleep 0.05
  done
  [ "$(find "$TMP/out" -name '.rekindle-*.tmp' | wc -l)" -ge 2 ] ||
    fail "SIG$sig: no temporary files appeared"
  sleep 0.3
  kill -s "$sig" "$pid"
  set +e
  wait "$pid"; code=$?
  set -e
  [ "$code" != 0 ] || fail "SIG$sig: exit status 0 after an interrupted run (run too short?)"
  left=$(ls -A "$TMP/out")
  [ -z "$left" ] || fail "SIG$sig: files left behind: $left"
  # The exit status tells the signal (128 + its number: 130 for INT, 143 for TERM, ...).
  want=$((128 + $(kill -l "$sig")))
  [ "$code" = "$want" ] || fail "SIG$sig: exit status $code, expected $want"
  grep -q "rekindle: .* by signal SIG$sig; no output was written" "$TMP/err_$sig.txt" ||
    fail "SIG$sig: exit $code and no partial file, but stderr does not say why: $(cat "$TMP/err_$sig.txt")"
done
set +m
echo "hostile_output: INT, TERM, HUP, QUIT, USR1, USR2, ALRM, VTALRM, PROF, XCPU leave no partial or temporary file"

# --- SIGKILL cannot be caught: its leftovers are removed by the next run into the folder ---------
rm -rf "$TMP/out" && mkdir "$TMP/out"
"$REKINDLE" eval rules/winback.rules --snapshot "$TMP/big.arrow" --as-of 2026-11-01 \
  --threads 1 --out "$TMP/out/results.csv" --summary "$TMP/out/summary.json" 2> /dev/null &
pid=$!
for _ in $(seq 1 600); do
  [ "$(find "$TMP/out" -name '.rekindle-*.tmp' | wc -l)" -ge 2 ] && break
  sleep 0.05
done
sleep 0.3
kill -KILL "$pid"
set +e
wait "$pid"
set -e
[ "$(find "$TMP/out" -name '.rekindle-*.tmp' | wc -l)" -ge 2 ] || fail "SIGKILL: no leftovers to clean"
# Files that are not provably ours stay: another name, a symlink, a name of the scheme whose
# process is alive (this shell) and locked.
touch "$TMP/out/.results.csv.tmp-123-abc" "$TMP/out/notes.tmp"
ln -s /etc/hostname "$TMP/out/.rekindle-1-1-000000000000.tmp"
"$REKINDLE" eval rules/winback.rules --snapshot rules/sample.csv --as-of 2026-11-01 \
  --out "$TMP/out/results.csv" --quiet
left=$(cd "$TMP/out" && ls -A | sort | tr '\n' ' ')
[ "$left" = ".rekindle-1-1-000000000000.tmp .results.csv.tmp-123-abc notes.tmp results.csv " ] ||
  fail "SIGKILL leftovers: after the next run the folder holds: $left"
echo "hostile_output: a SIGKILLed run's temporary files are removed by the next run into the folder"

# A running writer's temporary file is never taken for a leftover: two runs into one folder.
rm -rf "$TMP/out" && mkdir "$TMP/out"
"$REKINDLE" eval rules/winback.rules --snapshot "$TMP/big.arrow" --as-of 2026-11-01 \
  --threads 1 --out "$TMP/out/a.csv" --quiet &
pid=$!
for _ in $(seq 1 600); do
  [ "$(find "$TMP/out" -name '.rekindle-*.tmp' | wc -l)" -ge 1 ] && break
  sleep 0.05
done
"$REKINDLE" eval rules/winback.rules --snapshot rules/sample.csv --as-of 2026-11-01 \
  --out "$TMP/out/b.csv" --quiet
wait "$pid" || fail "a run whose folder another run wrote into failed"
[ -s "$TMP/out/a.csv" ] && [ -s "$TMP/out/b.csv" ] || fail "two runs into one folder: a result is missing"
[ "$(head -c 11 "$TMP/out/a.csv")" = "customer_id" ] || fail "two runs into one folder: a.csv is damaged"
echo "hostile_output: a running writer's temporary file survives another run's cleanup"

# --- a closed pipe: `eval | head -1` says why it stopped (no silent death by SIGPIPE) ------------
set +e
"$REKINDLE" eval rules/winback.rules --snapshot "$TMP/big.arrow" --as-of 2026-11-01 \
  --summary "$TMP/pipe_summary.json" 2> "$TMP/err_pipe.txt" | head -1 > "$TMP/pipe_head.txt"
code=${PIPESTATUS[0]}
set -e
[ "$code" = 2 ] || fail "eval | head -1: exit status $code, expected 2"
grep -q "rekindle: error: cannot write standard output: the reading end of the pipe was closed" \
  "$TMP/err_pipe.txt" || fail "eval | head -1: message: $(cat "$TMP/err_pipe.txt")"
[ ! -e "$TMP/pipe_summary.json" ] || fail "eval | head -1: the summary was written for a failed run"
[ "$(cut -c1-11 "$TMP/pipe_head.txt")" = "customer_id" ] || fail "eval | head -1: no header line"
# Other subcommands writing to standard output say so too.
set +e
"$REKINDLE" explain rules/winback.rules --snapshot rules/sample.csv --customer C000000001 \
  --as-of 2026-11-01 2> "$TMP/err_pipe2.txt" | true
code=${PIPESTATUS[0]}
set -e
[ "$code" = 2 ] || [ "$code" = 0 ] || fail "explain | true: exit status $code"
if [ "$code" = 2 ]; then
  grep -q "cannot write standard output" "$TMP/err_pipe2.txt" || fail "explain | true: message"
fi
echo "hostile_output: a closed pipe is exit 2 with a message, and no summary"

# --- disk full: the file-size limit makes write() fail with EFBIG --------------------------------
rm -rf "$TMP/out" && mkdir "$TMP/out"
set +e
( ulimit -f 1024; exec "$REKINDLE" eval rules/winback.rules --snapshot "$TMP/big.arrow" \
    --as-of 2026-11-01 --out "$TMP/out/results.csv" --quiet ) 2> "$TMP/err_fsize.txt"
code=$?
set -e
[ "$code" != 0 ] || fail "ulimit -f: exit status 0"
grep -q "results.csv" "$TMP/err_fsize.txt" || fail "ulimit -f: the message does not name the output file: $(cat "$TMP/err_fsize.txt")"
grep -q "File too large" "$TMP/err_fsize.txt" || fail "ulimit -f: the message does not say why: $(cat "$TMP/err_fsize.txt")"
left=$(ls -A "$TMP/out")
[ -z "$left" ] || fail "ulimit -f: files left behind: $left"
echo "hostile_output: a full disk (EFBIG) is exit $code: $(head -1 "$TMP/err_fsize.txt")"

# Same for the Arrow and JSON-lines writers.
for fmt in arrow jsonl; do
  set +e
  ( ulimit -f 512; exec "$REKINDLE" eval rules/winback.rules --snapshot "$TMP/big.arrow" \
      --as-of 2026-11-01 --out "$TMP/out/results.$fmt" --quiet ) 2> "$TMP/err_fsize_$fmt.txt"
  code=$?
  set -e
  [ "$code" != 0 ] || fail "ulimit -f ($fmt): exit status 0"
  grep -q "results.$fmt" "$TMP/err_fsize_$fmt.txt" || fail "ulimit -f ($fmt): message: $(cat "$TMP/err_fsize_$fmt.txt")"
  left=$(ls -A "$TMP/out")
  [ -z "$left" ] || fail "ulimit -f ($fmt): files left behind: $left"
done
echo "hostile_output: EFBIG also for arrow and jsonl results"

# --- an output folder that cannot be written -----------------------------------------------------
small="rules/sample.csv"
check_unwritable() {  # $1: output path, $2: what the message must contain
  set +e
  "$REKINDLE" eval rules/winback.rules --snapshot "$small" --as-of 2026-11-01 --out "$1" \
    --quiet 2> "$TMP/err_unwritable.txt"
  local code=$?
  set -e
  [ "$code" != 0 ] || fail "--out $1: exit status 0"
  grep -q -- "$2" "$TMP/err_unwritable.txt" || fail "--out $1: message: $(cat "$TMP/err_unwritable.txt")"
  [ ! -e "$1" ] || fail "--out $1: the file exists"
}
check_unwritable "$TMP/no/such/dir/results.csv" "results.csv"
touch "$TMP/plainfile"
check_unwritable "$TMP/plainfile/results.csv" "results.csv"
check_unwritable "/proc/rk_results.csv" "rk_results.csv"
if [ "$(id -u)" != 0 ]; then  # root ignores permission bits
  mkdir "$TMP/ro" && chmod 555 "$TMP/ro"
  check_unwritable "$TMP/ro/results.csv" "Permission denied"
  chmod 755 "$TMP/ro"
fi
# The summary file too: the result is written, the summary cannot be; exit non-zero.
set +e
"$REKINDLE" eval rules/winback.rules --snapshot "$small" --as-of 2026-11-01 \
  --out "$TMP/out/ok.csv" --summary "$TMP/no/such/summary.json" 2> "$TMP/err_summary.txt"
code=$?
set -e
[ "$code" != 0 ] || fail "--summary into a missing folder: exit 0"
grep -q "summary.json" "$TMP/err_summary.txt" || fail "--summary: message: $(cat "$TMP/err_summary.txt")"
echo "hostile_output: unwritable output folders are errors naming the file"
