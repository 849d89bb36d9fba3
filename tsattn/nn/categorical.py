"""Categorical covariates: integer codes in the input windows become learned embeddings.

The data layer codes each category 1..n (0 is "unknown") and leaves the codes unscaled in the
past and future windows. Here each coded column is replaced by its embedding, so the encoder,
decoder and attention see a wider input, with the numeric columns first (targets leading, as
RevIN and the channel split expect). Input attention then weighs the embedding's dimensions;
`group` folds those weights back onto the original variables, so a user still reads one weight
per column. A column that is a known-future covariate shares one embedding between its past
rows and its horizon rows.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

__all__ = ["CategoricalInputs", "embedding_size"]


def embedding_size(cardinality: int) -> int:
    """Embedding width for a column of `cardinality` codes (the unknown bucket included):
    fastai's rule of thumb, 1.6 * n^0.56, capped at 16."""
    return max(1, min(16, round(1.6 * cardinality**0.56)))


class CategoricalInputs(nn.Module):
    """past (B, L, V) and future (B, H, F) with code columns -> embedded (B, L, V'), (B, H, F').

    `categorical` holds (past position, future position or -1, cardinality) per coded column.
    """

    past_numeric: Tensor  # buffers: column indices, moved with the module to its device
    future_numeric: Tensor
    group: Tensor

    def __init__(self, n_features: int, n_future: int,
                 categorical: tuple[tuple[int, int, int], ...]) -> None:
        super().__init__()
        self.embeddings = nn.ModuleList(nn.Embedding(card, embedding_size(card))
                                        for _, _, card in categorical)  # fmt: skip
        self.past_codes = [p for p, _, _ in categorical]
        self.future_codes = [(f, k) for k, (_, f, _) in enumerate(categorical) if f >= 0]
        past_numeric = [j for j in range(n_features) if j not in self.past_codes]
        taken = {f for f, _ in self.future_codes}
        future_numeric = [j for j in range(n_future) if j not in taken]
        self.register_buffer("past_numeric", torch.tensor(past_numeric, dtype=torch.long))
        self.register_buffer("future_numeric", torch.tensor(future_numeric, dtype=torch.long))
        widths = [embedding_size(card) for _, _, card in categorical]
        # the original variable of every embedded column, to fold input attention back
        group = past_numeric + [p for p, w in zip(self.past_codes, widths, strict=True)
                                for _ in range(w)]  # fmt: skip
        self.register_buffer("group", torch.tensor(group, dtype=torch.long))
        self.n_features = len(past_numeric) + sum(widths)
        self.n_future = len(future_numeric) + sum(widths[k] for _, k in self.future_codes)
        self.n_original = n_features

    def forward(self, past: Tensor, future: Tensor | None) -> tuple[Tensor, Tensor | None]:
        # B batch, L lookback, H horizon, V variables, F known-future features, E embedding
        parts = [past.index_select(-1, self.past_numeric)]
        parts += [emb(past[..., p].long()) for p, emb in zip(self.past_codes, self.embeddings,
                                                             strict=True)]  # fmt: skip
        past = torch.cat(parts, dim=-1)  # -> (B, L, V')
        if future is None:
            return past, None
        ahead = [future.index_select(-1, self.future_numeric)]
        ahead += [self.embeddings[k](future[..., f].long()) for f, k in self.future_codes]
        return past, torch.cat(ahead, dim=-1)  # -> (B, H, F')

    def fold(self, weights: Tensor) -> Tensor:
        """Input-attention weights (B, L, V') summed per original variable -> (B, L, V)."""
        folded = weights.new_zeros(*weights.shape[:-1], self.n_original)
        return folded.index_add_(-1, self.group, weights)
