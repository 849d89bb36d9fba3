"""Known-future inputs for forecasting after the end of each series.

Beyond the data there are no rows to gather from, so the decoder's known-future features (future
covariates + calendar) are built here as one (S, H, F + K) array: the calendar from the timestamps
that follow each series, the covariates from a user frame aligned on (id, time).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from tsattn.data._timeaxis import describe_axis, format_time, parse_times, to_time_index
from tsattn.data.calendar import calendar_features, future_time_grid
from tsattn.data.panel import Panel
from tsattn.data.validate import WIDE_SERIES_ID
from tsattn.errors import DataValidationError

__all__ = ["future_covariates_array", "future_known_features"]


def future_known_features(
    panel: Panel, horizon: int, future_covariates: np.ndarray | None = None
) -> np.ndarray:
    """(S, H, F + K) float32: future covariates, then calendar sin/cos, after each series' end.

    `future_covariates` (S, H, F) must already be on the panel's scale (see
    `PanelScaler.transform_future`); it is required exactly when the panel has future covariates.
    """
    grid = future_time_grid(panel.last_times(), panel.freq, horizon, panel.tz)  # (S, H)
    n_future = panel.n_future
    out = np.empty((panel.n_series, horizon, n_future + panel.n_calendar), dtype=np.float32)
    if n_future:
        if future_covariates is None:
            raise DataValidationError(
                f"the model uses future covariates {list(panel.future_covariates)}: pass their "
                f"values for the {horizon} steps after each series' end (e.g. a future_df)."
            )
        x = np.asarray(future_covariates, dtype=np.float64)
        if x.shape != (panel.n_series, horizon, n_future):
            raise DataValidationError(
                "future covariates must have shape (series, horizon, F) = "
                f"{(panel.n_series, horizon, n_future)}, but got {x.shape}."
            )
        _check_finite(x, panel, grid)
        out[:, :, :n_future] = x
    if panel.n_calendar:
        stamps = to_time_index(grid.ravel().astype(np.int64), panel.tz)
        out[:, :, n_future:] = calendar_features(stamps, panel.calendar).reshape(
            panel.n_series, horizon, panel.n_calendar
        )
    return out


def _check_finite(x: np.ndarray, panel: Panel, grid: np.ndarray) -> None:
    bad = ~np.isfinite(x)
    if bad.any():
        s, h, f = np.unravel_index(int(np.argmax(bad)), x.shape)
        raise DataValidationError(
            f"future covariate {panel.future_covariates[f]!r} is {x[s, h, f]} for series "
            f"{panel.series_ids[s]!r} at "
            f"{format_time(int(grid[s, h].astype(np.int64)), panel.tz)}; future covariates must be "
            "known (finite) over the whole horizon."
        )


def future_covariates_array(
    df: pd.DataFrame,
    panel: Panel,
    horizon: int,
    *,
    time_col: str | None = None,
    id_col: str | None = None,
) -> np.ndarray:
    """(S, H, F) float64 raw future covariates from `df`, aligned on the steps after each series.

    `df` holds `id_col` (None for wide input), the time (`time_col` or the index) and the future
    covariate columns; it must cover the `horizon` timestamps after the end of every series of
    `panel`. Extra rows are ignored.
    """
    names = list(panel.future_covariates)
    if not names:
        return np.empty((panel.n_series, horizon, 0))
    missing = [c for c in [*names, *(c for c in (time_col, id_col) if c)] if c not in df.columns]
    if missing:
        raise DataValidationError(
            f"future frame lacks columns {missing}; available columns: {list(df.columns)}."
        )
    where = f"future frame's time column {time_col!r}" if time_col else "the future frame's index"
    ns, tz = parse_times(df[time_col] if time_col else df.index, where)
    if tz != panel.tz:
        raise DataValidationError(
            f"{where} has {describe_axis(tz)} but the training data had "
            f"{describe_axis(panel.tz)}; give it the same kind of times."
        )
    ids = df[id_col].to_numpy(dtype=object) if id_col else np.full(len(df), WIDE_SERIES_ID, object)
    have = pd.MultiIndex.from_arrays([ids, ns])
    if not have.is_unique:
        raise DataValidationError(
            "future frame has duplicate (id, time) rows; keep one row per series and timestamp."
        )
    grid = future_time_grid(panel.last_times(), panel.freq, horizon, panel.tz).astype(np.int64)
    want = pd.MultiIndex.from_arrays(
        [np.repeat(panel.series_ids.astype(object), horizon), grid.ravel()]
    )
    rows = have.get_indexer(want)
    if (rows < 0).any():
        first = int(np.argmax(rows < 0))
        raise DataValidationError(
            f"future frame has no row for series {want[first][0]!r} at "
            f"{format_time(int(want[first][1]), panel.tz)}; it must cover the {horizon} steps "
            f"(freq {panel.freq!r}) after the end of every series."
        )
    values = np.column_stack([df[c].to_numpy(dtype=np.float64, na_value=np.nan) for c in names])
    return values[rows].reshape(panel.n_series, horizon, len(names))
