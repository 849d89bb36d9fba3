"""Reversible instance normalisation (Kim et al. 2022) of the target channels.

Global scaling cannot remove a level or spread that drifts between windows; normalising each
window's targets by their own lookback mean and std, and inverting that on the forecasts, lets the
network learn shape rather than level. Only the first C channels (the targets) are touched:
they are what the network predicts, so they are the only ones that must be inverted.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

__all__ = ["RevIN"]


class RevIN(nn.Module):
    """`normalize(past)` returns normalised past and per-window stats; `denormalize` inverts them.

    Stateless across batches (the stats are returned, not stored), so one module can serve
    concurrent calls and no statistic leaks between samples.
    """

    def __init__(self, n_targets: int, affine: bool = True, eps: float = 1e-5) -> None:
        super().__init__()
        self.n_targets = n_targets
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(n_targets)) if affine else None
        self.bias = nn.Parameter(torch.zeros(n_targets)) if affine else None

    def normalize(self, past: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        # B batch, L lookback, V variables, C targets (the first C of V)
        C = self.n_targets
        targets = past[..., :C]
        mean = targets.mean(dim=1, keepdim=True)  # -> (B, 1, C)
        centred = targets - mean
        # not Tensor.var: on CPU its kernel costs several times this mean of squares here
        variance = centred.square().mean(dim=1, keepdim=True)  # -> (B, 1, C)
        std = torch.sqrt(variance + self.eps)
        scaled = centred / std
        if self.weight is not None and self.bias is not None:
            scaled = scaled * self.weight + self.bias
        if past.size(-1) == C:  # targets only: skip a cat with an empty tensor (a copy each way)
            return scaled, mean, std
        return torch.cat([scaled, past[..., C:]], dim=-1), mean, std  # -> (B, L, V)

    def denormalize(self, prediction: Tensor, mean: Tensor, std: Tensor) -> Tensor:
        # B batch, H horizon, C targets, Q quantiles; mean, std (B, 1, C)
        if self.bias is not None:
            prediction = prediction - self.bias.unsqueeze(-1)  # (C, 1)
        scale = self.output_scale(std)  # -> (B, 1, C)
        return prediction * scale.unsqueeze(-1) + mean.unsqueeze(-1)  # (B, 1, C, 1) -> (B, H, C, Q)

    def output_scale(self, std: Tensor) -> Tensor:
        """What one unit of a normalised forecast is worth after `denormalize`, (B, 1, C): a
        term added to the normalised forecast adds this times itself to the forecast."""
        if self.weight is None:
            return std
        # eps^2 guards the division as in the reference implementation; weight starts at 1
        return std / (self.weight + self.eps**2)
