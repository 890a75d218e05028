#!/usr/bin/env python3
# Rekindle tests: an independent oracle of the full win-back program, written straight from
# shared/spec/winback-program.md (and winback-playbook.md, which it builds on) in plain Python 3
# standard library: no Rekindle code, no third-party packages; time zones through `zoneinfo` over
# the system's tz database (/usr/share/zoneinfo). It is what proves `rekindle eval
# rules/program.rules` (result, drafts, review queue, events) and `rekindle measure` right.
#
#   program_oracle.py eval SNAPSHOT.csv AS_OF --out R.csv [--drafts D.jsonl]
#       [--review-queue Q.csv] [--events E.jsonl] [--experiments FILE] [--run-id ID]
#       [--rules-hash HEX]
#   program_oracle.py measure --events E1.jsonl [E2.jsonl ...] --outcomes O.csv
#       --plan PLAN.json|program [--window 30] [--min-sample 100] --out REPORT.json
#       [--verdicts V.json]
#   program_oracle.py generate ROWS SEED AS_OF [--inject KIND] > snapshot.csv
#   program_oracle.py generate-events CUSTOMERS SEED AS_OF [--runs N] ... > events.jsonl
#   program_oracle.py generate-outcomes SEED EVENTS.jsonl [...] [--lift X] ... > outcomes.csv
#   program_oracle.py corner-dates            (the as-of dates that matter, one a line)
#   program_oracle.py scan-gaps FROM TO       (zones and days where 09:00/11:00 is a gap/fold)
#   program_oracle.py compare EXPECTED ACTUAL  (CSV row by row; JSON / JSON lines as values)
#   program_oracle.py selftest
#
# Every spec reading this file makes where the spec (section 9 included) leaves a choice is listed
# below as Q (the question) / R (the reading taken here). They are also in tests/oracle/README.md.
#
# Evaluation
#  Q1 Events' `review`: a JSON list of rule names, or the result's `;`-joined string?
#     R: a list of names (like the drafts' `review`), in rule order; [] when no rule fired.
#  Q2 A local 09:00/11:00 that falls in a fold (an hour that occurs twice): which offset?
#     R: the earlier offset too (the one before the transition: the first occurrence), as for a
#     gap. (No real zone has a fold at 09:00 or 11:00 in 1990-2040: `scan-gaps 1990 2040`.)
#  Q3 The spec says 09:00 and 11:00 never fall in a gap for real zones: not quite. Whole days
#     skipped across the date line are gaps: Pacific/Apia and Pacific/Fakaofo 2011-12-30,
#     Pacific/Kiritimati, Pacific/Kanton (Enderbury) 1994-12-31, Kwajalein 1993-08-21 (a scan of
#     every zone at 09:00 and 11:00: `scan-gaps 1990 2040`). R: the earlier offset applies
#     as written (Apia 2011-12-30 09:00 at -10:00 = 2011-12-30T19:00:00Z): NOT the date library's
#     choose::earliest (which gives the instant the gap ends).
#  Q4 Which names are "a zone of the system's time-zone database"? R: the names Python's
#     zoneinfo.available_timezones() lists over /usr/share/zoneinfo (backward links such as
#     US/Eastern and Asia/Calcutta included; posix/..., right/... and posixrules excluded), except
#     `localtime` (a Debian symlink to the machine's setting, not a zone). `Factory` is accepted
#     (it is a zone of tzdata); the generator never writes it, nor `localtime`.
#  Q5 A negative contacts_30d is not named as a data error. R: not an error (it is below 4, so
#     that cap does not bind); the generator never writes one.
#  Q6 last_touch / welcome_touch / contacts_30d up to the int64 maximum: R: last_touch above 7 is
#     exhausted even at 9223372036854775807 (no overflow to "missing"); the generator writes it.
#  Q7 Which data error is reported when a snapshot has several? R: the first in row order (a
#     duplicate key is reported at its second row); only the exit status and the row/column named
#     are meant to be compared.
#  Q8 A template value of type money/percent/number that is negative or not exact to the cent
#     (none of the program's templates uses one): R: money `$` + the CSV writer's text
#     (`$84.50`, `$-5.00`, `$0.125`), percent and number as the CSV writer writes them (`0.35`).
#  Q9 The review queue / drafts when two sequences had a touch due: cannot happen (cap 1), so
#     one review-queue row per customer comes from their single due touch.
#  Q10 The default run_id needs the rule set's hash, which the oracle cannot compute: R: the
#     oracle takes it as --rules-hash (16 lowercase hex digits as `rekindle eval` prints them);
#     one of --run-id / --rules-hash is required when --events is asked for.
#  Q11 An --experiments entry is split at `.` into exactly SEQUENCE.TOUCH.VARIANT; anything else
#     (2 or 4 parts, an unknown sequence/touch/variant, a touch without variants) is an error.
#     Keys other than `paused` are ignored (a verdicts file carries more).
#
# Measurement
#  Q12 "All null when an arm is empty ... and the empty arm's rates": R: the empty arm's
#     rate_*, unsubscribe_rate_* and complaint_rate_* and revenue_per_* are null; the other arm's
#     are computed. median_days_to_reactivate and reactivated_ltv_90d only need treated units.
#  Q13 Which holdout_share does a sequence report (per run, pooled) if its events disagree?
#     R: the first read event's of that sequence (in that run; over all runs for pooled).
#  Q14 srm counts: R: every unit (first read) of the sequence whose status is not `stopped`
#     (events carry no `not_candidate`), held_out those with status `holdout`; chi-square
#     (o1-e1)^2/e1 + (o2-e2)^2/e2 with e1 = units x share, e2 = units x (1 - share).
#  Q15 Numbers: plain IEEE double arithmetic in the order the formulas are written; revenue and
#     cost summed per unit in outcome-file order, then over units in event order.
#  Q16 The verdicts file: {"paused": [sorted names]}; compare treats `paused` as a set and
#     ignores other keys of the actual file.
#  Q17 A variant entry whose first variant has treated units but this one has none (or the other
#     way round): the entry exists (the touch has treated units) with lift and p_value null and
#     verdict `undecided`.
#  Q18 Outcomes: kind must be purchase/unsubscribe/complaint, date and customer_id present;
#     revenue and incentive_cost missing read 0; incentive_cost counts for purchases only.
#
# The as-of dates that matter for the daylight-saving and Sunday corners (`corner-dates`):
#  2026-03-07 Sat before the US spring-forward      2026-03-08 Sun US DST starts (sms -> Mon)
#  2026-03-09 Mon after it                          2026-03-28 Sat before the EU change
#  2026-03-29 Sun EU DST starts                     2026-04-04 Sat before AU/NZ/Chile end DST
#  2026-04-05 Sun AU/NZ DST ends (Adelaide +10:30 -> +09:30), Chile too
#  2026-09-06 Sun Chile DST starts (at 24:00 Sat)   2026-09-27 Sun NZ DST starts
#  2026-10-03 Sat before AU DST starts
#  2026-10-04 Sun AU DST starts (Lord_Howe +10:30 -> +11, a 30-minute shift)
#  2026-10-24 Sat before the EU change              2026-10-25 Sun EU DST ends
#  2026-10-31 Sat before the US fall-back           2026-11-01 Sun US DST ends (the usual as-of)
#  2026-11-02 Mon after it                          2024-02-29 a leap day (Thu)
#  2026-12-31 / 2027-01-01 the year's turn (Thu/Fri; Kiritimati +14 is on the next day already)
#  2011-12-30 Fri: Pacific/Apia and Fakaofo skip the whole day (a gap at 09:00 and 11:00)
#  1994-12-31 Sat: Pacific/Kiritimati and Kanton skip the day   2026-06-14 a plain Sunday
import argparse
import csv
import datetime as dt
import decimal
import json
import math
import os
import random
import re
import sys
import tempfile
import zoneinfo

# ---- The snapshot ---------------------------------------------------------------------------

# (name, type, nullable); enum values and list separators as in the playbook's section 1.
PLAYBOOK_FIELDS = [
    ("customer_id", "string", False), ("last_purchase_date", "date", True),
    ("last_engagement_date", "date", True), ("orders_total", "int", False),
    ("avg_order_value", "money", False), ("gross_margin_pct", "percent", True),
    ("is_subscriber", "bool", False), ("email_opens_90d", "int", False),
    ("email_clicks_90d", "int", False), ("purchases_90d", "int", False),
    ("categories", "list", False), ("acquisition_channel", "acquisition_enum", False),
    ("email_consent", "bool", True), ("sms_consent", "bool", True), ("opted_out", "bool", False),
    ("relationship_flag", "flag_enum", True), ("spam_complaints_90d", "int", False),
    ("email_bounce_rate", "percent", True), ("last_touch", "int", False),
    ("last_touch_date", "date", True), ("responded", "bool", False),
]
PROGRAM_FIELDS = [
    ("first_name", "string", True), ("email", "string", True), ("phone", "string", True),
    ("timezone", "string", True), ("csm_owner", "string", True),
    ("last_contact_date", "date", True), ("contacts_30d", "int", False),
    ("welcome_touch", "int", False), ("welcome_touch_date", "date", True),
]
FIELDS = PLAYBOOK_FIELDS + PROGRAM_FIELDS
ENUMS = {
    "acquisition_enum": ["paid_social", "organic_search", "email", "referral", "direct"],
    "flag_enum": ["complaint", "chargeback", "bereavement", "legal_hold"],
}

RESULT_COLUMNS = [
    "customer_id", "candidate", "dormancy", "value_tier", "margin", "history", "engagement",
    "affinity", "acquisition", "risk_band", "stopped_by", "review", "welcome_back_status",
    "welcome_back_touch", "welcome_back_step", "welcome_back_channel", "welcome_back_offer",
    "welcome_back_send_at", "winback_status", "winback_touch", "winback_step", "winback_variant",
    "winback_channel", "winback_offer", "winback_send_at", "churn_risk", "owner",
]
REVIEW_QUEUE_COLUMNS = ["owner", "customer_id", "sequence", "touch", "step", "channel", "offer",
                        "rules", "reasons", "subject"]
FAMILIES = ["dormancy", "value_tier", "margin", "history", "engagement", "affinity",
            "acquisition", "risk_band"]
STOP_REASONS = [
    ("opted_out", "Contact opted out"),
    ("no_permission", "No channel permission"),
    ("complaint", "Recent spam complaint or legal hold"),
    ("deliverability", "Email deliverability risk"),
    ("poor_fit", "Low-value single buyer, better left inactive"),
]
REVIEW_REASONS = {
    "sensitive_history": "Delicate history with this customer",
    "high_value": "High-value customer",
    "discount": "Discount offers need approval",
}
DEFAULT_ZONE = "America/New_York"
DEFAULT_OWNER = "marketing-ops"

# The program's sequences in priority order: touches (number, name, variants with shares).
SEQUENCES = ["welcome_back", "winback"]
HOLDOUT_SHARE = {"welcome_back": 0, "winback": 5}
WELCOME_STEPS = ["welcome", "refresher"]
WINBACK_STEPS = ["pattern_interrupt", "recommendation", "soft_incentive", "social_proof",
                 "scarcity", "winback_offer", "final_nudge"]
VARIANTS = {  # (sequence, touch name) -> [(variant, share)] in the order written
    ("winback", "pattern_interrupt"): [("curiosity", 50), ("personal", 50)],
    ("winback", "winback_offer"): [("discount", 80), ("credit", 20)],
}

# Templates, spec section 5: (sequence, step, variant or None) -> (subject, body).
TEMPLATES = {
    ("welcome_back", "welcome", None): (
        "Welcome back, {first_name|friend}!",
        "Good to see you again, {first_name|friend}. Here is what is new in {affinity}."),
    ("welcome_back", "refresher", None): (
        "Three things to try this week",
        "Hi {first_name|there}, a quick refresher on getting the most from your account."),
    ("winback", "pattern_interrupt", "curiosity"): (
        "Did we lose you, {first_name|friend}?",
        "Something changed since {last_purchase_date|your last visit}."),
    ("winback", "pattern_interrupt", "personal"): (
        "{first_name|Hi there}, we saved something for you",
        "We picked a few {affinity} favourites for you."),
    ("winback", "recommendation", None): (
        "New in {affinity}",
        "Hi {first_name|there}, based on what you bought we think you will like these."),
    ("winback", "soft_incentive", None): (
        "A thank-you: {offer}",
        "There is {offer} waiting in your account, {first_name|friend}."),
    ("winback", "social_proof", None): (
        "What customers like you are saying",
        "Reviews from customers who love {affinity} as much as you do."),
    ("winback", "scarcity", None): (
        "Early access, just for you",
        "{first_name|Hi}, you have early access to our next drop. Reply STOP to opt out."),
    ("winback", "winback_offer", "discount"): (
        "{offer} for the next 72 hours",
        "Come back with {offer} on your next order, {first_name|friend}. Ends in 72 hours."),
    ("winback", "winback_offer", "credit"): (
        "{offer} to come back",
        "We added {offer} to your account, {first_name|friend}."),
    ("winback", "final_nudge", None): (
        "Should we close your account?",
        "Hi {first_name|there}, we will stop writing unless you tell us otherwise."),
}


class DataError(Exception):
    """A user-facing error: printed as `program_oracle: MESSAGE`, exit status 1."""


def fnv1a64(data: bytes) -> int:
    h = 14695981039346656037
    for b in data:
        h ^= b
        h = (h * 1099511628211) & 0xFFFFFFFFFFFFFFFF
    return h


# ---- CSV: RFC 4180 reading, minimal-quoting writing ------------------------------------------

def read_csv_records(path):
    """Yields (row number as a spreadsheet shows it, fields); the header is row 1. Blank lines
    are skipped but counted."""
    with open(path, newline="", encoding="utf-8-sig") as f:
        reader = csv.reader(f, strict=True)
        row = 0
        try:
            for rec in reader:
                row += 1
                if rec == []:
                    continue
                yield row, rec
        except csv.Error as e:
            raise DataError(f"{path}:{row + 1}: {e}")
        except UnicodeDecodeError as e:
            raise DataError(f"{path}: invalid UTF-8 ({e})")


def csv_field(s: str) -> str:
    if any(c in s for c in ',"\r\n'):
        return '"' + s.replace('"', '""') + '"'
    return s


def csv_text(header, rows) -> str:
    out = [",".join(csv_field(h) for h in header) + "\n"]
    for r in rows:
        out.append(",".join(csv_field(v) for v in r) + "\n")
    return "".join(out)


def jsonl_text(objs) -> str:
    return "".join(json.dumps(o, ensure_ascii=False, separators=(",", ":")) + "\n" for o in objs)


def write_files_atomically(files):
    """files: [(path, text)]. All are written to temporaries first, then renamed: an error
    leaves none of them."""
    temps = []
    try:
        for path, text in files:
            d = os.path.dirname(os.path.abspath(path))
            fd, tmp = tempfile.mkstemp(prefix="." + os.path.basename(path) + ".tmp-", dir=d)
            temps.append((tmp, path))
            with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
                f.write(text)
        for tmp, path in temps:
            os.replace(tmp, path)
    except BaseException:
        for tmp, _ in temps:
            if os.path.exists(tmp):
                os.unlink(tmp)
        raise


# ---- Values --------------------------------------------------------------------------------

INT_RE = re.compile(r"[+-]?[0-9]+\Z")
NUMBER_RE = re.compile(r"-?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?\Z")
DATE_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}\Z")
BOOLS = {"true": True, "false": False, "TRUE": True, "FALSE": False, "True": True,
         "False": False, "1": True, "0": False}


def parse_value(text, ftype):
    """The value of a non-empty CSV field, or raises ValueError with the reason."""
    if ftype == "string":
        return text
    if ftype == "bool":
        if text not in BOOLS:
            raise ValueError(f'"{text}" is not a bool (write true or false)')
        return BOOLS[text]
    if ftype == "int":
        if not INT_RE.match(text):
            raise ValueError(f'"{text}" is not an int')
        v = int(text)
        if not -(1 << 63) <= v < (1 << 63):
            raise ValueError(f'"{text}" is out of range for an int')
        return v
    if ftype in ("money", "percent", "number"):
        low = text.lower()
        if low in ("inf", "-inf", "infinity", "-infinity"):
            return float(low)
        if low in ("nan", "-nan"):
            return math.nan
        if not NUMBER_RE.match(text):
            raise ValueError(f'"{text}" is not a number')
        return float(text)
    if ftype == "date":
        if not DATE_RE.match(text):
            raise ValueError(f'"{text}" is not a date')
        try:
            return dt.date.fromisoformat(text)
        except ValueError:
            raise ValueError(f'"{text}" is not a date')
    if ftype == "list":
        items = text.split("|")
        if any(i == "" for i in items):
            raise ValueError(f'"{text}" has an empty list element (elements are joined with |)')
        return items
    if ftype in ENUMS:
        if text not in ENUMS[ftype]:
            raise ValueError(f'"{text}" is not one of ' + ", ".join(ENUMS[ftype]))
        return text
    raise AssertionError(ftype)


_ZONES = None
_ZONE_CACHE = {}


def zone_names():
    global _ZONES
    if _ZONES is None:
        _ZONES = zoneinfo.available_timezones() - {"localtime"}
    return _ZONES


def zone(name):
    z = _ZONE_CACHE.get(name)
    if z is None:
        z = _ZONE_CACHE[name] = zoneinfo.ZoneInfo(name)
    return z


def read_snapshot(path):
    """Returns [(row, {field: value or None})]; raises DataError naming row and column."""
    records = read_csv_records(path)
    try:
        _, header = next(records)
    except StopIteration:
        raise DataError(f"{path}: empty file (no header)")
    index = {}
    for i, name in enumerate(header):
        if name in index:
            raise DataError(f"{path}:1: column {name}: appears twice in the header")
        index[name] = i
    for name, _, _ in FIELDS:
        if name not in index:
            raise DataError(f"{path}: column {name}: missing from the header (it has: "
                            + ", ".join(header) + ")")
    zones = zone_names()
    rows = []
    seen = {}
    for row, rec in records:
        if len(rec) != len(header):
            raise DataError(f"{path}:{row}: expected {len(header)} fields, found {len(rec)}")
        values = {}
        for name, ftype, nullable in FIELDS:
            text = rec[index[name]]
            value = None
            if text != "":
                try:
                    value = parse_value(text, ftype)
                except ValueError as e:
                    raise DataError(f"{path}:{row}: column {name}: {e}")
                if isinstance(value, float) and math.isnan(value):
                    value = None
            if value is None and ftype == "list" and not nullable:
                value = []
            if value is None and not nullable:
                raise DataError(f"{path}:{row}: column {name}: missing value, but the schema does "
                                "not allow missing values")
            values[name] = value
        for name in ("last_touch", "welcome_touch"):
            if values[name] < 0:
                raise DataError(f"{path}:{row}: column {name}: {values[name]} is negative")
        tz = values["timezone"]
        if tz is not None and tz not in zones:
            raise DataError(f"{path}:{row}: column timezone: \"{tz}\" is not a time zone of the "
                            "system's time-zone database")
        key = values["customer_id"]
        if key in seen:
            raise DataError(f"{path}:{row}: column customer_id: \"{key}\" appears twice (rows "
                            f"{seen[key]} and {row})")
        seen[key] = row
        rows.append((row, values))
    return rows


# ---- Formatting values as the CSV writer writes them -----------------------------------------

def shortest_double(v: float) -> str:
    """std::to_chars(double) with no format: the shortest round-tripping text, fixed or
    scientific (printf %e style, exponent of at least two digits), whichever is shorter, fixed
    on a tie."""
    if math.isnan(v):
        return "-nan" if math.copysign(1.0, v) < 0 else "nan"
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    sign = "-" if math.copysign(1.0, v) < 0 else ""
    if v == 0:
        return sign + "0"
    d = decimal.Decimal(repr(abs(v))).normalize()
    _, digits, exp = d.as_tuple()
    ds = "".join(str(x) for x in digits)
    n = len(ds)
    e10 = exp + n - 1
    sci = ds[0] + ("." + ds[1:] if n > 1 else "") + "e" + ("-" if e10 < 0 else "+") + \
        f"{abs(e10):02d}"
    if exp >= 0:
        # An integral value: libstdc++ writes its exact digits (1.2345678901234568e+20 in
        # fixed form is 123456789012345683968), as long as that is no longer than %e.
        fixed = str(int(abs(v)))
    elif -exp < n:
        fixed = ds[:n + exp] + "." + ds[n + exp:]
    else:
        fixed = "0." + "0" * (-exp - n) + ds
    return sign + (fixed if len(fixed) <= len(sci) else sci)


def money_text(v: float) -> str:
    """The CSV writer's money: two decimals when that reads back exactly, else shortest."""
    if math.isfinite(v) and abs(v) < 1e15:
        s = f"{v:.2f}"
        if float(s) == v:
            return s
    return shortest_double(v)


def template_text(ftype, v):
    """A value as a template inserts it (spec 5): as the CSV writer writes it, except money
    ($84.50) and lists (joined with ", ")."""
    if ftype == "money":
        return "$" + money_text(v)
    if ftype == "list":
        return ", ".join(v)
    if ftype == "bool":
        return "true" if v else "false"
    if ftype == "int":
        return str(v)
    if ftype in ("percent", "number"):
        return shortest_double(v)
    if ftype == "date":
        return v.isoformat()
    return v  # string, enum, label


def offer_words(offer: str) -> str:
    """{offer}: none -> "", credit N -> "a $N credit", early_access -> "early access",
    discount N% -> "N% off" (the number as written in the rule file)."""
    if offer == "none":
        return ""
    if offer == "early_access":
        return "early access"
    m = re.fullmatch(r"credit (\S+)", offer)
    if m:
        return f"a ${m.group(1)} credit"
    m = re.fullmatch(r"discount (\S+)%", offer)
    if m:
        return f"{m.group(1)}% off"
    raise AssertionError(offer)


def render(template: str, values) -> str:
    """One pass over the template: `{NAME}` / `{NAME|TEXT}` are replaced by the value of NAME
    (values: name -> (type, value or None)); inserted text is never scanned again."""
    out = []
    i = 0
    while i < len(template):
        c = template[i]
        if c == "{":
            j = template.index("}", i)
            inner = template[i + 1:j]
            name, bar, fallback = inner.partition("|")
            ftype, v = values[name]
            missing = v is None or v == "" or v == []
            if missing:
                if not bar:
                    raise AssertionError(f"placeholder {{{name}}} without a fallback is missing")
                out.append(fallback)
            else:
                out.append(template_text(ftype, v))
            i = j + 1
        else:
            out.append(c)
            i += 1
    return "".join(out)


def utc_text(t: dt.datetime) -> str:
    u = t.astimezone(dt.timezone.utc)
    return f"{u.year:04d}-{u.month:02d}-{u.day:02d}T{u.hour:02d}:{u.minute:02d}:{u.second:02d}Z"


def send_at(as_of: dt.date, tz_name: str, channel: str) -> str:
    """Spec 4.5: email 09:00, sms 11:00 local on the as-of date (the local date); sms never on a
    local Sunday (-> Monday 11:00). A local time in a gap or fold takes the earlier offset: the
    one in force before the transition, which is Python's fold=0 (PEP 495)."""
    day, hour = as_of, 9
    if channel == "sms":
        hour = 11
        if day.weekday() == 6:
            day = day + dt.timedelta(days=1)
    local = dt.datetime(day.year, day.month, day.day, hour, 0, 0, tzinfo=zone(tz_name), fold=0)
    return utc_text(local)


# ---- Evaluation -----------------------------------------------------------------------------

class Decision:
    """One sequence's decision for one customer. touch/step/variant/channel/offer only when
    the status is `due`."""
    __slots__ = ("status", "touch", "step", "variant", "channel", "offer", "send_at",
                 "would_be")

    def __init__(self, status, touch=None, step=None, variant=None, channel=None, offer=None):
        self.status, self.touch, self.step, self.variant = status, touch, step, variant
        self.channel, self.offer = channel, offer
        self.send_at = None
        self.would_be = None

    def fields(self):
        return {"status": self.status, "touch": self.touch, "step": self.step,
                "variant": self.variant, "channel": self.channel, "offer": self.offer}


def variant_of(seq, step, key, paused):
    """Spec 4.3 with the settled readings: bucket fnv1a64(SEQ.TOUCH:key) mod 100, consecutive
    ranges in the order written; a paused variant's buckets go to the first variant of the touch
    that is not paused."""
    variants = VARIANTS[(seq, step)]
    bucket = fnv1a64(f"{seq}.{step}:{key}".encode("utf-8")) % 100
    low = 0
    chosen = None
    for name, share in variants:
        if low <= bucket < low + share:
            chosen = name
            break
        low += share
    assert chosen is not None
    if f"{seq}.{step}.{chosen}" in paused:
        chosen = next(n for n, _ in variants if f"{seq}.{step}.{n}" not in paused)
    return chosen


def evaluate(v, as_of, paused):
    """One customer (v: field -> value) as of `as_of`: a dict with every output."""
    key = v["customer_id"]
    lpd = v["last_purchase_date"]
    days_dormant = None if lpd is None else (as_of - lpd).days
    if lpd is None:
        dormancy = "never_purchased"
    elif days_dormant < 60:
        dormancy = "active"
    elif days_dormant <= 89:
        dormancy = "early_warning"
    elif days_dormant <= 119:
        dormancy = "active_risk"
    elif days_dormant <= 179:
        dormancy = "critical"
    else:
        dormancy = "deep"
    aov = v["avg_order_value"]
    value_tier = "whale" if aov >= 250 else ("mid" if aov >= 75 else "low")
    gm = v["gross_margin_pct"]
    margin = "unknown_margin" if gm is None else ("high_margin" if gm >= 0.40 else "low_margin")
    history = "subscriber" if v["is_subscriber"] else (
        "repeat" if v["orders_total"] >= 2 else "single")
    opens, clicks = v["email_opens_90d"], v["email_clicks_90d"]
    if opens == 0 and clicks == 0:
        engagement = "dark"
    elif opens > 0 and clicks == 0:
        engagement = "opens_no_clicks"
    elif clicks > 0 and v["purchases_90d"] == 0:
        engagement = "clicks_no_purchase"
    else:
        engagement = "engaged"
    cats = set(v["categories"])
    if cats & {"apparel", "footwear", "accessories"}:
        affinity = "fashion"
    elif cats & {"home", "kitchen", "garden"}:
        affinity = "home"
    elif "electronics" in cats:
        affinity = "tech"
    else:
        affinity = "other"
    acquisition = {"paid_social": "paid", "organic_search": "organic", "direct": "organic",
                   "email": "owned", "referral": "owned"}[v["acquisition_channel"]]
    candidate = dormancy in ("early_warning", "active_risk", "critical", "deep")

    bounce = v["email_bounce_rate"]
    churn_risk = 0
    churn_risk += 30 if engagement == "dark" else 0
    churn_risk += 20 if dormancy == "deep" else 0
    churn_risk += 10 if dormancy == "critical" else 0
    churn_risk += 15 if history == "single" else 0
    churn_risk += 15 if gm is None else 0
    churn_risk += 10 if bounce is not None and bounce > 0.02 else 0
    churn_risk += -10 if v["is_subscriber"] else 0
    risk_band = "high" if churn_risk >= 50 else ("medium" if churn_risk >= 25 else "low")

    # Channels (spec 4): email needs consent, an address and a known bounce rate of at most 5%.
    email_allowed = (v["email_consent"] is True and v["email"] is not None
                     and bounce is not None and bounce <= 0.05)
    sms_allowed = v["sms_consent"] is True and v["phone"] is not None

    ltd = v["last_touch_date"]
    last_touch = v["last_touch"]
    enters = {
        "welcome_back": (last_touch > 0 and ltd is not None and lpd is not None and lpd >= ltd),
        "winback": candidate,
    }

    stopped_by = None
    if enters["welcome_back"] or enters["winback"]:
        flag = v["relationship_flag"]
        if v["opted_out"]:
            stopped_by = "opted_out"
        elif not (v["email_consent"] is True or v["sms_consent"] is True):
            stopped_by = "no_permission"
        elif v["spam_complaints_90d"] > 0 or flag == "legal_hold":
            stopped_by = "complaint"
        elif (bounce is None or bounce > 0.05) and not sms_allowed:
            stopped_by = "deliverability"
        elif v["orders_total"] == 1 and aov < 20 and days_dormant >= 365:
            # Entrants always have a last purchase date (both entries need it), so
            # days_dormant is known here.
            stopped_by = "poor_fit"

    lcd = v["last_contact_date"]
    capped_by_contact = (lcd is not None and (as_of - lcd).days < 2) or v["contacts_30d"] >= 4

    def email_first():
        return "email" if email_allowed else ("sms" if sms_allowed else None)

    # welcome_back (first): no holdout, no exits, wait 3 days, exhausted after touch 2.
    if not enters["welcome_back"]:
        wb = Decision("not_candidate")
    elif stopped_by:
        wb = Decision("stopped")
    else:
        wt, wtd = v["welcome_touch"], v["welcome_touch_date"]
        nxt = wt + 1
        if nxt > 2:
            wb = Decision("exhausted")
        elif not (wt == 0 or (wtd is not None and (as_of - wtd).days >= 3)):
            wb = Decision("waiting")
        else:
            ch = email_first()
            if ch is None:
                wb = Decision("no_channel")
            elif capped_by_contact:
                wb = Decision("capped")
            else:
                wb = Decision("due", nxt, WELCOME_STEPS[nxt - 1], None, ch, "none")

    # winback (second): the playbook's sequence with the program's changes.
    def winback_after_holdout():
        if last_touch > 0 and v["responded"]:
            return Decision("responded")
        nxt = last_touch + 1
        if nxt == 5 and dormancy != "deep":
            nxt = 6
        if nxt > 7:
            return Decision("exhausted")
        if not (last_touch == 0 or (ltd is not None and (as_of - ltd).days >= 7)):
            return Decision("waiting")
        if nxt == 5:
            ch = "sms" if sms_allowed else ("email" if email_allowed else None)
        else:
            ch = email_first()
        if ch is None:
            return Decision("no_channel")
        if wb.status == "due" or capped_by_contact:
            return Decision("capped")
        step = WINBACK_STEPS[nxt - 1]
        variant = variant_of("winback", step, key, paused) if ("winback", step) in VARIANTS \
            else None
        if nxt == 3:
            offer = "credit 20" if risk_band == "high" else "credit 10"
        elif nxt == 5:
            offer = "early_access"
        elif nxt == 6:
            if variant == "credit":
                offer = "credit 25"
            else:
                offer = "discount 15%" if value_tier == "whale" else "discount 20%"
        else:
            offer = "none"
        return Decision("due", nxt, step, variant, ch, offer)

    if not enters["winback"]:
        win = Decision("not_candidate")
    elif stopped_by:
        win = Decision("stopped")
    elif fnv1a64(("winback:" + key).encode("utf-8")) % 100 < 5:
        win = Decision("holdout")
        win.would_be = winback_after_holdout()
    else:
        win = winback_after_holdout()

    decisions = {"welcome_back": wb, "winback": win}
    tz_name = v["timezone"] if v["timezone"] is not None else DEFAULT_ZONE
    for d in decisions.values():
        if d.status == "due":
            d.send_at = send_at(as_of, tz_name, d.channel)

    review = []
    due = [d for d in decisions.values() if d.status == "due"]
    if due:
        if v["relationship_flag"] in ("complaint", "chargeback", "bereavement"):
            review.append("sensitive_history")
        if value_tier == "whale":
            review.append("high_value")
        if any(d.offer.startswith("discount") for d in due):
            review.append("discount")
    owner = None
    if review:
        owner = v["csm_owner"] if v["csm_owner"] is not None else DEFAULT_OWNER

    labels = {"dormancy": dormancy, "value_tier": value_tier, "margin": margin,
              "history": history, "engagement": engagement, "affinity": affinity,
              "acquisition": acquisition, "risk_band": risk_band}
    return {"key": key, "candidate": candidate, "labels": labels, "churn_risk": churn_risk,
            "stopped_by": stopped_by, "review": review, "owner": owner, "decisions": decisions,
            "values": v}


def template_values(r):
    """Every name a template may use: snapshot fields, segment families' labels, the score."""
    vals = {name: (ftype, r["values"][name]) for name, ftype, _ in FIELDS}
    for fam, label in r["labels"].items():
        vals[fam] = ("label", label)
    vals["churn_risk"] = ("int", r["churn_risk"])
    return vals


def draft_texts(r, seq, d):
    subject, body = TEMPLATES[(seq, d.step, d.variant)]
    vals = template_values(r)
    vals["offer"] = ("string", offer_words(d.offer))
    return (None if d.channel == "sms" else render(subject, vals)), render(body, vals)


def result_row(r):
    row = [r["key"], "true" if r["candidate"] else "false"]
    row += [r["labels"][f] for f in FAMILIES]
    row += [r["stopped_by"] or "", ";".join(r["review"])]
    for seq in SEQUENCES:
        d = r["decisions"][seq]
        due = d.status == "due"
        row.append(d.status)
        row += [str(d.touch) if due else "", d.step if due else ""]
        if seq == "winback":
            row.append((d.variant or "") if due else "")
        row += [d.channel if due else "", d.offer if due else "", d.send_at if due else ""]
    row += [str(r["churn_risk"]), r["owner"] or ""]
    return row


def draft_objects(r):
    out = []
    for seq in SEQUENCES:
        d = r["decisions"][seq]
        if d.status != "due":
            continue
        subject, body = draft_texts(r, seq, d)
        to = r["values"]["email"] if d.channel == "email" else r["values"]["phone"]
        out.append({
            "customer_id": r["key"], "sequence": seq, "touch": d.touch, "step": d.step,
            "variant": d.variant, "channel": d.channel, "to": to, "send_at": d.send_at,
            "offer": d.offer, "subject": subject, "body": body, "review": list(r["review"]),
            "owner": r["owner"], "key": f"{seq}/{d.step}/{r['key']}",
        })
    return out


def review_queue_row(r):
    for seq in SEQUENCES:
        d = r["decisions"][seq]
        if d.status == "due":
            subject, _ = draft_texts(r, seq, d)
            return [r["owner"], r["key"], seq, str(d.touch), d.step, d.channel, d.offer,
                    ";".join(r["review"]), "; ".join(REVIEW_REASONS[n] for n in r["review"]),
                    subject or ""]
    raise AssertionError("a review without a due touch")


def decision_json(d: Decision):
    due = d.status == "due"
    return {"status": d.status, "touch": d.touch if due else None,
            "step": d.step if due else None, "variant": d.variant if due else None,
            "channel": d.channel if due else None, "offer": d.offer if due else None}


def event_objects(r, run_id, as_of):
    out = []
    cohort = dict(r["labels"])
    cohort["churn_risk"] = r["churn_risk"]
    for seq in SEQUENCES:
        d = r["decisions"][seq]
        if d.status == "not_candidate":
            continue
        e = {"run_id": run_id, "as_of": as_of.isoformat(), "customer_id": r["key"],
             "sequence": seq}
        fields = decision_json(d)
        e.update(fields)
        e.update({"stopped_by": r["stopped_by"], "review": list(r["review"]),
                  "cohort": dict(cohort), "holdout_share": HOLDOUT_SHARE[seq],
                  "would_be": decision_json(d.would_be) if d.status == "holdout" else None})
        out.append(e)
    return out


def read_experiments(path):
    """The paused variants of an --experiments file, as a set of SEQ.TOUCH.VARIANT names."""
    try:
        with open(path, encoding="utf-8") as f:
            doc = json.load(f)
    except (OSError, ValueError) as e:
        raise DataError(f"{path}: {e}")
    if not isinstance(doc, dict):
        raise DataError(f"{path}: an experiments file is a JSON object")
    paused = doc.get("paused", [])
    if not isinstance(paused, list) or not all(isinstance(p, str) for p in paused):
        raise DataError(f"{path}: `paused` must be a list of strings")
    names = set()
    for p in paused:
        parts = p.split(".")
        if len(parts) != 3 or (parts[0], parts[1]) not in VARIANTS or parts[2] not in [
                n for n, _ in VARIANTS[(parts[0], parts[1])]]:
            raise DataError(f"{path}: paused entry \"{p}\" names no variant of the rule set")
        names.add(p)
    for (seq, step), variants in VARIANTS.items():
        if all(f"{seq}.{step}.{n}" in names for n, _ in variants):
            raise DataError(f"{path}: every variant of {seq}.{step} is paused")
    return names


def cmd_eval(a):
    try:
        as_of = dt.date.fromisoformat(a.as_of)
    except ValueError:
        raise DataError(f"as-of date \"{a.as_of}\" is not YYYY-MM-DD")
    paused = read_experiments(a.experiments) if a.experiments else set()
    if a.events and not a.run_id and not a.rules_hash:
        raise DataError("--events needs --run-id or --rules-hash (the default run id is "
                        "AS_OF/ + the first 8 hex digits of the rule set's hash)")
    run_id = a.run_id if a.run_id else f"{as_of.isoformat()}/{(a.rules_hash or '')[:8]}"
    results = [evaluate(v, as_of, paused) for _, v in read_snapshot(a.snapshot)]
    files = [(a.out, csv_text(RESULT_COLUMNS, (result_row(r) for r in results)))]
    if a.drafts:
        files.append((a.drafts, jsonl_text(o for r in results for o in draft_objects(r))))
    if a.review_queue:
        rows = [(r["owner"], i, review_queue_row(r)) for i, r in enumerate(results)
                if r["review"]]
        rows.sort(key=lambda t: (t[0], t[1]))  # str order is code-point order
        files.append((a.review_queue, csv_text(REVIEW_QUEUE_COLUMNS, (t[2] for t in rows))))
    if a.events:
        files.append((a.events, jsonl_text(o for r in results
                                           for o in event_objects(r, run_id, as_of))))
    write_files_atomically(files)
    return 0


# ---- Adversarial snapshots ---------------------------------------------------------------------

CORNER_DATES = [
    "2026-03-07", "2026-03-08", "2026-03-09", "2026-03-28", "2026-03-29", "2026-04-04",
    "2026-04-05", "2026-09-06", "2026-09-27", "2026-10-03", "2026-10-04", "2026-10-24", "2026-10-25",
    "2026-10-31", "2026-11-01", "2026-11-02", "2024-02-29", "2026-12-31", "2027-01-01",
    "2011-12-30", "1994-12-31", "2026-06-14",
]
# Zones: half-hour and 45-minute offsets, southern-hemisphere and 30-minute DST, +14/-11, a
# 2-hour DST (Troll), negative DST (Dublin), Ramadan DST (Casablanca), backward links, and the
# date-line day skips of Q3.
ZONES = [
    "America/New_York", "US/Eastern", "America/Chicago", "America/Denver", "America/Phoenix",
    "America/Los_Angeles", "America/Anchorage", "Pacific/Honolulu", "America/St_Johns",
    "America/Halifax", "America/Sao_Paulo", "America/Santiago", "America/Argentina/Buenos_Aires",
    "America/Mexico_City", "America/Nuuk", "America/Scoresbysund", "Atlantic/Azores",
    "Europe/London", "Europe/Dublin", "Europe/Lisbon", "Europe/Berlin", "Europe/Paris",
    "Europe/Helsinki", "Europe/Moscow", "Europe/Istanbul", "Africa/Casablanca", "Africa/Cairo",
    "Africa/Lagos", "Africa/Johannesburg", "Asia/Jerusalem", "Asia/Gaza", "Asia/Tehran",
    "Asia/Dubai", "Asia/Kabul", "Asia/Karachi", "Asia/Kolkata", "Asia/Calcutta",
    "Asia/Kathmandu", "Asia/Dhaka", "Asia/Yangon", "Asia/Bangkok", "Asia/Shanghai",
    "Asia/Tokyo", "Australia/Eucla", "Australia/Adelaide", "Australia/Darwin",
    "Australia/Brisbane", "Australia/Sydney", "Australia/Lord_Howe", "Pacific/Auckland",
    "Pacific/Chatham", "Pacific/Apia", "Pacific/Fakaofo", "Pacific/Kiritimati",
    "Pacific/Kanton", "Pacific/Marquesas", "Pacific/Pago_Pago", "Kwajalein",
    "Antarctica/Troll", "UTC", "Etc/GMT+12", "Etc/GMT-14", "EST5EDT", "Asia/Singapore",
]
FIRST_NAMES = ["Ann", "Zoë", "José", "Łukasz", "顧客", "Ünïcødé", "Smith, Jr.", 'Al "Bo"',
               " Ann ", "{affinity}", "{first_name|x}", "Ω", "line\nbreak", "a|b", "O'Brien",
               "Émile", "🎉", "  "]
OWNERS = ["alice@example.com", "Bob", "bob", "Émile", "zed", "marketing-ops", "a, b",
          " alice", "Z", "ärger", "顧客", 'q"uote', " ", "Bob\n"]
ODD_IDS = ["a,b", 'quote"inside', '"quoted"', "Zoë", "顧客", "line\nbreak", " space ", "émoji🎉",
           "semi;colon", "pipe|id", "sl/ash", "a/b/c", "{affinity}", "cr\rlf\r\n", "tab\there"]
CATEGORIES = ["apparel", "footwear", "accessories", "home", "kitchen", "garden", "electronics",
              "books", "toys", "Küche", "a,b"]
INT64_MAX = 9223372036854775807
INJECT = ["unknown_tz", "dup_key", "neg_last_touch", "neg_welcome_touch"]


def cmd_generate(a):
    rnd = random.Random(a.seed)
    as_of = dt.date.fromisoformat(a.as_of)

    def day(offset):  # as_of - offset days
        return (as_of - dt.timedelta(days=offset)).isoformat()

    def maybe(val, p=0.15):
        return "" if rnd.random() < p else val

    def b():
        return rnd.choice(["true", "false"])

    header = [n for n, _, _ in FIELDS]
    rows = []
    dormancy_days = [-5, -1, 0, 1, 59, 60, 61, 88, 89, 90, 91, 119, 120, 121, 179, 180, 181,
                     364, 365, 366, 1000]
    for i in range(a.rows):
        cid = f"C{i:07d}"
        if rnd.random() < 0.06:
            cid = f"{rnd.choice(ODD_IDS)}-{i}"
        profile = rnd.random()
        last_touch = rnd.choice([0, 0, 1, 2, 3, 4, 4, 5, 6, 7, 7, 8, 9])
        if rnd.random() < 0.005:
            last_touch = INT64_MAX
        responded = rnd.choice(["false"] * 4 + ["true"])
        lpd = maybe(day(rnd.choice(dormancy_days)), 0.08)
        ltd = ""
        if last_touch > 0 and rnd.random() < 0.92:
            ltd = day(rnd.choice([-2, 0, 3, 6, 7, 8, 30, 70, 100, 200]))
        if profile < 0.25 and last_touch > 0:
            # Reactivated (welcome_back): a purchase on or after the last touch; a few on the
            # day before it (do not enter). Some are candidates too (old touch, old purchase).
            lt_off = rnd.choice([0, 2, 7, 10, 40, 65, 70, 95, 130, 200, 400])
            ltd = day(lt_off)
            lpd = day(lt_off - rnd.choice([0, 0, 1, 3, 5, 60]) if rnd.random() < 0.9
                      else lt_off + 1)
            if rnd.random() < 0.5:
                responded = "false"
        wt = rnd.choice([0, 0, 0, 1, 1, 2, 3])
        if rnd.random() < 0.003:
            wt = INT64_MAX
        wtd = ""
        if wt > 0 and rnd.random() < 0.92:
            wtd = day(rnd.choice([-1, 0, 1, 2, 3, 4, 10]))
        elif wt == 0 and rnd.random() < 0.03:
            wtd = day(1)  # inconsistent, but allowed: welcome_touch 0 is due
        lcd = ""
        if rnd.random() < 0.6:
            lcd = day(rnd.choice([-3, -1, 0, 1, 2, 3, 29, 30, 31, 200]))
        if rnd.random() < 0.003:
            lcd = "9999-12-31"
        contacts = rnd.choice([0, 0, 1, 2, 3, 3, 4, 5, 12])
        if rnd.random() < 0.003:
            contacts = INT64_MAX
        email_consent = maybe(rnd.choice(["true"] * 6 + ["false"]), 0.08)
        sms_consent = maybe(rnd.choice(["true", "false"]), 0.2)
        # Spaces are data (spec 9): a blank address is present.
        email = maybe(rnd.choice([f"c{i}@example.com", f"c{i}@example.com", f"\"q,{i}\"@x.com",
                                  f"zoë{i}@exämple.com", " "]), 0.15)
        phone = maybe(rnd.choice([f"+1555{i:07d}", f"+1555{i:07d}", f"+44 20 {i:08d}",
                                  "+91-98x", " "]), 0.35)
        tz = maybe(rnd.choice(ZONES), 0.12)
        first_name = maybe(rnd.choice(FIRST_NAMES), 0.2)
        owner = maybe(rnd.choice(OWNERS), 0.3)
        row = {
            "customer_id": cid, "last_purchase_date": lpd,
            "last_engagement_date": maybe(day(rnd.randint(0, 400)), 0.3),
            "orders_total": str(rnd.choice([0, 1, 1, 2, 3, 10])),
            "avg_order_value": rnd.choice(["19.99", "20", "20.00", "74.99", "75", "75.00",
                                           "249.99", "250", "250.00", "1000.5", "5", "0",
                                           "84.50"]),
            "gross_margin_pct": maybe(rnd.choice(["0.39", "0.4", "0.40", "0.41", "0", "1"]), 0.2),
            "is_subscriber": rnd.choice(["false"] * 4 + ["true"]),
            "email_opens_90d": str(rnd.choice([0, 0, 1, 5])),
            "email_clicks_90d": str(rnd.choice([0, 0, 1, 3])),
            "purchases_90d": str(rnd.choice([0, 0, 1])),
            "categories": "|".join(rnd.sample(CATEGORIES, rnd.randint(0, 3))),
            "acquisition_channel": rnd.choice(ENUMS["acquisition_enum"]),
            "email_consent": email_consent, "sms_consent": sms_consent,
            "opted_out": rnd.choice(["false"] * 15 + ["true"]),
            "relationship_flag": maybe(rnd.choice(ENUMS["flag_enum"]), 0.88),
            "spam_complaints_90d": str(rnd.choice([0] * 24 + [1, 2])),
            "email_bounce_rate": maybe(rnd.choice(
                ["0", "0.01", "0.01", "0.0199", "0.02", "0.020", "2e-2", "0.0201", "0.049",
                 "0.05", "0.0500", "0.051", "0.2"]), 0.07),
            "last_touch": str(last_touch), "last_touch_date": ltd, "responded": responded,
            "first_name": first_name, "email": email, "phone": phone, "timezone": tz,
            "csm_owner": owner, "last_contact_date": lcd, "contacts_30d": str(contacts),
            "welcome_touch": str(wt), "welcome_touch_date": wtd,
        }
        rows.append([row[h] for h in header])
    if a.inject:
        if not rows:
            raise DataError("--inject needs at least one row")
        at = rnd.randrange(len(rows))
        col = {"unknown_tz": "timezone", "neg_last_touch": "last_touch",
               "neg_welcome_touch": "welcome_touch", "dup_key": "customer_id"}[a.inject]
        val = {"unknown_tz": rnd.choice(["Mars/Olympus", "europe/berlin", " UTC", "EST5",
                                         "localtime", "posixrules"]),
               "neg_last_touch": "-1", "neg_welcome_touch": "-2"}.get(a.inject)
        if a.inject == "dup_key":
            if len(rows) < 2:
                raise DataError("--inject dup_key needs at least two rows")
            other = rnd.randrange(len(rows))
            while other == at:
                other = rnd.randrange(len(rows))
            val = rows[other][0]
        rows[at][header.index(col)] = val
        print(f"injected {a.inject} at row {at + 2}", file=sys.stderr)
    sys.stdout.buffer.write(csv_text(header, rows).encode("utf-8"))
    return 0


# ---- Measurement (spec section 8 and its section-9 readings) ---------------------------------

Z95 = 1.959963984540054
PROGRAM_PLAN = {
    "sequences": [
        {"name": "welcome_back", "touches": [
            {"number": 1, "name": "welcome", "variants": []},
            {"number": 2, "name": "refresher", "variants": []}]},
        {"name": "winback", "touches": [
            {"number": i + 1, "name": s,
             "variants": [n for n, _ in VARIANTS.get(("winback", s), [])]}
            for i, s in enumerate(WINBACK_STEPS)]},
    ],
    "families": list(FAMILIES),
}


def read_plan(arg):
    if arg == "program":
        return PROGRAM_PLAN
    try:
        with open(arg, encoding="utf-8") as f:
            plan = json.load(f)
        for s in plan["sequences"]:
            assert isinstance(s["name"], str)
            for t in s["touches"]:
                assert isinstance(t["number"], int) and isinstance(t["name"], str)
                assert all(isinstance(x, str) for x in t.get("variants", []))
        assert all(isinstance(x, str) for x in plan["families"])
    except (OSError, ValueError, KeyError, TypeError, AssertionError) as e:
        raise DataError(f"{arg}: not a plan ({e!r}); see `--plan program` in README.md for "
                        "the shape")
    return plan


class Unit:
    __slots__ = ("run_id", "as_of", "customer_id", "sequence", "status", "own", "would_be",
                 "cohort", "holdout_share", "treated", "control", "out")


def read_events(paths):
    """Units in order of first read; a repeated (run_id, customer_id, sequence) counts once."""
    units = []
    seen = set()
    for path in paths:
        try:
            f = open(path, encoding="utf-8")
        except OSError as e:
            raise DataError(f"{path}: {e}")
        with f:
            for n, line in enumerate(f, 1):
                if line.strip() == "":
                    continue
                try:
                    e = json.loads(line)
                    u = Unit()
                    u.run_id, u.customer_id, u.sequence = e["run_id"], e["customer_id"], \
                        e["sequence"]
                    u.as_of = dt.date.fromisoformat(e["as_of"])
                    u.status = e["status"]
                    u.own = {k: e.get(k) for k in ("touch", "step", "variant", "channel",
                                                   "offer")}
                    u.would_be = e.get("would_be")
                    u.cohort = e.get("cohort") or {}
                    u.holdout_share = e["holdout_share"]
                    for k in ("run_id", "customer_id", "sequence", "status"):
                        if not isinstance(e[k], str):
                            raise ValueError(f"{k} is not a string")
                except (ValueError, KeyError, TypeError) as err:
                    raise DataError(f"{path}:{n}: not an event ({err!r})")
                ident = (u.run_id, u.customer_id, u.sequence)
                if ident in seen:
                    continue
                seen.add(ident)
                u.treated = u.status == "due"
                u.control = (u.status == "holdout" and isinstance(u.would_be, dict)
                             and u.would_be.get("status") == "due")
                units.append(u)
    return units


def read_outcomes(path):
    """customer_id -> [(date, kind, revenue, incentive_cost)] in file order."""
    records = read_csv_records(path)
    try:
        _, header = next(records)
    except StopIteration:
        raise DataError(f"{path}: empty file (no header)")
    idx = {h: i for i, h in enumerate(header)}
    for name in ("customer_id", "date", "kind", "revenue", "incentive_cost"):
        if name not in idx:
            raise DataError(f"{path}: column {name}: missing from the header")
    out = {}
    for row, rec in records:
        if len(rec) != len(header):
            raise DataError(f"{path}:{row}: expected {len(header)} fields, found {len(rec)}")
        cid = rec[idx["customer_id"]]
        if cid == "":
            raise DataError(f"{path}:{row}: column customer_id: missing value")
        try:
            date = parse_value(rec[idx["date"]], "date") if rec[idx["date"]] else None
        except ValueError as e:
            raise DataError(f"{path}:{row}: column date: {e}")
        if date is None:
            raise DataError(f"{path}:{row}: column date: missing value")
        kind = rec[idx["kind"]]
        if kind not in ("purchase", "unsubscribe", "complaint"):
            raise DataError(f"{path}:{row}: column kind: \"{kind}\" is not one of purchase, "
                            "unsubscribe, complaint")
        money = []
        for col in ("revenue", "incentive_cost"):
            t = rec[idx[col]]
            try:
                m = parse_value(t, "money") if t != "" else 0.0
            except ValueError as e:
                raise DataError(f"{path}:{row}: column {col}: {e}")
            money.append(0.0 if math.isnan(m) else m)
        out.setdefault(cid, []).append((date, kind, money[0], money[1]))
    return out


def unit_outcomes(u, outcomes, window):
    """What one unit's customer did in its window (as_of < date <= as_of + window)."""
    end = u.as_of + dt.timedelta(days=window)
    revenue = cost = 0.0
    first = None
    unsub = complaint = False
    rows = outcomes.get(u.customer_id, [])
    for date, kind, rev, inc in rows:
        if not (u.as_of < date <= end):
            continue
        if kind == "purchase":
            revenue += rev
            cost += inc
            if first is None or date < first:
                first = date
        elif kind == "unsubscribe":
            unsub = True
        else:
            complaint = True
    ltv = None
    if first is not None:
        last = first + dt.timedelta(days=89)
        ltv = 0.0
        for date, kind, rev, _ in rows:
            if kind == "purchase" and first <= date <= last:
                ltv += rev
    return {"reactivated": first is not None, "revenue": revenue, "cost": cost,
            "days": (first - u.as_of).days if first is not None else None,
            "unsub": unsub, "complaint": complaint, "ltv": ltv}


def z_test(xt, nt, xc, nc):
    """lift and two-sided pooled two-proportion z-test p-value; None where undefined."""
    if nt == 0 or nc == 0:
        return None, None
    rt, rc = xt / nt, xc / nc
    lift = rt - rc
    p = (xt + xc) / (nt + nc)
    se = math.sqrt(p * (1 - p) * (1 / nt + 1 / nc))
    if se == 0:
        return lift, None
    z = lift / se
    return lift, math.erfc(abs(z) / math.sqrt(2))


def median(xs):
    s = sorted(xs)
    n = len(s)
    if n % 2:
        return s[n // 2]
    return (s[n // 2 - 1] + s[n // 2]) / 2


def metrics(treated, control):
    nt, nc = len(treated), len(control)
    xt = sum(1 for u in treated if u.out["reactivated"])
    xc = sum(1 for u in control if u.out["reactivated"])
    rt = xt / nt if nt else None
    rc = xc / nc if nc else None
    both = nt > 0 and nc > 0
    lift = ci = rel = p_value = inc_react = inc_rev = eff = None
    rev_t = rev_c = None
    if nt:
        rev_t = sum(u.out["revenue"] for u in treated) / nt
    if nc:
        rev_c = sum(u.out["revenue"] for u in control) / nc
    cost = 0.0
    for u in treated:
        cost += u.out["cost"]
    if both:
        lift, p_value = z_test(xt, nt, xc, nc)
        half = Z95 * math.sqrt(rt * (1 - rt) / nt + rc * (1 - rc) / nc)
        ci = [lift - half, lift + half]
        rel = lift / rc if rc != 0 else None
        inc_react = lift * nt
        inc_rev = (rev_t - rev_c) * nt
        eff = inc_rev / cost if cost != 0 else None
    react = [u for u in treated if u.out["reactivated"]]
    return {
        "treated": nt, "control": nc, "reactivated_treated": xt, "reactivated_control": xc,
        "rate_treated": rt, "rate_control": rc, "lift": lift, "lift_ci95": ci,
        "relative_lift": rel, "p_value": p_value, "incremental_reactivations": inc_react,
        "revenue_per_treated": rev_t, "revenue_per_control": rev_c,
        "incremental_revenue": inc_rev, "incentive_cost": cost, "incentive_efficiency": eff,
        "unsubscribe_rate_treated": (sum(1 for u in treated if u.out["unsub"]) / nt
                                     if nt else None),
        "unsubscribe_rate_control": (sum(1 for u in control if u.out["unsub"]) / nc
                                     if nc else None),
        "complaint_rate_treated": (sum(1 for u in treated if u.out["complaint"]) / nt
                                   if nt else None),
        "complaint_rate_control": (sum(1 for u in control if u.out["complaint"]) / nc
                                   if nc else None),
        "median_days_to_reactivate": median([u.out["days"] for u in react]) if react else None,
        "reactivated_ltv_90d": (sum(u.out["ltv"] for u in react) / len(react)) if react
        else None,
    }


def srm(units, share_pct):
    if share_pct == 0:
        return None
    share = share_pct / 100
    n = sum(1 for u in units if u.status != "stopped")
    held = sum(1 for u in units if u.status == "holdout")
    if n == 0:
        return {"units": 0, "held_out": held, "expected_share": share, "p_value": None,
                "mismatch": False}
    e1, e2 = n * share, n * (1 - share)
    chi2 = 0.0
    for o, e in ((held, e1), (n - held, e2)):
        if e > 0:
            chi2 += (o - e) ** 2 / e
        elif o != 0:
            chi2 = math.inf
    p = math.erfc(math.sqrt(chi2 / 2))
    return {"units": n, "held_out": held, "expected_share": share, "p_value": p,
            "mismatch": p < 0.001}


def sequence_report(seq_plan, units, families, min_sample):
    seq = seq_plan["name"]
    share = units[0].holdout_share
    treated = [u for u in units if u.treated]
    control = [u for u in units if u.control]
    by = {}
    for dim in ("touch", "step", "channel", "offer", "variant"):
        groups = {}
        for u in treated:
            val = u.own.get(dim)
            if val is not None:
                groups.setdefault(str(val), ([], []))[0].append(u)
        for u in control:
            val = u.would_be.get(dim)
            if val is not None:
                groups.setdefault(str(val), ([], []))[1].append(u)
        by[dim] = {k: metrics(t, c) for k, (t, c) in groups.items()}
    for fam in families:
        groups = {}
        for u in treated:
            val = u.cohort.get(fam)
            if val is not None:
                groups.setdefault(str(val), ([], []))[0].append(u)
        for u in control:
            val = u.cohort.get(fam)
            if val is not None:
                groups.setdefault(str(val), ([], []))[1].append(u)
        by[fam] = {k: metrics(t, c) for k, (t, c) in groups.items()}
    variants = []
    for touch in seq_plan["touches"]:
        names = touch.get("variants", [])
        if not names:
            continue
        at = [u for u in treated if u.own.get("touch") == touch["number"]]
        if not at:
            continue
        first = [u for u in at if u.own.get("variant") == names[0]]
        x1 = sum(1 for u in first if u.out["reactivated"])
        for name in names[1:]:
            this = [u for u in at if u.own.get("variant") == name]
            x = sum(1 for u in this if u.out["reactivated"])
            lift, p = z_test(x, len(this), x1, len(first))
            verdict = "undecided"
            if p is not None and p < 0.05 and len(this) >= min_sample and \
                    len(first) >= min_sample:
                if lift < 0:
                    verdict = "losing"
                elif lift > 0:
                    verdict = "winning"
            variants.append({"touch": touch["number"], "step": touch["name"], "variant": name,
                             "control": names[0], "treated": len(this),
                             "control_treated": len(first), "lift": lift, "p_value": p,
                             "verdict": verdict})
    return {"sequence": seq, "holdout_share": share, "srm": srm(units, share),
            "overall": metrics(treated, control), "by": by, "variants": variants}


def run_report(run_id, as_of, units, plan, min_sample):
    seqs = []
    for sp in plan["sequences"]:
        mine = [u for u in units if u.sequence == sp["name"]]
        if mine:
            seqs.append(sequence_report(sp, mine, plan["families"], min_sample))
    return {"run_id": run_id, "as_of": as_of, "sequences": seqs}


def cmd_measure(a):
    plan = read_plan(a.plan)
    known = {s["name"] for s in plan["sequences"]}
    units = read_events(a.events)
    for u in units:
        if u.sequence not in known:
            raise DataError(f"event of sequence \"{u.sequence}\", which the plan does not have")
    outcomes = read_outcomes(a.outcomes)
    for u in units:
        u.out = unit_outcomes(u, outcomes, a.window)
    runs = {}
    for u in units:
        runs.setdefault(u.run_id, []).append(u)
    report = {
        "window_days": a.window,
        "runs": [run_report(rid, us[0].as_of.isoformat(), us, plan, a.min_sample)
                 for rid, us in runs.items()],
        "pooled": run_report("pooled", None, units, plan, a.min_sample),
    }
    files = [(a.out, json.dumps(report, ensure_ascii=False, indent=1) + "\n")]
    if a.verdicts:
        paused = set()
        for s in report["pooled"]["sequences"]:
            for v in s["variants"]:
                if v["verdict"] == "losing":
                    paused.add(f"{s['sequence']}.{v['step']}.{v['variant']}")
                elif v["verdict"] == "winning":
                    paused.add(f"{s['sequence']}.{v['step']}.{v['control']}")
        files.append((a.verdicts, json.dumps({"paused": sorted(paused)}, indent=1) + "\n"))
    write_files_atomically(files)
    return 0


# ---- Measurement inputs: events and outcomes with a planted effect --------------------------

def synthetic_due(rnd, seq, key):
    """The touch fields of a due decision of `seq`, shaped as eval writes them."""
    if seq == "welcome_back":
        touch = rnd.choice([1, 1, 2])
        return {"touch": touch, "step": WELCOME_STEPS[touch - 1], "variant": None,
                "channel": rnd.choice(["email"] * 5 + ["sms"]), "offer": "none"}
    touch = rnd.choice([1, 1, 1, 2, 2, 3, 3, 4, 5, 6, 6, 6, 7])
    step = WINBACK_STEPS[touch - 1]
    variant = variant_of("winback", step, key, set()) if ("winback", step) in VARIANTS else None
    channel = "sms" if touch == 5 and rnd.random() < 0.6 else rnd.choice(["email"] * 6 + ["sms"])
    offer = {3: rnd.choice(["credit 10", "credit 20"]), 5: "early_access",
             6: ("credit 25" if variant == "credit" else rnd.choice(["discount 20%",
                                                                      "discount 15%"]))
             }.get(touch, "none")
    return {"touch": touch, "step": step, "variant": variant, "channel": channel,
            "offer": offer}


def synthetic_status(rnd, seq):
    if seq == "welcome_back":
        return rnd.choices(["due", "waiting", "exhausted", "no_channel", "capped"],
                           [55, 20, 10, 5, 10])[0]
    return rnd.choices(["due", "responded", "waiting", "exhausted", "no_channel", "capped"],
                       [55, 8, 17, 5, 5, 10])[0]


def cmd_generate_events(a):
    """Events of a.runs runs (a week apart from AS_OF) over a.customers customers, in the
    section-7 shape; winback holds out a.holdout_rate of its entrants (declared 5%: a rate far
    from 0.05 plants a sample-ratio mismatch); a.duplicates of the units are written twice, the
    second copy altered (the first read must count)."""
    rnd = random.Random(a.seed)
    start = dt.date.fromisoformat(a.as_of)
    labels = {
        "dormancy": ["never_purchased", "active", "early_warning", "active_risk", "critical",
                     "deep"],
        "value_tier": ["whale", "mid", "low"], "margin": ["unknown_margin", "high_margin",
                                                          "low_margin"],
        "history": ["subscriber", "repeat", "single"],
        "engagement": ["dark", "opens_no_clicks", "clicks_no_purchase", "engaged"],
        "affinity": ["fashion", "home", "tech", "other"], "acquisition": ["paid", "organic",
                                                                          "owned"],
        "risk_band": ["high", "medium", "low"],
    }
    customers = []
    for i in range(a.customers):
        cid = f"M{i:06d}" if rnd.random() > 0.03 else f"{rnd.choice(ODD_IDS)}-{i}"
        cohort = {f: rnd.choice(vals) for f, vals in labels.items()}
        cohort["churn_risk"] = rnd.choice([-10, 0, 15, 25, 30, 45, 50, 75, 100])
        customers.append((cid, cohort))
    events, extra = [], []
    for k in range(a.runs):
        as_of = start + dt.timedelta(days=7 * k)
        run_id = f"{as_of.isoformat()}/0badc0de" if k % 2 == 0 else f"nightly-{k}"
        for cid, cohort in customers:
            seqs = [s for s, p in (("welcome_back", 0.25), ("winback", 0.8)) if rnd.random() < p]
            if not seqs:
                continue
            stopped = rnd.choice(["opted_out", "no_permission", "complaint", "deliverability",
                                  "poor_fit"]) if rnd.random() < 0.08 else None
            review = []
            for seq in seqs:
                e = {"run_id": run_id, "as_of": as_of.isoformat(), "customer_id": cid,
                     "sequence": seq}
                fields = {"touch": None, "step": None, "variant": None, "channel": None,
                          "offer": None}
                would_be = None
                if stopped:
                    status = "stopped"
                elif seq == "winback" and rnd.random() < a.holdout_rate:
                    status = "holdout"
                    wb_status = synthetic_status(rnd, seq)
                    would_be = {"status": wb_status, "touch": None, "step": None,
                                "variant": None, "channel": None, "offer": None}
                    if wb_status == "due":
                        would_be.update(synthetic_due(rnd, seq, cid))
                else:
                    status = synthetic_status(rnd, seq)
                    if status == "due":
                        fields = synthetic_due(rnd, seq, cid)
                        if cohort["value_tier"] == "whale":
                            review = ["high_value"]
                e["status"] = status
                e.update(fields)
                e.update({"stopped_by": stopped, "review": review, "cohort": dict(cohort),
                          "holdout_share": HOLDOUT_SHARE[seq], "would_be": would_be})
                events.append(e)
                if rnd.random() < a.duplicates:
                    dup = dict(e)
                    dup["status"] = "due" if e["status"] != "due" else "waiting"
                    dup.update(synthetic_due(rnd, seq, cid) if dup["status"] == "due" else
                               {"touch": None, "step": None, "variant": None, "channel": None,
                                "offer": None})
                    extra.append(dup)
    sys.stdout.buffer.write(jsonl_text(events + extra).encode("utf-8"))
    return 0


def parse_effects(specs):
    """--effect DIM:VALUE=DELTA (DIM one of offer, variant, touch, step, channel): added to a
    treated unit's purchase probability when its own DIM is VALUE."""
    effects = []
    for s in specs or []:
        m = re.fullmatch(r"(offer|variant|touch|step|channel):(.+)=(-?[0-9.]+)", s)
        if not m:
            raise DataError(f"--effect {s!r}: write DIM:VALUE=DELTA, e.g. variant:credit=-0.05")
        effects.append((m.group(1), m.group(2), float(m.group(3))))
    return effects


def cmd_generate_outcomes(a):
    """Outcomes for the units of EVENTS (first read counts): a purchase in the window with
    probability base (+ lift + matching effects for treated units), plus noise that the window
    rules must get right: purchases on the as-of date and one day past the window (not
    counted), exactly at as_of + window (counted), follow-ups at d0 + 89 (in the 90-day LTV) and
    d0 + 90 (not), unsubscribes and complaints, missing money, customers without events."""
    rnd = random.Random(a.seed)
    effects = parse_effects(a.effect)
    units = read_events(a.events)
    rows = []

    def money():
        r = rnd.random()
        if r < 0.05:
            return ""
        return f"{rnd.uniform(5, 300):.2f}"

    for u in units:
        if u.status == "stopped":
            continue
        p = a.base
        if u.treated:
            p += a.lift
            for dim, val, delta in effects:
                if str(u.own.get(dim)) == val:
                    p += delta
        if rnd.random() < p:
            d0 = u.as_of + dt.timedelta(days=rnd.randint(1, a.window))
            rev = money()
            cost = ""
            if u.treated and (u.own.get("offer") or "none") != "none" and rev != "":
                cost = f"{min(float(rev), 25.0) * rnd.choice([0.2, 1.0]):.2f}" \
                    if rnd.random() > 0.1 else ""
            rows.append([u.customer_id, d0.isoformat(), "purchase", rev, cost])
            for off in rnd.sample([0, 3, 40, 89, 90, 200], rnd.randint(0, 2)):
                rows.append([u.customer_id, (d0 + dt.timedelta(days=off)).isoformat(),
                             "purchase", money(), ""])
        r = rnd.random()
        if r < 0.03:
            rows.append([u.customer_id, u.as_of.isoformat(), "purchase", money(), ""])
        elif r < 0.05:
            rows.append([u.customer_id, (u.as_of + dt.timedelta(days=a.window)).isoformat(),
                         "purchase", money(), ""])
        elif r < 0.07:
            rows.append([u.customer_id, (u.as_of + dt.timedelta(days=a.window + 1)).isoformat(),
                         "purchase", money(), ""])
        if rnd.random() < (a.unsubscribe + (a.lift_unsubscribe if u.treated else 0)):
            rows.append([u.customer_id, (u.as_of + dt.timedelta(days=rnd.randint(0, a.window + 1))
                                         ).isoformat(), "unsubscribe", "", ""])
        if rnd.random() < a.complaint:
            rows.append([u.customer_id, (u.as_of + dt.timedelta(days=rnd.randint(1, a.window))
                                         ).isoformat(), "complaint", "", ""])
    for i in range(max(1, len(units) // 50)):
        rows.append([f"NOEVENTS{i}", units[0].as_of.isoformat() if units else "2026-11-02",
                     "purchase", money(), ""])
    rnd.shuffle(rows)
    sys.stdout.buffer.write(csv_text(["customer_id", "date", "kind", "revenue",
                                      "incentive_cost"], rows).encode("utf-8"))
    return 0


def cmd_scan_gaps(a):
    """Every zone and local day in [FROM, TO) where 09:00 or 11:00 local is in a gap or a fold
    (fold=0 and fold=1 give different offsets): only days around a change of offset are
    examined. Prints zone, day, hour, the fold=0 (earlier) and fold=1 offsets."""
    for name in sorted(zone_names()):
        z = zone(name)
        d, end = dt.date(a.from_year, 1, 1), dt.date(a.to_year, 1, 1)
        prev = dt.datetime(d.year, d.month, d.day, tzinfo=z).utcoffset()
        while d < end:
            n = d + dt.timedelta(days=1)
            cur = dt.datetime(n.year, n.month, n.day, tzinfo=z).utcoffset()
            if cur != prev:
                for day in (d, n):
                    for hour in (9, 11):
                        t = dt.datetime(day.year, day.month, day.day, hour, tzinfo=z)
                        if t.utcoffset() != t.replace(fold=1).utcoffset():
                            print(name, day.isoformat(), f"{hour:02d}:00", t.utcoffset(),
                                  t.replace(fold=1).utcoffset())
            prev, d = cur, n
    return 0


def cmd_corner_dates(_a):
    sys.stdout.write("".join(d + "\n" for d in CORNER_DATES))
    return 0


# ---- Comparison ------------------------------------------------------------------------------

class Differences:
    def __init__(self, limit=12):
        self.items, self.count, self.limit = [], 0, limit

    def add(self, msg):
        self.count += 1
        if len(self.items) < self.limit:
            self.items.append(msg)


def numbers_close(x, y, rel, abs_tol):
    if math.isnan(x) or math.isnan(y):
        return math.isnan(x) and math.isnan(y)
    if math.isinf(x) or math.isinf(y):
        return x == y
    return math.isclose(x, y, rel_tol=rel, abs_tol=abs_tol)


def compare_values(e, a, path, diffs, rel, abs_tol):
    def kind(v):
        if v is None:
            return "null"
        if isinstance(v, bool):
            return "bool"
        if isinstance(v, (int, float)):
            return "number"
        return type(v).__name__

    if kind(e) != kind(a):
        diffs.add(f"{path}: expected {json.dumps(e, ensure_ascii=False)}, got "
                  f"{json.dumps(a, ensure_ascii=False)}")
    elif isinstance(e, dict):
        for k in e:
            if k not in a:
                diffs.add(f"{path}: key {k!r} missing")
            else:
                compare_values(e[k], a[k], f"{path}.{k}", diffs, rel, abs_tol)
        for k in a:
            if k not in e:
                diffs.add(f"{path}: unexpected key {k!r}")
    elif isinstance(e, list):
        if len(e) != len(a):
            diffs.add(f"{path}: expected {len(e)} items, got {len(a)}")
        for i, (x, y) in enumerate(zip(e, a)):
            compare_values(x, y, f"{path}[{i}]", diffs, rel, abs_tol)
    elif kind(e) == "number":
        if isinstance(e, int) and isinstance(a, int):
            if e != a:
                diffs.add(f"{path}: expected {e}, got {a}")
        elif not numbers_close(float(e), float(a), rel, abs_tol):
            diffs.add(f"{path}: expected {e!r}, got {a!r}")
    elif e != a:
        diffs.add(f"{path}: expected {json.dumps(e, ensure_ascii=False)}, got "
                  f"{json.dumps(a, ensure_ascii=False)}")


def load_json_file(path, lines):
    with open(path, encoding="utf-8") as f:
        text = f.read()
    if lines:
        out = []
        for n, line in enumerate(text.split("\n"), 1):
            if line.strip():
                try:
                    out.append(json.loads(line))
                except ValueError as e:
                    raise DataError(f"{path}:{n}: not JSON ({e})")
        return out
    try:
        return json.loads(text)
    except ValueError as e:
        raise DataError(f"{path}: not JSON ({e})")


def cmd_compare(a):
    fmt = a.format
    if fmt is None:
        ext = os.path.splitext(a.expected)[1].lower()
        fmt = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "json"}.get(ext)
        if fmt is None:
            raise DataError(f"{a.expected}: say --format csv|jsonl|json")
    diffs = Differences()
    if fmt == "csv":
        exp = [r for _, r in read_csv_records(a.expected)]
        act = [r for _, r in read_csv_records(a.actual)]
        if not exp or not act or exp[0] != act[0]:
            print(f"header differs:\n  expected {exp[0] if exp else None}\n  actual   "
                  f"{act[0] if act else None}")
            return 1
        header = exp[0]
        if len(exp) != len(act):
            diffs.add(f"row count differs: expected {len(exp) - 1}, actual {len(act) - 1}")
        for i, (e, r) in enumerate(zip(exp[1:], act[1:]), 2):
            if e != r:
                parts = [f"{header[k]}: expected {e[k]!r}, got {r[k]!r}"
                         for k in range(min(len(e), len(r))) if e[k] != r[k]]
                if len(e) != len(r):
                    parts.append(f"{len(e)} fields expected, {len(r)} found")
                diffs.add(f"row {i} ({e[0]!r}): " + "; ".join(parts))
        if a.strict_quoting:
            with open(a.actual, encoding="utf-8", newline="") as f:
                raw = f.read()
            if raw != csv_text(act[0], act[1:]):
                diffs.add("the actual file's bytes are not minimal-quoted RFC 4180 with \\n "
                          "line ends (its parsed rows re-written differ)")
        n = len(exp) - 1
    else:
        exp = load_json_file(a.expected, fmt == "jsonl")
        act = load_json_file(a.actual, fmt == "jsonl")
        if fmt == "json" and isinstance(exp, dict) and set(exp) == {"paused"}:
            # A verdicts file: `paused` is a set; other keys of the actual file are free.
            if not isinstance(act, dict) or not isinstance(act.get("paused"), list):
                diffs.add("$.paused: missing or not a list")
            elif set(exp["paused"]) != set(act["paused"]) or \
                    len(act["paused"]) != len(set(act["paused"])):
                diffs.add(f"$.paused: expected {sorted(exp['paused'])}, got {act['paused']}")
            n = 1
        elif fmt == "jsonl":
            if len(exp) != len(act):
                diffs.add(f"line count differs: expected {len(exp)}, actual {len(act)}")
            for i, (e, r) in enumerate(zip(exp, act), 1):
                compare_values(e, r, f"line {i} ({e.get('customer_id', '')!r}) $"
                               if isinstance(e, dict) else f"line {i} $",
                               diffs, a.rel, a.abs)
            n = len(exp)
        else:
            compare_values(exp, act, "$", diffs, a.rel, a.abs)
            n = 1
    if diffs.count:
        for m in diffs.items:
            print(m)
        print(f"{diffs.count} difference(s) between {a.expected} and {a.actual}")
        return 1
    print(f"identical ({n} {'rows' if fmt == 'csv' else 'values'}; {a.expected} = {a.actual})")
    return 0


# ---- Self tests ----------------------------------------------------------------------------

def _customer(as_of, **over):
    """A critical-dormancy (120 days), mid-value repeat buyer with email consent, an address and
    a 1% bounce rate, no touch yet; every self test changes what it is about."""
    v = {
        "customer_id": "c-001", "last_purchase_date": as_of - dt.timedelta(days=120),
        "last_engagement_date": None, "orders_total": 3, "avg_order_value": 80.0,
        "gross_margin_pct": 0.35, "is_subscriber": False, "email_opens_90d": 2,
        "email_clicks_90d": 1, "purchases_90d": 0, "categories": ["apparel"],
        "acquisition_channel": "paid_social", "email_consent": True, "sms_consent": False,
        "opted_out": False, "relationship_flag": None, "spam_complaints_90d": 0,
        "email_bounce_rate": 0.01, "last_touch": 0, "last_touch_date": None,
        "responded": False, "first_name": "Ann", "email": "ann@example.com", "phone": None,
        "timezone": None, "csm_owner": None, "last_contact_date": None, "contacts_30d": 0,
        "welcome_touch": 0, "welcome_touch_date": None,
    }
    v.update(over)
    return v


def cmd_selftest(_a):
    failures = []

    def check(what, got, want):
        if got != want:
            failures.append(f"{what}: got {got!r}, want {want!r}")

    def close(what, got, want, tol):
        if got is None or abs(got - want) > tol:
            failures.append(f"{what}: got {got!r}, want {want!r} (+-{tol})")

    # FNV-1a 64: the reference vectors (offset basis alone, "a", "foobar") and the playbook's
    # rules/winback.test values (winback:c-001 -> 79, winback:c-003 -> 1).
    check("fnv1a64('')", fnv1a64(b""), 0xcbf29ce484222325)
    check("fnv1a64('a')", fnv1a64(b"a"), 0xaf63dc4c8601ec8c)
    check("fnv1a64('foobar')", fnv1a64(b"foobar"), 0x85944171f73967e8)
    check("winback:c-001 mod 100", fnv1a64(b"winback:c-001") % 100, 79)
    check("winback:c-003 mod 100", fnv1a64(b"winback:c-003") % 100, 1)

    # Variant buckets: consecutive ranges in the order written. Find keys at each range's edges
    # and check the assignment there, with and without pausing.
    def bucket(seq, step, key):
        return fnv1a64(f"{seq}.{step}:{key}".encode()) % 100

    edges = {}
    for i in range(20000):
        k = f"c-{i}"
        for step in ("pattern_interrupt", "winback_offer"):
            edges.setdefault((step, bucket("winback", step, k)), k)
    for step, b, want in [("pattern_interrupt", 0, "curiosity"),
                          ("pattern_interrupt", 49, "curiosity"),
                          ("pattern_interrupt", 50, "personal"),
                          ("pattern_interrupt", 99, "personal"),
                          ("winback_offer", 79, "discount"), ("winback_offer", 80, "credit"),
                          ("winback_offer", 0, "discount"), ("winback_offer", 99, "credit")]:
        k = edges[(step, b)]
        check(f"variant of {k} (bucket {b} of {step})", variant_of("winback", step, k, set()),
              want)
    k80 = edges[("winback_offer", 80)]
    check("credit paused -> discount", variant_of(
        "winback", "winback_offer", k80, {"winback.winback_offer.credit"}), "discount")
    k10 = edges[("winback_offer", 10)]
    check("discount paused -> credit", variant_of(
        "winback", "winback_offer", k10, {"winback.winback_offer.discount"}), "credit")
    check("other touch's pause changes nothing", variant_of(
        "winback", "winback_offer", k10, {"winback.pattern_interrupt.curiosity"}), "discount")
    # The spec's example key: a fixed value, so a change of hashing shows here.
    check("bucket winback.winback_offer:C0001", bucket("winback", "winback_offer", "C0001"),
          fnv1a64(b"winback.winback_offer:C0001") % 100)

    # Send times, computed by hand:
    cases = [
        # 2026-11-02 is a Monday; New York is back on EST (-05:00) since 2026-11-01 02:00:
        # email 09:00 + 5 h = 14:00Z, sms 11:00 + 5 h = 16:00Z.
        ("2026-11-02", "America/New_York", "email", "2026-11-02T14:00:00Z"),
        ("2026-11-02", "America/New_York", "sms", "2026-11-02T16:00:00Z"),
        # 2026-11-01 is a Sunday (the fall-back day): email 09:00 EST = 14:00Z; sms moves to
        # Monday 11:00 EST = 16:00Z.
        ("2026-11-01", "US/Eastern", "email", "2026-11-01T14:00:00Z"),
        ("2026-11-01", "US/Eastern", "sms", "2026-11-02T16:00:00Z"),
        # Saturday before that: still EDT (-04:00): 09:00 + 4 h = 13:00Z.
        ("2026-10-31", "America/New_York", "email", "2026-10-31T13:00:00Z"),
        # 2026-03-07 Saturday, EST: 14:00Z / 16:00Z. 2026-03-08 Sunday, EDT from 02:00: email
        # 09:00 + 4 h = 13:00Z; sms Monday 2026-03-09 11:00 EDT = 15:00Z.
        ("2026-03-07", "America/New_York", "email", "2026-03-07T14:00:00Z"),
        ("2026-03-07", "America/New_York", "sms", "2026-03-07T16:00:00Z"),
        ("2026-03-08", "America/New_York", "email", "2026-03-08T13:00:00Z"),
        ("2026-03-08", "America/New_York", "sms", "2026-03-09T15:00:00Z"),
        # Berlin 2026-03-29 Sunday, CEST (+02:00) from 02:00: email 09:00 - 2 h = 07:00Z; sms
        # Monday 11:00 - 2 h = 09:00Z. 2026-10-25 Sunday, CET (+01:00) from 03:00: 08:00Z;
        # Monday 10-26 11:00 - 1 h = 10:00Z.
        ("2026-03-29", "Europe/Berlin", "email", "2026-03-29T07:00:00Z"),
        ("2026-03-29", "Europe/Berlin", "sms", "2026-03-30T09:00:00Z"),
        ("2026-10-25", "Europe/Berlin", "email", "2026-10-25T08:00:00Z"),
        ("2026-10-25", "Europe/Berlin", "sms", "2026-10-26T10:00:00Z"),
        # Kolkata +05:30: 09:00 - 5:30 = 03:30Z; Sunday 2026-11-01 sms -> Monday 11:00 - 5:30
        # = 05:30Z. Kathmandu +05:45: 09:00 - 5:45 = 03:15Z.
        ("2026-11-01", "Asia/Kolkata", "email", "2026-11-01T03:30:00Z"),
        ("2026-11-01", "Asia/Calcutta", "sms", "2026-11-02T05:30:00Z"),
        ("2026-11-02", "Asia/Kathmandu", "email", "2026-11-02T03:15:00Z"),
        # Adelaide 2026-04-05 Sunday: ACDT ends 03:00 -> ACST +09:30: email 09:00 - 9:30 =
        # 23:30Z on the previous UTC day; sms Monday 04-06 11:00 - 9:30 = 01:30Z.
        ("2026-04-05", "Australia/Adelaide", "email", "2026-04-04T23:30:00Z"),
        ("2026-04-05", "Australia/Adelaide", "sms", "2026-04-06T01:30:00Z"),
        # Adelaide 2026-10-04 Sunday: ACDT +10:30 from 02:00: 09:00 - 10:30 = 22:30Z (10-03).
        ("2026-10-04", "Australia/Adelaide", "email", "2026-10-03T22:30:00Z"),
        # Lord Howe 2026-10-04: +10:30 -> +11:00 (a 30-minute DST) at 02:00: 09:00 - 11 h =
        # 22:00Z on 10-03.
        ("2026-10-04", "Australia/Lord_Howe", "email", "2026-10-03T22:00:00Z"),
        # Kiritimati +14:00: 09:00 - 14 h = 19:00Z the previous UTC day.
        ("2026-11-02", "Pacific/Kiritimati", "email", "2026-11-01T19:00:00Z"),
        # St John's 2026-11-02 NST -03:30: 09:00 + 3:30 = 12:30Z.
        ("2026-11-02", "America/St_Johns", "email", "2026-11-02T12:30:00Z"),
        # Apia skipped 2011-12-30 (from -10:00 to +14:00 at the end of 12-29): 09:00 on the
        # missing day takes the earlier offset -10:00: 09:00 + 10 h = 19:00Z; a Friday, so sms
        # stays: 11:00 + 10 h = 21:00Z.
        ("2011-12-30", "Pacific/Apia", "email", "2011-12-30T19:00:00Z"),
        ("2011-12-30", "Pacific/Apia", "sms", "2011-12-30T21:00:00Z"),
        # Troll (Antarctica) +02:00 in summer: 2026-03-29 (changed at 01:00 UTC): 07:00Z.
        ("2026-03-29", "Antarctica/Troll", "email", "2026-03-29T07:00:00Z"),
    ]
    for day, tz, ch, want in cases:
        check(f"send_at {day} {tz} {ch}", send_at(dt.date.fromisoformat(day), tz, ch), want)

    # Templates (section 5 and 9): fallbacks for missing and empty, one pass, offers in words,
    # money and lists as the section says, other values as the CSV writer writes them.
    vals = {"first_name": ("string", None), "affinity": ("label", "home"),
            "offer": ("string", offer_words("credit 20"))}
    check("fallback", render("Hi {first_name|friend}, {affinity}", vals), "Hi friend, home")
    vals["first_name"] = ("string", "")
    check("empty is missing", render("{first_name|there}", vals), "there")
    vals["first_name"] = ("string", "{affinity}")
    check("one pass", render("Did we lose you, {first_name|friend}?", vals),
          "Did we lose you, {affinity}?")
    vals["first_name"] = ("string", " Zoë, \"Jr\" ")
    check("values as is", render("{first_name|x}!", vals), " Zoë, \"Jr\" !")
    check("credit in words", render("A thank-you: {offer}", vals), "A thank-you: a $20 credit")
    check("offer none", offer_words("none"), "")
    check("offer early", offer_words("early_access"), "early access")
    check("offer discount", offer_words("discount 15%"), "15% off")
    check("offer credit 25", offer_words("credit 25"), "a $25 credit")
    tv = {"aov": ("money", 84.5), "cats": ("list", ["apparel", "home"]), "none": ("list", []),
          "pct": ("percent", 0.35), "b": ("bool", False), "d": ("date", dt.date(2026, 3, 8)),
          "n": ("int", -10), "big": ("money", 1e20)}
    check("money", render("{aov}", tv), "$84.50")
    check("list", render("{cats}", tv), "apparel, home")
    check("empty list", render("{none|nothing}", tv), "nothing")
    check("percent", render("{pct}", tv), "0.35")
    check("bool/date/int", render("{b} {d} {n}", tv), "false 2026-03-08 -10")
    # 1e20 is not below 1e15, so the shortest text: %e (5 chars) beats fixed (21 chars).
    check("money beyond cents", render("{big}", tv), "$1e+20")

    # The evaluation, customer by customer (as of Monday 2026-11-02 unless said).
    mon = dt.date(2026, 11, 2)

    def ev(as_of=mon, paused=frozenset(), **over):
        return evaluate(_customer(as_of, **over), as_of, paused)

    r = ev()
    d = r["decisions"]["winback"]
    check("default: winback due touch 1", (d.status, d.touch, d.step, d.channel, d.offer),
          ("due", 1, "pattern_interrupt", "email", "none"))
    check("default: variant by bucket", d.variant,
          "curiosity" if bucket("winback", "pattern_interrupt", "c-001") < 50 else "personal")
    check("default: send_at (NY, EST)", d.send_at, "2026-11-02T14:00:00Z")
    check("default: welcome_back not entered", r["decisions"]["welcome_back"].status,
          "not_candidate")
    # churn: clicks_no_purchase 0, critical +10, repeat 0, margin known 0, bounce 1% 0 = 10.
    check("default: churn_risk", (r["churn_risk"], r["labels"]["risk_band"]), (10, "low"))
    check("default: no review, no owner", (r["review"], r["owner"]), ([], None))
    # dark +30, deep +20, margin missing +15, bounce 3% +10, subscriber -10 = 65 (history is
    # subscriber, so "single" adds nothing although orders_total is 1).
    r = ev(email_opens_90d=0, email_clicks_90d=0, orders_total=1, gross_margin_pct=None,
           email_bounce_rate=0.03, is_subscriber=True,
           last_purchase_date=mon - dt.timedelta(days=200))
    check("churn all lines", (r["churn_risk"], r["labels"]["risk_band"]), (65, "high"))
    check("churn: subscriber is not single", r["labels"]["history"], "subscriber")
    r = ev(email_bounce_rate=0.02, orders_total=1)  # 2% is not above 2%: 10 + 15 = 25
    check("churn: 2% adds nothing; 25 is medium", (r["churn_risk"], r["labels"]["risk_band"]),
          (25, "medium"))
    r = ev(email_bounce_rate=None, orders_total=1)  # missing adds nothing, but no email...
    check("bounce missing: stopped (deliverability)", r["stopped_by"], "deliverability")
    r = ev(email_bounce_rate=None, sms_consent=True, phone="+1555")
    d = r["decisions"]["winback"]
    check("bounce missing + sms allowed: sms", (r["stopped_by"], d.status, d.channel),
          (None, "due", "sms"))
    check("sms send_at 11:00 EST", d.send_at, "2026-11-02T16:00:00Z")
    r = ev(email=None)
    check("consent without address: no_channel", r["decisions"]["winback"].status,
          "no_channel")
    r = ev(email_bounce_rate=0.051, sms_consent=True, phone=None)
    check("bounce 5.1%, sms consent without phone: deliverability", r["stopped_by"],
          "deliverability")
    r = ev(email_bounce_rate=0.05)
    check("bounce 5% exactly: email allowed", r["decisions"]["winback"].channel, "email")
    for lcd_off, want in [(0, "capped"), (1, "capped"), (2, "due"), (-3, "capped")]:
        r = ev(last_contact_date=mon - dt.timedelta(days=lcd_off))
        check(f"cap 2 at {lcd_off} days", r["decisions"]["winback"].status, want)
    for n, want in [(3, "due"), (4, "capped"), (INT64_MAX, "capped")]:
        check(f"cap 3 at {n}", ev(contacts_30d=n)["decisions"]["winback"].status, want)
    r = ev(email=None, contacts_30d=9)
    check("no_channel before capped", r["decisions"]["winback"].status, "no_channel")
    # Reactivated and a candidate: touch 2 was 130 days ago, the last purchase 125 days ago.
    both = dict(last_touch=2, last_touch_date=mon - dt.timedelta(days=130),
                last_purchase_date=mon - dt.timedelta(days=125))
    r = ev(**both)
    check("both: welcome_back due, winback capped (cap 1)",
          (r["decisions"]["welcome_back"].status, r["decisions"]["welcome_back"].step,
           r["decisions"]["winback"].status), ("due", "welcome", "capped"))
    r = ev(welcome_touch=2, **both)
    check("welcome exhausted: winback due touch 3", (
        r["decisions"]["welcome_back"].status, r["decisions"]["winback"].status,
        r["decisions"]["winback"].touch, r["decisions"]["winback"].offer),
        ("exhausted", "due", 3, "credit 10"))
    for off, want in [(2, "waiting"), (3, "due"), (-1, "waiting")]:
        r = ev(welcome_touch=1, welcome_touch_date=mon - dt.timedelta(days=off), **both)
        check(f"welcome wait at {off} days", r["decisions"]["welcome_back"].status, want)
    r = ev(welcome_touch=1, welcome_touch_date=None, **both)
    check("welcome_touch 1 without a date: waiting", r["decisions"]["welcome_back"].status,
          "waiting")
    r = ev(customer_id="c-003", avg_order_value=300.0, **both)
    win = r["decisions"]["winback"]
    check("holdout: would_be capped (cap 1 reads welcome_back)",
          (win.status, win.would_be.status), ("holdout", "capped"))
    check("holdout with welcome_back due: reviewed for it", (r["review"], r["owner"]),
          (["high_value"], "marketing-ops"))
    ev_objs = event_objects(r, "2026-11-02/0123abcd", mon)
    check("events: one per entered sequence, review on each",
          [(e["sequence"], e["status"], e["review"], e["holdout_share"]) for e in ev_objs],
          [("welcome_back", "due", ["high_value"], 0), ("winback", "holdout", ["high_value"], 5)])
    check("events: would_be", ev_objs[1]["would_be"],
          {"status": "capped", "touch": None, "step": None, "variant": None, "channel": None,
           "offer": None})
    r = ev(customer_id="c-003", last_touch=5, last_touch_date=mon - dt.timedelta(days=7))
    check("holdout would_be due touch 6 (critical skips nothing after 5)",
          (r["decisions"]["winback"].would_be.status, r["decisions"]["winback"].would_be.touch),
          ("due", 6))
    check("holdout alone: no review", r["review"], [])
    # Risk high: dark + deep = 50: touch 3 offers credit 20.
    r = ev(email_opens_90d=0, email_clicks_90d=0, last_purchase_date=mon - dt.timedelta(days=180),
           last_touch=2, last_touch_date=mon - dt.timedelta(days=7))
    d = r["decisions"]["winback"]
    check("risk high: credit 20", (r["churn_risk"], d.step, d.offer),
          (50, "soft_incentive", "credit 20"))
    check("soft_incentive subject", draft_texts(r, "winback", d)[0], "A thank-you: a $20 credit")
    # Touch 5 only for deep dormancy; sms when allowed, else email.
    r = ev(last_touch=4, last_touch_date=mon - dt.timedelta(days=7))
    check("non-deep skips 5", r["decisions"]["winback"].touch, 6)
    deep = dict(last_touch=4, last_touch_date=mon - dt.timedelta(days=7),
                last_purchase_date=mon - dt.timedelta(days=400))
    r = ev(sms_consent=True, phone="+1", **deep)
    d = r["decisions"]["winback"]
    check("deep touch 5 via sms", (d.touch, d.channel, d.offer), (5, "sms", "early_access"))
    check("sms draft has no subject", draft_texts(r, "winback", d)[0], None)
    r = ev(**deep)
    check("deep touch 5 via email without sms", r["decisions"]["winback"].channel, "email")
    # Touch 6: the discount variant (80%) or the credit variant (20%).
    t6 = dict(last_touch=5, last_touch_date=mon - dt.timedelta(days=7))
    kd, kc = edges[("winback_offer", 10)], edges[("winback_offer", 90)]
    r = ev(customer_id=kd, avg_order_value=250.0, **t6)
    d = r["decisions"]["winback"]
    check("whale discount variant", (d.variant, d.offer, r["review"]),
          ("discount", "discount 15%", ["high_value", "discount"]))
    r = ev(customer_id=kc, relationship_flag="bereavement", csm_owner="zoë", **t6)
    d = r["decisions"]["winback"]
    check("credit variant", (d.variant, d.offer, r["review"], r["owner"]),
          ("credit", "credit 25", ["sensitive_history"], "zoë"))
    r = ev(customer_id=kc, paused=frozenset({"winback.winback_offer.credit"}), **t6)
    check("credit paused", r["decisions"]["winback"].offer, "discount 20%")
    # Stopped: a reactivated, non-candidate customer who opted out.
    r = ev(opted_out=True, last_touch=1, last_touch_date=mon - dt.timedelta(days=10),
           last_purchase_date=mon - dt.timedelta(days=5))
    check("welcome_back-only stop", (r["candidate"], r["stopped_by"],
                                     r["decisions"]["welcome_back"].status,
                                     r["decisions"]["winback"].status),
          (False, "opted_out", "stopped", "not_candidate"))
    r = ev(opted_out=True, last_purchase_date=mon - dt.timedelta(days=5))
    check("no entry: never stopped", r["stopped_by"], None)
    r = ev(last_touch=INT64_MAX, last_touch_date=mon - dt.timedelta(days=8))
    check("last_touch int64 max: exhausted", r["decisions"]["winback"].status, "exhausted")
    r = ev(last_touch=1, last_touch_date=mon - dt.timedelta(days=8), responded=True)
    check("responded exit", r["decisions"]["winback"].status, "responded")

    # Measurement formulas by hand. 30/100 treated vs 20/100 control:
    # lift = 0.3 - 0.2 = 0.1; CI half width = 1.959963984540054 x sqrt(.3 x .7/100 +
    # .2 x .8/100) = 1.959964 x sqrt(0.0037) = 1.959964 x 0.0608276 = 0.1192200;
    # pooled p = 50/200 = .25, se = sqrt(.25 x .75 x (1/100 + 1/100)) = sqrt(0.00375) =
    # 0.0612372, z = 1.6329932, p_value = erfc(1.6329932 / 1.4142136) = erfc(1.1547005) =
    # 0.10247 (2 x (1 - Phi(1.633)) = 2 x 0.051235).
    lift, p = z_test(30, 100, 20, 100)
    close("lift", lift, 0.1, 1e-12)
    close("p_value", p, 0.10247, 5e-5)
    close("erfc at z = 1.959964 is 0.05", math.erfc(Z95 / math.sqrt(2)), 0.05, 1e-12)
    check("median odd", median([3, 1, 2]), 2)
    check("median even", median([4, 1, 3, 2]), 2.5)
    # SRM: 70 held out of 1000 at 5%: e = 50 / 950; chi2 = 20^2/50 + 20^2/950 = 8 + 0.4210526
    # = 8.4210526; p = erfc(sqrt(4.2105263)) = 0.003708 (chi2 1 df survival): no mismatch.
    # 80 held out: chi2 = 900/50 + 900/950 = 18.947368, p = 1.34e-5: mismatch.
    class _U:
        def __init__(self, status):
            self.status = status
    s = srm([_U("holdout")] * 70 + [_U("due")] * 930 + [_U("stopped")] * 40, 5)
    check("srm counts", (s["units"], s["held_out"], s["expected_share"]), (1000, 70, 0.05))
    close("srm p", s["p_value"], 0.003708, 2e-5)
    check("srm no mismatch", s["mismatch"], False)
    s = srm([_U("holdout")] * 80 + [_U("due")] * 920, 5)
    close("srm p 80", s["p_value"], 1.34e-5, 1e-6)
    check("srm mismatch", s["mismatch"], True)
    check("srm of 0 units", srm([_U("stopped")], 5),
          {"units": 0, "held_out": 0, "expected_share": 0.05, "p_value": None,
           "mismatch": False})
    check("no srm without a holdout", srm([_U("due")], 0), None)
    failures += _selftest_measure_files()
    failures += _selftest_planted_effect()

    if failures:
        for f in failures:
            print("FAIL", f)
        print(f"selftest: {len(failures)} failure(s)")
        return 1
    print("selftest: all checks passed")
    return 0


def _selftest_measure_files():
    """A whole `measure` run over a small event file and outcomes computed by hand."""
    failures = []
    tmp = tempfile.mkdtemp(prefix="program_oracle_selftest.")
    cohort = {f: "x" for f in FAMILIES}
    cohort["churn_risk"] = 50
    nulls = {"touch": None, "step": None, "variant": None, "channel": None, "offer": None}

    def event(cid, status, fields=None, would_be=None):
        e = {"run_id": "R1", "as_of": "2026-11-01", "customer_id": cid, "sequence": "winback",
             "status": status}
        e.update(fields or nulls)
        e.update({"stopped_by": "opted_out" if status == "stopped" else None, "review": [],
                  "cohort": cohort, "holdout_share": 5, "would_be": would_be})
        return e

    t6d = {"touch": 6, "step": "winback_offer", "variant": "discount", "channel": "email",
           "offer": "discount 20%"}
    t6c = {"touch": 6, "step": "winback_offer", "variant": "credit", "channel": "email",
           "offer": "credit 25"}
    wb = dict(t6d, status="due")
    events = [event("T1", "due", t6d), event("T2", "due", t6c), event("C1", "holdout", None, wb),
              event("C2", "holdout", None, dict(nulls, status="waiting")),
              event("S1", "stopped"), event("T1", "waiting")]  # a repeat: the first counts
    ep = os.path.join(tmp, "e.jsonl")
    with open(ep, "w", encoding="utf-8") as f:
        f.write(jsonl_text(events))
    op = os.path.join(tmp, "o.csv")
    with open(op, "w", encoding="utf-8") as f:
        f.write(csv_text(["customer_id", "date", "kind", "revenue", "incentive_cost"], [
            ["T1", "2026-11-01", "purchase", "50", ""],      # on the as-of date: not counted
            ["T1", "2026-11-05", "purchase", "100", "20"],   # d0 = day 4
            ["T1", "2027-02-02", "purchase", "7", ""],       # d0 + 89: in the LTV only
            ["T1", "2027-02-03", "purchase", "1000", ""],    # d0 + 90: nowhere
            ["T1", "2026-11-10", "unsubscribe", "", ""],
            ["T2", "2026-12-01", "purchase", "40", ""],      # as_of + 30: counted, day 30
            ["T2", "2026-12-02", "complaint", "", ""],       # as_of + 31: not counted
            ["C1", "2026-12-02", "purchase", "60", ""],      # as_of + 31: not counted
            ["ZZ", "2026-11-03", "purchase", "5", ""],       # no events: ignored
        ]))
    rp, vp = os.path.join(tmp, "r.json"), os.path.join(tmp, "v.json")
    ns = argparse.Namespace(events=[ep], outcomes=op, plan="program", window=30, min_sample=100,
                            out=rp, verdicts=vp)
    cmd_measure(ns)
    with open(rp, encoding="utf-8") as f:
        rep = json.load(f)
    s = rep["runs"][0]["sequences"][0]
    o = s["overall"]
    # treated T1, T2 (both reactivated), control C1 (its purchase is a day late):
    # rates 1 and 0, lift 1, CI half width 1.96 x sqrt(0 + 0) = 0; pooled p = 2/3,
    # se = sqrt(2/3 x 1/3 x (1/2 + 1)) = sqrt(1/3), z = sqrt(3) = 1.7320508,
    # p_value = erfc(1.2247449) = 0.0832645; relative lift null (control rate 0);
    # revenue (100 + 40)/2 = 70 vs 0: incremental 140; cost 20: efficiency 7;
    # unsubscribes 1/2; complaints 0; median days (4 + 30)/2 = 17; LTV (107 + 40)/2 = 73.5.
    want = {"treated": 2, "control": 1, "reactivated_treated": 2, "reactivated_control": 0,
            "rate_treated": 1.0, "rate_control": 0.0, "lift": 1.0, "lift_ci95": [1.0, 1.0],
            "relative_lift": None, "incremental_reactivations": 2.0,
            "revenue_per_treated": 70.0, "revenue_per_control": 0.0,
            "incremental_revenue": 140.0, "incentive_cost": 20.0, "incentive_efficiency": 7.0,
            "unsubscribe_rate_treated": 0.5, "unsubscribe_rate_control": 0.0,
            "complaint_rate_treated": 0.0, "complaint_rate_control": 0.0,
            "median_days_to_reactivate": 17.0, "reactivated_ltv_90d": 73.5}
    for k, v in want.items():
        if o[k] != v:
            failures.append(f"measure overall {k}: got {o[k]!r}, want {v!r}")
    if abs(o["p_value"] - 0.0832645) > 1e-6:
        failures.append(f"measure p_value {o['p_value']}")
    # srm: 4 units not stopped, 2 held out; e = 0.2 / 3.8; chi2 = 1.8^2/0.2 + 1.8^2/3.8
    # = 16.2 + 0.8526316 = 17.0526316.
    sr = s["srm"]
    if (sr["units"], sr["held_out"]) != (4, 2) or not sr["mismatch"] or \
            abs(sr["p_value"] - math.erfc(math.sqrt(17.0526316 / 2))) > 1e-9:
        failures.append(f"measure srm {sr}")
    credit = s["by"]["variant"]["credit"]
    if (credit["treated"], credit["control"], credit["rate_control"], credit["lift"],
            credit["revenue_per_control"], credit["incentive_cost"]) != (1, 0, None, None, None,
                                                                          0.0):
        failures.append(f"measure by variant credit {credit}")
    if set(s["by"]["offer"]) != {"discount 20%", "credit 25"} or set(s["by"]["touch"]) != {"6"}:
        failures.append(f"measure by offer/touch keys {list(s['by']['offer'])}")
    # touch 6: credit 1/1 vs discount 1/1: lift 0, se 0 -> p null -> undecided.
    if s["variants"] != [{"touch": 6, "step": "winback_offer", "variant": "credit",
                          "control": "discount", "treated": 1, "control_treated": 1,
                          "lift": 0.0, "p_value": None, "verdict": "undecided"}]:
        failures.append(f"measure variants {s['variants']}")
    if rep["pooled"]["as_of"] is not None or rep["pooled"]["run_id"] != "pooled":
        failures.append("pooled run id / as_of")
    with open(vp, encoding="utf-8") as f:
        if json.load(f) != {"paused": []}:
            failures.append("verdicts")
    for p in (ep, op, rp, vp):
        os.unlink(p)
    os.rmdir(tmp)
    return failures


def _selftest_planted_effect():
    """generate-events -> generate-outcomes with a planted lift of 0.2 overall and -0.2 for the
    credit variant -> measure: the lift's 95% interval covers the planted lift (for this seed: a
    fixed, reproducible outcome, not flakiness) and p < 0.001; credit is losing (min sample 50)
    and paused; 30% held out against a declared 5% is a sample-ratio mismatch."""
    failures = []
    tmp = tempfile.mkdtemp(prefix="program_oracle_selftest.")
    ep, op = os.path.join(tmp, "e.jsonl"), os.path.join(tmp, "o.csv")
    rp, vp = os.path.join(tmp, "r.json"), os.path.join(tmp, "v.json")
    stdout = sys.stdout
    try:
        for path, argv in ((ep, ["generate-events", "6000", "5", "2026-10-04", "--runs", "1",
                                 "--holdout-rate", "0.3", "--duplicates", "0"]),
                           (op, ["generate-outcomes", "6", ep, "--base", "0.1", "--lift", "0.2",
                                 "--effect", "variant:credit=-0.2"])):
            with open(path, "w", encoding="utf-8") as f:
                sys.stdout = f
                main(argv)
                sys.stdout = stdout
        main(["measure", "--events", ep, "--outcomes", op, "--plan", "program", "--out", rp,
              "--verdicts", vp, "--min-sample", "50"])
    finally:
        sys.stdout = stdout
    with open(rp, encoding="utf-8") as f:
        rep = json.load(f)
    win = [s for s in rep["pooled"]["sequences"] if s["sequence"] == "winback"][0]
    o = win["overall"]
    # Credit units got +0.2 - 0.2: the planted overall lift is 0.2 x the other units' share.
    planted = 0.2 * (1 - win["by"]["variant"]["credit"]["treated"] / o["treated"])
    if not o["lift_ci95"][0] <= planted <= o["lift_ci95"][1] or o["p_value"] >= 1e-3:
        failures.append(f"planted lift not found: {o['lift']} {o['lift_ci95']} {o['p_value']}")
    if win["srm"]["mismatch"] is not True:  # 30% held out against a declared 5%
        failures.append(f"planted sample-ratio mismatch not found: {win['srm']}")
    credit = [v for v in win["variants"] if v["variant"] == "credit"]
    if not credit or credit[0]["verdict"] != "losing":
        failures.append(f"planted losing variant not found: {credit}")
    with open(vp, encoding="utf-8") as f:
        if "winback.winback_offer.credit" not in json.load(f)["paused"]:
            failures.append("the losing variant is not paused")
    for p in (ep, op, rp, vp):
        os.unlink(p)
    os.rmdir(tmp)
    return failures


# ---- Command line --------------------------------------------------------------------------

def main(argv):
    ap = argparse.ArgumentParser(prog="program_oracle.py",
                                 description="Independent oracle of winback-program.md")
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("eval")
    p.add_argument("snapshot")
    p.add_argument("as_of")
    p.add_argument("--out", required=True)
    p.add_argument("--drafts")
    p.add_argument("--review-queue")
    p.add_argument("--events")
    p.add_argument("--experiments")
    p.add_argument("--run-id")
    p.add_argument("--rules-hash")
    p = sub.add_parser("measure")
    p.add_argument("--events", nargs="+", required=True)
    p.add_argument("--outcomes", required=True)
    p.add_argument("--plan", required=True)
    p.add_argument("--window", type=int, default=30)
    p.add_argument("--min-sample", type=int, default=100)
    p.add_argument("--out", required=True)
    p.add_argument("--verdicts")
    p = sub.add_parser("generate")
    p.add_argument("rows", type=int)
    p.add_argument("seed", type=int)
    p.add_argument("as_of")
    p.add_argument("--inject", choices=INJECT)
    p = sub.add_parser("generate-events")
    p.add_argument("customers", type=int)
    p.add_argument("seed", type=int)
    p.add_argument("as_of")
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--holdout-rate", type=float, default=0.05)
    p.add_argument("--duplicates", type=float, default=0.01)
    p = sub.add_parser("generate-outcomes")
    p.add_argument("seed", type=int)
    p.add_argument("events", nargs="+")
    p.add_argument("--base", type=float, default=0.10)
    p.add_argument("--lift", type=float, default=0.0)
    p.add_argument("--effect", action="append")
    p.add_argument("--window", type=int, default=30)
    p.add_argument("--unsubscribe", type=float, default=0.01)
    p.add_argument("--lift-unsubscribe", type=float, default=0.0)
    p.add_argument("--complaint", type=float, default=0.005)
    sub.add_parser("corner-dates")
    p = sub.add_parser("scan-gaps")
    p.add_argument("from_year", type=int)
    p.add_argument("to_year", type=int)
    p = sub.add_parser("compare")
    p.add_argument("expected")
    p.add_argument("actual")
    p.add_argument("--format", choices=["csv", "jsonl", "json"])
    p.add_argument("--rel", type=float, default=1e-9, help="relative tolerance of floats")
    p.add_argument("--abs", type=float, default=1e-12, help="absolute tolerance near 0")
    p.add_argument("--strict-quoting", action="store_true",
                   help="CSV: also require the actual bytes to be minimal-quoted")
    sub.add_parser("selftest")
    a = ap.parse_args(argv)
    handlers = {"eval": cmd_eval, "measure": cmd_measure, "generate": cmd_generate,
                "generate-events": cmd_generate_events,
                "generate-outcomes": cmd_generate_outcomes, "corner-dates": cmd_corner_dates,
                "scan-gaps": cmd_scan_gaps,
                "compare": cmd_compare, "selftest": cmd_selftest}
    try:
        return handlers[a.cmd](a)
    except DataError as e:
        print(f"program_oracle: {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
