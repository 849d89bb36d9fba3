"""Temporal attention: each of the H forecast queries reads a weighted mix of the L encoder steps.

All modules share one interface so the decoder never needs to know which one it holds:

    forward(query (B, H, D), keys (B, L, D), values (B, L, D))
        -> context (B, H, D), weights (B, N, H, L)

split in two for callers that shape the weights themselves (`StepAttention`):

    logits(query, keys) -> (B, N, H, L);  combine(weights, values) -> context (B, H, D)

Weights are a softmax over L (they sum to one per head and step) and are computed explicitly (no
fused `scaled_dot_product_attention`) because interpretation needs them returned. N = 1 except for
multi-head attention.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from tsattn.errors import ConfigError

__all__ = [
    "AdditiveAttention",
    "DotAttention",
    "GeneralAttention",
    "MultiHeadAttention",
    "TemporalAttention",
    "build_attention",
]


class TemporalAttention(nn.Module):
    """Base class: subclasses define `logits`; weights are its softmax over L."""

    num_heads: int = 1

    def logits(self, query: Tensor, keys: Tensor) -> Tensor:
        """Logits (B, N, H, L) of each query against each key."""
        raise NotImplementedError

    def combine(self, weights: Tensor, values: Tensor) -> Tensor:
        """The context (B, H, D) that weights (B, N, H, L) read from values (B, L, D)."""
        return weights.squeeze(1) @ values  # (B, H, L) @ (B, L, D) -> (B, H, D)

    def forward(self, query: Tensor, keys: Tensor, values: Tensor) -> tuple[Tensor, Tensor]:
        # B batch, H horizon, L lookback, D hidden, N heads
        weights = F.softmax(self.logits(query, keys), dim=-1)  # -> (B, N, H, L)
        return self.combine(weights, values), weights


class AdditiveAttention(TemporalAttention):
    """Bahdanau et al. (2015), reparametrised: score = v . sigmoid(W_q q + W_k k).

    An MLP score can learn non-linear matches (e.g. "this step, that position") that a bilinear
    score cannot; the price is a (B, H, L, D) intermediate, fine for forecasting-sized L and H.
    Since tanh(x) = 2 sigmoid(2x) - 1, v . tanh(W_q q + W_k k) equals v' . sigmoid(W_q' q + W_k' k)
    with the factors folded into the weights, minus sum(v), a constant the softmax ignores: the
    same scores. Sigmoid because torch's CPU tanh kernel runs ~6x slower, and this intermediate
    is the largest activation of a training step.
    """

    def __init__(self, hidden_size: int) -> None:
        super().__init__()
        self.query_proj = nn.Linear(hidden_size, hidden_size, bias=False)
        self.key_proj = nn.Linear(hidden_size, hidden_size)
        self.score = nn.Linear(hidden_size, 1, bias=False)

    def logits(self, query: Tensor, keys: Tensor) -> Tensor:
        # B batch, H horizon, L lookback, D hidden
        q = self.query_proj(query).unsqueeze(2)  # -> (B, H, 1, D)
        k = self.key_proj(keys).unsqueeze(1)  # -> (B, 1, L, D)
        return self.score(torch.sigmoid(q + k)).squeeze(-1).unsqueeze(1)  # -> (B, 1, H, L)


class GeneralAttention(TemporalAttention):
    """Luong et al. (2015) "general": score = q^T W k, a learned bilinear match."""

    def __init__(self, hidden_size: int) -> None:
        super().__init__()
        self.key_proj = nn.Linear(hidden_size, hidden_size, bias=False)

    def logits(self, query: Tensor, keys: Tensor) -> Tensor:
        # B batch, H horizon, L lookback, D hidden
        scores = query @ self.key_proj(keys).transpose(1, 2)  # (B, H, D) @ (B, D, L) -> (B, H, L)
        return scores.unsqueeze(1)  # -> (B, 1, H, L)


class DotAttention(TemporalAttention):
    """Luong et al. (2015) "dot": score = q^T k, no parameters.

    Unscaled, as in Luong; the query and key spaces must already agree, which the decoder's learned
    query projection and the encoder memory's learned embeddings provide.
    """

    def logits(self, query: Tensor, keys: Tensor) -> Tensor:
        # B batch, H horizon, L lookback, D hidden
        return (query @ keys.transpose(1, 2)).unsqueeze(1)  # (B, H, D) @ (B, D, L) -> (B, 1, H, L)


class MultiHeadAttention(TemporalAttention):
    """Vaswani et al. (2017) scaled dot-product attention over N heads of size D / N.

    Several heads can follow several lags at once (e.g. a daily and a weekly one).
    """

    def __init__(self, hidden_size: int, num_heads: int) -> None:
        super().__init__()
        if hidden_size % num_heads != 0:
            raise ConfigError(
                f"hidden_size must be divisible by num_heads, but got hidden_size={hidden_size}, "
                f"num_heads={num_heads}."
            )
        self.num_heads = num_heads
        self.head_size = hidden_size // num_heads
        self.query_proj = nn.Linear(hidden_size, hidden_size)
        self.key_proj = nn.Linear(hidden_size, hidden_size)
        self.value_proj = nn.Linear(hidden_size, hidden_size)
        self.out_proj = nn.Linear(hidden_size, hidden_size)

    def _split(self, x: Tensor) -> Tensor:
        # (B, T, D) -> (B, T, N, D/N) -> (B, N, T, D/N)
        return x.view(x.size(0), x.size(1), self.num_heads, self.head_size).transpose(1, 2)

    def logits(self, query: Tensor, keys: Tensor) -> Tensor:
        # B batch, H horizon, L lookback, D hidden, N heads
        q = self._split(self.query_proj(query))  # -> (B, N, H, D/N)
        k = self._split(self.key_proj(keys))  # -> (B, N, L, D/N)
        return q @ k.transpose(-2, -1) / math.sqrt(self.head_size)  # -> (B, N, H, L)

    def combine(self, weights: Tensor, values: Tensor) -> Tensor:
        # B batch, N heads, H horizon, L lookback, D hidden
        B, _, H, _ = weights.shape
        v = self._split(self.value_proj(values))  # -> (B, N, L, D/N)
        context = (weights @ v).transpose(1, 2).reshape(B, H, -1)  # (B, N, H, D/N) -> (B, H, D)
        return self.out_proj(context)


def build_attention(kind: str, hidden_size: int, num_heads: int = 1) -> TemporalAttention | None:
    """Factory by name; "none" gives None so callers skip the attention path entirely."""
    if kind == "additive":
        return AdditiveAttention(hidden_size)
    if kind == "general":
        return GeneralAttention(hidden_size)
    if kind == "dot":
        return DotAttention()
    if kind == "multihead":
        return MultiHeadAttention(hidden_size, num_heads)
    if kind == "none":
        return None
    raise ConfigError(
        f"attention must be one of 'additive', 'general', 'dot', 'multihead', 'none', "
        f"but got attention={kind!r}."
    )
