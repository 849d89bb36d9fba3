"""B4 workers: prepare a saved model and a 10,000-series history file (untimed), and forecast it
through the Python API with a per-stage breakdown (the CLI row is timed by the harness itself)."""

from __future__ import annotations

import time

T0 = time.perf_counter()  # as close to process start as a module can get; imports come after

from pathlib import Path  # noqa: E402

from benchmarks.panels import synthetic_panel  # noqa: E402

LOOKBACK, HORIZON = 96, 24
COVARIATES = ["c1", "c2", "c3"]


def prepare(workdir: str, n_series: int, history_steps: int) -> dict[str, object]:
    """Train the job's model (the defaults: LSTM, Luong attention, RevIN, segments of 6;
    lookback 96, horizon 24) and save it; write the last ``history_steps`` rows of each of the
    ``n_series`` series as the job's input.

    Scaling statistics are per series, so the model is fitted on every series it will forecast,
    as a scheduled job's model is; one window per series and one epoch keep this step cheap (its
    accuracy is not what B4 measures).
    """
    from tsattn import Forecaster

    work = Path(workdir)
    frame = synthetic_panel(n_series, LOOKBACK + HORIZON, seed=1)
    start = time.perf_counter()
    model = Forecaster(
        target=["target"], past_covariates=COVARIATES, time_col="time", id_col="id",
        lookback=LOOKBACK, horizon=HORIZON, hidden_size=64, batch_size=256, max_epochs=1,
        patience=None, enable_progress_bar=False, accelerator="cpu", seed=0,
    ).fit(frame)
    fit_s = time.perf_counter() - start
    model.save(work / "model")
    history = frame.groupby("id", sort=False).tail(history_steps)
    history.to_parquet(work / "history.parquet", index=False)
    return {"history_rows": len(history), "n_series": n_series, "prepare_fit_s": fit_s}


def api_predict(model_dir: str, data: str, output: str) -> dict[str, float]:
    """Load -> read -> predict -> write through the Python API, timing each stage."""
    marks = {"imports_s": 0.0}
    import pandas as pd

    from tsattn import Forecaster

    marks["imports_s"] = time.perf_counter() - T0
    start = time.perf_counter()
    model = Forecaster.load(model_dir)
    marks["load_s"] = time.perf_counter() - start
    start = time.perf_counter()
    history = pd.read_parquet(data)
    marks["read_s"] = time.perf_counter() - start
    start = time.perf_counter()
    forecast = model.predict(history)
    marks["predict_s"] = time.perf_counter() - start
    start = time.perf_counter()
    forecast.to_parquet(output, index=False)
    marks["write_s"] = time.perf_counter() - start
    marks["forecast_rows"] = float(len(forecast))
    return marks
