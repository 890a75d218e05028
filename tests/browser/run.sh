#!/usr/bin/env bash
# Rekindle browser test (ctest "browser: ..."): the HTML measurement report in headless Chromium.
# Two reports are checked by check_report.mjs against their JSON: one written by `rekindle
# measure` from a rule file, one with variants and verdicts (measure_report_fixture, since rule
# files cannot declare variants yet). Exits 77 (ctest: skipped) with a message when node, the
# npm packages (`npm ci` in tests/browser) or Chromium are missing.
set -euo pipefail
REKINDLE=$1
FIXTURE=$2
SRC=$(cd "$(dirname "$0")/../.." && pwd)
ORACLE="$SRC/tests/oracle/measure_oracle.py"
if ! command -v node > /dev/null || [ ! -d "$SRC/tests/browser/node_modules/puppeteer-core" ] ||
   [ ! -x "${CHROMIUM:-/usr/bin/chromium}" ]; then
  echo "skipped: needs node, tests/browser/node_modules (npm ci there) and chromium"
  exit 77
fi
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

python3 "$ORACLE" generate 7 "$TMP/cli" novariants
"$REKINDLE" measure "$TMP/cli/rules.rules" --events "$TMP/cli/events_1.jsonl" \
  "$TMP/cli/events_2.jsonl" --outcomes "$TMP/cli/outcomes.csv" --out "$TMP/cli/report.json" \
  --html "$TMP/cli/report.html" --quiet
node "$SRC/tests/browser/check_report.mjs" "$TMP/cli/report.html" "$TMP/cli/report.json"

python3 "$ORACLE" generate 7 "$TMP/variants"
"$FIXTURE" "$TMP/variants"
python3 - "$TMP/variants/report.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
verdicts = {v["verdict"] for s in r["pooled"]["sequences"] for v in s["variants"]}
assert "winning" in verdicts, verdicts  # the fixture plants a winner: the table shows it
PY
node "$SRC/tests/browser/check_report.mjs" "$TMP/variants/report.html" "$TMP/variants/report.json" \
  ${RK_SCREENSHOT:+--screenshot "$RK_SCREENSHOT"}
