"""validate_frame: the happy paths, sorting, filling, frequency inference, and every refusal."""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest

from tsattn.data import WIDE_SERIES_ID, validate_frame
from tsattn.data._timeaxis import INTEGER_AXIS
from tsattn.errors import DataValidationError

LONG = {"target": ["y"], "time_col": "time", "id_col": "id", "past_covariates": ["p"]}


def _validate(df: pd.DataFrame, **overrides: object):  # type: ignore[no-untyped-def]
    kwargs = {**LONG, "future_covariates": ["f"], **overrides}
    return validate_frame(df, **kwargs)  # type: ignore[arg-type]


# -- happy paths ---------------------------------------------------------------------------------


def test_long_panel_is_returned_sorted_with_its_frequency(panel_frame: pd.DataFrame) -> None:
    result = _validate(panel_frame)
    assert list(result.frame.columns) == ["id", "time", "y", "p", "f"]
    assert list(result.series_ids) == ["a", "b"]
    assert result.lengths.tolist() == [7, 5]
    assert result.offsets.tolist() == [0, 7, 12]
    assert result.freq == "h"
    assert result.tz is None
    assert result.value_columns == ["y", "p", "f"]
    np.testing.assert_array_equal(result.frame["y"], panel_frame["y"])
    assert len(pd.date_range("2020", periods=3, freq=result.freq)) == 3


def test_wide_frame_with_datetime_index_becomes_one_series() -> None:
    index = pd.date_range("2021-03-01", periods=6, freq="D", name="date")
    df = pd.DataFrame({"OT": np.arange(6.0), "load": np.arange(6.0) ** 2}, index=index)
    result = validate_frame(df, target=["OT"], past_covariates=["load"])
    assert result.series_ids.tolist() == [WIDE_SERIES_ID]
    assert (result.frame["id"] == WIDE_SERIES_ID).all()
    assert result.freq == "D"
    np.testing.assert_array_equal(result.frame["time"], index)
    np.testing.assert_array_equal(result.frame["load"], df["load"])


def test_unsorted_rows_are_sorted_with_a_warning(panel_frame: pd.DataFrame) -> None:
    shuffled = panel_frame.sample(frac=1.0, random_state=3)
    with pytest.warns(UserWarning, match=r"not sorted by \('id', time\); tsattn sorted them"):
        result = _validate(shuffled)
    pd.testing.assert_frame_equal(result.frame, _validate(panel_frame).frame)


def test_contiguous_but_unordered_ids_are_sorted_by_id(panel_frame: pd.DataFrame) -> None:
    b_first = pd.concat(
        [panel_frame[panel_frame["id"] == "b"], panel_frame[panel_frame["id"] == "a"]]
    )
    with pytest.warns(UserWarning, match="sorted"):
        result = _validate(b_first)
    assert list(result.series_ids) == ["a", "b"]
    assert result.frame["y"].tolist() == panel_frame["y"].tolist()


def test_sorted_input_emits_no_warning(panel_frame: pd.DataFrame) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _validate(panel_frame)


def test_ffill_and_interpolate_fill_within_each_series(panel_frame: pd.DataFrame) -> None:
    df = panel_frame.copy()
    df.loc[6, "y"] = np.nan  # last row of 'a': nothing after it inside the series
    df.loc[9, "y"] = np.nan  # an inner row of 'b'
    ffilled = _validate(df, fill_missing="ffill").frame["y"]
    expected = df.groupby("id")["y"].ffill()
    np.testing.assert_allclose(ffilled, expected)
    interpolated = _validate(df, fill_missing="interpolate").frame["y"]
    expected = df.groupby("id")["y"].transform(lambda s: s.interpolate())
    np.testing.assert_allclose(interpolated, expected)
    assert interpolated[6] == 5.0 and interpolated[9] == 102.0  # b: 100, 101, [102], 103


def test_keep_constant_columns_passes(panel_frame: pd.DataFrame) -> None:
    df = panel_frame.assign(f=1.0)
    result = _validate(df, constant_columns="keep")
    assert (result.frame["f"] == 1.0).all()


@pytest.mark.parametrize(
    ("freq", "start", "expected"),
    [
        ("MS", "2020-01-01", "MS"),
        ("ME", "2020-01-31", "ME"),
        ("B", "2021-01-01", "B"),
        ("15min", "2020-01-01", "15min"),
        ("W-SUN", "2020-01-05", "7D"),
        ("QS", "2020-01-01", "QS-JAN"),
    ],
)
def test_frequency_is_inferred_from_the_most_common_step(
    make_frame: Callable[..., pd.DataFrame], freq: str, start: str, expected: str
) -> None:
    df = make_frame({"a": 30, "b": 12}, start=start, freq=freq)
    result = validate_frame(df, target=["y"], time_col="time", id_col="id")
    assert result.freq == expected
    regenerated = pd.date_range(start, periods=30, freq=result.freq)
    np.testing.assert_array_equal(result.frame["time"][:30], regenerated)


def test_daily_data_across_a_dst_change_keeps_calendar_days() -> None:
    times = pd.date_range("2021-03-20", periods=20, freq="D", tz="Europe/Berlin")
    df = pd.DataFrame({"time": times, "y": np.arange(20.0)})
    result = validate_frame(df, target=["y"], time_col="time")
    assert result.freq == "D"
    assert result.tz == "Europe/Berlin"
    assert str(result.frame["time"].dt.tz) == "Europe/Berlin"
    np.testing.assert_array_equal(result.frame["time"], times)


# -- refusals: each names the culprit ------------------------------------------------------------

Mutation = Callable[[pd.DataFrame], pd.DataFrame]


def _non_numeric(df: pd.DataFrame) -> pd.DataFrame:
    df["p"] = df["p"].astype(object)
    df.loc[9, "p"] = "abc"
    return df


def _set(column: str, row: int, value: object) -> Mutation:
    def mutate(df: pd.DataFrame) -> pd.DataFrame:
        df.loc[row, column] = value
        return df

    return mutate


def _duplicate(df: pd.DataFrame) -> pd.DataFrame:
    df.loc[2, "time"] = df.loc[1, "time"]
    return df


def _constant_in_b(df: pd.DataFrame) -> pd.DataFrame:
    df.loc[df["id"] == "b", "f"] = 7.0
    return df


def _mixed_zones(df: pd.DataFrame) -> pd.DataFrame:
    stamps = [pd.Timestamp(t, tz="UTC") for t in df["time"]]
    stamps[3] = stamps[3].tz_convert("Asia/Tokyo")
    df["time"] = pd.Series(stamps, dtype=object)
    return df


def _aware_and_naive(df: pd.DataFrame) -> pd.DataFrame:
    stamps: list[pd.Timestamp] = list(df["time"])
    stamps[0] = stamps[0].tz_localize("UTC")
    df["time"] = pd.Series(stamps, dtype=object)
    return df


def _unparseable(df: pd.DataFrame) -> pd.DataFrame:
    df["time"] = df["time"].astype(str).astype(object)
    df.loc[3, "time"] = "banana"
    return df


REFUSALS: list[tuple[str, Mutation, dict[str, object], str]] = [
    ("empty", lambda df: df.iloc[:0], {}, "the frame is empty"),
    (
        "missing column",
        lambda df: df.drop(columns="p"),
        {},
        "columns ['p'] are missing from the frame; available columns: ['id', 'time', 'y', 'f']",
    ),
    (
        "non-numeric",
        _non_numeric,
        {},
        "column 'p' is not numeric (dtype object): value 'abc' in series 'b' at 2020-01-01 "
        "02:00:00",
    ),
    (
        "nan",
        _set("y", 10, np.nan),
        {},
        "column 'y' has a missing value (NaN) in series 'b' at 2020-01-01 03:00:00; fill or drop "
        "it, or pass fill_missing='ffill'",
    ),
    (
        "inf",
        _set("f", 2, np.inf),
        {"fill_missing": "ffill"},
        "column 'f' has an infinite value (inf) in series 'a' at 2020-01-01 02:00:00",
    ),
    (
        "leading nan",
        _set("p", 7, np.nan),
        {"fill_missing": "interpolate"},
        "column 'p' starts with a missing value in series 'b' at 2020-01-01 00:00:00",
    ),
    (
        "duplicate",
        _duplicate,
        {},
        "duplicate timestamp in series 'a' at 2020-01-01 01:00:00",
    ),
    (
        "gap",
        lambda df: df.drop(index=9),
        {},
        "a gap in series 'b' at 2020-01-01 01:00:00: the next timestamp is 2020-01-01 03:00:00 "
        "but freq 'h' (inferred from the most common step) expects 2020-01-01 02:00:00",
    ),
    (
        "wrong freq",
        lambda df: df,
        {"freq": "2h"},
        "irregular spacing in series 'a' at 2020-01-01 00:00:00: the next timestamp is "
        "2020-01-01 01:00:00 but freq '2h' (given)",
    ),
    (
        "bad freq",
        lambda df: df,
        {"freq": "fortnightly"},
        "freq='fortnightly' is not a pandas frequency",
    ),
    (
        "too short",
        lambda df: df,
        {"min_length": 6},
        "series 'b' has 5 rows, fewer than the 6 needed (lookback + horizon to train or score",
    ),
    (
        "constant",
        _constant_in_b,
        {},
        "column 'f' is constant (value 7.0) over all 5 rows of series 'b'",
    ),
    ("mixed zones", _mixed_zones, {}, "time column 'time' mixes different time zones"),
    ("aware and naive", _aware_and_naive, {}, "time column 'time' mixes tz-aware and tz-naive"),
    (
        "unparseable",
        _unparseable,
        {},
        "time column 'time' is not datetime-parseable (first bad value 'banana' at row 3)",
    ),
    (
        "float time",
        lambda df: df.assign(time=np.arange(len(df)) * 1.5),
        {},
        "time column 'time' holds float64 numbers, neither timestamps nor integer steps",
    ),
    (
        "missing time",
        _set("time", 4, pd.NaT),
        {},
        "time column 'time' has a missing timestamp (NaT) at row 4",
    ),
    ("missing id", _set("id", 8, None), {}, "id column 'id' has a missing id at row 8"),
    (
        "role listed twice",
        lambda df: df,
        {"past_covariates": ["y"]},
        "column 'y' is listed twice among target/past_covariates/future_covariates",
    ),
    ("bad fill option", lambda df: df, {"fill_missing": "zero"}, "but got fill_missing='zero'"),
]


@pytest.mark.parametrize(
    ("mutate", "overrides", "message"),
    [case[1:] for case in REFUSALS],
    ids=[case[0] for case in REFUSALS],
)
def test_bad_input_raises_naming_the_culprit(
    panel_frame: pd.DataFrame, mutate: Mutation, overrides: dict[str, object], message: str
) -> None:
    df = mutate(panel_frame.copy())
    with pytest.raises(DataValidationError, match=re.escape(message)):
        _validate(df, **overrides)


def test_a_range_index_is_an_integer_time_axis_and_a_float_index_is_refused() -> None:
    validated = validate_frame(pd.DataFrame({"y": np.arange(5.0)}), target=["y"])
    assert validated.tz == INTEGER_AXIS and validated.time_ns().tolist() == [0, 1, 2, 3, 4]
    floats = pd.DataFrame({"y": np.arange(5.0)}, index=np.arange(5) / 2)
    with pytest.raises(DataValidationError, match=r"index \(time_col=None\) holds float64"):
        validate_frame(floats, target=["y"])


def test_single_row_series_cannot_infer_a_frequency() -> None:
    df = pd.DataFrame({"id": ["a", "b"], "time": pd.to_datetime(["2020", "2021"]), "y": [1.0, 2.0]})
    with pytest.raises(DataValidationError, match="every series has a single row; pass freq="):
        validate_frame(df, target=["y"], time_col="time", id_col="id")
