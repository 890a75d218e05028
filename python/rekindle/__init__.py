# Rekindle for Python: compile win-back rules and evaluate them over pandas DataFrames or snapshot
# files with the same compiler, JIT and evaluator as the `rekindle` command (rekindle._core).
#
#   import rekindle
#   rules = rekindle.compile("rules/winback.rules", params={"whale_aov": "$300"})
#   out = rules.evaluate(frame, as_of="2026-11-01")               # a DataFrame per customer
#   summary = rules.evaluate_file("customers.arrow", as_of="2026-11-01", out="results.csv")
#   m = rekindle.measure("rules/winback.rules", events=["events.jsonl"], outcomes="outcomes.csv")
#   m.report["pooled"], m.breakdowns, m.variants, m.paused      # dict, DataFrames, list
#
# A RuleSet pickles as its sources and parameters and compiles again where it is unpickled (once
# per process), so it can be shipped to Dask, Spark or Ray workers; see rekindle/dask.py and
# docs/scale-out.md.
"""Rekindle: compile win-back rules and evaluate them over DataFrames and snapshot files."""

from __future__ import annotations

import collections as _collections
import datetime as _dt
import json as _json
import os as _os
import tempfile as _tempfile
import threading as _threading
import warnings as _warnings
from dataclasses import dataclass as _dataclass, field as _field
from typing import Any, Dict, List, Mapping, Optional, Tuple

from . import _core

__all__ = [
    "compile",
    "RuleSet",
    "CompileError",
    "DataError",
    "EvaluationError",
    "Diagnostic",
    "Field",
    "as_text",
    "measure",
    "Measurement",
]

EvaluationError = _core.EvaluationError
EvaluationError.__doc__ = "A snapshot could not be read or a result could not be written."
EvaluationError.__module__ = "rekindle"


class DataError(ValueError):
    """A DataFrame does not fit the rules' schema (missing column, bad value, missing value)."""


@_dataclass(frozen=True)
class Diagnostic:
    """One problem found in a rule file, as `rekindle check --format json` reports it."""

    severity: str  # "error", "warning" or "note"
    code: str  # e.g. "RK0201"
    message: str
    file: Optional[str]
    line: Optional[int]
    column: Optional[int]
    help: str = ""
    notes: Tuple[Dict[str, Any], ...] = ()
    length: Optional[int] = None  # bytes under the caret, as `"length"` in the JSON output

    def __str__(self) -> str:
        place = f"{self.file}:{self.line}:{self.column}: " if self.file else ""
        return f"{place}{self.severity}[{self.code}]: {self.message}"


class CompileError(Exception):
    """The rule file has errors. `diagnostics` holds them as data; `text` is what
    `rekindle check` prints (file:line:col, the source line, a caret, help)."""

    def __init__(self, path: str, diagnostics: List[Diagnostic], text: str):
        self.path = path
        self.diagnostics = diagnostics
        self.text = text
        errors = sum(1 for d in diagnostics if d.severity == "error")
        super().__init__(f"{path}: {errors} error(s)\n{text}")


@_dataclass(frozen=True)
class Field:
    """One field of the rules' customer schema."""

    name: str
    type: str  # bool, int, number, money, percent, date, string, enum, list of string
    nullable: bool
    key: bool = False
    enum_values: Tuple[str, ...] = _field(default_factory=tuple)
    range: str = ""  # the values it may hold, as the schema writes them: "0 to 10", ">= $0"


def _as_of_text(as_of: Any) -> str:
    """The evaluation date as YYYY-MM-DD (None: today in UTC, like `rekindle eval`)."""
    if as_of is None:
        return _dt.datetime.now(_dt.timezone.utc).date().isoformat()
    if isinstance(as_of, str):
        _core.parse_date(as_of)  # raises ValueError with the CLI's wording
        return as_of
    if isinstance(as_of, _dt.datetime):
        return as_of.date().isoformat()
    if isinstance(as_of, _dt.date):
        return as_of.isoformat()
    try:  # numpy.datetime64, pandas.Timestamp
        import numpy as np

        return str(np.datetime64(as_of, "D"))
    except Exception as e:  # pragma: no cover - message only
        raise ValueError(f"as_of: cannot read {as_of!r} as a date") from e


def compile(path: str, params: Optional[Mapping[str, Any]] = None,
            root: Optional[str] = None) -> "RuleSet":
    """Compiles the rule file at `path` (with its imports). `params` overrides parameters, each
    value written as on the command line (`"$300"`, `"7%"`, `"10 days"`, or a number). Imports
    are read only from the folder of `path` and below it, or from `root` (like `--root`).
    Raises CompileError when the rules have errors."""
    return RuleSet._compile(_os.fspath(path), params or {},
                            _os.fspath(root) if root is not None else "")


def _params_text(params: Mapping[str, Any]) -> Dict[str, str]:
    out = {}
    for k, v in params.items():
        if isinstance(v, bool):
            v = "true" if v else "false"
        out[str(k)] = str(v)
    return out


# Per-process cache of RuleSets restored from pickles: one compile (and one JIT) per process.
_restored: Dict[Any, "RuleSet"] = {}
_restored_lock = _threading.Lock()


def _restore(path: str, params: Dict[str, str], sources: Tuple[Tuple[str, bytes], ...],
             rules_hash: str, root: str = "") -> "RuleSet":
    key = (path, tuple(sorted(params.items())), sources, root)
    with _restored_lock:
        rs = _restored.get(key)
        if rs is not None:
            return rs
        # Compile from the original files when they are here unchanged; otherwise from a copy of
        # the sources written to a temporary folder (same relative layout, so imports resolve).
        same = all(_read_bytes(p) == text for p, text in sources)
        if same:
            rs = RuleSet._compile(path, params, root)
        else:
            tmp = _tempfile.mkdtemp(prefix="rekindle-rules-")
            common = _os.path.commonpath([_os.path.dirname(p) for p, _ in sources] or ["/"])
            for p, text in sources:
                dest = _os.path.join(tmp, _os.path.relpath(p, common))
                _os.makedirs(_os.path.dirname(dest), exist_ok=True)
                with open(dest, "wb") as f:
                    f.write(text)
            # The copy's project folder is the temporary folder (every source is inside it).
            rs = RuleSet._compile(_os.path.join(tmp, _os.path.relpath(path, common)), params, tmp)
            rs._pickle_state = (path, params, sources, root)
            rs.path = path
        rs.rules_hash = rules_hash
        _restored[key] = rs
        return rs


def _read_bytes(path: str) -> Optional[bytes]:
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError:
        return None


class RuleSet:
    """A compiled rule file. Evaluate it over a pandas DataFrame (`evaluate`) or a snapshot file
    (`evaluate_file`). Thread-safe; the JIT compiles on first use and is reused."""

    def __init__(self, *_a, **_k):
        raise TypeError("use rekindle.compile(path, params=...)")

    @classmethod
    def _compile(cls, path: str, params: Mapping[str, Any], root: str = "") -> "RuleSet":
        ptext = _params_text(params)
        compiled = _core.compile(path, ptext, None, root)
        if not compiled.ok:
            diags = [
                Diagnostic(
                    severity=d["severity"], code=d["code"], message=d["message"], file=d["file"],
                    line=d["line"], column=d["column"], help=d["help"], notes=tuple(d["notes"]),
                    length=d["length"])
                for d in compiled.diagnostics()
            ]
            raise CompileError(path, diags, compiled.rendered())
        self = object.__new__(cls)
        self._c = compiled
        self.path = path
        self.params = ptext
        self.rules_hash = compiled.rules_hash()
        self.schema = [
            Field(f["name"], f["type"], f["nullable"], f["key"], tuple(f["enum_values"]),
                  f["range"])
            for f in compiled.schema()
        ]
        self._columns = compiled.columns()
        self.columns = [c["name"] for c in self._columns]
        # What the columns mean: the candidate rule, the segment families and their labels, the
        # stop and review rules, each sequence's statuses (with their kind), touches, channels
        # and offers, and the column presenting each (docs/scale-out.md).
        self.layout = compiled.layout()
        self.warnings = [
            Diagnostic(d["severity"], d["code"], d["message"], d["file"], d["line"], d["column"],
                       d["help"], tuple(d["notes"]), d["length"]) for d in compiled.diagnostics()
        ]
        self._pickle_state = None
        self._root = root
        self._warned = False
        return self

    # -- pickling: sources + parameters; compiled again (once per process) where unpickled --
    def __reduce__(self):
        if self._pickle_state is None:
            sources = tuple((_os.path.abspath(p), bytes(t)) for p, t in self._c.sources())
            root = _os.path.abspath(self._root) if self._root else ""
            self._pickle_state = (_os.path.abspath(self.path), dict(self.params), sources, root)
        path, params, sources, root = self._pickle_state
        return (_restore, (path, params, sources, self.rules_hash, root))

    def __repr__(self) -> str:
        return f"<rekindle.RuleSet {self.path!r} params={self.params!r}>"

    @property
    def key(self) -> Optional[str]:
        """The schema's key field (e.g. customer_id)."""
        for f in self.schema:
            if f.key:
                return f.name
        return None

    @property
    def resolved_params(self) -> Dict[str, str]:
        """Every parameter's value as used (defaults and overrides), as in the summary."""
        return dict(self._c.program_params())

    def _engine(self, engine: str) -> str:
        used, warning = self._c.engine(engine)
        if warning and not self._warned:
            self._warned = True
            _warnings.warn(f"rekindle: {warning}", RuntimeWarning, stacklevel=3)
        return used

    # -- files: the C++ readers and writers, no pandas --
    def evaluate_file(self, path, as_of: Any = None, out=None, format: Optional[str] = None,
                      threads: int = 0, engine: str = "jit", drafts=None, review_queue=None,
                      events=None, run_id: Optional[str] = None) -> Dict[str, Any]:
        """Evaluates an Arrow IPC or CSV snapshot like `rekindle eval`: reads it with the C++
        readers, writes `out` (csv, jsonl or arrow, from `format` or the extension) atomically
        (a failed run leaves nothing at `out`), and returns the summary (as `--summary` writes
        it, with the run manifest). `out=None` computes the summary only. `threads=0` uses all
        cores. `drafts`, `review_queue` and `events` are paths of the hand-off files
        (`--drafts`, `--review-queue`, `--events`; docs/handoff.md), written with `out` as one
        all-or-none group; `run_id` is `--run-id`."""
        as_of_text = _as_of_text(as_of)
        days = _core.parse_date(as_of_text)
        used = self._engine(engine)
        snapshot = _os.fspath(path)

        def path_or_empty(p):
            return _os.fspath(p) if p is not None else ""

        text, used, _ = _core.evaluate_file(
            self._c, snapshot, path_or_empty(out), format or "", days, used, int(threads),
            self.path, self.rules_hash, path_or_empty(drafts), path_or_empty(review_queue),
            path_or_empty(events), "" if run_id is None else str(run_id))
        return _json.loads(text)

    # -- pandas --
    def evaluate(self, frame, as_of: Any = None, engine: str = "jit", threads: int = 0,
                 categorical: bool = False, summary: bool = False, drafts: bool = False,
                 review_queue: bool = False, events: bool = False, run_id: Optional[str] = None):
        """Evaluates every row of a pandas DataFrame that has the schema's columns (extra columns
        are ignored) and returns a DataFrame with the output contract's columns, on the same
        index. See docs/scale-out.md for the accepted dtypes and the output's dtypes.
        With summary=True, returns (frame, summary dict).

        With drafts, review_queue or events (docs/handoff.md), returns an `Evaluation`: `result`,
        `drafts`, `review_queue` and `events` DataFrames (None when not asked for) and `summary`
        (None unless summary=True). Their rows and values are those of `rekindle eval --drafts`,
        `--review-queue` and `--events` (lists and objects as Python lists and dicts, JSON null as
        None; the queue's cells as str). `run_id` defaults to AS_OF/ + 8 hex digits of the hash."""
        from . import _frame

        as_of_text = _as_of_text(as_of)
        days = _core.parse_date(as_of_text)
        used = self._engine(engine)
        fields = _frame.field_arrays(frame, self.schema)
        wanted = ("d" if drafts else "") + ("q" if review_queue else "") + ("e" if events else "")
        outputs, text, used, _, files = _core.evaluate_columns(
            self._c, fields, len(frame), days, used, int(threads), self.path, self.rules_hash,
            wanted, "" if run_id is None else str(run_id))
        result = _frame.result_frame(frame, self._columns, outputs, self.key, categorical)
        if wanted:
            return Evaluation(result, _frame.handoff_frame(files.get("drafts"), DRAFT_FIELDS),
                              _frame.queue_frame(files.get("review_queue")),
                              _frame.handoff_frame(files.get("events"), EVENT_FIELDS),
                              _json.loads(text) if summary else None)
        if summary:
            return result, _json.loads(text)
        return result

    def output_meta(self, categorical: bool = False):
        """An empty DataFrame with the output's columns and dtypes (Dask's `meta=`)."""
        from . import _frame

        return _frame.empty_result(self._columns, categorical)


# The hand-off files' fields, in order (docs/handoff.md).
DRAFT_FIELDS = ["customer_id", "sequence", "touch", "step", "variant", "channel", "to", "send_at",
                "offer", "subject", "body", "review", "owner", "key"]
EVENT_FIELDS = ["run_id", "as_of", "customer_id", "sequence", "status", "touch", "step",
                "variant", "channel", "offer", "stopped_by", "review", "cohort", "holdout_share",
                "would_be"]


class Evaluation(_collections.namedtuple(
        "Evaluation", ["result", "drafts", "review_queue", "events", "summary"])):
    """What RuleSet.evaluate returns when hand-off files are asked for."""


def as_text(result):
    """A result frame rendered as the CSV writer writes its cells: every column a str column,
    empty values as "", bools as true/false. `as_text(rules.evaluate(df))` equals
    `pandas.read_csv(out_csv, dtype=str, keep_default_na=False)` of `rekindle eval`."""
    from . import _frame

    return _frame.as_text(result)


# -- measurement -------------------------------------------------------------------------------

_METRICS = ["treated", "control", "reactivated_treated", "reactivated_control", "rate_treated",
            "rate_control", "lift", "lift_ci95", "relative_lift", "p_value",
            "incremental_reactivations", "revenue_per_treated", "revenue_per_control",
            "incremental_revenue", "incentive_cost", "incentive_efficiency",
            "unsubscribe_rate_treated", "unsubscribe_rate_control", "complaint_rate_treated",
            "complaint_rate_control", "median_days_to_reactivate", "reactivated_ltv_90d"]


@_dataclass(frozen=True)
class Measurement:
    """What `rekindle.measure` returns. `report` is the JSON report as a dict (exactly what
    `rekindle measure --out` writes); `breakdowns` has one row per run (and "pooled"), sequence
    and group: `by` is "overall", "touch", "step", "channel", "offer", "variant" or a segment
    family, `group` the value (None for overall), then every metric (lift_ci95 as ci95_low and
    ci95_high); `variants` one row per variant comparison; `srm` one row per run and sequence;
    `paused` the variants the verdicts file pauses (SEQUENCE.TOUCH.VARIANT)."""

    report: Dict[str, Any]
    breakdowns: Any
    variants: Any
    srm: Any
    paused: List[str]


def measure(rules, events, outcomes, window: int = 30, min_sample: int = 100,
            params: Optional[Mapping[str, Any]] = None, out=None, verdicts=None,
            html=None) -> Measurement:
    """Measures like `rekindle measure`: the lift of every sequence against its holdout, from the
    event files of `rekindle eval --events` (one or more runs) and an outcomes file (CSV or
    Arrow). `rules` is a rule file's path or a RuleSet. `out`, `verdicts` and `html` also write
    the report, the verdicts file and the HTML report (atomically). Raises EvaluationError on a
    bad event line or outcome row (naming file and line, or row and column)."""
    import pandas as pd

    rs = rules if isinstance(rules, RuleSet) else compile(rules, params)
    files = [_os.fspath(events)] if isinstance(events, (str, _os.PathLike)) else \
        [_os.fspath(e) for e in events]
    text, paused = _core.measure(
        rs._c, files, _os.fspath(outcomes), int(window), int(min_sample),
        _os.fspath(out) if out is not None else "",
        _os.fspath(verdicts) if verdicts is not None else "",
        _os.fspath(html) if html is not None else "")
    report = _json.loads(text)
    rows, variants, srm = [], [], []
    for run in report["runs"] + [report["pooled"]]:
        for seq in run["sequences"]:
            base = {"run_id": run["run_id"], "as_of": run["as_of"], "sequence": seq["sequence"]}
            groups = [("overall", None, seq["overall"])] + [
                (by, key, m) for by, values in seq["by"].items() for key, m in values.items()]
            for by, key, m in groups:
                row = dict(base, by=by, group=key)
                for k in _METRICS:
                    if k == "lift_ci95":
                        ci = m[k]
                        row["ci95_low"] = ci[0] if ci else None
                        row["ci95_high"] = ci[1] if ci else None
                    else:
                        row[k] = m[k]
                rows.append(row)
            for v in seq["variants"]:
                variants.append(dict(base, **v))
            s = seq["srm"]
            srm.append(dict(base, holdout_share=seq["holdout_share"],
                            **(s if s else {"units": None, "held_out": None,
                                            "expected_share": None, "p_value": None,
                                            "mismatch": None})))
    breakdown_cols = ["run_id", "as_of", "sequence", "by", "group"] + [
        c for k in _METRICS for c in (("ci95_low", "ci95_high") if k == "lift_ci95" else (k,))]
    variant_cols = ["run_id", "as_of", "sequence", "touch", "step", "variant", "control",
                    "treated", "control_treated", "lift", "p_value", "verdict"]
    srm_cols = ["run_id", "as_of", "sequence", "holdout_share", "units", "held_out",
                "expected_share", "p_value", "mismatch"]
    return Measurement(
        report=report,
        breakdowns=pd.DataFrame(rows, columns=breakdown_cols),
        variants=pd.DataFrame(variants, columns=variant_cols),
        srm=pd.DataFrame(srm, columns=srm_cols),
        paused=list(paused))
