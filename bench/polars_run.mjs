// Rekindle bench: the Polars side of bench/compare, through nodejs-polars. The playbook is
// bench/playbook_polars.mjs. Polars takes its thread count from POLARS_MAX_THREADS when the
// process starts, so bench/compare runs one process per thread count. Prints one JSON object.
//
//   node polars_run.mjs mem SNAPSHOT.arrow AS_OF OUT.csv   load the Arrow file into a DataFrame,
//                                                          then time the playbook on it (best of 3,
//                                                          one run above 2M rows; building the
//                                                          plan is timed apart); the result is
//                                                          written to OUT.csv afterwards (untimed)
//   node polars_run.mjs e2e SNAPSHOT.(arrow|csv) AS_OF OUT.(arrow|csv)   read, query, write
import pl from 'nodejs-polars';
import { maxKeyBytes, playbook } from './playbook_polars.mjs';

const now = () => Number(process.hrtime.bigint()) / 1e9;
const threads = Number(process.env.POLARS_MAX_THREADS || 0) || null;

// The snapshot's columns as the playbook expects them: dates as Date, categories as a list of
// strings (the CSV joins them with '|'; an empty field is the empty list), enums as strings.
const DATES = ['last_purchase_date', 'last_engagement_date', 'last_touch_date'];
function load(path) {
  if (path.endsWith('.csv')) {
    const dtypes = {
      customer_id: pl.Utf8, categories: pl.Utf8, acquisition_channel: pl.Utf8,
      relationship_flag: pl.Utf8, orders_total: pl.Int64, email_opens_90d: pl.Int64,
      email_clicks_90d: pl.Int64, purchases_90d: pl.Int64, spam_complaints_90d: pl.Int64,
      last_touch: pl.Int64, avg_order_value: pl.Float64, gross_margin_pct: pl.Float64,
      email_bounce_rate: pl.Float64, is_subscriber: pl.Bool, email_consent: pl.Bool,
      sms_consent: pl.Bool, opted_out: pl.Bool, responded: pl.Bool,
    };
    for (const d of DATES) dtypes[d] = pl.Utf8;
    const df = pl.readCSV(path, { dtypes, quoteChar: '"' });
    return df.lazy().withColumns(
      ...DATES.map((d) => pl.col(d).str.strptime(pl.Date, '%Y-%m-%d').alias(d)),
      pl.col('categories').str.split('|').alias('categories'),
    ).collectSync();
  }
  return pl.scanIPC(path).collectSync();
}

function write(df, path) {
  if (path.endsWith('.csv')) df.writeCSV(path);
  else df.writeIPC(path);
}

function mem(src, asOf, outCsv) {
  let t = now();
  const df = load(src);
  const loadS = now() - t;
  const rows = df.height;
  t = now();
  const keyBytes = maxKeyBytes(df);
  const keyS = now() - t;
  // Building the plan (JavaScript calls into the native library, ~80 expressions) is not
  // counted: it does not depend on the rows.
  t = now();
  const plan = playbook(df.lazy(), asOf, keyBytes);
  const planS = now() - t;
  let best = Infinity;
  let result = null;
  for (let rep = 0; rep < (rows > 2e6 ? 1 : 3); ++rep) {
    t = now();
    result = plan.collectSync();
    best = Math.min(best, now() - t);
  }
  write(result, outCsv);
  return { threads, rows, load_s: loadS, key_bytes_s: keyS, plan_s: planS, query_s: best,
    rows_per_s: rows / best };
}

function e2e(src, asOf, out) {
  const t0 = now();
  const df = load(src);
  const t1 = now();
  const plan = playbook(df.lazy(), asOf, maxKeyBytes(df));
  const tp = now();
  const result = plan.collectSync();
  const t2 = now();
  write(result, out);
  const t3 = now();
  return { threads, rows: df.height, read_s: t1 - t0, plan_s: tp - t1, query_s: t2 - tp,
    write_s: t3 - t2, seconds: t3 - t0 };
}

const [mode, ...args] = process.argv.slice(2);
let result;
if (mode === 'mem') result = mem(args[0], args[1], args[2]);
else if (mode === 'e2e') result = e2e(args[0], args[1], args[2]);
else {
  console.error('usage: polars_run.mjs mem|e2e ...');
  process.exit(2);
}
console.log(JSON.stringify(result));
