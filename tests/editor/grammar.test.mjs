// Rekindle editor tests: the TextMate grammars of editors/vscode tokenize the playbook, its schema
// and its tests (and every other rule, schema and test file under rules/, and the program's
// constructs in tests/rules/: scores, caps, variants, templates) without invalid tokens,
// and give representative tokens the scopes that themes colour: keywords, declaration names,
// labels, units, money, percents, dates, strings, comments, doc comments and template
// placeholders (`{name}` and `{name|fallback}`) inside strings.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';

import { grammarFor, root, tokenize } from './highlight.mjs';

// The scopes of the first token whose text is `text` on the first line containing `line`.
function scopesOf(lines, line, text, nth = 0) {
  const l = lines.find((x) => x.line.includes(line));
  assert.ok(l, `no line contains ${line}`);
  const tokens = l.tokens.filter((t) => t.text === text);
  assert.ok(tokens.length > nth, `no token ${JSON.stringify(text)} on: ${l.line}\n${JSON.stringify(l.tokens)}`);
  return tokens[nth].scopes;
}
function has(scopes, scope) {
  return scopes.some((s) => s === scope || s.startsWith(scope + '.'));
}
function expect(lines, line, text, scope, nth = 0) {
  const scopes = scopesOf(lines, line, text, nth);
  assert.ok(has(scopes, scope), `${JSON.stringify(text)} in "${line}": ${scopes.join(' ')}, want ${scope}`);
}

const dir = join(root, 'rules');

test('every rule, schema and test file under rules/ tokenizes without invalid tokens', async () => {
  const files = [];
  const walk = (d) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (/\.(rules|schema|test)$/.test(e.name)) files.push(p);
    }
  };
  walk(dir);
  assert.ok(files.length >= 3);
  for (const f of files) {
    const lines = tokenize(await grammarFor(f), readFileSync(f, 'utf8'));
    for (const l of lines)
      for (const t of l.tokens)
        assert.ok(!t.scopes.some((s) => s.startsWith('invalid')), `${f}: ${l.line}`);
  }
});

test('the playbook: keywords, names, labels, units, money, percents, strings, comments', async () => {
  const lines = tokenize(await grammarFor('x.rules'), readFileSync(join(dir, 'winback.rules'), 'utf8'));
  expect(lines, '# The win-back playbook', '#', 'comment.line.number-sign.rekindle');
  expect(lines, '## Order value from which a customer counts as a whale.',
         '## Order value from which a customer counts as a whale.', 'comment.line.documentation.rekindle');
  expect(lines, '# rekindle: allow RK0615', 'rekindle:', 'keyword.other.directive.rekindle');
  expect(lines, 'import "customer.schema"', 'import', 'storage.type');
  expect(lines, 'import "customer.schema"', 'customer.schema', 'string.quoted.double.rekindle');
  expect(lines, 'parameter whale_aov = $250', 'parameter', 'storage.type.rekindle');
  expect(lines, 'parameter whale_aov = $250', 'whale_aov', 'variable.other.constant.parameter.rekindle');
  expect(lines, 'parameter whale_aov = $250', '$250', 'constant.numeric.money.rekindle');
  expect(lines, 'parameter high_margin = 40%', '40%', 'constant.numeric.percent.rekindle');
  expect(lines, 'parameter touch_interval = 7 days', '7', 'constant.numeric.duration.rekindle');
  expect(lines, 'parameter touch_interval = 7 days', 'days', 'keyword.other.unit.rekindle');
  expect(lines, 'let days_dormant = days since', 'days_dormant', 'entity.name.variable.let.rekindle');
  expect(lines, 'let days_dormant = days since', 'since', 'keyword.operator.word.rekindle');
  expect(lines, 'let days_dormant = days since', 'days', 'keyword.operator.word.rekindle');
  expect(lines, 'segment dormancy {', 'segment', 'storage.type.rekindle');
  expect(lines, 'segment dormancy {', 'dormancy', 'entity.name.type.segment.rekindle');
  expect(lines, 'never_purchased when last_purchase_date is missing', 'never_purchased', 'entity.name.label.rekindle');
  expect(lines, 'never_purchased when last_purchase_date is missing', 'when', 'keyword.control.rekindle');
  expect(lines, 'never_purchased when last_purchase_date is missing', 'is', 'keyword.operator.word.rekindle');
  expect(lines, 'never_purchased when last_purchase_date is missing', 'missing', 'constant.language.rekindle');
  expect(lines, 'early_warning   when days_dormant in 60 to 89 days', '89', 'constant.numeric.duration.rekindle');
  expect(lines, 'otherwise low', 'low', 'entity.name.label.rekindle');
  expect(lines, 'whale when avg_order_value >= whale_aov', '>=', 'keyword.operator.comparison.rekindle');
  expect(lines, 'fashion when categories has any of {apparel', 'apparel', 'variable.other.enummember.rekindle');
  expect(lines, 'candidate when dormancy in', 'candidate', 'storage.type.rekindle');
  expect(lines, 'stop opted_out when opted_out', 'opted_out', 'entity.name.function.rule.rekindle');
  expect(lines, 'because "Contact opted out"', 'Contact opted out', 'string.quoted.double.rekindle');
  expect(lines, 'stop poor_fit when orders_total = 1', '$20', 'constant.numeric.money.rekindle');
  expect(lines, 'sequence winback {', 'winback', 'entity.name.namespace.sequence.rekindle');
  expect(lines, 'progress last_touch on last_touch_date', 'last_touch', 'variable.other.field.rekindle');
  expect(lines, 'holdout 5% salt "winback"', '5%', 'constant.numeric.percent.rekindle');
  expect(lines, 'channel email requires email_consent is true', 'email', 'entity.name.label.channel.rekindle');
  expect(lines, 'channel email requires email_consent is true', 'true', 'constant.language.rekindle');
  expect(lines, 'touch soft_incentive via email offer credit 10', 'soft_incentive', 'entity.name.label.touch.rekindle');
  expect(lines, 'touch soft_incentive via email offer credit 10', 'credit', 'support.constant.offer.rekindle');
  expect(lines, 'offer (if value_tier is whale then discount 15%', '15%', 'constant.numeric.percent.rekindle');
  expect(lines, 'review discount when winback.offer is discount', '.', 'punctuation.accessor.rekindle');
  // A segment's closing brace ends it: the next declaration is top level again.
  expect(lines, 'segment value_tier {', 'value_tier', 'entity.name.type.segment.rekindle');
});

test('template placeholders inside strings, escapes and dates', async () => {
  const text = [
    'touch welcome via email',
    '  subject "Welcome back, {first_name|friend}!"',
    '  body "Good to see you again, {first_name}. New in {affinity}: {offer}. \\"Quoted\\""',
    'let due_by = 2026-11-01',
  ].join('\n');
  const lines = tokenize(await grammarFor('x.rules'), text);
  expect(lines, 'Welcome back', '{', 'punctuation.definition.template-expression.begin.rekindle');
  expect(lines, 'Welcome back', 'first_name', 'variable.other.placeholder.rekindle');
  expect(lines, 'Welcome back', '|', 'keyword.operator.fallback.rekindle');
  expect(lines, 'Welcome back', 'friend', 'string.unquoted.fallback.rekindle');
  expect(lines, 'Welcome back', '}', 'punctuation.definition.template-expression.end.rekindle');
  expect(lines, 'Welcome back', 'Welcome back, ', 'string.quoted.double.rekindle');
  expect(lines, 'Good to see you', 'affinity', 'variable.other.placeholder.rekindle');
  expect(lines, 'Good to see you', 'offer', 'variable.other.placeholder.rekindle');
  expect(lines, 'Good to see you', '\\"', 'constant.character.escape.rekindle');
  expect(lines, 'let due_by', '2026-11-01', 'constant.numeric.date.rekindle');
});

test('the program\'s constructs: scores, caps, variants, templates (tests/rules/)', async () => {
  const rulesDir = join(root, 'tests', 'rules');
  const read = async (name) =>
    tokenize(await grammarFor(name), readFileSync(join(rulesDir, name), 'utf8'));
  for (const f of ['caps.rules', 'variants.rules', 'templates.rules', 'scores.rules',
                   'guarantees.rules']) {
    for (const l of await read(f))
      for (const t of l.tokens)
        assert.ok(!t.scopes.some((s) => s.startsWith('invalid')), `${f}: ${l.line}`);
  }
  const caps = await read('caps.rules');
  expect(caps, 'cap one_per_run: at most 1 message per run', 'cap', 'storage.type.rekindle');
  expect(caps, 'cap one_per_run: at most 1 message per run', 'per', 'keyword.control.rekindle');
  expect(caps, 'cap busy when n >= 4', 'when', 'keyword.control.rekindle');
  const variants = await read('variants.rules');
  expect(variants, 'variant red_door 50%', 'variant', 'storage.type.rekindle');
  expect(variants, 'variant red_door 50%', 'red_door', 'entity.name.label.variant.rekindle');
  const templates = await read('templates.rules');
  expect(templates, 'score loyalty {', 'score', 'storage.type.rekindle');
  expect(templates, 'subject "Bye {name|there}"', 'subject', 'keyword.control.rekindle');
  expect(templates, 'subject "Bye {name|there}"', 'name', 'variable.other.placeholder.rekindle');
  const guarantees = await read('guarantees.rules');
  expect(guarantees, 'guarantee one_sequence: never', 'guarantee', 'storage.type.rekindle');
  expect(guarantees, 'guarantee one_sequence: never', 'never', 'keyword.control.rekindle');
  expect(guarantees, '    and not reviewed', 'reviewed', 'constant.language.rekindle');
});

test('the schema and the tests', async () => {
  const schema = tokenize(await grammarFor('x.schema'), readFileSync(join(dir, 'customer.schema'), 'utf8'));
  expect(schema, 'schema customer', 'customer', 'entity.name.type.schema.rekindle');
  expect(schema, 'field customer_id: string key', 'customer_id', 'variable.other.field.rekindle');
  expect(schema, 'field customer_id: string key', 'string', 'support.type.rekindle');
  expect(schema, 'field customer_id: string key', 'key', 'storage.modifier.key.rekindle');
  expect(schema, 'field last_purchase_date: date?', '?', 'keyword.operator.optional.rekindle');
  expect(schema, 'field acquisition_channel: enum', 'paid_social', 'variable.other.enummember.rekindle');
  expect(schema, 'field categories: list of string', 'list of string', 'support.type.rekindle');
  expect(schema, '## Unique key of the customer.', '## Unique key of the customer.', 'comment.line.documentation.rekindle');
  const tests = tokenize(await grammarFor('x.test'), readFileSync(join(dir, 'winback.test'), 'utf8'));
  expect(tests, 'test "the default customer gets touch 1 by email"', 'test', 'storage.type.rekindle');
  expect(tests, 'test "the default customer gets touch 1 by email"',
         '"the default customer gets touch 1 by email"', 'entity.name.function.test.rekindle');
  expect(tests, 'avg_order_value = $80', '$80', 'constant.numeric.money.rekindle');
  expect(tests, 'last_purchase_date = today - 120 days', 'today', 'constant.language.rekindle');
  expect(tests, 'given last_purchase_date = missing', 'given', 'keyword.control.rekindle');
  expect(tests, 'as of 2026-11-01', '2026-11-01', 'constant.numeric.date.rekindle');
});
