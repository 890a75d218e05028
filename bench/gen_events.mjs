// Rekindle bench: writes measurement events in the exact shape of `rekindle eval --events`
// (winback-program.md section 7) for rules/winback.rules' sequence and segment families, fast and
// deterministic for a seed, until `rekindle eval --events` exists to make them from a snapshot.
//
//   node gen_events.mjs UNITS SEED OUT.jsonl [RUNS]
// Units are spread over RUNS runs (default 1) a week apart; ~40% are due, 5% held out.
import { openSync, writeSync, closeSync } from 'node:fs';

const [units, seed, out, runsArg] = process.argv.slice(2);
const n = Number(units);
const runs = Number(runsArg || 1);
let state = (Number(seed) * 2654435761) >>> 0;
const rand = () => {  // mulberry32
  state = (state + 0x6d2b79f5) >>> 0;
  let t = state;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};
const pick = (a) => a[Math.floor(rand() * a.length)];
const FAMILIES = [
  ['dormancy', ['early_warning', 'active_risk', 'critical', 'deep']],
  ['value_tier', ['whale', 'mid', 'low']],
  ['margin', ['unknown_margin', 'high_margin', 'low_margin']],
  ['history', ['subscriber', 'repeat', 'single']],
  ['engagement', ['dark', 'opens_no_clicks', 'clicks_no_purchase', 'engaged']],
  ['affinity', ['fashion', 'home', 'tech', 'other']],
  ['acquisition', ['paid', 'organic', 'owned', null]],
];
const STEPS = ['pattern_interrupt', 'recommendation', 'soft_incentive', 'social_proof', 'scarcity',
               'winback_offer', 'final_nudge'];
const OFFERS = [['none'], ['none'], ['credit 10'], ['none'], ['early_access'],
                ['discount 20%', 'discount 15%'], ['none']];
const STOPS = ['opted_out', 'no_permission', 'complaint', 'deliverability', 'poor_fit'];
const q = (v) => (v === null ? 'null' : `"${v}"`);
const decision = () => {
  const t = Math.floor(rand() * 7);
  const channel = t === 4 && rand() < 0.6 ? 'sms' : 'email';
  return `"touch":${t + 1},"step":"${STEPS[t]}","variant":null,"channel":"${channel}",` +
         `"offer":"${pick(OFFERS[t])}"`;
};
const NONE = '"touch":null,"step":null,"variant":null,"channel":null,"offer":null';

const fd = openSync(out, 'w');
let buf = '';
for (let r = 0; r < runs; ++r) {
  const day = new Date(Date.UTC(2026, 10, 1 + 7 * r)).toISOString().slice(0, 10);
  const runId = `${day}/3f9a12c4`;
  const per = Math.floor(n / runs) + (r < n % runs ? 1 : 0);
  for (let i = 0; i < per; ++i) {
    const id = `C${String(i).padStart(8, '0')}`;
    const x = rand();
    let status, d = NONE, wouldBe = 'null', stopped = 'null';
    if (x < 0.10) {
      status = 'stopped';
      stopped = `"${pick(STOPS)}"`;
    } else if (x < 0.145) {
      status = 'holdout';
      wouldBe = rand() < 0.7 ? `{"status":"due",${decision()}}` : `{"status":"waiting",${NONE}}`;
    } else if (x < 0.55) {
      status = 'due';
      d = decision();
    } else {
      status = pick(['waiting', 'waiting', 'waiting', 'exhausted', 'responded', 'capped']);
    }
    let cohort = '';
    for (const [f, labels] of FAMILIES) cohort += `"${f}":${q(pick(labels))},`;
    const review = status === 'due' && rand() < 0.2 ? '["high_value"]' : '[]';
    buf += `{"run_id":"${runId}","as_of":"${day}","customer_id":"${id}","sequence":"winback",` +
           `"status":"${status}",${d},"stopped_by":${stopped},"review":${review},` +
           `"cohort":{${cohort}"churn_risk":${Math.floor(rand() * 100)}},"holdout_share":5,` +
           `"would_be":${wouldBe}}\n`;
    if (buf.length > (1 << 22)) {
      writeSync(fd, buf);
      buf = '';
    }
  }
}
writeSync(fd, buf);
closeSync(fd);
