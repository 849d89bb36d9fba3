from __future__ import annotations

import dataclasses
import json

import pytest
from networks import network

from tsattn.errors import ConfigError
from tsattn.nn import AttentionSeq2Seq, NetworkConfig

SHAPES = dict(n_features=3, n_targets=1, n_future=2, lookback=8, horizon=3)


def test_round_trips_through_json() -> None:
    config = network(**SHAPES, cell="gru", attention="multihead", num_heads=2,
                     hidden_size=8, quantiles=(0.1, 0.5, 0.9), revin=True)
    restored = NetworkConfig.from_dict(json.loads(json.dumps(config.to_dict())))
    assert restored == config
    assert restored.quantiles == (0.1, 0.5, 0.9)
    assert config.to_dict()["quantiles"] == [0.1, 0.5, 0.9]


def test_median_index_and_outputs() -> None:
    assert network(**SHAPES).n_outputs == 1
    assert network(**SHAPES).median_index == 0
    assert network(**SHAPES, quantiles=(0.1, 0.5, 0.9)).median_index == 1
    assert network(**SHAPES, quantiles=(0.1, 0.4, 0.6, 0.9)).median_index == 1


@pytest.mark.parametrize(
    ("override", "match"),
    [
        ({"cell": "rnn"}, "cell, attention and decoder are implemented names"),
        ({"attention": "luong"}, "cell, attention and decoder are implemented names"),
        ({"decoder": "seq"}, "cell, attention and decoder are implemented names"),
        ({"quantiles": (0.9, 0.1)}, "quantiles are strictly increasing"),
        ({"quantiles": (0.0, 0.5)}, "quantiles are strictly increasing"),
        ({"dropout": 1.0}, r"dropout is in \[0, 1\)"),
        ({"lookback": 0}, "lookback, horizon, .* are positive"),
        ({"n_targets": 4}, "n_targets <= n_features"),
        ({"n_future": -1}, "n_future must be an integer >= 0"),
    ],
)
def test_rejects_invalid_values(override: dict, match: str) -> None:
    """Cheap guards only: ForecasterConfig gives the user-facing errors (test_config.py)."""
    with pytest.raises(ConfigError, match=match):
        dataclasses.replace(network(**SHAPES), **override)


def test_multihead_attention_refuses_heads_that_do_not_divide_hidden_size() -> None:
    config = network(**SHAPES, hidden_size=10, attention="multihead", num_heads=4)
    with pytest.raises(ConfigError, match="divisible by num_heads"):
        AttentionSeq2Seq(config)


def test_from_dict_rejects_unknown_and_missing_keys() -> None:
    with pytest.raises(ConfigError, match="unknown NetworkConfig keys"):
        NetworkConfig.from_dict({**SHAPES, "hiden_size": 8})
    with pytest.raises(ConfigError, match="missing the required keys"):
        NetworkConfig.from_dict({"n_features": 3})


def test_a_model_saved_before_num_reads_loads_with_its_two_reads() -> None:
    """Saved networks had two reads before `num_reads` was a setting; their state must load."""
    saved = AttentionSeq2Seq(network(**SHAPES, attention="general", num_reads=2))
    stored = {k: v for k, v in saved.config.to_dict().items() if k != "num_reads"}
    restored = AttentionSeq2Seq(NetworkConfig.from_dict(stored))
    restored.load_state_dict(saved.state_dict())  # strict: every shape matches
    assert restored.config.num_reads == 2
    assert network(**SHAPES).num_reads == 3  # what a new fit gets
