#!/usr/bin/env bash
# Rekindle end-to-end test of `rekindle gen` beyond the playbook and of `rekindle schema`'s money
# and enum inference:
# - `gen --schema` / `--rules` on a schema and rules the generator was not written for
#   (tests/fixtures/gen/saas.*): the snapshot evaluates with both engines and 1 and 2 threads to
#   the same results, every segment label and several statuses occur, the file is the same for
#   any --threads, Arrow and CSV hold the same rows;
# - `gen --program`: the playbook evaluates on it exactly as on the playbook snapshot of the seed;
# - `schema` infers money and enums on the program sample, and the inferred schema reads it;
# - errors: exit codes, messages naming the file, nothing left at the target.
set -euo pipefail
REKINDLE=$1
SRC=$(cd "$(dirname "$0")/../.." && pwd)
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
cd "$TMP"
fail() { echo "gen_schema: $*" >&2; exit 1; }
FIX="$SRC/tests/fixtures/gen"
AS_OF=2026-03-29  # a Sunday, the EU's daylight-saving change

# --- any schema, guided by rules it has never seen -------------------------------------------
"$REKINDLE" gen --rules "$FIX/saas.rules" --rows 20000 --seed 5 --as-of $AS_OF --out saas.csv \
  --threads 1 --quiet
"$REKINDLE" gen --schema "$FIX/saas.schema" --rules "$FIX/saas.rules" --rows 20000 --seed 5 \
  --as-of $AS_OF --out saas3.csv --threads 3 --quiet
cmp saas.csv saas3.csv || fail "--threads changed the snapshot"
"$REKINDLE" gen --rules "$FIX/saas.rules" --rows 20000 --seed 5 --as-of $AS_OF --out saas.arrow \
  --quiet
"$REKINDLE" convert saas.arrow saas_from_arrow.csv --schema "$FIX/saas.schema" 2>> convert.log
cmp saas.csv saas_from_arrow.csv || fail "Arrow and CSV snapshots differ"
for engine in jit interp; do
  for threads in 1 2; do
    "$REKINDLE" eval "$FIX/saas.rules" --snapshot saas.csv --as-of $AS_OF --engine $engine \
      --threads $threads --out "r_${engine}_$threads.csv" --summary "s_${engine}_$threads.json" \
      --quiet
  done
done
for f in r_jit_2.csv r_interp_1.csv r_interp_2.csv; do
  cmp r_jit_1.csv "$f" || fail "$f differs from the JIT's results on one thread"
done
python3 - r_jit_1.csv <<'PY' || fail "results not varied enough"
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1], newline="")))
assert len(rows) == 20000, len(rows)
labels = {
    "size": {"large", "medium", "small"}, "value": {"high", "normal"},
    "activity": {"dormant", "active", "unknown_activity"},
    "plan_kind": {"ent", "paid", "other_plan"}, "feature_use": {"power", "some", "none_used", ""},
    "satisfaction": {"promoter", "detractor", "passive"}, "heat": {"hot", "cold"},
    "reach": {"wide", "narrow"}, "candidate": {"true", "false"},
    "stopped_by": {"churned", "no_consent", "trial", "tagged", ""},
}
for col, want in labels.items():
    seen = {r[col] for r in rows}
    assert seen == want, (col, seen)
reviews = set(";".join(r["review"] for r in rows).split(";")) - {""}
assert reviews == {"big", "discounted", "emea"}, reviews
statuses = {r["nurture_status"] for r in rows}
for s in ("not_candidate", "stopped", "holdout", "exhausted", "waiting", "due"):
    assert s in statuses, (s, statuses)
steps = {r["nurture_step"] for r in rows}
assert {"hello", "tips", "last"} <= steps, steps
PY
"$REKINDLE" gen --schema "$FIX/saas.schema" --rows 3000 --seed 5 --as-of $AS_OF --out plain.csv \
  --quiet
"$REKINDLE" eval "$FIX/saas.rules" --snapshot plain.csv --as-of $AS_OF --out plain_r.csv --quiet
echo "gen_schema: an unseen schema and rules: the snapshot evaluates, same results for both engines and threads"

# --verbose describes the fields; the summary line says what guided the values.
"$REKINDLE" gen --rules "$FIX/saas.rules" --rows 100 --as-of $AS_OF --out v.csv --verbose \
  2> verbose.txt
grep -q "^  mrr: money, 6 boundary values (149.99 150.00 150.01 999.99 1000.00 1000.01)$" verbose.txt \
  || fail "verbose: $(cat verbose.txt)"
grep -q "^  plan: string, 3 values from the rules$" verbose.txt || fail "verbose: $(cat verbose.txt)"
grep -q "guided by [0-9]* comparisons and [0-9]* value sets of .*saas.rules$" verbose.txt \
  || fail "summary: $(cat verbose.txt)"

# --- the program's snapshot -------------------------------------------------------------------
"$REKINDLE" gen --rows 5000 --seed 3 --as-of 2026-11-01 --out playbook.csv --quiet
"$REKINDLE" gen --program --rows 5000 --seed 3 --as-of 2026-11-01 --out program.csv --quiet
"$REKINDLE" gen --program --rows 5000 --seed 3 --as-of 2026-11-01 --out program.arrow --quiet
head -1 program.csv | grep -q ",responded,first_name,email,phone,timezone,csm_owner,last_contact_date,contacts_30d,welcome_touch,welcome_touch_date$" \
  || fail "program header: $(head -1 program.csv)"
for snap in playbook.csv program.csv program.arrow; do
  "$REKINDLE" eval "$SRC/rules/winback.rules" --snapshot $snap --as-of 2026-11-01 \
    --out "w_$snap.csv" --quiet
done
cmp w_playbook.csv.csv w_program.csv.csv || fail "the playbook's results differ on the program snapshot"
cmp w_playbook.csv.csv w_program.arrow.csv || fail "the playbook's results differ on the program Arrow snapshot"
echo "gen_schema: --program: the playbook's results are the same as on the playbook snapshot"

# --- schema inference: money and enums --------------------------------------------------------
"$REKINDLE" schema program.csv > inferred.schema
grep -q "^field avg_order_value: money$" inferred.schema || fail "money: $(cat inferred.schema)"
grep -q "^field acquisition_channel: enum {direct, email, organic_search, paid_social, referral}$" \
  inferred.schema || fail "enum: $(cat inferred.schema)"
grep -q "^field relationship_flag: enum {bereavement, chargeback, complaint, legal_hold}?$" \
  inferred.schema || fail "nullable enum: $(cat inferred.schema)"
grep -q "^field timezone: string?$" inferred.schema || fail "timezone: $(cat inferred.schema)"
grep -q "^field first_name: string?$" inferred.schema || fail "first_name: $(cat inferred.schema)"
grep -q "^field customer_id: string key$" inferred.schema || fail "key: $(cat inferred.schema)"
"$REKINDLE" convert program.csv inferred.arrow --schema inferred.schema 2>> convert.log
"$REKINDLE" convert inferred.arrow inferred.csv --schema inferred.schema 2>> convert.log
cmp program.csv inferred.csv || fail "the inferred schema does not carry the sample"
"$REKINDLE" schema inferred.arrow > inferred_arrow.schema
diff <(grep '^field' inferred.schema) <(grep '^field' inferred_arrow.schema) \
  || fail "CSV and Arrow inference differ"
echo "gen_schema: schema infers money and enums; the inferred schema reads the sample"

# --- errors -----------------------------------------------------------------------------------
expect() {  # $1: exit code, $2: message part, then the command's arguments
  local want=$1 msg=$2
  shift 2
  set +e
  "$REKINDLE" "$@" 2> err.txt
  local code=$?
  set -e
  [ "$code" = "$want" ] || fail "$*: exit $code, expected $want: $(cat err.txt)"
  grep -qF -- "$msg" err.txt || fail "$*: message: $(cat err.txt)"
}
mkdir out
expect 2 "excludes" gen --program --schema "$FIX/saas.schema" --rows 1 --out out/x.csv
expect 2 "--param needs --rules" gen --param a=1 --rows 1 --out out/x.csv
expect 2 "cannot read" gen --schema nosuch.schema --rows 1 --out out/x.csv
printf 'schema s\nfield id: string key\nfield n: int\n' > small.schema
printf 'import "small.schema"\nsegment s {\n  a when n >\n}\n' > bad.rules
expect 1 "bad.rules:4:1: error[RK0101]" gen --rules bad.rules --rows 1 --out out/x.csv
printf 'import "small.schema"\nsegment s {\n  a when n > 5\n}\n' > good.rules
printf 'schema t\nfield id: string key\n' > other.schema
expect 1 "good.rules and other.schema: the rules' schema has the field n (int), which the schema to generate lacks" \
  gen --rules good.rules --schema other.schema --rows 1 --out out/x.csv
expect 1 "--param nosuch: there is no parameter" gen --rules good.rules --param nosuch=1 --rows 1 --out out/x.csv
expect 2 "out/no/such/dir/x.csv" gen --rules good.rules --rows 10 --out out/no/such/dir/x.csv
[ -z "$(ls -A out)" ] || fail "files left behind: $(ls -A out)"
echo "gen_schema: errors have the documented exit codes and messages, and leave no file"
