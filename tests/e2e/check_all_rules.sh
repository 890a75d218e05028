#!/usr/bin/env bash
# Rekindle end-to-end test: every rule file shipped in rules/ (the playbook and the examples the
# docs build) checks clean, and `check` reports errors with exit 1 and usage errors with exit 2.
set -euo pipefail
REKINDLE=$1
SRC=$(cd "$(dirname "$0")/../.." && pwd)
cd "$SRC"
# The examples import ../customer.schema: their project folder is rules/.
for f in rules/*.rules rules/examples/*.rules; do
  "$REKINDLE" check "$f" --root rules
done
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
cp rules/customer.schema "$TMP/"
printf 'import "customer.schema"\nsegment s {\n  a when nosuch > 1\n}\n' > "$TMP/bad.rules"
set +e
"$REKINDLE" check "$TMP/bad.rules" 2> "$TMP/err.txt"; code=$?
set -e
[ "$code" = 1 ] || { echo "expected exit 1, got $code"; exit 1; }
grep -q "bad.rules:3:10: error\[RK0201\]: unknown name \`nosuch\`" "$TMP/err.txt"
"$REKINDLE" check "$TMP/bad.rules" --format json > "$TMP/out.json" || true
python3 -c "import json,sys; d=json.load(open('$TMP/out.json')); assert d['diagnostics'][0]['code']=='RK0201', d"
"$REKINDLE" check "$TMP/bad.rules" --format sarif > "$TMP/out.sarif" || true
python3 -c "import json; d=json.load(open('$TMP/out.sarif')); assert d['version']=='2.1.0'; r=d['runs'][0]['results'][0]; assert r['ruleId']=='RK0201' and r['locations'][0]['physicalLocation']['region']['startLine']==3, r"
"$REKINDLE" check "$TMP/bad.rules" --format github > "$TMP/out.gh" || true
grep -q "^::error file=.*bad.rules,line=3,col=10,title=RK0201::unknown name" "$TMP/out.gh"
set +e
"$REKINDLE" check "$TMP/missing.rules" 2>/dev/null; code=$?
set -e
[ "$code" = 2 ] || { echo "expected exit 2 for a missing file, got $code"; exit 1; }
echo "check: all rule files clean; formats and exit codes as documented"
