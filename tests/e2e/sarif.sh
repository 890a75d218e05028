#!/usr/bin/env bash
# Rekindle end-to-end test of the documentation links of diagnostics: SARIF from `check` and
# `lint` describes each rule (shortDescription, fullDescription) and links it with an absolute
# helpUri to the heading that documents it (the anchor is recomputed here from docs/ as GitHub
# makes it); REKINDLE_DOCS_URL moves every link, and `rekindle lsp` links the same codes to the
# same addresses.
set -euo pipefail
REKINDLE=$1
SRC=$(cd "$(dirname "$0")/../.." && pwd)
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

# A checker error, a syntax error (a second file), and lints (an unused parameter, a channel
# without consent).
# Imports are read from the rule file's folder and below it: the schema goes beside the rules.
cp "$SRC/rules/customer.schema" "$TMP/"
printf 'import "customer.schema"\nsegment s {\n  a when nosuch > 1\n}\n' > "$TMP/bad.rules"
printf 'import "customer.schema"\nsegment s {\n  a wen orders_total > 1\n}\n' > "$TMP/syntax.rules"
cat > "$TMP/lint.rules" <<EOF
import "customer.schema"
parameter unused = 5
candidate when orders_total > 0
sequence w {
  enter when true
  progress last_touch on last_touch_date
  wait 7 days
  exit answered when responded
  holdout 10% salt "w"
  channel email
  touch first via email
}
EOF
"$REKINDLE" check "$TMP/bad.rules" "$TMP/syntax.rules" --format sarif > "$TMP/check.sarif" || true
"$REKINDLE" lint "$TMP/lint.rules" --format sarif > "$TMP/lint.sarif" || true
REKINDLE_DOCS_URL=https://docs.example/rk "$REKINDLE" check "$TMP/bad.rules" --format sarif \
  > "$TMP/moved.sarif" || true

python3 - "$SRC" "$TMP" <<'EOF'
import json, re, sys
src, tmp = sys.argv[1], sys.argv[2]

# The anchors of the docs' headings as GitHub makes them, and the explicit `<a id>` anchors,
# computed independently.
anchors = {}
for page in ("diagnostics.md", "lints.md", "testing.md"):
    for line in open(f"{src}/docs/{page}", encoding="utf-8"):
        a = re.match(r'^<a id="([^"]+)"></a>$', line.rstrip("\n"))
        if a:  # an explicit anchor above a heading
            anchors.setdefault(page, set()).add(a.group(1))
        m = re.match(r"^#{1,6} (.*)$", line.rstrip("\n"))
        if m:
            slug = re.sub(r"[^a-z0-9 _-]", "", m.group(1).lower()).replace(" ", "-")
            anchors.setdefault(page, set()).add(slug)

def rules_of(path, want):
    run = json.load(open(path))["runs"][0]
    driver = run["tool"]["driver"]
    rules = {r["id"]: r for r in driver["rules"]}
    ids = sorted({r["ruleId"] for r in run["results"]})
    assert ids == sorted(rules), (ids, sorted(rules))
    for code in want:
        assert code in rules, (code, sorted(rules))
    return driver, rules

def check_rule(r, base):
    code = r["id"]
    assert r["shortDescription"]["text"], r
    full = r["fullDescription"]
    assert len(full["text"]) > 20 and "`" not in full["text"], r
    assert full["markdown"], r
    uri = r["helpUri"]
    assert uri.startswith(base), (uri, base)
    page, anchor = uri[len(base):].split("#")
    assert anchor in anchors[page], (code, uri)
    assert anchor.lower().startswith(code.lower()) or page == "testing.md", (code, uri)

driver, rules = rules_of(f"{tmp}/check.sarif", ["RK0201", "RK0101"])
base = driver["informationUri"]
assert re.match(r"^https?://[^/]+/.*/$", base), base
for r in rules.values():
    check_rule(r, base)
assert rules["RK0201"]["helpUri"] == base + "diagnostics.md#RK0201"
assert rules["RK0201"]["shortDescription"]["text"] == "unknown name"
assert rules["RK0201"]["fullDescription"]["text"].startswith("A name in an expression is not")

driver, rules = rules_of(f"{tmp}/lint.sarif", ["RK0613", "RK0608"])
for r in rules.values():
    check_rule(r, base)
assert rules["RK0613"]["helpUri"] == base + "lints.md#rk0613-unused-parameter-rk0614-unused-let"

driver, rules = rules_of(f"{tmp}/moved.sarif", ["RK0201"])
assert driver["informationUri"] == "https://docs.example/rk/"
check_rule(rules["RK0201"], "https://docs.example/rk/")
print("sarif: described and linked")
EOF

# The language server links the same code to the same address, from the same setting.
printf 'import "customer.schema"\nlet x = nosuch\n' > "$TMP/lsp.rules"
python3 - "$REKINDLE" "$TMP" <<'EOF'
import json, os, subprocess, sys
rekindle, tmp = sys.argv[1], sys.argv[2]

def frame(msg):
    body = json.dumps(msg).encode()
    return b"Content-Length: %d\r\n\r\n" % len(body) + body

def read_message(stream):
    length = None
    while True:
        line = stream.readline()
        if not line:
            return None
        line = line.strip()
        if not line:
            break
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":")[1])
    return json.loads(stream.read(length))

def session(env_url):
    uri = "file://" + tmp + "/lsp.rules"
    text = open(tmp + "/lsp.rules").read()
    env = dict(os.environ)
    env.pop("REKINDLE_DOCS_URL", None)
    if env_url:
        env["REKINDLE_DOCS_URL"] = env_url
    p = subprocess.Popen([rekindle, "lsp", "--no-lint"], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, env=env)
    def send(msg):
        p.stdin.write(frame(msg))
        p.stdin.flush()
    send({"jsonrpc": "2.0", "id": 1, "method": "initialize",
          "params": {"processId": None, "rootUri": None, "capabilities": {}}})
    send({"jsonrpc": "2.0", "method": "initialized", "params": {}})
    send({"jsonrpc": "2.0", "method": "textDocument/didOpen",
          "params": {"textDocument": {"uri": uri, "languageId": "rekindle-rules", "version": 1,
                                      "text": text}}})
    href = None
    while href is None:
        m = read_message(p.stdout)
        assert m is not None, "the server ended without diagnostics"
        if m.get("method") == "textDocument/publishDiagnostics" and m["params"]["diagnostics"]:
            d = m["params"]["diagnostics"][0]
            assert d["code"] == "RK0201", d
            href = d["codeDescription"]["href"]
    send({"jsonrpc": "2.0", "id": 2, "method": "shutdown"})
    send({"jsonrpc": "2.0", "method": "exit"})
    p.stdin.close()
    p.stdout.read()
    assert p.wait(timeout=60) == 0
    return href

sarif = json.load(open(tmp + "/check.sarif"))["runs"][0]["tool"]["driver"]["rules"]
want = [r for r in sarif if r["id"] == "RK0201"][0]["helpUri"]
assert session(None) == want, (session(None), want)
assert session("https://docs.example/rk/") == "https://docs.example/rk/diagnostics.md#RK0201"
print("lsp: the same links")
EOF
echo "sarif: every rule described and linked to its documentation, configured in one place"
