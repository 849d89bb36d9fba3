"""Point-forecast metrics on tensors: prediction and target (B, H, C), vectorized, scalar out.

All are means over every window, step and target, so they are comparable across batch sizes.
They measure whatever scale the tensors are in (the training loop passes scaled values).
"""

from __future__ import annotations

import torch
from torch import Tensor

__all__ = ["mae", "mase", "mse", "point_metrics", "smape"]


def mae(prediction: Tensor, target: Tensor) -> Tensor:
    """Mean absolute error."""
    return (prediction - target).abs().mean()


def mse(prediction: Tensor, target: Tensor) -> Tensor:
    """Mean squared error."""
    return (prediction - target).pow(2).mean()


def smape(prediction: Tensor, target: Tensor) -> Tensor:
    """Symmetric MAPE in percent, 200 * |y - yhat| / (|y| + |yhat|), in [0, 200].

    A term where both y and yhat are 0 is a perfect forecast and counts as 0 rather than NaN.
    """
    denominator = target.abs() + prediction.abs()
    ratio = (prediction - target).abs() / denominator.clamp_min(torch.finfo(denominator.dtype).tiny)
    return 200.0 * torch.where(denominator > 0, ratio, torch.zeros_like(ratio)).mean()


def mase(prediction: Tensor, target: Tensor, past_target: Tensor, eps: float = 1e-8,
         season: int = 1) -> Tensor:
    """Mean absolute scaled error: forecast MAE over the in-sample seasonal naive MAE (|y_t -
    y_(t - season)| over each lookback), per target; `season` 1 is the one-step naive, the
    period (24 for hourly data) the M4 competition's scale.

    prediction, target (B, H, C); past_target (B, L, C), L > season. Both MAEs are pooled over all
    windows before dividing (then averaged over targets): a per-window ratio explodes on a window
    whose lookback happens to be flat, which real data (sensor plateaus) has. A target whose
    lookbacks are all flat has no naive error, so its MASE is undefined and it is left out
    (NaN when every target is flat).
    """
    # B batch, H horizon, L lookback, C targets
    if not 1 <= season < past_target.size(1):
        raise ValueError(
            f"season must be in [1, lookback), but got season={season} with a lookback of "
            f"{past_target.size(1)}"
        )
    naive = (past_target[:, season:] - past_target[:, :-season]).abs().mean(dim=(0, 1))  # (C,)
    error = (prediction - target).abs().mean(dim=(0, 1))  # -> (C,)
    defined = naive > eps
    if not bool(defined.any()):
        return torch.full((), float("nan"), dtype=error.dtype, device=error.device)
    return (error[defined] / naive[defined]).mean()


def point_metrics(prediction: Tensor, target: Tensor, past_target: Tensor,
                  season: int = 1) -> dict[str, Tensor]:
    """mae, mse, smape and mase (seasonal naive at `season`) by name, the set the training
    loop logs."""
    return {
        "mae": mae(prediction, target),
        "mse": mse(prediction, target),
        "smape": smape(prediction, target),
        "mase": mase(prediction, target, past_target, season=season),
    }
