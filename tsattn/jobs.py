"""Train and predict as plain functions returning results; the CLI and pipelines are thin shells."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from tsattn.config import ExperimentConfig, TrackingConfig
from tsattn.data.split import temporal_split
from tsattn.distributed import is_global_zero
from tsattn.forecaster import Forecaster
from tsattn.io import read_frame, write_frame

__all__ = [
    "PredictResult",
    "TrainResult",
    "forecast_job",
    "predict_job",
    "split_frame",
    "train_job",
]


@dataclass
class TrainResult:
    """What a training job produced: the model, where it was saved, and its test metrics."""

    forecaster: Forecaster
    model_dir: Path
    test_metrics: dict[str, float]
    val_metrics: dict[str, float]
    seconds: float
    epochs: int
    run_id: str | None = None


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
    from tsattn.tracking import log_metrics, register_model, start_run

    tracking = config.tracking
    enabled = tracking.enabled if track is None else track
    tracking = tracking.model_copy(update={"enabled": enabled and is_global_zero()})
    frame = read_frame(config.data.path)
    train, val, test = split_frame(frame, config)
    forecaster = Forecaster(**config.forecaster.model_dump())
    tags = {"tsattn.job": "train", "tsattn.experiment": config.name}
    with start_run(tracking, run_name=tracking.run_name or config.name, tags=tags) as run:
        started = time.perf_counter()
        forecaster.fit(train, val_df=val)
        seconds = time.perf_counter() - started
        val_metrics = forecaster.evaluate(val) if val is not None else {}
        test_metrics = forecaster.evaluate(test) if test is not None else {}
        model_dir = forecaster.save(Path(config.output_dir) / config.name / "model")
        run_id = run.info.run_id if run is not None else None
        if run_id is not None:
            log_metrics(test_metrics, prefix="test")
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
    )


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


def forecast_job(
    model: str | Path,
    data: str | Path,
    output: str | Path,
    *,
    tracking: TrackingConfig,
    future: str | Path | None = None,
) -> PredictResult:
    """The scheduled batch job: load a (registered) model, validate fresh data, write atomically.

    Everything is checked before the output is touched, so a failed run leaves yesterday's
    forecast in place; the MLflow run records the model, inputs, size and the forecast file, and
    ends FAILED when anything goes wrong.
    """
    from tsattn.tracking import log_file, log_metrics, log_params, start_run

    tags = {"tsattn.job": "forecast", "tsattn.model": str(model)}
    with start_run(tracking, run_name=tracking.run_name or "forecast", tags=tags) as run:
        started = time.perf_counter()
        result = predict_job(model, data, output, future=future)
        if run is not None:
            log_params({"model": str(model), "data": str(data), "output": str(result.output)})
            log_metrics(
                {
                    "rows": result.rows,
                    "series": result.series,
                    "seconds": time.perf_counter() - started,
                },
                prefix="forecast",
            )
            log_file(result.output, "forecast")
    return result
