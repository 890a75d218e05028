# Rekindle Python tests: rekindle.measure. The report dict equals what `rekindle measure` writes
# for the same inputs; the DataFrames hold the report's figures row for row; files are written
# when asked; a bad event line raises EvaluationError naming file and line.
import json
import os
import subprocess
import sys

import pytest

pd = pytest.importorskip("pandas", reason="pandas is not installed (apt-get install python3-pandas)")

import rekindle  # noqa: E402
from conftest import SOURCE_DIR, run_cli  # noqa: E402

ORACLE = os.path.join(SOURCE_DIR, "tests", "oracle", "measure_oracle.py")


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    d = str(tmp_path_factory.mktemp("measure"))
    subprocess.run([sys.executable, ORACLE, "generate", "7", d, "novariants"], check=True)
    events = [os.path.join(d, "events_1.jsonl"), os.path.join(d, "events_2.jsonl")]
    return {"dir": d, "rules": os.path.join(d, "rules.rules"), "events": events,
            "outcomes": os.path.join(d, "outcomes.csv")}


def test_report_equals_cli(inputs, tmp_path):
    cli_out = str(tmp_path / "cli.json")
    run_cli("measure", inputs["rules"], "--events", *inputs["events"], "--outcomes",
            inputs["outcomes"], "--window", "14", "--out", cli_out, "--quiet")
    m = rekindle.measure(inputs["rules"], inputs["events"], inputs["outcomes"], window=14)
    with open(cli_out) as f:
        assert m.report == json.load(f)
    assert m.report["window_days"] == 14
    assert m.paused == []


def test_dataframes_hold_the_report(inputs):
    m = rekindle.measure(rekindle.compile(inputs["rules"]), inputs["events"], inputs["outcomes"])
    b = m.breakdowns
    expected_rows = sum(1 + sum(len(v) for v in s["by"].values())
                        for run in m.report["runs"] + [m.report["pooled"]]
                        for s in run["sequences"])
    assert len(b) == expected_rows
    pooled = [s for s in m.report["pooled"]["sequences"] if s["sequence"] == "winback"][0]
    row = b[(b.run_id == "pooled") & (b.sequence == "winback") & (b.by == "overall")].iloc[0]
    assert row["treated"] == pooled["overall"]["treated"]
    assert row["lift"] == pooled["overall"]["lift"]
    assert row["ci95_low"] == pooled["overall"]["lift_ci95"][0]
    assert row["ci95_high"] == pooled["overall"]["lift_ci95"][1]
    assert row["p_value"] == pooled["overall"]["p_value"]
    touch = b[(b.run_id == "pooled") & (b.sequence == "winback") & (b.by == "touch")]
    assert sorted(touch["group"]) == sorted(pooled["by"]["touch"])
    assert set(b.by) >= {"overall", "touch", "step", "channel", "offer", "dormancy", "risk_band"}
    assert list(m.variants.columns)[:4] == ["run_id", "as_of", "sequence", "touch"]
    assert len(m.variants) == 0  # rule files cannot declare variants yet
    srm = m.srm[(m.srm.run_id == "pooled") & (m.srm.sequence == "winback")].iloc[0]
    assert srm["units"] == pooled["srm"]["units"]
    assert srm["mismatch"] == pooled["srm"]["mismatch"]
    wel = m.srm[(m.srm.run_id == "pooled") & (m.srm.sequence == "welcome_back")].iloc[0]
    assert wel["holdout_share"] == 0 and pd.isna(wel["units"])  # no holdout: no check


def test_files_are_written(inputs, tmp_path):
    out, verdicts, html = (str(tmp_path / n) for n in ("r.json", "v.json", "r.html"))
    m = rekindle.measure(inputs["rules"], inputs["events"], inputs["outcomes"], out=out,
                         verdicts=verdicts, html=html)
    with open(out) as f:
        assert json.load(f) == m.report
    with open(verdicts) as f:
        assert json.load(f) == {"paused": []}
    with open(html, encoding="utf-8") as f:
        assert f.read().startswith("<!DOCTYPE html>")


def test_bad_events_raise(inputs, tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"run_id": 3}\n')
    out = tmp_path / "r.json"
    with pytest.raises(rekindle.EvaluationError, match=r"bad.jsonl:1: \"run_id\" must be a string"):
        rekindle.measure(inputs["rules"], str(bad), inputs["outcomes"], out=str(out))
    assert not out.exists()


def test_an_output_is_never_an_input(inputs, tmp_path):
    # As for `rekindle measure`: a report written over an events file, the outcomes or the rule
    # file, or two outputs that are one file, are refused before anything is read or written.
    def digest(path):
        with open(path, "rb") as f:
            return f.read()

    before = {p: digest(p) for p in [inputs["rules"], inputs["outcomes"], *inputs["events"]]}
    for out, want in [(inputs["events"][1], "is an events file"),
                      (inputs["outcomes"], "is the outcomes file"),
                      (inputs["rules"], "is the rule file")]:
        with pytest.raises(ValueError, match=want):
            rekindle.measure(inputs["rules"], inputs["events"], inputs["outcomes"], out=out)
    same = str(tmp_path / "r.json")
    with pytest.raises(ValueError, match="are the same file"):
        rekindle.measure(inputs["rules"], inputs["events"], inputs["outcomes"], out=same,
                         html=same)
    assert not os.path.exists(same)
    assert {p: digest(p) for p in before} == before
