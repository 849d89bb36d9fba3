"""After the search: retrain the best configuration, save it, log it and register it.

The best trial's weights live (briefly) in a worker process that may be on another machine, so
the parent retrains from the best parameters instead: on the train split (same data and seed as
the trial, so the same model up to hardware nondeterminism), or with `retrain_on_train_val` on
train + validation for exactly the epochs the trial found best (no validation is left to stop
early on). Inside an active MLflow run `Forecaster.fit` logs the model and its attention
interpretation itself; here it runs in a nested "best" run under the study's parent run.

When several launchers (machines) share the study, the first to get here claims the refit of
that best trial (`claims.claim_refit`); the others return what the holder reported: who fits
it, where the model is saved, and its registered name once the holder has recorded it.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

import optuna
import pandas as pd

from tsattn.config import ExperimentConfig, ForecasterConfig
from tsattn.tuning.claims import claim_refit, this_process
from tsattn.tuning.hardware import torch_threads
from tsattn.tuning.settings import TuneSettings
from tsattn.tuning.space import trial_forecaster_config

if TYPE_CHECKING:
    from tsattn.forecaster import Forecaster

__all__ = ["BestModel", "DEFAULT_ALIAS", "fit_best"]

DEFAULT_ALIAS = "best"
_RECORD = "best_model"  # study user attr: what the last command fitted and registered


@dataclass
class BestModel:
    """The retrained best model, where it was saved, and where it was logged and registered."""

    trial: int
    value: float
    params: dict[str, Any]
    forecaster: Forecaster | None
    model_dir: Path
    trained_on: str
    metrics: dict[str, dict[str, float]] = field(default_factory=dict)
    run_id: str | None = None
    registered_name: str | None = None
    registered_version: int | None = None
    alias: str | None = None
    fitted_by: str | None = None  # host and pid of the launcher that refit it
    in_progress: bool = False  # another launcher holds the refit and has not recorded it yet

    @property
    def elsewhere(self) -> bool:
        """Whether another launcher (process or machine) refit, or is refitting, this model."""
        return self.fitted_by is not None and self.fitted_by != this_process()

    @property
    def model_uri(self) -> str | None:
        """`models:/name@alias`, what `Forecaster.load` and `tsattn predict --model` accept."""
        if self.registered_name is None:
            return None
        suffix = f"@{self.alias}" if self.alias else f"/{self.registered_version}"
        return f"models:/{self.registered_name}{suffix}"


def fit_best(
    config: ExperimentConfig,
    settings: TuneSettings,
    study: optuna.Study,
    frame: pd.DataFrame,
    *,
    hardware: dict[str, Any],
    threads: int,
    tracking_uri: str | None,
) -> BestModel:
    """Retrain the study's best trial, evaluate and save it; with tracking, log and register it.

    Tracking (`tracking_uri` set) requires the study's parent run to be active (see
    `mlflow_runs.study_run`). When the best trial has not changed since the last command and
    its model is still on disk, that model is reused: rerunning a finished study costs neither
    a retrain nor a new registry version.
    """
    from tsattn.jobs import split_frame

    best = study.best_trial
    fc = _final_config(config.forecaster, settings, best, hardware)
    train, val, test = split_frame(frame, config.model_copy(update={"forecaster": fc}))
    on_train_val = settings.retrain_on_train_val and val is not None
    result = BestModel(
        trial=best.number,
        value=float(best.value),  # type: ignore[arg-type]
        params=dict(best.params),
        forecaster=None,
        model_dir=(Path(config.output_dir) / config.name / "best_model").resolve(),
        trained_on="train+val" if on_train_val else "train",
    )
    previous = _previous(study, result, tracking_uri)
    if previous is not None:
        return previous
    if tracking_uri is not None:
        result.registered_name = config.tracking.register_as or config.name
        result.alias = config.tracking.alias or DEFAULT_ALIAS
    key = f"trial-{result.trial}:{result.trained_on}:{'tracked' if tracking_uri else 'untracked'}"
    held = claim_refit(study, key, {"model_dir": str(result.model_dir),
                                    "model_uri": result.model_uri})  # fmt: skip
    if held is not None:
        return _fit_elsewhere(study, result, held)
    result.fitted_by = this_process()
    fit_frame = _train_and_val(train, val, fc) if on_train_val else train
    fit_val = None if on_train_val else val
    if tracking_uri is None:
        with torch_threads(threads):
            _fit_and_save(result, fc, fit_frame, fit_val, val, test)
    else:
        _fit_log_and_register(config, result, threads, fc, fit_frame, fit_val, val, test)
    study.set_user_attr(_RECORD, {**_record(result), "tracking_uri": tracking_uri})
    return result


def _fit_log_and_register(
    config: ExperimentConfig,
    result: BestModel,
    threads: int,
    fc: ForecasterConfig,
    fit_frame: pd.DataFrame,
    fit_val: pd.DataFrame | None,
    val: pd.DataFrame | None,
    test: pd.DataFrame | None,
) -> None:
    from tsattn.tracking import register_model, start_run
    from tsattn.tracking.runs import log_metrics

    tags = {
        "tsattn.role": "best",
        "optuna.trial": str(result.trial),
        "tsattn.trained_on": result.trained_on,
    }
    name = f"best-trial-{result.trial}"
    with start_run(config.tracking, run_name=name, tags=tags, nested=True) as run:
        assert run is not None  # tracking is enabled whenever a tracking URI is given
        result.run_id = run.info.run_id
        with torch_threads(threads):
            _fit_and_save(result, fc, fit_frame, fit_val, val, test)
        for split, values in result.metrics.items():
            log_metrics(values, prefix=split)
    assert result.registered_name is not None  # set with the claim whenever tracking
    result.registered_version = register_model(result.run_id, result.registered_name, result.alias)


def _fit_elsewhere(
    study: optuna.Study, result: BestModel, held: dict[str, Any]
) -> BestModel:
    """The best model as the launcher holding its refit claim recorded (or planned) it."""
    record = study.user_attrs.get(_RECORD) or {}
    if record.get("trial") == result.trial and record.get("trained_on") == result.trained_on:
        values = {k: v for k, v in record.items() if k in _RECORDED}
        return BestModel(**{**values, "model_dir": Path(record["model_dir"]), "forecaster": None})
    result.model_dir = Path(str(held.get("model_dir", result.model_dir)))
    result.fitted_by, result.in_progress = str(held.get("by", "another launcher")), True
    return result


def _record(result: BestModel) -> dict[str, Any]:
    """The result as JSON (Optuna user attrs must be), without the model object."""
    record = {f.name: getattr(result, f.name) for f in fields(result) if f.name in _RECORDED}
    record["model_dir"] = str(result.model_dir)
    record["metrics"] = {
        split: {k: float(v) for k, v in values.items()} for split, values in result.metrics.items()
    }
    return record


def _previous(study: optuna.Study, result: BestModel, tracking_uri: str | None) -> BestModel | None:
    """The model saved by an earlier command for this same best trial, if still usable."""
    from tsattn.forecaster import Forecaster

    record = study.user_attrs.get(_RECORD)
    if not record or record.get("tracking_uri") != tracking_uri:
        return None
    same = record["trial"] == result.trial and record["trained_on"] == result.trained_on
    if not same or not Path(record["model_dir"]).is_dir():
        return None
    values = {k: v for k, v in record.items() if k in _RECORDED}
    model_dir = Path(record["model_dir"])
    return BestModel(**{**values, "model_dir": model_dir, "forecaster": Forecaster.load(model_dir)})


def _fit_and_save(
    result: BestModel,
    fc: ForecasterConfig,
    fit_frame: pd.DataFrame,
    fit_val: pd.DataFrame | None,
    val: pd.DataFrame | None,
    test: pd.DataFrame | None,
) -> None:
    from tsattn.forecaster import Forecaster

    forecaster = Forecaster(**fc.model_dump()).fit(fit_frame, val_df=fit_val)
    # Validation scores of a model trained on the validation data would flatter it: skip them.
    if val is not None and result.trained_on == "train":
        result.metrics["val"] = forecaster.evaluate(val)
    if test is not None:
        result.metrics["test"] = forecaster.evaluate(test)
    result.model_dir = forecaster.save(result.model_dir)
    result.forecaster = forecaster


def _final_config(
    base: ForecasterConfig,
    settings: TuneSettings,
    best: optuna.trial.FrozenTrial,
    hardware: dict[str, Any],
) -> ForecasterConfig:
    fixed: dict[str, Any] = dict(hardware)
    if settings.retrain_on_train_val:
        # Without a validation split nothing can stop training early: run the trial's best
        # number of epochs, which the trial measured on held-out data.
        epochs = int(best.user_attrs.get("best_epoch", base.max_epochs - 1)) + 1
        fixed.update(max_epochs=epochs, patience=None)
    return trial_forecaster_config(base, best.params, **fixed)


def _train_and_val(
    train: pd.DataFrame, val: pd.DataFrame | None, fc: ForecasterConfig
) -> pd.DataFrame:
    """Train and validation as one frame; the validation split repeats `lookback` rows of train."""
    if val is None:
        return train
    both = pd.concat([train, val])
    if fc.time_col is not None:
        keys = [fc.id_col, fc.time_col] if fc.id_col else [fc.time_col]
        return both.drop_duplicates(subset=keys, keep="first").sort_values(keys, kind="stable")
    return both[~both.index.duplicated(keep="first")].sort_index(kind="stable")


_RECORDED = {f.name for f in fields(BestModel)} - {"forecaster", "in_progress"}
