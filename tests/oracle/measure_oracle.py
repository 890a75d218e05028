#!/usr/bin/env python3
# Rekindle tests: an independent oracle of `rekindle measure`, written straight from
# shared/spec/winback-program.md sections 8 and 9 in plain Python (no Rekindle code, no shared
# helpers). It computes the report and the verdicts from a plan (the rule file's sequences,
# touches, variants and segment families as JSON), event files and a CSV outcomes file, and it
# generates adversarial inputs: several runs over several files, repeated units, every status,
# null values, escaped and reordered JSON, outcomes on the window's boundaries, customers with
# commas, quotes and non-ASCII text, and variants with planted effects.
#
#   measure_oracle.py generate SEED DIR          -> DIR/plan.json, DIR/rules.rules (no variants),
#                                                   DIR/events_*.jsonl, DIR/outcomes.csv, DIR/args
#   measure_oracle.py report DIR WINDOW MIN_SAMPLE > expected.json   (the report and verdicts)
#   measure_oracle.py compare EXPECTED.json REPORT.json VERDICTS.json   (1e-9 relative)
import csv
import datetime as dt
import glob
import json
import math
import os
import random
import sys

Z95 = 1.959963984540054


# ---------------------------------------------------------------------------------------------
# The computation (section 8, with the readings of section 9).

def load_units(event_files):
    """Units in reading order; a repeated (run_id, customer_id, sequence) counts once."""
    units, seen, runs = [], set(), []
    for path in event_files:
        with open(path, encoding="utf-8") as f:
            for line in f:
                if not line.strip():
                    continue
                e = json.loads(line)
                key = (e["run_id"], e["customer_id"], e["sequence"])
                if key in seen:
                    continue
                seen.add(key)
                if e["run_id"] not in runs:
                    runs.append(e["run_id"])
                units.append(e)
    return units, runs


def load_outcomes(path):
    by_customer = {}
    with open(path, newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            o = {
                "date": dt.date.fromisoformat(row["date"]),
                "kind": row["kind"],
                "revenue": float(row["revenue"]) if row["revenue"] != "" else 0.0,
                "incentive_cost": float(row["incentive_cost"]) if row["incentive_cost"] != "" else 0.0,
            }
            by_customer.setdefault(row["customer_id"], []).append(o)
    return by_customer


def unit_facts(unit, outcomes, window):
    as_of = dt.date.fromisoformat(unit["as_of"])
    mine = outcomes.get(unit["customer_id"], [])
    inside = [o for o in mine if as_of < o["date"] <= as_of + dt.timedelta(days=window)]
    purchases = [o for o in inside if o["kind"] == "purchase"]
    facts = {
        "reactivated": len(purchases) > 0,
        "revenue": sum(o["revenue"] for o in purchases),
        "cost": sum(o["incentive_cost"] for o in purchases),
        "unsubscribed": any(o["kind"] == "unsubscribe" for o in inside),
        "complained": any(o["kind"] == "complaint" for o in inside),
        "days": None,
        "ltv": None,
    }
    if purchases:
        d0 = min(o["date"] for o in purchases)
        facts["days"] = (d0 - as_of).days
        facts["ltv"] = sum(o["revenue"] for o in mine if o["kind"] == "purchase"
                           and d0 <= o["date"] <= d0 + dt.timedelta(days=89))
    return facts


def z_test(xt, nt, xc, nc):
    """lift and pooled two-sided p-value; None when an arm is empty (p: also when se is 0)."""
    if nt == 0 or nc == 0:
        return None, None
    rt, rc = xt / nt, xc / nc
    lift = rt - rc
    p = (xt + xc) / (nt + nc)
    se = math.sqrt(p * (1 - p) * (1 / nt + 1 / nc))
    if se == 0:
        return lift, None
    return lift, math.erfc(abs(lift / se) / math.sqrt(2))


def metrics(treated, control):
    """treated, control: lists of unit facts."""
    nt, nc = len(treated), len(control)
    xt = sum(1 for u in treated if u["reactivated"])
    xc = sum(1 for u in control if u["reactivated"])
    m = {"treated": nt, "control": nc, "reactivated_treated": xt, "reactivated_control": xc}
    rt = xt / nt if nt else None
    rc = xc / nc if nc else None
    m["rate_treated"], m["rate_control"] = rt, rc
    both = nt > 0 and nc > 0
    lift, p_value = z_test(xt, nt, xc, nc)
    m["lift"] = lift
    if both:
        half = Z95 * math.sqrt(rt * (1 - rt) / nt + rc * (1 - rc) / nc)
        m["lift_ci95"] = [lift - half, lift + half]
    else:
        m["lift_ci95"] = None
    m["relative_lift"] = lift / rc if both and rc != 0 else None
    m["p_value"] = p_value
    m["incremental_reactivations"] = lift * nt if both else None
    rpt = sum(u["revenue"] for u in treated) / nt if nt else None
    rpc = sum(u["revenue"] for u in control) / nc if nc else None
    m["revenue_per_treated"], m["revenue_per_control"] = rpt, rpc
    m["incremental_revenue"] = (rpt - rpc) * nt if both else None
    cost = sum(u["cost"] for u in treated)
    m["incentive_cost"] = cost
    m["incentive_efficiency"] = (m["incremental_revenue"] / cost
                                 if m["incremental_revenue"] is not None and cost != 0 else None)
    m["unsubscribe_rate_treated"] = sum(u["unsubscribed"] for u in treated) / nt if nt else None
    m["unsubscribe_rate_control"] = sum(u["unsubscribed"] for u in control) / nc if nc else None
    m["complaint_rate_treated"] = sum(u["complained"] for u in treated) / nt if nt else None
    m["complaint_rate_control"] = sum(u["complained"] for u in control) / nc if nc else None
    days = sorted(u["days"] for u in treated if u["reactivated"])
    if days:
        k = len(days)
        m["median_days_to_reactivate"] = (days[k // 2] if k % 2 == 1
                                          else (days[k // 2 - 1] + days[k // 2]) / 2)
        m["reactivated_ltv_90d"] = sum(u["ltv"] for u in treated if u["reactivated"]) / len(days)
    else:
        m["median_days_to_reactivate"] = None
        m["reactivated_ltv_90d"] = None
    return m


def sequence_report(seq, units, plan, outcomes, window, min_sample):
    facts = [unit_facts(u, outcomes, window) for u in units]
    treated = [(u, f, u) for u, f in zip(units, facts) if u["status"] == "due"]
    control = [(u, f, u["would_be"]) for u, f in zip(units, facts)
               if u["status"] == "holdout" and u["would_be"]["status"] == "due"]
    share = units[0]["holdout_share"]
    not_stopped = [u for u in units if u["status"] != "stopped"]
    if share == 0:
        srm = None
    else:
        n = len(not_stopped)
        held = sum(1 for u in not_stopped if u["status"] == "holdout")
        if n == 0:
            srm = {"units": 0, "held_out": 0, "expected_share": share / 100,
                   "p_value": None, "mismatch": False}
        else:
            e1 = n * share / 100
            e2 = n - e1
            chi2 = (held - e1) ** 2 / e1 + ((n - held) - e2) ** 2 / e2
            p = math.erfc(math.sqrt(chi2 / 2))
            srm = {"units": n, "held_out": held, "expected_share": share / 100, "p_value": p,
                   "mismatch": p < 0.001}
    out = {"sequence": seq["name"], "holdout_share": share, "srm": srm,
           "overall": metrics([f for _, f, _ in treated], [f for _, f, _ in control])}

    def breakdown(value_of):
        keys = []
        for _, _, d in treated + control:
            pass
        groups = {}
        for arm, rows in (("t", treated), ("c", control)):
            for u, f, d in rows:
                v = value_of(u, d)
                if v is None:
                    continue
                groups.setdefault(v, ([], []))[0 if arm == "t" else 1].append(f)
        return {k: metrics(t, c) for k, (t, c) in groups.items()}

    by = {
        "touch": breakdown(lambda u, d: None if d["touch"] is None else str(d["touch"])),
        "step": breakdown(lambda u, d: d["step"]),
        "channel": breakdown(lambda u, d: d["channel"]),
        "offer": breakdown(lambda u, d: d["offer"]),
        "variant": breakdown(lambda u, d: d["variant"]),
    }
    for fam in plan["families"]:
        by[fam] = breakdown(lambda u, d, fam=fam: u["cohort"][fam])
    out["by"] = by
    variants = []
    for touch in seq["touches"]:
        names = touch["variants"]
        at_touch = [(u, f) for u, f, _ in treated if u["touch"] == touch["number"]]
        if len(names) < 2 or not at_touch:
            continue
        first = [f for u, f in at_touch if u["variant"] == names[0]]
        for v in names[1:]:
            mine = [f for u, f in at_touch if u["variant"] == v]
            lift, p = z_test(sum(f["reactivated"] for f in mine), len(mine),
                             sum(f["reactivated"] for f in first), len(first))
            enough = len(mine) >= min_sample and len(first) >= min_sample
            verdict = "undecided"
            if p is not None and p < 0.05 and enough and lift < 0:
                verdict = "losing"
            elif p is not None and p < 0.05 and enough and lift > 0:
                verdict = "winning"
            variants.append({"touch": touch["number"], "step": touch["name"], "variant": v,
                             "control": names[0], "treated": len(mine),
                             "control_treated": len(first), "lift": lift, "p_value": p,
                             "verdict": verdict})
    out["variants"] = variants
    return out


def report(plan, event_files, outcomes_file, window, min_sample):
    units, runs = load_units(event_files)
    outcomes = load_outcomes(outcomes_file)

    def sequences(units_here):
        res = []
        for seq in plan["sequences"]:
            mine = [u for u in units_here if u["sequence"] == seq["name"]]
            if mine:
                res.append(sequence_report(seq, mine, plan, outcomes, window, min_sample))
        return res

    out_runs = []
    for run in runs:
        mine = [u for u in units if u["run_id"] == run]
        out_runs.append({"run_id": run, "as_of": mine[0]["as_of"], "sequences": sequences(mine)})
    pooled = {"run_id": "pooled", "as_of": None, "sequences": sequences(units)}
    rep = {"window_days": window, "runs": out_runs, "pooled": pooled}
    paused = []
    for s in pooled["sequences"]:
        by_touch = {}
        for v in s["variants"]:
            by_touch.setdefault((v["step"], v["control"]), []).append(v)
        for (step, first), entries in by_touch.items():
            if any(v["verdict"] == "winning" for v in entries):
                paused.append(f"{s['sequence']}.{step}.{first}")
            for v in entries:
                if v["verdict"] == "losing":
                    paused.append(f"{s['sequence']}.{step}.{v['variant']}")
    return {"report": rep, "verdicts": {"paused": paused}}


# ---------------------------------------------------------------------------------------------
# Comparison: parsed values, numbers to 1e-9 relative (1e-12 absolute near zero).

def same(a, b, path, errors):
    if isinstance(a, bool) or isinstance(b, bool):
        if a is not b:
            errors.append(f"{path}: expected {a!r}, got {b!r}")
        return
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        if not math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12):
            errors.append(f"{path}: expected {a!r}, got {b!r}")
        return
    if isinstance(a, dict) and isinstance(b, dict):
        if set(a) != set(b):
            errors.append(f"{path}: keys differ: expected {sorted(a)}, got {sorted(b)}")
            return
        for k in a:
            same(a[k], b[k], f"{path}.{k}", errors)
        return
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            errors.append(f"{path}: expected {len(a)} items, got {len(b)}")
            return
        for i, (x, y) in enumerate(zip(a, b)):
            same(x, y, f"{path}[{i}]", errors)
        return
    if a != b:
        errors.append(f"{path}: expected {a!r}, got {b!r}")


def compare(expected_path, report_path, verdicts_path):
    with open(expected_path) as f:
        expected = json.load(f)
    with open(report_path) as f:
        got = json.load(f)
    with open(verdicts_path) as f:
        verdicts = json.load(f)
    errors = []
    same(expected["report"], got, "report", errors)
    if sorted(expected["verdicts"]["paused"]) != sorted(verdicts.get("paused", [])):
        errors.append(f"paused: expected {sorted(expected['verdicts']['paused'])}, "
                      f"got {sorted(verdicts.get('paused', []))}")
    if set(verdicts) != {"paused"}:
        errors.append(f"verdicts keys: {sorted(verdicts)}")
    for e in errors[:30]:
        print(e)
    if errors:
        print(f"{len(errors)} difference(s)")
        return 1
    n = len(expected["report"]["runs"])
    print(f"report and verdicts agree ({n} runs)")
    return 0


# ---------------------------------------------------------------------------------------------
# Adversarial inputs.

FAMILIES = {
    "dormancy": ["early_warning", "active_risk", "critical", "deep"],
    "value_tier": ["whale", "mid", "low"],
    "acquisition": ["paid", "organic", "owned", None],
    "risk_band": ["high", "medium", "low"],
}
WINBACK = [("pattern_interrupt", ["curiosity", "personal"]), ("recommendation", []),
           ("soft_incentive", []), ("social_proof", []), ("scarcity", []),
           ("winback_offer", ["discount", "credit", "bonus"]), ("final_nudge", [])]
WELCOME = [("welcome", []), ("refresher", [])]
OFFERS = {"soft_incentive": ["credit 10", "credit 20"], "scarcity": ["early_access"],
          "winback_offer": ["discount 15%", "discount 20%", "credit 25"]}
STATUSES = ["due", "due", "due", "stopped", "waiting", "capped", "exhausted", "responded",
            "no_channel"]


def make_plan():
    seqs = []
    for name, touches in (("welcome_back", WELCOME), ("winback", WINBACK)):
        seqs.append({"name": name, "touches": [
            {"number": i + 1, "name": t, "variants": v} for i, (t, v) in enumerate(touches)]})
    return {"sequences": seqs, "families": list(FAMILIES)}


def rules_text():
    """A rule file with the plan's sequences, touches and families (without variants, which the
    language cannot declare yet): what `rekindle measure RULES` reads."""
    return """import "customer.schema"
segment dormancy {
  early_warning when tier = 1
  active_risk when tier = 2
  critical when tier = 3
  otherwise deep
}
segment value_tier {
  whale when spend >= $250
  mid when spend >= $75
  otherwise low
}
segment acquisition {
  paid when tier = 1
  organic when tier = 2
  owned when tier = 3
}
segment risk_band {
  high when tier = 1
  medium when tier = 2
  otherwise low
}
candidate when tier > 0
sequence welcome_back {
  progress welcome_touch on welcome_touch_date
  wait 3 days
  channel email requires email_ok
  touch welcome via email
  touch refresher via email
}
sequence winback {
  progress last_touch on last_touch_date
  wait 7 days
  holdout 5% salt "winback"
  channel email requires email_ok
  channel sms requires email_ok
  touch pattern_interrupt via email
  touch recommendation via email
  touch soft_incentive via email offer credit 10
  touch social_proof via email
  touch scarcity via sms offer early_access
  touch winback_offer via email offer discount 20%
  touch final_nudge via email
}
"""


SCHEMA = """schema customer
field customer_id: string key
field spend: money
field tier: int
field last_touch: int
field last_touch_date: date?
field welcome_touch: int
field welcome_touch_date: date?
field email_ok: bool
"""


def generate(seed, out_dir, with_variants=True):
    rng = random.Random(seed)
    plan = make_plan()
    if not with_variants:
        for s in plan["sequences"]:
            for t in s["touches"]:
                t["variants"] = []
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, "plan.json"), "w") as f:
        json.dump(plan, f)
    with open(os.path.join(out_dir, "rules.rules"), "w") as f:
        f.write(rules_text())
    with open(os.path.join(out_dir, "customer.schema"), "w") as f:
        f.write(SCHEMA)
    # Customers: plain ids, and some with commas, quotes, spaces and non-ASCII text.
    n = rng.choice([300, 1500, 4000, 4000])
    customers = []
    for i in range(n):
        c = f"C{i:05d}"
        r = rng.random()
        if r < 0.02:
            c += ',"quoted"'
        elif r < 0.04:
            c += " Zoë ✓"
        elif r < 0.05:
            c = " " + c + " "
        customers.append(c)
    # Runs: as-of dates and holdout shares; run 2 spans two files.
    runs = [("2026-11-01/a1b2c3d4", dt.date(2026, 11, 1)),
            ("2026-11-08/a1b2c3d4", dt.date(2026, 11, 8)),
            ("2026-12-31/ffff0000", dt.date(2026, 12, 31))][: rng.choice([1, 2, 3])]
    share_winback = rng.choice([5, 5, 10, 50])
    # Planted effects: base reactivation rates per variant and for the control.
    base = rng.choice([0.05, 0.1, 0.3])
    effect = {"curiosity": 0.0, "personal": rng.choice([-0.08, 0.0, 0.15]),
              "discount": 0.03, "credit": rng.choice([-0.06, 0.0, 0.2]), "bonus": 0.0}
    events = {r[0]: [] for r in runs}
    facts = {}  # (run, customer, seq) -> (treated?, variant, as_of)

    def decision(seq_name, touches, cust, status):
        if status != "due":
            return {"touch": None, "step": None, "variant": None, "channel": None, "offer": None}
        # Touches with variants come up more often, so their arms can reach a verdict.
        t = rng.randrange(len(touches))
        if len(touches) > 5 and rng.random() < 0.7:
            t = rng.choice([0, 0, 5])
        name, variants = touches[t]
        variant = None
        if variants and with_variants:
            variant = variants[rng.randrange(len(variants))] if rng.random() < 0.97 else None
            if variant is None:
                variant = variants[0]
        offer = rng.choice(OFFERS.get(name, ["none"]))
        if rng.random() < 0.03:
            offer = None
        channel = "sms" if name == "scarcity" else rng.choice(["email", "email", "sms"])
        return {"touch": t + 1, "step": name, "variant": variant, "channel": channel,
                "offer": offer}

    for run_id, as_of in runs:
        for cust in customers:
            for seq_name, touches, share in (("welcome_back", WELCOME, 0),
                                             ("winback", WINBACK, share_winback)):
                if rng.random() < (0.3 if seq_name == "welcome_back" else 0.8):
                    continue_ = False
                else:
                    continue_ = True
                if continue_:
                    continue
                status = rng.choice(STATUSES)
                if share > 0 and status != "stopped" and rng.random() < share / 100:
                    status = "holdout"
                d = decision(seq_name, touches, cust, status)
                would_be = None
                if status == "holdout":
                    ws = rng.choice(["due", "due", "due", "capped", "waiting"])
                    would_be = dict(status=ws, **decision(seq_name, touches, cust, ws))
                cohort = {f: rng.choice(v) for f, v in FAMILIES.items()}
                cohort["churn_risk"] = rng.randrange(0, 100)
                e = {"run_id": run_id, "as_of": as_of.isoformat(), "customer_id": cust,
                     "sequence": seq_name, "status": status, **d,
                     "stopped_by": "opted_out" if status == "stopped" else None,
                     "review": rng.choice([[], ["discount"], ["high_value", "discount"]]),
                     "cohort": cohort, "holdout_share": share, "would_be": would_be}
                events[run_id].append(e)
                treated = status == "due"
                control = status == "holdout" and would_be["status"] == "due"
                variant = d["variant"] if treated else (would_be["variant"] if control else None)
                facts.setdefault((run_id, cust, seq_name), (treated or control, treated, variant,
                                                             as_of))
    # Repeated units: copies (with other content) later in the stream; the first read counts.
    all_events = [e for r in runs for e in events[r[0]]]
    repeats = []
    for e in rng.sample(all_events, min(25, len(all_events))):
        r = dict(e)
        r["status"] = "due" if e["status"] != "due" else "stopped"
        r.update({"touch": 1, "step": "welcome" if e["sequence"] == "welcome_back"
                  else "pattern_interrupt", "variant": None, "channel": "email",
                  "offer": "none"} if r["status"] == "due" else
                 {"touch": None, "step": None, "variant": None, "channel": None, "offer": None})
        if r["status"] == "due" and e["sequence"] == "winback" and with_variants:
            r["variant"] = "curiosity"
        r["would_be"] = None
        repeats.append(r)
    # Files: run 1 in file 1; run 2 split over files 1 and 2; run 3 and the repeats in file 2.
    files = [[], []]
    for i, (run_id, _) in enumerate(runs):
        evs = events[run_id]
        if i == 0:
            files[0] += evs
        elif i == 1:
            half = len(evs) // 2
            files[0] += evs[:half]
            files[1] += evs[half:]
        else:
            files[1] += evs
    files[1] += repeats
    for k, evs in enumerate(files):
        with open(os.path.join(out_dir, f"events_{k + 1}.jsonl"), "w", encoding="utf-8") as f:
            for e in evs:
                f.write(render_event(rng, e) + "\n")
                if rng.random() < 0.01:
                    f.write("\n")  # blank lines are skipped
    # Outcomes.
    rows = []
    for (run_id, cust, seq_name), (measured, treated, variant, as_of) in facts.items():
        p = base
        if treated:
            p += 0.04 + effect.get(variant, 0.0)
        if rng.random() < p:
            # A purchase in the window, on the boundaries now and then.
            day = rng.choice([1, 30, 7, 8, rng.randint(1, 30), rng.randint(1, 30)])
            date = as_of + dt.timedelta(days=day)
            rows.append((cust, date, "purchase", money(rng), money(rng) if rng.random() < 0.4
                         else ""))
            if rng.random() < 0.3:
                rows.append((cust, date, "purchase", money(rng), ""))  # same day
            if rng.random() < 0.4:
                later = date + dt.timedelta(days=rng.choice([1, 45, 89, 90, 120]))
                rows.append((cust, later, "purchase", money(rng), ""))
        if rng.random() < 0.05:
            rows.append((cust, as_of, "purchase", money(rng), ""))  # on the as-of date: out
        if rng.random() < 0.05:
            rows.append((cust, as_of + dt.timedelta(days=31), "purchase", money(rng), ""))
        if rng.random() < 0.05:
            rows.append((cust, as_of - dt.timedelta(days=3), "purchase", money(rng), ""))
        if rng.random() < 0.03:
            rows.append((cust, as_of + dt.timedelta(days=rng.randint(1, 40)), "unsubscribe", "",
                         ""))
        if rng.random() < 0.02:
            rows.append((cust, as_of + dt.timedelta(days=rng.randint(0, 31)), "complaint", "", ""))
    for i in range(30):  # customers without events: ignored
        rows.append((f"X{i}", runs[0][1] + dt.timedelta(days=3), "purchase", money(rng), ""))
    rng.shuffle(rows)
    with open(os.path.join(out_dir, "outcomes.csv"), "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["customer_id", "date", "kind", "revenue", "incentive_cost"])
        for cust, date, kind, rev, cost in rows:
            w.writerow([cust, date.isoformat(), kind, rev, cost])


def money(rng):
    return rng.choice(["19.99", "84.50", "250.00", "0.01", "1234.56", str(rng.randint(1, 500)),
                       f"{rng.uniform(1, 300):.2f}", "1e2"])


def render_event(rng, e):
    """JSON with free key order, spacing and escapes."""
    keys = list(e)
    if rng.random() < 0.3:
        rng.shuffle(keys)
    obj = {k: e[k] for k in keys}
    style = rng.random()
    if style < 0.6:
        text = json.dumps(obj, separators=(",", ":"), ensure_ascii=False)
    elif style < 0.85:
        text = json.dumps(obj, ensure_ascii=True)  # \u escapes for non-ASCII
    else:
        text = json.dumps(obj, indent=None, separators=(" ,  ", " : "))
    if rng.random() < 0.05:
        text = text.replace('"status"', '"\\u0073tatus"', 1)  # an escaped key
    if rng.random() < 0.05:
        text = text.replace('"due"', '"d\\u0075e"')  # an escaped value
    return text


# ---------------------------------------------------------------------------------------------

def main(argv):
    if len(argv) >= 3 and argv[1] == "generate":
        generate(int(argv[2]), argv[3], with_variants=(len(argv) < 5 or argv[4] != "novariants"))
        return 0
    if len(argv) == 5 and argv[1] == "report":
        d = argv[2]
        with open(os.path.join(d, "plan.json")) as f:
            plan = json.load(f)
        files = sorted(glob.glob(os.path.join(d, "events_*.jsonl")))
        print(json.dumps(report(plan, files, os.path.join(d, "outcomes.csv"), int(argv[3]),
                                int(argv[4]))))
        return 0
    if len(argv) == 5 and argv[1] == "compare":
        return compare(argv[2], argv[3], argv[4])
    print(__doc__ or "usage: see the header of this file", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
