"""Per-timestep attention over a segment encoder: which segment, then which step inside it.

Every decoder with attention reads the memory through this module. A segment encoder (S > 1)
has one memory slot per segment of S timesteps, so plain attention can only weigh whole
segments; with S = 1 each segment is one timestep and a (below) alone is the attention.
Spreading a segment's weight evenly over its S steps would report a weight the network never
computed. Here every forecast step h weighs every past timestep t as

    w[h, t] = a[h, p(t)] * b[h, s(t)]        p(t) = t's segment, s(t) = its offset in the segment

- a[h, :], over the L/S segments: the configured attention between h's query and the segment
  memory, plus a learned bias per (step, segment), so the S steps of one query can move to a
  neighbouring segment as their target time moves (a lag k that is not a multiple of S);
- b[h, :], over the S offsets: a learned profile per step, the phase within a segment (for
  daily segments of hourly data, "which hours of the day step h reads"). It does not depend on
  the window: what varies between windows is which segments are read. That keeps training cheap
  (a window-dependent b would be a (B, H, S) softmax per batch, three times the old step) and
  a profile per step is what a fixed lag or season needs.

Both readings the network makes go through w, so the weights say what it used:
- each step reads the past timesteps' own values with w (`read`, (B, H, G*V)), which feeds the
  forecast of that step;
- each query reads the segment memory with its steps' mean segment weights (`context`).

G "reads" (`num_reads`, default 3) share the attention's logits but each has its own learned
biases, so a step can take values from several places at once (two drivers at two lags, a lag
and a season); they are reported as separate heads, so the weights still say where each value
came from. One read more than the causes: a read can settle beside its cause early on, with a
weight of the wrong sign that then pushes it away, and with one read per cause nothing else
finds that cause (B5 two-drivers, 20 fits: 4 above twice the noise floor with two reads, up to
16x; none with three, worst 1.5x).

Training never builds w, nor even a: since a[h, p] = E[j, p] * Pi[h, p] / Z[h] with E the
exponentiated attention logits of h's query j (per window) and Pi the exponentiated bias (the
same for every window), every sum over p or t is a small matrix product of a per-window factor
with a window-free one. Even so, a training step of the configs/etth1.yaml model costs about
20 % more than with segment weights alone (benchmarks/README.md, B2).
"""

from __future__ import annotations

from typing import NamedTuple

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from tsattn.nn.attention import TemporalAttention

__all__ = ["PRIOR_SCALE", "StepAttention", "StepReading"]

# The learned (step, segment) and (step, offset) biases are stored divided by this, so Adam moves
# their logits this many times faster than one weight's step: picking one timestep out of L needs
# a logit gap of several units, which at lr 1e-3 would take thousands of steps to learn.
PRIOR_SCALE = 30.0


class StepReading(NamedTuple):
    """What the decoder uses, plus the factors of the weights (built only when asked for).

    context (B, J, D) per query; read (B, J*R, G*V) per step. The factors: E (J, B*N, P) the
    exponentiated attention logits, Pi (G, J, R, P) the exponentiated biases, inv_z (J, B*N, G*R)
    one over a's normaliser, b (G, J*R, S).
    """

    context: Tensor
    read: Tensor
    exp_logits: Tensor
    exp_prior: Tensor
    inv_z: Tensor
    offset_weights: Tensor

    def segment_weights(self) -> Tensor:
        """a[h, p] as (B, N*G, J*R, P), the attention's heads outer and the reads inner."""
        J, BN, P = self.exp_logits.shape
        G, _, R, _ = self.exp_prior.shape
        # (J, BN, 1, 1, P) * (J, 1, G, R, P) * (J, BN, G, R, 1) -> (J, BN, G, R, P)
        a = (self.exp_logits[:, :, None, None, :] * self.exp_prior.transpose(0, 1)[:, None]
             * self.inv_z.view(J, BN, G, R, 1))
        B = self.context.size(0)
        # -> (B, N, G, J, R, P) -> (B, N*G, J*R, P)
        return a.view(J, B, BN // B, G, R, P).permute(1, 2, 3, 0, 4, 5).reshape(B, -1, J * R, P)

    def timestep_weights(self) -> Tensor:
        """w[h, t] = a[h, p(t)] * b[h, s(t)] as (B, N*G, J*R, L); each row sums to one."""
        a, b = self.segment_weights(), self.offset_weights
        B, NG, JR, P = a.shape
        G = b.size(0)
        b = b.unsqueeze(0).expand(NG // G, G, JR, b.size(-1)).reshape(1, NG, JR, 1, -1)
        return (a.unsqueeze(-1) * b).flatten(-2)  # (B, NG, JR, P, S) -> (B, NG, JR, L)


class StepAttention(nn.Module):
    """J queries of R steps each read a memory of P segment slots over L = P * S timesteps.

    `n_steps` is the number of forecast steps the learned biases cover (a direct decoder's
    queries times R, or the horizon of a step-by-step decoder calling with `first_step`).
    """

    def __init__(self, attention: TemporalAttention, hidden_size: int, lookback: int,
                 segment_length: int, steps_per_query: int, n_steps: int, n_reads: int) -> None:
        super().__init__()
        self.attention = attention
        self.segment_length, self.steps_per_query = segment_length, steps_per_query
        self.n_reads = n_reads
        n_segments = lookback // segment_length
        # the G reads start apart (logits within +-1), so they do not all settle on the same
        # strongest cause: the first flat, the last tilted towards the recent end; plus a little
        # noise. None starts on the oldest steps: a read there learns a negative coefficient on
        # a positive cause early on, and its gradient then pushes it away from that cause
        tilt = torch.linspace(0.0, 1.0, n_reads).view(n_reads, 1, 1)
        across = torch.linspace(-1.0, 1.0, n_segments).view(1, 1, n_segments)
        start = tilt * across / PRIOR_SCALE + torch.randn(n_reads, n_steps, n_segments) * 0.01
        self.segment_bias = nn.Parameter(start)
        self.offset_bias = nn.Parameter(torch.randn(n_reads, n_steps, segment_length) * 0.01)

    def forward(self, query: Tensor, memory: Tensor, past: Tensor,
                first_step: int = 0) -> StepReading:
        # B batch, J queries, R steps per query, G reads, P segments, S segment length,
        # L = P*S lookback, V variables, D hidden, N heads
        B, J, _ = query.shape
        R, S, G = self.steps_per_query, self.segment_length, self.n_reads
        P, V = memory.size(1), past.size(-1)
        steps = slice(first_step, first_step + J * R)
        logits = self.attention.logits(query, memory)  # -> (B, N, J, P)
        N = logits.size(1)
        # shifted by their max over p (a constant per row, so a is unchanged): no overflow
        exp_logits = (logits - logits.amax(-1, keepdim=True).detach()).exp()
        exp_logits = exp_logits.permute(2, 0, 1, 3).reshape(J, B * N, P)  # -> (J, BN, P)
        prior = PRIOR_SCALE * self.segment_bias[:, steps].view(G, J, R, P)
        exp_prior = (prior - prior.amax(-1, keepdim=True).detach()).exp()  # -> (G, J, R, P)
        prior_by_query = exp_prior.permute(1, 3, 0, 2).reshape(J, P, G * R)  # -> (J, P, GR)
        # Z = sum_p E * Pi; both factors are <= 1 with a 1 somewhere, so Z underflows only when
        # the two disagree by e^87 everywhere; the floor then gives zero weights, not NaN
        inv_z = (exp_logits @ prior_by_query).clamp_min(1e-30).reciprocal()  # -> (J, BN, GR)
        # each query reads the memory with its steps' mean a: E * mean_(g,r)(Pi / Z)
        per_query = exp_logits * (inv_z @ prior_by_query.transpose(1, 2)) / (G * R)  # (J,BN,P)
        per_query = per_query.view(J, B, N, P).permute(1, 2, 0, 3)  # -> (B, N, J, P)
        context = self.attention.combine(per_query, memory)  # -> (B, J, D)
        b = F.softmax(PRIOR_SCALE * self.offset_bias[:, steps], dim=-1)  # -> (G, JR, S)
        # read = sum_(p,s) a[h,p] b[h,s] x[p,s] / N heads = sum_t (E x)[t] (Pi b)[h,t] / Z[h] / N
        weighted_past = exp_logits.view(J, B, N, P, 1, 1) * past.view(1, B, 1, P, S, V)
        weighted_past = weighted_past.permute(0, 1, 2, 5, 3, 4).reshape(J, B * N * V, P * S)
        kernel = exp_prior.unsqueeze(-1) * b.view(G, J, R, 1, S)  # -> (G, J, R, P, S)
        kernel = kernel.permute(1, 3, 4, 0, 2).reshape(J, P * S, G * R)  # -> (J, L, GR)
        numerator = (weighted_past @ kernel).view(J, B, N, V, G * R)  # -> (J, B, N, V, GR)
        read = (numerator * inv_z.view(J, B, N, 1, G * R)).mean(2)  # -> (J, B, V, GR)
        # (J, B, V, G, R) -> (B, J, R, G, V) -> (B, JR, G*V)
        read = read.view(J, B, V, G, R).permute(1, 0, 4, 3, 2).reshape(B, J * R, G * V)
        return StepReading(context, read, exp_logits, exp_prior, inv_z, b)
