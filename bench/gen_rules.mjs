// Rekindle bench: writes a synthetic rule file of N rules over rules/customer.schema, for the
// compile-time and rules-scaling measurements of bench/compare. Rules come in segments of ten
// labels (each label one rule: two comparisons over numeric, date, bool, list and enum fields with
// varied thresholds), plus a candidate rule; deterministic for a given N.
//
//   node gen_rules.mjs N OUT.rules     (copies customer.schema next to OUT.rules)
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const [n, out] = [Number(process.argv[2]), process.argv[3]];
if (!(n > 0) || !out) {
  console.error('usage: gen_rules.mjs N OUT.rules');
  process.exit(2);
}
let seed = 12345;
const rnd = (k) => {
  seed = (seed * 1103515245 + 12345) % 2147483648;
  return seed % k;
};
const cats = ['apparel', 'footwear', 'accessories', 'home', 'kitchen', 'garden', 'electronics'];
const chans = ['paid_social', 'organic_search', 'email', 'referral', 'direct'];
const atom = () => {
  switch (rnd(9)) {
    case 0: return `avg_order_value >= $${5 + rnd(400)}`;
    case 1: return `orders_total >= ${1 + rnd(8)}`;
    case 2: return `email_opens_90d > ${rnd(6)}`;
    case 3: return `days since last_purchase_date >= ${rnd(400)} days`;
    case 4: return `gross_margin_pct < ${5 + rnd(60)}%`;
    case 5: return `email_bounce_rate > ${1 + rnd(9)}%`;
    case 6: return rnd(2) ? 'is_subscriber' : 'not opted_out';
    case 7: return `categories has ${cats[rnd(cats.length)]}`;
    default: return `acquisition_channel is ${chans[rnd(chans.length)]}`;
  }
};
const lines = ['# Synthetic rule file for bench/compare (bench/gen_rules.mjs).', 'import "customer.schema"', ''];
let rules = 0;
for (let s = 0; rules < n; ++s) {
  lines.push(`segment family_${s} {`);
  for (let l = 0; l < 10 && rules < n; ++l, ++rules)
    lines.push(`  label_${l} when ${atom()} ${rnd(2) ? 'and' : 'or'} ${atom()}`);
  lines.push('  otherwise unmatched', '}', '');
}
lines.push('candidate when family_0 in {label_0, label_1, label_2}', '');
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, lines.join('\n'));
const here = dirname(fileURLToPath(import.meta.url));
copyFileSync(join(here, '..', 'rules', 'customer.schema'), join(dirname(out), 'customer.schema'));
