#!/usr/bin/env bash
# Rekindle end-to-end test of the semantic errors of `rekindle test` files (docs/testing.md,
# RK0710-RK0716): each is reported with its code at the right line and column, all of them in one
# run, and the run exits 2 without running any test.
set -euo pipefail
REKINDLE=$1
SRC=$(cd "$(dirname "$0")/../.." && pwd)
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
cd "$TMP"
# The rules next to the test file: a test file's `rules` file stays in its folder (like imports).
cp "$SRC/rules/winback.rules" "$SRC/rules/customer.schema" .

expect() {  # expect FILE.test CODE LINE:COL
  grep -q "^$1:$3: error\[$2\]" err.txt || { echo "expected $1:$3: error[$2] in:"; cat err.txt; exit 1; }
}

cat > bad.test <<TEST
rules "winback.rules"
as of 2026-11-01
defaults {
  customer_id = "c-001"
  last_purchase_date = today - 120 days
  orders_total = 3
  avg_order_value = \$80
  is_subscriber = false
  email_opens_90d = 2
  email_clicks_90d = 1
  purchases_90d = 0
  categories = {apparel}
  acquisition_channel = paid_social
  email_consent = true
  sms_consent = false
  opted_out = false
  spam_complaints_90d = 0
  last_touch = 0
  loyalty_points = 5
}
test "responded is never given" {
  expect candidate = true
}
test "a missing value where none is allowed" {
  given orders_total = missing, responded = false
  expect candidate = true
}
test "expects nothing" {
  given orders_total = 4, responded = false
}
test "a value the column does not have" {
  given responded = false
  expect dormancy = sleepy
}
test "a column the rules do not have" {
  given responded = false
  expect loyalty = gold
}
unreachable dormancy = none
TEST
set +e; "$REKINDLE" test bad.test > out.txt 2> err.txt; code=$?; set -e
[ "$code" = 2 ] || { echo "expected exit 2, got $code"; cat out.txt err.txt; exit 1; }
expect bad.test RK0710 19:3    # not a field of the schema
expect bad.test RK0712 21:6    # a non-nullable field without a value
expect bad.test RK0711 25:24   # a value that does not fit the field
expect bad.test RK0716 28:6    # a test that expects nothing
expect bad.test RK0714 33:21   # not a value of the column
expect bad.test RK0713 37:10   # not an output column
expect bad.test RK0714 39:24   # `unreachable` names one value
grep -q "help: the fields are: customer_id," err.txt
grep -q "(or none / missing for empty)" err.txt
[ ! -s out.txt ] || { echo "tests ran despite errors:"; cat out.txt; exit 1; }

cat > missing_rules.test <<'TEST'
rules "nosuch.rules"
as of 2026-11-01
test "x" {
  expect candidate = true
}
TEST
set +e; "$REKINDLE" test missing_rules.test > out.txt 2> err.txt; code=$?; set -e
[ "$code" = 2 ] || { echo "expected exit 2, got $code"; cat err.txt; exit 1; }
expect missing_rules.test RK0715 1:7
grep -q "the path is relative to the test file" err.txt
echo "rule test files: every semantic error reported at its place"
