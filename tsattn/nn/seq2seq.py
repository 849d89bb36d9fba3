"""AttentionSeq2Seq: RevIN -> input attention -> encoder -> decoder with temporal attention.

The network sees tensors only. Attention only ever covers the L past positions: the memory holds
nothing after the forecast origin, so no weight can fall on the future by construction.

Two options change what one recurrent pass sees, not what the network returns:
- `channel_independent`: each target channel (with the shared non-target variables) is its own
  sequence through one shared encoder-decoder, as in PatchTST; mixing channels overfits on small
  multivariate sets such as ETTh1. Each channel then has its own temporal attention:
  `attention_target=c` returns channel c's, and the default their mean over the channels.
- `segment_length` S > 1: the encoder steps over segments (see `Encoder`) and the decoder
  attends per timestep through `StepAttention`, so weights stay (B, N, H, L), each computed.

RevIN rescales each window's targets by their own mean and std, which a covariate acting in
absolute units cannot follow (target = 2 x price 12 steps back: the rescaled target is
(2 price - mean) / std, a ratio no additive network learns). So when there are covariates the
network forecasts two candidates from one encoder and attention: plain RevIN, and RevIN plus
an absolute-unit term added after denormalisation, linear in the values each step's attention
reads and in the window's target mean and std. Both are trained (the loss is their mean) and the
fit keeps the one with the lower validation loss (`use_absolute`): absolute units are what a
planted "2 x price" needs, and what a covariate whose level drifts between train and test (ETTh1's
loads: OT test MSE 0.036 with them, 0.027 without, at H = 24) must not get. Without covariates
there is only the first.
"""

from __future__ import annotations

from typing import NamedTuple

import torch
from torch import Tensor, nn

from tsattn.errors import DataValidationError
from tsattn.nn.categorical import CategoricalInputs
from tsattn.nn.config import NetworkConfig
from tsattn.nn.contributions import merge_channels, read_contributions
from tsattn.nn.decoder import READ_GAIN, build_decoder
from tsattn.nn.encoder import Encoder
from tsattn.nn.input_attention import InputAttention
from tsattn.nn.revin import RevIN
from tsattn.nn.static import StaticContext

__all__ = ["AttentionSeq2Seq", "ForecastOutput"]


class ForecastOutput(NamedTuple):
    """What the network returns; a NamedTuple so callers can unpack it like a plain tuple.

    prediction: (B, H, C, Q), Q = len(quantiles) or 1, in the scale of `past`.
    temporal_attention: (B, N, H, L) weights over the past per head and step, or None.
    input_attention: (B, L, V) weights over variables per past step, or None.
    candidates: both forecasts of a network with the absolute path, `prediction` being the one
    `use_absolute` selects; the training loss is taken over both.
    read_contributions: (B, H, C, L, V) what each past (timestep, variable) adds to the point
    forecast through the reads (`tsattn.nn.contributions`), in the scale of `prediction`.
    """

    prediction: Tensor
    temporal_attention: Tensor | None = None
    input_attention: Tensor | None = None
    candidates: Tensor | None = None  # (2, B, H, C, Q): plain RevIN, absolute; None if one
    read_contributions: Tensor | None = None


class AttentionSeq2Seq(nn.Module):
    """Attention-augmented LSTM/GRU encoder-decoder for multi-horizon forecasting."""

    def __init__(self, config: NetworkConfig) -> None:
        super().__init__()
        self.config = config
        self.revin = RevIN(config.n_targets) if config.revin else None
        self.categorical = (
            CategoricalInputs(config.n_features, config.n_future, config.categorical)
            if config.categorical else None
        )  # fmt: skip
        inner = config.embedded().per_channel()  # the shapes one recurrent pass sees
        # covariates beside RevIN: an absolute-unit term, linear in the reads and window stats
        self.absolute_path = config.revin and (
            inner.n_features > inner.n_targets or inner.n_future > 0
        )
        # (mean, std) of each target's window -> Q absolute outputs, per channel when CI
        n_stats = 2 if config.channel_independent else 2 * config.n_targets
        self.level = (
            nn.Linear(n_stats, n_stats // 2 * config.n_outputs) if self.absolute_path else None
        )
        if self.level is not None:  # zero: training starts from plain RevIN
            nn.init.zeros_(self.level.weight)
            nn.init.zeros_(self.level.bias)
        # which candidate `prediction` is; a buffer, so a saved model keeps the fit's choice
        self.register_buffer("use_absolute", torch.tensor(self.absolute_path))
        self.input_attention = (
            InputAttention(inner.n_features, inner.lookback, inner.hidden_size, inner.cell)
            if inner.input_attention else None
        )
        self.encoder = Encoder(inner.n_features, inner.lookback, inner.cell, inner.hidden_size,
                               inner.num_layers, inner.dropout,
                               with_memory=inner.attention != "none",
                               segment_length=inner.segment_length)
        self.decoder = build_decoder(inner, absolute=self.absolute_path)
        self.static_context = (
            StaticContext(config.n_static, config.static_cardinalities, config.cell,
                          config.hidden_size, config.num_layers)
            if config.static_width else None
        )  # fmt: skip
        # LSTNet's "highway": a linear map from each target's lookback to its horizon, shared
        # across targets. It carries the level and linear trend, so the recurrent/attention part
        # only has to model what a linear forecaster misses.
        self.highway = nn.Linear(config.lookback, config.horizon) if config.highway else None

    def set_read_dropout(self, rate: float) -> None:
        """The probability each read is dropped in a training step (`_AttentionReadout`)."""
        self.decoder.readout.read_dropout = rate

    def _check_shapes(self, past: Tensor, future: Tensor | None, static: Tensor | None) -> None:
        cfg = self.config
        if cfg.static_width and (static is None or tuple(static.shape) != (past.shape[0],
                                                                            cfg.static_width)):
            raise DataValidationError(
                f"the network was built with {cfg.static_width} static covariate values per "
                f"series, so static must have shape (B, {cfg.static_width}), but got "
                f"{None if static is None else tuple(static.shape)}."
            )
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
                attention_target: int | None = None,
                static: Tensor | None = None,
                return_contributions: bool = False) -> ForecastOutput:
        """Forecast H steps from a past window and the known-future features.

        past: (B, L, V), the first C variables being the targets; future: (B, H, F) or None when
        F = 0; static: (B, Z) encoded static covariates, for a network built with some.
        Attention tensors are returned only when `return_attention` is True;
        `attention_target` picks one target's temporal attention in a channel-independent
        network (a channel-mixing one has a single attention for every target).
        `return_contributions` adds `read_contributions` (and the attention).
        """
        # B batch, L lookback, H horizon, V variables, F known-future features, C targets,
        # D hidden, N heads, Q quantiles
        self._check_shapes(past, future, static)
        if attention_target is not None and not 0 <= attention_target < self.config.n_targets:
            raise ValueError(
                f"attention_target must index one of the {self.config.n_targets} targets, "
                f"but got {attention_target}"
            )
        if future is not None and future.size(-1) == 0:
            future = None
        return_attention = return_attention or return_contributions
        x = past
        window_std = None  # each window's target std under RevIN: contributions scale by it
        if self.revin is not None:
            x, mean, std = self.revin.normalize(x)  # -> (B, L, V), (B, 1, C), (B, 1, C)
            window_std = std
        if self.categorical is not None:  # codes -> embeddings, numeric columns first
            x, future = self.categorical(x, future)  # -> (B, L, V'), (B, H, F')
        # taken before input attention reweights it: the autoregressive decoder's first feedback
        x_targets = x[:, :, : self.config.n_targets]  # -> (B, L, C), the scale of predictions
        prediction, temporal_weights, input_weights, reads = self._recurrent(
            x, future, return_attention, attention_target, static
        )
        if self.highway is not None:
            targets = x_targets.transpose(1, 2)  # -> (B, C, L)
            linear = self.highway(targets).transpose(1, 2).unsqueeze(-1)  # -> (B, H, C, 1)
        if not self.absolute_path:
            if self.highway is not None:
                prediction = prediction + linear  # -> (B, H, C, Q)
            if self.revin is not None:
                prediction = self.revin.denormalize(prediction, mean, std)  # -> (B, H, C, Q)
            candidates = None
        else:
            assert self.revin is not None  # the absolute path exists only beside RevIN
            # (B, H, C, 3Q) -> plain-RevIN, absolute-candidate and absolute-term (B, H, C, Q)
            plain, scaled, absolute = prediction.chunk(3, dim=-1)
            if self.highway is not None:  # the highway is a window-scale forecast
                plain, scaled = plain + linear, scaled + linear
            absolute = absolute + self._level_term(mean, std).unsqueeze(1)  # (B, 1, C, Q)
            candidates = torch.stack([
                self.revin.denormalize(plain, mean, std),
                self.revin.denormalize(scaled, mean, std) + absolute,
            ])  # -> (2, B, H, C, Q)
            prediction = candidates[1] if bool(self.use_absolute) else candidates[0]
        if not return_attention:
            return ForecastOutput(prediction, candidates=candidates)
        if input_weights is not None and self.categorical is not None:
            input_weights = self.categorical.fold(input_weights)  # -> (B, L, V)
        contributions = (
            self._read_contributions(*reads, window_std) if return_contributions and reads else None
        )
        return ForecastOutput(prediction, temporal_weights, input_weights, candidates,
                              contributions)

    def _read_contributions(self, weights: Tensor, values: Tensor,
                            std: Tensor | None) -> Tensor | None:
        """(B, H, C, L, V) contributions to the point forecast `forward` returns, from the
        decoder's per-read weights (B', N*G, H, L) and the values it read (B', L, V'), B' and V'
        per channel when channel-independent; None for a network without reads."""
        # B batch, C targets, T terms, G reads, V variables
        coefficients = self.decoder.readout.read_coefficients(self.config.median_index)
        if coefficients is None:
            return None
        C = self.config.n_targets
        if self.absolute_path and bool(self.use_absolute):  # window-scale part + absolute units
            window_scale, absolute = coefficients[:, 1], coefficients[:, 2]  # (C', G, V') each
        else:
            window_scale, absolute = coefficients[:, 0], None
        per_window = window_scale.expand(values.size(0), *window_scale.shape)  # -> (B', C', G, V')
        if self.revin is not None and std is not None:
            scale = self.revin.output_scale(std).reshape(values.size(0), -1)  # -> (B', C')
            per_window = per_window * scale[:, :, None, None]
        if absolute is not None:
            per_window = per_window + absolute
        contributions = read_contributions(weights, values, per_window)  # -> (B', H, C', L, V')
        if self.config.channel_independent:
            contributions = merge_channels(contributions, C)  # -> (B, H, C, L, V')
        if self.categorical is not None:
            contributions = self.categorical.fold(contributions)  # -> (B, H, C, L, V)
        return contributions

    def _level_term(self, mean: Tensor, std: Tensor) -> Tensor:
        """(B, C, Q) absolute outputs from each target's window mean and std (B, 1, C) each."""
        assert self.level is not None
        B, C, Q = mean.size(0), self.config.n_targets, self.config.n_outputs
        stats = torch.stack([mean, std], dim=-1).view(B, C, 2)  # -> (B, C, 2)
        if not self.config.channel_independent:
            stats = stats.view(B, 1, 2 * C)  # one map of every target's stats
        return READ_GAIN * self.level(stats).view(B, C, Q)

    def _recurrent(self, x: Tensor, future: Tensor | None, return_attention: bool,
                   attention_target: int | None = None, static: Tensor | None = None
                   ) -> tuple[Tensor, Tensor | None, Tensor | None, tuple[Tensor, Tensor] | None]:
        """Input attention, encoder and decoder; per channel when channel-independent.

        With `return_attention` the last item is what the reads used: the decoder's weights
        (B', N*G, H, L) before any mean over channels, and the values (B', L, V') they read.

        Weights are reshaped to (B, N, H, L) only when asked for: in training that expansion
        would cost a third of the step for tensors nobody reads.
        """
        # B batch, L lookback, H horizon, V variables, C targets, S segment length, N heads
        cfg = self.config
        B, C = x.size(0), cfg.n_targets
        if cfg.channel_independent:
            x, future = _split_channels(x, future, C)  # -> (B*C, L, 1 + V - C), (B*C, H, F)
            if static is not None:
                static = static.repeat_interleave(C, dim=0)  # -> (B*C, Z)
        initial = (
            self.static_context(static)
            if self.static_context is not None and static is not None else None
        )  # fmt: skip
        own_targets = 1 if cfg.channel_independent else C
        last_target = x[:, -1, :own_targets]  # -> (B, C) or (B*C, 1)
        input_weights = None
        if self.input_attention is not None:
            x, input_weights = self.input_attention(x)  # -> (B, L, V), (B, L, V)
        memory, state = self.encoder(x, initial)  # -> (B', L/S, D)
        prediction, temporal_weights = self.decoder(
            memory, state, future, last_target, x, return_attention
        )  # -> (B', H, C', Q), (B', N, H, L) per timestep
        if cfg.channel_independent:
            Q = prediction.size(-1)
            # (B*C, H, 1, Q) -> (B, C, H, Q) -> (B, H, C, Q)
            prediction = prediction.view(B, C, cfg.horizon, Q).transpose(1, 2)
        if temporal_weights is None or not return_attention:
            return prediction, None, input_weights, None
        reads = (temporal_weights, x)
        if cfg.channel_independent:  # (B*C, N, H, L) -> (B, C, N, H, L) -> (B, N, H, L)
            per_target = temporal_weights.view(B, C, *temporal_weights.shape[1:])
            temporal_weights = (
                per_target.mean(1) if attention_target is None else per_target[:, attention_target]
            )
        return prediction, temporal_weights, input_weights, reads


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
