-- Rekindle bench: the win-back playbook (shared/spec/winback-playbook.md, rules/winback.rules)
-- written as DuckDB SQL, for the side-by-side in bench/compare. It expects a relation
-- `customers` with the snapshot's columns (categories as VARCHAR[]) and the variable `as_of`
-- (SET VARIABLE as_of = DATE '2026-11-01'), and defines the view `playbook` producing exactly
-- the output contract's columns in snapshot order; NULL is the empty field.
--
-- fnv1a64: 64-bit FNV-1a over the UTF-8 bytes, in HUGEINT so (h xor b) * prime cannot overflow
-- (< 2^105), reduced mod 2^64 after each byte. Checked against tests/oracle/winback_oracle.py.
CREATE OR REPLACE MACRO fnv1a64(s) AS list_reduce(
  list_transform(range(octet_length(encode(s))),
                 i -> ('0x' || substr(hex(encode(s)), 2 * i + 1, 2))::INTEGER),
  (h, b) -> (xor(h, b::HUGEINT) * 1099511628211) % 18446744073709551616,
  14695981039346656037::HUGEINT);

CREATE OR REPLACE VIEW playbook AS
WITH base AS (
  SELECT
    customer_id, email_consent, sms_consent, relationship_flag, last_touch, responded,
    getvariable('as_of') - last_purchase_date AS days_dormant,
    getvariable('as_of') - last_touch_date AS days_since_touch,
    CASE
      WHEN last_purchase_date IS NULL THEN 'never_purchased'
      WHEN getvariable('as_of') - last_purchase_date < 60 THEN 'active'
      WHEN getvariable('as_of') - last_purchase_date <= 89 THEN 'early_warning'
      WHEN getvariable('as_of') - last_purchase_date <= 119 THEN 'active_risk'
      WHEN getvariable('as_of') - last_purchase_date <= 179 THEN 'critical'
      ELSE 'deep'
    END AS dormancy,
    CASE WHEN avg_order_value >= 250 THEN 'whale' WHEN avg_order_value >= 75 THEN 'mid'
         ELSE 'low' END AS value_tier,
    CASE WHEN gross_margin_pct IS NULL THEN 'unknown_margin'
         WHEN gross_margin_pct >= 0.4 THEN 'high_margin' ELSE 'low_margin' END AS margin,
    CASE WHEN is_subscriber THEN 'subscriber' WHEN orders_total >= 2 THEN 'repeat'
         ELSE 'single' END AS history,
    CASE WHEN email_opens_90d = 0 AND email_clicks_90d = 0 THEN 'dark'
         WHEN email_opens_90d > 0 AND email_clicks_90d = 0 THEN 'opens_no_clicks'
         WHEN email_clicks_90d > 0 AND purchases_90d = 0 THEN 'clicks_no_purchase'
         ELSE 'engaged' END AS engagement,
    CASE WHEN list_has_any(categories, ['apparel', 'footwear', 'accessories']) THEN 'fashion'
         WHEN list_has_any(categories, ['home', 'kitchen', 'garden']) THEN 'home'
         WHEN list_contains(categories, 'electronics') THEN 'tech'
         ELSE 'other' END AS affinity,
    CASE acquisition_channel WHEN 'paid_social' THEN 'paid'
         WHEN 'organic_search' THEN 'organic' WHEN 'direct' THEN 'organic'
         WHEN 'email' THEN 'owned' WHEN 'referral' THEN 'owned' END AS acquisition,
    -- stops fail closed: a rule fires unless its condition is false
    CASE
      WHEN opted_out THEN 'opted_out'
      WHEN NOT (email_consent IS TRUE OR sms_consent IS TRUE) THEN 'no_permission'
      WHEN (spam_complaints_90d > 0 OR relationship_flag IS NOT DISTINCT FROM 'legal_hold')
           IS NOT FALSE THEN 'complaint'
      WHEN (email_bounce_rate > 0.05 AND sms_consent IS NOT TRUE) IS NOT FALSE
           THEN 'deliverability'
      WHEN (orders_total = 1 AND avg_order_value < 20
            AND getvariable('as_of') - last_purchase_date >= 365) IS NOT FALSE THEN 'poor_fit'
    END AS stop_rule
  FROM customers
), seq AS (
  SELECT *,
    dormancy IN ('early_warning', 'active_risk', 'critical', 'deep') AS candidate,
    -- the next touch: the first i > last_touch whose `only when` holds (5: deep only)
    CASE WHEN last_touch < 1 THEN 1 WHEN last_touch < 2 THEN 2 WHEN last_touch < 3 THEN 3
         WHEN last_touch < 4 THEN 4 WHEN last_touch < 5 AND dormancy = 'deep' THEN 5
         WHEN last_touch < 6 THEN 6 WHEN last_touch < 7 THEN 7 END AS next_touch
  FROM base
), chan AS (
  SELECT *,
    CASE
      WHEN next_touch = 5 AND sms_consent IS TRUE THEN 'sms'  -- touch 5 via sms, permitted
      WHEN email_consent IS TRUE THEN 'email'                 -- an email touch, permitted
      WHEN sms_consent IS TRUE THEN 'sms'                     -- fallback email to sms
    END AS channel,
    CASE
      WHEN NOT candidate THEN 'not_candidate'
      WHEN stop_rule IS NOT NULL THEN 'stopped'
      WHEN fnv1a64('winback:' || customer_id) % 100 < 5 THEN 'holdout'
      WHEN last_touch > 0 AND responded THEN 'responded'
      WHEN next_touch IS NULL THEN 'exhausted'
      WHEN (last_touch <= 0 OR days_since_touch >= 7) IS NOT TRUE THEN 'waiting'
      WHEN NOT (email_consent IS TRUE OR sms_consent IS TRUE) THEN 'no_channel'  -- channel IS NULL
      ELSE 'due'
    END AS status
  FROM seq
)
SELECT
  customer_id,
  CASE WHEN candidate THEN 'true' ELSE 'false' END AS candidate,
  dormancy, value_tier, margin, history, engagement, affinity, acquisition,
  CASE WHEN candidate THEN stop_rule END AS stopped_by,
  CASE WHEN status = 'due' THEN NULLIF(concat_ws(';',
    CASE WHEN relationship_flag IN ('complaint', 'chargeback', 'bereavement')
         THEN 'sensitive_history' END,
    CASE WHEN value_tier = 'whale' THEN 'high_value' END,
    CASE WHEN next_touch = 6 THEN 'discount' END), '') END AS review,
  status AS winback_status,
  CASE WHEN status = 'due' THEN next_touch::VARCHAR END AS winback_touch,
  CASE WHEN status = 'due' THEN ['pattern_interrupt', 'recommendation', 'soft_incentive',
    'social_proof', 'scarcity', 'winback_offer', 'final_nudge'][next_touch] END AS winback_step,
  CASE WHEN status = 'due' THEN channel END AS winback_channel,
  CASE WHEN status = 'due' THEN
    CASE next_touch WHEN 3 THEN 'credit 10' WHEN 5 THEN 'early_access'
      WHEN 6 THEN CASE WHEN value_tier = 'whale' THEN 'discount 15%' ELSE 'discount 20%' END
      ELSE 'none' END END AS winback_offer
FROM chan;
