"""Summaries of tidy attention tables: pure pandas, no plotting, no MLflow.

Input is what `Forecaster.interpret` returns. Temporal attention has one row per
(series, origin, step, head, source timestep), and the weights of each (series, origin, step, head)
sum to one over the lookback. Input attention has one row per (series, origin, source timestep,
variable), summing to one over variables. Contributions have one row per (series, origin, step,
target, source timestep, variable), in the target's units. Profiles report *lift*, the mean
weight over the uniform 1/L: 1 means "no preference", and runs with different lookbacks stay
comparable.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from tsattn.errors import InterpretationError

__all__ = [
    "CONTRIBUTION_COLUMNS",
    "TEMPORAL_COLUMNS",
    "INPUT_COLUMNS",
    "WINDOW_KEYS",
    "check_contribution_frame",
    "check_input_frame",
    "check_temporal_frame",
    "id_column",
    "concentration",
    "contribution_by_variable",
    "contribution_profile",
    "distance_profile",
    "lag_profile",
    "lag_profile_by_target",
    "lift_by_target_grid",
    "matrix_of_window",
    "mean_attention_map",
    "representative_windows",
    "variable_importance",
    "weight_sums",
    "window_matrix",
]

TEMPORAL_COLUMNS = (
    "series",
    "origin",
    "step",
    "target_time",
    "source_time",
    "lag",
    "distance",
    "head",
    "weight",
)
INPUT_COLUMNS = ("series", "origin", "source_time", "lag", "variable", "weight")
CONTRIBUTION_COLUMNS = ("series", "origin", "step", "target", "source_time", "lag", "distance",
                        "variable", "contribution")
WINDOW_KEYS = ["series", "origin"]
_STEP_KEYS = ["series", "origin", "step", "head"]
_FORECAST_KEYS = ["series", "origin", "step", "target"]


def check_temporal_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """`frame` keyed by "series" (its id column renamed) if it has the temporal-attention
    columns, else an error saying which are missing."""
    return _check(frame, TEMPORAL_COLUMNS, "temporal attention (interpret(kind='temporal'))")


def check_input_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """`frame` keyed by "series" (its id column renamed) if it has the input-attention columns,
    else an error saying which are missing."""
    return _check(frame, INPUT_COLUMNS, "input attention (interpret(kind='input'))")


def check_contribution_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """`frame` keyed by "series" (its id column renamed) if it has the contribution columns,
    else an error saying which are missing."""
    return _check(frame, CONTRIBUTION_COLUMNS, "contribution (interpret(kind='contribution'))")


def weight_sums(frame: pd.DataFrame) -> pd.Series:
    """Sum of weights per (series, origin, step, head); each should be 1 for a softmax."""
    return check_temporal_frame(frame).groupby(_STEP_KEYS, sort=False)["weight"].sum()


def window_matrix(
    frame: pd.DataFrame, series: object, origin: object
) -> tuple[np.ndarray, pd.Index, pd.Index]:
    """One window's attention as an (H, L) matrix averaged over heads, with its time axes.

    Rows are forecast steps (first step first), columns the lookback, oldest first, so the
    matrix reads left to right in time. Returns (matrix, target_times, source_times).
    """
    frame = check_temporal_frame(frame)
    window = frame[(frame["series"] == series) & (frame["origin"] == origin)]
    if window.empty:
        raise InterpretationError(
            f"no attention rows for series={series!r}, origin={origin!r}; pick one of the "
            "(series, origin) pairs present in the table"
        )
    return matrix_of_window(window)


def matrix_of_window(window: pd.DataFrame) -> tuple[np.ndarray, pd.Index, pd.Index]:
    """`window_matrix` for rows already restricted to one (series, origin)."""
    grid = window.pivot_table(index="step", columns="lag", values="weight", aggfunc="mean")
    grid = grid.sort_index().sort_index(axis=1, ascending=False)  # oldest source first
    targets = window.drop_duplicates("step").set_index("step")["target_time"].loc[grid.index]
    sources = window.drop_duplicates("lag").set_index("lag")["source_time"].loc[grid.columns]
    return grid.to_numpy(dtype=float), pd.Index(targets), pd.Index(sources)


def concentration(frame: pd.DataFrame) -> dict[str, float]:
    """How peaked temporal attention is, as numbers a picture cannot exaggerate.

    Each (series, origin, step, head) row of L weights gives an entropy ratio H / log(L) (1 =
    uniform, 0 = all weight on one timestep) and the mass on its 10 % most-attended timesteps,
    0.1 L of them, the boundary one counted in part, so uniform attention scores exactly 0.1
    at any L. Returns the means over rows: `entropy_ratio`, `top10_mass`, and `top10_lift` =
    top10_mass / 0.1 (1 = uniform; 10 = everything on the top tenth).
    """
    rows = _rows(check_temporal_frame(frame))  # -> (rows, L)
    lookback = rows.shape[1]
    plogp = -rows * np.log(np.where(rows > 0, rows, 1.0))  # 0 log 0 = 0
    entropy = plogp.sum(axis=1) / np.log(lookback) if lookback > 1 else np.zeros(len(rows))
    top = 0.1 * lookback
    whole = int(np.floor(top))
    ranked = -np.sort(-rows, axis=1)  # most attended first
    mass = ranked[:, :whole].sum(axis=1)
    if whole < lookback:
        mass = mass + (top - whole) * ranked[:, whole]
    top10 = float(mass.mean())
    return {"entropy_ratio": float(entropy.mean()), "top10_mass": top10, "top10_lift": top10 / 0.1}


def representative_windows(frame: pd.DataFrame, count: int = 4) -> pd.DataFrame:
    """Pick up to `count` windows worth looking at, and say why each was picked.

    Picks by attention entropy (averaged over steps and heads): the most focused window, a
    typical one (median), the most diffuse, then the latest origin. Extremes show what the model
    *can* do; the median shows what it usually does.
    """
    frame = check_temporal_frame(frame)
    weight = frame["weight"].to_numpy(dtype=float)
    plogp = -weight * np.log(np.where(weight > 0, weight, 1.0))  # 0 log 0 = 0
    per_step = frame[_STEP_KEYS].assign(entropy=plogp).groupby(_STEP_KEYS, sort=False).sum()
    windows = per_step.groupby(WINDOW_KEYS, sort=True)["entropy"].mean().reset_index()
    windows = windows.sort_values("entropy", kind="stable").reset_index(drop=True)
    picks = [
        (0, "most focused"),
        (len(windows) // 2, "typical (median entropy)"),
        (len(windows) - 1, "most diffuse"),
        (int(windows["origin"].to_numpy().argmax()), "latest origin"),
    ]
    rows, seen = [], set()
    for position, reason in picks:
        key = tuple(windows.loc[position, WINDOW_KEYS])
        if key in seen:
            continue
        seen.add(key)
        rows.append(
            {
                **dict(zip(WINDOW_KEYS, key)),
                "entropy": windows.loc[position, "entropy"],
                "reason": reason,
            }
        )
    return pd.DataFrame(rows[:count], columns=[*WINDOW_KEYS, "entropy", "reason"])


def lag_profile(frame: pd.DataFrame) -> pd.DataFrame:
    """Attention by lag (0 = the origin), over all windows, steps and heads.

    Columns: lag, share (sums to one), mean_weight, lift (mean weight over uniform 1/L; 1 means
    "no preference"), q10/q50/q90 of the lift across windows (a bump that only a few windows
    have is told apart from one they all have), and windows.
    """
    table = _profile(check_temporal_frame(frame), "lag")
    table.insert(1, "share", table["mean_weight"] / table["mean_weight"].sum())
    return table


def lag_profile_by_target(frames: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """`lag_profile` of each target's own temporal attention, stacked under a `target` column.

    A channel-independent model attends separately for each target; their mean can show a
    preference that none of them has, so each is profiled on its own.
    """
    if not frames:
        raise InterpretationError("no per-target attention tables to profile")
    tables = [lag_profile(frame).assign(target=name) for name, frame in frames.items()]
    stacked = pd.concat(tables, ignore_index=True)
    return stacked[["target", *(c for c in stacked.columns if c != "target")]]


def lift_by_target_grid(table: pd.DataFrame) -> pd.DataFrame:
    """Lift per (target, lag) from `lag_profile_by_target`: targets as rows in their given order,
    lags as columns oldest first, like `mean_attention_map`."""
    order = list(dict.fromkeys(table["target"]))
    grid = table.pivot(index="target", columns="lag", values="lift").reindex(order)
    return grid.sort_index(axis=1, ascending=False)


def distance_profile(frame: pd.DataFrame) -> pd.DataFrame:
    """Attention by distance: steps between the attended time and the predicted time.

    Seasonality shows here, not by lag: a daily pattern in hourly data is a peak at distance 24
    for every forecast step, while by lag it smears across 24 - step. Reported as lift over
    uniform, not as a share, because distances near lookback + 1 occur for more (step, lag)
    pairs than the extremes: shares would draw that triangle even for uniform attention.
    Columns: distance, mean_weight, lift, q10/q50/q90 of the lift across windows, windows.
    """
    return _profile(check_temporal_frame(frame), "distance")


def mean_attention_map(frame: pd.DataFrame) -> pd.DataFrame:
    """Mean weight per (step, lag) over all windows and heads: the 'typical' heatmap, H x L."""
    frame = check_temporal_frame(frame)
    grid = frame.pivot_table(index="step", columns="lag", values="weight", aggfunc="mean")
    return grid.sort_index().sort_index(axis=1, ascending=False)


def variable_importance(frame: pd.DataFrame) -> pd.DataFrame:
    """Mean input-attention weight per variable, with its spread across windows.

    Columns: variable, importance (sums to one), q10, q90, rank (1 = most attended).
    """
    frame = check_input_frame(frame)
    per_window = frame.groupby([*WINDOW_KEYS, "variable"], sort=False)["weight"].mean()
    spread = per_window.groupby("variable").quantile([0.1, 0.9]).unstack()
    table = pd.DataFrame({"importance": per_window.groupby("variable").mean()})
    table["importance"] /= table["importance"].sum()
    table["q10"], table["q90"] = spread[0.1], spread[0.9]
    table = table.sort_values("importance", ascending=False, kind="stable").reset_index()
    table["rank"] = np.arange(1, len(table) + 1)
    return table


def contribution_by_variable(frame: pd.DataFrame) -> pd.DataFrame:
    """Which variables' values moved the forecasts, from read contributions.

    Each (series, origin, step, target) forecast gets, per variable, the sum over the lookback
    of its contributions' absolute values. Columns: variable, importance (the mean of those
    over forecasts, as a share summing to one), q10 and q90 of each window's share, mean_abs
    (that mean in the target's units), net (the mean signed sum: a variable can move forecasts a
    lot and cancel on average), rank (1 = moved them most).
    """
    frame = check_contribution_frame(frame)
    size = frame["contribution"].abs().rename("size")
    per_forecast = frame[[*_FORECAST_KEYS, "variable"]].join(size).assign(
        net=frame["contribution"]).groupby([*_FORECAST_KEYS, "variable"], sort=False).sum()
    per_window = per_forecast["size"].groupby(level=[*WINDOW_KEYS, "variable"]).mean()
    window_share = per_window / per_window.groupby(level=WINDOW_KEYS).transform("sum")
    spread = window_share.groupby(level="variable").quantile([0.1, 0.9]).unstack()
    by_variable = per_forecast.groupby(level="variable")
    table = pd.DataFrame({"mean_abs": by_variable["size"].mean(), "net": by_variable["net"].mean()})
    table.insert(0, "importance", table["mean_abs"] / table["mean_abs"].sum())
    table.insert(1, "q10", spread[0.1])
    table.insert(2, "q90", spread[0.9])
    table = table.sort_values("importance", ascending=False, kind="stable").reset_index()
    table["rank"] = np.arange(1, len(table) + 1)
    return table


def contribution_profile(frame: pd.DataFrame, by: str = "distance") -> pd.DataFrame:
    """Each variable's contributions by `by` ("distance", steps back from the forecast's target
    time, where a fixed lag shows as one peak for every step; or "lag", back from the origin).

    Columns: variable, `by`, mean_abs (mean absolute contribution in the target's units, over
    forecasts) and mean (signed). The peak of a variable's mean_abs is the lag its values
    act at: what a planted cause is checked against.
    """
    frame = check_contribution_frame(frame)
    if by not in ("distance", "lag"):
        raise InterpretationError(f"by must be 'distance' or 'lag', but got by={by!r}")
    values = frame["contribution"]
    grouped = frame[["variable", by]].assign(mean_abs=values.abs(), mean=values)
    return grouped.groupby(["variable", by], sort=True).mean().reset_index()


def _profile(frame: pd.DataFrame, by: str) -> pd.DataFrame:
    lookback = frame["lag"].nunique()
    mean_weight = frame.groupby(by)["weight"].mean()
    per_window = frame.groupby([*WINDOW_KEYS, by], sort=False)["weight"].mean() * lookback
    spread = per_window.groupby(by).quantile([0.1, 0.5, 0.9]).unstack()
    table = pd.DataFrame({"mean_weight": mean_weight, "lift": mean_weight * lookback})
    table["q10"], table["q50"], table["q90"] = spread[0.1], spread[0.5], spread[0.9]
    table["windows"] = per_window.groupby(by).size()
    return table.sort_index().reset_index()


def _rows(frame: pd.DataFrame) -> np.ndarray:
    """The weights as an (rows, L) array, one row per (series, origin, step, head)."""
    codes = frame.groupby(_STEP_KEYS, sort=False).ngroup().to_numpy()
    sizes = np.bincount(codes)
    lookback = int(sizes[0])
    if (sizes != lookback).any():
        raise InterpretationError(
            f"each (series, origin, step, head) needs the same number of source timesteps, but "
            f"got between {sizes.min()} and {sizes.max()}; pass interpret()'s frame unchanged"
        )
    order = np.argsort(codes, kind="stable")
    return frame["weight"].to_numpy(dtype=float)[order].reshape(-1, lookback)


def _check(frame: pd.DataFrame, columns: tuple[str, ...], what: str) -> pd.DataFrame:
    frame = _keyed_by_series(frame)
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise InterpretationError(
            f"{what} table lacks columns {missing}; got {list(frame.columns)}. Pass the frame "
            "Forecaster.interpret returns, unchanged."
        )
    if frame.empty:
        raise InterpretationError(
            f"{what} table is empty; interpret a frame with at least one window"
        )
    return frame


def id_column(frame: pd.DataFrame) -> str | None:
    """The user's id column of an interpret frame (`interpret` names the series by `id_col`);
    None for a frame keyed by "series". It is the one column that is no attention column."""
    if "series" in frame.columns:
        return None
    known = {*TEMPORAL_COLUMNS, *INPUT_COLUMNS, *CONTRIBUTION_COLUMNS}
    others = [c for c in frame.columns if c not in known]
    return others[0] if len(others) == 1 else None


def _keyed_by_series(frame: pd.DataFrame) -> pd.DataFrame:
    """Inside this package the series column is "series", whatever the user's id is called."""
    named = id_column(frame)
    return frame if named is None else frame.rename(columns={named: "series"})
