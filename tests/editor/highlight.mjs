// Rekindle editor tests: loads the TextMate grammars of editors/vscode with vscode-textmate and
// vscode-oniguruma (the engine VS Code uses), tokenizes text line by line, and renders tokens as
// HTML with a small dark theme (for docs/editor.md's screenshot, see screenshot.mjs).
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const vsctm = require('vscode-textmate');
const oniguruma = require('vscode-oniguruma');

export const here = dirname(fileURLToPath(import.meta.url));
export const root = join(here, '..', '..');
const syntaxes = join(root, 'editors', 'vscode', 'syntaxes');
const files = {
  'source.rekindle': 'rekindle.tmLanguage.json',
  'source.rekindle.schema': 'rekindle-schema.tmLanguage.json',
  'source.rekindle.test': 'rekindle-test.tmLanguage.json',
};

let registry;
function getRegistry() {
  if (registry) return registry;
  const wasm = readFileSync(require.resolve('vscode-oniguruma/release/onig.wasm')).buffer;
  const onigLib = oniguruma.loadWASM(wasm).then(() => ({
    createOnigScanner: (patterns) => new oniguruma.OnigScanner(patterns),
    createOnigString: (s) => new oniguruma.OnigString(s),
  }));
  registry = new vsctm.Registry({
    onigLib,
    loadGrammar: async (scopeName) => {
      const file = files[scopeName];
      if (!file) return null;
      const path = join(syntaxes, file);
      return vsctm.parseRawGrammar(readFileSync(path, 'utf8'), path);
    },
  });
  return registry;
}

// The grammar for a file name (.rules, .schema, .test).
export async function grammarFor(name) {
  const scope = name.endsWith('.schema')
    ? 'source.rekindle.schema'
    : name.endsWith('.test')
      ? 'source.rekindle.test'
      : 'source.rekindle';
  return getRegistry().loadGrammar(scope);
}

// [{ line, tokens: [{ text, scopes }] }] for every line of text.
export function tokenize(grammar, text) {
  let stack = vsctm.INITIAL;
  return text.split('\n').map((line) => {
    const r = grammar.tokenizeLine(line, stack);
    stack = r.ruleStack;
    return {
      line,
      tokens: r.tokens.map((t) => ({
        text: line.slice(t.startIndex, t.endIndex),
        scopes: t.scopes,
      })),
    };
  });
}

// The colour of a token: the most specific scope that the theme names (a prefix match, like
// TextMate themes).
const theme = [
  ['comment.line.documentation', '#6a9955', 'italic'],
  ['comment', '#6a737d', 'italic'],
  ['keyword.other.directive', '#c586c0', ''],
  ['constant.other.diagnostic-code', '#d7ba7d', ''],
  ['string.unquoted.fallback', '#ce9178', 'italic'],
  ['variable.other.placeholder', '#9cdcfe', 'bold'],
  ['punctuation.definition.template-expression', '#569cd6', 'bold'],
  ['keyword.operator.fallback', '#569cd6', 'bold'],
  ['constant.character.escape', '#d7ba7d', ''],
  ['string', '#ce9178', ''],
  ['constant.numeric.money', '#b5cea8', ''],
  ['constant.numeric.percent', '#b5cea8', ''],
  ['constant.numeric.duration', '#b5cea8', ''],
  ['constant.numeric.date', '#b5cea8', ''],
  ['constant.numeric', '#b5cea8', ''],
  ['keyword.other.unit', '#4fc1ff', ''],
  ['constant.language', '#569cd6', ''],
  ['support.constant.offer', '#4ec9b0', ''],
  ['support.type', '#4ec9b0', ''],
  ['storage.modifier', '#569cd6', ''],
  ['storage.type', '#569cd6', 'bold'],
  ['keyword.control', '#c586c0', ''],
  ['keyword.operator', '#d4d4d4', ''],
  ['entity.name.type', '#4ec9b0', 'bold'],
  ['entity.name.namespace', '#4ec9b0', 'bold'],
  ['entity.name.function', '#dcdcaa', ''],
  ['entity.name.label', '#4fc1ff', ''],
  ['entity.name.variable', '#9cdcfe', ''],
  ['variable.other.constant', '#4fc1ff', ''],
  ['variable.other.enummember', '#4fc1ff', ''],
  ['variable.other.field', '#9cdcfe', ''],
  ['variable', '#9cdcfe', ''],
];
function style(scopes) {
  for (let i = scopes.length - 1; i >= 0; --i)
    for (const [prefix, color, font] of theme)
      if (scopes[i] === prefix || scopes[i].startsWith(prefix + '.'))
        return `color:${color}${font === 'italic' ? ';font-style:italic' : ''}${font === 'bold' ? ';font-weight:600' : ''}`;
  return '';
}
const escape = (s) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

// A page showing the tokenized lines like an editor (line numbers from `firstLine`, dark theme).
export function toHtml(title, lines, firstLine = 1) {
  const rows = lines
    .map((l, i) => {
      const code = l.tokens
        .map((t) => {
          const s = style(t.scopes);
          return s ? `<span style="${s}">${escape(t.text)}</span>` : escape(t.text);
        })
        .join('');
      return `<div class="l"><span class="n">${firstLine + i}</span>${code || ' '}</div>`;
    })
    .join('\n');
  return `<!doctype html><html><head><meta charset="utf-8"><style>
body{margin:0;background:#1e1e1e;color:#d4d4d4;font:14px/20px "DejaVu Sans Mono",monospace}
.tab{background:#252526;color:#cccccc;padding:6px 14px;font:13px sans-serif;border-bottom:1px solid #333}
.code{padding:8px 0}.l{white-space:pre}.n{display:inline-block;width:44px;padding-right:16px;text-align:right;color:#858585}
</style></head><body><div class="tab">${escape(title)}</div><div class="code">
${rows}
</div></body></html>`;
}
