"""A trained network must find a planted lag: target(t) = driver(t - k) + noise.

The driver is white noise, so the target at forecast step h is predictable from exactly one past
value, driver(t_h - k), at lookback position L - k + h (0-based h; the origin is position L - 1).
Attention that peaks anywhere else, or input attention that prefers a distractor, is a bug in
how the memory carries position or content.
"""

from __future__ import annotations

import torch
from networks import network

from tsattn.nn import AttentionSeq2Seq, ForecastOutput

L, H, K = 24, 4, 6  # K > H: every source value lies inside the lookback, before the origin
DRIVER = 1  # column order: target, driver, two distractors


def _series(generator: torch.Generator, length: int = 4000) -> torch.Tensor:
    driver = torch.randn(length, generator=generator)
    distractors = torch.randn(length, 2, generator=generator)
    target = torch.zeros(length)
    target[K:] = driver[:-K]
    target = target + 0.05 * torch.randn(length, generator=generator)
    return torch.stack([target, driver, distractors[:, 0], distractors[:, 1]], dim=1)  # (T, V)


def _windows(series: torch.Tensor, n: int, generator: torch.Generator):
    start = torch.randint(K, len(series) - L - H, (n,), generator=generator)
    window = series[start[:, None] + torch.arange(L + H)]  # -> (n, L + H, V)
    return window[:, :L], window[:, L:, :1]  # past (n, L, V), target (n, H, C=1)


def train_planted_lag(seed: int, steps: int = 200) -> ForecastOutput:
    """Train a tiny network with a plain loop; return its attention on fresh windows."""
    torch.manual_seed(seed)
    generator = torch.Generator().manual_seed(seed)
    series = _series(generator)
    config = network(n_features=4, n_targets=1, n_future=0, lookback=L, horizon=H,
                     cell="gru", hidden_size=16, attention="general", input_attention=True)
    net = AttentionSeq2Seq(config)
    optimizer = torch.optim.Adam(net.parameters(), lr=1e-2)
    for _ in range(steps):
        past, target = _windows(series, 64, generator)
        loss = (net(past).prediction[..., 0] - target).square().mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    net.eval()
    with torch.no_grad():
        past, target = _windows(series, 512, generator)
        out = net(past, return_attention=True)
    assert (out.prediction[..., 0] - target).square().mean() < 0.05, "the lag was not learned"
    return out


def test_attention_finds_the_planted_lag() -> None:
    out = train_planted_lag(seed=0)
    mean_weights = out.temporal_attention.mean(dim=(0, 1))  # (B, N, H, L) -> (H, L)
    expected = [L - K + h for h in range(H)]  # k steps before each step's target time
    assert mean_weights.argmax(dim=-1).tolist() == expected
    variable_weights = out.input_attention.mean(dim=(0, 1))  # (B, L, V) -> (V,)
    assert variable_weights.argmax().item() == DRIVER
