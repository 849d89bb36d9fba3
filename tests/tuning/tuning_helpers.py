"""Plain helpers for tuning tests: a tiny dataset and config, and storage readers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import optuna
import pandas as pd
import yaml

# Good and hopeless configurations, queued first so the pruning test does not depend on luck:
# two good trials run (one per worker) and complete; the hopeless ones (a learning rate that
# cannot move the weights in 3 epochs) then report worse epoch values than that median.
GOOD = {"learning_rate": 0.03, "cell": "gru", "hidden_size": 8}
HOPELESS = {"learning_rate": 1.0e-6, "cell": "lstm", "hidden_size": 4}


def tiny_frame(n: int = 400, seed: int = 0) -> pd.DataFrame:
    """Hourly daily-seasonal target `y` with a leading covariate `x`: learnable in 3 epochs."""
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    x = np.sin(2 * np.pi * t / 24) + 0.1 * rng.standard_normal(n)
    y = np.roll(x, 2) + 0.05 * rng.standard_normal(n)
    return pd.DataFrame({"date": pd.date_range("2024-01-01", periods=n, freq="h"), "y": y, "x": x})


def tiny_config(root: Path, *, tracking_uri: str | None = None, **tune: Any) -> dict[str, Any]:
    """An experiment dict: tiny model, 3 epochs, aggressive pruning, fast heartbeats."""
    data = root / "tiny.csv"
    if not data.exists():
        tiny_frame().to_csv(data, index=False)
    settings: dict[str, Any] = {
        "metric": "val_loss",
        "sampler": "tpe",
        "pruner": "median",
        "n_startup_trials": 1,
        "n_warmup_steps": 0,
        "seed": 0,
        "heartbeat_interval": 1,
        "grace_period": 3,
        "space": {
            "learning_rate": {"type": "float", "low": 1.0e-6, "high": 0.05, "log": True},
            "cell": {"type": "categorical", "choices": ["lstm", "gru"]},
            "hidden_size": {"type": "int", "low": 4, "high": 8},
        },
        "enqueue": [GOOD, {**GOOD, "cell": "lstm"}, HOPELESS, {**HOPELESS, "cell": "gru"}],
    }
    settings.update(tune)
    return {
        "name": "tiny",
        "data": {"path": str(data), "split": {"train": 0.6, "val": 0.2}},
        "forecaster": {
            "target": ["y"],
            "past_covariates": ["x"],
            "time_col": "date",
            "calendar_features": "none",
            "lookback": 8,
            "horizon": 2,
            "hidden_size": 8,
            "batch_size": 32,
            "max_epochs": 3,
            "patience": None,
            "accelerator": "cpu",
            "enable_progress_bar": False,
        },
        "tracking": {
            "enabled": tracking_uri is not None,
            "uri": tracking_uri,
            "experiment": "tuning-tests",
            "register_as": "tiny-tuned",
            "alias": "champion",
        },
        "output_dir": str(root / "outputs"),
        "tune": settings,
    }


def write_config(path: Path, values: dict[str, Any]) -> Path:
    path.write_text(yaml.safe_dump(values, sort_keys=False))
    return path


def study_trials(storage_url: str, name: str = "tiny") -> list[optuna.trial.FrozenTrial]:
    """All trials of a study, read straight from its storage (no tsattn code involved)."""
    study = optuna.load_study(study_name=name, storage=storage_url)
    return study.get_trials(deepcopy=False)


def states(trials: list[optuna.trial.FrozenTrial]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for trial in trials:
        counts[trial.state.name] = counts.get(trial.state.name, 0) + 1
    return counts
