"""The scheduled forecast job as cron runs it: registered model in, file and MLflow run out."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import mlflow
import pandas as pd
import pytest
from mlflow_server import autologged
from synthetic import wide_frame

from tsattn import Forecaster
from tsattn.tracking import register_model


@pytest.fixture(scope="module")
def registered(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, Forecaster]:
    """A tiny model trained with tracking into a local sqlite store and registered as champion."""
    work = tmp_path_factory.mktemp("forecast-job")
    uri = f"sqlite:///{work / 'mlflow.db'}"
    history = wide_frame(160)
    history.to_csv(work / "history.csv", index=False)
    fc = Forecaster(
        target="y", time_col="date", lookback=12, horizon=4, hidden_size=8, max_epochs=1,
        enable_progress_bar=False, accelerator="cpu", calendar_features="none",
    )  # fmt: skip
    previous = os.environ.get("MLFLOW_TRACKING_URI")
    os.environ["MLFLOW_TRACKING_URI"] = uri
    try:
        with autologged():
            fc.fit(history.iloc[:120], val_df=history.iloc[108:])
        run = mlflow.last_active_run()
        assert run is not None, "the autologged fit opened no run"
        register_model(run.info.run_id, "tiny", "champion", uri=uri)
    finally:
        os.environ.pop("MLFLOW_TRACKING_URI")
        if previous is not None:
            os.environ["MLFLOW_TRACKING_URI"] = previous
    return work, uri, fc


def run_job(work: Path, uri: str, data: str, output: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "MLFLOW_TRACKING_URI": uri}
    command = [sys.executable, "-m", "tsattn", "forecast", "--model", "models:/tiny@champion",
               "--data", data, "--output", output, "--experiment", "jobs"]  # fmt: skip
    return subprocess.run(command, cwd=work, env=env, capture_output=True, text=True, timeout=300)


def job_runs(uri: str) -> pd.DataFrame:
    """The "jobs" runs, oldest first: run_id, status and each metric as `metrics.NAME`.

    Through a client, not mlflow.set_tracking_uri: a global URI leaks into every later test.
    """
    client = mlflow.MlflowClient(uri)
    experiment = client.get_experiment_by_name("jobs")
    assert experiment is not None, "the job logged no 'jobs' experiment"
    runs = client.search_runs([experiment.experiment_id], order_by=["attributes.start_time ASC"])
    return pd.DataFrame([
        {"run_id": r.info.run_id, "status": r.info.status,
         **{f"metrics.{name}": value for name, value in r.data.metrics.items()}}
        for r in runs
    ])


def test_job_writes_the_registered_models_forecast_and_logs_a_run(registered) -> None:
    work, uri, fc = registered
    result = run_job(work, uri, "history.csv", "out/forecast.csv")
    assert result.returncode == 0, result.stdout + result.stderr
    written = pd.read_csv(work / "out" / "forecast.csv", parse_dates=["date"])
    expected = fc.predict(pd.read_csv(work / "history.csv", parse_dates=["date"]))
    pd.testing.assert_frame_equal(written, expected, check_dtype=False)
    runs = job_runs(uri)
    assert runs["status"].tolist()[-1] == "FINISHED"
    assert runs["metrics.forecast_rows"].tolist()[-1] == 4
    client = mlflow.MlflowClient(uri)
    artifacts = [f.path for f in client.list_artifacts(runs["run_id"].iloc[-1], "forecast")]
    assert artifacts == ["forecast/forecast.csv"]


def test_bad_fresh_data_fails_the_run_and_keeps_the_previous_forecast(registered) -> None:
    work, uri, _ = registered
    good = work / "out" / "kept.csv"
    good.parent.mkdir(exist_ok=True)
    good.write_text("yesterday's forecast\n")
    pd.read_csv(work / "history.csv").drop(index=[50, 51]).to_csv(work / "gappy.csv", index=False)
    result = run_job(work, uri, "gappy.csv", "out/kept.csv")
    assert result.returncode == 2
    assert "gap" in result.stdout.lower() or "expected" in result.stdout.lower()
    assert good.read_text() == "yesterday's forecast\n"
    assert job_runs(uri)["status"].tolist()[-1] == "FAILED"
