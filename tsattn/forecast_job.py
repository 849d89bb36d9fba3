"""The scheduled forecast job: validated input in, forecast out atomically, the run logged.

One implementation behind both ways of calling it: `tsattn forecast --job pipelines/x.yaml` and
the flag form `tsattn forecast --model ... --data ... --output ...`, which builds the same spec.
Everything that can fail before writing (the tracking store, the model, the input, its
validation, the forecast itself) runs first, so a failed run leaves yesterday's forecast, file or
table rows, in place; the MLflow run records what was read and written, and ends FAILED on error.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import pandas as pd

from tsattn.calibration import interval_columns, level_label
from tsattn.data._timeaxis import time_values
from tsattn.forecaster import Forecaster
from tsattn.io import read_frame, write_frame
from tsattn.job_spec import ForecastJobSpec, FrameSource
from tsattn.monitoring import Scores, score_forecasts
from tsattn.sql_io import ORIGIN_COLUMN, read_forecast_table, read_sql, write_forecast_table

__all__ = ["DRIFT_EXIT_CODE", "ForecastResult", "run_forecast_job"]


DRIFT_EXIT_CODE = 3  # the forecast was written, but the newest scored origin broke a bound


@dataclass
class ForecastResult:
    """Where the forecast went, how big it is, and (with monitoring) how earlier ones did."""

    destination: str
    rows: int
    series: int
    run_id: str | None = None
    scores: Scores | None = None
    drift: str | None = None  # why the newest scored origin counts as drift, if it does


def run_forecast_job(spec: ForecastJobSpec) -> ForecastResult:
    """Run `spec` once: read, validate, forecast, write (atomically), and log the run."""
    from tsattn.tracking import log_metrics, log_params, start_run

    tags = {"tsattn.job": "forecast", "tsattn.model": spec.model, "tsattn.job_name": spec.name}
    with start_run(spec.tracking, run_name=spec.tracking.run_name or spec.name, tags=tags) as run:
        started = time.perf_counter()
        forecaster = Forecaster.load(spec.model)
        forecaster.check_levels(spec.levels)  # before reading: an uncalibrated model stops here
        history = read_source(spec.input)
        future = read_source(spec.future) if spec.future is not None else None
        forecast = forecaster.predict(history, future_df=future, levels=spec.levels)
        scores = _score_earlier(spec, forecaster, history) if spec.monitoring else None
        result = _write(spec, forecaster, history, forecast)
        result.scores = scores
        result.drift = _drift(spec, scores)
        if run is not None and scores is not None:
            _log_monitoring(scores, result.drift)
        if run is not None:
            result.run_id = run.info.run_id
            log_params({"model": spec.model, "input": _describe(spec.input),
                        "output": result.destination, "schedule": spec.schedule or "",
                        "levels": ",".join(f"{level:g}" for level in spec.levels)})
            seconds = time.perf_counter() - started
            log_metrics({"rows": result.rows, "series": result.series, "seconds": seconds},
                        prefix="forecast")  # fmt: skip
            _log_file_output(spec)
    return result


def read_source(source: FrameSource) -> pd.DataFrame:
    """The frame a job reads: a .csv/.parquet file, or a SQL query's result."""
    if source.path is not None:
        return read_frame(source.path)
    assert source.sql is not None and source.url is not None  # FrameSource validated it
    return read_sql(source.url, source.sql)


def with_origins(forecaster: Forecaster, history: pd.DataFrame, forecast: pd.DataFrame
                 ) -> pd.DataFrame:
    """`forecast` with each series' forecast origin: the last time observed in `history`."""
    time_col, id_col = forecaster.time_col, forecaster.id_col
    times = pd.Series(
        time_values(history[time_col] if time_col else history.index), index=history.index
    )
    if id_col:
        last = times.groupby(history[id_col]).max()
        return forecast.assign(**{ORIGIN_COLUMN: forecast[id_col].map(last).to_numpy()})
    return forecast.assign(**{ORIGIN_COLUMN: times.max()})


def _write(spec: ForecastJobSpec, forecaster: Forecaster, history: pd.DataFrame,
           forecast: pd.DataFrame) -> ForecastResult:
    id_col = forecaster.id_col
    series = int(forecast[id_col].nunique()) if id_col else 1
    sink = spec.output
    if sink.path is not None:
        path = write_frame(forecast, sink.path)
        return ForecastResult(destination=str(path), rows=len(forecast), series=series)
    assert sink.table is not None and sink.url is not None  # ForecastSink validated it
    rows = write_forecast_table(
        with_origins(forecaster, history, forecast), url=sink.url, table=sink.table,
        time_col=forecaster.preprocessor_.time_name, series_col=id_col, schema=sink.db_schema,
    )  # fmt: skip
    return ForecastResult(destination=f"table {sink.table!r}", rows=rows, series=series)


def _score_earlier(spec: ForecastJobSpec, forecaster: Forecaster, history: pd.DataFrame
                   ) -> Scores | None:
    """Scores of the stored origins whose target times `history` now covers (first target)."""
    sink = spec.output
    assert sink.table is not None and sink.url is not None  # monitoring requires a table
    time_col = forecaster.preprocessor_.time_name
    first = time_values(history[time_col] if time_col in history else history.index).min()
    stored = read_forecast_table(sink.url, sink.table, since=first, schema=sink.db_schema)
    if stored is None or stored.empty:
        return None
    target = forecaster.preprocessor_.target_names[0]
    quantiles = forecaster.quantiles or []
    point = f"{target}_q0.5" if quantiles else target
    intervals = {f"_{level_label(level)}": interval_columns(target, level) for level in spec.levels}
    if quantiles and not intervals:  # the widest band the heads give
        intervals = {"": (f"{target}_q{min(quantiles):g}", f"{target}_q{max(quantiles):g}")}
    stored_columns = set(stored.columns)  # earlier runs may have written other levels, or none
    intervals = {k: v for k, v in intervals.items() if set(v) <= stored_columns}
    scores = score_forecasts(
        stored, history, target=target, time_col=time_col, id_col=forecaster.id_col,
        point=point, intervals=intervals,
        season=spec.monitoring.season if spec.monitoring is not None else 1,
    )  # fmt: skip
    return scores if not scores.per_origin.empty else None


def _drift(spec: ForecastJobSpec, scores: Scores | None) -> str | None:
    if spec.monitoring is None or scores is None:
        return None
    newest = scores.per_origin.iloc[-1]
    bounds = {"mae": spec.monitoring.max_mae, "mase": spec.monitoring.max_mase}
    broken = [f"{name} {newest[name]:.4g} > {bound:g}" for name, bound in bounds.items()
              if bound is not None and pd.notna(newest[name]) and newest[name] > bound]
    return f"origin {newest[ORIGIN_COLUMN]}: {', '.join(broken)}" if broken else None


def _log_monitoring(scores: Scores, drift: str | None) -> None:
    """One point per scored origin (timestamp = the origin, so the UI's time axis reads as the
    job's calendar), the by-series table, and the drift tag."""
    import mlflow
    from mlflow.entities import Metric

    run = mlflow.active_run()
    assert run is not None  # called inside the job's run
    points = []
    now = int(time.time() * 1000)
    for step, row in enumerate(scores.per_origin.to_dict("records")):
        origin = row.pop(ORIGIN_COLUMN)
        # on the job's calendar; integer time steps have none, so they get the run's time
        integer = pd.api.types.is_integer(origin)
        stamp = now if integer else int(pd.Timestamp(origin).timestamp() * 1000)
        points += [Metric(f"monitor_{name}", float(value), stamp, step)
                   for name, value in row.items() if pd.notna(value)]
    mlflow.MlflowClient().log_batch(run.info.run_id, metrics=points)
    mlflow.log_text(scores.by_series.to_csv(index=False), "monitoring/by_series.csv")
    mlflow.log_text(scores.per_origin.to_csv(index=False), "monitoring/per_origin.csv")
    mlflow.set_tags({"tsattn.drift": str(drift is not None).lower(),
                     **({"tsattn.drift_reason": drift} if drift else {})})  # fmt: skip


def _describe(source: FrameSource) -> str:
    return str(source.path) if source.path is not None else f"sql: {source.sql}"[:500]


def _log_file_output(spec: ForecastJobSpec) -> None:
    from tsattn.tracking import log_file

    if spec.output.path is not None:
        log_file(spec.output.path, "forecast")
