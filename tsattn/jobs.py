"""Train and predict as plain functions returning results; the CLI and pipelines are thin shells."""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from tsattn.calibration import windows_needed
from tsattn.config import ExperimentConfig, ForecasterConfig
from tsattn.data.split import temporal_split
from tsattn.distributed import is_global_zero
from tsattn.evaluation import Evaluation
from tsattn.forecaster import Forecaster
from tsattn.io import read_frame, write_frame

__all__ = [
    "PredictResult",
    "TrainResult",
    "predict_job",
    "split_frame",
    "train_job",
]


@dataclass
class TrainResult:
    """What a training job produced: the model, where it was saved, and its test metrics."""

    forecaster: Forecaster
    model_dir: Path
    test_metrics: dict[str, float]  # normalised scale: the long-horizon benchmark protocol
    val_metrics: dict[str, float]
    seconds: float
    epochs: int
    run_id: str | None = None
    # in the data's own units, where sMAPE means something (not on z-scores near zero)
    test_metrics_original: dict[str, float] = field(default_factory=dict)
    val_metrics_original: dict[str, float] = field(default_factory=dict)
    # a panel's test scores per series, in the data's units (`Forecaster.evaluate(by_series=
    # True)`), also written to `by_series_path` and logged to the run as a table
    test_by_series: pd.DataFrame | None = None
    by_series_path: Path | None = None


@dataclass
class PredictResult:
    """Where the forecast was written and how big it is."""

    output: Path
    rows: int
    series: int


def split_frame(
    frame: pd.DataFrame, config: ExperimentConfig
) -> tuple[pd.DataFrame, pd.DataFrame | None, pd.DataFrame | None]:
    """Temporal train/val/test split as configured; no split means train on everything."""
    split = config.data.split
    if split is None:
        return frame, None, None
    fc = config.forecaster
    train, val, test = temporal_split(
        frame,
        time_col=fc.time_col,
        id_col=fc.id_col,
        train=split.train,
        val=split.val,
        test=split.test,
        lookback=fc.lookback,
    )
    return train, val, test


def train_job(config: ExperimentConfig, *, track: bool | None = None) -> TrainResult:
    """Fit a Forecaster on the configured data, evaluate it on the test split, save it, track it.

    `track=None` follows `config.tracking.enabled`. The run opens before training, so an
    unreachable tracking server fails fast; `fit` logs into that run (per-epoch metrics, data
    facts, the pyfunc model and the attention interpretation) and the job adds test metrics.
    Under torchrun or SLURM every process runs this job; only rank 0 tracks and saves.
    """
    from tsattn.tracking import log_metrics, log_table, register_model, start_run

    tracking = config.tracking
    enabled = tracking.enabled if track is None else track
    tracking = tracking.model_copy(update={"enabled": enabled and is_global_zero()})
    frame = read_frame(config.data.path)
    train, val, test = split_frame(frame, config)
    forecaster = Forecaster(**config.forecaster.model_dump())
    tags = {"tsattn.job": "train", "tsattn.experiment": config.name}
    calibration = _calibration_frame(val, config.forecaster)
    levels = config.forecaster.interval_levels if calibration is not None else None
    with start_run(tracking, run_name=tracking.run_name or config.name, tags=tags) as run:
        started = time.perf_counter()
        forecaster.fit(train, val_df=val, calibration_df=calibration)
        seconds = time.perf_counter() - started
        # one pass of the network per split scores it at both scales (and per series)
        val_scores = forecaster.evaluate_all(val) if val is not None else None
        test_scores = (
            forecaster.evaluate_all(test, levels=levels,
                                    by_series=config.forecaster.id_col is not None)
            if test is not None else None
        )  # fmt: skip
        val_metrics, val_original = _both_scales(val_scores)
        test_metrics, test_original = _both_scales(test_scores)
        model_dir = forecaster.save(Path(config.output_dir) / config.name / "model")
        by_series = test_scores.by_series if test_scores is not None else None
        by_series_path = _write_series_scores(by_series, config)
        run_id = run.info.run_id if run is not None else None
        if run_id is not None:
            log_metrics(test_metrics, prefix="test")
            log_metrics(test_original, prefix="test_original")
            if by_series is not None:
                log_table(by_series.reset_index(), "test_by_series.json")
            log_metrics({"train_seconds": seconds}, prefix="job")
            if tracking.register_as:
                register_model(run_id, tracking.register_as, tracking.alias)
    return TrainResult(
        forecaster=forecaster,
        model_dir=model_dir,
        test_metrics=test_metrics,
        val_metrics=val_metrics,
        seconds=seconds,
        epochs=forecaster.epochs_trained_,
        run_id=run_id,
        test_metrics_original=test_original,
        val_metrics_original=val_original,
        test_by_series=by_series,
        by_series_path=by_series_path,
    )


def _both_scales(scores: Evaluation | None) -> tuple[dict[str, float], dict[str, float]]:
    """(normalised, original) scores of a split, empty for a split the config does not have."""
    return ({}, {}) if scores is None else (scores.normalised, scores.original)


def _write_series_scores(scores: pd.DataFrame | None, config: ExperimentConfig) -> Path | None:
    """A panel's test scores per series (data units), written beside the model by rank 0: the
    pooled scores hide the series a panel model forecasts badly."""
    if scores is None or not is_global_zero():
        return None
    return write_frame(scores.reset_index(), Path(config.output_dir) / config.name /
                       "test_by_series.csv")


def _calibration_frame(
    val: pd.DataFrame | None, config: ForecasterConfig
) -> pd.DataFrame | None:
    """The validation split, which calibrates the intervals when it holds enough windows.

    It also chose the best epoch, a mild reuse that can make the intervals a little narrow;
    the test split's coverage, logged with every run, is the check.
    """
    if val is None or not config.interval_levels:
        return None
    span = config.lookback + config.horizon - 1
    rows = val.groupby(config.id_col).size() if config.id_col else pd.Series([len(val)])
    windows = int((rows - span).clip(lower=0).sum())
    needed = windows_needed(config.interval_levels)
    if windows < needed:
        warnings.warn(
            f"the validation split has {windows} windows, fewer than the {needed} that "
            f"calibrating interval_levels {config.interval_levels} needs; no intervals this run",
            UserWarning,
            stacklevel=3,
        )
        return None
    return val


def predict_job(
    model: str | Path,
    data: str | Path,
    output: str | Path,
    future: str | Path | None = None,
) -> PredictResult:
    """Forecast the horizon after each series in `data` and write it atomically to `output`."""
    forecaster = Forecaster.load(model)
    history = read_frame(data)
    future_frame = read_frame(future) if future is not None else None
    forecast = forecaster.predict(history, future_df=future_frame)
    path = write_frame(forecast, output)
    id_col = forecaster.id_col
    series = forecast[id_col].nunique() if id_col else 1
    return PredictResult(output=path, rows=len(forecast), series=int(series))
