// Rekindle editor tests: a real LSP client (vscode-languageserver-protocol over vscode-jsonrpc,
// the libraries VS Code's client is built on) drives `rekindle lsp` through an editing session:
// open the playbook, type a typo, see the diagnostic at the right range with its link, apply the
// quick fix, hover, go to definition, find references, complete, format, and shut down cleanly.
// The binary is $REKINDLE (default: build/release/cli/rekindle).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';

import { root } from './highlight.mjs';

const require = createRequire(import.meta.url);
const lsp = require('vscode-languageserver-protocol/node');

const rekindle = process.env.REKINDLE || join(root, 'build', 'release', 'cli', 'rekindle');
const rulesPath = join(root, 'rules', 'winback.rules');
const schemaPath = join(root, 'rules', 'customer.schema');
const uri = pathToFileURL(rulesPath).href;
const schemaUri = pathToFileURL(schemaPath).href;
const playbook = readFileSync(rulesPath, 'utf8');
const schema = readFileSync(schemaPath, 'utf8');

// The position of the nth occurrence of needle (plus delta characters); the texts are ASCII, so
// UTF-16 units are bytes.
function at(text, needle, delta = 0, nth = 0) {
  let i = -1;
  for (let k = 0; k <= nth; ++k) {
    i = text.indexOf(needle, i + 1);
    assert.ok(i >= 0, `no ${needle}`);
  }
  i += delta;
  const before = text.slice(0, i);
  const line = before.split('\n').length - 1;
  return { line, character: i - (before.lastIndexOf('\n') + 1) };
}
function offset(text, pos) {
  const lines = text.split('\n');
  let o = 0;
  for (let l = 0; l < pos.line; ++l) o += lines[l].length + 1;
  return o + pos.character;
}
// Applies TextEdits (non-overlapping) to text.
function applyEdits(text, edits) {
  const sorted = [...edits].sort((a, b) => offset(text, b.range.start) - offset(text, a.range.start));
  for (const e of sorted)
    text = text.slice(0, offset(text, e.range.start)) + e.newText + text.slice(offset(text, e.range.end));
  return text;
}

class Client {
  constructor() {
    this.child = spawn(rekindle, ['lsp', '--docs-url', 'https://docs.example/rekindle/'], {
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    this.exited = new Promise((resolve) => this.child.on('exit', (code) => resolve(code)));
    this.conn = lsp.createProtocolConnection(
      new lsp.StreamMessageReader(this.child.stdout),
      new lsp.StreamMessageWriter(this.child.stdin),
    );
    this.published = [];
    this.waiters = [];
    this.conn.onNotification(lsp.PublishDiagnosticsNotification.type, (p) => {
      this.published.push(p);
      this.waiters = this.waiters.filter((w) => !w(p));
    });
    this.conn.listen();
  }
  // The next publication for `uri` at `version` that `pred` accepts (also one already received).
  diagnostics(uri, version, pred = () => true) {
    const ok = (p) => p.uri === uri && p.version === version && pred(p);
    const found = this.published.find(ok);
    if (found) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no diagnostics for version ${version}`)), 30000);
      this.waiters.push((p) => {
        if (!ok(p)) return false;
        clearTimeout(timer);
        resolve(p);
        return true;
      });
    });
  }
}

test('an editing session with rekindle lsp', async () => {
  const c = new Client();
  const init = await c.conn.sendRequest(lsp.InitializeRequest.type, {
    processId: process.pid,
    rootUri: pathToFileURL(root).href,
    capabilities: { textDocument: { publishDiagnostics: { relatedInformation: true } } },
    workspaceFolders: null,
  });
  assert.equal(init.capabilities.positionEncoding, 'utf-16');
  assert.equal(init.capabilities.textDocumentSync.change, lsp.TextDocumentSyncKind.Incremental);
  assert.equal(init.serverInfo.name, 'rekindle');
  await c.conn.sendNotification(lsp.InitializedNotification.type, {});

  // Open: the playbook is clean.
  let text = playbook;
  await c.conn.sendNotification(lsp.DidOpenTextDocumentNotification.type, {
    textDocument: { uri, languageId: 'rekindle-rules', version: 1, text },
  });
  assert.deepEqual((await c.diagnostics(uri, 1)).diagnostics, []);

  // Type a typo: delete the `a` of `last_purchase_date` in the first segment (an incremental
  // change), and see the error at exactly that name.
  const typoAt = at(text, 'last_purchase_date is missing', 10);
  await c.conn.sendNotification(lsp.DidChangeTextDocumentNotification.type, {
    textDocument: { uri, version: 2 },
    contentChanges: [{ range: { start: typoAt, end: { line: typoAt.line, character: typoAt.character + 1 } }, text: '' }],
  });
  text = text.replace('never_purchased when last_purchase_date', 'never_purchased when last_purchse_date');
  const published = await c.diagnostics(uri, 2);
  assert.equal(published.diagnostics.length, 1);
  const d = published.diagnostics[0];
  assert.equal(d.code, 'RK0201');
  assert.equal(d.severity, lsp.DiagnosticSeverity.Error);
  assert.equal(d.source, 'rekindle');
  assert.match(d.message, /^unknown name `last_purchse_date`/);
  const start = at(text, 'last_purchse_date');
  assert.deepEqual(d.range, { start, end: { line: start.line, character: start.character + 17 } });
  assert.equal(d.codeDescription.href, 'https://docs.example/rekindle/diagnostics.md#RK0201');
  assert.equal(d.relatedInformation[0].location.uri, schemaUri);
  assert.equal(d.relatedInformation[0].message, '`last_purchase_date` is declared here');

  // The quick fix, applied as VS Code would, makes the file clean again.
  const actions = await c.conn.sendRequest(lsp.CodeActionRequest.type, {
    textDocument: { uri },
    range: d.range,
    context: { diagnostics: [d], only: [lsp.CodeActionKind.QuickFix] },
  });
  assert.equal(actions.length, 1);
  assert.equal(actions[0].title, 'Change to `last_purchase_date`');
  assert.equal(actions[0].kind, 'quickfix');
  const edits = actions[0].edit.changes[uri];
  const fixed = applyEdits(text, edits);
  assert.equal(fixed, playbook);
  await c.conn.sendNotification(lsp.DidChangeTextDocumentNotification.type, {
    textDocument: { uri, version: 3 },
    contentChanges: edits.map((e) => ({ range: e.range, text: e.newText })),
  });
  text = fixed;
  assert.deepEqual((await c.diagnostics(uri, 3)).diagnostics, []);

  // Hover: a field's type, nullability and doc; a parameter's value; a label's condition.
  const pos = (needle, delta = 0, nth = 0) => ({ textDocument: { uri }, position: at(text, needle, delta, nth) });
  const field = await c.conn.sendRequest(lsp.HoverRequest.type, pos('gross_margin_pct is missing', 2));
  assert.equal(field.contents.kind, 'markdown');
  assert.match(field.contents.value, /\*\*field\*\* `gross_margin_pct`/);
  assert.match(field.contents.value, /type: percent, may be missing/);
  assert.match(field.contents.value, /A fraction: 0\.35 is 35%/);
  const param = await c.conn.sendRequest(lsp.HoverRequest.type, pos('>= whale_aov', 4));
  assert.match(param.contents.value, /value: \$250/);
  const label = await c.conn.sendRequest(lsp.HoverRequest.type, pos('value_tier is whale', 15));
  assert.match(label.contents.value, /when avg_order_value >= whale_aov/);

  // Go to definition: from a use in the rules to the field in the schema.
  const def = await c.conn.sendRequest(lsp.DefinitionRequest.type, pos('avg_order_value >= whale_aov', 3));
  assert.equal(def.uri, schemaUri);
  assert.deepEqual(def.range.start, at(schema, 'avg_order_value'));
  // ... and to a let.
  const letDef = await c.conn.sendRequest(lsp.DefinitionRequest.type, pos('days_dormant < 60', 1));
  assert.deepEqual(letDef.range.start, at(text, 'days_dormant'));

  // References of a label: its declaration and its use in `candidate when ... in {...}`.
  const refs = await c.conn.sendRequest(lsp.ReferencesRequest.type, {
    ...pos('critical        when'),
    context: { includeDeclaration: true },
  });
  assert.equal(refs.length, 2);

  // Completion after `is` offers the segment's labels.
  const withIs = text.replace('review high_value when value_tier is whale', 'review high_value when value_tier is ');
  await c.conn.sendNotification(lsp.DidChangeTextDocumentNotification.type, {
    textDocument: { uri, version: 4 },
    contentChanges: [{ text: withIs }],
  });
  const completion = await c.conn.sendRequest(lsp.CompletionRequest.type, {
    textDocument: { uri },
    position: at(withIs, 'value_tier is ', 14),
  });
  const labels = completion.items.map((i) => i.label);
  assert.deepEqual(labels.slice(0, 3), ['whale', 'mid', 'low']);

  // Formatting: a messy version comes back canonical.
  const messy = text.replace('segment value_tier {\n  whale when', 'segment   value_tier{\n      whale     when');
  await c.conn.sendNotification(lsp.DidChangeTextDocumentNotification.type, {
    textDocument: { uri, version: 5 },
    contentChanges: [{ text: messy }],
  });
  const formatting = await c.conn.sendRequest(lsp.DocumentFormattingRequest.type, {
    textDocument: { uri },
    options: { tabSize: 2, insertSpaces: true },
  });
  assert.ok(formatting.length >= 1);
  assert.equal(applyEdits(messy, formatting), playbook);

  // Outline and semantic tokens answer too.
  const symbols = await c.conn.sendRequest(lsp.DocumentSymbolRequest.type, { textDocument: { uri } });
  assert.ok(symbols.some((s) => s.name === 'winback' && s.children.length === 10));
  const tokens = await c.conn.sendRequest(lsp.SemanticTokensRequest.type, { textDocument: { uri } });
  assert.equal(tokens.data.length % 5, 0);
  assert.ok(tokens.data.length > 500);

  // A request the server does not know gets an error reply; the session goes on.
  await assert.rejects(c.conn.sendRequest('textDocument/prepareRename', pos('whale_aov')), (e) => e.code === -32601);

  await c.conn.sendRequest(lsp.ShutdownRequest.type);
  await c.conn.sendNotification(lsp.ExitNotification.type);
  assert.equal(await c.exited, 0);
  c.conn.dispose();
});
