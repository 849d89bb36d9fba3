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

__all__ = ["evaluation_metrics"]


def evaluation_metrics(
    outputs: NetworkOutputs,
    panel: Panel,
    prep: FramePreprocessor,
    *,
    point_index: int,
    scale: Literal["normalised", "original"] = "normalised",
) -> dict[str, float]:
    """MSE, MAE, sMAPE and MASE over all windows, steps and channels.

    "normalised" scores on the z-score scale fitted on the training frame (the long-horizon
    benchmark protocol); "original" in the data's own units. MASE is scaled by each window's
    in-sample one-step naive error over its lookback.
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
    scores = metrics.point_metrics(pred_t, target_t, past_t)
    return {name: float(value) for name, value in scores.items()}
