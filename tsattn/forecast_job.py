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

from tsattn.forecaster import Forecaster
from tsattn.io import read_frame, write_frame
from tsattn.job_spec import ForecastJobSpec, FrameSource
from tsattn.sql_io import ORIGIN_COLUMN, read_sql, write_forecast_table

__all__ = ["ForecastResult", "run_forecast_job"]


@dataclass
class ForecastResult:
    """Where the forecast went and how big it is."""

    destination: str
    rows: int
    series: int
    run_id: str | None = None


def run_forecast_job(spec: ForecastJobSpec) -> ForecastResult:
    """Run `spec` once: read, validate, forecast, write (atomically), and log the run."""
    from tsattn.tracking import log_metrics, log_params, start_run

    tags = {"tsattn.job": "forecast", "tsattn.model": spec.model, "tsattn.job_name": spec.name}
    with start_run(spec.tracking, run_name=spec.tracking.run_name or spec.name, tags=tags) as run:
        started = time.perf_counter()
        forecaster = Forecaster.load(spec.model)
        history = read_source(spec.input)
        future = read_source(spec.future) if spec.future is not None else None
        forecast = forecaster.predict(history, future_df=future)
        result = _write(spec, forecaster, history, forecast)
        if run is not None:
            result.run_id = run.info.run_id
            log_params({"model": spec.model, "input": _describe(spec.input),
                        "output": result.destination, "schedule": spec.schedule or ""})
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
        pd.to_datetime(history[time_col] if time_col else history.index), index=history.index
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


def _describe(source: FrameSource) -> str:
    return str(source.path) if source.path is not None else f"sql: {source.sql}"[:500]


def _log_file_output(spec: ForecastJobSpec) -> None:
    from tsattn.tracking import log_file

    if spec.output.path is not None:
        log_file(spec.output.path, "forecast")
