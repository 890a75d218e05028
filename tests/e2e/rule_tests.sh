#!/usr/bin/env bash
# Rekindle end-to-end test of `rekindle test`: the playbook's and the full program's own tests
# (rules/winback.test, rules/program.test) and the hand-written tests of constructs the playbook
# does not use (tests/rules/*.test) pass with full coverage on both engines; a failing test file
# prints the expected report and exits 1; a test file with a syntax or type error exits 2 with the
# diagnostic; uncovered rules fail --fail-uncovered.
set -euo pipefail
REKINDLE=$1
SRC=$(cd "$(dirname "$0")/../.." && pwd)
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

expect_exit() {  # expect_exit CODE command...
  local want=$1; shift
  set +e; "$@"; local got=$?; set -e
  if [ "$got" != "$want" ]; then echo "FAILED: exit $got, expected $want: $*"; exit 1; fi
}

echo "== the playbook's tests pass with everything reachable covered"
"$REKINDLE" test "$SRC/rules/winback.test" --coverage --fail-uncovered > "$TMP/out.txt"
tail -n 1 "$TMP/out.txt" | grep -Eq '^[0-9]+ passed, 0 failed$'
grep -q '^everything reachable is covered$' "$TMP/out.txt"
grep -q 'winback_status = no_channel: declared unreachable at' "$TMP/out.txt"
! grep -q '^FAIL' "$TMP/out.txt"
"$REKINDLE" test "$SRC/rules/winback.test" --engine interp > /dev/null

echo "== the full program's tests pass with everything reachable covered"
"$REKINDLE" test "$SRC/rules/program.test" --coverage --fail-uncovered > "$TMP/out.txt"
tail -n 1 "$TMP/out.txt" | grep -Eq '^[0-9]+ passed, 0 failed$'
grep -q '^everything reachable is covered$' "$TMP/out.txt"
"$REKINDLE" test "$SRC/rules/program.test" --engine interp > /dev/null
"$REKINDLE" test "$SRC/rules/program_sendtimes.test" > "$TMP/out.txt"
tail -n 1 "$TMP/out.txt" | grep -Eq '^[0-9]+ passed, 0 failed$'
"$REKINDLE" test "$SRC/rules/program_sendtimes.test" --engine interp > /dev/null

echo "== tests/rules: each construct's evaluated results, on the interpreter and the JIT"
count=0
for t in "$SRC"/tests/rules/*.test; do
  # --engine both fails a test where the engines disagree; --engine interp pins the interpreter
  # alone. Standard error stays empty: no "JIT is unavailable" warning, the JIT really ran.
  for engine in both interp; do
    set +e
    "$REKINDLE" test "$t" --engine "$engine" --coverage --fail-uncovered > "$TMP/out.txt" \
      2> "$TMP/err.txt"
    code=$?
    set -e
    if [ "$code" != 0 ] || [ -s "$TMP/err.txt" ]; then
      cat "$TMP/out.txt" "$TMP/err.txt"
      echo "FAILED: $t (--engine $engine): exit $code"
      exit 1
    fi
    tail -n 1 "$TMP/out.txt" | grep -Eq '^[1-9][0-9]* passed, 0 failed$'
    grep -q '^everything reachable is covered$' "$TMP/out.txt"
  done
  count=$((count + 1))
done
[ "$count" -ge 2 ] || { echo "FAILED: expected the test files of tests/rules"; exit 1; }

echo "== a failing test file: exit 1 and the expected report"
# A small rule set of our own, so that the line numbers below stay put.
cat > "$TMP/customer.schema" <<'SCHEMA'
schema customer
field customer_id: string key
field last_purchase_date: date?
field avg_order_value: money
field email_consent: bool?
field email_bounce_rate: percent?
field last_touch: int
field last_touch_date: date?
SCHEMA
cat > "$TMP/mini.rules" <<'RULES'
import "customer.schema"
let days_dormant = days since last_purchase_date
segment dormancy {
  never_purchased when last_purchase_date is missing
  active          when days_dormant < 60 days
  critical        when days_dormant in 60 to 179 days
  deep            when days_dormant >= 180 days
}
segment value_tier {
  whale when avg_order_value >= $250
  otherwise low
}
candidate when dormancy in {critical, deep}
stop no_permission when not (email_consent is true) because "No channel permission"
stop deliverability when email_bounce_rate > 5% because "Email deliverability risk"
review high_value when value_tier is whale
sequence winback {
  progress last_touch on last_touch_date
  wait 7 days
  holdout 5% salt "winback"
  channel email requires email_consent is true
  touch hello via email
  touch last_chance via email offer discount 20%
}
RULES
cat > "$TMP/bad.test" <<'TEST'
rules "mini.rules"
as of 2026-11-01
defaults {
  customer_id = "c-001", last_purchase_date = today - 120 days, avg_order_value = $80,
  email_consent = true, email_bounce_rate = 1%, last_touch = 0
}
test "passes" { expect winback_status = due, winback_offer = none }
test "bounce too high" {
  given email_bounce_rate = 6%
  expect stopped_by = none, dormancy = deep
}
test "holdout" {
  given customer_id = "c-003"
  expect winback_status = due
}
TEST
cat > "$TMP/expected.txt" <<'OUT'
PASS passes
FAIL bounce too high  (TMP/bad.test:8)
  stopped_by: expected none, actual deliverability  (TMP/bad.test:10)
    stop rule `deliverability` at TMP/mini.rules:15: `stop deliverability when email_bounce_rate > 5% because "Email deliverability risk"` (condition true) fired first
  dormancy: expected deep, actual critical  (TMP/bad.test:10)
    label `critical` matched at TMP/mini.rules:6: `critical        when days_dormant in 60 to 179 days`
    label `deep` at TMP/mini.rules:7: `deep            when days_dormant >= 180 days`: condition false
FAIL holdout  (TMP/bad.test:12)
  winback_status: expected due, actual holdout  (TMP/bad.test:14)
    holdout: fnv1a64("winback:c-003") mod 100 = 1, below 5: in the control group
1 passed, 2 failed
OUT
sed -i "s|TMP/|$TMP/|g" "$TMP/expected.txt"
expect_exit 1 "$REKINDLE" test "$TMP/bad.test" > "$TMP/actual.txt"
diff -u "$TMP/expected.txt" "$TMP/actual.txt"

echo "== coverage of a partial test file: exit 1 with --fail-uncovered, 0 without"
cat > "$TMP/partial.test" <<'TEST'
rules "mini.rules"
as of 2026-11-01
defaults {
  customer_id = "c-001", last_purchase_date = today - 120 days, avg_order_value = $80,
  email_consent = true, email_bounce_rate = 1%, last_touch = 0
}
test "due" { expect winback_status = due }
test "whale" { given avg_order_value = $250 expect review = high_value }
unreachable dormancy = critical  # wrong on purpose: the tests reach it
TEST
cat > "$TMP/expected.txt" <<'OUT'
PASS due
PASS whale

coverage of TMP/mini.rules by 2 tests:
  values reached: 9 of 23
  conditions seen both true and false: 2 of 10
not reached by any test:
  candidate = false
  label `never_purchased` of segment `dormancy` (TMP/mini.rules:4)
  label `active` of segment `dormancy` (TMP/mini.rules:5)
  label `deep` of segment `dormancy` (TMP/mini.rules:7)
  stop rule `no_permission` (TMP/mini.rules:14)
  stop rule `deliverability` (TMP/mini.rules:15)
  winback_status = not_candidate
  winback_status = stopped
  winback_status = holdout
  winback_status = exhausted
  winback_status = waiting
  winback_status = no_channel
  touch `last_chance` of sequence `winback` (TMP/mini.rules:23)
  winback_offer = discount 20%
conditions not seen both true and false:
  label dormancy.never_purchased at TMP/mini.rules:4: `never_purchased when last_purchase_date is missing`: never true
  label dormancy.active at TMP/mini.rules:5: `active          when days_dormant < 60 days`: never true
  label dormancy.critical at TMP/mini.rules:6: `critical        when days_dormant in 60 to 179 days`: never false
  label dormancy.deep at TMP/mini.rules:7: `deep            when days_dormant >= 180 days`: never true
  candidate at TMP/mini.rules:13: `candidate when dormancy in {critical, deep}`: never false
  stop no_permission at TMP/mini.rules:14: `stop no_permission when not (email_consent is true) because "No channel permission"`: never true
  stop deliverability at TMP/mini.rules:15: `stop deliverability when email_bounce_rate > 5% because "Email deliverability risk"`: never true
  channel winback.email (requires) at TMP/mini.rules:21: `channel email requires email_consent is true`: never false
wrong `unreachable` declarations:
  dormancy = critical is declared unreachable at TMP/partial.test:9, but test "due" reaches it

2 passed, 0 failed
OUT
sed -i "s|TMP/|$TMP/|g" "$TMP/expected.txt"
expect_exit 1 "$REKINDLE" test "$TMP/partial.test" --coverage --fail-uncovered > "$TMP/cov.txt"
diff -u "$TMP/expected.txt" "$TMP/cov.txt"
expect_exit 0 "$REKINDLE" test "$TMP/partial.test" --coverage > /dev/null

echo "== errors in a test file: exit 2 with file:line:col diagnostics"
printf 'rules "mini.rules"\nas of 2026-11-01\ntest "a" { given orders_total 3 }\n' > "$TMP/syntax.test"
expect_exit 2 "$REKINDLE" test "$TMP/syntax.test" 2> "$TMP/err.txt"
grep -qF "$TMP/syntax.test:3:31: error[RK0701]: expected \`=\` after the name, found \`3\`" "$TMP/err.txt"
sed 's/^test "due" { expect winback_status = due }$/test "due" { given avg_order_value = 80 expect winback_stat = due }/' \
  "$TMP/partial.test" > "$TMP/types.test"
expect_exit 2 "$REKINDLE" test "$TMP/types.test" 2> "$TMP/err.txt"
grep -qF "$TMP/types.test:7:38: error[RK0711]: field \`avg_order_value\` is money: write it with \`\$\`, e.g. \$250" "$TMP/err.txt"
grep -qF "$TMP/types.test:7:48: error[RK0713]: \`winback_stat\` is not an output column" "$TMP/err.txt"
expect_exit 2 "$REKINDLE" test "$TMP/partial.test" --fail-uncovered 2> /dev/null
echo "rule tests: all checks passed"
