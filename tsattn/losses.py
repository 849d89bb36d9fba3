"""Training losses on (B, H, C, Q) predictions against (B, H, C) targets, selected by name.

Point losses (mse, mae, huber) expect Q = 1; the pinball loss trains one output per quantile.
A point loss on a quantile model (or pinball on a point model) is a configuration error, raised
rather than silently reinterpreted.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial

import torch
import torch.nn.functional as F
from torch import Tensor

from tsattn.errors import ConfigError

__all__ = ["LOSSES", "LossFn", "build_loss", "pinball_loss"]

LossFn = Callable[[Tensor, Tensor], Tensor]
LOSSES = ("mse", "mae", "huber", "pinball")


def pinball_loss(prediction: Tensor, target: Tensor, quantiles: Tensor) -> Tensor:
    """Mean quantile (pinball) loss: max(q * e, (q - 1) * e) with e = target - prediction.

    prediction (B, H, C, Q), target (B, H, C), quantiles (Q,). Minimised by the q-quantile of the
    target's conditional distribution, so each output learns its own quantile.
    """
    # B batch, H horizon, C targets, Q quantiles
    error = target.unsqueeze(-1) - prediction  # -> (B, H, C, Q)
    return torch.maximum(quantiles * error, (quantiles - 1) * error).mean()


# Losses are partials of module-level functions, not closures, so a module holding one pickles
# (a `ddp_spawn` fit sends it to its processes).
def _point(loss: LossFn, prediction: Tensor, target: Tensor) -> Tensor:
    return loss(prediction.squeeze(-1), target)  # (B, H, C, 1) -> (B, H, C)


def _pinball(quantiles: Tensor, prediction: Tensor, target: Tensor) -> Tensor:
    return pinball_loss(prediction, target, quantiles.to(prediction.device, prediction.dtype))


def build_loss(name: str, quantiles: Sequence[float] = ()) -> LossFn:
    """The loss `name` as `fn(prediction (B, H, C, Q), target (B, H, C)) -> scalar`."""
    if name not in LOSSES:
        raise ConfigError(f"loss must be one of {LOSSES}, but got loss={name!r}.")
    if name == "pinball":
        if not quantiles:
            raise ConfigError(
                "loss='pinball' trains quantile outputs, but the network has quantiles=(); "
                "set quantiles (e.g. [0.1, 0.5, 0.9]) or use a point loss (mse, mae, huber)."
            )
        return partial(_pinball, torch.tensor(list(quantiles), dtype=torch.float32))
    if quantiles:
        raise ConfigError(
            f"a quantile network (quantiles={tuple(quantiles)}) needs loss='pinball', "
            f"but got loss={name!r}."
        )
    if name == "mse":
        return partial(_point, F.mse_loss)
    if name == "mae":
        return partial(_point, F.l1_loss)
    return partial(_point, F.huber_loss)  # delta = 1, in the scaled target space
