from __future__ import annotations

import json

import pytest

from tsattn.errors import ConfigError
from tsattn.nn import NetworkConfig

SHAPES = dict(n_features=3, n_targets=1, n_future=2, lookback=8, horizon=3)


def test_round_trips_through_json() -> None:
    config = NetworkConfig(**SHAPES, cell="gru", attention="multihead", num_heads=2,
                           hidden_size=8, quantiles=(0.1, 0.5, 0.9), revin=True)
    restored = NetworkConfig.from_dict(json.loads(json.dumps(config.to_dict())))
    assert restored == config
    assert restored.quantiles == (0.1, 0.5, 0.9)
    assert config.to_dict()["quantiles"] == [0.1, 0.5, 0.9]


def test_median_index_and_outputs() -> None:
    assert NetworkConfig(**SHAPES).n_outputs == 1
    assert NetworkConfig(**SHAPES).median_index == 0
    assert NetworkConfig(**SHAPES, quantiles=(0.1, 0.5, 0.9)).median_index == 1
    assert NetworkConfig(**SHAPES, quantiles=(0.1, 0.4, 0.6, 0.9)).median_index == 1


@pytest.mark.parametrize(
    ("override", "match"),
    [
        ({"cell": "rnn"}, "cell must be one of"),
        ({"attention": "luong"}, "attention must be one of"),
        ({"decoder": "seq"}, "decoder must be one of"),
        ({"hidden_size": 10, "attention": "multihead", "num_heads": 4}, "divisible by num_heads"),
        ({"quantiles": (0.9, 0.1)}, "strictly increasing"),
        ({"quantiles": (0.0, 0.5)}, "strictly increasing"),
        ({"dropout": 1.0}, "dropout must be in"),
        ({"lookback": 0}, "lookback must be a positive integer"),
        ({"n_targets": 4}, "n_targets <= n_features"),
        ({"n_future": -1}, "n_future must be an integer >= 0"),
    ],
)
def test_rejects_invalid_values(override: dict, match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        NetworkConfig(**{**SHAPES, **override})


def test_from_dict_rejects_unknown_and_missing_keys() -> None:
    with pytest.raises(ConfigError, match="unknown NetworkConfig keys"):
        NetworkConfig.from_dict({**SHAPES, "hiden_size": 8})
    with pytest.raises(ConfigError, match="missing the required keys"):
        NetworkConfig.from_dict({"n_features": 3})
