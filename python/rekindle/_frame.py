# Rekindle for Python: pandas <-> the evaluator's columns. field_arrays() turns each schema column
# of a DataFrame into the typed arrays rekindle._core.evaluate_columns reads (int64 and float64
# numpy columns are passed as they are, without a copy; strings, categoricals and enums become a
# dictionary once per column, parsing each distinct value once); result_frame() turns the
# evaluator's int8 outputs into the output contract's columns.
"""DataFrame conversion for rekindle (internal)."""

from __future__ import annotations

import datetime as _dt
from typing import Any, Dict, List, Optional

import numpy as np
import pandas as pd

from . import DataError, _core

_DAY_NS = 86_400_000_000_000


def _row_place(series: pd.Series, pos: int) -> str:
    return f"column {series.name}, row {pos} (index {series.index[pos]!r})"


def _fail_missing(series: pd.Series, mask: np.ndarray) -> None:
    pos = int(np.flatnonzero(mask)[0])
    raise DataError(f"{_row_place(series, pos)}: missing value, but the schema does not allow "
                    "missing values")


def _mask_or_none(series: pd.Series, field, mask: Optional[np.ndarray]):
    if mask is None or not mask.any():
        return None
    if not field.nullable:
        _fail_missing(series, mask)
    return np.ascontiguousarray(mask, dtype=bool)


def _is_masked(arr) -> bool:
    return hasattr(arr, "_data") and hasattr(arr, "_mask")


def _factorize(series: pd.Series):
    """(codes int64 with -1 for missing, uniques) of any column; categoricals keep their
    categories (so unused categories are allowed)."""
    if isinstance(series.dtype, pd.CategoricalDtype):
        return np.asarray(series.cat.codes, dtype=np.int64), list(series.cat.categories)
    codes, uniques = pd.factorize(series.to_numpy(dtype=object), use_na_sentinel=True)
    return codes, list(uniques)


def _first_row_of(codes: np.ndarray, i: int) -> Optional[int]:
    where = np.flatnonzero(codes == i)
    return int(where[0]) if len(where) else None


def _check_text(series: pd.Series, codes: np.ndarray, uniques, what: str) -> None:
    """Every distinct value used is a str that is valid Unicode (a lone surrogate cannot be
    encoded as UTF-8): otherwise a DataError naming the first row that holds it. Nothing is
    converted to text silently (1 and "1" would become one key)."""
    for i, u in enumerate(uniques):
        if isinstance(u, str):
            continue
        pos = _first_row_of(codes, i)
        if pos is None:  # an unused category
            continue
        raise DataError(f"{_row_place(series, pos)}: {u!r} is {type(u).__name__}, not str (a "
                        f"{what} column holds text: convert it with .astype(str) if that is "
                        "meant)")
    try:
        "\x00".join(u for u in uniques if isinstance(u, str)).encode("utf-8")
    except UnicodeEncodeError:
        for i, u in enumerate(uniques):
            try:
                u.encode("utf-8")
            except UnicodeEncodeError as e:
                pos = _first_row_of(codes, i)
                if pos is None:
                    continue
                raise DataError(f"{_row_place(series, pos)}: {u!r} is not valid Unicode text "
                                f"({e.reason} at character {e.start})") from None


def _no_bools(series: pd.Series, field) -> None:
    """An object column of a number type holding True/False: an error, never 1/0."""
    codes, uniques = _factorize(series)
    for i, u in enumerate(uniques):
        if isinstance(u, (bool, np.bool_)):
            pos = _first_row_of(codes, i)
            raise DataError(f"{_row_place(series, pos)}: {u!r} is a bool, not a number (the "
                            f"schema says {field.type})")


def _bool(series: pd.Series, field):
    dt = series.dtype
    if dt == np.bool_:
        return (np.ascontiguousarray(series.to_numpy()), None, None)
    arr = series.array
    if isinstance(dt, pd.BooleanDtype):
        return (np.ascontiguousarray(arr._data), _mask_or_none(series, field, arr._mask), None)
    codes, uniques = _factorize(series)
    table = np.zeros(len(uniques) + 1, dtype=np.uint8)
    for i, u in enumerate(uniques):
        if u is True or u is False or isinstance(u, np.bool_):
            table[i] = bool(u)
        elif isinstance(u, str) and u in ("true", "false"):
            table[i] = u == "true"
        elif isinstance(u, (int, float, np.integer, np.floating)) and u in (0, 1):
            table[i] = bool(u)
        else:
            pos = int(np.flatnonzero(codes == i)[0])
            raise DataError(f"{_row_place(series, pos)}: {u!r} is not a bool (write true or false)")
    mask = codes < 0
    return (table[codes], _mask_or_none(series, field, mask), None)


def _int(series: pd.Series, field):
    dt = series.dtype
    if dt == np.int64:
        return (np.ascontiguousarray(series.to_numpy()), None, None)
    if dt == np.bool_:
        raise DataError(f"column {series.name}: is bool in the frame but the schema says int")
    arr = series.array
    if _is_masked(arr) and pd.api.types.is_integer_dtype(dt):
        return (np.ascontiguousarray(arr._data, dtype=np.int64),
                _mask_or_none(series, field, arr._mask), None)
    if pd.api.types.is_integer_dtype(dt):
        values = series.to_numpy()
        if dt == np.uint64 and (values > np.iinfo(np.int64).max).any():
            pos = int(np.flatnonzero(values > np.iinfo(np.int64).max)[0])
            raise DataError(f"{_row_place(series, pos)}: out of range for an int")
        return (values.astype(np.int64), None, None)
    if pd.api.types.is_float_dtype(dt) or dt == object:
        if dt == object:
            _no_bools(series, field)
        try:
            values = pd.to_numeric(series, errors="raise")
        except (ValueError, TypeError) as e:
            raise DataError(f"column {series.name}: not an int column ({e})") from None
        if pd.api.types.is_integer_dtype(values.dtype) and not _is_masked(values.array):
            return (np.ascontiguousarray(values.to_numpy(), dtype=np.int64), None, None)
        f = values.to_numpy(dtype=np.float64, na_value=np.nan)
        mask = np.isnan(f)
        whole = np.where(mask, 0.0, f)
        bad = (whole != np.floor(whole)) | (np.abs(whole) >= 2.0**63)
        if bad.any():
            pos = int(np.flatnonzero(bad)[0])
            raise DataError(f"{_row_place(series, pos)}: {f[pos]!r} is not an int")
        return (whole.astype(np.int64), _mask_or_none(series, field, mask), None)
    raise DataError(f"column {series.name}: is {dt} in the frame but the schema says int")


def _float(series: pd.Series, field):
    dt = series.dtype
    if dt == np.float64:
        values = np.ascontiguousarray(series.to_numpy())
        return (values, _mask_or_none(series, field, np.isnan(values)), None)
    if dt == np.bool_:
        raise DataError(
            f"column {series.name}: is bool in the frame but the schema says {field.type}")
    arr = series.array
    if _is_masked(arr):
        values = arr.to_numpy(dtype=np.float64, na_value=np.nan)
        return (values, _mask_or_none(series, field, np.isnan(values)), None)
    if pd.api.types.is_numeric_dtype(dt):
        values = series.to_numpy(dtype=np.float64)
        return (values, _mask_or_none(series, field, np.isnan(values)), None)
    if dt == object:
        _no_bools(series, field)
    try:
        values = pd.to_numeric(series, errors="raise").to_numpy(dtype=np.float64,
                                                                na_value=np.nan)
    except (ValueError, TypeError) as e:
        raise DataError(f"column {series.name}: not a {field.type} column ({e})") from None
    return (values, _mask_or_none(series, field, np.isnan(values)), None)


def _date_of(value) -> Optional[int]:
    """Days since 1970-01-01 of one distinct value, or None when it is not a date."""
    if isinstance(value, str):
        value.encode("utf-8")  # a lone surrogate: UnicodeEncodeError, i.e. not a date
        return _core.parse_date(value)
    if isinstance(value, pd.Timestamp):
        if value.tzinfo is not None:
            value = value.tz_convert("UTC")
        return int(value.value // _DAY_NS)
    if isinstance(value, _dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(_dt.timezone.utc)
        value = value.date()
    if isinstance(value, _dt.date):
        return (value - _dt.date(1970, 1, 1)).days
    if isinstance(value, np.datetime64):
        return int(value.astype("datetime64[D]").astype(np.int64))
    return None


def _date(series: pd.Series, field):
    dt = series.dtype
    if isinstance(dt, pd.DatetimeTZDtype):
        series = series.dt.tz_convert("UTC").dt.tz_localize(None)
        dt = series.dtype
    if pd.api.types.is_datetime64_dtype(dt):
        raw = series.to_numpy()
        mask = np.isnat(raw)
        days = raw.astype("datetime64[D]").astype(np.int64)  # rounds down, like floor division
        days[mask] = 0
        return (days.astype(np.int32), _mask_or_none(series, field, mask), None)
    codes, uniques = _factorize(series)
    table = np.zeros(len(uniques) + 1, dtype=np.int32)
    for i, u in enumerate(uniques):
        try:
            d = _date_of(u)
        except (ValueError, UnicodeError):  # a lone surrogate is not a date either
            d = None
        if d is None:
            pos = int(np.flatnonzero(codes == i)[0])
            raise DataError(f"{_row_place(series, pos)}: {u!r} is not a date (write YYYY-MM-DD)")
        table[i] = d
    return (table[codes], _mask_or_none(series, field, codes < 0), None)


def _enum(series: pd.Series, field):
    codes, uniques = _factorize(series)
    _check_text(series, codes, uniques, "enum")
    ordinal = {v: i for i, v in enumerate(field.enum_values)}
    table = np.zeros(len(uniques) + 1, dtype=np.int32)
    for i, u in enumerate(uniques):
        o = ordinal.get(u) if isinstance(u, str) else None
        if o is None:
            where = np.flatnonzero(codes == i)
            if len(where) == 0:  # an unused category
                continue
            raise DataError(f"{_row_place(series, int(where[0]))}: {u!r} is not one of "
                            f"{', '.join(field.enum_values)}")
        table[i] = o
    return (table[codes], _mask_or_none(series, field, codes < 0), None)


def _string(series: pd.Series, field):
    codes, uniques = _factorize(series)
    if (codes < 0).any() and not field.nullable:
        _fail_missing(series, codes < 0)
    _check_text(series, codes, uniques, "string")
    return (codes.astype(np.int32), None, list(uniques))


def _list(series: pd.Series, field):
    return (np.ascontiguousarray(series.to_numpy(dtype=object)), None, None)


_CONVERT = {
    "bool": _bool,
    "int": _int,
    "number": _float,
    "money": _float,
    "percent": _float,
    "date": _date,
    "string": _string,
    "time_zone": _string,
    "enum": _enum,
    "list of string": _list,
}


def field_arrays(frame: pd.DataFrame, schema) -> List[tuple]:
    """One (values, mask, extra) description per schema field, for _core.evaluate_columns."""
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"expected a pandas DataFrame, not {type(frame).__name__}")
    out = []
    for f in schema:
        if f.name not in frame.columns:
            have = ", ".join(map(str, frame.columns))
            raise DataError(f"column {f.name}: missing from the frame (it has: {have})")
        series = frame[f.name]
        if isinstance(series, pd.DataFrame):
            raise DataError(f"column {f.name}: appears more than once in the frame")
        out.append(_CONVERT[f.type](series, f))
    return out


def _text_array(texts: List[str], codes: np.ndarray) -> np.ndarray:
    lookup = np.array(list(texts) + [None], dtype=object)
    idx = codes.astype(np.int64)
    idx[(idx < 0) | (idx >= len(texts))] = len(texts)
    return lookup[idx]


def _timestamp(col: Dict[str, Any], outputs: List[np.ndarray], n: int):
    """A send time: `YYYY-MM-DDTHH:MM:SSZ` (UTC) where present, None elsewhere."""
    present = outputs[col["outputs"][1]][:n] == 1
    seconds = outputs[col["outputs"][0]].view(np.int64)[:n]
    out = np.full(n, None, dtype=object)
    if present.any():
        text = np.datetime_as_string(seconds[present].astype("datetime64[s]"), unit="s")
        out[present] = np.char.add(text.astype(str), "Z").astype(object)
    return out


def _field_text(col: Dict[str, Any], frame: Optional[pd.DataFrame], outputs: List[np.ndarray],
                n: int):
    """The `owner`: the field's text (or the column's default when it is missing) where the
    column is filled (a review fired), None elsewhere."""
    present = outputs[col["outputs"][0]][:n] == 1
    fallback = col["texts"][0] if col["texts"] else ""
    out = np.full(n, None, dtype=object)
    if col.get("field") and frame is not None:
        values = frame[col["field"]].to_numpy(dtype=object)
        for i in np.flatnonzero(present):
            v = values[i]
            missing = v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v))
            out[i] = fallback if missing else str(v)
    else:
        out[present] = fallback
    return out


def _column(col: Dict[str, Any], outputs: List[np.ndarray], categorical: bool, n: int,
            frame: Optional[pd.DataFrame] = None):
    texts = col["texts"]
    if col["kind"] == "timestamp":
        return _timestamp(col, outputs, n)
    if col["kind"] == "field_text":
        return _field_text(col, frame, outputs, n)
    if col["kind"] == "joined":
        # A joined column without rules (no `review` rule) is empty on every row, not a column
        # of length 0.
        combo = np.zeros(n, dtype=np.int64)
        for k, o in enumerate(col["outputs"]):
            combo |= (outputs[o] == 1).astype(np.int64) << k
        uniq, inverse = np.unique(combo, return_inverse=True)
        names = [";".join(texts[k] for k in range(len(texts)) if (u >> k) & 1) or None
                 for u in uniq.tolist()]
        if categorical:
            cats = sorted({x for x in names if x is not None})
            pos = {c: i for i, c in enumerate(cats)}
            table = np.array([pos[x] if x is not None else -1 for x in names], dtype=np.int64)
            return pd.Categorical.from_codes(table[inverse] if n else table[:0], categories=cats)
        return np.array(names + [None], dtype=object)[inverse] if n else np.array([],
                                                                                  dtype=object)
    if col["kind"] == "number":
        # A wide output (eight bytes per row) and the output saying whether it is present.
        present = outputs[col["outputs"][1]] == 1
        if col["type"] == "int":
            return pd.arrays.IntegerArray(outputs[col["outputs"][0]].view(np.int64).copy(),
                                          ~present)
        return pd.arrays.FloatingArray(outputs[col["outputs"][0]].view(np.float64).copy(),
                                       ~present)
    codes = outputs[col["outputs"][0]]
    if col["type"] == "bool":
        truth = np.array([t == "true" for t in texts] + [False])
        idx = codes.astype(np.int64)
        missing = (idx < 0) | (idx >= len(texts))
        idx[missing] = len(texts)
        return pd.arrays.BooleanArray(truth[idx], missing)
    if col["type"] == "int":
        values = np.array([int(t) for t in texts] + [0], dtype=np.int32)
        idx = codes.astype(np.int64)
        missing = (idx < 0) | (idx >= len(texts))
        idx[missing] = len(texts)
        return pd.arrays.IntegerArray(values[idx], missing)
    if categorical:
        c = codes.astype(np.int64)
        c[(c < 0) | (c >= len(texts))] = -1
        return pd.Categorical.from_codes(c, categories=list(texts))
    return _text_array(texts, codes)


def _assemble(arrays, names, index) -> pd.DataFrame:
    # pd.concat of Series without a copy: pd.DataFrame(dict) would scan every object column
    # for dates to infer and consolidate them into one block (seconds per million rows).
    series = [pd.Series(a, index=index, name=n, dtype=object if isinstance(a, np.ndarray) else None,
                        copy=False) for a, n in zip(arrays, names)]
    out = pd.concat(series, axis=1, copy=False)
    out.columns = list(names)
    return out


def result_frame(frame: pd.DataFrame, columns, outputs, key: Optional[str],
                 categorical: bool) -> pd.DataFrame:
    arrays = [frame[key].to_numpy(dtype=object) if col["kind"] == "key"
              else _column(col, outputs, categorical, len(frame), frame) for col in columns]
    return _assemble(arrays, [c["name"] for c in columns], frame.index)


def empty_result(columns, categorical: bool) -> pd.DataFrame:
    empty = [np.zeros(0, dtype=np.int8) for _ in range(max(
        [max(c["outputs"], default=-1) for c in columns], default=-1) + 1)]
    arrays = [np.array([], dtype=object) if col["kind"] == "key"
              else _column(col, empty, categorical, 0) for col in columns]
    return _assemble(arrays, [c["name"] for c in columns], pd.RangeIndex(0))


def as_text(result: pd.DataFrame) -> pd.DataFrame:
    out = {}
    for name in result.columns:
        s = result[name]
        if isinstance(s.dtype, pd.BooleanDtype) or s.dtype == np.bool_:
            vals = s.astype(object)
            out[name] = [("true" if v else "false") if v is not pd.NA else "" for v in vals]
        elif pd.api.types.is_integer_dtype(s.dtype):
            out[name] = ["" if v is pd.NA else str(int(v)) for v in s.astype(object)]
        else:
            out[name] = ["" if v is None or (isinstance(v, float) and np.isnan(v)) else str(v)
                         for v in s.astype(object)]
    return pd.DataFrame(out, index=result.index, columns=list(result.columns), dtype=object)


def handoff_frame(text, fields):
    """A JSON-lines hand-off file (drafts or events, bytes) as a DataFrame with `fields` as
    columns: one row per line, values as parsed (lists, dicts, None); None when not asked for."""
    if text is None:
        return None
    import io
    import json

    import pandas as pd

    records = [json.loads(line) for line in io.BytesIO(text).read().decode("utf-8").splitlines()
               if line]
    # object columns: ints stay ints beside None (no float NaN), lists and dicts stay as parsed.
    return pd.DataFrame({f: pd.Series([r.get(f) for r in records], dtype=object)
                         for f in fields}, columns=fields)


def queue_frame(text):
    """The review queue (CSV bytes with a header) as a DataFrame of str cells ("" when empty)."""
    if text is None:
        return None
    import io

    import pandas as pd

    return pd.read_csv(io.BytesIO(text), dtype=str, keep_default_na=False)
