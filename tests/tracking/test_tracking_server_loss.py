"""A tracking server SIGKILLed mid-fit: the error comes within a minute of the end of training,
the model is saved locally and named, and the run ends FAILED if the server comes back.

One real `mlflow server` for the module, killed (process group, SIGKILL) from a Lightning
callback after the first epoch and restarted on the same port and sqlite store when needed.
"""

from __future__ import annotations

import subprocess
import threading
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import lightning.pytorch as L
import pandas as pd
import pytest
from mlflow_server import autologged, free_port, kill_group, start_server, stop_group

from tsattn.errors import TrackingError

_FAIL_FAST_S = 60.0


@dataclass
class _Server:
    """One server's store and port; `process` is the live one, None while it is dead."""

    root: Path
    port: int
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def ensure_running(self) -> None:
        if self.process is None:
            self.process = start_server(self.root, self.port)

    def kill(self) -> None:
        if self.process is not None:
            kill_group(self.process)
            self.process = None


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[_Server]:
    """A server of this module's own (the session's shared one must not die)."""
    handle = _Server(tmp_path_factory.mktemp("mlflow-doomed"), free_port())
    try:
        yield handle
    finally:
        if handle.process is not None:
            stop_group(handle.process)


class _KillAfterFirstEpoch(L.Callback):
    """Kills the server when epoch 0 ends (its metrics are logged); notes when training ends."""

    def __init__(self, server: _Server) -> None:
        self.server, self.train_end = server, 0.0

    def on_train_epoch_end(self, trainer: Any, pl_module: Any) -> None:
        if trainer.current_epoch == 0:
            self.server.kill()

    def on_train_end(self, trainer: Any, pl_module: Any) -> None:
        self.train_end = time.monotonic()


def _fit_until_server_dies(
    server: _Server, fit_kit: SimpleNamespace
) -> tuple[Any, pytest.ExceptionInfo[TrackingError], float, list[str]]:
    """Fit 3 epochs with the server killed after the first; return the forecaster, the error,
    seconds from the end of training to the error, and the warnings raised."""
    killer = _KillAfterFirstEpoch(server)
    train, val = fit_kit.train_val()
    forecaster = fit_kit.forecaster(max_epochs=3, attention="none", input_attention=False)
    with (
        warnings.catch_warnings(record=True) as caught,
        autologged(uri=server.url),
        pytest.raises(TrackingError, match="saved at") as info,
    ):
        warnings.simplefilter("always")
        forecaster.fit(train, val_df=val, callbacks=[killer])
    assert killer.train_end > 0, "training did not reach its end"
    return forecaster, info, time.monotonic() - killer.train_end, [str(w.message) for w in caught]


def _assert_saved_and_named(
    forecaster: Any, info: pytest.ExceptionInfo[TrackingError], saved: Path, val: pd.DataFrame
) -> None:
    from tsattn import Forecaster

    assert str(saved) in str(info.value)
    assert "stopped answering" in str(info.value)
    reloaded = Forecaster.load(saved)
    pd.testing.assert_frame_equal(reloaded.predict(val), forecaster.predict(val))


def test_server_back_after_the_fit_gets_the_run_marked_failed(
    server: _Server, fit_kit: SimpleNamespace, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import mlflow

    # A restart here takes up to ~15 s on two busy cores; the grace must outlast it.
    monkeypatch.setenv("TSATTN_RUN_END_GRACE_S", "45")
    server.ensure_running()
    unlogged = tmp_path / "tsattn-unlogged-models"

    def restart_once_saved_locally() -> None:
        deadline = time.monotonic() + 120
        while not unlogged.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        server.ensure_running()

    restarter = threading.Thread(target=restart_once_saved_locally, daemon=True)
    restarter.start()
    forecaster, info, seconds, caught = _fit_until_server_dies(server, fit_kit)
    restarter.join(timeout=120)
    print(f"TrackingError {seconds:.1f} s after the end of training (server restarted)")
    run_id = next(unlogged.iterdir()).name  # last_active_run() would ask the server
    _assert_saved_and_named(forecaster, info, unlogged / run_id, fit_kit.train_val()[1])
    assert seconds < _FAIL_FAST_S
    client = mlflow.MlflowClient(server.url)
    assert client.get_run(run_id).info.status == "FAILED"
    steps = {m.step for m in client.get_metric_history(run_id, "val_loss")}
    assert steps == {0}  # epoch 0 was logged before the kill; nothing was retried after it
    assert not [m for m in caught if "could not mark" in m]


def test_server_that_stays_dead_fails_the_fit_within_a_minute_of_training(
    server: _Server, fit_kit: SimpleNamespace, tmp_path: Path
) -> None:
    server.ensure_running()
    forecaster, info, seconds, caught = _fit_until_server_dies(server, fit_kit)
    saved = next((tmp_path / "tsattn-unlogged-models").iterdir())
    run_id = saved.name
    _assert_saved_and_named(forecaster, info, saved, fit_kit.train_val()[1])
    print(f"TrackingError {seconds:.1f} s after the end of training (default bounds)")
    assert seconds < _FAIL_FAST_S
    assert [m for m in caught if "MLflow stopped accepting metrics" in m]
    unmarked = [m for m in caught if f"could not mark MLflow run {run_id} as FAILED" in m]
    assert unmarked and "TSATTN_RUN_END_GRACE_S" in unmarked[0]


def test_http_bounds_fill_in_only_what_the_user_left_unset(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import os

    from tsattn.tracking.http_bounds import bounded_http

    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_TIMEOUT", "300")
    monkeypatch.delenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", raising=False)
    with bounded_http():
        with bounded_http():  # a fit inside a job: the inner block must not clean up early
            pass
        assert os.environ["MLFLOW_HTTP_REQUEST_MAX_RETRIES"] == "2"
        assert os.environ["MLFLOW_HTTP_REQUEST_TIMEOUT"] == "300"
    assert "MLFLOW_HTTP_REQUEST_MAX_RETRIES" not in os.environ
    assert os.environ["MLFLOW_HTTP_REQUEST_TIMEOUT"] == "300"


def test_malformed_run_end_grace_fails_before_a_run_opens(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from tsattn.config import TrackingConfig
    from tsattn.tracking import start_run

    monkeypatch.setenv("TSATTN_RUN_END_GRACE_S", "soon")
    with pytest.raises(TrackingError, match="TSATTN_RUN_END_GRACE_S.*'soon'"):
        with start_run(TrackingConfig(enabled=True)):
            pass
    assert not (tmp_path / "mlflow.db").exists()
