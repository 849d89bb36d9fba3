from __future__ import annotations

import torch
from networks import network

from tsattn.nn import AttentionSeq2Seq, RevIN


def test_normalize_then_denormalize_restores_the_targets() -> None:
    torch.manual_seed(0)
    revin = RevIN(n_targets=2)
    past = torch.randn(4, 10, 3) * 5 + 3
    scaled, mean, std = revin.normalize(past)
    torch.testing.assert_close(scaled[..., 2], past[..., 2])  # non-targets untouched
    torch.testing.assert_close(scaled[..., :2].mean(1), torch.zeros(4, 2), atol=1e-5, rtol=0)
    restored = revin.denormalize(scaled[..., :2].unsqueeze(-1), mean, std).squeeze(-1)
    torch.testing.assert_close(restored, past[..., :2], atol=1e-4, rtol=1e-4)


def test_network_forecast_follows_shift_and_scale_of_its_targets() -> None:
    # without covariates the network sees normalised targets only, so y -> a*y + b moves the
    # forecast the same way
    torch.manual_seed(0)
    config = network(n_features=1, n_targets=1, n_future=0, lookback=8, horizon=3,
                     hidden_size=8, revin=True)
    net = AttentionSeq2Seq(config).eval()
    past = torch.randn(2, 8, 1)
    moved = past.clone()
    moved[..., 0] = 4.0 * past[..., 0] + 10.0
    base = net(past).prediction
    torch.testing.assert_close(net(moved).prediction, 4.0 * base + 10.0, atol=1e-4, rtol=1e-4)
