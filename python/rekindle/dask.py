# Rekindle on Dask: evaluate a partitioned snapshot (one Arrow or CSV file per partition) on a
# Dask cluster, one task per partition. Each task reads its file with the C++ reader, evaluates it
# with the JIT and writes DIR/<stem>.csv atomically, then a DIR/<stem>.done marker (also atomic)
# with the partition's summary and a fingerprint of its inputs. A partition whose marker matches
# its inputs and whose output is intact is skipped, so a re-run after a failure computes only the
# missing partitions: nothing lost, nothing doubled. The partition summaries are added up into
# DIR/summary.json. With hand-off files (--drafts, --review-queue, --events; docs/handoff.md) each
# task also writes DIR/<stem>.drafts.jsonl, DIR/<stem>.review_queue.csv and DIR/<stem>.events.jsonl,
# one all-or-none group with its result (runtime/handoff.h), all under one run id.
#
#   python3 -m rekindle.dask rules/winback.rules --snapshots 'parts/*.arrow' --out results \
#       --as-of 2026-11-01 [--scheduler tcp://host:8786 | --workers 4]
#
# The DataFrame form is dask's own map_partitions (see evaluate_frame and docs/scale-out.md).
"""Partitioned evaluation of Rekindle rules on Dask (`python3 -m rekindle.dask --help`)."""

from __future__ import annotations

import argparse
import glob
import json
import os
import socket
import sys
import time
from typing import Any, Callable, Dict, Iterable, List, Optional, Sequence, Union

import rekindle

__all__ = [
    "run",
    "evaluate_partition",
    "evaluate_frame",
    "merge_summaries",
    "partition_paths",
    "PartitionsFailed",
]

# Test and demonstration hook: seconds each partition task sleeps before it starts, so a test can
# kill a worker while tasks are in flight. Not meant for production use.
DELAY_ENV = "REKINDLE_DASK_PARTITION_DELAY"


class PartitionsFailed(RuntimeError):
    """Some partitions failed; the others are complete, and a re-run computes only these."""

    def __init__(self, failures: Dict[str, BaseException]):
        self.failures = failures
        lines = "\n".join(f"  {stem}: {type(e).__name__}: {e}" for stem, e in failures.items())
        super().__init__(f"{len(failures)} partition(s) failed (re-run to compute only these):\n"
                         f"{lines}")


def _extension(fmt: str) -> str:
    return {"csv": ".csv", "jsonl": ".jsonl", "arrow": ".arrow"}[fmt]


def partition_paths(snapshots: Union[str, Sequence[str]]) -> List[str]:
    """The partition files of a glob (or a list of files and globs), sorted by name. Stems
    (file names without extension) must be unique: they name the outputs."""
    patterns = [snapshots] if isinstance(snapshots, (str, os.PathLike)) else list(snapshots)
    paths: List[str] = []
    for p in patterns:
        p = os.fspath(p)
        found = sorted(glob.glob(p)) if glob.has_magic(p) else ([p] if os.path.exists(p) else [])
        if not found:
            raise FileNotFoundError(f"{p}: no snapshot file matches")
        paths.extend(found)
    stems: Dict[str, str] = {}
    for p in paths:
        stem = _stem(p)
        if stem in stems:
            raise ValueError(f"two partitions have the stem {stem!r}: {stems[stem]} and {p}")
        stems[stem] = p
    return paths


def _stem(path: str) -> str:
    return os.path.splitext(os.path.basename(path))[0]


# The hand-off files a task may write beside its result: (name, file suffix).
HANDOFF_FILES = (("drafts", ".drafts.jsonl"), ("review_queue", ".review_queue.csv"),
                 ("events", ".events.jsonl"))


def _fingerprint(ruleset: "rekindle.RuleSet", snapshot: str, as_of: str, fmt: str,
                 engine: str, handoff: Sequence[str] = (),
                 run_id: Optional[str] = None) -> Dict[str, Any]:
    st = os.stat(snapshot)
    extra: Dict[str, Any] = {}
    if handoff:  # a partition done without (or with other) hand-off files is computed again
        extra = {"handoff": sorted(handoff), "run_id": run_id}
    return {**extra,
        "rules_fnv1a64": ruleset.rules_hash,
        "params": dict(sorted(ruleset.params.items())),
        "snapshot": os.path.abspath(snapshot),
        "snapshot_bytes": st.st_size,
        "snapshot_mtime_ns": st.st_mtime_ns,
        "as_of": as_of,
        "format": fmt,
    }


def _paths(out_dir: str, snapshot: str, fmt: str):
    stem = _stem(snapshot)
    return (os.path.join(out_dir, stem + _extension(fmt)), os.path.join(out_dir, stem + ".done"))


def _handoff_paths(out_dir: str, snapshot: str, handoff: Sequence[str]) -> Dict[str, str]:
    """The partition's hand-off files by name (drafts, review_queue, events), those asked for."""
    stem = _stem(snapshot)
    return {name: os.path.join(out_dir, stem + suffix) for name, suffix in HANDOFF_FILES
            if name in handoff}


def completed_summary(out_dir: str, snapshot: str, fingerprint: Dict[str, Any],
                      fmt: str) -> Optional[Dict[str, Any]]:
    """The partition's summary when its output is complete for these inputs, else None."""
    out, marker = _paths(out_dir, snapshot, fmt)
    try:
        with open(marker, encoding="utf-8") as f:
            done = json.load(f)
        if done.get("fingerprint") != fingerprint:
            return None
        if os.path.getsize(out) != done.get("output_bytes"):
            return None
        for name, path in _handoff_paths(out_dir, snapshot, fingerprint.get("handoff", ())).items():
            if os.path.getsize(path) != done.get("handoff_bytes", {}).get(name):
                return None
        return done["summary"]
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _write_atomic(path: str, data: bytes) -> None:
    """Writes `path` as every Rekindle output is written (rekindle._core.AtomicFile: a temporary
    file in its folder, fsync, rename; a device or FIFO written through; docs/reliability.md)."""
    f = rekindle._core.AtomicFile()
    f.open(path)
    try:
        f.write(data)
        f.commit()
    except BaseException:
        f.abort()
        raise


def evaluate_partition(ruleset: "rekindle.RuleSet", snapshot: str, out_dir: str, as_of: str,
                       fmt: str = "csv", threads: int = 1, engine: str = "jit",
                       handoff: Sequence[str] = (), run_id: Optional[str] = None) -> Dict[str, Any]:
    """One task: evaluates one partition file into out_dir/<stem>.<fmt>, and the hand-off files
    named in `handoff` ("drafts", "review_queue", "events") into out_dir/<stem>.drafts.jsonl,
    .review_queue.csv and .events.jsonl, all or none (skipped when already complete); returns
    {"partition", "skipped", "summary", "seconds", "worker"}."""
    stem = _stem(snapshot)
    worker = f"{socket.gethostname()}:{os.getpid()}"
    fp = _fingerprint(ruleset, snapshot, as_of, fmt, engine, handoff, run_id)
    done = completed_summary(out_dir, snapshot, fp, fmt)
    if done is not None:
        return {"partition": stem, "skipped": True, "summary": done, "seconds": 0.0,
                "worker": worker}
    delay = float(os.environ.get(DELAY_ENV, "0") or 0)
    if delay > 0:
        time.sleep(delay)
    out, marker = _paths(out_dir, snapshot, fmt)
    t0 = time.perf_counter()
    files = _handoff_paths(out_dir, snapshot, handoff)
    summary = ruleset.evaluate_file(snapshot, as_of=as_of, out=out, format=fmt, threads=threads,
                                    engine=engine, run_id=run_id, **files)
    seconds = time.perf_counter() - t0
    record = {"fingerprint": fp, "output": os.path.basename(out),
              "output_bytes": os.path.getsize(out),
              "handoff_bytes": {name: os.path.getsize(path) for name, path in files.items()},
              "seconds": seconds, "worker": worker, "summary": summary}
    _write_atomic(marker, json.dumps(record, indent=1).encode())
    return {"partition": stem, "skipped": False, "summary": summary, "seconds": seconds,
            "worker": worker}


def merge_summaries(summaries: Iterable[Dict[str, Any]]) -> Dict[str, Any]:
    """Adds up partition summaries: rows and every count (keys in the first summary's order)."""
    rows = 0
    counts: Dict[str, Dict[str, int]] = {}
    for s in summaries:
        rows += int(s["rows"])
        for col, values in s["counts"].items():
            into = counts.setdefault(col, {})
            for value, n in values.items():
                into[value] = into.get(value, 0) + int(n)
    return {"rows": rows, "counts": counts}


def _remove_stale_temps(out_dir: str, paths: Sequence[str], fmt: str) -> None:
    """Removes temporary files left by killed tasks (`.<stem>.<ext>.tmp-*`, `.<stem>.done.tmp-*`)."""
    for p in paths:
        stem = _stem(p)
        names = [stem + _extension(fmt), stem + ".done"]
        names += [stem + suffix for _, suffix in HANDOFF_FILES]
        for name in names:
            for tmp in glob.glob(os.path.join(glob.escape(out_dir), "." + glob.escape(name) +
                                              ".tmp-*")):
                try:
                    os.unlink(tmp)
                except OSError:
                    pass


def _concatenate_csv(out_dir: str, paths: Sequence[str], target: str) -> None:
    """Concatenates the partitions' CSV outputs (one header) into `target`, atomically."""
    f = rekindle._core.AtomicFile()
    f.open(target)
    try:
        for i, p in enumerate(paths):
            with open(_paths(out_dir, p, "csv")[0], "rb") as part:
                header = part.readline()
                if i == 0:
                    f.write(header)
                while True:
                    block = part.read(1 << 20)
                    if not block:
                        break
                    f.write(block)
        f.commit()
    except BaseException:
        f.abort()
        raise


def run(rules: Union[str, "rekindle.RuleSet"], snapshots: Union[str, Sequence[str]],
        out_dir: str, as_of: Any, *, params: Optional[Dict[str, Any]] = None,
        scheduler: Optional[str] = None, workers: Optional[int] = None,
        threads_per_worker: int = 1, threads: int = 1, fmt: str = "csv", engine: str = "jit",
        client=None, merged: Optional[str] = None, handoff: Sequence[str] = (),
        run_id: Optional[str] = None,
        log: Optional[Callable[[str], None]] = None) -> Dict[str, Any]:
    """Evaluates every partition file on Dask and writes out_dir/summary.json; returns it.

    `client`: an existing dask.distributed Client; else `scheduler` (an address) is connected
    to; else a LocalCluster of `workers` processes (default: one per core) is started and closed.
    `threads` are the evaluator threads of each task. `handoff` names the hand-off files each
    partition also writes ("drafts", "review_queue", "events"; docs/handoff.md), all under
    `run_id` (default: AS_OF/ + 8 hex digits of the rules hash, the same for every partition).
    Raises PartitionsFailed when some partitions failed (the completed ones stay; re-run to
    compute the rest)."""
    log = log or (lambda msg: None)
    ruleset = rules if isinstance(rules, rekindle.RuleSet) else rekindle.compile(rules, params)
    as_of_text = rekindle._as_of_text(as_of)
    if fmt not in ("csv", "jsonl", "arrow"):
        raise ValueError(f"format must be csv, jsonl or arrow, not {fmt!r}")
    if merged and fmt != "csv":
        raise ValueError("merged output needs format csv")
    handoff = tuple(handoff)
    unknown = sorted(set(handoff) - {name for name, _ in HANDOFF_FILES})
    if unknown:
        raise ValueError(f"unknown hand-off file(s) {unknown}: expected drafts, review_queue, "
                         "events")
    paths = partition_paths(snapshots)
    # No output may be an input (a partition, a rule file) or another output, before any work
    # (docs/reliability.md); each partition's own output is checked by evaluate_file.
    inputs = [("a partition", p) for p in paths]
    inputs += [("a rule file", p) for p, _ in ruleset._c.sources()]
    inputs += [("a partition's result", _paths(out_dir, p, fmt)[0]) for p in paths]
    inputs += [(f"a partition's {name}", path) for p in paths
               for name, path in _handoff_paths(out_dir, p, handoff).items()]
    refused = rekindle._core.check_outputs(
        inputs, [("summary.json", os.path.join(out_dir, "summary.json")),
                 ("--merged", merged or "")])
    if refused:
        raise ValueError(refused)
    os.makedirs(out_dir, exist_ok=True)
    t0 = time.perf_counter()

    results: Dict[str, Dict[str, Any]] = {}
    todo = []
    for p in paths:
        done = completed_summary(
            out_dir, p, _fingerprint(ruleset, p, as_of_text, fmt, engine, handoff, run_id), fmt)
        if done is not None:
            results[_stem(p)] = {"partition": _stem(p), "skipped": True, "summary": done,
                                 "seconds": 0.0, "worker": None}
            log(f"{_stem(p)}: complete, skipped")
        else:
            todo.append(p)
    _remove_stale_temps(out_dir, paths, fmt)

    failures: Dict[str, BaseException] = {}
    if todo:
        from dask.distributed import Client, LocalCluster, as_completed

        own_cluster = own_client = None
        try:
            if client is None:
                if scheduler:
                    client = own_client = Client(scheduler)
                else:
                    own_cluster = LocalCluster(
                        n_workers=workers or os.cpu_count() or 1,
                        threads_per_worker=threads_per_worker, processes=True,
                        dashboard_address=None)
                    client = own_client = Client(own_cluster)
            log(f"{len(todo)} partition(s) to compute on {client.scheduler.address}")
            futures = {}
            for p in todo:
                fut = client.submit(evaluate_partition, ruleset, os.path.abspath(p),
                                    os.path.abspath(out_dir), as_of_text, fmt, threads, engine,
                                    handoff, run_id,
                                    key=f"rekindle-{_stem(p)}-{os.getpid()}-{time.time_ns()}",
                                    pure=False)
                futures[fut] = _stem(p)
            for fut in as_completed(list(futures)):
                stem = futures[fut]
                try:
                    r = fut.result()
                    results[stem] = r
                    log(f"{stem}: {r['summary']['rows']} rows in {r['seconds']:.2f} s "
                        f"on {r['worker']}" + (" (already complete)" if r["skipped"] else ""))
                except Exception as e:  # noqa: BLE001 - reported per partition
                    failures[stem] = e
                    log(f"{stem}: FAILED: {type(e).__name__}: {e}")
        finally:
            if own_client is not None:
                own_client.close()
            if own_cluster is not None:
                own_cluster.close()
        _remove_stale_temps(out_dir, paths, fmt)
    if failures:
        raise PartitionsFailed(failures)

    ordered = [results[_stem(p)] for p in paths]
    total = merge_summaries(r["summary"] for r in ordered)
    first_inputs = dict(ordered[0]["summary"].get("inputs", {})) if ordered else {}
    for per_partition in ("snapshot", "snapshot_bytes", "snapshot_sha256"):
        first_inputs.pop(per_partition, None)  # stated per partition below
    summary = {
        "inputs": {**first_inputs, "snapshots": [os.path.abspath(p) for p in paths],
                   "partitions": len(paths)},
        "rows": total["rows"],
        "counts": total["counts"],
        "partitions": [{"partition": r["partition"], "rows": r["summary"]["rows"],
                        "skipped": r["skipped"], "seconds": round(r["seconds"], 6),
                        "worker": r["worker"],
                        **{k: r["summary"].get("inputs", {})[k]
                           for k in ("snapshot_bytes", "snapshot_sha256")
                           if k in r["summary"].get("inputs", {})}} for r in ordered],
        "seconds": round(time.perf_counter() - t0, 6),
    }
    _write_atomic(os.path.join(out_dir, "summary.json"),
                  (json.dumps(summary, indent=2) + "\n").encode())
    if merged:
        _concatenate_csv(out_dir, paths, merged)
    return summary


def evaluate_frame(ddf, ruleset: "rekindle.RuleSet", as_of: Any, *, engine: str = "jit",
                   threads: int = 1, categorical: bool = False):
    """A dask DataFrame of results: `ruleset.evaluate` on every partition (lazy; same
    partitions and index as `ddf`)."""
    return ddf.map_partitions(ruleset.evaluate, as_of=rekindle._as_of_text(as_of),
                              engine=engine, threads=threads, categorical=categorical,
                              meta=ruleset.output_meta(categorical=categorical))


def _parse_params(items: Sequence[str]) -> Dict[str, str]:
    out = {}
    for item in items:
        name, eq, value = item.partition("=")
        if not eq or not name:
            raise SystemExit(f"rekindle.dask: error: --param {item}: expected NAME=VALUE")
        out[name] = value
    return out


def main(argv: Optional[Sequence[str]] = None) -> int:
    ap = argparse.ArgumentParser(
        prog="python3 -m rekindle.dask",
        description="Evaluate win-back rules over a partitioned snapshot on Dask: one task per "
        "snapshot file, each writing OUT/<stem>.csv; counts merged into OUT/summary.json. "
        "Re-running computes only partitions whose output is missing or stale.")
    ap.add_argument("rules", help="the rule file")
    ap.add_argument("--snapshots", required=True, action="append",
                    help="partition files: a glob such as 'parts/*.arrow' (quote it) or a file; "
                    "repeatable")
    ap.add_argument("--out", required=True, help="output folder")
    ap.add_argument("--as-of", default=None, help="evaluation date YYYY-MM-DD (default: today)")
    ap.add_argument("--param", action="append", default=[], help="NAME=VALUE (repeatable)")
    ap.add_argument("--scheduler", default=None,
                    help="a Dask scheduler address (default: start a LocalCluster)")
    ap.add_argument("--workers", type=int, default=None,
                    help="LocalCluster worker processes (default: one per core)")
    ap.add_argument("--threads", type=int, default=1, help="evaluator threads per task")
    ap.add_argument("--format", default="csv", choices=["csv", "jsonl", "arrow"],
                    help="per-partition output format")
    ap.add_argument("--engine", default="jit", choices=["jit", "interp"])
    ap.add_argument("--merged", default=None,
                    help="also write all partitions' CSV rows, in partition order, to this file")
    ap.add_argument("--drafts", action="store_true",
                    help="also write OUT/<stem>.drafts.jsonl per partition (docs/handoff.md)")
    ap.add_argument("--review-queue", action="store_true",
                    help="also write OUT/<stem>.review_queue.csv per partition")
    ap.add_argument("--events", action="store_true",
                    help="also write OUT/<stem>.events.jsonl per partition")
    ap.add_argument("--run-id", default=None,
                    help="the events' run id (default: AS_OF/ and 8 hex digits of the rules hash)")
    ap.add_argument("--quiet", action="store_true", help="no progress lines on standard error")
    a = ap.parse_args(argv)
    log = (lambda m: None) if a.quiet else (lambda m: print(f"rekindle.dask: {m}",
                                                             file=sys.stderr, flush=True))
    try:
        summary = run(a.rules, a.snapshots, a.out, a.as_of, params=_parse_params(a.param),
                      scheduler=a.scheduler, workers=a.workers, threads=a.threads, fmt=a.format,
                      engine=a.engine, merged=a.merged,
                      handoff=[n for n, on in (("drafts", a.drafts),
                                               ("review_queue", a.review_queue),
                                               ("events", a.events)) if on],
                      run_id=a.run_id, log=log)
    except rekindle.CompileError as e:
        sys.stderr.write(e.text)
        return 1
    except PartitionsFailed as e:
        print(f"rekindle.dask: error: {e}", file=sys.stderr)
        return 1
    except (FileNotFoundError, ValueError, rekindle.EvaluationError) as e:
        print(f"rekindle.dask: error: {e}", file=sys.stderr)
        return 2 if isinstance(e, (FileNotFoundError, ValueError)) else 1
    computed = sum(1 for p in summary["partitions"] if not p["skipped"])
    secs = summary["seconds"]
    log(f"{summary['rows']} rows in {len(summary['partitions'])} partition(s) ({computed} "
        f"computed, {len(summary['partitions']) - computed} skipped) in {secs:.2f} s "
        f"-> {os.path.join(a.out, 'summary.json')}")
    return 0


if __name__ == "__main__":
    # Run the imported module's main, so tasks pickle as `rekindle.dask.evaluate_partition`
    # (importable on workers) rather than as functions of `__main__`.
    from rekindle.dask import main as _main

    sys.exit(_main())
