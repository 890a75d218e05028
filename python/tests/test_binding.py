# Rekindle Python tests: the binding. A DataFrame evaluated by rekindle equals `rekindle eval` on
# the same snapshot row for row (several input dtypes, both engines); evaluate_file writes the
# CLI's bytes and summary; the layout says what each column means; CompileError carries the
# diagnostics `rekindle check` prints; a RuleSet survives pickling (also where its files do not
# exist); bad frames raise DataError; a bad snapshot file lists every bad row.
import hashlib
import os
import pickle

import pytest

pd = pytest.importorskip("pandas", reason="pandas is not installed (apt-get install python3-pandas)")
np = pytest.importorskip("numpy", reason="numpy is not installed (apt-get install python3-numpy)")

import rekindle  # noqa: E402
from conftest import AS_OF, RULES, SCHEMA, run_cli  # noqa: E402


def cli_frame(path):
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def assert_same_rows(result, expected_csv):
    got = rekindle.as_text(result).reset_index(drop=True)
    want = cli_frame(expected_csv)
    assert list(got.columns) == list(want.columns)
    assert len(got) == len(want)
    for col in want.columns:
        diff = np.flatnonzero(got[col].to_numpy() != want[col].to_numpy())
        assert len(diff) == 0, (f"column {col} differs in {len(diff)} rows, first row "
                                f"{diff[0]}: {got[col][diff[0]]!r} != {want[col][diff[0]]!r}")


@pytest.fixture(scope="module")
def rules():
    return rekindle.compile(RULES)


def test_frame_read_with_pandas_defaults_equals_cli(rules, snapshot):
    # pandas' defaults: dates and lists as strings, empty cells as NaN, bools with NaN as object.
    df = pd.read_csv(snapshot["csv"])
    result = rules.evaluate(df, as_of=AS_OF)
    assert list(result.columns) == rules.columns
    assert_same_rows(result, snapshot["cli_out"])


def test_frame_with_typed_dtypes_equals_cli(rules, snapshot):
    df = pd.read_csv(snapshot["csv"],
                     parse_dates=["last_purchase_date", "last_engagement_date",
                                  "last_touch_date"])
    df = df.convert_dtypes(convert_string=False)  # nullable Int64/boolean/Float64 columns
    df["acquisition_channel"] = df["acquisition_channel"].astype("category")
    df["relationship_flag"] = df["relationship_flag"].astype("category")
    df["customer_id"] = df["customer_id"].astype("category")
    df["categories"] = [[] if isinstance(v, float) else v.split("|") for v in df["categories"]]
    df["extra_column"] = 1  # ignored
    assert df["last_purchase_date"].dtype.kind == "M"
    result = rules.evaluate(df, as_of=pd.Timestamp(AS_OF), threads=2)
    assert_same_rows(result, snapshot["cli_out"])


def test_numpy_columns_and_interpreter_equal_cli(rules, snapshot):
    df = pd.read_csv(snapshot["csv"], keep_default_na=True)
    # days as datetime64[D] arrays; dates from python objects
    df["last_purchase_date"] = pd.to_datetime(df["last_purchase_date"]).to_numpy(
        dtype="datetime64[D]")
    df["last_touch_date"] = [None if isinstance(v, float) else pd.Timestamp(v).date()
                             for v in df["last_touch_date"]]
    assert df["orders_total"].dtype == np.int64 and df["avg_order_value"].dtype == np.float64
    result = rules.evaluate(df, as_of=AS_OF, engine="interp")
    assert_same_rows(result, snapshot["cli_out"])


def test_output_dtypes_and_categorical(rules, snapshot):
    df = pd.read_csv(snapshot["csv"], nrows=500)
    result = rules.evaluate(df.set_index(df.index + 1000), as_of=AS_OF)
    assert list(result.index[:2]) == [1000, 1001]
    assert str(result["candidate"].dtype) == "boolean"
    assert str(result["winback_touch"].dtype) == "Int32"
    assert result["dormancy"].dtype == object
    assert result["stopped_by"].isna().any()  # empty -> None
    cat = rules.evaluate(df, as_of=AS_OF, categorical=True)
    assert isinstance(cat["dormancy"].dtype, pd.CategoricalDtype)
    assert rekindle.as_text(cat).equals(rekindle.as_text(result.reset_index(drop=True)))
    meta = rules.output_meta()
    assert list(meta.columns) == rules.columns
    assert list(meta.dtypes) == list(result.dtypes)
    empty = rules.evaluate(df.iloc[:0], as_of=AS_OF)
    assert len(empty) == 0 and list(empty.dtypes) == list(meta.dtypes)


def test_summary_of_frame_equals_cli(rules, snapshot):
    df = pd.read_csv(snapshot["csv"])
    _, summary = rules.evaluate(df, as_of=AS_OF, summary=True)
    assert summary["rows"] == snapshot["cli_summary"]["rows"]
    assert summary["counts"] == snapshot["cli_summary"]["counts"]


def test_evaluate_file_equals_cli(rules, snapshot, tmp_path):
    out = tmp_path / "py.csv"
    summary = rules.evaluate_file(snapshot["csv"], as_of=AS_OF, out=str(out), threads=2)
    with open(out, "rb") as a, open(snapshot["cli_out"], "rb") as b:
        assert a.read() == b.read()
    assert summary["rows"] == 20000
    assert summary["counts"] == snapshot["cli_summary"]["counts"]
    assert summary["inputs"]["as_of"] == AS_OF and summary["inputs"]["engine"] == "jit"
    assert summary["inputs"]["rules_fnv1a64"] == snapshot["cli_summary"]["inputs"]["rules_fnv1a64"]
    # summary only, and other formats
    assert rules.evaluate_file(snapshot["csv"], as_of=AS_OF)["counts"] == summary["counts"]
    rules.evaluate_file(snapshot["csv"], as_of=AS_OF, out=str(tmp_path / "py.jsonl"))
    assert sum(1 for _ in open(tmp_path / "py.jsonl")) == 20000


def test_evaluate_file_errors_leave_nothing(rules, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("customer_id,orders_total\nC1,3\n")
    out = tmp_path / "out.csv"
    with pytest.raises(rekindle.EvaluationError, match="column last_purchase_date: missing"):
        rules.evaluate_file(str(bad), as_of=AS_OF, out=str(out))
    assert os.listdir(tmp_path) == ["bad.csv"]
    # A bad value after 100,000 good rows (the writer has started): still nothing left behind.
    gen = tmp_path / "gen.csv"
    run_cli("gen", "--rows", "100001", "--seed", "3", "--as-of", AS_OF, "--out", str(gen),
            "--quiet")
    lines = gen.read_bytes().split(b"\n")
    fields = lines[-2].split(b",")
    fields[3] = b"many"  # orders_total
    lines[-2] = b",".join(fields)
    gen.write_bytes(b"\n".join(lines))
    with pytest.raises(rekindle.EvaluationError, match=r":100002: column orders_total"):
        rules.evaluate_file(str(gen), as_of=AS_OF, out=str(out))
    assert sorted(os.listdir(tmp_path)) == ["bad.csv", "gen.csv"]
    # Several bad rows: each is listed (one line each, in row order), then their count.
    for k in (5, 9, 700):
        fields = lines[k].split(b",")
        fields[1] = b"10/07/2026"  # last_purchase_date, a US date
        lines[k] = b",".join(fields)
    gen.write_bytes(b"\n".join(lines))
    with pytest.raises(rekindle.EvaluationError) as info:
        rules.evaluate_file(str(gen), as_of=AS_OF, out=str(out))
    listed = str(info.value).split("\n")
    assert [m.split(": column ")[0].rsplit(":", 1)[1] for m in listed[:-1]] == \
        ["6", "10", "701", "100002"]
    assert "write dates as YYYY-MM-DD: 2026-10-07 if this is October 7" in listed[0]
    assert listed[-1] == f"{gen}: 4 rows with errors"
    assert sorted(os.listdir(tmp_path)) == ["bad.csv", "gen.csv"]
    with pytest.raises(ValueError, match="not a date"):
        rules.evaluate_file(str(bad), as_of="2026-13-01")


def test_params_match_cli(snapshot, tmp_path):
    rules = rekindle.compile(RULES, params={"whale_aov": "$300"})
    out = tmp_path / "cli300.csv"
    run_cli("eval", RULES, "--snapshot", snapshot["csv"], "--as-of", AS_OF, "--param",
            "whale_aov=300", "--out", str(out), "--quiet")
    assert_same_rows(rules.evaluate(pd.read_csv(snapshot["csv"]), as_of=AS_OF), str(out))
    assert rules.resolved_params["whale_aov"] == "$300"


def test_layout_says_what_the_columns_mean(rules):
    layout = rules.layout
    assert layout["candidate"] == {"declared": True, "column": "candidate"}
    dormancy = next(f for f in layout["families"] if f["name"] == "dormancy")
    assert dormancy["column"] == "dormancy"
    assert [lab["name"] for lab in dormancy["labels"]][0] == "never_purchased"
    assert layout["stops"]["column"] == "stopped_by"
    assert [r["name"] for r in layout["stops"]["rules"]][0] == "opted_out"
    assert layout["stops"]["rules"][0]["reason"] == "Contact opted out"
    assert layout["reviews"]["column"] == "review"
    (seq,) = layout["sequences"]
    assert seq["name"] == "winback"
    kinds = [s["kind"] for s in seq["statuses"]]
    assert kinds[:3] == ["not_entered", "stopped", "held_out"]
    assert kinds[-4:] == ["exhausted", "waiting", "no_channel", "due"]
    assert [s["name"] for s in seq["statuses"] if s["kind"] == "exit"] == ["responded"]
    assert seq["columns"] == {"status": "winback_status", "touch": "winback_touch",
                              "step": "winback_step", "channel": "winback_channel",
                              "offer": "winback_offer"}
    assert seq["touches"][0] == "pattern_interrupt"
    assert {"text": "discount 20%", "kind": "discount", "amount": "20%"} in seq["offers"]
    assert {o["kind"] for o in seq["offers"]} <= {"none", "credit", "points", "early_access",
                                                   "discount"}
    columns = {c for f in layout["families"] for c in [f["column"]]}
    columns |= set(seq["columns"].values()) | {"candidate", "stopped_by", "review", rules.key}
    assert columns == set(rules.columns)


def test_layout_names_the_variant_column_only_with_variants():
    from conftest import SOURCE_DIR
    ab = rekindle.compile(os.path.join(SOURCE_DIR, "tests", "rules", "variants.rules"))
    (seq,) = ab.layout["sequences"]
    assert seq["columns"]["variant"] == "ab_variant"
    assert seq["columns"]["step"] == "ab_step"


def test_compile_error_carries_diagnostics(tmp_path):
    text = open(RULES).read().replace("last_purchase_date is missing",
                                      "last_purchse_date is missing", 1)
    assert "last_purchse_date" in text
    broken = tmp_path / "broken.rules"
    broken.write_text(text)  # imports customer.schema, next to it (imports stay in the folder)
    (tmp_path / "customer.schema").write_bytes(open(SCHEMA, "rb").read())
    with pytest.raises(rekindle.CompileError) as info:
        rekindle.compile(str(broken))
    e = info.value
    assert len(e.diagnostics) >= 1
    d = e.diagnostics[0]
    assert (d.severity, d.code) == ("error", "RK0201")
    assert d.file == str(broken) and d.line > 0 and d.column > 0
    assert d.length == len("last_purchse_date")  # the caret's width, as in --format json
    assert "last_purchse_date" in d.message and "last_purchase_date" in d.help
    check = run_cli("check", str(broken), check=False)
    assert check.returncode == 1
    assert e.text == check.stderr
    assert "RK0201" in str(e)


def test_bad_param_is_a_compile_error():
    with pytest.raises(rekindle.CompileError) as info:
        rekindle.compile(RULES, params={"whale_aov": "lots"})
    assert info.value.diagnostics


def test_pickle_round_trip(rules, snapshot):
    df = pd.read_csv(snapshot["csv"], nrows=3000)
    again = pickle.loads(pickle.dumps(rules))
    assert again.rules_hash == rules.rules_hash and again.columns == rules.columns
    assert again is pickle.loads(pickle.dumps(rules))  # compiled once per process
    assert rekindle.as_text(again.evaluate(df, as_of=AS_OF)).equals(
        rekindle.as_text(rules.evaluate(df, as_of=AS_OF)))
    with_params = rekindle.compile(RULES, params={"whale_aov": 300})
    assert pickle.loads(pickle.dumps(with_params)).params == {"whale_aov": "300"}


def test_pickle_where_the_files_do_not_exist(rules, snapshot):
    # As on a worker without the rule files: the sources travel in the pickle.
    fn, (path, params, sources, h, root) = rules.__reduce__()
    moved = tuple(("/nonexistent/rekindle-test" + p, t) for p, t in sources)
    restored = fn("/nonexistent/rekindle-test" + path, params, moved, h, root)
    assert restored.rules_hash == rules.rules_hash
    df = pd.read_csv(snapshot["csv"], nrows=2000)
    assert rekindle.as_text(restored.evaluate(df, as_of=AS_OF)).equals(
        rekindle.as_text(rules.evaluate(df, as_of=AS_OF)))


def test_value_ranges(tmp_path):
    # A schema with ranges (tests/fixtures/ranges): a frame's values outside them are a DataError
    # listing every such row (the first bad field of each), and the schema says the ranges.
    from conftest import SOURCE_DIR
    fix = os.path.join(SOURCE_DIR, "tests", "fixtures", "ranges")
    rules = rekindle.compile(os.path.join(fix, "account.rules"))
    ranges = {f.name: f.range for f in rules.schema}
    assert ranges["nps"] == "0 to 10" and ranges["mrr"] == ">= $0" and ranges["plan"] == ""
    gen = tmp_path / "gen.csv"
    run_cli("gen", "--schema", os.path.join(fix, "account.schema"), "--rows", "300", "--seed", "2",
            "--as-of", AS_OF, "--out", str(gen), "--quiet")
    df = pd.read_csv(gen)
    assert len(rules.evaluate(df, as_of=AS_OF)) == 300
    bad = df.copy()
    bad.loc[4, "seats"] = 0
    bad.loc[9, "mrr"] = -1.0
    bad.loc[9, "seats"] = -3  # the first bad field of row 9 is named
    with pytest.raises(rekindle.DataError) as info:
        rules.evaluate(bad, as_of=AS_OF)
    assert str(info.value).split("\n") == [
        "column seats, row 4: 0 is outside the range of the schema (>= 1)",
        "column seats, row 9: -3 is outside the range of the schema (>= 1)",
        "2 rows with errors"]
    one = df.copy()
    one.loc[0, "health"] = 0.0
    with pytest.raises(rekindle.DataError,
                       match=r"^column health, row 0: 0 is outside the range of the schema \(> 0\)$"):
        rules.evaluate(one, as_of=AS_OF)


def test_data_errors(rules, snapshot):
    df = pd.read_csv(snapshot["csv"], nrows=100)
    with pytest.raises(rekindle.DataError, match="column orders_total: missing from the frame"):
        rules.evaluate(df.drop(columns=["orders_total"]), as_of=AS_OF)
    bad = df.copy()
    bad["avg_order_value"] = bad["avg_order_value"].astype(object)
    bad.loc[5, "avg_order_value"] = None
    with pytest.raises(rekindle.DataError, match="avg_order_value, row 5.*does not allow missing"):
        rules.evaluate(bad, as_of=AS_OF)
    bad = df.copy()
    bad.loc[3, "acquisition_channel"] = "affiliate"
    with pytest.raises(rekindle.DataError, match="'affiliate' is not one of paid_social"):
        rules.evaluate(bad, as_of=AS_OF)
    bad = df.copy()
    bad.loc[7, "last_touch_date"] = "2026-02-30"
    with pytest.raises(rekindle.DataError, match="row 7.*not a date"):
        rules.evaluate(bad, as_of=AS_OF)
    bad = df.copy()
    bad.loc[2, "categories"] = "home||kitchen"
    with pytest.raises(ValueError, match="empty list element"):
        rules.evaluate(bad, as_of=AS_OF)
    with pytest.raises(ValueError, match="engine"):
        rules.evaluate(df, as_of=AS_OF, engine="gpu")


# --- reliability (docs/reliability.md) ------------------------------------------------------------

def _small_rules(tmp_path, body):
    (tmp_path / "customer.schema").write_bytes(open(SCHEMA, "rb").read())
    path = tmp_path / "small.rules"
    path.write_text('import "customer.schema"\n' + body)
    return rekindle.compile(str(path))


def test_rules_without_review_or_segments_evaluate(tmp_path, snapshot):
    # A joined column with no rules (`review` without review rules) is empty on every row (it
    # was an empty column: "Length of values (0) does not match length of index").
    rules = _small_rules(tmp_path, "candidate when orders_total > 3\n")
    df = pd.read_csv(snapshot["csv"])
    result = rules.evaluate(df, as_of=AS_OF)
    assert len(result) == len(df)
    assert result["review"].isna().all()
    out = tmp_path / "cli.csv"
    run_cli("eval", str(tmp_path / "small.rules"), "--snapshot", snapshot["csv"], "--as-of", AS_OF,
            "--out", str(out), "--quiet")
    assert_same_rows(result, str(out))
    cat = rules.evaluate(df, as_of=AS_OF, categorical=True)
    assert cat["review"].isna().all()


def test_bools_are_never_numbers(rules, snapshot):
    df = pd.read_csv(snapshot["csv"]).head(50)
    df["orders_total"] = df["orders_total"].astype(object)
    df.loc[df.index[3], "orders_total"] = True
    with pytest.raises(rekindle.DataError, match=r"orders_total, row 3 .*True is a bool, not a number"):
        rules.evaluate(df, as_of=AS_OF)
    df = pd.read_csv(snapshot["csv"]).head(50)
    df["avg_order_value"] = df["avg_order_value"].astype(object)
    df.loc[df.index[5], "avg_order_value"] = False
    with pytest.raises(rekindle.DataError, match=r"avg_order_value, row 5 .*False is a bool"):
        rules.evaluate(df, as_of=AS_OF)


def test_text_columns_hold_str_only(rules, snapshot):
    # Mixed types are never turned into text silently (1 and "1" would be one key).
    df = pd.read_csv(snapshot["csv"]).head(50)
    df["customer_id"] = df["customer_id"].astype(object)
    df.loc[df.index[7], "customer_id"] = 42
    with pytest.raises(rekindle.DataError, match=r"customer_id, row 7 .*42 is int, not str"):
        rules.evaluate(df, as_of=AS_OF)


def test_lone_surrogates_are_data_errors(rules, snapshot):
    bad = "C\ud800x"
    for column in ["customer_id", "acquisition_channel", "last_purchase_date", "categories"]:
        df = pd.read_csv(snapshot["csv"]).head(50)
        df[column] = df[column].astype(object)
        df.loc[df.index[9], column] = bad
        with pytest.raises(rekindle.DataError) as info:
            rules.evaluate(df, as_of=AS_OF)
        assert "row 9" in str(info.value), (column, str(info.value))
    df = pd.read_csv(snapshot["csv"]).head(50)
    df["categories"] = df["categories"].astype(object)
    df.at[df.index[4], "categories"] = ["ok", bad]
    with pytest.raises(rekindle.DataError, match=r"categories, row 4: .*not valid Unicode"):
        rules.evaluate(df, as_of=AS_OF)


def test_duplicate_keys_are_data_errors(rules, snapshot):
    df = pd.read_csv(snapshot["csv"]).head(100)
    df.loc[df.index[60], "customer_id"] = df["customer_id"].iloc[10]
    key = df["customer_id"].iloc[10]
    with pytest.raises(rekindle.DataError,
                       match=rf'<DataFrame>:61: column customer_id: the key "{key}" is also in row 11'):
        rules.evaluate(df, as_of=AS_OF)


def test_evaluate_file_never_writes_over_an_input(rules, snapshot, tmp_path):
    with pytest.raises(ValueError, match="is the snapshot"):
        rules.evaluate_file(snapshot["csv"], as_of=AS_OF, out=snapshot["csv"])
    with pytest.raises(ValueError, match="is the rule file"):
        rules.evaluate_file(snapshot["csv"], as_of=AS_OF, out=RULES)
    assert cli_frame(snapshot["csv"]).shape[0] > 0


def test_imports_stay_in_the_project_folder(tmp_path):
    (tmp_path / "outside.schema").write_bytes(open(SCHEMA, "rb").read())
    (tmp_path / "proj").mkdir()
    path = tmp_path / "proj" / "r.rules"
    path.write_text('import "../outside.schema"\ncandidate when true\n')
    with pytest.raises(rekindle.CompileError) as info:
        rekindle.compile(str(path))
    assert info.value.diagnostics[0].code == "RK0502"
    rules = rekindle.compile(str(path), root=str(tmp_path))
    assert rules.key == "customer_id"
    again = pickle.loads(pickle.dumps(rules))  # the root travels with the pickle
    assert again.key == "customer_id"


def test_untrusted_object_cache_folder_is_not_used_and_warns(tmp_path, monkeypatch):
    # A cache folder others can write to could hold planted machine code: it is not used, and the
    # warning says why (runtime/session.h passes the JIT's cache warning on).
    shared = tmp_path / "shared"
    shared.mkdir()
    os.chmod(shared, 0o777)
    monkeypatch.setenv("REKINDLE_CACHE", "1")
    monkeypatch.setenv("REKINDLE_CACHE_DIR", str(shared))
    rules = rekindle.compile(RULES)
    sample = os.path.join(os.path.dirname(RULES), "sample.csv")
    with pytest.warns(RuntimeWarning, match="object cache is not used: .* writable by other users"):
        rules.evaluate_file(sample, as_of=AS_OF)
    assert list(shared.iterdir()) == []


def test_handoff_frames_equal_the_cli_files(rules, snapshot, tmp_path):
    # RuleSet.evaluate(..., drafts=True, review_queue=True, events=True) returns the hand-off files
    # of `rekindle eval --drafts --review-queue --events` as DataFrames, row for row.
    import json

    d, q, e = (str(tmp_path / n) for n in ("d.jsonl", "q.csv", "e.jsonl"))
    run_cli("eval", RULES, "--snapshot", snapshot["csv"], "--as-of", AS_OF, "--out",
            str(tmp_path / "r.csv"), "--drafts", d, "--review-queue", q, "--events", e,
            "--run-id", "py-1", "--quiet")
    df = pd.read_csv(snapshot["csv"])
    ev = rules.evaluate(df, as_of=AS_OF, drafts=True, review_queue=True, events=True,
                        run_id="py-1", summary=True)
    assert isinstance(ev, rekindle.Evaluation) and ev.summary["rows"] == len(df)
    for frame, path, fields in ((ev.drafts, d, rekindle.DRAFT_FIELDS),
                                (ev.events, e, rekindle.EVENT_FIELDS)):
        want = [json.loads(line) for line in open(path, encoding="utf-8")]
        assert list(frame.columns) == fields
        got = frame.to_dict(orient="records")
        assert len(got) == len(want) > 0
        assert got == want
    assert ev.events["would_be"].notna().any()  # the holdout's counterfactual is there
    assert ev.review_queue.equals(pd.read_csv(q, dtype=str, keep_default_na=False))
    # Not asked for: None; without hand-off flags evaluate returns the result frame as before.
    only = rules.evaluate(df.head(50), as_of=AS_OF, drafts=True)
    assert only.review_queue is None and only.events is None and len(only.drafts) >= 0
    assert isinstance(rules.evaluate(df.head(5), as_of=AS_OF), pd.DataFrame)


def test_evaluate_file_writes_the_handoff_files_all_or_none(rules, snapshot, tmp_path):
    # evaluate_file(..., drafts=, review_queue=, events=) writes what `rekindle eval` writes, and
    # the result and the hand-off files appear together or not at all.
    cli = {n: str(tmp_path / ("cli." + n)) for n in ("csv", "d.jsonl", "q.csv", "e.jsonl")}
    run_cli("eval", RULES, "--snapshot", snapshot["csv"], "--as-of", AS_OF, "--out", cli["csv"],
            "--drafts", cli["d.jsonl"], "--review-queue", cli["q.csv"], "--events",
            cli["e.jsonl"], "--run-id", "py-2", "--quiet")
    py = {n: str(tmp_path / ("py." + n)) for n in cli}
    summary = rules.evaluate_file(snapshot["csv"], as_of=AS_OF, out=py["csv"], threads=2,
                                  drafts=py["d.jsonl"], review_queue=py["q.csv"],
                                  events=py["e.jsonl"], run_id="py-2")
    for n in cli:
        assert open(py[n], "rb").read() == open(cli[n], "rb").read(), n
    assert summary["inputs"]["run_id"] == "py-2"
    with open(snapshot["csv"], "rb") as f:
        assert summary["inputs"]["snapshot_sha256"] == hashlib.sha256(f.read()).hexdigest()
    # The events file's folder does not exist: an error, and none of the files is written.
    bad = {n: str(tmp_path / ("bad." + n)) for n in ("csv", "d.jsonl")}
    with pytest.raises(rekindle.EvaluationError):
        rules.evaluate_file(snapshot["csv"], as_of=AS_OF, out=bad["csv"], drafts=bad["d.jsonl"],
                            events=str(tmp_path / "missing" / "e.jsonl"))
    assert not os.path.exists(bad["csv"]) and not os.path.exists(bad["d.jsonl"])
    assert not [n for n in os.listdir(tmp_path) if ".tmp-" in n]
    with pytest.raises(ValueError, match="is the snapshot"):
        rules.evaluate_file(snapshot["csv"], as_of=AS_OF, events=snapshot["csv"])


def test_send_times_and_owner_equal_cli(tmp_path):
    # tests/rules/send_times.rules: `NAME_send_at` and `owner` from a DataFrame (time zones of many
    # regions, some missing) equal `rekindle eval` on the same snapshot, on both engines; an
    # unknown zone in a frame is a data error naming the row and the column.
    from conftest import SOURCE_DIR
    rules_path = os.path.join(SOURCE_DIR, "tests", "rules", "send_times.rules")
    schema_path = os.path.join(SOURCE_DIR, "tests", "rules", "zones.schema")
    snap = str(tmp_path / "zones.csv")
    out = str(tmp_path / "out.csv")
    run_cli("gen", "--schema", schema_path, "--rules", rules_path, "--rows", "3000", "--seed",
            "5", "--as-of", "2026-11-01", "--out", snap)
    run_cli("eval", rules_path, "--snapshot", snap, "--as-of", "2026-11-01", "--out", out,
            "--quiet")
    st = rekindle.compile(rules_path)
    assert st.layout["sequences"][0]["columns"]["send_at"] == "hello_send_at"
    assert st.layout["owner"] == "owner"
    df = pd.read_csv(snap, dtype={"id": str, "tz": str, "csm": str})
    for engine in ("jit", "interp"):
        result = st.evaluate(df, as_of="2026-11-01", engine=engine)
        assert list(result.columns)[-2:] == ["hello_send_at", "owner"]
        assert result["hello_send_at"].notna().sum() > 300
        assert_same_rows(result, out)
    bad = df.copy()
    bad.loc[7, "tz"] = "europe/berlin"
    with pytest.raises(rekindle.DataError) as e:
        st.evaluate(bad, as_of="2026-11-01")
    assert "tz" in str(e.value) and "Europe/Berlin" in str(e.value)
