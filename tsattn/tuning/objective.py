"""The objective every worker optimises: train one Forecaster per trial, return its best score.

Optuna's own Lightning callback reports the per-epoch validation metric and raises
`TrialPruned` when the pruner says so; an exception from a bad combination or a crashed fit is
recorded on the trial (`error` user attr) and the trial ends FAIL while the study goes on.
"""

from __future__ import annotations

import os
import socket
from contextlib import AbstractContextManager, nullcontext
from typing import Any

import optuna
import pandas as pd
from optuna_integration import PyTorchLightningPruningCallback

from tsattn.config import ExperimentConfig, ForecasterConfig
from tsattn.errors import ConfigError
from tsattn.tuning.hardware import WorkerSlot
from tsattn.tuning.settings import TuneSettings
from tsattn.tuning.space import suggest, trial_forecaster_config
from tsattn.tuning.spec import TrackingLink

__all__ = ["Objective", "best_epoch"]

_MAX_ERROR_CHARS = 2000


class Objective:
    """Callable for `study.optimize`: data is read once per worker, a model is fit per trial."""

    def __init__(
        self,
        experiment: ExperimentConfig,
        settings: TuneSettings,
        frame: pd.DataFrame,
        slot: WorkerSlot,
        tracking: TrackingLink | None = None,
    ) -> None:
        self.experiment = experiment
        self.settings = settings
        self.frame = frame
        self.slot = slot
        self.tracking = tracking

    def __call__(self, trial: optuna.Trial) -> float:
        from tsattn.tuning.mlflow_runs import trial_run

        trial.set_user_attr("worker", self.slot.index)
        trial.set_user_attr("worker_pid", os.getpid())
        trial.set_user_attr("hostname", socket.gethostname())
        trial.set_user_attr("device", self.slot.label)
        params = suggest(trial, self.settings)
        hardware = {
            "accelerator": self.slot.accelerator,
            "devices": self.slot.devices,
            # Workers write to log files; a progress bar per epoch would only bloat them.
            "enable_progress_bar": False,
        }
        # The run opens before anything can fail, so every trial (even an invalid combination)
        # has its nested run: with what will train ("auto" resolved, as a tracked fit logs it),
        # or, for an invalid combination, with what it was asked to train.
        config = _validated_or_error(self.experiment.forecaster, params, hardware)
        intended = (
            config.resolved() if isinstance(config, ForecasterConfig)
            else {**self.experiment.forecaster.model_dump(mode="json"), **params, **hardware}
        )
        runs: AbstractContextManager[list[Any]] = (
            trial_run(self.tracking, trial, intended) if self.tracking else nullcontext([])
        )
        try:
            with runs as callbacks:
                if isinstance(config, ConfigError):
                    raise config
                return self._fit(trial, config, callbacks)
        except optuna.TrialPruned:
            raise
        except (Exception, KeyboardInterrupt) as err:
            trial.set_user_attr("error", f"{type(err).__name__}: {err}"[:_MAX_ERROR_CHARS])
            raise

    def _fit(self, trial: optuna.Trial, config: ForecasterConfig, callbacks: list[Any]) -> float:
        from tsattn.forecaster import Forecaster
        from tsattn.jobs import split_frame

        # Split per trial: validation starts `lookback` rows early, and lookback may be searched.
        experiment = self.experiment.model_copy(update={"forecaster": config})
        train, val, _ = split_frame(self.frame, experiment)
        pruning = PyTorchLightningPruningCallback(trial, monitor=self.settings.metric)
        forecaster = Forecaster(**config.model_dump())
        forecaster.fit(train, val_df=val, callbacks=[*callbacks, pruning])
        value, epoch = best_epoch(forecaster.history_, self.settings)
        trial.set_user_attr("epochs", int(len(forecaster.history_)))
        trial.set_user_attr("best_epoch", epoch)
        return value


def _validated_or_error(
    base: ForecasterConfig, params: dict[str, Any], hardware: dict[str, Any]
) -> ForecasterConfig | ConfigError:
    """The trial's config, or the error that says why the combination is invalid (raised later,
    inside the trial's run, so the run records it)."""
    try:
        return trial_forecaster_config(base, params, **hardware)
    except ConfigError as err:
        return err


def best_epoch(history: pd.DataFrame, settings: TuneSettings) -> tuple[float, int]:
    """The best per-epoch value of the metric, and its epoch (for val_loss: the kept weights)."""
    metric = settings.metric
    if metric not in history or history[metric].dropna().empty:
        raise ConfigError(
            f"tune.metric={metric!r} was not logged during training; the model logs "
            f"{sorted(c for c in history.columns if c != 'epoch')}. Set tune.metric to one of them."
        )
    values = history[metric].dropna()
    row = values.idxmax() if settings.direction == "maximize" else values.idxmin()
    epoch = int(history.loc[row, "epoch"]) if "epoch" in history else int(row)
    return float(values.loc[row]), epoch
