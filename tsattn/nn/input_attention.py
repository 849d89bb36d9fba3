"""DA-RNN input attention (Qin et al. 2017): which driving variables matter at each past step.

At step t the score of variable k is  v . tanh(W [h_{t-1}; s_{t-1}] + U x^k) + b_k,  where x^k is
variable k's whole lookback series and (h, s) the recurrent state after step t-1; a softmax over the
V variables gives weights alpha_t, and the step input becomes alpha_t * x_t.

Two deliberate departures from the paper:
- The state comes from this module's own small recurrent cell rather than from the encoder, so the
  encoder stays a fused multi-layer `nn.LSTM`/`nn.GRU`; the cell sees the same reweighted inputs.
- A learned per-variable logit b_k is added to the score. The paper shares U across variables,
  so two variables with the same distribution (e.g. a white-noise driver and a white-noise
  distractor) would be indistinguishable; b_k lets the network learn "variable k matters". It sits
  outside the tanh so its gradient is the score's own, undamped by v or a saturating tanh.
  It is stored divided by `LOGIT_SCALE`. Any per-variable gain the weights apply, the encoder's
  input weights can apply too, and Adam moves each parameter by about lr a step, so a column of
  a few hundred weights outpaces one logit by far: unscaled, the encoder took over the gating
  and the weights stayed near uniform (B7: noise drivers kept 47.7 % of the mass, uniform 50 %).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

__all__ = ["InputAttention"]

# b_k is stored divided by this, so Adam moves the logit this many times faster (as PRIOR_SCALE
# does for the temporal biases): the gate then outpaces the encoder's columns (module doc)
LOGIT_SCALE = 30.0


class InputAttention(nn.Module):
    """Reweights the V past variables per timestep.

    Input: past (B, L, V). Output: reweighted past (B, L, V) and weights (B, L, V) summing to one
    over V.
    """

    def __init__(self, n_features: int, lookback: int, hidden_size: int, cell: str) -> None:
        super().__init__()
        self.cell_type = cell
        self.hidden_size = hidden_size
        state_size = 2 * hidden_size if cell == "lstm" else hidden_size
        self.cell: nn.LSTMCell | nn.GRUCell = (
            nn.LSTMCell(n_features, hidden_size) if cell == "lstm"
            else nn.GRUCell(n_features, hidden_size)
        )
        self.state_proj = nn.Linear(state_size, hidden_size, bias=False)
        self.series_proj = nn.Linear(lookback, hidden_size)
        self.score = nn.Linear(hidden_size, 1, bias=False)
        # Start from exactly uniform weights: a random score vector would add per-sample noise to
        # every weight, and that noise (not the data) then dominates which variable looks useful.
        nn.init.zeros_(self.score.weight)
        self.variable_logit = nn.Parameter(torch.zeros(n_features))

    def forward(self, past: Tensor) -> tuple[Tensor, Tensor]:
        # B batch, L lookback, V variables, D hidden
        B, L, V = past.shape
        # the series term does not depend on t: compute it once for all steps
        series = self.series_proj(past.transpose(1, 2))  # (B, V, L) -> (B, V, D)
        h = past.new_zeros(B, self.hidden_size)
        c = past.new_zeros(B, self.hidden_size)
        inputs, weights = [], []
        # A Python loop over L is unavoidable here: step t's weights need the state after step t-1,
        # which needs step t-1's reweighted input, so no fused RNN kernel can compute it.
        for t in range(L):
            state = torch.cat([h, c], dim=-1) if self.cell_type == "lstm" else h  # -> (B, 2D or D)
            query = self.state_proj(state).unsqueeze(1)  # -> (B, 1, D)
            scores = self.score(torch.tanh(query + series)).squeeze(-1)  # (B, V, D) -> (B, V)
            scores = scores + LOGIT_SCALE * self.variable_logit
            alpha = F.softmax(scores, dim=-1)
            x_t = alpha * past[:, t]  # -> (B, V)
            if isinstance(self.cell, nn.LSTMCell):
                h, c = self.cell(x_t, (h, c))
            else:
                h = self.cell(x_t, h)
            inputs.append(x_t)
            weights.append(alpha)
        return torch.stack(inputs, dim=1), torch.stack(weights, dim=1)  # -> (B, L, V) each
