"""The `tune:` section of an experiment YAML: what to search, how to sample, prune and score.

Validated in full before any trial starts: an unknown key, an empty or reversed range, or a value
the Forecaster would reject is a `ConfigError` naming the dotted key (``tune.space.dropout.high``)
so a 50-trial study never dies on trial 17 because of a typo.

Example:
    tune:
      metric: val_loss
      direction: minimize
      sampler: tpe
      pruner: median
      space:
        cell: {type: categorical, choices: [lstm, gru]}
        hidden_size: {type: int, low: 16, high: 128, log: true}
        dropout: {type: float, low: 0.0, high: 0.3}
        learning_rate: {type: float, low: 1.0e-4, high: 1.0e-2, log: true}
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, field_validator, model_validator

from tsattn.config import ExperimentConfig, ForecasterConfig, validated
from tsattn.config import _Strict as _ConfigStrict
from tsattn.errors import ConfigError
from tsattn.params import not_tunable_reasons

__all__ = [
    "NOT_TUNABLE",
    "CategoricalParam",
    "FloatParam",
    "IntParam",
    "TuneSettings",
    "tune_settings",
]

# Fields that define the task, the data roles or the hardware: tuning them would make trials
# incomparable (horizon, columns) or is decided by --workers/--gpus (accelerator, devices). Each
# field's `NotTunable` marker in ForecasterConfig says which, and why.
NOT_TUNABLE: dict[str, str] = not_tunable_reasons(ForecasterConfig)

Scalar = bool | int | float | str | None


class _Strict(_ConfigStrict):
    """Unknown keys are errors, as everywhere in the config (`tsattn.config._Strict`)."""


class IntParam(_Strict):
    """An integer range, sampled with `trial.suggest_int` (inclusive of both ends)."""

    type: Literal["int"]
    low: int
    high: int
    step: int = Field(default=1, ge=1)
    log: bool = False

    @model_validator(mode="after")
    def _valid_range(self) -> IntParam:
        if self.low >= self.high:
            raise ValueError(f"low must be below high, but got low={self.low}, high={self.high}")
        if self.log and self.low < 1:
            raise ValueError(f"a log range needs low >= 1, but got low={self.low}")
        if self.log and self.step != 1:
            raise ValueError(f"log and step cannot be combined, but got step={self.step}")
        return self

    def bounds(self) -> list[Any]:
        return [self.low, self.high]


class FloatParam(_Strict):
    """A float range, sampled with `trial.suggest_float`."""

    type: Literal["float"]
    low: float
    high: float
    step: float | None = Field(default=None, gt=0)
    log: bool = False

    @model_validator(mode="after")
    def _valid_range(self) -> FloatParam:
        if self.low >= self.high:
            raise ValueError(f"low must be below high, but got low={self.low}, high={self.high}")
        if self.log and self.low <= 0:
            raise ValueError(f"a log range needs low > 0, but got low={self.low}")
        if self.log and self.step is not None:
            raise ValueError(f"log and step cannot be combined, but got step={self.step}")
        return self

    def bounds(self) -> list[Any]:
        return [self.low, self.high]


class CategoricalParam(_Strict):
    """A list of choices, sampled with `trial.suggest_categorical`."""

    type: Literal["categorical"]
    choices: list[Scalar] = Field(min_length=1)

    @model_validator(mode="after")
    def _distinct(self) -> CategoricalParam:
        if len(set(map(repr, self.choices))) != len(self.choices):
            raise ValueError(f"choices must be distinct, but got {self.choices}")
        return self

    def bounds(self) -> list[Any]:
        return list(self.choices)


Param = Annotated[IntParam | FloatParam | CategoricalParam, Field(discriminator="type")]


class TuneSettings(_Strict):
    """How a study searches: the space, the score, the sampler and pruner, and crash recovery."""

    space: dict[str, Param]
    metric: str = "val_loss"
    direction: Literal["minimize", "maximize"] = "minimize"
    sampler: Literal["tpe", "random", "qmc"] = "tpe"
    pruner: Literal["median", "percentile", "hyperband", "none"] = "median"
    # Trials sampled at random (and never pruned) before TPE and the pruner kick in.
    n_startup_trials: int = Field(default=5, ge=0)
    # Epochs every trial runs before it may be pruned.
    n_warmup_steps: int = Field(default=1, ge=0)
    percentile: float = Field(default=25.0, gt=0, lt=100)
    seed: int | None = None
    # Configurations to evaluate first (e.g. the hand-tuned default), added once per study.
    enqueue: list[dict[str, Scalar]] = Field(default_factory=list)
    retrain_on_train_val: bool = False
    # A trial whose worker sends no heartbeat for `grace_period` seconds is marked FAIL and
    # re-queued (up to `max_retry` times) with the same parameters.
    heartbeat_interval: int = Field(default=10, ge=1)
    grace_period: int | None = Field(default=None, ge=1)
    max_retry: int = Field(default=1, ge=0)
    # A worker whose trials fail this many times in a row stops: the cause is systematic.
    max_failures_in_a_row: int = Field(default=5, ge=1)

    @field_validator("space")
    @classmethod
    def _not_empty(cls, value: dict[str, Any]) -> dict[str, Any]:
        if not value:
            raise ValueError("the search space is empty: add at least one parameter")
        return value

    @field_validator("metric")
    @classmethod
    def _validation_metric(cls, value: str) -> str:
        if not value.startswith("val_"):
            raise ValueError("must be a per-epoch validation metric such as 'val_loss'")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> TuneSettings:
        if self.grace_period is not None and self.grace_period <= self.heartbeat_interval:
            raise ValueError(
                f"grace_period must exceed heartbeat_interval={self.heartbeat_interval}, "
                f"but got {self.grace_period}"
            )
        return self

    @property
    def stale_after(self) -> int:
        """Seconds without a heartbeat after which a running trial is considered dead."""
        return self.grace_period or 3 * self.heartbeat_interval


def tune_settings(config: ExperimentConfig) -> TuneSettings:
    """Validate `config.tune` and check every range against what the Forecaster accepts."""
    if config.tune is None:
        raise ConfigError(
            "the config has no 'tune:' section: add one with at least a search space, e.g.\n"
            "tune:\n  space:\n    hidden_size: {type: int, low: 16, high: 128, log: true}"
        )
    if config.data.split is None:
        raise ConfigError(
            "tuning needs a validation split to score trials: set data.split "
            "(e.g. {train: 0.7, val: 0.15}) in the config"
        )
    _check_space_entries(config.tune.get("space"))
    settings: TuneSettings = validated(TuneSettings, config.tune, where="tune")
    _check_space_keys(settings)
    _check_values_fit_forecaster(settings, config.forecaster)
    return settings


_KINDS: dict[str, type[_Strict]] = {
    "int": IntParam,
    "float": FloatParam,
    "categorical": CategoricalParam,
}


def _check_space_entries(space: Any) -> None:
    """Validate each entry on its own, so errors read `tune.space.dropout.high`, not a union."""
    if not isinstance(space, dict):
        return  # missing or not a mapping: TuneSettings reports it as `tune.space`
    for key, entry in space.items():
        kind = entry.get("type") if isinstance(entry, dict) else None
        if kind not in _KINDS:
            raise ConfigError(
                f"'tune.space.{key}' must be a mapping with type: int, float or categorical "
                f"(e.g. {{type: int, low: 16, high: 128}}), but got {entry!r}"
            )
        validated(_KINDS[kind], entry, where=f"tune.space.{key}")


def _check_space_keys(settings: TuneSettings) -> None:
    fields = ForecasterConfig.model_fields
    for key in settings.space:
        if key not in fields:
            raise ConfigError(
                f"unknown key 'tune.space.{key}': search-space keys must be forecaster "
                f"parameters, one of {sorted(set(fields) - set(NOT_TUNABLE))}"
            )
        if key in NOT_TUNABLE:
            raise ConfigError(f"'tune.space.{key}' cannot be tuned: {NOT_TUNABLE[key]}")
    for i, params in enumerate(settings.enqueue):
        unknown = sorted(set(params) - set(settings.space))
        if unknown:
            raise ConfigError(
                f"'tune.enqueue.{i}' sets {unknown}, which are not in tune.space; "
                f"enqueued trials may only fix searched parameters {sorted(settings.space)}"
            )


def _check_values_fit_forecaster(settings: TuneSettings, base: ForecasterConfig) -> None:
    """Each end of a range and each choice must make a valid ForecasterConfig on its own."""
    values = base.model_dump()
    for key, param in settings.space.items():
        names = ["low", "high"] if not isinstance(param, CategoricalParam) else None
        for i, value in enumerate(param.bounds()):
            where = f"tune.space.{key}.{names[i] if names else f'choices.{i}'}"
            _check_one(values, key, value, where)
    for i, params in enumerate(settings.enqueue):
        for key, value in params.items():
            _check_one(values, key, value, f"tune.enqueue.{i}.{key}")


def _check_one(values: dict[str, Any], key: str, value: Any, where: str) -> None:
    try:
        validated(ForecasterConfig, {**values, key: value})
    except ConfigError as err:
        reason = str(err).split("\n", 2)[-1].strip()
        raise ConfigError(
            f"'{where}' = {value!r} is not a valid forecaster.{key}: {reason}. "
            "Narrow the range or fix the choice."
        ) from None
