"""Experiment configs: shipped YAML files validate, and typos or bad values name their key."""

from __future__ import annotations

from pathlib import Path

import pytest

from tsattn.config import ForecasterConfig, apply_overrides, load_experiment
from tsattn.errors import ConfigError

CONFIGS = sorted(Path(__file__).parents[1].joinpath("configs").glob("*.yaml"))


@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: p.name)
def test_shipped_configs_validate_and_point_at_shipped_data(path: Path) -> None:
    config = load_experiment(path)
    assert Path(__file__).parents[1].joinpath(config.data.path).is_file()
    assert config.forecaster.lookback == 96


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "experiment.yaml"
    path.write_text(text)
    return path


BASE = """
data: {path: data/ETTh1.csv}
forecaster: {target: [OT], time_col: date}
"""


def test_a_typo_is_reported_with_its_dotted_key(tmp_path: Path) -> None:
    path = write(tmp_path, BASE.replace("time_col: date", "time_col: date, hiden_size: 8"))
    with pytest.raises(ConfigError, match=r"unknown key 'forecaster\.hiden_size'"):
        load_experiment(path)


def test_a_bad_value_is_reported_with_its_key_and_value(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"'forecaster\.dropout'.*1\.5"):
        load_experiment(write(tmp_path, BASE), ["forecaster.dropout=1.5"])


def test_overrides_parse_values_as_yaml_and_reach_nested_keys(tmp_path: Path) -> None:
    config = load_experiment(
        write(tmp_path, BASE), ["forecaster.max_epochs=3", "forecaster.quantiles=[0.1, 0.9]"]
    )
    assert config.forecaster.max_epochs == 3 and config.forecaster.quantiles == [0.1, 0.9]
    with pytest.raises(ConfigError, match="key.sub=value"):
        apply_overrides({}, ["max_epochs"])


def test_missing_file_and_bad_yaml_are_clear(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_experiment(tmp_path / "nope.yaml")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_experiment(write(tmp_path, "data: [unclosed"))


def test_a_single_target_name_becomes_a_list() -> None:
    assert ForecasterConfig(target="OT").target == ["OT"]


@pytest.mark.parametrize(
    ("params", "revin", "independent", "segment"),
    [
        ({}, True, True, 6),  # lookback 96, horizon 24: four queries of 6 steps
        ({"horizon": 96}, True, True, 24),  # four segments of a day
        ({"past_covariates": ["load"]}, True, True, 6),  # covariates keep RevIN on
        ({"future_covariates": ["price"]}, True, True, 6),
        ({"input_attention": True}, True, False, 6),  # weighs variables against each other
        ({"lookback": 48, "horizon": 96}, True, True, 12),  # at least four segments
        ({"lookback": 10}, True, True, 2),
        ({"horizon": 7}, True, True, 1),  # fewer than 8 steps: one query per step
        ({"lookback": 97}, True, True, 1),  # prime: only single steps divide it
        ({"revin": False, "channel_independent": False, "segment_length": 8}, False, False, 8),
    ],
)
def test_auto_architecture_resolves_from_the_other_settings(
    params: dict[str, object], revin: bool, independent: bool, segment: int
) -> None:
    config = ForecasterConfig(target=["a", "b"], **params)
    assert (
        config.resolved_revin, config.resolved_channel_independent, config.resolved_segment_length
    ) == (revin, independent, segment)
    resolved = config.resolved()
    assert (resolved["revin"], resolved["channel_independent"], resolved["segment_length"]) == (
        revin, independent, segment
    )


def test_explicit_architecture_conflicts_are_still_reported() -> None:
    with pytest.raises(ValueError, match="channel_independent=True gives each target"):
        ForecasterConfig(target="a", channel_independent=True, input_attention=True)
    with pytest.raises(ValueError, match="lookback=100 must be a multiple of segment_length=24"):
        ForecasterConfig(target="a", lookback=100, segment_length=24)
    with pytest.raises(ValueError, match="segment_length must be >= 1 or 'auto'"):
        ForecasterConfig(target="a", segment_length=0)
