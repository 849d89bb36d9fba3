"""temporal_split: the ETTh1 protocol exactly, per-series cutoffs, no leakage, clear refusals."""

from __future__ import annotations

import re
from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest

from tsattn.data import temporal_split
from tsattn.errors import DataValidationError

LOOKBACK = 96


@pytest.fixture
def etth1_like() -> pd.DataFrame:
    """14,400 hourly rows, the length of ETTh1's train + val + test (12 + 4 + 4 months)."""
    times = pd.date_range("2016-07-01", periods=14_400, freq="h")
    return pd.DataFrame({"date": times, "OT": np.arange(14_400.0)})


def _rows(frame: pd.DataFrame) -> tuple[int, int]:
    """[first, last + 1) of the original row numbers, stored in OT."""
    return int(frame["OT"].iloc[0]), int(frame["OT"].iloc[-1]) + 1


def test_reproduces_the_etth1_protocol_boundaries(etth1_like: pd.DataFrame) -> None:
    train, val, test = temporal_split(
        etth1_like, time_col="date", train=8640, val=2880, lookback=LOOKBACK
    )
    assert test is not None
    assert _rows(train) == (0, 8640)
    assert _rows(val) == (8640 - LOOKBACK, 11520)
    assert _rows(test) == (11520 - LOOKBACK, 14400)
    assert len(train) == 8640 and len(val) == 2880 + LOOKBACK and len(test) == 2880 + LOOKBACK


def test_explicit_test_size_and_timestamps_give_the_same_cut(etth1_like: pd.DataFrame) -> None:
    by_count = temporal_split(
        etth1_like, time_col="date", train=8640, val=2880, test=2880, lookback=LOOKBACK
    )
    stamps = etth1_like["date"]
    by_time = temporal_split(
        etth1_like,
        time_col="date",
        train=str(stamps[8640]),
        val=stamps[11520],
        test=stamps[14399] + pd.Timedelta("1h"),
        lookback=LOOKBACK,
    )
    for a, b in zip(by_count, by_time, strict=True):
        pd.testing.assert_frame_equal(a, b)


def test_nothing_after_the_train_cutoff_reaches_train(etth1_like: pd.DataFrame) -> None:
    train, val, test = temporal_split(
        etth1_like, time_col="date", train=0.6, val=0.2, lookback=LOOKBACK
    )
    assert test is not None
    assert train["date"].max() < val["date"].iloc[LOOKBACK]  # first validation target
    assert val["date"].max() < test["date"].iloc[LOOKBACK]
    pd.testing.assert_frame_equal(val.iloc[:LOOKBACK], train.iloc[-LOOKBACK:])  # context only
    assert _rows(train) == (0, 8640) and _rows(val)[1] == 8640 + 2880


def test_fractions_are_per_series_and_rows_keep_their_order(
    make_frame: Callable[..., pd.DataFrame],
) -> None:
    df = make_frame({"a": 20, "b": 10})
    shuffled = df.sample(frac=1.0, random_state=0)
    train, val, test = temporal_split(
        shuffled, time_col="time", id_col="id", train=0.5, val=0.3, lookback=2
    )
    assert test is not None
    assert train.groupby("id").size().tolist() == [10, 5]
    assert val.groupby("id").size().tolist() == [6 + 2, 3 + 2]
    assert test.groupby("id").size().tolist() == [4 + 2, 2 + 2]
    assert list(train.index) == [i for i in shuffled.index if i in set(train.index)]
    a_val = val[val["id"] == "a"].sort_values("time")
    assert a_val["y"].tolist() == list(np.arange(8.0, 16.0))


def test_test_is_none_when_validation_reaches_the_end(
    make_frame: Callable[..., pd.DataFrame],
) -> None:
    df = make_frame({"a": 10})
    train, val, test = temporal_split(df, time_col="time", id_col="id", train=6, val=4, lookback=2)
    assert test is None and len(train) == 6 and len(val) == 6


@pytest.mark.parametrize(
    ("cutoffs", "message"),
    [
        (
            {"train": 1, "val": 3},
            "series 'a': the train split has 1 rows, but needs at least max(1, lookback=2)",
        ),
        ({"train": 6, "val": 10}, "series 'b': train + val need 16 rows but the series has 10"),
        (
            {"train": 4, "val": 2, "test": 9},
            "series 'b': train + val + test need 15 rows but the series has 10",
        ),
        (
            {"train": "2020-01-01 05:00", "val": "2020-01-01 04:00"},
            "series 'a': the val split is empty",
        ),
        ({"train": 1.5, "val": 2}, "train as a fraction must lie in (0, 1), but got train=1.5"),
        ({"train": 0, "val": 2}, "train as a row count must be >= 1, but got train=0"),
        (
            {"train": True, "val": 2},
            "train must be a row count, fraction or timestamp, but got True",
        ),
        (
            {"train": "soon", "val": 2},
            "train='soon' is neither a row count, a fraction nor a timestamp",
        ),
        (
            {"train": pd.Timestamp("2020-01-01", tz="UTC"), "val": 2},
            "is tz-aware but the frame's times are naive",
        ),
    ],
)
def test_impossible_cutoffs_raise_naming_the_series(
    make_frame: Callable[..., pd.DataFrame], cutoffs: dict[str, object], message: str
) -> None:
    df = make_frame({"a": 20, "b": 10})
    with pytest.raises(DataValidationError, match=re.escape(message)):
        temporal_split(df, time_col="time", id_col="id", lookback=2, **cutoffs)  # type: ignore[arg-type]
