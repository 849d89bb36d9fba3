"""Scores of a rolling-origin pass, with the same metric definitions the training logs use."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import numpy as np
import pandas as pd
import torch

from tsattn import metrics
from tsattn.data import gather
from tsattn.inference import NetworkOutputs

if TYPE_CHECKING:
    from tsattn.data import Panel
    from tsattn.preprocess import FramePreprocessor

__all__ = ["Evaluation", "ScoredPass", "evaluation_metrics", "interval_metrics", "series_metrics"]


@dataclass(frozen=True)
class Evaluation:
    """Every score a training job reports for one frame, from one pass of the network
    (`Forecaster.evaluate_all`): each is what `Forecaster.evaluate` gives with that scale."""

    normalised: dict[str, float]  # on the training z-scores: the long-horizon protocol
    original: dict[str, float]  # in the data's units, where sMAPE means something
    by_series: pd.DataFrame | None  # per series, in the data's units; None unless asked for


@dataclass(frozen=True)
class ScoredPass:
    """One pass's forecasts with what scoring them needs, so several scores share the pass."""

    outputs: NetworkOutputs
    panel: Panel
    prep: FramePreprocessor
    point_index: int
    bounds: dict[float, tuple[np.ndarray, np.ndarray]]
    season: int

    def pooled(self, scale: Literal["normalised", "original"]) -> dict[str, float]:
        scores = evaluation_metrics(self.outputs, self.panel, self.prep,
                                    point_index=self.point_index, scale=scale, season=self.season)
        return {**scores,
                **interval_metrics(self.outputs, self.panel, self.prep, self.bounds, scale=scale)}

    def by_series(self, scale: Literal["normalised", "original"]) -> pd.DataFrame:
        return series_metrics(self.outputs, self.panel, self.prep, self.bounds,
                              point_index=self.point_index, scale=scale, season=self.season,
                              series_name=self.prep.id_name or "series")


def evaluation_metrics(
    outputs: NetworkOutputs,
    panel: Panel,
    prep: FramePreprocessor,
    *,
    point_index: int,
    scale: Literal["normalised", "original"] = "normalised",
    season: int = 1,
    windows: np.ndarray | None = None,
) -> dict[str, float]:
    """MSE, MAE, sMAPE and MASE over all windows (or the `windows` mask), steps and channels.

    "normalised" scores on the z-score scale fitted on the training frame (the long-horizon
    benchmark protocol); "original" in the data's own units. MASE is scaled by the in-sample
    seasonal naive error at `season` (1: one step) over each window's lookback.
    """
    if outputs.target is None:
        raise ValueError("evaluation needs windows with observed targets")
    keep = slice(None) if windows is None else windows
    series, origin = outputs.series[keep], outputs.origin[keep]
    lookback = int(prep.settings["lookback"])
    past = gather(panel.values, origin - (lookback - 1), lookback, panel.target_columns)
    point = outputs.prediction[keep][..., point_index]  # -> (N, H, C)
    target = outputs.target[keep]
    if scale == "original":
        point, target, past = (
            prep.inverse_targets(array[..., None], series, panel)[..., 0]
            for array in (point, target, past)
        )
    # float64: a mean over millions of float32 errors would drift in the 4th digit
    pred_t, target_t, past_t = (
        torch.from_numpy(np.asarray(a, np.float64)) for a in (point, target, past)
    )
    scores = metrics.point_metrics(pred_t, target_t, past_t, season=season)
    return {name: float(value) for name, value in scores.items()}


def interval_metrics(
    outputs: NetworkOutputs,
    panel: Panel,
    prep: FramePreprocessor,
    bounds: dict[float, tuple[np.ndarray, np.ndarray]],
    *,
    scale: Literal["normalised", "original"] = "normalised",
    windows: np.ndarray | None = None,
) -> dict[str, float]:
    """For each level of `bounds` (scaled (N, H, C) arrays): `coverage_<level>`, the share of
    outcomes inside, and `width_<level>`, the mean width on `scale`; over the `windows` mask
    when given."""
    from tsattn.calibration import level_label

    if outputs.target is None:
        raise ValueError("interval scores need windows with observed targets")
    keep = slice(None) if windows is None else windows
    series = outputs.series[keep]
    scores = {}
    for level, (low, high) in bounds.items():
        low, high, target = low[keep], high[keep], outputs.target[keep]
        if scale == "original":
            low, high, target = (
                prep.inverse_targets(array[..., None], series, panel)[..., 0]
                for array in (low, high, target)
            )
        label = level_label(level)
        scores[f"coverage_{label}"] = float(np.mean((target >= low) & (target <= high)))
        scores[f"width_{label}"] = float(np.mean(high - low, dtype=np.float64))
    return scores


def series_metrics(
    outputs: NetworkOutputs,
    panel: Panel,
    prep: FramePreprocessor,
    bounds: dict[float, tuple[np.ndarray, np.ndarray]],
    *,
    point_index: int,
    scale: Literal["normalised", "original"] = "normalised",
    season: int = 1,
    series_name: str = "series",
) -> pd.DataFrame:
    """The scores of `evaluation_metrics` and `interval_metrics` per series: one row per series
    with windows (in the panel's order, indexed by its id), plus its number of windows. A panel's
    pooled scores hide the series a model forecasts badly; this is where to find them."""
    rows = {}
    for s in np.unique(outputs.series):
        windows = outputs.series == s
        rows[panel.series_ids[s]] = {
            **evaluation_metrics(outputs, panel, prep, point_index=point_index, scale=scale,
                                 season=season, windows=windows),
            **interval_metrics(outputs, panel, prep, bounds, scale=scale, windows=windows),
            "windows": int(windows.sum()),
        }
    frame = pd.DataFrame.from_dict(rows, orient="index")
    frame.index.name = series_name
    return frame
