"""Hyperparameter tuning: an Optuna study over the config's search space, on every worker.

Entry points:
    tune_job        run or resume a study with N CPU or per-GPU worker processes
    tune_settings   validate a config's `tune:` section (before any trial runs)
    suggest         the search space as a plain function of an Optuna trial
    tune_command    the `tsattn tune` Typer command (in `tsattn.tuning.cli`)
"""

from __future__ import annotations

from tsattn.tuning.best import BestModel
from tsattn.tuning.errors import StudyStorageError, WorkerError
from tsattn.tuning.job import TuneResult, tune_job
from tsattn.tuning.settings import TuneSettings, tune_settings
from tsattn.tuning.space import suggest
from tsattn.tuning.study import StudyProgress

__all__ = [
    "BestModel",
    "StudyProgress",
    "StudyStorageError",
    "TuneResult",
    "TuneSettings",
    "WorkerError",
    "suggest",
    "tune_job",
    "tune_settings",
]
