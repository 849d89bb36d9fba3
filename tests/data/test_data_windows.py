"""Windowing checked against a hand-built pandas example: 2 series ('a': 7 rows, 'b': 5 rows)."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from tsattn.data import gather, last_windows, window_origins
from tsattn.errors import DataValidationError

L, H = 3, 2
OFFSETS = np.array([0, 7, 12])
COLUMNS = ["y", "p", "f"]


def _hand_built(df: pd.DataFrame, stride: int = 1) -> tuple[list[pd.DataFrame], list[pd.DataFrame]]:
    """Every (past, target) pair of frames, by slicing each series with iloc."""
    pasts, targets = [], []
    for _, series in df.groupby("id", sort=True):
        for k in range(0, len(series) - L - H + 1, stride):
            pasts.append(series.iloc[k : k + L])
            targets.append(series.iloc[k + L : k + L + H])
    return pasts, targets


def test_origins_and_gathered_windows_match_pandas_slices(panel_frame: pd.DataFrame) -> None:
    values = panel_frame[COLUMNS].to_numpy(np.float32)
    series, starts = window_origins(OFFSETS, L, H)
    assert series.tolist() == [0, 0, 0, 1]
    assert starts.tolist() == [0, 1, 2, 7]
    pasts, targets = _hand_built(panel_frame)
    past = gather(values, starts, L)
    target = gather(values, starts + L, H, slice(0, 1))
    assert past.shape == (4, L, 3) and target.shape == (4, H, 1)
    for w in range(4):
        np.testing.assert_array_equal(past[w], pasts[w][COLUMNS].to_numpy(np.float32))
        np.testing.assert_array_equal(target[w, :, 0], targets[w]["y"].to_numpy(np.float32))
        assert (pasts[w]["id"] == ["a", "b"][series[w]]).all()


def test_stride_keeps_every_kth_window(panel_frame: pd.DataFrame) -> None:
    values = panel_frame[COLUMNS].to_numpy(np.float32)
    series, starts = window_origins(OFFSETS, L, H, stride=2)
    assert list(zip(series.tolist(), starts.tolist(), strict=True)) == [(0, 0), (0, 2), (1, 7)]
    pasts, _ = _hand_built(panel_frame, stride=2)
    for w, frame in enumerate(pasts):
        np.testing.assert_array_equal(
            gather(values, starts, L)[w], frame[COLUMNS].to_numpy(np.float32)
        )


def test_target_start_and_end_cut_windows_at_a_cutoff() -> None:
    _, starts = window_origins(OFFSETS, L, H, target_start=4)
    assert starts.tolist() == [1, 2]  # targets begin at rows 4 and 5 of 'a'; 'b' has none
    _, starts = window_origins(OFFSETS, L, H, target_end=np.array([6, 5]))
    assert starts.tolist() == [0, 1, 7]  # targets end by row 6 of 'a' and row 5 of 'b'
    series, starts = window_origins(OFFSETS, L, H, target_start=np.array([0, 3]), target_end=5)
    assert list(zip(series.tolist(), starts.tolist(), strict=True)) == [(0, 0), (1, 7)]


def test_series_too_short_yield_no_window() -> None:
    series, starts = window_origins(np.array([0, 4, 20]), 3, 2)
    assert set(series.tolist()) == {1}
    assert starts.tolist() == list(range(4, 16))


def test_last_windows_end_at_each_series_end(panel_frame: pd.DataFrame) -> None:
    values = panel_frame[COLUMNS].to_numpy(np.float32)
    series, starts = last_windows(OFFSETS, L)
    assert series.tolist() == [0, 1] and starts.tolist() == [4, 9]
    tails = [g[COLUMNS].to_numpy(np.float32)[-L:] for _, g in panel_frame.groupby("id")]
    np.testing.assert_array_equal(gather(values, starts, L), np.stack(tails))
    with pytest.raises(DataValidationError, match="series 'b' has 5 rows, fewer than lookback=6"):
        last_windows(OFFSETS, 6, np.array(["a", "b"], dtype=object))


def test_gather_with_a_column_array_equals_a_slice(panel_frame: pd.DataFrame) -> None:
    values = panel_frame[COLUMNS].to_numpy(np.float32)
    starts = np.array([0, 7])
    picked = gather(values, starts, L, np.array([2, 0]))
    np.testing.assert_array_equal(picked, gather(values, starts, L)[:, :, [2, 0]])


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"lookback": 0, "horizon": 1}, "lookback must be a positive int, but got lookback=0"),
        ({"lookback": 2, "horizon": 0}, "horizon must be a positive int, but got horizon=0"),
        ({"lookback": 2, "horizon": 1, "stride": 0}, "stride must be a positive int"),
        ({"lookback": 2, "horizon": 1, "target_start": np.array([1, 2, 3])}, "one per series (2)"),
    ],
)
def test_bad_window_parameters_raise(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(DataValidationError, match=re.escape(message)):
        window_origins(OFFSETS, **kwargs)  # type: ignore[arg-type]
