#!/usr/bin/env python3
# Rekindle tests: an independent oracle of the win-back playbook, written straight from
# shared/spec/winback-playbook.md in plain Python (no Rekindle code). It evaluates a CSV snapshot
# and prints the output contract, and it can generate adversarial snapshots (boundaries of every
# threshold, missing values everywhere, commas, quotes and non-ASCII in ids).
#
#   winback_oracle.py eval SNAPSHOT.csv AS_OF > expected.csv
#   winback_oracle.py generate ROWS SEED AS_OF > snapshot.csv
#   winback_oracle.py compare EXPECTED.csv ACTUAL.csv   (parsed comparison, row by row)
import csv
import datetime as dt
import random
import sys

COLUMNS = ["customer_id", "last_purchase_date", "last_engagement_date", "orders_total",
           "avg_order_value", "gross_margin_pct", "is_subscriber", "email_opens_90d",
           "email_clicks_90d", "purchases_90d", "categories", "acquisition_channel",
           "email_consent", "sms_consent", "opted_out", "relationship_flag",
           "spam_complaints_90d", "email_bounce_rate", "last_touch", "last_touch_date",
           "responded"]
OUTPUT = ["customer_id", "candidate", "dormancy", "value_tier", "margin", "history",
          "engagement", "affinity", "acquisition", "stopped_by", "review", "winback_status",
          "winback_touch", "winback_step", "winback_channel", "winback_offer"]
STEPS = ["pattern_interrupt", "recommendation", "soft_incentive", "social_proof", "scarcity",
         "winback_offer", "final_nudge"]


def fnv1a64(data: bytes) -> int:
    h = 14695981039346656037
    for b in data:
        h ^= b
        h = (h * 1099511628211) % (1 << 64)
    return h


def opt(v, conv):
    return None if v == "" else conv(v)


def to_bool(v):
    return {"true": True, "false": False}[v]


def evaluate(row, as_of):
    cid = row["customer_id"]
    lpd = opt(row["last_purchase_date"], dt.date.fromisoformat)
    orders = int(row["orders_total"])
    aov = float(row["avg_order_value"])
    margin_pct = opt(row["gross_margin_pct"], float)
    subscriber = to_bool(row["is_subscriber"])
    opens, clicks = int(row["email_opens_90d"]), int(row["email_clicks_90d"])
    purchases = int(row["purchases_90d"])
    cats = set(row["categories"].split("|")) if row["categories"] != "" else set()
    channel = row["acquisition_channel"]
    email_ok = opt(row["email_consent"], to_bool)
    sms_ok = opt(row["sms_consent"], to_bool)
    opted_out = to_bool(row["opted_out"])
    flag = opt(row["relationship_flag"], str)
    spam = int(row["spam_complaints_90d"])
    bounce = opt(row["email_bounce_rate"], float)
    last_touch = int(row["last_touch"])
    ltd = opt(row["last_touch_date"], dt.date.fromisoformat)
    responded = to_bool(row["responded"])

    dormancy_days = None if lpd is None else (as_of - lpd).days
    if lpd is None:
        dormancy = "never_purchased"
    elif dormancy_days < 60:
        dormancy = "active"
    elif dormancy_days <= 89:
        dormancy = "early_warning"
    elif dormancy_days <= 119:
        dormancy = "active_risk"
    elif dormancy_days <= 179:
        dormancy = "critical"
    else:
        dormancy = "deep"
    value_tier = "whale" if aov >= 250 else ("mid" if aov >= 75 else "low")
    if margin_pct is None:
        margin = "unknown_margin"
    else:
        margin = "high_margin" if margin_pct >= 0.40 else "low_margin"
    history = "subscriber" if subscriber else ("repeat" if orders >= 2 else "single")
    if opens == 0 and clicks == 0:
        engagement = "dark"
    elif opens > 0 and clicks == 0:
        engagement = "opens_no_clicks"
    elif clicks > 0 and purchases == 0:
        engagement = "clicks_no_purchase"
    else:
        engagement = "engaged"
    if cats & {"apparel", "footwear", "accessories"}:
        affinity = "fashion"
    elif cats & {"home", "kitchen", "garden"}:
        affinity = "home"
    elif "electronics" in cats:
        affinity = "tech"
    else:
        affinity = "other"
    acquisition = {"paid_social": "paid", "organic_search": "organic", "direct": "organic",
                   "email": "owned", "referral": "owned"}[channel]
    candidate = dormancy in ("early_warning", "active_risk", "critical", "deep")

    stopped_by = ""
    if candidate:
        if opted_out:
            stopped_by = "opted_out"
        elif not (email_ok is True or sms_ok is True):
            stopped_by = "no_permission"
        elif spam > 0 or flag == "legal_hold":
            stopped_by = "complaint"
        elif (bounce is None or bounce > 0.05) and sms_ok is not True:
            stopped_by = "deliverability"
        elif orders == 1 and aov < 20 and dormancy_days >= 365:
            stopped_by = "poor_fit"

    touch = step = ch = offer = ""
    review = ""
    if not candidate:
        status = "not_candidate"
    elif stopped_by:
        status = "stopped"
    elif fnv1a64(("winback:" + cid).encode("utf-8")) % 100 < 5:
        status = "holdout"
    elif last_touch > 0 and responded:
        status = "responded"
    else:
        nxt = last_touch + 1
        if nxt == 5 and dormancy != "deep":
            nxt = 6
        if nxt > 7:
            status = "exhausted"
        elif not (last_touch == 0 or (ltd is not None and (as_of - ltd).days >= 7)):
            status = "waiting"
        else:
            chosen = ("sms" if sms_ok is True else "email") if nxt == 5 else "email"
            if chosen == "email" and email_ok is not True:
                chosen = "sms" if sms_ok is True else ""
            if chosen == "sms" and sms_ok is not True:
                chosen = ""
            if not chosen:
                status = "no_channel"
            else:
                status = "due"
                touch, step, ch = str(nxt), STEPS[nxt - 1], chosen
                offer = {3: "credit 10", 5: "early_access",
                         6: "discount 15%" if value_tier == "whale" else "discount 20%"}.get(
                             nxt, "none")
                reviews = []
                if flag in ("complaint", "chargeback", "bereavement"):
                    reviews.append("sensitive_history")
                if value_tier == "whale":
                    reviews.append("high_value")
                if offer.startswith("discount"):
                    reviews.append("discount")
                review = ";".join(reviews)
    return [cid, "true" if candidate else "false", dormancy, value_tier, margin, history,
            engagement, affinity, acquisition, stopped_by, review, status, touch, step, ch, offer]


def cmd_eval(path, as_of):
    as_of = dt.date.fromisoformat(as_of)
    out = csv.writer(sys.stdout, lineterminator="\n")
    out.writerow(OUTPUT)
    with open(path, newline="", encoding="utf-8-sig") as f:
        for row in csv.DictReader(f):
            out.writerow(evaluate(row, as_of))


def cmd_generate(rows, seed, as_of):
    rnd = random.Random(seed)
    as_of = dt.date.fromisoformat(as_of)
    out = csv.writer(sys.stdout, lineterminator="\n")
    out.writerow(COLUMNS)
    boundary_days = [-5, -1, 0, 1, 59, 60, 61, 88, 89, 90, 91, 119, 120, 121, 179, 180, 181, 364,
                     365, 366, 1000]
    odd_ids = ['a,b', 'quote"inside', '"quoted"', "Zoë", "顧客", "line\nbreak", " space ", "émoji🎉",
               "semi;colon", "pipe|id"]
    cats = ["apparel", "footwear", "accessories", "home", "kitchen", "garden", "electronics",
            "books", "toys"]

    def maybe(v, p=0.15):
        return "" if rnd.random() < p else v

    def b():
        return rnd.choice(["true", "false"])

    for i in range(rows):
        cid = f"C{i:07d}"
        if rnd.random() < 0.08:
            cid = f"{rnd.choice(odd_ids)}-{i}"
        lpd = maybe((as_of - dt.timedelta(days=rnd.choice(boundary_days))).isoformat(), 0.1)
        last_touch = rnd.randint(0, 8) if rnd.random() < 0.05 else rnd.randint(0, 7)
        ltd = ""
        if last_touch > 0 and rnd.random() < 0.9:
            ltd = (as_of - dt.timedelta(days=rnd.choice([0, 3, 6, 7, 8, 30, -2]))).isoformat()
        row = [
            cid, lpd, maybe((as_of - dt.timedelta(days=rnd.randint(0, 400))).isoformat(), 0.3),
            str(rnd.choice([0, 1, 1, 2, 3, 10])),
            rnd.choice(["19.99", "20", "20.00", "74.99", "75", "75.00", "249.99", "250", "250.00",
                        "1000.5", "5", "0"]),
            maybe(rnd.choice(["0.39", "0.4", "0.40", "0.41", "0", "1"]), 0.2),
            b(), str(rnd.choice([0, 0, 1, 5])), str(rnd.choice([0, 0, 1, 3])),
            str(rnd.choice([0, 0, 1])),
            "|".join(rnd.sample(cats, rnd.randint(0, 3))),
            rnd.choice(["paid_social", "organic_search", "email", "referral", "direct"]),
            maybe(rnd.choice(["true"] * 3 + ["false"]), 0.15),
            maybe(rnd.choice(["true", "false"]), 0.25), rnd.choice(["false"] * 12 + ["true"]),
            maybe(rnd.choice(["complaint", "chargeback", "bereavement", "legal_hold"]), 0.8),
            str(rnd.choice([0] * 9 + [1, 2])),
            maybe(rnd.choice(["0.01", "0.049", "0.05", "0.0500", "0.051", "0.2"]), 0.2),
            str(last_touch), ltd, b(),
        ]
        out.writerow(row)


def cmd_compare(expected, actual):
    with open(expected, newline="", encoding="utf-8") as f:
        exp = list(csv.reader(f))
    with open(actual, newline="", encoding="utf-8") as f:
        act = list(csv.reader(f))
    if exp[0] != act[0]:
        print(f"header differs:\n  expected {exp[0]}\n  actual   {act[0]}")
        return 1
    if len(exp) != len(act):
        print(f"row count differs: expected {len(exp) - 1}, actual {len(act) - 1}")
        return 1
    bad = 0
    for i, (e, a) in enumerate(zip(exp, act)):
        if e != a:
            bad += 1
            if bad <= 10:
                diffs = [f"{exp[0][k]}: expected {e[k]!r}, got {a[k]!r}" for k in range(len(e))
                         if k < len(a) and e[k] != a[k]]
                print(f"row {i + 1} ({e[0]!r}): " + "; ".join(diffs))
    if bad:
        print(f"{bad} of {len(exp) - 1} rows differ")
        return 1
    print(f"{len(exp) - 1} rows identical")
    return 0


if __name__ == "__main__":
    if sys.argv[1] == "eval":
        cmd_eval(sys.argv[2], sys.argv[3])
    elif sys.argv[1] == "generate":
        cmd_generate(int(sys.argv[2]), int(sys.argv[3]), sys.argv[4])
    elif sys.argv[1] == "compare":
        sys.exit(cmd_compare(sys.argv[2], sys.argv[3]))
    else:
        sys.exit("usage: winback_oracle.py eval|generate|compare ...")
