"""How the job's earlier forecasts did, once their actuals have arrived.

A forecast job that writes to a table keeps every origin's forecasts, so each run can first join
the matured ones (target time now observed) with the fresh history and score them: MAE, MASE
(scaled by each series' in-sample naive error up to its origin, one step or one `season` back,
so series of different sizes weigh alike) and, for each stored interval, its coverage and mean
width: the calibrated bounds of the job's `levels` (`coverage_80`, `width_80`), else a quantile
model's widest band (`coverage`, `width`). Per origin for the job's time series, per (origin,
series) for finding the series that went wrong.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from tsattn.data._timeaxis import time_values
from tsattn.sql_io import ORIGIN_COLUMN

__all__ = ["Scores", "score_forecasts"]

_SERIES = "series"


@dataclass
class Scores:
    """`per_origin`: one row per forecast origin; `by_series`: one per (origin, series)."""

    per_origin: pd.DataFrame
    by_series: pd.DataFrame


def score_forecasts(
    forecasts: pd.DataFrame,
    history: pd.DataFrame,
    *,
    target: str,
    time_col: str,
    id_col: str | None,
    point: str,
    intervals: Mapping[str, tuple[str, str]] | None = None,
    season: int = 1,
) -> Scores:
    """Score the rows of `forecasts` whose target time `history` has observed; MASE's naive
    forecast repeats the value `season` rows back.

    `forecasts` is the forecast table (series, time, origin, the `point` forecast column and
    bound columns); `intervals` names each interval's (low, high) columns by the suffix its
    scores get. `history` is the fresh input frame. Origins with no matured row are left out.
    """
    intervals = dict(intervals or {})
    actual = _long(history, target, time_col, id_col).rename(columns={"value": "actual"})
    rows = forecasts.assign(
        **{_SERIES: forecasts[id_col] if id_col else "series",
           time_col: time_values(forecasts[time_col]),
           ORIGIN_COLUMN: time_values(forecasts[ORIGIN_COLUMN])}
    )  # fmt: skip
    matured = rows.merge(actual, on=[_SERIES, time_col], how="inner")
    matured = matured.assign(error=(matured[point] - matured["actual"]).abs())
    for name, (low, high) in intervals.items():
        inside = (matured["actual"] >= matured[low]) & (matured["actual"] <= matured[high])
        width = matured[high] - matured[low]
        covered = inside.astype(float)
        matured = matured.assign(**{f"_covered{name}": covered, f"_width{name}": width})
    matured = matured.merge(_naive_scale(actual, time_col, season), on=[_SERIES, ORIGIN_COLUMN],
                            how="left")  # fmt: skip
    keys = [ORIGIN_COLUMN, _SERIES]
    by_series = matured.groupby(keys, sort=True).agg(**_aggregations(intervals)).reset_index()
    by_series["mase"] = by_series["mae"] / by_series["naive_mae"].replace(0.0, np.nan)
    interval_scores = [f"{kind}{name}" for name in intervals for kind in ("coverage", "width")]
    per_origin = by_series.groupby(ORIGIN_COLUMN, sort=True).agg(
        series=(_SERIES, "nunique"), mae=("mae", "mean"), mase=("mase", "mean"),
        **{column: (column, "mean") for column in interval_scores},
    ).reset_index()
    return Scores(per_origin, by_series.drop(columns="naive_mae"))


def _aggregations(intervals: Mapping[str, tuple[str, str]]) -> dict[str, tuple[str, str]]:
    named = {"mae": ("error", "mean"), "steps": ("error", "size"),
             "naive_mae": ("naive_mae", "first")}  # fmt: skip
    for name in intervals:
        named[f"coverage{name}"] = (f"_covered{name}", "mean")
        named[f"width{name}"] = (f"_width{name}", "mean")
    return named


def _long(frame: pd.DataFrame, target: str, time_col: str, id_col: str | None) -> pd.DataFrame:
    times = time_values(frame[time_col] if time_col in frame else frame.index)
    return pd.DataFrame({
        _SERIES: frame[id_col].to_numpy() if id_col else "series",
        time_col: np.asarray(times), "value": frame[target].to_numpy(dtype=float),
    })  # fmt: skip


def _naive_scale(actual: pd.DataFrame, time_col: str, season: int) -> pd.DataFrame:
    """Each series' mean naive error (`season` rows back) over its history up to every time
    (MASE's scale), keyed as (series, origin) so a forecast uses only what was known then."""
    ordered = actual.sort_values([_SERIES, time_col])
    steps = ordered.groupby(_SERIES)["actual"].diff(season).abs()
    counts = steps.notna().groupby(ordered[_SERIES]).cumsum()
    sums = steps.fillna(0.0).groupby(ordered[_SERIES]).cumsum()
    return pd.DataFrame({
        _SERIES: ordered[_SERIES].to_numpy(), ORIGIN_COLUMN: ordered[time_col].to_numpy(),
        "naive_mae": (sums / counts.replace(0, np.nan)).to_numpy(),
    })  # fmt: skip
