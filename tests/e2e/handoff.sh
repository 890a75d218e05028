#!/usr/bin/env bash
# Rekindle end-to-end test: the hand-off files of `rekindle eval` (--drafts, --review-queue,
# --events, --run-id; spec winback-program.md section 7). For the playbook they equal the
# independent oracle's (tests/oracle/playbook_handoff.py over winback_oracle.py) as values (JSON)
# and row for row (CSV), with both engines and 1 and 2 threads, byte-identical across them; the
# result, the hand-off files and the summary appear together or not at all: a process killed
# between the result and the drafts being complete leaves no file, and a failure in any file
# leaves none.
set -euo pipefail
REKINDLE=$1
SRC=$(cd "$(dirname "$0")/../.." && pwd)
O="$SRC/tests/oracle"
RULES="$SRC/rules/winback.rules"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

handoff() {  # handoff SNAPSHOT AS_OF PREFIX [flags...]
  local snap=$1 asof=$2 p=$3; shift 3
  "$REKINDLE" eval "$RULES" --snapshot "$snap" --as-of "$asof" --out "$p.csv" \
    --drafts "$p.drafts.jsonl" --review-queue "$p.queue.csv" --events "$p.events.jsonl" \
    --quiet "$@"
}

for seed in 1 2; do
  for asof in 2026-11-01 2024-02-29; do
    python3 "$O/winback_oracle.py" generate 3000 "$seed" "$asof" > "$TMP/adv.csv"
    python3 "$O/playbook_handoff.py" "$TMP/adv.csv" "$asof" run-7 "$TMP/x.drafts.jsonl" \
      "$TMP/x.queue.csv" "$TMP/x.events.jsonl"
    for engine in jit interp; do
      for threads in 1 2; do
        echo "== seed $seed as of $asof, $engine, $threads thread(s)"
        handoff "$TMP/adv.csv" "$asof" "$TMP/a" --run-id run-7 --engine "$engine" \
          --threads "$threads"
        python3 "$O/program_oracle.py" compare "$TMP/x.drafts.jsonl" "$TMP/a.drafts.jsonl"
        python3 "$O/program_oracle.py" compare "$TMP/x.queue.csv" "$TMP/a.queue.csv" \
          --strict-quoting
        python3 "$O/program_oracle.py" compare "$TMP/x.events.jsonl" "$TMP/a.events.jsonl"
        if [[ -e "$TMP/first.drafts.jsonl" ]]; then
          for f in csv drafts.jsonl queue.csv events.jsonl; do cmp "$TMP/first.$f" "$TMP/a.$f"; done
        fi
        for f in csv drafts.jsonl queue.csv events.jsonl; do cp "$TMP/a.$f" "$TMP/first.$f"; done
      done
    done
    rm -f "$TMP"/first.*
  done
done

# The default run id: AS_OF/ and the first 8 hex digits of the rules' hash (the summary's).
handoff "$TMP/adv.csv" 2026-11-01 "$TMP/d" --summary "$TMP/d.summary.json"
hash=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["inputs"]["rules_fnv1a64"])' \
  "$TMP/d.summary.json")
python3 - "$TMP/d.events.jsonl" "2026-11-01/${hash:0:8}" <<'EOF'
import json, sys
ids = {json.loads(line)["run_id"] for line in open(sys.argv[1], encoding="utf-8")}
assert ids == {sys.argv[2]}, (ids, sys.argv[2])
EOF

# The run manifest in the summary: version, run id, rules hash, the snapshot's path, size and
# SHA-256 (computed while reading), as-of, parameters, engine and threads; CSV and Arrow.
"$REKINDLE" convert "$TMP/adv.csv" "$TMP/adv.arrow" --schema "$SRC/rules/customer.schema" 2> /dev/null
for snap in "$TMP/adv.csv" "$TMP/adv.arrow"; do
  "$REKINDLE" eval "$RULES" --snapshot "$snap" --as-of 2026-11-01 --out "$TMP/m.csv" \
    --events "$TMP/m.jsonl" --run-id nightly-9 --threads 2 --engine interp \
    --summary "$TMP/m.json" --quiet
  python3 - "$TMP/m.json" "$snap" "$("$REKINDLE" --version)" <<'EOF'
import hashlib, json, os, sys
s = json.load(open(sys.argv[1]))["inputs"]
snap = sys.argv[2]
want = {"run_id": "nightly-9", "snapshot": snap, "snapshot_bytes": os.path.getsize(snap),
        "snapshot_sha256": hashlib.sha256(open(snap, "rb").read()).hexdigest(),
        "as_of": "2026-11-01", "engine": "interp", "threads": 2,
        "version": sys.argv[3].split()[-1]}
for k, v in want.items():
    assert s.get(k) == v, (k, s.get(k), v)
assert len(s["rules_fnv1a64"]) == 16 and s["params"]["whale_aov"] == "$250", s
EOF
done

# A bad run id is a usage error, before any file is made.
if "$REKINDLE" eval "$RULES" --snapshot "$TMP/adv.csv" --as-of 2026-11-01 --out "$TMP/b.csv" \
  --events "$TMP/b.jsonl" --run-id "" --quiet 2> "$TMP/err"; then
  echo "an empty run id was accepted"; exit 1
fi
grep -q "run id is empty" "$TMP/err"
[[ ! -e "$TMP/b.csv" && ! -e "$TMP/b.jsonl" ]]

# All or none. A process killed (SIGKILL, no handler runs) once the result is complete and
# before the drafts are leaves no target file; the same after the drafts, the queue or the events.
for n in 1 2 3 4; do
  mkdir "$TMP/kill$n"
  set +e
  RK_TEST_KILL_IN_COMMIT=$n "$REKINDLE" eval "$RULES" --snapshot "$TMP/adv.csv" \
    --as-of 2026-11-01 --out "$TMP/kill$n/r.csv" --drafts "$TMP/kill$n/d.jsonl" \
    --review-queue "$TMP/kill$n/q.csv" --events "$TMP/kill$n/e.jsonl" \
    --summary "$TMP/kill$n/s.json" --quiet 2> /dev/null &
  wait $! 2> /dev/null
  status=$?
  set -e
  [[ $status -eq 137 ]] || { echo "kill point $n: exit status $status, expected 137"; exit 1; }
  for f in r.csv d.jsonl q.csv e.jsonl s.json; do
    [[ ! -e "$TMP/kill$n/$f" ]] || { echo "kill point $n: $f exists"; exit 1; }
  done
done

# A file that cannot be written (a folder where the events should go) fails the run at once, and
# no other file appears either.
mkdir -p "$TMP/fail/events.jsonl"
if "$REKINDLE" eval "$RULES" --snapshot "$TMP/adv.csv" --as-of 2026-11-01 --out "$TMP/fail/r.csv" \
  --drafts "$TMP/fail/d.jsonl" --review-queue "$TMP/fail/q.csv" --summary "$TMP/fail/s.json" \
  --events "$TMP/fail/events.jsonl" --quiet 2> "$TMP/err"; then
  echo "events into a folder were accepted"; exit 1
fi
grep -q "is a directory" "$TMP/err"
[[ -z "$(find "$TMP/fail" -type f)" ]] || { echo "files left:"; find "$TMP/fail" -type f; exit 1; }

# A data error mid-snapshot leaves none of the files (the oracle's generator plants a bad row).
python3 "$O/winback_oracle.py" generate 200000 3 2026-11-01 > "$TMP/big.csv"
printf 'Cbad,2026-01-01,,not_an_int,1,,false,0,0,0,,direct,true,,false,,0,,0,,false\n' \
  >> "$TMP/big.csv"
mkdir "$TMP/bad"
if handoff "$TMP/big.csv" 2026-11-01 "$TMP/bad/r" --summary "$TMP/bad/s.json" 2> "$TMP/err"
then
  echo "a data error was accepted"; exit 1
fi
[[ -z "$(find "$TMP/bad" -type f)" ]] || { echo "files left:"; find "$TMP/bad" -type f; exit 1; }
echo "handoff: all checks passed"
