#!/usr/bin/env python3
# Rekindle tests: the hand-off files (shared/spec/winback-program.md section 7, with section 9's
# readings) of the playbook (rules/winback.rules), written from the independent playbook oracle
# (winback_oracle.py, no Rekindle code). The playbook has no templates, owner, send times,
# variants, score or address fields, so drafts carry `subject`, `body`, `send_at`, `variant`,
# `to` and `owner` null, and the review queue's owner and subject are empty (docs/handoff.md).
# `would_be` is the oracle's decision for the same customer with the holdout switched off.
#
#   playbook_handoff.py SNAPSHOT.csv AS_OF RUN_ID DRAFTS.jsonl QUEUE.csv EVENTS.jsonl
# Compare with program_oracle.py compare (JSON lines as values, CSV row for row).
import csv
import datetime as dt
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import winback_oracle as wo  # noqa: E402

FAMILIES = ["dormancy", "value_tier", "margin", "history", "engagement", "affinity",
            "acquisition"]
REASONS = {"sensitive_history": "Delicate history with this customer",
           "high_value": "High-value customer", "discount": "Discount offers need approval"}
QUEUE_COLUMNS = ["owner", "customer_id", "sequence", "touch", "step", "channel", "offer",
                 "rules", "reasons", "subject"]


def decide(row, as_of, holdout):
    """The oracle's result row as a dict; without holdout when `holdout` is False."""
    real = wo.fnv1a64
    if not holdout:
        wo.fnv1a64 = lambda data: 99  # bucket 99: never in the 5% holdout
    try:
        return dict(zip(wo.OUTPUT, wo.evaluate(row, as_of)))
    finally:
        wo.fnv1a64 = real


def decision(r):
    due = r["winback_status"] == "due"
    return {"status": r["winback_status"],
            "touch": int(r["winback_touch"]) if due else None,
            "step": r["winback_step"] if due else None, "variant": None,
            "channel": r["winback_channel"] if due else None,
            "offer": r["winback_offer"] if due else None}


def csv_field(s):
    return '"' + s.replace('"', '""') + '"' if any(c in s for c in ',"\r\n') else s


def main(argv):
    snap, as_of_text, run_id, drafts_path, queue_path, events_path = argv
    as_of = dt.date.fromisoformat(as_of_text)
    drafts, queue, events = [], [], []
    with open(snap, newline="", encoding="utf-8-sig") as f:
        for row in csv.DictReader(f):
            r = decide(row, as_of, True)
            review = r["review"].split(";") if r["review"] else []
            d = decision(r)
            if d["status"] == "due":
                drafts.append({
                    "customer_id": r["customer_id"], "sequence": "winback", "touch": d["touch"],
                    "step": d["step"], "variant": None, "channel": d["channel"], "to": None,
                    "send_at": None, "offer": d["offer"], "subject": None, "body": None,
                    "review": review, "owner": None,
                    "key": f"winback/{d['step']}/{r['customer_id']}"})
            if review:
                queue.append(["", r["customer_id"], "winback", str(d["touch"]), d["step"],
                              d["channel"], d["offer"], ";".join(review),
                              "; ".join(REASONS[n] for n in review), ""])
            if d["status"] != "not_candidate":
                e = {"run_id": run_id, "as_of": as_of_text, "customer_id": r["customer_id"],
                     "sequence": "winback"}
                e.update(d)
                e.update({"stopped_by": r["stopped_by"] or None, "review": review,
                          "cohort": {fam: r[fam] for fam in FAMILIES}, "holdout_share": 5,
                          "would_be": decision(decide(row, as_of, False))
                          if d["status"] == "holdout" else None})
                events.append(e)
    # Every owner is empty, so the queue's order is the snapshot's (a stable sort by owner).
    queue.sort(key=lambda q: q[0])
    with open(drafts_path, "w", encoding="utf-8") as f:
        f.writelines(json.dumps(d, ensure_ascii=False) + "\n" for d in drafts)
    with open(events_path, "w", encoding="utf-8") as f:
        f.writelines(json.dumps(e, ensure_ascii=False) + "\n" for e in events)
    with open(queue_path, "w", encoding="utf-8", newline="") as f:
        f.write(",".join(QUEUE_COLUMNS) + "\n")
        f.writelines(",".join(csv_field(v) for v in q) + "\n" for q in queue)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
