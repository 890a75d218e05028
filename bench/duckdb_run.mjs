// Rekindle bench: the DuckDB side of bench/compare, through @duckdb/node-api. The playbook is
// bench/playbook.sql (a view `playbook` over a relation `customers`). Prints one JSON object.
//
//   node duckdb_run.mjs mem SNAPSHOT.csv AS_OF THREADS...   load into an in-memory table, then
//                                                           time the playbook per thread count
//   node duckdb_run.mjs e2e SNAPSHOT.csv AS_OF OUT.csv THREADS   read the CSV, write the result
//   node duckdb_run.mjs diff EXPECTED.csv ACTUAL.csv        row-by-row comparison of two results
import { DuckDBInstance } from '@duckdb/node-api';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const playbookSql = readFileSync(join(here, 'playbook.sql'), 'utf8');
const now = () => Number(process.hrtime.bigint()) / 1e9;
const quote = (s) => `'${s.replaceAll("'", "''")}'`;

// The snapshot's columns and types (rules/customer.schema); categories stays text here.
const COLUMNS = {
  customer_id: 'VARCHAR', last_purchase_date: 'DATE', last_engagement_date: 'DATE',
  orders_total: 'BIGINT', avg_order_value: 'DOUBLE', gross_margin_pct: 'DOUBLE',
  is_subscriber: 'BOOLEAN', email_opens_90d: 'BIGINT', email_clicks_90d: 'BIGINT',
  purchases_90d: 'BIGINT', categories: 'VARCHAR', acquisition_channel: 'VARCHAR',
  email_consent: 'BOOLEAN', sms_consent: 'BOOLEAN', opted_out: 'BOOLEAN',
  relationship_flag: 'VARCHAR', spam_complaints_90d: 'BIGINT', email_bounce_rate: 'DOUBLE',
  last_touch: 'BIGINT', last_touch_date: 'DATE', responded: 'BOOLEAN',
};
const columnsSql = '{' + Object.entries(COLUMNS).map(([k, v]) => `'${k}': '${v}'`).join(', ') + '}';
// The snapshot as a relation with categories split on '|' (an empty field is an empty list).
const snapshotSql = (csv) =>
  `SELECT * REPLACE (CASE WHEN categories IS NULL THEN []::VARCHAR[] ` +
  `ELSE string_split(categories, '|') END AS categories) ` +
  `FROM read_csv(${quote(csv)}, header = true, quote = '"', escape = '"', ` +
  `columns = ${columnsSql}, auto_detect = false)`;

async function open(asOf, threads) {
  const db = await DuckDBInstance.create(':memory:');
  const c = await db.connect();
  await c.run(`SET threads = ${threads}`);
  await c.run(`SET VARIABLE as_of = DATE ${quote(asOf)}`);
  return { db, c };
}

async function mem(csv, asOf, threadList) {
  const { c } = await open(asOf, Math.max(...threadList));
  let t = now();
  await c.run(`CREATE TABLE customers AS ${snapshotSql(csv)}`);
  const loadS = now() - t;
  await c.run(playbookSql);
  const rows = Number((await c.runAndReadAll('SELECT count(*) FROM customers')).getRows()[0][0]);
  const out = { rows, load_s: loadS, runs: {}, runs_without_holdout_hash: {} };
  // The same query with the holdout hash replaced by a constant: how much of DuckDB's time the
  // SQL FNV-1a costs (reported for context, not used in the ratios).
  const noHash = playbookSql.replace(/CREATE OR REPLACE MACRO fnv1a64[\s\S]*?;\n/,
    'CREATE OR REPLACE MACRO fnv1a64(s) AS 99;\n').replace('VIEW playbook', 'VIEW playbook_nohash');
  for (const threads of threadList) {
    await c.run(`SET threads = ${threads}`);
    for (const [view, key] of [['playbook', 'runs'], ['playbook_nohash', 'runs_without_holdout_hash']]) {
      if (view === 'playbook_nohash') await c.run(noHash);
      let best = Infinity;
      for (let rep = 0; rep < (rows > 2e6 ? 1 : 3); ++rep) {
        t = now();
        await c.run(`CREATE OR REPLACE TABLE result AS SELECT * FROM ${view}`);
        best = Math.min(best, now() - t);
      }
      out[key][threads] = { seconds: best, rows_per_s: rows / best };
      if (view === 'playbook_nohash') await c.run(playbookSql);  // restore the real macro
    }
  }
  return out;
}

async function e2e(csv, asOf, outCsv, threads) {
  const { c } = await open(asOf, threads);
  const t = now();
  await c.run(`CREATE VIEW customers AS ${snapshotSql(csv)}`);
  await c.run(playbookSql);
  await c.run(`COPY (SELECT * FROM playbook) TO ${quote(outCsv)} (HEADER, DELIMITER ',')`);
  return { threads, seconds: now() - t };
}

async function diff(expected, actual) {
  const { c } = await open("2000-01-01", 2);
  const rd = (f) => `read_csv(${quote(f)}, header = true, all_varchar = true, auto_detect = false, ` +
    `columns = {${['customer_id', 'candidate', 'dormancy', 'value_tier', 'margin', 'history',
      'engagement', 'affinity', 'acquisition', 'stopped_by', 'review', 'winback_status',
      'winback_touch', 'winback_step', 'winback_channel', 'winback_offer']
      .map((k) => `'${k}': 'VARCHAR'`).join(', ')}})`;
  const counts = (await c.runAndReadAll(
    `SELECT (SELECT count(*) FROM ${rd(expected)}), (SELECT count(*) FROM ${rd(actual)})`)).getRows()[0];
  const bad = await c.runAndReadAll(
    `SELECT e.customer_id, e::VARCHAR AS expected, a::VARCHAR AS actual FROM ${rd(expected)} e POSITIONAL JOIN ${rd(actual)} a ` +
    `WHERE e IS DISTINCT FROM a LIMIT 5`);
  const nbad = Number((await c.runAndReadAll(
    `SELECT count(*) FROM ${rd(expected)} e POSITIONAL JOIN ${rd(actual)} a WHERE e IS DISTINCT FROM a`)).getRows()[0][0]);
  return { expected_rows: Number(counts[0]), actual_rows: Number(counts[1]), differing_rows: nbad,
    examples: bad.getRows().map((r) => r.map(String)) };
}

const [mode, ...args] = process.argv.slice(2);
let result;
if (mode === 'mem') result = await mem(args[0], args[1], args.slice(2).map(Number));
else if (mode === 'e2e') result = await e2e(args[0], args[1], args[2], Number(args[3]));
else if (mode === 'diff') result = await diff(args[0], args[1]);
else {
  console.error('usage: duckdb_run.mjs mem|e2e|diff ...');
  process.exit(2);
}
console.log(JSON.stringify(result));
