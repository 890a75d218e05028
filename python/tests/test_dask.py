# Rekindle Python tests: Dask. A 20,000-row snapshot split into 8 Arrow partitions, evaluated by
# `python3 -m rekindle.dask` on a LocalCluster of 2 worker processes, equals the single-process
# CLI row for row and count for count; a worker killed mid-run, or the whole run killed and
# re-run, changes nothing (only missing partitions are computed, none twice); and
# ddf.map_partitions(rules.evaluate) equals the CLI.
import json
import os
import signal
import subprocess
import sys
import time

import pytest

pd = pytest.importorskip("pandas", reason="pandas is not installed (apt-get install python3-pandas)")
pytest.importorskip("dask.dataframe", reason="dask is not installed (apt-get install python3-dask)")
pytest.importorskip("distributed",
                    reason="distributed is not installed (apt-get install python3-distributed)")
psutil = pytest.importorskip("psutil", reason="psutil is not installed (apt-get install python3-psutil)")

import rekindle  # noqa: E402
import rekindle.dask as rkdask  # noqa: E402
from conftest import AS_OF, RULES, SCHEMA, run_cli  # noqa: E402

PARTS = 8


@pytest.fixture(scope="module")
def partitions(snapshot, tmp_path_factory):
    """The snapshot split into 8 Arrow files (part-0..7, in row order) by `rekindle convert`."""
    d = tmp_path_factory.mktemp("parts")
    with open(snapshot["csv"], "rb") as f:
        header = f.readline()
        rows = f.readlines()
    per = (len(rows) + PARTS - 1) // PARTS
    for i in range(PARTS):
        piece = d / f"part-{i}.csv"
        piece.write_bytes(header + b"".join(rows[i * per:(i + 1) * per]))
        run_cli("convert", str(piece), str(d / f"part-{i}.arrow"), "--schema", SCHEMA, "--quiet")
        piece.unlink()
    return str(d)


def dask_cmd(parts, out, *extra):
    return [sys.executable, "-m", "rekindle.dask", RULES, "--snapshots",
            os.path.join(parts, "*.arrow"), "--out", out, "--as-of", AS_OF, "--workers", "2",
            *extra]


def read_bytes(path):
    with open(path, "rb") as f:
        return f.read()


def check_outputs(out, snapshot):
    """The merged partitions equal the CLI's output; counts add up to the CLI's."""
    merged = os.path.join(out, "merged.csv")
    assert read_bytes(merged) == read_bytes(snapshot["cli_out"])
    with open(os.path.join(out, "summary.json")) as f:
        summary = json.load(f)
    assert summary["rows"] == 20000
    assert summary["counts"] == snapshot["cli_summary"]["counts"]
    assert [p["partition"] for p in summary["partitions"]] == [f"part-{i}" for i in range(PARTS)]
    names = sorted(os.listdir(out))
    assert not [n for n in names if ".tmp-" in n or n.startswith(".rekindle-")], names  # no leftovers
    assert len([n for n in names if n.endswith(".done")]) == PARTS
    return summary


def test_cluster_equals_cli(partitions, snapshot, tmp_path):
    out = str(tmp_path / "out")
    r = subprocess.run(dask_cmd(partitions, out, "--merged", os.path.join(out, "merged.csv")),
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    summary = check_outputs(out, snapshot)
    assert not any(p["skipped"] for p in summary["partitions"])
    assert len({p["worker"] for p in summary["partitions"]}) >= 1
    # A second run skips every partition and changes no file.
    before = {n: os.stat(os.path.join(out, n)).st_mtime_ns for n in os.listdir(out)
              if n.startswith("part-")}
    r = subprocess.run(dask_cmd(partitions, out, "--merged", os.path.join(out, "merged.csv")),
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    summary = check_outputs(out, snapshot)
    assert all(p["skipped"] for p in summary["partitions"])
    assert before == {n: os.stat(os.path.join(out, n)).st_mtime_ns for n in before}


def _worker_processes(proc):
    """Dask worker processes started by the run (children of its nannies)."""
    try:
        kids = psutil.Process(proc.pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return []
    out = []
    for k in kids:
        try:
            if "spawn_main" in " ".join(k.cmdline()) or "forkserver" in " ".join(k.cmdline()):
                out.append(k)
        except psutil.Error:
            pass
    return out


def _wait_for(predicate, timeout):
    end = time.time() + timeout
    while time.time() < end:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def _done_markers(out):
    return [n for n in os.listdir(out) if n.endswith(".done")] if os.path.isdir(out) else []


def test_worker_killed_mid_run(partitions, snapshot, tmp_path):
    out = str(tmp_path / "out")
    env = dict(os.environ, **{rkdask.DELAY_ENV: "1.0"})
    proc = subprocess.Popen(dask_cmd(partitions, out, "--merged",
                                     os.path.join(out, "merged.csv")),
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert _wait_for(lambda: len(_done_markers(out)) >= 1, 120), "no partition finished"
        assert len(_done_markers(out)) < PARTS, "the run finished before a worker could be killed"
        workers = _worker_processes(proc)
        assert workers, "no worker process found"
        workers[0].kill()  # SIGKILL: mid-task (tasks sleep 1 s before they evaluate)
        _, err = proc.communicate(timeout=300)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    check_outputs(out, snapshot)
    # Re-running finds everything complete: nothing computed again, nothing doubled.
    r = subprocess.run(dask_cmd(partitions, out, "--merged", os.path.join(out, "merged.csv")),
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    assert all(p["skipped"] for p in check_outputs(out, snapshot)["partitions"])


def test_run_killed_then_rerun_computes_only_missing(partitions, snapshot, tmp_path):
    out = str(tmp_path / "out")
    env = dict(os.environ, **{rkdask.DELAY_ENV: "1.0"})
    proc = subprocess.Popen(dask_cmd(partitions, out), env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        assert _wait_for(lambda: len(_done_markers(out)) >= 2, 120), "no partition finished"
    finally:
        os.killpg(proc.pid, signal.SIGKILL)  # the driver, the nannies and the workers
        proc.wait()
    done_before = set(_done_markers(out))
    assert 2 <= len(done_before) < PARTS
    # A temporary file a killed task left next to a partition that is complete is removed too.
    stale = os.path.join(out, "." + sorted(done_before)[0].replace(".done", ".csv") + ".tmp-9-x")
    with open(stale, "w") as f:
        f.write("partial")
    r = subprocess.run(dask_cmd(partitions, out, "--merged", os.path.join(out, "merged.csv")),
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    summary = check_outputs(out, snapshot)
    skipped = {p["partition"] + ".done" for p in summary["partitions"] if p["skipped"]}
    assert skipped == done_before


def test_map_partitions_equals_cli(snapshot):
    import dask.dataframe as dd
    from dask.distributed import Client, LocalCluster

    rules = rekindle.compile(RULES)
    df = pd.read_csv(snapshot["csv"])
    ddf = dd.from_pandas(df, npartitions=PARTS)
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster, Client(cluster):
        lazy = ddf.map_partitions(rules.evaluate, as_of=AS_OF, threads=1,
                                  meta=rules.output_meta())
        result = lazy.compute()
        helper = rkdask.evaluate_frame(ddf, rules, AS_OF).compute()
    want = pd.read_csv(snapshot["cli_out"], dtype=str, keep_default_na=False)
    got = rekindle.as_text(result).reset_index(drop=True)
    assert got.equals(want)
    assert rekindle.as_text(helper).reset_index(drop=True).equals(want)


def test_merged_output_never_replaces_an_input(partitions, tmp_path):
    # Refused before any work (no cluster is started): --merged naming a partition, a rule file,
    # or the summary (runtime/output_guard.h through rekindle._core.check_outputs).
    import rekindle.dask as rd

    part0 = os.path.join(partitions, "part-0.arrow")
    before = read_bytes(part0)
    for merged, want in [(part0, "is a partition"), (RULES, "is a rule file"),
                         (str(tmp_path / "out" / "summary.json"), "are the same file")]:
        with pytest.raises(ValueError, match=want):
            rd.run(RULES, os.path.join(partitions, "*.arrow"), str(tmp_path / "out"), AS_OF,
                   merged=merged)
    assert read_bytes(part0) == before


def test_handoff_files_per_partition_equal_the_cli(partitions, snapshot, tmp_path):
    # --drafts --review-queue --events: each partition writes its hand-off files beside its result
    # (one all-or-none group); together, in partition order, they are the CLI's files for the
    # whole snapshot (the queue sorted by owner within each partition).
    import csv
    import hashlib

    cli = {n: str(tmp_path / f"cli.{n}") for n in ("drafts.jsonl", "queue.csv", "events.jsonl")}
    run_cli("eval", RULES, "--snapshot", snapshot["csv"], "--as-of", AS_OF, "--out",
            str(tmp_path / "cli.csv"), "--drafts", cli["drafts.jsonl"], "--review-queue",
            cli["queue.csv"], "--events", cli["events.jsonl"], "--run-id", "dask-1", "--quiet")
    out = str(tmp_path / "out")
    args = ("--drafts", "--review-queue", "--events", "--run-id", "dask-1")
    r = subprocess.run(dask_cmd(partitions, out, *args), capture_output=True, text=True,
                       timeout=300)
    assert r.returncode == 0, r.stderr
    stems = [f"part-{i}" for i in range(PARTS)]

    def jsonl(path):
        with open(path, encoding="utf-8") as f:
            return [json.loads(line) for line in f]

    def queue(path):
        with open(path, newline="", encoding="utf-8") as f:
            rows = list(csv.reader(f))
        return rows[0], rows[1:]

    for suffix, name in ((".drafts.jsonl", "drafts.jsonl"), (".events.jsonl", "events.jsonl")):
        got = [o for s in stems for o in jsonl(os.path.join(out, s + suffix))]
        want = jsonl(cli[name])
        assert len(want) > 0 and got == want, name
    header, want = queue(cli["queue.csv"])
    got = []
    for s in stems:
        h, rows = queue(os.path.join(out, s + ".review_queue.csv"))
        assert h == header
        assert rows == sorted(rows, key=lambda row: row[0])  # sorted by owner, stably
        got += rows
    assert len(want) > 0 and sorted(got, key=lambda row: row[0]) == want
    with open(os.path.join(out, "summary.json")) as f:
        summary = json.load(f)
    assert summary["inputs"]["run_id"] == "dask-1"
    for p in summary["partitions"]:  # each partition's manifest: the SHA-256 of its file
        with open(os.path.join(partitions, p["partition"] + ".arrow"), "rb") as f:
            assert p["snapshot_sha256"] == hashlib.sha256(f.read()).hexdigest()
    names = os.listdir(out)
    assert not [n for n in names if ".tmp-" in n], names

    # A re-run with the same files skips every partition; one whose events file is gone is
    # computed again (its group rewritten), the others are not.
    os.unlink(os.path.join(out, "part-3.events.jsonl"))
    r = subprocess.run(dask_cmd(partitions, out, *args), capture_output=True, text=True,
                       timeout=300)
    assert r.returncode == 0, r.stderr
    with open(os.path.join(out, "summary.json")) as f:
        skipped = {p["partition"]: p["skipped"] for p in json.load(f)["partitions"]}
    assert skipped == {s: s != "part-3" for s in stems}
    got = [o for s in stems for o in jsonl(os.path.join(out, s + ".events.jsonl"))]
    assert got == jsonl(cli["events.jsonl"])
