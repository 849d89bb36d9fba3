"""Typed configuration: the one source of truth that YAML, the CLI, MLflow and saved models share.

`ForecasterConfig` (declared in `tsattn.forecaster_config`) holds every `Forecaster` parameter and
is itself the `forecaster:` section, so the YAML schema is the declaration; an experiment YAML
maps 1:1 onto `ExperimentConfig` (data + forecaster + tracking + tuning sections). Unknown keys
and bad values are reported with their dotted key before anything runs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import Field, ValidationError, field_validator

from tsattn.errors import ConfigError
from tsattn.forecaster_config import ForecasterConfig
from tsattn.params import Strict as _Strict

__all__ = [
    "DatasetConfig",
    "ExperimentConfig",
    "ForecasterConfig",
    "SplitConfig",
    "TrackingConfig",
    "apply_overrides",
    "load_experiment",
    "validated",
]


class SplitConfig(_Strict):
    """Temporal split cutoffs: row counts (int), fractions of each series (float) or timestamps."""

    train: int | float | str
    val: int | float | str
    test: int | float | str | None = None


class DatasetConfig(_Strict):
    """Where the data lives for CLI jobs, and how to split it in time."""

    path: Path
    split: SplitConfig | None = None

    @field_validator("path")
    @classmethod
    def _readable_format(cls, value: Path) -> Path:
        if value.suffix.lower() not in {".csv", ".parquet", ".pq"}:
            raise ValueError(f"data.path must be a .csv or .parquet file, got '{value}'")
        return value


class TrackingConfig(_Strict):
    """MLflow settings; `uri=None` means MLFLOW_TRACKING_URI or the local sqlite store."""

    enabled: bool = True
    uri: str | None = None
    experiment: str = "tsattn"
    run_name: str | None = None
    register_as: str | None = None
    alias: str | None = None
    allow_offline: bool = False


class ExperimentConfig(_Strict):
    """A whole experiment file: data, forecaster, tracking, output and (optionally) tuning."""

    name: str = "experiment"
    data: DatasetConfig
    forecaster: ForecasterConfig
    tracking: TrackingConfig = Field(default_factory=TrackingConfig)
    output_dir: Path = Path("outputs")
    tune: dict[str, Any] | None = None


def validated(model: type[_Strict], values: dict[str, Any], where: str = "") -> Any:
    """Build `model` from `values`, turning pydantic's report into a ConfigError naming each key."""
    try:
        return model.model_validate(values)
    except ValidationError as err:
        raise ConfigError(_describe(err, where)) from None


def _describe(err: ValidationError, where: str) -> str:
    lines = []
    for problem in err.errors():
        key = ".".join(str(part) for part in (where, *problem["loc"]) if part != "")
        if problem["type"] == "extra_forbidden":
            lines.append(f"unknown key '{key}': check its spelling against the documented keys")
        else:
            lines.append(f"'{key}': {problem['msg']} (got {problem.get('input')!r})")
    return "invalid configuration:\n  " + "\n  ".join(lines)


def apply_overrides(values: dict[str, Any], overrides: list[str]) -> dict[str, Any]:
    """Apply `key.sub=value` overrides (values parsed as YAML) to a nested config dict."""
    result = yaml.safe_load(yaml.safe_dump(values)) or {}
    for override in overrides:
        key, sep, raw = override.partition("=")
        if not sep or not key:
            raise ConfigError(f"override '{override}' must look like key.sub=value")
        node = result
        *parents, leaf = key.split(".")
        for part in parents:
            child = node.setdefault(part, {})
            if not isinstance(child, dict):
                raise ConfigError(f"override '{override}': '{part}' is not a section")
            node = child
        node[leaf] = yaml.safe_load(raw)
    return result


def load_experiment(path: str | Path, overrides: list[str] | None = None) -> ExperimentConfig:
    """Read and validate an experiment YAML; relative data paths are relative to the working dir."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"config file '{path}' does not exist")
    try:
        raw = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as err:
        raise ConfigError(f"config file '{path}' is not valid YAML: {err}") from None
    if not isinstance(raw, dict):
        raise ConfigError(f"config file '{path}' must hold a mapping of sections")
    config: ExperimentConfig = validated(ExperimentConfig, apply_overrides(raw, overrides or []))
    return config
