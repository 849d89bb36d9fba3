"""Calendar features: known values, agreement with pandas, auto selection, future times."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from tsattn.data import (
    CALENDAR_FEATURES,
    calendar_column_names,
    calendar_features,
    future_time_grid,
    future_times,
    resolve_calendar_features,
)
from tsattn.errors import DataValidationError


def test_hour_six_is_a_quarter_turn() -> None:
    times = pd.DatetimeIndex(["2020-01-01 06:00", "2020-01-01 00:00", "2020-01-01 18:00"])
    out = calendar_features(times, ["hour"])
    assert out.dtype == np.float32 and out.shape == (3, 2)
    np.testing.assert_allclose(out[:, 0], [1.0, 0.0, -1.0], atol=1e-6)  # sin
    np.testing.assert_allclose(out[:, 1], [0.0, 1.0, 0.0], atol=1e-6)  # cos


def test_monday_january_first_day_start_all_phase_zero() -> None:
    out = calendar_features(
        pd.DatetimeIndex(["2018-01-01"]), ["weekday", "month", "day", "dayofyear"]
    )
    np.testing.assert_allclose(out[0, 0::2], 0.0, atol=1e-7)  # sin of phase 0
    np.testing.assert_allclose(out[0, 1::2], 1.0, atol=1e-7)  # cos of phase 0


def test_every_feature_matches_pandas_accessors_over_two_centuries() -> None:
    times = pd.date_range("1899-12-25", "2101-01-05", freq="D") + pd.Timedelta("13h27min")
    leap = np.where(times.is_leap_year, 366, 365)
    phases = {
        "minute": times.minute / 60,
        "hour": times.hour / 24,
        "weekday": times.day_of_week / 7,
        "day": (times.day - 1) / times.days_in_month,
        "dayofyear": (times.day_of_year - 1) / leap,
        "weekofyear": ((times.day_of_year - 1) // 7) / 53,
        "month": (times.month - 1) / 12,
        "quarter": (times.quarter - 1) / 4,
    }
    assert set(phases) == set(CALENDAR_FEATURES)
    features = list(phases)
    out = calendar_features(times, features)
    for k, name in enumerate(features):
        angle = 2 * np.pi * np.asarray(phases[name], dtype=np.float64)
        np.testing.assert_allclose(out[:, 2 * k], np.sin(angle), atol=1e-6, err_msg=name)
        np.testing.assert_allclose(out[:, 2 * k + 1], np.cos(angle), atol=1e-6, err_msg=name)


def test_tz_aware_times_use_the_local_clock() -> None:
    utc = pd.DatetimeIndex(["2020-01-01 05:00"], tz="UTC")
    tokyo = calendar_features(utc.tz_convert("Asia/Tokyo"), ["hour"])  # 14:00 local
    expected = calendar_features(pd.DatetimeIndex(["2020-01-01 14:00"]), ["hour"])
    np.testing.assert_allclose(tokyo, expected)


def test_datetime64_arrays_are_accepted() -> None:
    times = np.array(["2020-01-01T06:00"], dtype="datetime64[s]")
    np.testing.assert_allclose(calendar_features(times, ["hour"])[0], [1.0, 0.0], atol=1e-6)


@pytest.mark.parametrize(
    ("freq", "expected"),
    [
        ("15min", ["minute", "hour", "weekday", "month", "dayofyear"]),
        ("h", ["hour", "weekday", "month", "dayofyear"]),
        ("D", ["weekday", "month", "dayofyear"]),
        ("B", ["weekday", "month", "dayofyear"]),
        ("W-SUN", ["weekofyear", "month"]),
        ("MS", ["month"]),
        ("QS", ["quarter"]),
        ("YS", []),
    ],
)
def test_auto_picks_the_features_that_vary_at_the_frequency(freq: str, expected: list[str]) -> None:
    assert resolve_calendar_features(freq, "auto") == expected


def test_explicit_lists_and_none_pass_through() -> None:
    assert resolve_calendar_features("h", ["month", "hour"]) == ["month", "hour"]
    assert resolve_calendar_features("h", None) == []
    assert calendar_column_names(["hour", "month"]) == [
        "hour_sin",
        "hour_cos",
        "month_sin",
        "month_cos",
    ]


def test_unknown_feature_lists_the_valid_names() -> None:
    valid = re.escape(str(list(CALENDAR_FEATURES)))
    with pytest.raises(
        DataValidationError,
        match=rf"unknown calendar feature\(s\) \['hours'\]; valid names: {valid}",
    ):
        resolve_calendar_features("h", ["hours"])
    with pytest.raises(DataValidationError, match="listed once each"):
        resolve_calendar_features("h", ["hour", "hour"])


def test_future_times_follow_the_frequency() -> None:
    hourly = future_times("2020-01-03 23:00", "h", 2)
    assert list(hourly) == [pd.Timestamp("2020-01-04 00:00"), pd.Timestamp("2020-01-04 01:00")]
    monthly = future_times("2020-01-01", "MS", 3)
    assert list(monthly) == list(pd.date_range("2020-02-01", periods=3, freq="MS"))
    across_dst = future_times(pd.Timestamp("2021-03-27", tz="Europe/Berlin"), "D", 2)
    assert list(across_dst) == list(
        pd.date_range("2021-03-28", periods=2, freq="D", tz="Europe/Berlin")
    )


def test_future_time_grid_is_one_row_per_series() -> None:
    last = np.array(["2020-01-01T00:00", "2020-06-01T12:00"], dtype="datetime64[ns]")
    grid = future_time_grid(last, "h", 3)
    assert grid.shape == (2, 3) and grid.dtype == np.dtype("M8[ns]")
    np.testing.assert_array_equal(grid[1], pd.date_range("2020-06-01 13:00", periods=3, freq="h"))
    with pytest.raises(
        DataValidationError, match="horizon must be a positive int, but got horizon=0"
    ):
        future_time_grid(last, "h", 0)


@pytest.mark.parametrize(
    ("days", "expected"),
    [
        (360, ["hour", "weekday"]),  # ETTh1's training year: month and dayofyear seen once
        (3 * 365, ["hour", "weekday", "month", "dayofyear"]),
        (14, ["hour", "weekday"]),  # two weeks
        (10, ["hour"]),
        (1, []),  # not even two days: no daily or weekly cycle repeats
    ],
)
def test_auto_keeps_only_features_whose_cycle_repeats_in_the_span(
    days: int, expected: list[str]
) -> None:
    span = days * 24 * 3600 * 10**9
    assert resolve_calendar_features("h", "auto", span_ns=span) == expected
    assert resolve_calendar_features("h", ["month"], span_ns=span) == ["month"]  # asked for
