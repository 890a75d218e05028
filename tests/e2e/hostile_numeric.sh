#!/usr/bin/env bash
# Rekindle end-to-end test: numeric edge cases through `rekindle eval`, with both engines and
# exact expected results: int overflow and division by zero give a missing value, NaN in a
# nullable number column is missing (in a non-nullable one an error), infinities compare as
# infinities, dates before 1970 and after 2100 work, and an as-of date before a date gives
# negative `days since`. The defined behaviour is documented in docs/reliability.md.
set -euo pipefail
REKINDLE=$1
SRC=$(cd "$(dirname "$0")/../.." && pwd)
cd "$SRC"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
fail() { echo "hostile_numeric: FAIL: $*"; exit 1; }

cp rules/customer.schema "$TMP/"
cat > "$TMP/numeric.rules" <<RULES
import "customer.schema"
let big = orders_total * 10000000000000
let sum = orders_total + email_opens_90d
let ratio = avg_order_value / (avg_order_value - avg_order_value)
let per_order = email_clicks_90d / orders_total
let dormant = days since last_purchase_date
segment overflow {
  over_missing when big is missing
  over_positive when big > 0
  otherwise over_other
}
segment addition {
  add_missing when sum is missing
  otherwise add_ok
}
segment division {
  div_missing when ratio is missing
  otherwise div_present
}
segment int_division {
  idiv_missing when per_order is missing
  idiv_half when per_order = 0.5
  otherwise idiv_other
}
segment aov {
  aov_missing when avg_order_value is missing
  aov_huge when avg_order_value > \$1000000000
  aov_negative when avg_order_value < \$0
  otherwise aov_finite
}
segment margin {
  margin_missing when gross_margin_pct is missing
  margin_high when gross_margin_pct >= 40%
  otherwise margin_low
}
segment dormancy {
  dormancy_missing when dormant is missing
  dormancy_future when dormant < 0 days
  dormancy_ancient when dormant > 36500 days
  otherwise dormancy_normal
}
segment era {
  era_missing when last_purchase_date is missing
  era_pre1970 when last_purchase_date < 1970-01-01
  era_post2100 when last_purchase_date > 2100-12-31
  otherwise era_between
}
candidate when true
stop unknown_overflow when big > 0
  because "fails closed: an overflow is unknown"
RULES

# Columns: customer_id,last_purchase_date,last_engagement_date,orders_total,avg_order_value,
# gross_margin_pct,is_subscriber,email_opens_90d,email_clicks_90d,purchases_90d,categories,
# acquisition_channel,email_consent,sms_consent,opted_out,relationship_flag,spam_complaints_90d,
# email_bounce_rate,last_touch,last_touch_date,responded
hdr=$(head -1 rules/sample.csv | cut -d, -f1-21)  # the sample also has the program's columns
cat > "$TMP/numeric.csv" <<CSV
$hdr
plain,2026-10-02,,2,50,0.5,false,3,1,0,home,email,true,true,false,,0,0.01,0,,false
overflow,2026-10-02,,1000000,50,0.1,false,9223372036854775807,0,0,,email,true,true,false,,0,,0,,false
zero_orders,2026-10-02,,0,0,,false,0,0,0,,email,true,true,false,,0,,0,,false
inf_aov,1969-12-31,,1,inf,nan,false,0,0,0,,email,true,true,false,,0,nan,0,,false
neg_inf_aov,1900-01-01,,1,-inf,inf,false,0,0,0,,email,true,true,false,,0,-inf,0,,false
nan_margin,2101-01-01,,1,1e308,NaN,false,0,0,0,,email,true,true,false,,0,,0,,false
future,2200-02-29,,1,19.99,-inf,false,0,0,0,,email,true,true,false,,0,,0,,false
epoch,1970-01-01,,-9223372036854775808,-5,0.4,false,0,1,0,,email,true,true,false,,0,,0,,false
never,,,0,0,,false,0,0,0,,email,true,true,false,,0,,0,,false
CSV
sed -i 's/2200-02-29/2200-03-01/' "$TMP/numeric.csv"  # 2200 is not a leap year

run() {  # $1: engine, $2: as-of, $3: output
  "$REKINDLE" eval "$TMP/numeric.rules" --snapshot "$TMP/numeric.csv" --as-of "$2" \
    --engine "$1" --out "$3" --quiet
}
for asof in 2026-11-01 1960-06-15; do
  run jit "$asof" "$TMP/jit_$asof.csv"
  run interp "$asof" "$TMP/interp_$asof.csv"
  cmp -s "$TMP/jit_$asof.csv" "$TMP/interp_$asof.csv" || {
    diff "$TMP/jit_$asof.csv" "$TMP/interp_$asof.csv"; fail "as of $asof: JIT != interpreter"; }
done

cat > "$TMP/want_2026-11-01.csv" <<'WANT'
customer_id,candidate,overflow,addition,division,int_division,aov,margin,dormancy,era,stopped_by,review
plain,true,over_positive,add_ok,div_missing,idiv_half,aov_finite,margin_high,dormancy_normal,era_between,unknown_overflow,
overflow,true,over_missing,add_missing,div_missing,idiv_other,aov_finite,margin_low,dormancy_normal,era_between,unknown_overflow,
zero_orders,true,over_other,add_ok,div_missing,idiv_missing,aov_finite,margin_missing,dormancy_normal,era_between,,
inf_aov,true,over_positive,add_ok,div_missing,idiv_other,aov_huge,margin_missing,dormancy_normal,era_pre1970,unknown_overflow,
neg_inf_aov,true,over_positive,add_ok,div_missing,idiv_other,aov_negative,margin_high,dormancy_ancient,era_pre1970,unknown_overflow,
nan_margin,true,over_positive,add_ok,div_missing,idiv_other,aov_huge,margin_missing,dormancy_future,era_post2100,unknown_overflow,
future,true,over_positive,add_ok,div_missing,idiv_other,aov_finite,margin_low,dormancy_future,era_post2100,unknown_overflow,
epoch,true,over_missing,add_ok,div_missing,idiv_other,aov_negative,margin_high,dormancy_normal,era_between,unknown_overflow,
never,true,over_other,add_ok,div_missing,idiv_missing,aov_finite,margin_missing,dormancy_missing,era_missing,,
WANT
cat > "$TMP/want_1960-06-15.csv" <<'WANT'
customer_id,candidate,overflow,addition,division,int_division,aov,margin,dormancy,era,stopped_by,review
plain,true,over_positive,add_ok,div_missing,idiv_half,aov_finite,margin_high,dormancy_future,era_between,unknown_overflow,
overflow,true,over_missing,add_missing,div_missing,idiv_other,aov_finite,margin_low,dormancy_future,era_between,unknown_overflow,
zero_orders,true,over_other,add_ok,div_missing,idiv_missing,aov_finite,margin_missing,dormancy_future,era_between,,
inf_aov,true,over_positive,add_ok,div_missing,idiv_other,aov_huge,margin_missing,dormancy_future,era_pre1970,unknown_overflow,
neg_inf_aov,true,over_positive,add_ok,div_missing,idiv_other,aov_negative,margin_high,dormancy_normal,era_pre1970,unknown_overflow,
nan_margin,true,over_positive,add_ok,div_missing,idiv_other,aov_huge,margin_missing,dormancy_future,era_post2100,unknown_overflow,
future,true,over_positive,add_ok,div_missing,idiv_other,aov_finite,margin_low,dormancy_future,era_post2100,unknown_overflow,
epoch,true,over_missing,add_ok,div_missing,idiv_other,aov_negative,margin_high,dormancy_future,era_between,unknown_overflow,
never,true,over_other,add_ok,div_missing,idiv_missing,aov_finite,margin_missing,dormancy_missing,era_missing,,
WANT
for asof in 2026-11-01 1960-06-15; do
  if ! diff "$TMP/want_$asof.csv" "$TMP/jit_$asof.csv"; then
    [ -n "${RK_PRINT:-}" ] && cat "$TMP/jit_$asof.csv"
    fail "as of $asof: results differ from the expected (above: < expected, > got)"
  fi
done
echo "hostile_numeric: overflow, division by zero, NaN, infinities and far dates as documented"

# NaN in a non-nullable number column is an error naming row and column; nothing is written.
printf '%s\n%s\n' "$hdr" "nan_aov,2026-10-02,,1,nan,,false,0,0,0,,email,true,true,false,,0,,0,,false" > "$TMP/nan_aov.csv"
set +e
"$REKINDLE" eval "$TMP/numeric.rules" --snapshot "$TMP/nan_aov.csv" --as-of 2026-11-01 \
  --out "$TMP/nan_out.csv" --quiet 2> "$TMP/err.txt"
code=$?
set -e
[ "$code" = 1 ] || fail "NaN in avg_order_value: exit $code"
grep -q "nan_aov.csv:2: column avg_order_value" "$TMP/err.txt" || fail "NaN message: $(cat "$TMP/err.txt")"
[ ! -e "$TMP/nan_out.csv" ] || fail "NaN in avg_order_value: a result file was written"
echo "hostile_numeric: NaN in a non-nullable column is an error: $(head -1 "$TMP/err.txt")"
