#!/usr/bin/env bash
# Rekindle end-to-end test: imports are confined to the project folder (grammar/source_root.h).
# `import "../../../../etc/passwd"`, `import "/proc/self/environ"`, a symlink that leads out of the
# folder, a test file's `rules "../x.rules"` and a file that is not a rule or schema file are
# errors (RK0502, RK0503) in every subcommand that compiles rules and in every output format,
# and no byte of such a file ever appears in the output; special files inside the folder are
# refused without hanging; `--root` widens the folder.
set -euo pipefail
REKINDLE=$1
SRC=$(cd "$(dirname "$0")/../.." && pwd)
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
fail() { echo "imports: FAIL: $*"; exit 1; }
cd "$TMP"
mkdir -p outside proj/rules
cp "$SRC/rules/customer.schema" "$SRC/rules/sample.csv" proj/rules/
# A secret outside the project, and one in a file inside it that is not a rule file.
printf 'SECRET_TOKEN=hunter2-outside\nroot:x:0:0:root:/root:/bin/bash\n' > outside/secret.schema
printf 'SECRET_TOKEN=hunter2-inside\n' > proj/rules/notes.txt
ln -s ../../outside/secret.schema proj/rules/link.schema
mkfifo proj/rules/fifo.schema
rules() { printf 'import "%s"\ncandidate when true\n' "$1" > "proj/rules/$2"; }
rules ../../outside/secret.schema up.rules
rules /etc/passwd abs.rules
rules /proc/self/environ environ.rules
rules link.schema link.rules
rules notes.txt notes.rules
rules fifo.schema fifo.rules
rules customer.schema good.rules

# run NAME WANT CODE ARGS...: the output (stdout + stderr) has WANT, no secret, and exit CODE.
run() {
  local name=$1 want=$2 code_want=$3
  shift 3
  set +e
  timeout 20 "$REKINDLE" "$@" > out.txt 2>&1
  local code=$?
  set -e
  [ "$code" = "$code_want" ] || fail "$name: exit $code, expected $code_want: $(cat out.txt)"
  grep -qF -- "$want" out.txt || fail "$name: expected \"$want\" in: $(cat out.txt)"
  if grep -q "hunter2\|root:x:0:0\|SECRET" out.txt; then fail "$name: a secret was printed"; fi
}
for fmt in text json sarif github; do
  run "check --format $fmt: ../" "RK0502" 1 check proj/rules/up.rules --format "$fmt"
  run "check --format $fmt: link" "RK0502" 1 check proj/rules/link.rules --format "$fmt"
done
run "check: ../" "the import \`outside/secret.schema\` is outside the project folder \`proj/rules\`" 1 \
  check proj/rules/up.rules
run "check: absolute" "the import \`/etc/passwd\` is an absolute path" 1 check proj/rules/abs.rules
run "check: /proc" "the import \`/proc/self/environ\` is an absolute path" 1 check proj/rules/environ.rules
run "check: symlink out" "leads, through a symbolic link, outside the project folder" 1 \
  check proj/rules/link.rules
run "check: not a rule file" "the import \`proj/rules/notes.txt\` is not a \`.rules\` or \`.schema\` file" 1 \
  check proj/rules/notes.rules
run "check: a FIFO" "cannot read \`proj/rules/fifo.schema\`: not a regular file" 1 check proj/rules/fifo.rules
run "lint" "RK0502" 1 lint proj/rules/up.rules
run "eval" "RK0502" 1 eval proj/rules/up.rules --snapshot proj/rules/sample.csv --as-of 2026-11-01
run "explain" "RK0502" 1 explain proj/rules/up.rules --snapshot proj/rules/sample.csv \
  --customer C000000001 --as-of 2026-11-01
run "diff" "RK0502" 1 diff proj/rules/good.rules proj/rules/up.rules --snapshot proj/rules/sample.csv \
  --as-of 2026-11-01
# A test file's rules file is confined like an import.
printf 'rules "../../outside/secret.schema"\nas of 2026-11-01\n' > proj/rules/up.test
run "test: rules outside" "RK0502" 2 test proj/rules/up.test
printf 'rules "notes.txt"\nas of 2026-11-01\n' > proj/rules/notes.test
run "test: rules not a rule file" "RK0503" 2 test proj/rules/notes.test
# A rule or test file given on the command line (a glob in CI) that is a symlink out of its
# folder is refused before it is read: a pull request cannot add `rules/x.rules -> /etc/passwd`.
ln -s ../../outside/secret.schema proj/rules/evil.rules
ln -s ../../outside/secret.schema proj/rules/evil.test
run "check: a symlinked rule file" "\`proj/rules/evil.rules\` leads, through a symbolic link, outside its folder" 2 \
  check proj/rules/evil.rules
run "lint: a symlinked rule file" "RK0502" 2 lint proj/rules/evil.rules
run "fmt --check: a symlinked rule file" "leads, through a symbolic link, outside its folder" 2 \
  fmt --check proj/rules/evil.rules
run "test: a symlinked test file" "RK0502" 2 test proj/rules/evil.test
run "eval: a symlinked rule file" "RK0502" 1 eval proj/rules/evil.rules \
  --snapshot proj/rules/sample.csv --as-of 2026-11-01
# gen --rules and measure compile rules too; gen --schema and convert --schema read a schema file
# given on the command line, refused when it is a symlink out of its folder.
run "gen --rules" "RK0502" 1 gen --rules proj/rules/up.rules --rows 5 --as-of 2026-11-01 \
  --out gen.csv --quiet
echo '{}' > events.jsonl
printf 'customer_id,date,kind,revenue,incentive_cost\n' > outcomes.csv
run "measure" "RK0502" 1 measure proj/rules/up.rules --events events.jsonl --outcomes outcomes.csv \
  --out report.json
run "gen --schema: a symlink out" "RK0502" 1 gen --schema proj/rules/link.schema --rows 5 \
  --as-of 2026-11-01 --out gen.csv --quiet
run "convert --schema: a symlink out" "RK0502" 1 convert proj/rules/sample.csv conv.arrow \
  --schema proj/rules/link.schema
[ ! -e gen.csv ] && [ ! -e report.json ] && [ ! -e conv.arrow ] || fail "a refused run wrote"
echo "imports: imports leaving the project folder are refused, nothing of them is shown"

# --root widens the folder; it must hold the top file.
mkdir -p proj/rules/sub
printf 'import "../customer.schema"\ncandidate when true\n' > proj/rules/sub/child.rules
run "no --root" "is outside the project folder \`proj/rules/sub\`" 1 check proj/rules/sub/child.rules
run "--root" "ok" 0 check proj/rules/sub/child.rules --root proj/rules
run "gen --rules --root" "wrote 5 rows" 0 gen --rules proj/rules/sub/child.rules --root proj/rules \
  --rows 5 --as-of 2026-11-01 --out gen.csv
run "--root not holding the file" "is outside the --root folder" 2 check proj/rules/good.rules \
  --root proj/rules/sub
run "--root not a folder" "--root proj/nothing: not a folder" 2 check proj/rules/good.rules \
  --root proj/nothing
echo "imports: --root widens the project folder"
echo "imports: ok"
