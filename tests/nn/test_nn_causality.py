"""Causality by gradients: a forecast depends on its own window and on no later known future."""

from __future__ import annotations

import pytest
import torch
from networks import network

from tsattn.nn import AttentionSeq2Seq

B, L, H, V, C, F = 4, 8, 4, 3, 1, 2


def _net(**params) -> AttentionSeq2Seq:
    torch.manual_seed(0)
    config = network(n_features=V, n_targets=C, n_future=F, lookback=L, horizon=H,
                     hidden_size=8, num_heads=2, **params)
    return AttentionSeq2Seq(config).eval()


def _inputs() -> tuple[torch.Tensor, torch.Tensor]:
    past = torch.randn(B, L, V, requires_grad=True)
    future = torch.randn(B, H, F, requires_grad=True)
    return past, future


@pytest.mark.parametrize("decoder", ["direct", "autoregressive"])
@pytest.mark.parametrize("attention", ["additive", "multihead", "none"])
def test_forecast_depends_only_on_its_own_sample(decoder: str, attention: str) -> None:
    net = _net(decoder=decoder, attention=attention, input_attention=True, revin=True)
    past, future = _inputs()
    net(past, future).prediction[1].sum().backward()
    others = [0, 2, 3]
    assert past.grad[others].abs().max() == 0
    assert future.grad[others].abs().max() == 0
    assert past.grad[1].abs().max() > 0 and future.grad[1].abs().max() > 0


@pytest.mark.parametrize("decoder", ["direct", "autoregressive"])
@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_step_h_ignores_the_known_future_after_h(decoder: str, cell: str) -> None:
    net = _net(decoder=decoder, cell=cell, attention="general")
    for h in range(H):
        past, future = _inputs()
        net(past, future).prediction[:, h].sum().backward()
        grad = future.grad.abs().amax(dim=(0, 2))  # -> (H,)
        assert (grad[h + 1:] == 0).all(), f"step {h} sees the future features of later steps"
        assert grad[h] > 0, f"step {h} ignores its own known-future features"
        if decoder == "direct":
            # a direct decoder's step reads its own step's features only
            assert (grad[:h] == 0).all()
        else:
            # the autoregressive decoder carries earlier steps through its state
            assert (grad[:h] > 0).all()
