#!/usr/bin/env bash
# Rekindle end-to-end test: spec winback-program.md sections 5-7 and 9 (templates, the result
# file, the hand-off files), sentence by sentence, on a hand-made snapshot of rules/program.rules
# whose every expected draft, review-queue row and event was written here by hand from the spec
# (no oracle of ours is called): offers in words, fallbacks for empty values, values copied as
# is, leading spaces kept, send_at across zones and days, the review queue's code-point order and
# minimal quoting, would_be with caps and paused variants, a holdout reviewed for its welcome-back
# touch, stops in every entered sequence, exhausted sequences, caps reading welcome_back's final
# status; then --experiments, a Sunday and summer time, the result's columns, data errors, and a
# small rule file whose templates show money, lists, percents, lets, scores and every offer;
# last, generated snapshots whose hand-off files must follow from the result by the spec (would_be
# from a second run without the holdout). About 16 s.
# The audit that lists which sentence each check pins: docs/spec_audit.md.
set -euo pipefail
REKINDLE=$1
SRC=$(cd "$(dirname "$0")/../.." && pwd)
RULES="$SRC/rules/program.rules"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

# --- the hand-made snapshot (as of 2026-11-02, a Monday) -----------------------------------------
cat > "$TMP/gen_snap.py" <<'PY'
import csv, sys
COLS = ("customer_id last_purchase_date last_engagement_date orders_total avg_order_value "
        "gross_margin_pct is_subscriber email_opens_90d email_clicks_90d purchases_90d categories "
        "acquisition_channel email_consent sms_consent opted_out relationship_flag "
        "spam_complaints_90d email_bounce_rate last_touch last_touch_date responded first_name "
        "email phone timezone csm_owner last_contact_date contacts_30d welcome_touch "
        "welcome_touch_date").split()
D = dict(last_purchase_date="2026-03-01", last_engagement_date="", orders_total="3",
         avg_order_value="84.50", gross_margin_pct="0.35", is_subscriber="false",
         email_opens_90d="2", email_clicks_90d="0", purchases_90d="0", categories="apparel",
         acquisition_channel="email", email_consent="true", sms_consent="false",
         opted_out="false", relationship_flag="", spam_complaints_90d="0",
         email_bounce_rate="0.01", last_touch="0", last_touch_date="", responded="false",
         first_name="Ann", email="x@example.com", phone="", timezone="America/New_York",
         csm_owner="", last_contact_date="", contacts_30d="0", welcome_touch="0",
         welcome_touch_date="")
BOTH = dict(last_touch="3", last_touch_date="2026-06-01", last_purchase_date="2026-06-15")
ROWS = [
  ("A1", dict(email_opens_90d="0", last_touch="2", last_touch_date="2026-10-01", first_name="",
              email="a1@example.com", timezone="Pacific/Auckland")),
  ("B2", dict(avg_order_value="300.00", last_touch="5", last_touch_date="2026-10-20",
              timezone="Europe/Berlin", csm_owner="Zed", first_name="Bea", email="b2@example.com",
              sms_consent="true", phone="+1 555-0199")),
  ("C3", dict(last_touch="4", last_touch_date="2026-10-01", sms_consent="true",
              phone="+1 555-0100", relationship_flag="complaint", csm_owner="alice",
              first_name="Bo")),
  ("D4", dict(avg_order_value="250.00", first_name="{affinity}", last_purchase_date="2026-04-15",
              csm_owner="Zed", timezone="Asia/Tokyo")),
  ("E5", dict(BOTH, first_name=" Cy ", categories="kitchen|electronics")),
  ("C0022", dict(avg_order_value="400.00")),
  ("C0036", dict(contacts_30d="4")),
  ("C0044", dict(BOTH, avg_order_value="260.00", first_name="Dee")),
  ("I9", dict(opted_out="true")),
  ("J10", dict(BOTH, spam_complaints_90d="1")),
  ("Z20", dict(last_purchase_date="2026-10-01")),
  ("L12", dict(email="")),
  ("M13", dict(email_consent="false", sms_consent="true", phone="555", last_touch="1",
               last_touch_date="2026-10-01")),
  ("N14", dict(last_contact_date="2026-11-01")),
  ("N15", dict(last_contact_date="2026-10-31")),
  ("N16", dict(last_contact_date="2026-11-05")),
  ("O17", dict(BOTH, welcome_touch="1", welcome_touch_date="2026-10-31")),
  ("K11", dict(last_touch="5", last_touch_date="2026-10-20")),
  ("Q18", dict(BOTH, welcome_touch="3", welcome_touch_date="2026-01-01", last_touch="8")),
  ("R19", dict(avg_order_value="999.99", csm_owner='Ops, "East"')),
  ("C0053", dict(last_touch="5", last_touch_date="2026-10-20")),
  ("C0102", dict(last_touch="2", last_touch_date="2026-10-01", responded="true")),
  ("C0115", dict(last_touch="7", last_touch_date="2026-10-01")),
  ("C0126", dict(email="")),
  ("U21", dict(last_touch="3", last_touch_date="2026-10-01", last_purchase_date="2026-10-15",
               opted_out="true")),
  ("U22", dict(email_bounce_rate="0.06", sms_consent="true", phone="")),
  ("U23", dict(email_bounce_rate="0.05")),
  ("U24", dict(last_purchase_date="2026-08-20", is_subscriber="true")),
  ("V25", dict(BOTH, welcome_touch="1", welcome_touch_date="2026-10-28", first_name="Vi")),
  ("V26", dict(last_touch="6", last_touch_date="2026-10-01", first_name="")),
  ("V27", dict(last_touch="1", last_touch_date="2026-10-01", categories="garden|electronics")),
  ("V28", dict(last_touch="4", last_touch_date="2026-10-01", first_name="")),
]
w = csv.writer(sys.stdout, lineterminator="\n")
w.writerow(COLS)
for cid, o in ROWS:
    r = dict(D, **o); r["customer_id"] = cid
    w.writerow([r[c] for c in COLS])
PY

# --- what the spec says each file holds, by hand ---------------------------------------------------
cat > "$TMP/expect.py" <<'PY'
# Expected hand-off values for the hand-made snapshot (as of 2026-11-02, a Monday), by hand.
N = None
def draft(cid, seq, touch, step, variant, channel, to, send_at, offer, subject, body, review, owner):
    return {"customer_id": cid, "sequence": seq, "touch": touch, "step": step, "variant": variant,
            "channel": channel, "to": to, "send_at": send_at, "offer": offer, "subject": subject,
            "body": body, "review": review, "owner": owner, "key": f"{seq}/{step}/{cid}"}
NY_EMAIL, NY_SMS = "2026-11-02T14:00:00Z", "2026-11-02T16:00:00Z"
DRAFTS = [
  draft("A1", "winback", 3, "soft_incentive", N, "email", "a1@example.com", "2026-11-01T20:00:00Z",
        "credit 20", "A thank-you: a $20 credit",
        "There is a $20 credit waiting in your account, friend.", [], N),
  draft("B2", "winback", 6, "winback_offer", "credit", "email", "b2@example.com",
        "2026-11-02T08:00:00Z", "credit 25", "a $25 credit to come back",
        "We added a $25 credit to your account, Bea.", ["high_value"], "Zed"),
  draft("C3", "winback", 5, "scarcity", N, "sms", "+1 555-0100", NY_SMS, "early_access", N,
        "Bo, you have early access to our next drop. Reply STOP to opt out.",
        ["sensitive_history"], "alice"),
  draft("D4", "winback", 1, "pattern_interrupt", "curiosity", "email", "x@example.com",
        "2026-11-02T00:00:00Z", "none", "Did we lose you, {affinity}?",
        "Something changed since 2026-04-15.", ["high_value"], "Zed"),
  draft("E5", "welcome_back", 1, "welcome", N, "email", "x@example.com", NY_EMAIL, "none",
        "Welcome back,  Cy !", "Good to see you again,  Cy . Here is what is new in home.", [], N),
  draft("C0044", "welcome_back", 1, "welcome", N, "email", "x@example.com", NY_EMAIL, "none",
        "Welcome back, Dee!", "Good to see you again, Dee. Here is what is new in fashion.",
        ["high_value"], "marketing-ops"),
  draft("M13", "winback", 2, "recommendation", N, "sms", "555", NY_SMS, "none", N,
        "Hi Ann, based on what you bought we think you will like these.", [], N),
  draft("N15", "winback", 1, "pattern_interrupt", "curiosity", "email", "x@example.com", NY_EMAIL,
        "none", "Did we lose you, Ann?", "Something changed since 2026-03-01.", [], N),
  draft("O17", "winback", 4, "social_proof", N, "email", "x@example.com", NY_EMAIL, "none",
        "What customers like you are saying",
        "Reviews from customers who love fashion as much as you do.", [], N),
  draft("K11", "winback", 6, "winback_offer", "discount", "email", "x@example.com", NY_EMAIL,
        "discount 20%", "20% off for the next 72 hours",
        "Come back with 20% off on your next order, Ann. Ends in 72 hours.", ["discount"],
        "marketing-ops"),
  draft("R19", "winback", 1, "pattern_interrupt", "personal", "email", "x@example.com", NY_EMAIL,
        "none", "Ann, we saved something for you", "We picked a few fashion favourites for you.",
        ["high_value"], 'Ops, "East"'),
  draft("U23", "winback", 1, "pattern_interrupt", "personal", "email", "x@example.com", NY_EMAIL,
        "none", "Ann, we saved something for you", "We picked a few fashion favourites for you.",
        [], N),
  draft("U24", "winback", 1, "pattern_interrupt", "personal", "email", "x@example.com", NY_EMAIL,
        "none", "Ann, we saved something for you", "We picked a few fashion favourites for you.",
        [], N),
  draft("V25", "welcome_back", 2, "refresher", N, "email", "x@example.com", NY_EMAIL, "none",
        "Three things to try this week",
        "Hi Vi, a quick refresher on getting the most from your account.", [], N),
  draft("V26", "winback", 7, "final_nudge", N, "email", "x@example.com", NY_EMAIL, "none",
        "Should we close your account?",
        "Hi there, we will stop writing unless you tell us otherwise.", [], N),
  draft("V27", "winback", 2, "recommendation", N, "email", "x@example.com", NY_EMAIL, "none",
        "New in home", "Hi Ann, based on what you bought we think you will like these.", [], N),
  draft("V28", "winback", 5, "scarcity", N, "email", "x@example.com", NY_EMAIL, "early_access",
        "Early access, just for you",
        "Hi, you have early access to our next drop. Reply STOP to opt out.", [], N),
]
HDR = "owner,customer_id,sequence,touch,step,channel,offer,rules,reasons,subject"
QUEUE = HDR + "\n" + "\n".join([
  '"Ops, ""East""",R19,winback,1,pattern_interrupt,email,none,high_value,High-value customer,'
  '"Ann, we saved something for you"',
  "Zed,B2,winback,6,winback_offer,email,credit 25,high_value,High-value customer,"
  "a $25 credit to come back",
  'Zed,D4,winback,1,pattern_interrupt,email,none,high_value,High-value customer,'
  '"Did we lose you, {affinity}?"',
  "alice,C3,winback,5,scarcity,sms,early_access,sensitive_history,"
  "Delicate history with this customer,",
  'marketing-ops,C0044,welcome_back,1,welcome,email,none,high_value,High-value customer,'
  '"Welcome back, Dee!"',
  "marketing-ops,K11,winback,6,winback_offer,email,discount 20%,discount,"
  "Discount offers need approval,20% off for the next 72 hours",
]) + "\n"
# Events: (customer, sequence) -> (status, touch, step, variant, channel, offer, stopped_by,
# review, holdout_share, would_be); cohort checked separately.
def due(t, s, v, c, o):
    return dict(status="due", touch=t, step=s, variant=v, channel=c, offer=o)
def st(s):
    return dict(status=s, touch=N, step=N, variant=N, channel=N, offer=N)
EV = [
  ("A1", "winback", due(3, "soft_incentive", N, "email", "credit 20"), N, [], N),
  ("B2", "winback", due(6, "winback_offer", "credit", "email", "credit 25"), N, ["high_value"], N),
  ("C3", "winback", due(5, "scarcity", N, "sms", "early_access"), N, ["sensitive_history"], N),
  ("D4", "winback", due(1, "pattern_interrupt", "curiosity", "email", "none"), N, ["high_value"], N),
  ("E5", "welcome_back", due(1, "welcome", N, "email", "none"), N, [], N),
  ("E5", "winback", st("capped"), N, [], N),
  ("C0022", "winback", st("holdout"), N, [],
   due(1, "pattern_interrupt", "personal", "email", "none")),
  ("C0036", "winback", st("holdout"), N, [], st("capped")),
  ("C0044", "welcome_back", due(1, "welcome", N, "email", "none"), N, ["high_value"], N),
  ("C0044", "winback", st("holdout"), N, ["high_value"], st("capped")),
  ("I9", "winback", st("stopped"), "opted_out", [], N),
  ("J10", "welcome_back", st("stopped"), "complaint", [], N),
  ("J10", "winback", st("stopped"), "complaint", [], N),
  ("L12", "winback", st("no_channel"), N, [], N),
  ("M13", "winback", due(2, "recommendation", N, "sms", "none"), N, [], N),
  ("N14", "winback", st("capped"), N, [], N),
  ("N15", "winback", due(1, "pattern_interrupt", "curiosity", "email", "none"), N, [], N),
  ("N16", "winback", st("capped"), N, [], N),
  ("O17", "welcome_back", st("waiting"), N, [], N),
  ("O17", "winback", due(4, "social_proof", N, "email", "none"), N, [], N),
  ("K11", "winback", due(6, "winback_offer", "discount", "email", "discount 20%"), N,
   ["discount"], N),
  ("Q18", "welcome_back", st("exhausted"), N, [], N),
  ("Q18", "winback", st("exhausted"), N, [], N),
  ("R19", "winback", due(1, "pattern_interrupt", "personal", "email", "none"), N,
   ["high_value"], N),
  # holding out creates no review, even for a would-be discount
  ("C0053", "winback", st("holdout"), N, [],
   due(6, "winback_offer", "discount", "email", "discount 20%")),
  ("C0102", "winback", st("holdout"), N, [], st("responded")),
  ("C0115", "winback", st("holdout"), N, [], st("exhausted")),
  ("C0126", "winback", st("holdout"), N, [], st("no_channel")),
  ("U21", "welcome_back", st("stopped"), "opted_out", [], N),  # not a candidate: no winback event
  ("U22", "winback", st("stopped"), "deliverability", [], N),
  ("U23", "winback", due(1, "pattern_interrupt", "personal", "email", "none"), N, [], N),
  ("U24", "winback", due(1, "pattern_interrupt", "personal", "email", "none"), N, [], N),
  ("V25", "welcome_back", due(2, "refresher", N, "email", "none"), N, [], N),
  ("V25", "winback", st("capped"), N, [], N),
  ("V26", "winback", due(7, "final_nudge", N, "email", "none"), N, [], N),
  ("V27", "winback", due(2, "recommendation", N, "email", "none"), N, [], N),
  ("V28", "winback", due(5, "scarcity", N, "email", "early_access"), N, [], N),
]
EVENTS = []
for cid, seq, s, stop, rev, wb in EV:
    e = {"run_id": "r1", "as_of": "2026-11-02", "customer_id": cid, "sequence": seq}
    e.update(s)
    e.update(stopped_by=stop, review=rev, holdout_share=5 if seq == "winback" else 0, would_be=wb)
    EVENTS.append(e)
# Cohorts by hand for three customers (families in rule-file order, then churn_risk).
COHORT = {
  "A1": dict(dormancy="deep", value_tier="mid", margin="low_margin", history="repeat",
             engagement="dark", affinity="fashion", acquisition="owned", risk_band="high",
             churn_risk=50),
  "E5": dict(dormancy="critical", value_tier="mid", margin="low_margin", history="repeat",
             engagement="opens_no_clicks", affinity="home", acquisition="owned",
             risk_band="low", churn_risk=10),
  "C0022": dict(dormancy="deep", value_tier="whale", margin="low_margin", history="repeat",
                engagement="opens_no_clicks", affinity="fashion", acquisition="owned",
                risk_band="low", churn_risk=20),
  "U23": dict(dormancy="deep", value_tier="mid", margin="low_margin", history="repeat",
              engagement="opens_no_clicks", affinity="fashion", acquisition="owned",
              risk_band="medium", churn_risk=30),
  "U24": dict(dormancy="early_warning", value_tier="mid", margin="low_margin",
              history="subscriber", engagement="opens_no_clicks", affinity="fashion",
              acquisition="owned", risk_band="low", churn_risk=-10),
}
PY

cat > "$TMP/check.py" <<'PY'
import json, sys
sys.path.insert(0, sys.argv[1])
from expect import DRAFTS, QUEUE, EVENTS, COHORT
d, q, e = sys.argv[2:5]
got = [json.loads(l) for l in open(d, encoding="utf-8")]
assert len(got) == len(DRAFTS), (len(got), len(DRAFTS))
for g, x in zip(got, DRAFTS):
    assert g == x, f"draft differs:\n got {g}\n exp {x}"  # as values: key order is free
qt = open(q, encoding="utf-8", newline="").read()
assert qt == QUEUE, f"queue differs:\n{qt}\n---\n{QUEUE}"
got = [json.loads(l) for l in open(e, encoding="utf-8")]
assert len(got) == len(EVENTS), [(x["customer_id"], x["sequence"]) for x in got]
for g, x in zip(got, EVENTS):
    c = g.pop("cohort")
    assert g == x, f"event differs:\n got {g}\n exp {x}"
    assert set(c) == {"dormancy", "value_tier", "margin", "history", "engagement", "affinity",
                      "acquisition", "risk_band", "churn_risk"}, list(c)
    assert type(c["churn_risk"]) is int and type(g["holdout_share"]) is int
    if x["customer_id"] in COHORT:
        assert c == COHORT[x["customer_id"]], (x["customer_id"], c)
print("ok")
PY

python3 "$TMP/gen_snap.py" > "$TMP/snap.csv"
run() {  # run PREFIX [flags...]: the program on the hand-made snapshot with every hand-off file
  local p=$1; shift
  "$REKINDLE" eval "$RULES" --snapshot "$TMP/snap.csv" --as-of 2026-11-02 --out "$p.csv" \
    --drafts "$p.drafts.jsonl" --review-queue "$p.queue.csv" --events "$p.events.jsonl" \
    --run-id r1 --quiet "$@"
}

# Both engines, 1 and 2 threads: the hand-written values, byte-identical files.
for engine in jit interp; do
  for threads in 1 2; do
    echo "== $engine, $threads thread(s)"
    run "$TMP/a" --engine "$engine" --threads "$threads"
    python3 "$TMP/check.py" "$TMP" "$TMP/a.drafts.jsonl" "$TMP/a.queue.csv" "$TMP/a.events.jsonl"
    if [[ -e "$TMP/first.csv" ]]; then
      for f in csv drafts.jsonl queue.csv events.jsonl; do cmp "$TMP/first.$f" "$TMP/a.$f"; done
    fi
    for f in csv drafts.jsonl queue.csv events.jsonl; do cp "$TMP/a.$f" "$TMP/first.$f"; done
  done
done

# Section 6: the result's columns in order; a sequence's touch, step, variant, channel, offer and
# send_at empty unless due; churn_risk always an integer; owner filled exactly when review is.
python3 - "$TMP/a.csv" <<'PY'
import csv, sys
rows = list(csv.reader(open(sys.argv[1], newline="", encoding="utf-8")))
head = ("customer_id, candidate, dormancy, value_tier, margin, history, engagement, affinity, "
        "acquisition, risk_band, stopped_by, review, welcome_back_status, welcome_back_touch, "
        "welcome_back_step, welcome_back_channel, welcome_back_offer, welcome_back_send_at, "
        "winback_status, winback_touch, winback_step, winback_variant, winback_channel, "
        "winback_offer, winback_send_at, churn_risk, owner").split(", ")
assert rows[0] == head, rows[0]
ids = [r[0] for r in rows[1:]]
assert ids[:4] == ["A1", "B2", "C3", "D4"] and ids[-1] == "V28" and len(ids) == 32, ids
for r in rows[1:]:
    r = dict(zip(head, r))
    for seq, cols in (("welcome_back", ["touch", "step", "channel", "offer", "send_at"]),
                      ("winback", ["touch", "step", "variant", "channel", "offer", "send_at"])):
        for c in cols:
            v = r[f"{seq}_{c}"]
            if r[f"{seq}_status"] != "due":
                assert v == "", (r["customer_id"], seq, c, v)
            elif c != "variant" or r["winback_step"] in ("pattern_interrupt", "winback_offer"):
                assert v != "", (r["customer_id"], seq, c)
    assert str(int(r["churn_risk"])) == r["churn_risk"], r
    assert (r["owner"] != "") == (r["review"] != ""), r
byid = {r[0]: dict(zip(head, r)) for r in rows[1:]}
assert byid["Z20"]["churn_risk"] == "0" and byid["Z20"]["winback_status"] == "not_candidate"
assert byid["B2"]["winback_variant"] == "credit" and byid["A1"]["winback_variant"] == ""
assert byid["A1"]["winback_send_at"] == "2026-11-01T20:00:00Z"
assert byid["C0044"]["owner"] == "marketing-ops" and byid["R19"]["owner"] == 'Ops, "East"'
assert byid["J10"]["welcome_back_status"] == "stopped" and byid["I9"]["welcome_back_status"] == "not_candidate"
PY

# Section 7 / 9: the review queue sorted by owner in code-point order (case-sensitive, no locale:
# "Zed" < "a..." < "marketing-ops" < "zed" < "Émile"), then snapshot order; several rules joined
# by ";" and their reasons by "; "; a field holding a line break quoted (a holdout, Q3, has none).
python3 - "$TMP/snap.csv" > "$TMP/qs.csv" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1], newline="")))
d4 = rows[3]
w = csv.DictWriter(sys.stdout, fieldnames=list(rows[0]), lineterminator="\n")
w.writeheader()
for cid, owner, extra in (("Q1", "zed", {}), ("Q2", "\u00c9mile", {}), ("Q3", "Zed", {}),
                          ("Q4", "a\nb", {}), ("Q5", "", dict(relationship_flag="bereavement")),
                          ("Q6", "Zed", {}),
                          ("Q7", "", dict(last_touch="5", last_touch_date="2026-10-20",
                                          relationship_flag="chargeback"))):
    w.writerow(dict(d4, customer_id=cid, csm_owner=owner, **extra))
PY
"$REKINDLE" eval "$RULES" --snapshot "$TMP/qs.csv" --as-of 2026-11-02 --out "$TMP/qs.out.csv" \
  --review-queue "$TMP/qs.queue.csv" --quiet
python3 - "$TMP/qs.queue.csv" <<'PY'
import sys
got = open(sys.argv[1], encoding="utf-8", newline="").read()
sub1, sub2 = '"Did we lose you, {affinity}?"', '"{affinity}, we saved something for you"'
want = "\n".join([
  "owner,customer_id,sequence,touch,step,channel,offer,rules,reasons,subject",
  f"Zed,Q6,winback,1,pattern_interrupt,email,none,high_value,High-value customer,{sub1}",
  f'"a\nb",Q4,winback,1,pattern_interrupt,email,none,high_value,High-value customer,{sub1}',
  "marketing-ops,Q5,winback,1,pattern_interrupt,email,none,sensitive_history;high_value,"
  f"Delicate history with this customer; High-value customer,{sub1}",
  "marketing-ops,Q7,winback,6,winback_offer,email,discount 15%,"
  "sensitive_history;high_value;discount,Delicate history with this customer; "
  "High-value customer; Discount offers need approval,15% off for the next 72 hours",
  f"zed,Q1,winback,1,pattern_interrupt,email,none,high_value,High-value customer,{sub2}",
  f"\u00c9mile,Q2,winback,1,pattern_interrupt,email,none,high_value,High-value customer,{sub2}",
]) + "\n"
assert got == want, f"{got!r}\n{want!r}"
PY

# Section 4.3 / 9: paused variants (--experiments). Their buckets go to the first variant not
# paused, everyone else keeps theirs, in the drafts and in the holdout's would_be; a paused
# discount variant takes the discount review with it.
echo '{"paused": ["winback.pattern_interrupt.curiosity", "winback.winback_offer.discount"]}' \
  > "$TMP/x1.json"
echo '{"paused": ["winback.pattern_interrupt.personal"]}' > "$TMP/x2.json"
run "$TMP/p1" --experiments "$TMP/x1.json"
run "$TMP/p2" --experiments "$TMP/x2.json"
python3 - "$TMP" <<'PY'
import csv, json, sys
t = sys.argv[1]
def load(p):
    ev = {(e["customer_id"], e["sequence"]): e for e in map(json.loads, open(f"{t}/{p}.events.jsonl"))}
    dr = {d["customer_id"]: d for d in map(json.loads, open(f"{t}/{p}.drafts.jsonl"))}
    q = list(csv.DictReader(open(f"{t}/{p}.queue.csv", newline="")))
    return ev, dr, q
ev, dr, q = load("p1")
assert [dr[c]["variant"] for c in ("D4", "N15", "R19", "B2", "K11")] == \
    ["personal", "personal", "personal", "credit", "credit"], dr
k = dr["K11"]
assert (k["offer"], k["subject"], k["review"], k["owner"]) == \
    ("credit 25", "a $25 credit to come back", [], None), k
assert dr["D4"]["subject"] == "{affinity}, we saved something for you", dr["D4"]
assert ev[("K11", "winback")]["review"] == [] and "K11" not in [r["customer_id"] for r in q]
assert ev[("C0022", "winback")]["would_be"]["variant"] == "personal"
ev, dr, q = load("p2")
assert [dr[c]["variant"] for c in ("D4", "N15", "R19", "K11")] == \
    ["curiosity", "curiosity", "curiosity", "discount"], dr
assert dr["R19"]["subject"] == "Did we lose you, Ann?"
assert ev[("C0022", "winback")]["would_be"] == dict(status="due", touch=1, step="pattern_interrupt",
    variant="curiosity", channel="email", offer="none")
PY

# Section 9: an --experiments entry that names no variant, pausing every variant of a touch, a
# file that is not an object and a `paused` that is not a list of strings are errors, and no file
# is written; a missing `paused` pauses nothing.
for bad in '{"paused": ["winback.pattern_interrupt.curiousity"]}' \
    '{"paused": ["winback.pattern_interrupt.curiosity", "winback.pattern_interrupt.personal"]}' \
    '{"paused": ["winback.winback_offer"]}' '{"paused": "winback.winback_offer.credit"}' \
    '{"paused": [3]}' '["winback.winback_offer.credit"]'; do
  echo "$bad" > "$TMP/bad.json"
  if run "$TMP/bad" --experiments "$TMP/bad.json" 2> "$TMP/err.txt"; then
    echo "FAILED: $bad was accepted"; exit 1
  fi
  grep -q 'bad.json' "$TMP/err.txt" || { echo "FAILED: $bad: no file named"; cat "$TMP/err.txt"; exit 1; }
  for f in csv drafts.jsonl queue.csv events.jsonl; do [[ ! -e "$TMP/bad.$f" ]]; done
done
echo '{"note": "nothing paused"}' > "$TMP/none.json"
run "$TMP/n" --experiments "$TMP/none.json"
for f in csv drafts.jsonl queue.csv events.jsonl; do cmp "$TMP/first.$f" "$TMP/n.$f"; done

# Section 4.5 / 9: sms never on a local Sunday (moved to Monday 11:00), email on the Sunday;
# summer time; a backward link (US/Eastern) is a zone; a zone ahead of UTC.
python3 - "$TMP/snap.csv" > "$TMP/sun.csv" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1], newline="")))
w = csv.DictWriter(sys.stdout, fieldnames=list(rows[0]), lineterminator="\n")
w.writeheader()
for cid, tz, sms in (("S1", "America/New_York", True), ("S2", "US/Eastern", False),
                     ("S3", "Europe/Berlin", False), ("S4", "Australia/Sydney", True)):
    r = dict(rows[2], customer_id=cid, timezone=tz, relationship_flag="", csm_owner="",
             last_purchase_date="2025-12-01", last_touch_date="2026-06-01")
    if not sms:
        r.update(sms_consent="false", phone="")
    w.writerow(r)
PY
for asof in 2026-07-05 2026-11-01; do
  "$REKINDLE" eval "$RULES" --snapshot "$TMP/sun.csv" --as-of $asof --out "$TMP/s.csv" \
    --drafts "$TMP/s.$asof.jsonl" --quiet
done
python3 - "$TMP" <<'PY'
import json, sys
got = {}
for asof in ("2026-07-05", "2026-11-01"):
    for d in map(json.loads, open(f"{sys.argv[1]}/s.{asof}.jsonl")):
        got[(asof, d["customer_id"])] = (d["channel"], d["send_at"])
want = {
  ("2026-07-05", "S1"): ("sms", "2026-07-06T15:00:00Z"),    # Sunday: Monday 11:00 EDT
  ("2026-07-05", "S2"): ("email", "2026-07-05T13:00:00Z"),  # 09:00 EDT
  ("2026-07-05", "S3"): ("email", "2026-07-05T07:00:00Z"),  # 09:00 CEST
  ("2026-07-05", "S4"): ("sms", "2026-07-06T01:00:00Z"),    # Monday 11:00 AEST
  ("2026-11-01", "S1"): ("sms", "2026-11-02T16:00:00Z"),    # Sunday (EST since 02:00): Monday
  ("2026-11-01", "S2"): ("email", "2026-11-01T14:00:00Z"),  # 09:00 EST, after the change
  ("2026-11-01", "S3"): ("email", "2026-11-01T08:00:00Z"),  # 09:00 CET
  ("2026-11-01", "S4"): ("sms", "2026-11-02T00:00:00Z"),    # Monday 11:00 AEDT
}
assert got == want, (got, want)
PY

# Section 9: last_touch above 7 and welcome_touch above 2 are exhausted (Q18 above); a negative
# one is a data error naming row and column, and writes nothing; welcome_back waits when its date
# is missing or after the as-of date, and is due 3 whole days after it.
for col in last_touch welcome_touch; do
  python3 - "$TMP/snap.csv" "$col" > "$TMP/neg.csv" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1], newline="")))
rows[1][sys.argv[2]] = "-1"
w = csv.DictWriter(sys.stdout, fieldnames=list(rows[0]), lineterminator="\n")
w.writeheader(); w.writerows(rows)
PY
  if "$REKINDLE" eval "$RULES" --snapshot "$TMP/neg.csv" --as-of 2026-11-02 --out "$TMP/neg.out.csv" \
      --drafts "$TMP/neg.drafts.jsonl" --events "$TMP/neg.events.jsonl" --quiet 2> "$TMP/err.txt"; then
    echo "FAILED: a negative $col was accepted"; exit 1
  fi
  grep -q "neg.csv.*3.*$col\|neg.csv.*$col.*3" "$TMP/err.txt" || { cat "$TMP/err.txt"; exit 1; }
  for f in out.csv drafts.jsonl events.jsonl; do [[ ! -e "$TMP/neg.$f" ]]; done
done
python3 - "$TMP/snap.csv" > "$TMP/wb.csv" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1], newline="")))
e5 = rows[4]
w = csv.DictWriter(sys.stdout, fieldnames=list(rows[0]), lineterminator="\n")
w.writeheader()
for cid, wt, wd in (("W1", "1", ""), ("W2", "1", "2026-11-03"), ("W3", "1", "2026-10-30"),
                    ("W4", "2", "2026-10-30"), ("W5", "1", "2026-11-02")):
    w.writerow(dict(e5, customer_id=cid, welcome_touch=wt, welcome_touch_date=wd))
PY
"$REKINDLE" eval "$RULES" --snapshot "$TMP/wb.csv" --as-of 2026-11-02 --out "$TMP/wb.out.csv" --quiet
python3 - "$TMP/wb.out.csv" <<'PY'
import csv, sys
got = [(r["customer_id"], r["welcome_back_status"], r["welcome_back_step"], r["winback_status"])
       for r in csv.DictReader(open(sys.argv[1], newline=""))]
assert got == [("W1", "waiting", "", "due"), ("W2", "waiting", "", "due"),
               ("W3", "due", "refresher", "capped"), ("W4", "exhausted", "", "due"),
               ("W5", "waiting", "", "due")], got
PY

# Section 5 on a small rule file: money as $84.50 (a field and a let of it), a list joined with
# ", ", a percent and a bool as the CSV writer writes them, a segment's label, a score, offers in
# words (none empty, a $N credit, N% off, early access), fallbacks for a missing value and an empty
# list, no subject for sms; a placeholder that can be missing without a fallback, or an unknown
# name, is a check error.
cp "$SRC/rules/program.schema" "$TMP/"
cat > "$TMP/tpl.rules" <<'RULES'
import "program.schema"
let spend = avg_order_value
let big = orders_total >= 5
segment tier {
  whale when avg_order_value >= $250
  otherwise low
}
score pts {
  7 points when is_subscriber
  -3 points when orders_total >= 2
}
channel email requires email_consent is true and email is present
channel sms requires sms_consent is true and phone is present
fallback email to sms
local time from timezone, or "America/New_York" when missing
sequence s {
  progress last_touch on last_touch_date
  wait 7 days
  touch t1 via email {
    subject "[{offer}] {avg_order_value} {spend} {categories|none} {tier} {pts} {big}"
    body "{gross_margin_pct|?} {email_bounce_rate|?} {is_subscriber} {orders_total} {last_purchase_date|never} {acquisition_channel} {timezone|tz} {first_name|x}"
  }
  touch t2 via email offer credit 20 {
    subject "[{offer}]"
    body "{categories|none} {gross_margin_pct|?} {email_bounce_rate|?} {avg_order_value}"
  }
  touch t3 via email offer discount 15% { subject "[{offer}]" body "b" }
  touch t4 via sms offer early_access { subject "[{offer}]" body "[{offer}] {phone|-}" }
}
RULES
python3 - "$TMP/snap.csv" > "$TMP/tsnap.csv" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1], newline="")))
w = csv.DictWriter(sys.stdout, fieldnames=list(rows[0]), lineterminator="\n")
w.writeheader()
base = dict(rows[0], email="t@example.com")
w.writerow(dict(base, customer_id="P1", last_touch="0", last_touch_date="", avg_order_value="84.5",
                categories="apparel|home", gross_margin_pct="0.35", email_bounce_rate="",
                is_subscriber="true", orders_total="7", first_name='Ann, "A"', timezone=""))
w.writerow(dict(base, customer_id="P2", last_touch="1", avg_order_value="5", categories="",
                gross_margin_pct="", email_bounce_rate="0.125"))
w.writerow(dict(base, customer_id="P3", last_touch="2"))
w.writerow(dict(base, customer_id="P4", last_touch="3", sms_consent="true", phone="+49 1"))
PY
"$REKINDLE" eval "$TMP/tpl.rules" --snapshot "$TMP/tsnap.csv" --as-of 2026-11-02 \
  --out "$TMP/t.csv" --drafts "$TMP/t.drafts.jsonl" --quiet
python3 - "$TMP/t.drafts.jsonl" <<'PY'
import json, sys
got = [(d["offer"], d["subject"], d["body"]) for d in map(json.loads, open(sys.argv[1]))]
want = [
  ("none", "[] $84.50 $84.50 apparel, home low 4 true",
   '0.35 ? true 7 2026-03-01 email tz Ann, "A"'),
  ("credit 20", "[a $20 credit]", "none ? 0.125 $5.00"),
  ("discount 15%", "[15% off]", "b"),
  ("early_access", None, "[early access] +49 1"),
]
assert got == want, "\n".join(map(repr, got))
PY
# Credits and discounts in words keep the number as written in the rule file (section 9).
sed -e 's/offer credit 20 {/offer credit 12.50 {/' -e 's/offer discount 15% {/offer discount 12.5% {/' \
  "$TMP/tpl.rules" > "$TMP/tpl3.rules"
"$REKINDLE" eval "$TMP/tpl3.rules" --snapshot "$TMP/tsnap.csv" --as-of 2026-11-02 \
  --out "$TMP/t3.csv" --drafts "$TMP/t3.drafts.jsonl" --quiet
python3 - "$TMP/t3.drafts.jsonl" <<'PY'
import json, sys
got = [(d["offer"], d["subject"]) for d in map(json.loads, open(sys.argv[1]))][1:3]
assert got == [("credit 12.50", "[a $12.50 credit]"), ("discount 12.5%", "[12.5% off]")], got
PY
for bad in '{first_name}' '{nosuch}' '{welcome_touch_date}'; do
  sed "s/{phone|-}/$bad/" "$TMP/tpl.rules" > "$TMP/bad.rules"
  if "$REKINDLE" check "$TMP/bad.rules" > /dev/null 2> "$TMP/err.txt"; then
    echo "FAILED: $bad passed the check"; exit 1
  fi
  grep -q 'bad.rules:[0-9]*:[0-9]*: error' "$TMP/err.txt" || { cat "$TMP/err.txt"; exit 1; }
done
# Section 7 for any rule file: two sequences without caps, both due for every customer: drafts
# and events in snapshot order, then sequence order; the customer's review on each of their
# events; the review queue one row per customer with a review (its first sequence with a touch
# due, docs/handoff.md); the summary states the run (version, run id, rules hash, the snapshot's
# path, size and SHA-256, as-of, parameters, engine, threads).
cat > "$TMP/two.rules" <<'RULES'
import "program.schema"
channel email requires email_consent is true and email is present
channel sms requires sms_consent is true and phone is present
fallback email to sms
parameter big_aov = $250
review big when avg_order_value >= big_aov
  because "Big"
owner csm_owner or "ops"
sequence first {
  progress welcome_touch on welcome_touch_date
  wait 3 days
  touch a via email { subject "A {first_name|x}" body "a" }
}
sequence second {
  progress last_touch on last_touch_date
  wait 7 days
  touch b via email offer credit 5 { subject "B" body "b" }
}
RULES
python3 - "$TMP/snap.csv" > "$TMP/two.csv" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1], newline="")))
w = csv.DictWriter(sys.stdout, fieldnames=list(rows[0]), lineterminator="\n")
w.writeheader()
for cid, owner, aov in (("X1", "z", "300"), ("X2", "a", "10"), ("X3", "a", "300")):
    w.writerow(dict(rows[0], customer_id=cid, csm_owner=owner, avg_order_value=aov,
                    last_touch="0", last_touch_date="", welcome_touch="0", welcome_touch_date=""))
PY
"$REKINDLE" eval "$TMP/two.rules" --snapshot "$TMP/two.csv" --as-of 2026-11-02 \
  --out "$TMP/two.out.csv" --drafts "$TMP/two.d.jsonl" --review-queue "$TMP/two.q.csv" \
  --events "$TMP/two.e.jsonl" --summary "$TMP/two.summary.json" --threads 2 --engine interp \
  --param big_aov=250 --quiet
python3 - "$TMP" <<'PY'
import hashlib, json, os, sys
t = sys.argv[1]
order = [("X1", "first"), ("X1", "second"), ("X2", "first"), ("X2", "second"), ("X3", "first"),
         ("X3", "second")]
drafts = [json.loads(l) for l in open(f"{t}/two.d.jsonl")]
events = [json.loads(l) for l in open(f"{t}/two.e.jsonl")]
assert [(d["customer_id"], d["sequence"]) for d in drafts] == order
assert [(e["customer_id"], e["sequence"]) for e in events] == order
assert [e["review"] for e in events] == [["big"], ["big"], [], [], ["big"], ["big"]]
assert [d["key"] for d in drafts[:2]] == ["first/a/X1", "second/b/X1"]
assert open(f"{t}/two.q.csv").read() == (
    "owner,customer_id,sequence,touch,step,channel,offer,rules,reasons,subject\n"
    "a,X3,first,1,a,email,none,big,Big,A x\nz,X1,first,1,a,email,none,big,Big,A x\n")
i = json.load(open(f"{t}/two.summary.json"))["inputs"]
snap = f"{t}/two.csv"
assert i["snapshot_sha256"] == hashlib.sha256(open(snap, "rb").read()).hexdigest(), i
assert i["snapshot_bytes"] == os.path.getsize(snap) and i["snapshot"].endswith("two.csv"), i
assert i["as_of"] == "2026-11-02" and i["engine"] == "interp" and i["threads"] == 2, i
assert i["run_id"] == "2026-11-02/" + i["rules_fnv1a64"][:8] == events[0]["run_id"], i
assert len(i["rules_fnv1a64"]) == 16 and i["version"] and "big_aov" in i["params"], i
PY
# Generated snapshots (two as-of dates: New York's and the EU's daylight-saving Sundays; with and
# without paused variants, the latter with the interpreter and 2 threads): every draft, queue row and event follows from the result file and the
# snapshot by sections 5, 7 and 9, the subjects and bodies rendered here from the spec's own table,
# and every holdout's would_be equals a second run of the program without its holdout line (the
# same pass, caps and paused variants included, by a metamorphic check rather than an oracle).
cat > "$TMP/hcheck.py" <<'PY'
# The hand-off files of rules/program.rules against the result file, the snapshot and a second
# run without the holdout (would_be), by spec sections 5, 7 and 9; the templates from the spec's
# table (section 5), rendered here.
import csv, json, sys
snap, res, nohold, drafts, queue, events, run_id, as_of = sys.argv[1:9]
SEQS = ["welcome_back", "winback"]
FAMS = ["dormancy", "value_tier", "margin", "history", "engagement", "affinity", "acquisition",
        "risk_band"]
T = {  # spec section 5, verbatim
  ("welcome", None): ("Welcome back, {first_name|friend}!",
                      "Good to see you again, {first_name|friend}. Here is what is new in {affinity}."),
  ("refresher", None): ("Three things to try this week",
                        "Hi {first_name|there}, a quick refresher on getting the most from your account."),
  ("pattern_interrupt", "curiosity"): ("Did we lose you, {first_name|friend}?",
                                       "Something changed since {last_purchase_date|your last visit}."),
  ("pattern_interrupt", "personal"): ("{first_name|Hi there}, we saved something for you",
                                      "We picked a few {affinity} favourites for you."),
  ("recommendation", None): ("New in {affinity}",
                             "Hi {first_name|there}, based on what you bought we think you will like these."),
  ("soft_incentive", None): ("A thank-you: {offer}",
                             "There is {offer} waiting in your account, {first_name|friend}."),
  ("social_proof", None): ("What customers like you are saying",
                           "Reviews from customers who love {affinity} as much as you do."),
  ("scarcity", None): ("Early access, just for you",
                       "{first_name|Hi}, you have early access to our next drop. Reply STOP to opt out."),
  ("winback_offer", "discount"): ("{offer} for the next 72 hours",
                                  "Come back with {offer} on your next order, {first_name|friend}. Ends in 72 hours."),
  ("winback_offer", "credit"): ("{offer} to come back",
                                "We added {offer} to your account, {first_name|friend}."),
  ("final_nudge", None): ("Should we close your account?",
                          "Hi {first_name|there}, we will stop writing unless you tell us otherwise."),
}
REASONS = {"sensitive_history": "Delicate history with this customer",
           "high_value": "High-value customer", "discount": "Discount offers need approval"}
def words(offer):
    k, _, n = offer.partition(" ")
    return {"none": "", "credit": f"a ${n} credit", "discount": f"{n[:-1]}% off",
            "early_access": "early access"}[k]
def render(t, vals):
    out, i = [], 0
    while i < len(t):
        if t[i] == "{":
            j = t.index("}", i)
            name, _, fb = t[i + 1:j].partition("|")
            v = vals[name]
            out.append(v if v != "" else fb)
            i = j + 1
        else:
            out.append(t[i]); i += 1
    return "".join(out)
rd = lambda p: list(csv.DictReader(open(p, newline="", encoding="utf-8")))
S, R, NH = rd(snap), rd(res), rd(nohold)
assert [s["customer_id"] for s in S] == [r["customer_id"] for r in R] == [r["customer_id"] for r in NH]
want_d, want_q, want_e = [], [], []
for s, r, nh in zip(S, R, NH):
    cid = s["customer_id"]
    review = r["review"].split(";") if r["review"] else []
    owner = r["owner"] or None
    for seq in SEQS:
        st = r[f"{seq}_status"]
        g = lambda c: r.get(f"{seq}_{c}", "") or None
        if st == "due":
            ch = g("channel")
            sub, body = T[(g("step"), g("variant"))]
            vals = dict(first_name=s["first_name"], affinity=r["affinity"],
                        last_purchase_date=s["last_purchase_date"], offer=words(g("offer")))
            want_d.append(dict(customer_id=cid, sequence=seq, touch=int(g("touch")), step=g("step"),
                               variant=g("variant"), channel=ch,
                               to=s["email"] if ch == "email" else s["phone"], send_at=g("send_at"),
                               offer=g("offer"), subject=render(sub, vals) if ch == "email" else None,
                               body=render(body, vals), review=review, owner=owner,
                               key=f"{seq}/{g('step')}/{cid}"))
            if review and not any(q[1] == cid for q in want_q):
                want_q.append((r["owner"], cid, seq, g("touch"), g("step"), ch, g("offer"),
                               ";".join(review), "; ".join(REASONS[x] for x in review),
                               want_d[-1]["subject"] or ""))
        if st != "not_candidate":
            due = st == "due"
            e = dict(run_id=run_id, as_of=as_of, customer_id=cid, sequence=seq, status=st,
                     touch=int(g("touch")) if due else None, step=g("step") if due else None,
                     variant=g("variant") if due else None, channel=g("channel") if due else None,
                     offer=g("offer") if due else None, stopped_by=r["stopped_by"] or None,
                     review=review,
                     cohort=dict({f: r[f] or None for f in FAMS}, churn_risk=int(r["churn_risk"])),
                     holdout_share=5 if seq == "winback" else 0, would_be=None)
            if st == "holdout":
                w = lambda c: nh.get(f"{seq}_{c}", "") or None
                wd = nh[f"{seq}_status"] == "due"
                e["would_be"] = dict(status=nh[f"{seq}_status"],
                                     touch=int(w("touch")) if wd else None,
                                     step=w("step") if wd else None,
                                     variant=w("variant") if wd else None,
                                     channel=w("channel") if wd else None,
                                     offer=w("offer") if wd else None)
            want_e.append(e)
got_d = [json.loads(l) for l in open(drafts, encoding="utf-8")]
got_e = [json.loads(l) for l in open(events, encoding="utf-8")]
assert len(got_d) == len(want_d), (len(got_d), len(want_d))
for a, b in zip(got_d, want_d):
    assert a == b, f"draft:\n got  {a}\n want {b}"
assert len(got_e) == len(want_e), (len(got_e), len(want_e))
for a, b in zip(got_e, want_e):
    assert a == b, f"event:\n got  {a}\n want {b}"
want_q.sort(key=lambda q: q[0].encode("utf-8"))  # stable: snapshot order within an owner
got_q = [tuple(x) for x in csv.reader(open(queue, newline="", encoding="utf-8"))]
assert got_q[0] == ("owner", "customer_id", "sequence", "touch", "step", "channel", "offer",
                    "rules", "reasons", "subject")
assert got_q[1:] == want_q, "queue differs"
import io
buf = io.StringIO()
csv.writer(buf, lineterminator="\n").writerows(got_q)  # minimal quoting: , " CR LF
assert open(queue, newline="", encoding="utf-8").read() == buf.getvalue(), "queue quoting"
held = sum(e["status"] == "holdout" for e in want_e)
print(f"ok: {len(want_d)} drafts, {len(want_q)} queue rows, {len(want_e)} events, {held} held out")
PY
sed 's/^  holdout 5% salt "winback"$//' "$RULES" > "$TMP/nohold.rules"
grep -q 'holdout' "$TMP/nohold.rules" && ! grep -q '^  holdout 5%' "$TMP/nohold.rules"
echo '{"paused": ["winback.pattern_interrupt.curiosity", "winback.winback_offer.discount"]}' \
  > "$TMP/x3.json"
for asof in 2026-11-01 2026-03-29; do
  "$REKINDLE" gen --program --rows 3000 --seed 11 --as-of $asof --out "$TMP/h.csv" -q
  for mode in plain paused; do
    ex=()
    [[ $mode = paused ]] && ex=(--experiments "$TMP/x3.json" --engine interp --threads 2)
    "$REKINDLE" eval "$TMP/nohold.rules" --snapshot "$TMP/h.csv" --as-of $asof \
      --out "$TMP/nh.csv" --quiet "${ex[@]}"
    "$REKINDLE" eval "$RULES" --snapshot "$TMP/h.csv" --as-of $asof --out "$TMP/h.out.csv" \
      --drafts "$TMP/h.d.jsonl" --review-queue "$TMP/h.q.csv" --events "$TMP/h.e.jsonl" \
      --summary "$TMP/h.s.json" --quiet "${ex[@]}"
    rid=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["inputs"]["run_id"])' \
      "$TMP/h.s.json")
    echo "== generated, as of $asof, $mode"
    python3 "$TMP/hcheck.py" "$TMP/h.csv" "$TMP/h.out.csv" "$TMP/nh.csv" "$TMP/h.d.jsonl" \
      "$TMP/h.q.csv" "$TMP/h.e.jsonl" "$rid" $asof
  done
done

echo "spec audit (hand-off): ok"
