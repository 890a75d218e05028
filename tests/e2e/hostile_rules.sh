#!/usr/bin/env bash
# Rekindle end-to-end test: hostile rule files through `rekindle eval`. Over the size, nesting and
# declaration limits: exit 1 with the documented diagnostic and no result file. A generated file
# of 2,000 rules (1,000 stop + 1,000 review rules, 20 segments) compiles, JIT-compiles and
# evaluates within the bound documented in docs/reliability.md.
set -euo pipefail
REKINDLE=$1
SRC=$(cd "$(dirname "$0")/../.." && pwd)
cd "$SRC"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
fail() { echo "hostile_rules: FAIL: $*"; exit 1; }
mkdir "$TMP/out"
cp rules/customer.schema "$TMP/"
IMPORT="import \"customer.schema\""

expect_diag() {  # $1: rule file, $2: text the diagnostics must contain
  set +e
  "$REKINDLE" eval "$1" --snapshot rules/sample.csv --as-of 2026-11-01 \
    --out "$TMP/out/results.csv" --quiet 2> "$TMP/err.txt"
  local code=$?
  set -e
  [ "$code" = 1 ] || fail "$1: exit status $code, expected 1"
  grep -q -- "$2" "$TMP/err.txt" || fail "$1: expected '$2' in: $(head -c 2000 "$TMP/err.txt")"
  [ -z "$(ls -A "$TMP/out")" ] || fail "$1: files left behind"
}

python3 - "$TMP" "$IMPORT" <<'PY'
import sys
tmp, imp = sys.argv[1], sys.argv[2]
with open(f"{tmp}/huge.rules", "w") as f:
    f.write(imp + "\ncandidate when true\n")
    line = "# " + "x" * 1021 + "\n"
    for _ in range(17 * 1024):
        f.write(line)
with open(f"{tmp}/deep.rules", "w") as f:
    f.write(imp + "\ncandidate when " + "(" * 300 + "opted_out" + ")" * 300 + "\n")
with open(f"{tmp}/decls.rules", "w") as f:
    f.write(imp + "\n" + "".join(f"let x{i} = {i}\n" for i in range(20001)))
with open(f"{tmp}/big.rules", "w") as f:
    f.write(imp + "\nlet dormant = days since last_purchase_date\n")
    for s in range(20):
        f.write(f"segment seg{s} {{\n")
        for l in range(5):
            f.write(f"  seg{s}_l{l} when avg_order_value >= ${s * 10 + l} and orders_total > {l}\n")
        f.write(f"  otherwise seg{s}_other\n}}\n")
    f.write("candidate when dormant >= 30 days\n")
    for i in range(1000):
        f.write(f"stop stop{i} when orders_total = {i} and avg_order_value < ${i % 97} "
                f"because \"reason {i}\"\n")
        f.write(f"review review{i} when dormant in {i} to {i + 30} days or seg{i % 20} is seg{i % 20}_l{i % 5}\n")
PY
expect_diag "$TMP/huge.rules" "error\[RK0107\]: \`$TMP/huge.rules\` is too large (17"
expect_diag "$TMP/deep.rules" "error\[RK0106\]: expressions are nested too deeply (limit 256)"
expect_diag "$TMP/decls.rules" "error\[RK0405\]: too many declarations (limit 20000)"
echo "hostile_rules: size, nesting and declaration limits are diagnostics; nothing written"

# 2,000 rules: eval with the JIT, timed in CPU seconds (user + sys: wall time on a shared CI
# machine says more about the neighbours than about us), then with the interpreter: same result.
/usr/bin/time -f "%U %S %e %M" -o "$TMP/time.txt" "$REKINDLE" eval "$TMP/big.rules" \
  --snapshot rules/sample.csv --as-of 2026-11-01 --out "$TMP/out/big_jit.csv" --quiet
"$REKINDLE" eval "$TMP/big.rules" --snapshot rules/sample.csv --as-of 2026-11-01 \
  --engine interp --out "$TMP/out/big_interp.csv" --quiet
cmp -s "$TMP/out/big_jit.csv" "$TMP/out/big_interp.csv" || fail "2,000 rules: JIT and interpreter differ"
read -r user sys wall rss < <(tail -1 "$TMP/time.txt")
cpu=$(python3 -c "print(round($user + $sys, 2))")
bound=${RK_HOSTILE_BIG_RULES_CPU_SECONDS:-20}
echo "hostile_rules: 2,000 rules: compile + JIT + eval of $(($(wc -l < rules/sample.csv) - 1)) rows: ${cpu} s CPU (bound ${bound} s), ${wall} s wall, peak RSS $((rss / 1024)) MiB"
python3 -c "import sys; sys.exit(0 if $cpu < $bound else 1)" || fail "2,000 rules took ${cpu} s CPU (bound ${bound} s)"
