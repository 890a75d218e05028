# Rekindle Python tests: shared fixtures. The `rekindle` command (REKINDLE_CLI, set by ctest) makes
# the reference results; the package is imported from PYTHONPATH (the build tree).
import json
import os
import shutil
import subprocess

import pytest

SOURCE_DIR = os.environ.get(
    "REKINDLE_SOURCE_DIR", os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..")))
RULES = os.path.join(SOURCE_DIR, "rules", "winback.rules")
SCHEMA = os.path.join(SOURCE_DIR, "rules", "customer.schema")
AS_OF = "2026-11-01"
ROWS = 20000


def cli_path():
    path = os.environ.get("REKINDLE_CLI") or shutil.which("rekindle")
    if not path or not os.path.exists(path):
        pytest.fail("set REKINDLE_CLI to the built `rekindle` command (ctest does)")
    return path


def run_cli(*args, check=True):
    r = subprocess.run([cli_path(), *args], capture_output=True, text=True)
    if check and r.returncode != 0:
        raise AssertionError(f"rekindle {' '.join(args)} failed ({r.returncode}):\n{r.stderr}")
    return r


@pytest.fixture(scope="session")
def snapshot(tmp_path_factory):
    """A generated 20,000-row CSV snapshot and the CLI's result and summary for it."""
    d = tmp_path_factory.mktemp("snapshot")
    csv = str(d / "customers.csv")
    run_cli("gen", "--rows", str(ROWS), "--seed", "11", "--as-of", AS_OF, "--out", csv, "--quiet")
    out = str(d / "cli.csv")
    summary = str(d / "cli-summary.json")
    run_cli("eval", RULES, "--snapshot", csv, "--as-of", AS_OF, "--out", out, "--summary", summary,
            "--quiet")
    with open(summary) as f:
        cli_summary = json.load(f)
    return {"dir": d, "csv": csv, "cli_out": out, "cli_summary": cli_summary}
