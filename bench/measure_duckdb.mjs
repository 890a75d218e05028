// Rekindle bench: the DuckDB side of bench/measure, through @duckdb/node-api. Computes the
// overall metrics of one sequence (section 8 of winback-program.md: treated and control units,
// reactivations, rates, lift and its interval, z, revenue per unit, incremental revenue,
// incentive cost, unsubscribe and complaint rates, median days to reactivate, 90-day LTV) in SQL
// straight from the event file (JSON lines) and the outcomes file (CSV), in one run. Prints one
// JSON object with the figures and the wall time.
//
//   node measure_duckdb.mjs EVENTS.jsonl OUTCOMES.csv SEQUENCE WINDOW THREADS
import { DuckDBInstance } from '@duckdb/node-api';

const [events, outcomes, sequence, window, threads] = process.argv.slice(2);
const quote = (s) => `'${s.replaceAll("'", "''")}'`;
const W = Number(window);
const sql = `
WITH ev AS (
  SELECT run_id, as_of, customer_id, status = 'due' AS treated
  FROM read_json(${quote(events)}, format = 'newline_delimited', records = true,
                 columns = {run_id: 'VARCHAR', as_of: 'DATE', customer_id: 'VARCHAR',
                            sequence: 'VARCHAR', status: 'VARCHAR',
                            would_be: 'STRUCT(status VARCHAR)'})
  WHERE sequence = ${quote(sequence)}
    AND (status = 'due' OR (status = 'holdout' AND would_be.status = 'due'))
),
oc AS (
  SELECT * FROM read_csv(${quote(outcomes)}, header = true, auto_detect = false,
                         columns = {customer_id: 'VARCHAR', date: 'DATE', kind: 'VARCHAR',
                                    revenue: 'DOUBLE', incentive_cost: 'DOUBLE'})
),
unit AS (
  SELECT e.run_id, e.customer_id, e.as_of, e.treated,
    min(o.date) FILTER (WHERE o.kind = 'purchase' AND o.date > e.as_of AND o.date <= e.as_of + ${W}) AS d0,
    coalesce(sum(coalesce(o.revenue, 0)) FILTER (WHERE o.kind = 'purchase' AND o.date > e.as_of AND o.date <= e.as_of + ${W}), 0) AS revenue,
    coalesce(sum(coalesce(o.incentive_cost, 0)) FILTER (WHERE o.kind = 'purchase' AND o.date > e.as_of AND o.date <= e.as_of + ${W}), 0) AS cost,
    coalesce(bool_or(o.kind = 'unsubscribe' AND o.date > e.as_of AND o.date <= e.as_of + ${W}), false) AS unsub,
    coalesce(bool_or(o.kind = 'complaint' AND o.date > e.as_of AND o.date <= e.as_of + ${W}), false) AS complaint
  FROM ev e LEFT JOIN oc o ON o.customer_id = e.customer_id
  GROUP BY e.run_id, e.customer_id, e.as_of, e.treated
),
ltv AS (
  SELECT u.run_id, u.customer_id, sum(coalesce(o.revenue, 0)) AS ltv
  FROM unit u JOIN oc o ON o.customer_id = u.customer_id AND o.kind = 'purchase'
    AND o.date >= u.d0 AND o.date <= u.d0 + 89
  WHERE u.treated AND u.d0 IS NOT NULL
  GROUP BY u.run_id, u.customer_id
),
agg AS (
  SELECT
    count(*) FILTER (WHERE treated) AS nt, count(*) FILTER (WHERE NOT treated) AS nc,
    count(*) FILTER (WHERE treated AND d0 IS NOT NULL) AS xt,
    count(*) FILTER (WHERE NOT treated AND d0 IS NOT NULL) AS xc,
    sum(revenue) FILTER (WHERE treated) AS rev_t, sum(revenue) FILTER (WHERE NOT treated) AS rev_c,
    sum(cost) FILTER (WHERE treated) AS cost_t,
    count(*) FILTER (WHERE treated AND unsub) AS unsub_t, count(*) FILTER (WHERE NOT treated AND unsub) AS unsub_c,
    count(*) FILTER (WHERE treated AND complaint) AS compl_t, count(*) FILTER (WHERE NOT treated AND complaint) AS compl_c,
    median(d0 - as_of) FILTER (WHERE treated AND d0 IS NOT NULL) AS median_days
  FROM unit
)
SELECT agg.*, (SELECT avg(ltv) FROM ltv) AS ltv90,
  xt / nt AS rate_treated, xc / nc AS rate_control, xt / nt - xc / nc AS lift,
  1.959963984540054 * sqrt((xt / nt) * (1 - xt / nt) / nt + (xc / nc) * (1 - xc / nc) / nc) AS half,
  (xt / nt - xc / nc) / sqrt(((xt + xc) / (nt + nc)) * (1 - (xt + xc) / (nt + nc)) * (1 / nt + 1 / nc)) AS z,
  rev_t / nt AS revenue_per_treated, rev_c / nc AS revenue_per_control,
  (rev_t / nt - rev_c / nc) * nt AS incremental_revenue
FROM agg`;

const db = await DuckDBInstance.create(':memory:');
const c = await db.connect();
await c.run(`SET threads = ${Number(threads)}`);
const t0 = process.hrtime.bigint();
const reader = await c.runAndReadAll(sql);
const secs = Number(process.hrtime.bigint() - t0) / 1e9;
const row = reader.getRowObjectsJS()[0];
const out = {};
for (const [k, v] of Object.entries(row)) out[k] = typeof v === 'bigint' ? Number(v) : v;
console.log(JSON.stringify({ threads: Number(threads), seconds: secs, figures: out }));
