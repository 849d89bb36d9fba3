"""Static covariates condition the forecast through the encoder's initial state.

A series' attributes (a store's size, its region) do not change over the window, so they are
not more inputs at every step, where the temporal and input attention would spread weight over
them: they set where the recurrence starts, and through it every memory slot and query. The
projection starts at zero, so an untrained network behaves as one without statics and the
attention's meaning does not change.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from tsattn.nn.categorical import embedding_size
from tsattn.nn.encoder import RNNState

__all__ = ["StaticContext"]


class StaticContext(nn.Module):
    """(B, Z) encoded statics (numeric first, then categorical codes) -> an initial RNN state."""

    def __init__(self, n_numeric: int, cardinalities: tuple[int, ...], cell: str,
                 hidden_size: int, num_layers: int) -> None:
        super().__init__()
        self.n_numeric = n_numeric
        self.embeddings = nn.ModuleList(
            nn.Embedding(cardinality, embedding_size(cardinality)) for cardinality in cardinalities
        )
        width = n_numeric + sum(embedding_size(cardinality) for cardinality in cardinalities)
        self.n_states = 2 if cell == "lstm" else 1  # LSTM (h, c), GRU h
        self.num_layers, self.hidden_size = num_layers, hidden_size
        self.project = nn.Linear(width, self.n_states * num_layers * hidden_size)
        nn.init.zeros_(self.project.weight)
        nn.init.zeros_(self.project.bias)

    def forward(self, static: Tensor) -> RNNState:
        # B batch, Z static values, W their width after embedding, D hidden
        B = static.size(0)
        codes = static[:, self.n_numeric :].long()  # -> (B, categorical)
        parts = [static[:, : self.n_numeric]]
        parts += [embedding(codes[:, j]) for j, embedding in enumerate(self.embeddings)]
        features = torch.cat(parts, dim=-1)  # -> (B, W)
        states = torch.tanh(self.project(features))  # -> (B, states * layers * D)
        # -> (states, layers, B, D): what nn.LSTM / nn.GRU take as their initial state
        states = states.view(B, self.n_states, self.num_layers, self.hidden_size)
        states = states.permute(1, 2, 0, 3)
        if self.n_states == 2:
            return states[0].contiguous(), states[1].contiguous()
        return states[0].contiguous()
