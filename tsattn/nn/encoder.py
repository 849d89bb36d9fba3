"""The encoder: a fused RNN over the past window; its outputs, tagged with position, are the memory.

RNN outputs alone make a poor attention memory for lag-finding: every output mixes all earlier
inputs, and nothing says where in the window it sits. So each memory slot is

    memory[p] = rnn_out[p] + position_emb[p] + W_x x[p]

- the learned position embedding lets a query learn "k steps before my target time";
- the projection of that step's own inputs lets the value read there carry exactly x[p].

With `segment_length` S > 1 (SegRNN, Lin et al. 2023) a "step" is a segment of S consecutive
timesteps: each is embedded by one linear map of its S x V values, so the RNN runs L/S steps
instead of L (far fewer sequential steps, far less forgetting) and the memory has L/S slots.
"""

from __future__ import annotations

from typing import TypeAlias

import torch
from torch import Tensor, nn

__all__ = ["Encoder", "RNNState", "build_rnn", "top_hidden"]

# nn.LSTM carries (h, c), nn.GRU carries h; each (num_layers, B, D)
RNNState: TypeAlias = Tensor | tuple[Tensor, Tensor]


def build_rnn(cell: str, input_size: int, hidden_size: int, num_layers: int,
              dropout: float) -> nn.LSTM | nn.GRU:
    """A batch-first fused `nn.LSTM` / `nn.GRU`.

    PyTorch applies RNN dropout only between layers and warns when it is set for a single layer, so
    it is passed only when there is more than one layer; the caller also applies dropout elsewhere.
    """
    rnn_cls = nn.LSTM if cell == "lstm" else nn.GRU
    return rnn_cls(input_size, hidden_size, num_layers=num_layers, batch_first=True,
                   dropout=dropout if num_layers > 1 else 0.0)


def top_hidden(state: RNNState) -> Tensor:
    """The last layer's hidden state (B, D) from an LSTM or GRU state."""
    h = state[0] if isinstance(state, tuple) else state
    return h[-1]


class Encoder(nn.Module):
    """Input: past (B, L, V). Output: memory (B, L/S, D) and the final RNN state.

    With `with_memory=False` (attention "none" reads only the final state) the position embedding
    and input projection are not built, so no parameter goes untrained; memory is then the plain
    RNN output.
    """

    def __init__(self, n_features: int, lookback: int, cell: str, hidden_size: int,
                 num_layers: int, dropout: float, with_memory: bool = True,
                 segment_length: int = 1) -> None:
        super().__init__()
        self.segment_length = segment_length
        step_size = n_features * segment_length  # values per encoder step
        self.segment_emb = (
            nn.Sequential(nn.Linear(step_size, hidden_size), nn.ReLU())
            if segment_length > 1 else None
        )
        rnn_input = hidden_size if self.segment_emb is not None else n_features
        self.rnn = build_rnn(cell, rnn_input, hidden_size, num_layers, dropout)
        n_steps = lookback // segment_length
        self.position_emb = (
            nn.Parameter(torch.randn(n_steps, hidden_size) * 0.1) if with_memory else None
        )
        self.input_proj = nn.Linear(step_size, hidden_size) if with_memory else None
        self.dropout = nn.Dropout(dropout)

    def forward(self, past: Tensor, initial: RNNState | None = None) -> tuple[Tensor, RNNState]:
        """`initial` starts the recurrence (the static context); zeros when None."""
        # B batch, L lookback, V variables, S segment length, D hidden
        B, L, V = past.shape
        steps = past.reshape(B, L // self.segment_length, self.segment_length * V)  # (B, L/S, SV)
        rnn_input = steps if self.segment_emb is None else self.segment_emb(steps)
        out, state = self.rnn(rnn_input, initial)  # -> (B, L/S, D)
        if self.position_emb is None or self.input_proj is None:
            return out, state
        memory = out + self.position_emb + self.input_proj(steps)  # (L/S, D) -> (B, L/S, D)
        return self.dropout(memory), state
