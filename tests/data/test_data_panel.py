"""build_panel: one contiguous float32 buffer laid out target, past, future, calendar."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tsattn.data import Panel, build_panel, calendar_features, validate_frame
from tsattn.errors import DataValidationError


def _panel(df: pd.DataFrame, calendar: list[str] | None = None) -> Panel:
    validated = validate_frame(
        df,
        target=["y"],
        time_col="time",
        id_col="id",
        past_covariates=["p"],
        future_covariates=["f"],
    )
    return build_panel(validated, ["hour", "weekday"] if calendar is None else calendar)


def test_buffer_layout_and_counts(panel_frame: pd.DataFrame) -> None:
    panel = _panel(panel_frame)
    assert panel.values.dtype == np.float32 and panel.values.flags.c_contiguous
    assert panel.values.shape == (12, 3 + 4)
    assert (panel.n_target, panel.n_past, panel.n_future, panel.n_calendar) == (1, 1, 1, 4)
    assert panel.columns == ["y", "p", "f", "hour_sin", "hour_cos", "weekday_sin", "weekday_cos"]
    assert panel.offsets.tolist() == [0, 7, 12] and panel.lengths.tolist() == [7, 5]
    assert panel.series_ids.tolist() == ["a", "b"]
    np.testing.assert_array_equal(
        panel.values[:, :3], panel_frame[["y", "p", "f"]].to_numpy(np.float32)
    )
    calendar = calendar_features(pd.DatetimeIndex(panel_frame["time"]), ["hour", "weekday"])
    np.testing.assert_array_equal(panel.values[:, 3:], calendar)
    np.testing.assert_array_equal(panel.times, panel_frame["time"].to_numpy("M8[ns]"))
    assert panel.freq == "h"


def test_column_groups_select_the_right_columns(panel_frame: pd.DataFrame) -> None:
    panel = _panel(panel_frame)
    columns = np.array(panel.columns)
    assert columns[panel.target_columns].tolist() == ["y"]
    assert columns[panel.encoder_columns].tolist() == panel.columns
    known = ["f", "hour_sin", "hour_cos", "weekday_sin", "weekday_cos"]
    assert columns[panel.known_future_columns].tolist() == known
    assert columns[panel.scalable_columns].tolist() == ["y", "p", "f"]


def test_lookups(panel_frame: pd.DataFrame) -> None:
    panel = _panel(panel_frame, calendar=[])
    assert panel.n_calendar == 0 and panel.values.shape == (12, 3)
    assert panel.row_series().tolist() == [0] * 7 + [1] * 5
    assert panel.series_index(["b", "a"]).tolist() == [1, 0]
    last = pd.DatetimeIndex(["2020-01-01 06:00", "2020-01-01 04:00"])
    np.testing.assert_array_equal(panel.last_times(), last)
    with pytest.raises(DataValidationError, match="series 'zz' is not in this panel"):
        panel.series_index(["a", "zz"])


def test_tz_aware_panel_keeps_utc_times_and_local_calendar() -> None:
    times = pd.date_range("2020-01-01 00:00", periods=4, freq="h", tz="Asia/Tokyo")
    validated = validate_frame(
        pd.DataFrame({"t": times, "y": np.arange(4.0)}), target=["y"], time_col="t"
    )
    panel = build_panel(validated, ["hour"])
    assert panel.tz == "Asia/Tokyo"
    np.testing.assert_array_equal(panel.times, times.tz_convert("UTC").tz_localize(None))
    np.testing.assert_allclose(panel.values[:, 1], np.sin(2 * np.pi * np.arange(4) / 24), atol=1e-6)
    assert panel.time_index().equals(times)


def test_panel_rejects_inconsistent_buffers(panel_frame: pd.DataFrame) -> None:
    panel = _panel(panel_frame)
    with pytest.raises(DataValidationError, match="C-contiguous 2-D float32"):
        panel.with_values(panel.values.astype(np.float64))
    with pytest.raises(DataValidationError, match="has 6 columns but the names describe 7"):
        panel.with_values(np.ascontiguousarray(panel.values[:, :6]))
