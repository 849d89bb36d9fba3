"""Decoders: turn the encoder memory and known-future features into (B, H, C, Q) forecasts.

- `DirectDecoder` (default) builds all H queries at once and attends in one batched call: no loop,
  no error accumulation, and each step's query sees only its own known-future features. With
  `segment_length` S > 1 one query forecasts a segment of S steps (SegRNN's parallel decoding):
  S times fewer queries, each seeing its segment's known-future features.
- `AutoregressiveDecoder` steps an RNN over H, feeding back its own previous point forecast
  (free-running, as at prediction time, so training and inference see the same inputs).

Both read the memory through the same attention interface and the same output head on
[query, context]; with attention "none" the query alone feeds the head and the weights are None.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from tsattn.nn.attention import build_attention
from tsattn.nn.config import NetworkConfig
from tsattn.nn.encoder import RNNState, build_rnn, top_hidden

__all__ = ["AutoregressiveDecoder", "DirectDecoder", "OutputHead", "build_decoder"]


class OutputHead(nn.Module):
    """A small MLP from per-query features (B, H/S, in) to forecasts (B, H/S * S, C, Q)."""

    def __init__(self, in_size: int, hidden_size: int, n_targets: int, n_outputs: int,
                 dropout: float, steps_per_query: int = 1) -> None:
        super().__init__()
        self.n_targets, self.n_outputs, self.steps = n_targets, n_outputs, steps_per_query
        self.net = nn.Sequential(
            nn.Dropout(dropout),
            nn.Linear(in_size, hidden_size),
            nn.GELU(),
            nn.Linear(hidden_size, steps_per_query * n_targets * n_outputs),
        )

    def forward(self, features: Tensor) -> Tensor:
        # B batch, H horizon, S steps per query, C targets, Q quantiles
        B, n_queries, _ = features.shape
        # (B, H/S, S*C*Q) -> (B, H/S * S, C, Q): each query's S steps in order
        return self.net(features).view(B, n_queries * self.steps, self.n_targets, self.n_outputs)


class _AttentionReadout(nn.Module):
    """Attention (or none) followed by the head: shared by both decoders."""

    def __init__(self, config: NetworkConfig, steps_per_query: int = 1) -> None:
        super().__init__()
        D = config.hidden_size
        self.attention = build_attention(config.attention, D, config.num_heads)
        in_size = D if self.attention is None else 2 * D
        self.head = OutputHead(in_size, D, config.n_targets, config.n_outputs, config.dropout,
                               steps_per_query)

    def forward(self, query: Tensor, memory: Tensor) -> tuple[Tensor, Tensor | None]:
        # B batch, H horizon (or 1 step), L lookback, D hidden, N heads, C targets, Q quantiles
        if self.attention is None:
            return self.head(query), None
        context, weights = self.attention(query, memory, memory)  # -> (B, H, D), (B, N, H, L)
        features = torch.cat([query, context], dim=-1)  # -> (B, H, 2D)
        return self.head(features), weights


class DirectDecoder(nn.Module):
    """All H steps at once, one query per segment j of S steps (S = 1: one per step):

        query[j] = W_s s_L + step_emb[j] + W_f future[jS : (j + 1)S]

    A horizon that is not a multiple of S gets a last, partial segment (zero-padded features,
    extra forecasts dropped).
    """

    def __init__(self, config: NetworkConfig) -> None:
        super().__init__()
        D, S = config.hidden_size, config.segment_length
        self.horizon, self.segment_length = config.horizon, S
        n_queries = -(-config.horizon // S)
        self.state_proj = nn.Linear(D, D)
        self.step_emb = nn.Parameter(torch.randn(n_queries, D) * 0.1)
        self.future_proj = nn.Linear(S * config.n_future, D) if config.n_future > 0 else None
        self.readout = _AttentionReadout(config, steps_per_query=S)

    def forward(self, memory: Tensor, state: RNNState, future: Tensor | None,
                last_target: Tensor) -> tuple[Tensor, Tensor | None]:
        # B batch, L' memory slots, H horizon, S segment length, F known-future features,
        # D hidden, N heads, C targets, Q quantiles; last_target is unused (no feedback here)
        H = self.horizon
        query = self.state_proj(top_hidden(state)).unsqueeze(1) + self.step_emb  # -> (B, H/S, D)
        if self.future_proj is not None and future is not None:
            query = query + self.future_proj(self._segments(future))  # (B, H/S, S*F) -> (.., D)
        prediction, weights = self.readout(query, memory)  # -> (B, H/S*S, C, Q), (B,N,H/S,L')
        return prediction[:, :H], weights  # -> (B, H, C, Q), weights per query (not per step)

    def step_weights(self, weights: Tensor) -> Tensor:
        """Per-query weights (B, N, H/S, L') -> per-step (B, N, H, L'): a segment's S steps share
        its query's weights. Kept out of `forward` because training never reads weights."""
        if self.segment_length == 1:
            return weights
        return weights.repeat_interleave(self.segment_length, dim=2)[:, :, : self.horizon]

    def _segments(self, future: Tensor) -> Tensor:
        """(B, H, F) -> (B, H/S, S*F), zero-padding a partial last segment."""
        B, H, F = future.shape
        S = self.segment_length
        padded = nn.functional.pad(future, (0, 0, 0, -H % S))  # -> (B, ceil(H/S)*S, F)
        return padded.reshape(B, -1, S * F)


class AutoregressiveDecoder(nn.Module):
    """One RNN step per horizon step, fed [previous point forecast, future[h]].

    It always steps per timestep (feedback needs each step's forecast); `segment_length` only
    changes the encoder, so its attention reads segment slots.

    The encoder's final state (all layers) initialises the decoder RNN, which therefore has the
    same cell type and depth. The first "previous forecast" is the last observed target value.
    """

    def __init__(self, config: NetworkConfig) -> None:
        super().__init__()
        D = config.hidden_size
        self.horizon = config.horizon
        self.median_index = config.median_index
        self.rnn = build_rnn(config.cell, config.n_targets + config.n_future, D,
                             config.num_layers, config.dropout)
        self.step_emb = nn.Parameter(torch.randn(config.horizon, D) * 0.1)
        self.readout = _AttentionReadout(config)

    def forward(self, memory: Tensor, state: RNNState, future: Tensor | None,
                last_target: Tensor) -> tuple[Tensor, Tensor | None]:
        # B batch, L lookback, H horizon, F known-future features, D hidden, N heads,
        # C targets, Q quantiles; last_target (B, C) seeds the feedback
        previous = last_target
        predictions, weights = [], []
        # A loop over H is inherent: step h's input is step h-1's prediction.
        for h in range(self.horizon):
            step_input = previous if future is None else torch.cat([previous, future[:, h]], -1)
            out, state = self.rnn(step_input.unsqueeze(1), state)  # (B, 1, C+F) -> (B, 1, D)
            query = out + self.step_emb[h]  # -> (B, 1, D)
            prediction, weight = self.readout(query, memory)  # -> (B, 1, C, Q), (B, N, 1, L)
            previous = prediction[:, 0, :, self.median_index]  # -> (B, C)
            predictions.append(prediction)
            weights.append(weight)
        prediction = torch.cat(predictions, dim=1)  # -> (B, H, C, Q)
        if weights[0] is None:
            return prediction, None
        return prediction, torch.cat(weights, dim=2)  # -> (B, N, H, L)

    def step_weights(self, weights: Tensor) -> Tensor:
        """Already one row per horizon step: (B, N, H, L') unchanged."""
        return weights


def build_decoder(config: NetworkConfig) -> DirectDecoder | AutoregressiveDecoder:
    """Factory by `config.decoder` (the config has already validated the name)."""
    if config.decoder == "autoregressive":
        return AutoregressiveDecoder(config)
    return DirectDecoder(config)
