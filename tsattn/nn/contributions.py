"""What each past (timestep, variable) adds to a forecast through the decoder's reads.

Each forecast step reads the past values with its attention weights and adds a linear term of
those reads to its forecast (`_AttentionReadout`), so that term splits exactly over the past:

    term[h, c] = sum_(t, v) contribution[h, c, t, v],
    contribution[h, c, t, v] = sum_g coefficient[c, g, v] * w_g[h, t] * x[t, v]

with w_g read g's weights (the mean over the attention's heads) and x the values the reads see:
covariates on the fitted scale, so a value at its training mean (0 unscaled) adds nothing, and under
RevIN the targets' own history relative to each window's mean (as for a linear model, each
contribution is measured from that baseline).
This is the part of the forecast the attention decides directly; the context the attention hands
the output head is not in it. The attention weights alone say where a step looks; this says
which variable's value there moved the forecast, by how much and in which direction, and two
reads that cancel each other's share of a timestep cancel here too. A step-by-step decoder
feeds each forecast back as the next step's input: there a step's contributions are its own
term, and the steps after it get a share of it through that feedback as well.
"""

from __future__ import annotations

import torch
from torch import Tensor

__all__ = ["merge_channels", "read_contributions"]


def read_contributions(weights: Tensor, values: Tensor, coefficients: Tensor) -> Tensor:
    """(B, H, C, L, V) contributions from per-read weights (B, N*G, H, L), heads outer, the
    values the reads took (B, L, V) and per-window coefficients (B, C, G, V)."""
    # B batch, N heads, G reads, H horizon, L lookback, V variables, C targets
    B, NG, H, L = weights.shape
    G = coefficients.size(2)
    per_read = weights.view(B, NG // G, G, H, L).mean(1)  # -> (B, G, H, L): the reads' weights
    return torch.einsum("bcgv,bght,btv->bhctv", coefficients, per_read, values)


def merge_channels(contributions: Tensor, n_targets: int) -> Tensor:
    """A channel-independent network's contributions, (B*C, H, 1, L, 1 + V - C) per (window,
    target) with the target's own values first, as (B, H, C, L, V) over the model's variables:
    target c's own column is variable c, the shared ones follow the targets."""
    # B batch, C targets, H horizon, L lookback, V variables
    BC, H, _, L, own_and_shared = contributions.shape
    C = n_targets
    per_target = contributions.view(BC // C, C, H, L, own_and_shared)
    own = torch.diag_embed(per_target[..., 0].permute(0, 2, 3, 1))  # -> (B, H, L, C, C)
    own = own.permute(0, 1, 3, 2, 4)  # -> (B, H, C, L, C): target c's own values at column c
    shared = per_target[..., 1:].permute(0, 2, 1, 3, 4)  # -> (B, H, C, L, V - C)
    return torch.cat([own, shared], dim=-1)
