#!/usr/bin/env bash
# Rekindle end-to-end test of `rekindle eval --experiments FILE` (docs/language.md, Variants):
# variants by bucket (tests/rules/variants.rules), a paused variant's buckets going to the first
# variant of its touch that is not paused while every other customer keeps theirs, the same
# result on both engines and for 1 and 2 threads, and every error of the file: not JSON, not an
# object, `paused` not a list of strings (exit 2, FILE:LINE:COL), an entry naming no variant with
# "did you mean" and pausing every variant of a touch (RK0414, exit 1), never a result file; and
# `explain --experiments`: the draw of a paused variant names who gets its buckets.
set -euo pipefail
REKINDLE=$1
SRC=$(cd "$(dirname "$0")/../.." && pwd)
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
RULES="$SRC/tests/rules/variants.rules"

expect_exit() {  # expect_exit CODE command...
  local want=$1; shift
  set +e; "$@"; local got=$?; set -e
  if [ "$got" != "$want" ]; then echo "FAILED: exit $got, expected $want: $*"; exit 1; fi
}

# Buckets fnv1a64("ab.hello:" + id) mod 100 and fnv1a64("ab.deal:" + id) mod 100 (computed by
# hand): k-1 53/95, k-2 20/6, k-4 86/40, k-10 23/1, k-11 12/90. hello: red_door 0-49,
# blue_door 50-99; deal: plain 0-29, big 30-89, none 90-99.
cat > "$TMP/snap.csv" <<'CSV'
id,name,tags,color,n,x,spend,rate,d,flag,email_ok,sms_ok,tier,renewal_date,last_touch,last_touch_date
k-1,,,,,,,,,,true,,gold,,0,
k-2,,,,,,,,,,true,,gold,,0,
k-10,,,,,,,,,,true,,gold,,1,2026-10-29
k-4,,,,,,,,,,true,,gold,,1,2026-10-29
k-11,,,,,,,,,,true,,gold,,1,2026-10-29
k-5,,,,,,,,,,false,,gold,,0,
CSV

run() {  # run OUT [options...]: every engine and thread count gives the same file
  local out=$1; shift
  local first=""
  for engine in jit interp; do
    for threads in 1 2; do
      "$REKINDLE" eval "$RULES" --snapshot "$TMP/snap.csv" --as-of 2026-11-01 --quiet \
        --engine "$engine" --threads "$threads" --out "$TMP/r.csv" "$@"
      if [ -z "$first" ]; then
        cp "$TMP/r.csv" "$out"; first=1
      elif ! cmp -s "$TMP/r.csv" "$out"; then
        diff "$out" "$TMP/r.csv" || true
        echo "FAILED: --engine $engine --threads $threads differs"; exit 1
      fi
    done
  done
}

echo "== variants by bucket"
run "$TMP/plain.csv"
cat > "$TMP/want.csv" <<'CSV'
id,candidate,stopped_by,review,ab_status,ab_touch,ab_step,ab_variant,ab_channel,ab_offer
k-1,true,,,due,1,hello,blue_door,email,none
k-2,true,,,due,1,hello,red_door,email,none
k-10,true,,,due,2,deal,plain,email,credit 10
k-4,true,,big_credit,due,2,deal,big,email,credit 25
k-11,true,,,due,2,deal,,email,credit 10
k-5,true,,,no_channel,,,,,
CSV
diff "$TMP/want.csv" "$TMP/plain.csv"

echo "== a file without \`paused\` pauses nothing"
echo '{"verdicts": []}' > "$TMP/none.json"
run "$TMP/none.csv" --experiments "$TMP/none.json"
cmp "$TMP/plain.csv" "$TMP/none.csv"

echo "== paused variants: their buckets go to the first open variant, the others keep theirs"
printf '{"paused": ["ab.hello.blue_door",\n            "ab.deal.plain"]}\n' > "$TMP/paused.json"
run "$TMP/paused.csv" --experiments "$TMP/paused.json"
cat > "$TMP/want.csv" <<'CSV'
id,candidate,stopped_by,review,ab_status,ab_touch,ab_step,ab_variant,ab_channel,ab_offer
k-1,true,,,due,1,hello,red_door,email,none
k-2,true,,,due,1,hello,red_door,email,none
k-10,true,,big_credit,due,2,deal,big,email,credit 25
k-4,true,,big_credit,due,2,deal,big,email,credit 25
k-11,true,,,due,2,deal,,email,credit 10
k-5,true,,,no_channel,,,,,
CSV
diff "$TMP/want.csv" "$TMP/paused.csv"

echo "== explain shows the variant's bucket and range"
"$REKINDLE" explain "$RULES" --snapshot "$TMP/snap.csv" --customer k-1 --as-of 2026-11-01 \
  > "$TMP/explain.txt"
grep -q '^  variant blue_door: bucket 53 of 100 under "ab.hello" is in 50-99$' "$TMP/explain.txt"
"$REKINDLE" explain "$RULES" --snapshot "$TMP/snap.csv" --customer k-11 --as-of 2026-11-01 \
  > "$TMP/explain.txt"
grep -q 'variant: bucket 90 of 100 under "ab.deal" lies beyond the variants' "$TMP/explain.txt"

eval_err() {  # eval_err CODE JSON: the exit code, standard error in err.txt, no result file
  local code=$1
  printf '%s' "$2" > "$TMP/x.json"
  rm -f "$TMP/out.csv"
  expect_exit "$code" "$REKINDLE" eval "$RULES" --snapshot "$TMP/snap.csv" --as-of 2026-11-01 \
    --quiet --experiments "$TMP/x.json" --out "$TMP/out.csv" 2> "$TMP/err.txt"
  [ ! -e "$TMP/out.csv" ] || { echo "FAILED: a result file was written"; exit 1; }
}

echo "== an entry naming no variant: RK0414 at its place, with did you mean"
eval_err 1 '{"paused": ["ab.hello.blue_dor"]}'
grep -q 'x.json:1:13: error\[RK0414\]: `ab.hello.blue_dor` names no variant of these rules' \
  "$TMP/err.txt"
grep -q 'did you mean `ab.hello.blue_door`?' "$TMP/err.txt"

echo "== pausing every variant of a touch: RK0414"
eval_err 1 $'{"paused": ["ab.hello.blue_door",\n  "ab.hello.red_door"]}'
grep -q 'x.json:2:3: error\[RK0414\]: every variant of touch `ab.hello` is paused' "$TMP/err.txt"
grep -q 'variants.rules:12:9: the touch is declared here' "$TMP/err.txt"

echo "== the file's shape: exit 2 naming the file, line and column"
eval_err 2 $'{"paused": [\n  "a",,'
grep -q 'x.json:2:7: the experiments file is not valid JSON' "$TMP/err.txt"
eval_err 2 '["ab.hello.blue_door"]'
grep -q 'x.json:1:1: the experiments file must be a JSON object' "$TMP/err.txt"
eval_err 2 '{"paused": "ab.hello.blue_door"}'
grep -q 'x.json:1:2: `paused` must be a list of strings' "$TMP/err.txt"
eval_err 2 '{"paused": [1]}'
grep -q '`paused` must be a list of strings' "$TMP/err.txt"
rm -f "$TMP/out.csv"
expect_exit 2 "$REKINDLE" eval "$RULES" --snapshot "$TMP/snap.csv" --as-of 2026-11-01 --quiet \
  --experiments "$TMP/missing.json" --out "$TMP/out.csv" 2> "$TMP/err.txt"
[ ! -e "$TMP/out.csv" ]

echo "== explain --experiments: the draw of a paused variant and who gets its buckets"
# k-1's hello bucket is 53 (blue_door); blue_door paused: its buckets go to red_door.
printf '{"paused": ["ab.hello.blue_door"]}' > "$TMP/pause.json"
"$REKINDLE" explain "$RULES" --snapshot "$TMP/snap.csv" --customer k-1 --as-of 2026-11-01 \
  > "$TMP/open.txt"
grep -q 'variant blue_door: bucket 53 of 100 under "ab.hello" is in 50-99$' "$TMP/open.txt"
"$REKINDLE" explain "$RULES" --snapshot "$TMP/snap.csv" --customer k-1 --as-of 2026-11-01 \
  --experiments "$TMP/pause.json" > "$TMP/paused.txt"
grep -q 'variant blue_door: bucket 53 of 100 under "ab.hello" is in 50-99 (paused: red_door instead)' \
  "$TMP/paused.txt"
printf '{"paused": ["ab.hello.blue_dor"]}' > "$TMP/typo.json"
expect_exit 1 "$REKINDLE" explain "$RULES" --snapshot "$TMP/snap.csv" --customer k-1 \
  --as-of 2026-11-01 --experiments "$TMP/typo.json" > /dev/null 2> "$TMP/err.txt"
grep -q 'typo.json:1:13: error\[RK0414\]' "$TMP/err.txt"
grep -q 'did you mean `ab.hello.blue_door`' "$TMP/err.txt"

echo "experiments: ok"
