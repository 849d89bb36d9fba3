"""Scores of a rolling-origin pass, with the same metric definitions the training logs use."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

import numpy as np
import torch

from tsattn import metrics
from tsattn.data import gather
from tsattn.inference import NetworkOutputs

if TYPE_CHECKING:
    from tsattn.data import Panel
    from tsattn.preprocess import FramePreprocessor

__all__ = ["evaluation_metrics", "interval_metrics"]


def evaluation_metrics(
    outputs: NetworkOutputs,
    panel: Panel,
    prep: FramePreprocessor,
    *,
    point_index: int,
    scale: Literal["normalised", "original"] = "normalised",
    season: int = 1,
) -> dict[str, float]:
    """MSE, MAE, sMAPE and MASE over all windows, steps and channels.

    "normalised" scores on the z-score scale fitted on the training frame (the long-horizon
    benchmark protocol); "original" in the data's own units. MASE is scaled by the in-sample
    seasonal naive error at `season` (1: one step) over each window's lookback.
    """
    if outputs.target is None:
        raise ValueError("evaluation needs windows with observed targets")
    lookback = int(prep.settings["lookback"])
    starts = outputs.origin - (lookback - 1)
    past = gather(panel.values, starts, lookback, panel.target_columns)  # -> (N, L, C)
    point = outputs.prediction[..., point_index]  # -> (N, H, C)
    target = outputs.target
    if scale == "original":
        point, target, past = (
            prep.inverse_targets(array[..., None], outputs.series, panel)[..., 0]
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
) -> dict[str, float]:
    """For each level of `bounds` (scaled (N, H, C) arrays): `coverage_<level>`, the share of
    outcomes inside, and `width_<level>`, the mean width on `scale`."""
    from tsattn.calibration import level_label

    if outputs.target is None:
        raise ValueError("interval scores need windows with observed targets")
    scores = {}
    for level, (low, high) in bounds.items():
        target = outputs.target
        if scale == "original":
            low, high, target = (
                prep.inverse_targets(array[..., None], outputs.series, panel)[..., 0]
                for array in (low, high, outputs.target)
            )
        label = level_label(level)
        scores[f"coverage_{label}"] = float(np.mean((target >= low) & (target <= high)))
        scores[f"width_{label}"] = float(np.mean(high - low, dtype=np.float64))
    return scores
