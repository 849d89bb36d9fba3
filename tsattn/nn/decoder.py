"""Decoders: turn the encoder memory and known-future features into (B, H, C, Q) forecasts.

- `DirectDecoder` (default) builds all H queries at once and attends in one batched call: no loop,
  no error accumulation, and each step's query sees only its own known-future features. With
  `segment_length` S > 1 one query forecasts a segment of S steps (SegRNN's parallel decoding):
  S times fewer queries, each seeing its segment's known-future features.
- `AutoregressiveDecoder` steps an RNN over H, feeding back its own previous point forecast
  (free-running, as at prediction time, so training and inference see the same inputs).

Both read the memory through the same attention interface and the same output head on
[query, context]; with attention "none" the query alone feeds the head and the weights are None.
Both attend through `StepAttention`, per timestep even over a segment encoder, so the weights
they return are always (B, N*G, H, L): one row per forecast step, G reads per head.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from tsattn.nn.attention import build_attention
from tsattn.nn.config import NetworkConfig
from tsattn.nn.encoder import RNNState, build_rnn, top_hidden
from tsattn.nn.step_attention import StepAttention

__all__ = ["AutoregressiveDecoder", "DirectDecoder", "OutputHead", "READ_GAIN", "build_decoder"]

READ_GAIN = 10.0
# The share of a target's own read values its read term starts with (see
# _start_from_own_values): enough to train the weights from the first step. A full copy (1.0)
# pulled the reads onto the target's own recent values and cost a second driver (B5 two-drivers
# 15.9x its noise floor, against 1.8x at 0.1 and 2.0x at 0.3).
OWN_VALUE_START = 0.1


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
    """Attention (or none) followed by the head: shared by both decoders.

    The attention is read through a `StepAttention`: each step's weights over the timesteps are
    its own (over a segment encoder too), and the input values it reads at the weighted
    timesteps add a linear term to that step's forecast, so a lag it finds is used directly.

    With `absolute` it returns three groups of Q outputs (see AttentionSeq2Seq): the plain-RevIN
    candidate, the absolute candidate's window-scale part, and that candidate's absolute-unit
    term (linear in the reads). The plain candidate is a head of its own on the same features,
    detached: the network is trained for the absolute candidate, as a plain model is for its
    one forecast, and the plain head learns the best it can from those features.
    """

    def __init__(self, config: NetworkConfig, steps_per_query: int = 1, n_steps: int = 1,
                 absolute: bool = False) -> None:
        super().__init__()
        D, C, Q = config.hidden_size, config.n_targets, config.n_outputs
        self.attention = build_attention(config.attention, D, config.num_heads)
        self.steps = StepAttention(
            self.attention, D, config.lookback, config.segment_length, steps_per_query, n_steps,
            config.num_reads,
        ) if self.attention is not None else None
        in_size = D if self.attention is None else 2 * D
        n_read = 0 if self.steps is None else self.steps.n_reads * config.n_features

        def head() -> OutputHead:
            return OutputHead(in_size, D, C, Q, config.dropout, steps_per_query)

        self.head = head()
        # the reads' linear terms: window scale, plus the absolute-unit term with `absolute`
        self.read_out = _zero_linear(n_read, C * Q * (2 if absolute else 1)) if n_read else None
        self.plain_head = head() if absolute else None
        self.plain_read_out = _zero_linear(n_read, C * Q) if absolute and n_read else None
        self.read_dropout = 0.0  # set by the training loop, never saved: 0 outside training
        if self.steps is not None:
            for linear, groups in ((self.read_out, 2 if absolute else 1), (self.plain_read_out, 1)):
                if linear is not None:
                    _start_from_own_values(linear, self.steps.n_reads, config.n_features, C, Q,
                                           groups)

    def forward(self, query: Tensor, memory: Tensor, past: Tensor, return_attention: bool,
                first_step: int = 0) -> tuple[Tensor, Tensor | None]:
        # B batch, J queries, R steps per query, L lookback, P memory slots, V variables,
        # D hidden, N heads, C targets, Q outputs
        weights = None
        if self.steps is None:
            features, read = query, None
        else:
            reading = self.steps(query, memory, past, first_step)
            features, read = torch.cat([query, reading.context], dim=-1), reading.read
            read = self._drop_reads(read)
            if return_attention:
                weights = reading.timestep_weights()  # -> (B, N, J*R, L)
        prediction = self.head(features)  # -> (B, J*R, C, Q)
        B, JR, C, Q = prediction.shape
        absolute = torch.zeros_like(prediction)
        if self.read_out is not None and read is not None:
            # READ_GAIN: a read weight must grow from 0 to O(1), which at Adam's ~lr per step
            # would take a thousand steps; scaled, it takes READ_GAIN times fewer
            per_step = READ_GAIN * self.read_out(read).view(B, JR, C, -1)  # -> (.., Q or 2Q)
            prediction = prediction + per_step[..., :Q]
            if self.plain_head is not None:
                absolute = per_step[..., Q:]
        if self.plain_head is None:
            return prediction, weights
        plain = self.plain_head(features.detach())
        if self.plain_read_out is not None and read is not None:
            plain = plain + READ_GAIN * self.plain_read_out(read.detach()).view(B, JR, C, Q)
        return torch.cat([plain, prediction, absolute], dim=-1), weights  # -> (B, JR, C, 3Q)

    def read_coefficients(self, output: int) -> Tensor | None:
        """What one unit of each read adds to output `output` of each term, READ_GAIN times the
        read maps' weights: (C, T, G, V) per target, term, read and variable. T = 1 (the one
        forecast) or, with `absolute`, 3 in the order `forward` returns them: plain candidate,
        absolute candidate's window-scale part, its absolute-unit term. None without reads."""
        if self.read_out is None or self.steps is None:
            return None
        C, Q, G = self.head.n_targets, self.head.n_outputs, self.steps.n_reads

        def per_term(linear: nn.Linear) -> Tensor:
            # rows (target, term, output), columns (read, variable)
            return linear.weight.view(C, -1, Q, G, linear.in_features // G)[:, :, output]

        terms = [per_term(self.read_out)]
        if self.plain_read_out is not None:
            terms.insert(0, per_term(self.plain_read_out))
        return READ_GAIN * torch.cat(terms, dim=1)  # -> (C, T, G, V)

    def _drop_reads(self, read: Tensor) -> Tensor:
        """In training, zero each window's read g with probability `read_dropout` (the rest
        scaled up to keep the mean): no read's coefficients can then count on another read
        cancelling part of its values (see ForecastingModule.on_train_batch_start)."""
        p = self.read_dropout
        if not self.training or p == 0.0 or self.steps is None:
            return read
        B, JR, GV = read.shape
        G = self.steps.n_reads
        keep = torch.rand(B, 1, G, 1, device=read.device) >= p  # one draw per (window, read)
        scale = keep.to(read.dtype) / (1.0 - p)
        return (read.view(B, JR, G, GV // G) * scale).view(B, JR, GV)


def _zero_linear(n_in: int, n_out: int) -> nn.Linear:
    """A linear map starting at zero (but see `_start_from_own_values`): training starts from
    the attention RNN alone and grows the reads' covariate terms (random weights send the
    attention after whatever they happen to favour)."""
    linear = nn.Linear(n_in, n_out)
    nn.init.zeros_(linear.weight)
    nn.init.zeros_(linear.bias)
    return linear


def _start_from_own_values(linear: nn.Linear, n_reads: int, n_variables: int, n_targets: int,
                           n_outputs: int, groups: int) -> None:
    """Start each target's window-scale read term as a small share of its own values the G reads
    take (OWN_VALUE_START of their mean).

    With the term at zero the where-in-a-segment weights get no gradient until it has grown, and
    by then the segment memory, which holds every value of a segment, already forecasts on its
    own: those weights are then trained only on the residual and drift (for a seasonal own lag
    they even avoided the cause, B5 seasonal-own-lag). A small start trains them from the
    first step towards the timesteps whose values the forecast uses; training moves the term on
    from there. Only the target's own channels get it: a covariate's effect has a sign and a
    scale to learn. Rows are (target, group, output); group 0 is the window-scale term.
    """
    with torch.no_grad():
        for c in range(n_targets):
            for q in range(n_outputs):
                row = (c * groups) * n_outputs + q
                linear.weight[row, c::n_variables] = OWN_VALUE_START / (READ_GAIN * n_reads)


class DirectDecoder(nn.Module):
    """All H steps at once, one query per segment j of S steps (S = 1: one per step):

        query[j] = W_s s_L + step_emb[j] + W_f future[jS : (j + 1)S]

    A horizon that is not a multiple of S gets a last, partial segment (zero-padded features,
    extra forecasts dropped).
    """

    def __init__(self, config: NetworkConfig, absolute: bool = False) -> None:
        super().__init__()
        D, S = config.hidden_size, config.segment_length
        self.horizon, self.segment_length = config.horizon, S
        n_queries = -(-config.horizon // S)
        self.state_proj = nn.Linear(D, D)
        self.step_emb = nn.Parameter(torch.randn(n_queries, D) * 0.1)
        self.future_proj = nn.Linear(S * config.n_future, D) if config.n_future > 0 else None
        self.readout = _AttentionReadout(config, steps_per_query=S, n_steps=n_queries * S,
                                         absolute=absolute)

    def forward(self, memory: Tensor, state: RNNState, future: Tensor | None,
                last_target: Tensor, past: Tensor,
                return_attention: bool = False) -> tuple[Tensor, Tensor | None]:
        # B batch, L' memory slots, H horizon, S segment length, F known-future features,
        # D hidden, N heads, C targets, Q quantiles; last_target is unused (no feedback here)
        H = self.horizon
        query = self.state_proj(top_hidden(state)).unsqueeze(1) + self.step_emb  # -> (B, H/S, D)
        if self.future_proj is not None and future is not None:
            query = query + self.future_proj(self._segments(future))  # (B, H/S, S*F) -> (.., D)
        prediction, weights = self.readout(query, memory, past, return_attention)
        if weights is not None:
            weights = weights[:, :, :H]  # -> (B, N, H, L): one row per step
        return prediction[:, :H], weights  # -> (B, H, C, Q)

    def _segments(self, future: Tensor) -> Tensor:
        """(B, H, F) -> (B, H/S, S*F), zero-padding a partial last segment."""
        B, H, F = future.shape
        S = self.segment_length
        padded = nn.functional.pad(future, (0, 0, 0, -H % S))  # -> (B, ceil(H/S)*S, F)
        return padded.reshape(B, -1, S * F)


class AutoregressiveDecoder(nn.Module):
    """One RNN step per horizon step, fed [previous point forecast, future[h]].

    It always steps per timestep (feedback needs each step's forecast); `segment_length` only
    changes the encoder, whose segment slots each step reads through `StepAttention`.

    The encoder's final state (all layers) initialises the decoder RNN, which therefore has the
    same cell type and depth. The first "previous forecast" is the last observed target value.
    """

    def __init__(self, config: NetworkConfig, absolute: bool = False) -> None:
        super().__init__()
        D = config.hidden_size
        self.horizon = config.horizon
        self.median_index = config.median_index
        self.rnn = build_rnn(config.cell, config.n_targets + config.n_future, D,
                             config.num_layers, config.dropout)
        self.step_emb = nn.Parameter(torch.randn(config.horizon, D) * 0.1)
        self.readout = _AttentionReadout(config, n_steps=config.horizon, absolute=absolute)

    def forward(self, memory: Tensor, state: RNNState, future: Tensor | None,
                last_target: Tensor, past: Tensor,
                return_attention: bool = False) -> tuple[Tensor, Tensor | None]:
        # B batch, L lookback, H horizon, F known-future features, D hidden, N heads,
        # C targets, Q quantiles; last_target (B, C) seeds the feedback
        previous = last_target
        predictions, weights = [], []
        # A loop over H is inherent: step h's input is step h-1's prediction.
        for h in range(self.horizon):
            step_input = previous if future is None else torch.cat([previous, future[:, h]], -1)
            out, state = self.rnn(step_input.unsqueeze(1), state)  # (B, 1, C+F) -> (B, 1, D)
            query = out + self.step_emb[h]  # -> (B, 1, D)
            prediction, weight = self.readout(query, memory, past, return_attention,
                                              first_step=h)  # -> (B, 1, C, Q), (B, N, 1, L)
            previous = prediction[:, 0, :, self.median_index]  # -> (B, C)
            predictions.append(prediction)
            weights.append(weight)
        prediction = torch.cat(predictions, dim=1)  # -> (B, H, C, Q)
        if weights[0] is None:
            return prediction, None
        return prediction, torch.cat(weights, dim=2)  # -> (B, N, H, L)


def build_decoder(config: NetworkConfig,
                  absolute: bool = False) -> DirectDecoder | AutoregressiveDecoder:
    """Factory by `config.decoder` (the config has already validated the name)."""
    if config.decoder == "autoregressive":
        return AutoregressiveDecoder(config, absolute)
    return DirectDecoder(config, absolute)
