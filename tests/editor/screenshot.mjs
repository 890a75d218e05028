// Rekindle: makes docs/editor.png, the picture in docs/editor.md. The playbook with a misspelled
// enum value is opened in `rekindle lsp` (through the same LSP client library as the session
// test); the diagnostic, its quick fix and the hover of a field come back from the server; an
// excerpt of the file is highlighted with the extension's TextMate grammar (vscode-textmate) and
// rendered as HTML with the diagnostic's squiggle and popup, and headless Chromium takes the
// screenshot. Needs node, `npm ci` here, and chromium (scripts/setup installs it).
//
//   node tests/editor/screenshot.mjs [REKINDLE_BINARY] [OUT.png]
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

import { grammarFor, root, tokenize, toHtml } from './highlight.mjs';

const require = createRequire(import.meta.url);
const lsp = require('vscode-languageserver-protocol/node');

const rekindle = process.argv[2] || join(root, 'build', 'release', 'cli', 'rekindle');
const out = process.argv[3] || join(root, 'docs', 'editor.png');
const rulesPath = join(root, 'rules', 'winback.rules');
const uri = pathToFileURL(rulesPath).href;
const text = readFileSync(rulesPath, 'utf8').replace(
  'early_warning   when days_dormant in 60 to 89 days',
  'early_warning   when days_dormnt in 60 to 89 days',
);

// Ask the server.
const child = spawn(rekindle, ['lsp', '--no-lint'], { stdio: ['pipe', 'pipe', 'inherit'] });
const conn = lsp.createProtocolConnection(
  new lsp.StreamMessageReader(child.stdout),
  new lsp.StreamMessageWriter(child.stdin),
);
const published = new Promise((resolve) =>
  conn.onNotification(lsp.PublishDiagnosticsNotification.type, (p) => p.diagnostics.length && resolve(p)),
);
conn.listen();
await conn.sendRequest(lsp.InitializeRequest.type, { processId: process.pid, rootUri: null, capabilities: {} });
await conn.sendNotification(lsp.InitializedNotification.type, {});
await conn.sendNotification(lsp.DidOpenTextDocumentNotification.type, {
  textDocument: { uri, languageId: 'rekindle-rules', version: 1, text },
});
const diag = (await published).diagnostics[0];
const [fix] = await conn.sendRequest(lsp.CodeActionRequest.type, {
  textDocument: { uri },
  range: diag.range,
  context: { diagnostics: [diag] },
});
await conn.sendRequest(lsp.ShutdownRequest.type);
await conn.sendNotification(lsp.ExitNotification.type);
conn.dispose();

// Highlight an excerpt around the problem and draw the squiggle and the popup.
const first = Math.max(0, diag.range.start.line - 21);
const lines = tokenize(await grammarFor('winback.rules'), text).slice(first, first + 30);
let html = toHtml('winback.rules — Rekindle', lines, first + 1);
const escape = (s) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const rows = html.split('\n');
const row = rows.findIndex((r) => r.includes(`<span class="n">${diag.range.start.line + 1}</span>`));
const word = text.split('\n')[diag.range.start.line].slice(diag.range.start.character, diag.range.end.character);
rows[row] = rows[row].replace(`>${word}<`, `><span class="sq">${word}</span><`);
const [message, help] = diag.message.split('\nhelp: ');
const left = Math.min(60 + diag.range.start.character * 8.43, 1000 - 560);
const popup = `<div class="pop" style="left:${left}px">
<div><span class="err">${escape(message)}</span> <span class="code">rekindle(<u>${diag.code}</u>)</span></div>
<div class="help">help: ${escape(help)}</div>
<div class="fix">Quick Fix… &nbsp;<b>${escape(fix.title)}</b></div></div>`;
rows[row] = rows[row].replace('<div class="l">', '<div class="l" style="position:relative">') + popup;
rows[row] = rows[row].replace(/<\/div>(<div class="pop")/, '$1') + '</div>';
html = rows.join('\n').replace('</style>', `.sq{text-decoration:underline wavy #f14c4c;text-underline-offset:1px;text-decoration-thickness:1px}
.pop{position:absolute;top:22px;z-index:2;white-space:normal;width:max-content;max-width:540px;background:#252526;border:1px solid #454545;padding:8px 12px;font:13px/19px sans-serif;color:#cccccc;box-shadow:0 2px 8px #000}
.err{color:#f48771}.code{color:#9d9d9d}.help{color:#cccccc;margin-top:2px}.fix{margin-top:8px;color:#3794ff}
</style>`);

const dir = mkdtempSync(join(tmpdir(), 'rk-shot-'));
try {
  writeFileSync(join(dir, 'page.html'), html);
  execFileSync('chromium', [
    '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--no-first-run', '--hide-scrollbars',
    `--user-data-dir=${join(dir, 'profile')}`, '--window-size=1000,660',
    `--screenshot=${out}`, pathToFileURL(join(dir, 'page.html')).href,
  ], { stdio: 'ignore' });
} finally {
  rmSync(dir, { recursive: true, force: true });
}
console.log(`screenshot.mjs: ${out}`);
