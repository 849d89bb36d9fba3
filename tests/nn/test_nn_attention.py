from __future__ import annotations

import pytest
import torch

from tsattn.errors import ConfigError
from tsattn.nn import MultiHeadAttention, build_attention

B, H, L, D = 3, 4, 7, 8


@pytest.mark.parametrize("kind", ["additive", "general", "dot", "multihead"])
def test_weights_are_a_distribution_over_lookback(kind: str) -> None:
    torch.manual_seed(0)
    attention = build_attention(kind, D, num_heads=2)
    query, keys, values = torch.randn(B, H, D), torch.randn(B, L, D), torch.randn(B, L, D)
    context, weights = attention(query, keys, values)
    n_heads = 2 if kind == "multihead" else 1
    assert context.shape == (B, H, D)
    assert weights.shape == (B, n_heads, H, L)
    assert (weights >= 0).all()
    torch.testing.assert_close(weights.sum(-1), torch.ones(B, n_heads, H))


@pytest.mark.parametrize("kind", ["additive", "general", "dot"])
def test_single_head_context_is_the_weighted_mean_of_values(kind: str) -> None:
    torch.manual_seed(0)
    attention = build_attention(kind, D)
    query, keys, values = torch.randn(B, H, D), torch.randn(B, L, D), torch.randn(B, L, D)
    context, weights = attention(query, keys, values)
    expected = torch.einsum("bhl,bld->bhd", weights[:, 0], values)
    torch.testing.assert_close(context, expected)


def test_additive_attention_gives_bahdanaus_tanh_weights_with_the_factors_folded_in() -> None:
    torch.manual_seed(0)
    attention = build_attention("additive", D)
    query, keys, values = torch.randn(B, H, D), torch.randn(B, L, D), torch.randn(B, L, D)
    w_q, w_k = attention.query_proj.weight, attention.key_proj.weight
    b_k, v = attention.key_proj.bias, attention.score.weight[0]
    u = (query @ w_q.T).unsqueeze(2) + (keys @ w_k.T + b_k).unsqueeze(1)  # -> (B, H, L, D)
    tanh_scores = torch.tanh(u) @ v  # -> (B, H, L)
    with torch.no_grad():  # v.tanh(u) = 2v.sigmoid(2u) - sum(v): double everything
        for weight in (w_q, w_k, b_k, attention.score.weight):
            weight.mul_(2.0)
    _, weights = attention(query, keys, values)
    torch.testing.assert_close(weights[:, 0], torch.softmax(tanh_scores, dim=-1))


def test_dot_attention_picks_the_matching_key() -> None:
    keys = torch.eye(L, D).unsqueeze(0) * 20.0  # one-hot keys; a query equal to key 3 matches it
    _, weights = build_attention("dot", D)(keys[:, 3:4], keys, keys)
    assert weights.argmax(-1).item() == 3


def test_none_gives_no_module_and_unknown_raises() -> None:
    assert build_attention("none", D) is None
    with pytest.raises(ConfigError, match="attention must be one of"):
        build_attention("bahdanau", D)
    with pytest.raises(ConfigError, match="divisible by num_heads"):
        MultiHeadAttention(10, 4)
