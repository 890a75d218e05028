#!/usr/bin/env bash
# Rekindle end-to-end test: spec winback-program.md section 8 and its settled readings (section 9),
# sentence by sentence, on hand-made events and outcomes: the window's edges (an outcome on the
# as-of date does not count, as-of + window does), a repeated unit counted once (the first read),
# outcomes of customers without events ignored, missing revenue and cost as 0, the LTV through
# d0 + 89 days (past the window), the median of an even count, a holdout whose would_be is not due
# (not control, but held out in the sample-ratio check), stopped units out of that check, a group
# seen in one arm only, a null variant left out, runs in order of first appearance, sequences only
# where they have events, an empty sequence, pooled units keeping their own as-of; then verdicts
# at the --min-sample edge and --window; then the program's events of two generated snapshots with
# generated outcomes (CSV and Arrow). Every figure is recomputed here by a few lines of Python
# written from the spec (no oracle of ours is called) and a few are also written out by hand.
# The audit that lists which sentence each check pins: docs/spec_audit.md.
set -euo pipefail
REKINDLE=$(realpath "$1")
SRC=$(cd "$(dirname "$0")/../.." && pwd)
RULES="$SRC/rules/program.rules"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

cat > "$TMP/mgen.py" <<'PY'
# Hand-made events and outcomes for `rekindle measure` (spec winback-program.md section 8).
import json, sys
out = sys.argv[1]
N = None
FAM = ["dormancy", "value_tier", "margin", "history", "engagement", "affinity", "acquisition",
       "risk_band"]
def cohort(dormancy="deep"):
    return dict(dormancy=dormancy, value_tier="mid", margin="low_margin", history="repeat",
                engagement="dark", affinity="fashion", acquisition="owned", risk_band="low",
                churn_risk=30)
def ev(run, asof, cid, seq, status, t=N, s=N, v=N, ch=N, o=N, wb=N, dorm="deep", stop=N):
    return {"run_id": run, "as_of": asof, "customer_id": cid, "sequence": seq, "status": status,
            "touch": t, "step": s, "variant": v, "channel": ch, "offer": o, "stopped_by": stop,
            "review": [], "cohort": cohort(dorm), "holdout_share": 5 if seq == "winback" else 0,
            "would_be": wb}
def wb(t, s, v, ch, o):
    return dict(status="due", touch=t, step=s, variant=v, channel=ch, offer=o)
A1, A2 = "2026-11-02", "2026-11-09"
W = "winback"
PI, WO, SI = (1, "pattern_interrupt"), (6, "winback_offer"), (3, "soft_incentive")
r1 = [
  ev("r1", A1, "T1", W, "due", *PI, "curiosity", "email", "none", dorm="critical"),
  ev("r1", A1, "T2", W, "due", *PI, "personal", "email", "none"),
  ev("r1", A1, "T3", W, "due", *PI, "curiosity", "sms", "none"),
  ev("r1", A1, "T4", W, "due", *PI, "personal", "email", "none"),
  ev("r1", A1, "T5", W, "due", *WO, "discount", "email", "discount 20%"),
  ev("r1", A1, "T6", W, "due", *WO, "credit", "email", "credit 25"),
  ev("r1", A1, "T7", W, "due", *SI, N, "email", "credit 10"),
  ev("r1", A1, "H1", W, "holdout", wb=wb(*PI, "curiosity", "email", "none")),
  ev("r1", A1, "H2", W, "holdout", wb=wb(*WO, "discount", "email", "discount 15%")),
  ev("r1", A1, "H3", W, "holdout", wb=dict(status="capped", touch=N, step=N, variant=N,
                                           channel=N, offer=N)),
  ev("r1", A1, "H4", W, "holdout", wb=wb(*PI, "personal", "sms", "none")),
  ev("r1", A1, "S1", W, "stopped", stop="opted_out"),
  ev("r1", A1, "W1", W, "waiting"),
  # a repeated (run, customer, sequence): the first read counts
  ev("r1", A1, "T1", W, "holdout", wb=wb(*PI, "curiosity", "email", "none")),
  ev("r1", A1, "B1", "welcome_back", "due", 1, "welcome", N, "email", "none"),
]
r2 = [
  ev("r2", A2, "T1", W, "due", 2, "recommendation", N, "email", "none"),
  ev("r2", A2, "G1", W, "due", *PI, "curiosity", "email", "none"),
  ev("r2", A2, "H5", W, "holdout", wb=wb(*PI, "curiosity", "email", "none")),
]
with open(f"{out}/ev1.jsonl", "w") as f:
    for e in r1: f.write(json.dumps(e) + "\n")
with open(f"{out}/ev2.jsonl", "w") as f:
    for e in r2: f.write(json.dumps(e) + "\n")
OUT = [  # customer, date, kind, revenue, incentive_cost
  ("T1", "2026-11-02", "purchase", "1000", "100"),   # on the as-of date: not counted
  ("T1", "2026-11-03", "purchase", "100", "5"),
  ("T1", "2027-01-31", "purchase", "50", ""),        # d0 + 89: in the LTV only
  ("T1", "2027-02-01", "purchase", "7", ""),         # d0 + 90: nowhere
  ("T2", "2026-12-02", "purchase", "40", ""),        # as-of + 30: counted
  ("T3", "2026-11-05", "unsubscribe", "", ""),
  ("T4", "2026-12-03", "purchase", "30", "3"),       # as-of + 31: not counted
  ("T4", "2026-11-10", "complaint", "", ""),
  ("T5", "2026-11-12", "purchase", "80", "16"),
  ("H1", "2026-11-04", "purchase", "60", "3"),
  ("H3", "2026-11-04", "purchase", "500", ""),
  ("B1", "2026-11-20", "purchase", "", ""),           # revenue missing: 0
  ("G1", "2026-11-10", "purchase", "20.50", "1.25"),
  ("ZZ", "2026-11-05", "purchase", "999", "9"),      # no events: ignored
]
with open(f"{out}/outcomes.csv", "w") as f:
    f.write("customer_id,date,kind,revenue,incentive_cost\n")
    for r in OUT: f.write(",".join(r) + "\n")
# A third run for the verdicts: personal loses against curiosity, credit wins against discount.
A3 = "2026-10-01"
with open(f"{out}/ev3.jsonl", "w") as f, open(f"{out}/outcomes3.csv", "w") as g:
    g.write("customer_id,date,kind,revenue,incentive_cost\n")
    for (t, s), arms in ((PI, (("curiosity", 100), ("personal", 20))),
                         (WO, (("discount", 20), ("credit", 100)))):
        for v, react in arms:
            for i in range(200):
                cid = f"V{t}{v[:2]}{i:03d}"
                f.write(json.dumps(ev("r3", A3, cid, W, "due", t, s, v, "email", "none")) + "\n")
                if i < react:
                    g.write(f"{cid},2026-10-0{2 + i % 7},purchase,10,\n")
PY

cat > "$TMP/mcheck.py" <<'PY'
# My reading of spec section 8, in a few lines, over the hand-made events; compares the report.
import csv, json, math, sys, datetime as dt
rules_fams = ["dormancy", "value_tier", "margin", "history", "engagement", "affinity",
              "acquisition", "risk_band"]
SEQS = ["welcome_back", "winback"]
Z = 1.959963984540054
evf, outf, repf = sys.argv[1].split(","), sys.argv[2], sys.argv[3]
window = int(sys.argv[4]) if len(sys.argv) > 4 else 30
D = dt.date.fromisoformat
outs = {}
for row in csv.DictReader(open(outf, newline="", encoding="utf-8")):
    outs.setdefault(row["customer_id"], []).append(
        (D(row["date"]), row["kind"], float(row["revenue"] or 0), float(row["incentive_cost"] or 0)))
units, seen, runs = [], set(), []
for f in evf:
    for line in open(f):
        e = json.loads(line)
        k = (e["run_id"], e["customer_id"], e["sequence"])
        if k in seen: continue
        seen.add(k); units.append(e)
        if e["run_id"] not in runs: runs.append(e["run_id"])
def facts(u):
    a = D(u["as_of"]); o = outs.get(u["customer_id"], [])
    inw = [x for x in o if a < x[0] <= a + dt.timedelta(days=window)]
    p = sorted(x for x in inw if x[1] == "purchase")
    f = dict(react=bool(p), rev=sum(x[2] for x in p), cost=sum(x[3] for x in p),
             unsub=any(x[1] == "unsubscribe" for x in inw),
             compl=any(x[1] == "complaint" for x in inw))
    if p:
        d0 = p[0][0]; f["days"] = (d0 - a).days
        f["ltv"] = sum(x[2] for x in o if x[1] == "purchase" and d0 <= x[0] <= d0 + dt.timedelta(89))
    return f
def metrics(t, c):
    nt, nc = len(t), len(c)
    xt = sum(f["react"] for f in t); xc = sum(f["react"] for f in c)
    rt = xt / nt if nt else None; rc = xc / nc if nc else None
    m = dict(treated=nt, control=nc, reactivated_treated=xt, reactivated_control=xc,
             rate_treated=rt, rate_control=rc,
             revenue_per_treated=sum(f["rev"] for f in t) / nt if nt else None,
             revenue_per_control=sum(f["rev"] for f in c) / nc if nc else None,
             incentive_cost=sum(f["cost"] for f in t))
    for k, n, g in (("unsubscribe", "unsub", 0), ("complaint", "compl", 0)):
        m[k + "_rate_treated"] = sum(f[n] for f in t) / nt if nt else None
        m[k + "_rate_control"] = sum(f[n] for f in c) / nc if nc else None
    m.update(lift=None, lift_ci95=None, relative_lift=None, p_value=None,
             incremental_reactivations=None, incremental_revenue=None, incentive_efficiency=None)
    if nt and nc:
        l = rt - rc; h = Z * math.sqrt(rt * (1 - rt) / nt + rc * (1 - rc) / nc)
        p = (xt + xc) / (nt + nc); se = math.sqrt(p * (1 - p) * (1 / nt + 1 / nc))
        ir = (m["revenue_per_treated"] - m["revenue_per_control"]) * nt
        m.update(lift=l, lift_ci95=[l - h, l + h], relative_lift=l / rc if rc else None,
                 p_value=math.erfc(abs(l / se) / math.sqrt(2)) if se else None,
                 incremental_reactivations=l * nt, incremental_revenue=ir,
                 incentive_efficiency=ir / m["incentive_cost"] if m["incentive_cost"] else None)
    r = [f for f in t if f["react"]]
    ds = sorted(f["days"] for f in r); n = len(ds)
    m["median_days_to_reactivate"] = (None if not n else
                                      (ds[n // 2] if n % 2 else (ds[n // 2 - 1] + ds[n // 2]) / 2))
    m["reactivated_ltv_90d"] = sum(f["ltv"] for f in r) / n if n else None
    return m
def seq_report(us, seq):
    us = [u for u in us if u["sequence"] == seq]
    share = us[0]["holdout_share"]
    arm = []
    for u in us:
        if u["status"] == "due": arm.append(("t", u, u))
        elif u["status"] == "holdout" and u["would_be"] and u["would_be"]["status"] == "due":
            arm.append(("c", u, u["would_be"]))
    F = {id(u): facts(u) for u in us}
    def grp(sel):
        return metrics([F[id(u)] for a, u, v in sel if a == "t"],
                       [F[id(u)] for a, u, v in sel if a == "c"])
    by = {}
    for k in ["touch", "step", "channel", "offer", "variant"] + rules_fams:
        g = {}
        for a, u, v in arm:
            val = u["cohort"][k] if k in rules_fams else v[k]
            if val is not None: g.setdefault(str(val), []).append((a, u, v))
        by[k] = {kk: grp(vv) for kk, vv in g.items()}
    srm = None
    if share:
        n = sum(u["status"] != "stopped" for u in us); h = sum(u["status"] == "holdout" for u in us)
        p = share / 100
        if n:
            chi = (h - n * p) ** 2 / (n * p) + ((n - h) - n * (1 - p)) ** 2 / (n * (1 - p))
            pv = math.erfc(math.sqrt(chi / 2))
        else:
            pv = None
        srm = dict(units=n, held_out=h, expected_share=p, p_value=pv,
                   mismatch=pv is not None and pv < 0.001)
    variants = []
    VAR = {(1, "pattern_interrupt"): ["curiosity", "personal"],
           (6, "winback_offer"): ["discount", "credit"]} if seq == "winback" else {}
    for (t, s), vs in VAR.items():
        tv = {v: [F[id(u)] for a, u, w in arm if a == "t" and w["touch"] == t and w["variant"] == v]
              for v in vs}
        if not sum(map(len, tv.values())): continue
        for v in vs[1:]:
            m = metrics(tv[v], tv[vs[0]])
            ok = m["p_value"] is not None and m["p_value"] < 0.05 and min(len(tv[v]), len(tv[vs[0]])) >= MIN
            verdict = "undecided" if not ok or m["lift"] == 0 else ("losing" if m["lift"] < 0 else "winning")
            variants.append(dict(touch=t, step=s, variant=v, control=vs[0], treated=len(tv[v]),
                                 control_treated=len(tv[vs[0]]), lift=m["lift"],
                                 p_value=m["p_value"], verdict=verdict))
    return dict(sequence=seq, holdout_share=share, srm=srm, overall=grp(arm), by=by,
                variants=variants)
MIN = int(sys.argv[5]) if len(sys.argv) > 5 else 100
def run_report(us, rid, asof):
    return dict(run_id=rid, as_of=asof,
                sequences=[seq_report(us, s) for s in SEQS if any(u["sequence"] == s for u in us)])
exp = dict(window_days=window,
           runs=[run_report([u for u in units if u["run_id"] == r], r,
                            next(u["as_of"] for u in units if u["run_id"] == r)) for r in runs],
           pooled=run_report(units, "pooled", None))
got = json.load(open(repf))
def cmp(g, x, path):
    num = lambda v: isinstance(v, (int, float)) and not isinstance(v, bool)
    if num(x) and num(g):
        assert math.isclose(g, x, rel_tol=1e-9, abs_tol=1e-12), (path, g, x)
    elif isinstance(x, dict):
        assert isinstance(g, dict) and set(g) == set(x), (path, sorted(g), sorted(x))
        for k in x: cmp(g[k], x[k], f"{path}.{k}")
    elif isinstance(x, list):
        assert isinstance(g, list) and len(g) == len(x), (path, g, x)
        for i, (a, b) in enumerate(zip(g, x)): cmp(a, b, f"{path}[{i}]")
    else:
        assert g == x and type(g) == type(x), (path, g, x)
cmp(got, exp, "report")
paused = set()
for s in exp["pooled"]["sequences"]:
    for v in s["variants"]:
        if v["verdict"] == "losing": paused.add(f"{s['sequence']}.{v['step']}.{v['variant']}")
        if v["verdict"] == "winning": paused.add(f"{s['sequence']}.{v['step']}.{v['control']}")
if len(sys.argv) > 6:
    got_p = json.load(open(sys.argv[6]))["paused"]
    assert len(got_p) == len(set(got_p)) and set(got_p) == paused, (got_p, paused)
print("ok", sorted(paused))
PY
python3 "$TMP/mgen.py" "$TMP"
cd "$TMP"
cat > ev4.jsonl <<'JSON'
{"run_id": "r4", "as_of": "2026-11-02", "customer_id": "S9", "sequence": "winback", "status": "stopped", "touch": null, "step": null, "variant": null, "channel": null, "offer": null, "stopped_by": "opted_out", "review": [], "cohort": {"dormancy": "deep", "value_tier": "mid", "margin": "low_margin", "history": "repeat", "engagement": "dark", "affinity": "fashion", "acquisition": "owned", "risk_band": "low", "churn_risk": 30}, "holdout_share": 5, "would_be": null}
JSON
measure() { "$REKINDLE" measure "$RULES" --quiet "$@"; }

# Runs r1 and r2; then r2 first (runs in order of first appearance); an empty run r4 (0 units).
measure --events ev1.jsonl ev2.jsonl --outcomes outcomes.csv --out rep.json --verdicts ver.json
python3 mcheck.py ev1.jsonl,ev2.jsonl outcomes.csv rep.json 30 100 ver.json
measure --events ev2.jsonl ev4.jsonl ev1.jsonl --outcomes outcomes.csv --out rep2.json
python3 mcheck.py ev2.jsonl,ev4.jsonl,ev1.jsonl outcomes.csv rep2.json 30
# The same file twice: every unit repeated, the first read counts, nothing changes.
measure --events ev1.jsonl ev2.jsonl ev1.jsonl --outcomes outcomes.csv --out rep_twice.json
python3 mcheck.py ev1.jsonl,ev2.jsonl outcomes.csv rep_twice.json 30
# Revenue and incentive cost count from purchases only (an unsubscribe or complaint row that
# carries money adds none).
cp outcomes.csv outs.csv
printf 'T3,2026-11-06,unsubscribe,500,50\nT4,2026-11-11,complaint,70,7\n' >> outs.csv
measure --events ev1.jsonl --outcomes outs.csv --out rep_kinds.json
python3 mcheck.py ev1.jsonl outs.csv rep_kinds.json 30
# A longer window takes T4's purchase on as-of + 31 in; a one-day window only day-1 purchases.
for w in 31 1; do
  measure --events ev1.jsonl ev2.jsonl --outcomes outcomes.csv --out rep_w$w.json --window $w
  python3 mcheck.py ev1.jsonl,ev2.jsonl outcomes.csv rep_w$w.json $w
done

# A few figures written out by hand, so that the few lines above are checked too.
python3 - rep.json rep2.json <<'PY'
import json, math, sys
r, r2 = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
assert [x["run_id"] for x in r["runs"]] == ["r1", "r2"] and r["window_days"] == 30
assert [x["run_id"] for x in r2["runs"]] == ["r2", "r4", "r1"]
assert r["pooled"]["run_id"] == "pooled" and r["pooled"]["as_of"] is None
r1 = r["runs"][0]
assert [s["sequence"] for s in r1["sequences"]] == ["welcome_back", "winback"]
assert [s["sequence"] for s in r["runs"][1]["sequences"]] == ["winback"]
wb = r1["sequences"][1]
o = wb["overall"]
# treated T1..T7 (T1's repeat is not a control), control H1 H2 H4 (H3's would_be is capped)
assert (o["treated"], o["control"], o["reactivated_treated"], o["reactivated_control"]) == (7, 3, 3, 1)
close = lambda a, b: math.isclose(a, b, rel_tol=1e-9)
assert close(o["lift"], 3 / 7 - 1 / 3) and close(o["relative_lift"], (3 / 7 - 1 / 3) * 3)
assert close(o["revenue_per_treated"], 220 / 7) and close(o["revenue_per_control"], 20)
assert close(o["incremental_revenue"], 80) and close(o["incentive_cost"], 21)
assert close(o["incentive_efficiency"], 80 / 21)
assert o["median_days_to_reactivate"] == 10 and o["reactivated_ltv_90d"] == 90  # (150+40+80)/3
assert close(o["unsubscribe_rate_treated"], 1 / 7) and close(o["complaint_rate_treated"], 1 / 7)
assert o["unsubscribe_rate_control"] == 0 and o["complaint_rate_control"] == 0
t1 = wb["by"]["touch"]["1"]
assert t1["median_days_to_reactivate"] == 15.5  # days 1 and 30
assert wb["srm"] == dict(units=12, held_out=4, expected_share=0.05, mismatch=True,
                         p_value=wb["srm"]["p_value"])
assert close(wb["srm"]["p_value"], math.erfc(math.sqrt((3.4**2 / 0.6 + 3.4**2 / 11.4) / 2)))
assert r1["sequences"][0]["srm"] is None and r1["sequences"][0]["holdout_share"] == 0
credit = wb["by"]["variant"]["credit"]  # treated only
assert credit["control"] == 0 and credit["rate_control"] is None and credit["lift"] is None
assert credit["lift_ci95"] is None and credit["p_value"] is None
d15 = wb["by"]["offer"]["discount 15%"]  # control only
assert d15["treated"] == 0 and d15["incentive_cost"] == 0 and d15["rate_treated"] is None
assert d15["median_days_to_reactivate"] is None and d15["reactivated_ltv_90d"] is None
assert set(wb["by"]["variant"]) == {"curiosity", "personal", "discount", "credit"}  # T7: no variant
assert set(wb["by"]) == {"touch", "step", "channel", "offer", "variant", "dormancy", "value_tier",
                         "margin", "history", "engagement", "affinity", "acquisition", "risk_band"}
assert set(wb["by"]["dormancy"]) == {"deep", "critical"}
assert [v["variant"] for v in r["runs"][1]["sequences"][0]["variants"]] == ["personal"]
e = r2["runs"][1]["sequences"][0]
assert e["srm"] == dict(units=0, held_out=0, expected_share=0.05, p_value=None, mismatch=False)
assert e["overall"]["treated"] == 0 and e["overall"]["incentive_cost"] == 0 and e["variants"] == []
PY

# Verdicts from the pooled figures: personal loses to curiosity, credit wins against discount
# (so discount, the first, is paused); both arms need at least --min-sample units (202 each in
# the pooled pattern_interrupt, 201 in winback_offer).
for ms in 100 201 202 203; do
  measure --events ev1.jsonl ev3.jsonl --outcomes outcomes3.csv --out rep3.json \
    --verdicts ver3.json --min-sample $ms
  python3 mcheck.py ev1.jsonl,ev3.jsonl outcomes3.csv rep3.json 30 $ms ver3.json
  python3 - ver3.json $ms <<'PY'
import json, sys
paused = set(json.load(open(sys.argv[1]))["paused"])
want = {"100": {"winback.pattern_interrupt.personal", "winback.winback_offer.discount"},
        "201": {"winback.pattern_interrupt.personal", "winback.winback_offer.discount"},
        "202": {"winback.pattern_interrupt.personal"}, "203": set()}[sys.argv[2]]
assert paused == want, (sys.argv[2], paused)
PY
done
# Unseen-like inputs: the program's events from two generated snapshots (one run id given, one
# default) and generated outcomes with planted effects, measured and recomputed by the same few
# lines; the Arrow outcomes give the same report.
"$REKINDLE" gen --program --rows 12000 --seed 3 --as-of 2026-11-01 --out g1.csv -q
"$REKINDLE" gen --program --rows 12000 --seed 4 --as-of 2026-11-08 --out g2.csv -q
"$REKINDLE" eval "$RULES" --snapshot g1.csv --as-of 2026-11-01 --out g1.out.csv \
  --events g1.jsonl --run-id n1 --quiet
"$REKINDLE" eval "$RULES" --snapshot g2.csv --as-of 2026-11-08 --out g2.out.csv \
  --events g2.jsonl --quiet
for ext in csv arrow; do
  "$REKINDLE" gen --outcomes-for g1.jsonl g2.jsonl --seed 9 --lift 0.05 --window 40 \
    --variant-lift winback.winback_offer.credit=0.2 --variant-lift personal=-0.05 \
    --out "go.$ext" -q
done
measure --events g2.jsonl g1.jsonl --outcomes go.csv --out gr.json --verdicts gv.json --min-sample 50
python3 mcheck.py g2.jsonl,g1.jsonl go.csv gr.json 30 50 gv.json
measure --events g2.jsonl g1.jsonl --outcomes go.arrow --out gr_arrow.json --min-sample 50
cmp gr.json gr_arrow.json
measure --events g1.jsonl g2.jsonl --outcomes go.csv --out gr45.json --verdicts gv45.json --window 45
python3 mcheck.py g1.jsonl,g2.jsonl go.csv gr45.json 45 100 gv45.json
echo "spec audit (measure): ok"
