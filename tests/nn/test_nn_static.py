"""Static covariates steer the forecast through the initial state, and start out inert."""

from __future__ import annotations

import pytest
import torch
from networks import network

from tsattn.errors import DataValidationError
from tsattn.nn import AttentionSeq2Seq

B, L, H = 64, 12, 3


def _net(cell: str, **params: object) -> AttentionSeq2Seq:
    torch.manual_seed(0)
    config = network(n_features=2, n_targets=1, n_future=0, lookback=L, horizon=H,
                     hidden_size=16, cell=cell, n_static=1, static_cardinalities=(3,),
                     **params)  # fmt: skip
    return AttentionSeq2Seq(config)


@pytest.mark.parametrize(("cell", "channel_independent"), [("lstm", True), ("gru", False)])
def test_a_static_category_the_window_cannot_show_is_learned(
    cell: str, channel_independent: bool
) -> None:
    # The past is pure noise; the target is +1 or -1 by category: only the statics tell.
    net = _net(cell, revin=False, channel_independent=channel_independent)
    optimiser = torch.optim.Adam(net.parameters(), lr=0.02)
    category = torch.randint(1, 3, (B,))
    static = torch.stack([torch.randn(B), category.float()], dim=1)  # numeric, then the code
    target = torch.where(category == 1, 1.0, -1.0)[:, None, None].expand(B, H, 1)
    for _ in range(150):
        past = torch.randn(B, L, 2)
        loss = ((net(past, static=static).prediction[..., 0] - target) ** 2).mean()
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
    assert loss.item() < 0.05
    with torch.no_grad():
        fresh = net(torch.randn(B, L, 2), static=static).prediction[..., 0]
    assert ((fresh - target) ** 2).mean() < 0.05


def test_an_untrained_static_context_changes_nothing_and_a_missing_one_is_named() -> None:
    net = _net("lstm").eval()
    past = torch.randn(4, L, 2)
    one = torch.tensor([[0.5, 1.0]] * 4)
    other = torch.tensor([[-2.0, 2.0]] * 4)
    torch.testing.assert_close(net(past, static=one).prediction, net(past, static=other).prediction)
    with pytest.raises(DataValidationError, match=r"static must have shape \(B, 2\)"):
        net(past)
