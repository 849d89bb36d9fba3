"""Run lifecycle against a real server: nesting, FAILED on a crash, KILLED on SIGTERM."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tsattn.config import TrackingConfig
from tsattn.tracking import log_file, log_metrics, log_params, start_run


def _client(uri: str):  # noqa: ANN202 - MlflowClient, imported lazily
    from mlflow import MlflowClient

    return MlflowClient(uri)


def test_run_finishes_with_tags_params_files_and_prefixed_metrics(
    mlflow_server: str, tmp_path: Path
) -> None:
    config = TrackingConfig(uri=mlflow_server, experiment="runs-basic")
    forecast = tmp_path / "forecast.csv"
    forecast.write_text("date,OT\n2024-01-01,1.0\n")
    with start_run(config, run_name="basic", tags={"tsattn.job": "train"}) as run:
        assert run is not None
        assert log_metrics({"mse": 0.5, "mae": 0.25}, prefix="test")
        assert log_params({"model": "models:/m@champion"})
        assert log_params({"model": "models:/m@champion"})  # same value again: fine
        assert log_file(forecast, "forecast")
    stored = _client(mlflow_server).get_run(run.info.run_id)
    assert stored.info.status == "FINISHED"
    assert stored.info.run_name == "basic"
    assert stored.data.tags["tsattn.job"] == "train" and "tsattn.version" in stored.data.tags
    assert stored.data.metrics == {"test_mse": 0.5, "test_mae": 0.25}
    assert stored.data.params == {"model": "models:/m@champion"}
    artifacts = _client(mlflow_server).list_artifacts(run.info.run_id, "forecast")
    assert [a.path for a in artifacts] == ["forecast/forecast.csv"]


def test_nested_runs_belong_to_parent(mlflow_server: str) -> None:
    config = TrackingConfig(uri=mlflow_server, experiment="runs-nested")
    with start_run(config, run_name="study") as parent:
        assert parent is not None
        children = []
        for trial in range(2):
            with start_run(config, run_name=f"trial-{trial}", nested=True) as child:
                assert child is not None
                children.append(child.info.run_id)
    client = _client(mlflow_server)
    for run_id in children:
        stored = client.get_run(run_id)
        assert stored.data.tags["mlflow.parentRunId"] == parent.info.run_id
        assert stored.info.status == "FINISHED"
        assert stored.info.experiment_id == parent.info.experiment_id
    assert client.get_run(parent.info.run_id).info.status == "FINISHED"


def test_crash_marks_run_failed_and_propagates(mlflow_server: str) -> None:
    config = TrackingConfig(uri=mlflow_server, experiment="runs-crash")
    with pytest.raises(ZeroDivisionError):
        with start_run(config, run_name="crash") as run:
            assert run is not None
            1 / 0  # noqa: B018
    assert _client(mlflow_server).get_run(run.info.run_id).info.status == "FAILED"


def test_crashed_child_fails_but_parent_finishes(mlflow_server: str) -> None:
    config = TrackingConfig(uri=mlflow_server, experiment="runs-crash-child")
    with start_run(config) as parent:
        assert parent is not None
        with pytest.raises(RuntimeError), start_run(config, nested=True) as child:
            assert child is not None
            raise RuntimeError("trial diverged")
    client = _client(mlflow_server)
    assert client.get_run(child.info.run_id).info.status == "FAILED"
    assert client.get_run(parent.info.run_id).info.status == "FINISHED"


def test_disabled_tracking_yields_none_and_writes_nothing(tmp_path: Path) -> None:
    with start_run(TrackingConfig(enabled=False)) as run:
        assert run is None
        assert not log_metrics({"mse": 1.0}, prefix="test")
        assert not log_params({"a": 1}) and not log_file(tmp_path / "missing.csv")
    assert not (tmp_path / "mlflow.db").exists()


_SLEEPER = """
import sys, time, types
# Import only the run lifecycle: a bare `tsattn` package object skips tsattn/__init__ (torch,
# Lightning), which would triple this test's time without exercising anything more.
package = types.ModuleType("tsattn")
package.__path__ = [sys.argv[2] + "/tsattn"]
sys.modules["tsattn"] = package
from tsattn.config import TrackingConfig
from tsattn.tracking.runs import start_run
with start_run(TrackingConfig(uri=sys.argv[1], experiment="runs-sigterm")) as run:
    print(run.info.run_id, flush=True)
    time.sleep(60)
"""


def test_sigterm_marks_run_killed_not_running(mlflow_server: str, tmp_path: Path) -> None:
    script = tmp_path / "sleeper.py"
    script.write_text(_SLEEPER)
    repo = str(Path(__file__).resolve().parents[2])
    process = subprocess.Popen(
        [sys.executable, str(script), mlflow_server, repo], stdout=subprocess.PIPE, text=True
    )
    try:
        assert process.stdout is not None
        run_id = process.stdout.readline().strip()
        time.sleep(0.5)
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 128 + signal.SIGTERM
    finally:
        if process.poll() is None:
            process.kill()
    assert _client(mlflow_server).get_run(run_id).info.status == "KILLED"
