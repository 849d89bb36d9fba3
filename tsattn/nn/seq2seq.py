"""AttentionSeq2Seq: RevIN -> input attention -> encoder -> decoder with temporal attention.

The network sees tensors only. Attention only ever covers the L past positions: the memory holds
nothing after the forecast origin, so no weight can fall on the future by construction.

Two options change what one recurrent pass sees, not what the network returns:
- `channel_independent`: each target channel (with the shared non-target variables) is its own
  sequence through one shared encoder-decoder, as in PatchTST; mixing channels overfits on small
  multivariate sets such as ETTh1. Each channel then has its own temporal attention:
  `attention_target=c` returns channel c's, and the default their mean over the channels.
- `segment_length` S > 1: the encoder steps over segments (see `Encoder`); each segment's
  attention weight is spread evenly over its S timesteps, so weights stay (B, N, H, L).
"""

from __future__ import annotations

from typing import NamedTuple

import torch
from torch import Tensor, nn

from tsattn.errors import DataValidationError
from tsattn.nn.config import NetworkConfig
from tsattn.nn.decoder import build_decoder
from tsattn.nn.encoder import Encoder
from tsattn.nn.input_attention import InputAttention
from tsattn.nn.revin import RevIN

__all__ = ["AttentionSeq2Seq", "ForecastOutput"]


class ForecastOutput(NamedTuple):
    """What the network returns; a NamedTuple so callers can unpack it like a plain tuple.

    prediction: (B, H, C, Q), Q = len(quantiles) or 1, in the scale of `past`.
    temporal_attention: (B, N, H, L) weights over the past per head and step, or None.
    input_attention: (B, L, V) weights over variables per past step, or None.
    """

    prediction: Tensor
    temporal_attention: Tensor | None = None
    input_attention: Tensor | None = None


class AttentionSeq2Seq(nn.Module):
    """Attention-augmented LSTM/GRU encoder-decoder for multi-horizon forecasting."""

    def __init__(self, config: NetworkConfig) -> None:
        super().__init__()
        self.config = config
        self.revin = RevIN(config.n_targets) if config.revin else None
        inner = config.per_channel()  # the shapes one recurrent pass sees
        self.input_attention = (
            InputAttention(inner.n_features, inner.lookback, inner.hidden_size, inner.cell)
            if inner.input_attention else None
        )
        self.encoder = Encoder(inner.n_features, inner.lookback, inner.cell, inner.hidden_size,
                               inner.num_layers, inner.dropout,
                               with_memory=inner.attention != "none",
                               segment_length=inner.segment_length)
        self.decoder = build_decoder(inner)
        # LSTNet's "highway": a linear map from each target's lookback to its horizon, shared
        # across targets. It carries the level and linear trend, so the recurrent/attention part
        # only has to model what a linear forecaster misses.
        self.highway = nn.Linear(config.lookback, config.horizon) if config.highway else None

    def _check_shapes(self, past: Tensor, future: Tensor | None) -> None:
        cfg = self.config
        if past.dim() != 3 or tuple(past.shape[1:]) != (cfg.lookback, cfg.n_features):
            raise DataValidationError(
                f"past must have shape (B, lookback={cfg.lookback}, n_features={cfg.n_features}), "
                f"but got {tuple(past.shape)}; build the network from the data's shapes."
            )
        expected = (past.shape[0], cfg.horizon, cfg.n_future)
        if future is None and cfg.n_future > 0:
            raise DataValidationError(
                f"the network was built with n_future={cfg.n_future} known-future features, "
                f"but got future=None; pass a (B, H, F) tensor."
            )
        if future is not None and tuple(future.shape) != expected:
            raise DataValidationError(
                f"future must have shape (B, H, F) = {expected}, but got {tuple(future.shape)}."
            )

    def forward(self, past: Tensor, future: Tensor | None = None,
                return_attention: bool = False,
                attention_target: int | None = None) -> ForecastOutput:
        """Forecast H steps from a past window and the known-future features.

        past: (B, L, V), the first C variables being the targets; future: (B, H, F) or None when
        F = 0. Attention tensors are returned only when `return_attention` is True;
        `attention_target` picks one target's temporal attention in a channel-independent
        network (a channel-mixing one has a single attention for every target).
        """
        # B batch, L lookback, H horizon, V variables, F known-future features, C targets,
        # D hidden, N heads, Q quantiles
        self._check_shapes(past, future)
        if attention_target is not None and not 0 <= attention_target < self.config.n_targets:
            raise ValueError(
                f"attention_target must index one of the {self.config.n_targets} targets, "
                f"but got {attention_target}"
            )
        if future is not None and future.size(-1) == 0:
            future = None
        x = past
        if self.revin is not None:
            x, mean, std = self.revin.normalize(x)  # -> (B, L, V), (B, 1, C), (B, 1, C)
        # taken before input attention reweights it: the autoregressive decoder's first feedback
        x_targets = x[:, :, : self.config.n_targets]  # -> (B, L, C), the scale of predictions
        prediction, temporal_weights, input_weights = self._recurrent(
            x, future, return_attention, attention_target
        )
        if self.highway is not None:
            targets = x_targets.transpose(1, 2)  # -> (B, C, L)
            linear = self.highway(targets).transpose(1, 2)  # -> (B, H, C)
            prediction = prediction + linear.unsqueeze(-1)  # -> (B, H, C, Q)
        if self.revin is not None:
            prediction = self.revin.denormalize(prediction, mean, std)  # -> (B, H, C, Q)
        if not return_attention:
            return ForecastOutput(prediction)
        return ForecastOutput(prediction, temporal_weights, input_weights)

    def _recurrent(self, x: Tensor, future: Tensor | None, return_attention: bool,
                   attention_target: int | None = None
                   ) -> tuple[Tensor, Tensor | None, Tensor | None]:
        """Input attention, encoder and decoder; per channel when channel-independent.

        Weights are reshaped to (B, N, H, L) only when asked for: in training that expansion
        would cost a third of the step for tensors nobody reads.
        """
        # B batch, L lookback, H horizon, V variables, C targets, S segment length, N heads
        cfg = self.config
        B, C = x.size(0), cfg.n_targets
        if cfg.channel_independent:
            x, future = _split_channels(x, future, C)  # -> (B*C, L, 1 + V - C), (B*C, H, F)
        own_targets = 1 if cfg.channel_independent else C
        last_target = x[:, -1, :own_targets]  # -> (B, C) or (B*C, 1)
        input_weights = None
        if self.input_attention is not None:
            x, input_weights = self.input_attention(x)  # -> (B, L, V), (B, L, V)
        memory, state = self.encoder(x)  # -> (B', L/S, D)
        prediction, temporal_weights = self.decoder(memory, state, future, last_target)
        if cfg.channel_independent:
            Q = prediction.size(-1)
            # (B*C, H, 1, Q) -> (B, C, H, Q) -> (B, H, C, Q)
            prediction = prediction.view(B, C, cfg.horizon, Q).transpose(1, 2)
        if temporal_weights is None or not return_attention:
            return prediction, None, input_weights
        if cfg.channel_independent:  # (B*C, N, H', L') -> (B, C, N, H', L') -> (B, N, H', L')
            per_target = temporal_weights.view(B, C, *temporal_weights.shape[1:])
            temporal_weights = (
                per_target.mean(1) if attention_target is None else per_target[:, attention_target]
            )
        temporal_weights = self.decoder.step_weights(temporal_weights)  # -> (B, N, H, L')
        if cfg.segment_length > 1:
            S = cfg.segment_length
            temporal_weights = temporal_weights.repeat_interleave(S, dim=-1) / S  # -> (B, N, H, L)
        return prediction, temporal_weights, input_weights


def _split_channels(x: Tensor, future: Tensor | None, n_targets: int
                    ) -> tuple[Tensor, Tensor | None]:
    """One sequence per (sample, target channel): the channel's own values then the shared ones.

    Rows are sample-major (row b*C + c), so a plain `view` reassembles the forecasts.
    """
    # B batch, L lookback, V variables, C targets, H horizon, F known-future features
    B, L, _ = x.shape
    C = n_targets
    own = x[..., :C].transpose(1, 2).reshape(B * C, L, 1)  # (B, C, L) -> (B*C, L, 1)
    if future is not None:
        future = future.repeat_interleave(C, dim=0)  # -> (B*C, H, F)
    if x.size(-1) == C:  # targets only: a cat with an empty tensor still costs a copy each way
        return own, future
    shared = x[..., C:].repeat_interleave(C, dim=0)  # -> (B*C, L, V - C)
    return torch.cat([own, shared], dim=-1), future
