// Rekindle bench: the win-back playbook (shared/spec/winback-playbook.md, rules/winback.rules)
// written as Polars expressions (nodejs-polars), for the side-by-side in bench/compare. It is the
// same query as bench/playbook.sql, column for column: `playbook(lf, asOf, maxKeyBytes)` takes a
// LazyFrame with the snapshot's columns (dates as Date, categories as a list of strings, the enums
// as strings or categoricals) and returns a LazyFrame with exactly the output contract's columns
// in order; null is the empty field.
//
// The holdout is 64-bit FNV-1a over the UTF-8 bytes of "winback:" + customer_id, in Polars
// expressions: the salt's 8 bytes are folded into the starting value (a constant), then one step
// per byte position of the key up to the longest key (`maxKeyBytes`, measured on the data first):
// the byte is the key's hex encoding (`str.encode("hex")`, two characters per UTF-8 byte) sliced
// at that position and mapped to its value by a 256-entry `replaceStrict`; xor is `(h | b) - (h &
// b)` (Polars has no xor operator); the multiply by the FNV prime wraps in UInt64 as FNV-1a
// requires (checked: 14695981039346656037 * 1099511628211 mod 2^64). Keys shorter than the position
// keep their hash (`when(bytes > i)`). Checked against Rekindle's results byte for byte.
import pl from 'nodejs-polars';

const FNV_OFFSET = 14695981039346656037n;
const FNV_PRIME = 1099511628211n;
const MASK64 = (1n << 64n) - 1n;

// FNV-1a of a byte string in BigInt (for the constant part: the salt and the ':').
export function fnv1a64Bytes(bytes, h = FNV_OFFSET) {
  for (const b of bytes) h = ((h ^ BigInt(b)) * FNV_PRIME) & MASK64;
  return h;
}

const u64 = (v) => pl.lit(v).cast(pl.UInt64);
// The 256 two-digit hex codes and their byte values, as literals built once.
const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));
const HEX_VALUES = Array.from({ length: 256 }, (_, i) => i);

// Adds a UInt64 column `out` = FNV-1a over salt + ':' + key, mod `modulus`. The running hash is
// a column updated once per byte position (an expression that used the previous step's
// expression three times would grow as 3^positions).
export function withHoldoutBucket(lf, key, salt, maxKeyBytes, modulus, out) {
  const h = pl.col('_fnv_h');
  const b = pl.col('_fnv_b');
  lf = lf.withColumns(
    pl.col(key).str.encode('hex').alias('_fnv_hex'),
    u64(fnv1a64Bytes(new TextEncoder().encode(`${salt}:`))).alias('_fnv_h'));
  lf = lf.withColumns(pl.col('_fnv_hex').str.lengths().cast(pl.Int64).divideBy(2).cast(pl.Int64)
    .alias('_fnv_n'));
  for (let i = 0; i < maxKeyBytes; ++i) {
    // byte i of the key (0 past its end, where the hash is kept as it is)
    lf = lf.withColumns(pl.col('_fnv_hex').str.slice(2 * i, 2)
      .replaceStrict(HEX, HEX_VALUES, u64(0n), pl.UInt64).alias('_fnv_b'));
    lf = lf.withColumns(pl.when(pl.col('_fnv_n').gt(i)).then(h.or(b).sub(h.and(b)).mul(u64(FNV_PRIME)))
      .otherwise(h).alias('_fnv_h'));
  }
  return lf.withColumns(h.modulo(u64(BigInt(modulus))).alias(out));
}

// Days since 1970-01-01 of an ISO date.
export function epochDays(iso) {
  const [y, m, d] = iso.split('-').map(Number);
  return Date.UTC(y, m - 1, d) / 86400000;
}

export function playbook(lf, asOf, maxKeyBytes) {
  const c = pl.col;
  const lit = pl.lit;
  const asOfDays = epochDays(asOf);
  const isTrue = (name) => c(name).fillNull(false);
  const str = (name) => c(name).cast(pl.Utf8);
  const daysSince = (name) => lit(asOfDays).sub(c(name).cast(pl.Int32).cast(pl.Int64));
  const hasAny = (items) =>
    items.map((x) => c('categories').lst.contains(x).fillNull(false)).reduce((a, b) => a.or(b));

  const base = withHoldoutBucket(lf, 'customer_id', 'winback', maxKeyBytes, 100, '_bucket').select(
    c('customer_id'), c('email_consent'), c('sms_consent'), c('last_touch'), c('responded'),
    str('relationship_flag').alias('relationship_flag'),
    daysSince('last_purchase_date').alias('days_dormant'),
    daysSince('last_touch_date').alias('days_since_touch'),
    pl.when(c('last_purchase_date').isNull()).then(lit('never_purchased'))
      .when(daysSince('last_purchase_date').lt(60)).then(lit('active'))
      .when(daysSince('last_purchase_date').ltEq(89)).then(lit('early_warning'))
      .when(daysSince('last_purchase_date').ltEq(119)).then(lit('active_risk'))
      .when(daysSince('last_purchase_date').ltEq(179)).then(lit('critical'))
      .otherwise(lit('deep')).alias('dormancy'),
    pl.when(c('avg_order_value').gtEq(250)).then(lit('whale'))
      .when(c('avg_order_value').gtEq(75)).then(lit('mid'))
      .otherwise(lit('low')).alias('value_tier'),
    pl.when(c('gross_margin_pct').isNull()).then(lit('unknown_margin'))
      .when(c('gross_margin_pct').gtEq(0.4)).then(lit('high_margin'))
      .otherwise(lit('low_margin')).alias('margin'),
    pl.when(c('is_subscriber')).then(lit('subscriber'))
      .when(c('orders_total').gtEq(2)).then(lit('repeat'))
      .otherwise(lit('single')).alias('history'),
    pl.when(c('email_opens_90d').eq(0).and(c('email_clicks_90d').eq(0))).then(lit('dark'))
      .when(c('email_opens_90d').gt(0).and(c('email_clicks_90d').eq(0))).then(lit('opens_no_clicks'))
      .when(c('email_clicks_90d').gt(0).and(c('purchases_90d').eq(0))).then(lit('clicks_no_purchase'))
      .otherwise(lit('engaged')).alias('engagement'),
    pl.when(hasAny(['apparel', 'footwear', 'accessories'])).then(lit('fashion'))
      .when(hasAny(['home', 'kitchen', 'garden'])).then(lit('home'))
      .when(hasAny(['electronics'])).then(lit('tech'))
      .otherwise(lit('other')).alias('affinity'),
    pl.when(str('acquisition_channel').eq(lit('paid_social'))).then(lit('paid'))
      .when(str('acquisition_channel').isIn(['organic_search', 'direct'])).then(lit('organic'))
      .when(str('acquisition_channel').isIn(['email', 'referral'])).then(lit('owned'))
      .otherwise(lit(null, pl.Utf8)).alias('acquisition'),
    // Stops fail closed: a rule fires unless its condition is false (fillNull(true) on the
    // three-valued parts; the two-valued parts are never null).
    pl.when(c('opted_out')).then(lit('opted_out'))
      .when(isTrue('email_consent').or(isTrue('sms_consent')).not()).then(lit('no_permission'))
      .when(c('spam_complaints_90d').gt(0).or(str('relationship_flag').eq(lit('legal_hold')).fillNull(false)))
      .then(lit('complaint'))
      .when(c('email_bounce_rate').gt(0.05).fillNull(true).and(isTrue('sms_consent').not()))
      .then(lit('deliverability'))
      .when(c('orders_total').eq(1).and(c('avg_order_value').lt(20))
        .and(daysSince('last_purchase_date').gtEq(365).fillNull(true)))
      .then(lit('poor_fit'))
      .otherwise(lit(null, pl.Utf8)).alias('stop_rule'),
    c('_bucket').lt(u64(5n)).alias('held_out'),
  );
  const seq = base.withColumns(
    c('dormancy').isIn(['early_warning', 'active_risk', 'critical', 'deep']).alias('candidate'),
    // The next touch: the first i > last_touch whose `only when` holds (5: deep only).
    pl.when(c('last_touch').lt(1)).then(lit(1))
      .when(c('last_touch').lt(2)).then(lit(2))
      .when(c('last_touch').lt(3)).then(lit(3))
      .when(c('last_touch').lt(4)).then(lit(4))
      .when(c('last_touch').lt(5).and(c('dormancy').eq(lit('deep')))).then(lit(5))
      .when(c('last_touch').lt(6)).then(lit(6))
      .when(c('last_touch').lt(7)).then(lit(7))
      .otherwise(lit(null, pl.Int32)).cast(pl.Int32).alias('next_touch'),
  );
  const chan = seq.withColumns(
    pl.when(c('next_touch').eq(5).fillNull(false).and(isTrue('sms_consent'))).then(lit('sms'))
      .when(isTrue('email_consent')).then(lit('email'))
      .when(isTrue('sms_consent')).then(lit('sms'))
      .otherwise(lit(null, pl.Utf8)).alias('channel'),
    pl.when(c('candidate').not()).then(lit('not_candidate'))
      .when(c('stop_rule').isNotNull()).then(lit('stopped'))
      .when(c('held_out')).then(lit('holdout'))
      .when(c('last_touch').gt(0).and(c('responded'))).then(lit('responded'))
      .when(c('next_touch').isNull()).then(lit('exhausted'))
      .when(c('last_touch').ltEq(0).or(c('days_since_touch').gtEq(7)).fillNull(false).not())
      .then(lit('waiting'))
      .when(isTrue('email_consent').or(isTrue('sms_consent')).not()).then(lit('no_channel'))
      .otherwise(lit('due')).alias('status'),
  );
  const due = c('status').eq(lit('due'));
  const whenDue = (e) => pl.when(due).then(e).otherwise(lit(null, pl.Utf8));
  // review: the rules that fire, joined with ';' (null when none)
  const part = (cond, name) => pl.when(cond).then(lit(name)).otherwise(lit(null, pl.Utf8));
  const sensitive = c('relationship_flag').isIn(['complaint', 'chargeback', 'bereavement']).fillNull(false);
  const joined = pl.concatString([
    part(sensitive, 'sensitive_history'),
    part(c('value_tier').eq(lit('whale')), 'high_value'),
    part(c('next_touch').eq(6).fillNull(false), 'discount'),
  ], ';', true);
  const steps = ['pattern_interrupt', 'recommendation', 'soft_incentive', 'social_proof', 'scarcity',
    'winback_offer', 'final_nudge'];
  let step = pl.when(c('next_touch').eq(1)).then(lit(steps[0]));
  for (let i = 1; i < steps.length; ++i) step = step.when(c('next_touch').eq(i + 1)).then(lit(steps[i]));
  return chan.select(
    c('customer_id'),
    pl.when(c('candidate')).then(lit('true')).otherwise(lit('false')).alias('candidate'),
    c('dormancy'), c('value_tier'), c('margin'), c('history'), c('engagement'), c('affinity'),
    c('acquisition'),
    pl.when(c('candidate')).then(c('stop_rule')).otherwise(lit(null, pl.Utf8)).alias('stopped_by'),
    pl.when(due.and(joined.str.lengths().gt(0))).then(joined)
      .otherwise(lit(null, pl.Utf8)).alias('review'),
    c('status').alias('winback_status'),
    whenDue(c('next_touch').cast(pl.Utf8)).alias('winback_touch'),
    whenDue(step.otherwise(lit(null, pl.Utf8))).alias('winback_step'),
    whenDue(c('channel')).alias('winback_channel'),
    whenDue(pl.when(c('next_touch').eq(3)).then(lit('credit 10'))
      .when(c('next_touch').eq(5)).then(lit('early_access'))
      .when(c('next_touch').eq(6).and(c('value_tier').eq(lit('whale')))).then(lit('discount 15%'))
      .when(c('next_touch').eq(6)).then(lit('discount 20%'))
      .otherwise(lit('none'))).alias('winback_offer'),
  );
}

// The longest key in UTF-8 bytes (the number of FNV steps the holdout expression needs).
export function maxKeyBytes(df, key = 'customer_id') {
  const out = df.select(pl.col(key).str.encode('hex').str.lengths().max().alias('n'));
  const n = out.getColumn('n').toArray()[0];
  return Math.ceil(Number(n ?? 0) / 2);
}
