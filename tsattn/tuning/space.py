"""The search space as a plain function of the trial, and the Forecaster config a trial trains.

Keeping `suggest` a pure mapping from settings to `trial.suggest_*` calls (Optuna's define-by-run
style) means any sampler works and the dashboard shows the same parameter names as the YAML.
"""

from __future__ import annotations

from typing import Any

import optuna

from tsattn.config import ForecasterConfig, validated
from tsattn.tuning.settings import CategoricalParam, FloatParam, IntParam, TuneSettings

__all__ = ["suggest", "trial_forecaster_config"]


def suggest(trial: optuna.Trial, settings: TuneSettings) -> dict[str, Any]:
    """Sample one value per searched parameter, in the order the YAML lists them."""
    params: dict[str, Any] = {}
    for name, param in settings.space.items():
        if isinstance(param, IntParam):
            params[name] = trial.suggest_int(
                name, param.low, param.high, step=param.step, log=param.log
            )
        elif isinstance(param, FloatParam):
            params[name] = trial.suggest_float(
                name, param.low, param.high, step=param.step, log=param.log
            )
        elif isinstance(param, CategoricalParam):
            params[name] = trial.suggest_categorical(name, param.choices)
    return params


def trial_forecaster_config(
    base: ForecasterConfig, params: dict[str, Any], **fixed: Any
) -> ForecasterConfig:
    """The base config with a trial's parameters (and per-worker hardware) applied, validated.

    Validation catches combinations that are individually fine but jointly invalid (multihead
    attention with a hidden size its head count does not divide); the trial then fails with a
    message naming both, instead of crashing inside the network.
    """
    config: ForecasterConfig = validated(
        ForecasterConfig, {**base.model_dump(), **params, **fixed}, where="forecaster"
    )
    return config
