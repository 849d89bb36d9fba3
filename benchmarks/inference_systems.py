"""B4 workers: prepare a saved model and a 10,000-series history file (untimed), and forecast it
through the Python API with a per-stage breakdown (the CLI row is timed by the harness itself)."""

from __future__ import annotations

import time

T0 = time.perf_counter()  # as close to process start as a module can get; imports come after

from pathlib import Path  # noqa: E402

from benchmarks.panels import synthetic_panel  # noqa: E402

LOOKBACK, HORIZON = 96, 24
COVARIATES = ["c1", "c2", "c3"]


def prepare(
    workdir: str, n_series: int, train_series: int, history_steps: int
) -> dict[str, object]:
    """Train a small model (lookback 96, horizon 24) on ``train_series`` series, save it, and write
    the last ``history_steps`` rows of ``n_series`` series as the job's input parquet."""
    from tsattn import Forecaster

    work = Path(workdir)
    train = synthetic_panel(train_series, 600, seed=1)
    model = Forecaster(
        target=["target"], past_covariates=COVARIATES, time_col="time", id_col="id",
        lookback=LOOKBACK, horizon=HORIZON, hidden_size=64, batch_size=256, max_epochs=1,
        patience=None, enable_progress_bar=False, accelerator="cpu", seed=0,
    ).fit(train)
    model.save(work / "model")
    history = synthetic_panel(n_series, history_steps, seed=2)
    history.to_parquet(work / "history.parquet", index=False)
    return {"history_rows": len(history), "n_series": n_series}


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
