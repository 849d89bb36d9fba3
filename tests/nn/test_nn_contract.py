"""The one contract every architecture combination meets: shapes, distributions, gradients."""

from __future__ import annotations

import itertools

import pytest
import torch
from networks import network

from tsattn.errors import DataValidationError
from tsattn.nn import AttentionSeq2Seq, ForecastOutput, NetworkConfig

B, L, H, V, C, F, D, N = 3, 8, 3, 4, 2, 2, 8, 2

COMBOS = [
    dict(cell=cell, attention=attention, decoder=decoder, input_attention=input_attention)
    for cell, attention, decoder, input_attention in itertools.product(
        ["lstm", "gru"], ["additive", "general", "dot", "multihead", "none"],
        ["direct", "autoregressive"], [False, True],
    )
]
EXTRAS = [
    dict(cell="lstm", attention="additive", decoder="direct", revin=True),
    dict(cell="lstm", attention="additive", decoder="direct", revin=True, highway=True),
    dict(cell="gru", attention="dot", decoder="autoregressive", highway=True, quantiles=(0.1, 0.9)),
    dict(cell="gru", attention="multihead", decoder="autoregressive", revin=True,
         input_attention=True, quantiles=(0.1, 0.5, 0.9)),
    dict(cell="lstm", attention="general", decoder="autoregressive", quantiles=(0.25, 0.75)),
    dict(cell="gru", attention="dot", decoder="direct", quantiles=(0.5,), num_layers=2,
         dropout=0.1),
    dict(cell="lstm", attention="none", decoder="direct", revin=True, quantiles=(0.1, 0.9)),
    dict(cell="gru", attention="general", decoder="direct", revin=True, highway=True,
         channel_independent=True, segment_length=4),
    dict(cell="lstm", attention="multihead", decoder="autoregressive", channel_independent=True,
         quantiles=(0.1, 0.9)),
    dict(cell="lstm", attention="additive", decoder="direct", input_attention=True,
         segment_length=2),
    dict(cell="gru", attention="none", decoder="autoregressive", segment_length=8),
]


def _ids(params: dict) -> str:
    return "-".join(f"{k}={v}" for k, v in params.items())


def _config(**params) -> NetworkConfig:
    return network(n_features=V, n_targets=C, n_future=F, lookback=L, horizon=H,
                   hidden_size=D, num_heads=N, **params)


@pytest.mark.parametrize("params", COMBOS + EXTRAS, ids=_ids)
def test_forward_contract(params: dict) -> None:
    torch.manual_seed(0)
    config = _config(**params)
    net = AttentionSeq2Seq(config)
    past, future = torch.randn(B, L, V), torch.randn(B, H, F)
    out = net(past, future, return_attention=True)

    assert isinstance(out, ForecastOutput)
    Q = max(len(config.quantiles), 1)
    assert out.prediction.shape == (B, H, C, Q)
    assert torch.isfinite(out.prediction).all()

    if config.attention == "none":
        assert out.temporal_attention is None
    else:
        heads = (N if config.attention == "multihead" else 1) * config.num_reads  # G per head
        weights = out.temporal_attention
        assert weights.shape == (B, heads, H, L)  # only the L past positions: causal by shape
        assert (weights >= 0).all()
        torch.testing.assert_close(weights.sum(-1), torch.ones(B, heads, H))

    if config.input_attention:
        assert out.input_attention.shape == (B, L, V)
        assert (out.input_attention >= 0).all()
        torch.testing.assert_close(out.input_attention.sum(-1), torch.ones(B, L))
    else:
        assert out.input_attention is None

    # every parameter takes part: a module that gets no gradient is dead weight or mis-wired
    out.prediction.square().mean().backward()
    dead = [name for name, p in net.named_parameters() if p.grad is None]
    assert dead == []


def test_attention_is_returned_only_on_request() -> None:
    net = AttentionSeq2Seq(_config(input_attention=True))
    out = net(torch.randn(B, L, V), torch.randn(B, H, F))
    assert out.temporal_attention is None and out.input_attention is None


@pytest.mark.parametrize("decoder", ["direct", "autoregressive"])
def test_no_known_future_features(decoder: str) -> None:
    config = network(n_features=V, n_targets=C, n_future=0, lookback=L, horizon=H,
                     hidden_size=D, decoder=decoder)
    net = AttentionSeq2Seq(config)
    empty = net(torch.randn(B, L, V), torch.zeros(B, H, 0)).prediction
    assert empty.shape == (B, H, C, 1)
    assert net(torch.randn(B, L, V), None).prediction.shape == (B, H, C, 1)


def test_wrong_shapes_name_the_expected_shape() -> None:
    net = AttentionSeq2Seq(_config())
    with pytest.raises(DataValidationError, match=r"past must have shape \(B, lookback=8"):
        net(torch.randn(B, L + 1, V), torch.randn(B, H, F))
    with pytest.raises(DataValidationError, match="future must have shape"):
        net(torch.randn(B, L, V), torch.randn(B, H, F + 1))
    with pytest.raises(DataValidationError, match="but got future=None"):
        net(torch.randn(B, L, V), None)
