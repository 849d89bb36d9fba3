"""Network outputs (arrays on the scaled space) → tidy DataFrames with real timestamps and ids."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from tsattn.calibration import interval_columns
from tsattn.data import future_time_grid
from tsattn.data._timeaxis import to_time_index
from tsattn.inference import NetworkOutputs

if TYPE_CHECKING:
    from tsattn.data.panel import Panel
    from tsattn.preprocess import FramePreprocessor

__all__ = [
    "backtest_columns",
    "contribution_frame",
    "forecast_frame",
    "input_attention_frame",
    "temporal_attention_frame",
]


def _user_times(ns: np.ndarray, panel: Panel) -> np.ndarray:
    """Panel times (UTC instants when tz-aware) shown in the user's zone, keeping the shape."""
    flat = to_time_index(np.asarray(ns).astype("M8[ns]").astype(np.int64).ravel(), panel.tz)
    return np.asarray(flat).reshape(np.shape(ns))


def _origin_times(outputs: NetworkOutputs, panel: Panel) -> np.ndarray:
    return np.asarray(panel.times)[outputs.origin]


def _target_times(outputs: NetworkOutputs, panel: Panel, horizon: int) -> np.ndarray:
    """(N, H) times of each forecast step; computed, since prediction windows end the data."""
    return future_time_grid(_origin_times(outputs, panel), panel.freq, horizon, panel.tz)


def _source_times(outputs: NetworkOutputs, panel: Panel, lag: np.ndarray) -> np.ndarray:
    """(N, L) times of the past steps: the window lies inside the data, so read them off it."""
    return np.asarray(panel.times)[outputs.origin[:, None] - lag[None, :]]


def _series_labels(outputs: NetworkOutputs, panel: Panel) -> np.ndarray:
    return np.asarray(panel.series_ids, dtype=object)[outputs.series]


_ATTENTION_COLUMNS = {"origin", "step", "target_time", "source_time", "lag", "distance", "head",
                      "variable", "weight", "target", "contribution"}


def _series_column(prep: FramePreprocessor) -> str:
    """The user's `id_col` names the series in attention frames, as in forecast frames; a
    single-series model (or an id named like an attention column) keeps "series"."""
    name = prep.id_name
    return name if name is not None and name not in _ATTENTION_COLUMNS else "series"


def backtest_columns(prep: FramePreprocessor) -> tuple[str, str]:
    """Names of a backtest's origin and horizon-step columns: "origin" and "step", unless the
    user's time or id column already has one of those names (an integer axis is often "step"),
    then "forecast_origin" and "forecast_step"."""
    taken = {prep.time_name, prep.id_name, *prep.target_names}
    if taken & {"origin", "step"}:
        return "forecast_origin", "forecast_step"
    return "origin", "step"


def _value_columns(prep: FramePreprocessor) -> list[str]:
    if not prep.quantiles:
        return list(prep.target_names)
    return [f"{name}_q{q:g}" for name in prep.target_names for q in prep.quantiles]


def forecast_frame(
    outputs: NetworkOutputs,
    panel: Panel,
    prep: FramePreprocessor,
    *,
    with_actuals: bool = False,
    intervals: dict[float, tuple[np.ndarray, np.ndarray]] | None = None,
) -> pd.DataFrame:
    """One row per (series, forecast time); with actuals also the origin, the step (named by
    `backtest_columns`) and observed values.

    `intervals` maps a level to its scaled (N, H, C) bounds (`Calibration.bounds`), written as
    `<target>_lo_<level>` and `<target>_hi_<level>` columns in data units.
    """
    n_windows, horizon = outputs.prediction.shape[:2]
    origin_times = _user_times(_origin_times(outputs, panel), panel)
    times = _user_times(_target_times(outputs, panel, horizon), panel)  # -> (N, H)
    values = prep.inverse_targets(outputs.prediction, outputs.series, panel)  # -> (N, H, C, Q)
    columns: dict[str, np.ndarray] = {}
    if prep.id_name is not None:
        columns[prep.id_name] = np.repeat(_series_labels(outputs, panel), horizon)
    if with_actuals:
        origin_name, step_name = backtest_columns(prep)
        columns[origin_name] = np.repeat(origin_times, horizon)
        columns[step_name] = np.tile(np.arange(1, horizon + 1), n_windows)
    columns[prep.time_name] = times.reshape(-1)
    flat = values.reshape(n_windows * horizon, -1)  # -> (N*H, C*Q), target-major like the names
    for position, name in enumerate(_value_columns(prep)):
        columns[name] = flat[:, position]
    for level, (low, high) in (intervals or {}).items():
        restored = prep.inverse_targets(np.stack([low, high], axis=-1), outputs.series, panel)
        for channel, name in enumerate(prep.target_names):
            for side, column in enumerate(interval_columns(name, level)):
                columns[column] = restored[:, :, channel, side].reshape(-1)
    if with_actuals and outputs.target is not None:
        actual = prep.inverse_targets(outputs.target[..., None], outputs.series, panel)[..., 0]
        for channel, name in enumerate(prep.target_names):
            columns[f"{name}_actual"] = actual[:, :, channel].reshape(-1)
    return pd.DataFrame(columns)


def temporal_attention_frame(
    outputs: NetworkOutputs, panel: Panel, prep: FramePreprocessor
) -> pd.DataFrame:
    """Tidy temporal attention: series (named as the user's `id_col`), origin, step,
    target_time, source_time, lag, distance, head, weight. `lag` counts steps back from the
    origin (0 = last observed step); `distance` counts steps back from that forecast step's
    target time."""
    weights = outputs.temporal_attention
    if weights is None:
        raise ValueError(
            "this model has attention='none', so it has no temporal attention to interpret"
        )
    n, heads, horizon, lookback = weights.shape
    origin_times = _user_times(_origin_times(outputs, panel), panel)
    lag = np.arange(lookback - 1, -1, -1)  # position j in the window is `lag[j]` steps back
    step = np.arange(1, horizon + 1)
    source = _user_times(_source_times(outputs, panel, lag), panel)  # -> (N, L)
    target = _user_times(_target_times(outputs, panel, horizon), panel)  # -> (N, H)
    shape = (n, heads, horizon, lookback)
    grid = {
        _series_column(prep): _series_labels(outputs, panel)[:, None, None, None],
        "origin": origin_times[:, None, None, None],
        "step": step[None, None, :, None],
        "target_time": target[:, None, :, None],
        "source_time": source[:, None, None, :],
        "lag": lag[None, None, None, :],
        "distance": (lag[None, :] + step[:, None])[None, None, :, :],
        "head": np.arange(heads)[None, :, None, None],
    }
    columns = {name: np.broadcast_to(value, shape).reshape(-1) for name, value in grid.items()}
    columns["weight"] = weights.reshape(-1)
    return pd.DataFrame(columns)


def input_attention_frame(
    outputs: NetworkOutputs, panel: Panel, prep: FramePreprocessor
) -> pd.DataFrame:
    """Tidy input attention: series (named as the user's `id_col`), origin, source_time, lag,
    variable, weight."""
    weights = outputs.input_attention
    if weights is None:
        raise ValueError(
            "this model was trained with input_attention=False; refit with input_attention=True "
            "to get per-variable attention"
        )
    n, lookback, n_vars = weights.shape
    origin_times = _user_times(_origin_times(outputs, panel), panel)
    lag = np.arange(lookback - 1, -1, -1)
    source = _user_times(_source_times(outputs, panel, lag), panel)  # -> (N, L)
    shape = (n, lookback, n_vars)
    grid = {
        _series_column(prep): _series_labels(outputs, panel)[:, None, None],
        "origin": origin_times[:, None, None],
        "source_time": source[:, :, None],
        "lag": lag[None, :, None],
        "variable": np.asarray(prep.feature_names, dtype=object)[None, None, :],
    }
    columns = {name: np.broadcast_to(value, shape).reshape(-1) for name, value in grid.items()}
    columns["weight"] = weights.reshape(-1)
    return pd.DataFrame(columns)


def contribution_frame(
    outputs: NetworkOutputs, panel: Panel, prep: FramePreprocessor, target: str | None = None
) -> pd.DataFrame:
    """Tidy read contributions in the targets' units: series (named as the user's `id_col`),
    origin, step, target_time, target, source_time, lag, distance, variable, contribution
    (`lag` and `distance` as in `temporal_attention_frame`); `target` keeps one target's rows."""
    values = outputs.read_contributions
    if values is None:
        raise ValueError(
            "this model has attention='none': its forecasts read no past values through "
            "attention, so there are no contributions to report"
        )
    n, horizon, n_targets, lookback, n_vars = values.shape
    # the scaler is affine per (series, target): a difference of forecasts scales by its slope
    ones = np.ones((n, 1, n_targets, 1))
    slope = (prep.inverse_targets(ones, outputs.series, panel)
             - prep.inverse_targets(0 * ones, outputs.series, panel))  # -> (N, 1, C, 1)
    values = values * slope[..., None]  # -> (N, H, C, L, V) in target units
    names = np.asarray(prep.target_names, dtype=object)
    if target is not None:
        keep = list(prep.target_names).index(target)
        values, names = values[:, :, keep : keep + 1], names[keep : keep + 1]
        n_targets = 1
    origin_times = _user_times(_origin_times(outputs, panel), panel)
    lag = np.arange(lookback - 1, -1, -1)
    source = _user_times(_source_times(outputs, panel, lag), panel)  # -> (N, L)
    times = _user_times(_target_times(outputs, panel, horizon), panel)  # -> (N, H)
    shape = (n, horizon, n_targets, lookback, n_vars)
    grid = {
        _series_column(prep): _series_labels(outputs, panel)[:, None, None, None, None],
        "origin": origin_times[:, None, None, None, None],
        "step": np.arange(1, horizon + 1)[None, :, None, None, None],
        "target_time": times[:, :, None, None, None],
        "target": names[None, None, :, None, None],
        "source_time": source[:, None, None, :, None],
        "lag": lag[None, None, None, :, None],
        "distance": (lag[None, :] + np.arange(1, horizon + 1)[:, None])[None, :, None, :, None],
        "variable": np.asarray(prep.feature_names, dtype=object)[None, None, None, None, :],
    }
    columns = {name: np.broadcast_to(value, shape).reshape(-1) for name, value in grid.items()}
    columns["contribution"] = values.reshape(-1)
    return pd.DataFrame(columns)
