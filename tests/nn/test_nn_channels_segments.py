"""Channel-independent and segment-wise encoding: what each option promises beyond the contract."""

from __future__ import annotations

import pytest
import torch
from networks import network

from tsattn.errors import ConfigError
from tsattn.nn import AttentionSeq2Seq

B, L, H, V, C, F = 4, 12, 3, 4, 3, 2  # V - C = 1 shared (non-target) variable


def _net(**params) -> AttentionSeq2Seq:
    torch.manual_seed(0)
    config = network(n_features=V, n_targets=C, n_future=F, lookback=L, horizon=H,
                     hidden_size=8, **params)
    return AttentionSeq2Seq(config).eval()


@pytest.mark.parametrize("decoder", ["direct", "autoregressive"])
def test_channel_independent_forecast_reads_only_its_own_target(decoder: str) -> None:
    net = _net(channel_independent=True, decoder=decoder, revin=True, highway=True,
               segment_length=3)
    for c in range(C):
        past = torch.randn(B, L, V, requires_grad=True)
        future = torch.randn(B, H, F, requires_grad=True)
        net(past, future).prediction[:, :, c].sum().backward()
        reads = past.grad.abs().amax(dim=(0, 1))  # -> (V,)
        others = [t for t in range(C) if t != c]
        assert (reads[others] == 0).all(), f"target {c} reads other targets' history"
        assert reads[c] > 0 and reads[C:].min() > 0  # its own history and the shared variable
        assert future.grad.abs().max() > 0


def test_channel_mixing_is_the_default() -> None:
    net = _net()
    past = torch.randn(B, L, V, requires_grad=True)
    net(past, torch.randn(B, H, F)).prediction[:, :, 0].sum().backward()
    assert (past.grad.abs().amax(dim=(0, 1)) > 0).all()


def test_channels_share_one_network() -> None:
    """Swapping two target channels swaps their forecasts: the weights are shared."""
    net = _net(channel_independent=True, attention="general")
    past, future = torch.randn(B, L, V), torch.randn(B, H, F)
    swapped = past[..., [1, 0, 2, 3]]
    out, out_swapped = net(past, future).prediction, net(swapped, future).prediction
    torch.testing.assert_close(out_swapped[:, :, [1, 0, 2]], out)


@pytest.mark.parametrize("attention", ["additive", "multihead"])
def test_each_target_has_its_own_attention_and_the_default_is_their_mean(attention: str) -> None:
    """Target c's weights follow target c's history: swapping channels 0 and 1 swaps them."""
    net = _net(channel_independent=True, attention=attention, num_heads=2, segment_length=3)
    past, future = torch.randn(B, L, V), torch.randn(B, H, F)
    swapped = past[..., [1, 0, 2, 3]]

    def weights(x: torch.Tensor, target: int | None) -> torch.Tensor:
        out = net(x, future, return_attention=True, attention_target=target)
        return out.temporal_attention  # -> (B, N, H, L)

    per_target = torch.stack([weights(past, c) for c in range(C)])  # -> (C, B, N, H, L)
    torch.testing.assert_close(weights(swapped, 0), per_target[1])
    torch.testing.assert_close(weights(swapped, 1), per_target[0])
    torch.testing.assert_close(weights(past, None), per_target.mean(0))
    assert not torch.allclose(per_target[0], per_target[1])  # distinct histories, distinct weights
    heads = (2 if attention == "multihead" else 1) * net.config.num_reads  # each head's G reads
    torch.testing.assert_close(per_target.sum(-1), torch.ones(C, B, heads, H))
    with pytest.raises(ValueError, match="attention_target must index one of the 3 targets"):
        weights(past, C)


def test_a_channel_mixing_network_has_one_attention_for_every_target() -> None:
    net = _net(attention="general")
    past, future = torch.randn(B, L, V), torch.randn(B, H, F)
    shared = net(past, future, return_attention=True).temporal_attention
    for c in range(C):
        out = net(past, future, return_attention=True, attention_target=c)
        torch.testing.assert_close(out.temporal_attention, shared)


@pytest.mark.parametrize("decoder", ["direct", "autoregressive"])
def test_segment_models_attend_per_timestep_and_per_step(decoder: str) -> None:
    S = 4
    net = _net(segment_length=S, attention="general", decoder=decoder)
    torch.nn.init.normal_(net.decoder.readout.steps.offset_bias, std=1.0)  # as after training
    weights = net(torch.randn(B, L, V), torch.randn(B, H, F), return_attention=True)
    by_step = weights.temporal_attention  # -> (B, G, H, L), G reads of one head
    assert by_step.shape[2:] == (H, L)
    torch.testing.assert_close(by_step.sum(-1), torch.ones(*by_step.shape[:3]))
    segments = by_step.view(*by_step.shape[:3], L // S, S)
    # not a segment's weight spread evenly over its steps: the steps inside a segment differ
    assert not torch.allclose(segments, segments[..., :1].expand_as(segments))
    # and the forecast steps of one query attend differently
    assert not torch.allclose(by_step[:, :, 0], by_step[:, :, 1])


def test_segment_forecast_depends_on_every_past_step() -> None:
    net = _net(segment_length=4)
    past = torch.randn(B, L, V, requires_grad=True)
    net(past, torch.randn(B, H, F)).prediction.sum().backward()
    assert (past.grad.abs().amax(dim=(0, 2)) > 0).all()


@pytest.mark.parametrize(
    ("params", "message"),
    [
        (dict(segment_length=5), "lookback is a multiple of segment_length"),
        (dict(segment_length=0), "segment_length are positive"),
        (dict(channel_independent=True, input_attention=True),
         "channel_independent and input_attention are not both on"),
    ],
)
def test_incompatible_options_are_refused(params: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        network(n_features=V, n_targets=C, n_future=F, lookback=L, horizon=H, **params)


@pytest.mark.parametrize("horizon", [4, 7])  # 7: a partial last output segment
def test_segment_decoder_reads_only_its_own_segments_known_future(horizon: int) -> None:
    S = 3
    torch.manual_seed(0)
    config = network(n_features=V, n_targets=C, n_future=F, lookback=L, horizon=horizon,
                     hidden_size=8, segment_length=S, attention="general")
    net = AttentionSeq2Seq(config).eval()
    for h in range(horizon):
        future = torch.randn(B, horizon, F, requires_grad=True)
        out = net(torch.randn(B, L, V), future, return_attention=True)
        assert out.prediction.shape == (B, horizon, C, 1)
        assert out.temporal_attention.shape == (B, config.num_reads, horizon, L)
        out.prediction[:, h].sum().backward()
        reads = future.grad.abs().amax(dim=(0, 2)) > 0  # -> (H,)
        segment = range(h // S * S, min(h // S * S + S, horizon))
        assert reads.tolist() == [t in segment for t in range(horizon)]
