"""When tracking cannot work, say so before training; when training crashes, the run says FAILED."""

from __future__ import annotations

import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import lightning.pytorch as L
import pandas as pd
import pytest
from mlflow_server import autologged

from tsattn.errors import TrackingError


class _Recorder(L.Callback):
    """Remembers whether training started; optionally blows up after the first epoch."""

    def __init__(self, crash: bool = False) -> None:
        self.started, self.crash = False, crash

    def on_train_start(self, trainer: Any, pl_module: Any) -> None:
        self.started = True

    def on_train_epoch_end(self, trainer: Any, pl_module: Any) -> None:
        if self.crash:
            raise RuntimeError("simulated crash mid-training")


def test_unreachable_server_fails_before_training(
    dead_uri: str, monkeypatch: pytest.MonkeyPatch, fit_kit: SimpleNamespace
) -> None:
    monkeypatch.setenv("MLFLOW_TRACKING_URI", dead_uri)
    recorder = _Recorder()
    train, val = fit_kit.train_val()
    with autologged(), pytest.raises(TrackingError, match=f"{dead_uri}.*unreachable"):
        fit_kit.forecaster().fit(train, val_df=val, callbacks=[recorder])
    assert not recorder.started


def test_crashed_fit_marks_run_failed(server_env: str, fit_kit: SimpleNamespace) -> None:
    import mlflow

    train, val = fit_kit.train_val()
    with autologged(), pytest.raises(RuntimeError, match="simulated crash"):
        fit_kit.forecaster().fit(train, val_df=val, callbacks=[_Recorder(crash=True)])
    run = mlflow.MlflowClient(server_env).get_run(fit_kit.last_run_id())
    assert run.info.status == "FAILED"
    assert run.data.params["lookback"] == "8"  # settings were logged before training
    assert mlflow.active_run() is None


def test_untracked_fit_touches_no_store(tmp_path: Path, fit_kit: SimpleNamespace) -> None:
    train, val = fit_kit.train_val()
    fit_kit.forecaster(max_epochs=1).fit(train, val_df=val)
    assert not (tmp_path / "mlflow.db").exists() and not (tmp_path / "mlartifacts").exists()
    mlflow = sys.modules.get("mlflow")
    assert mlflow is None or mlflow.active_run() is None


def test_embedded_default_store_records_fit_without_server(
    tmp_path: Path, fit_kit: SimpleNamespace
) -> None:
    import mlflow.pyfunc

    train, val = fit_kit.train_val()
    # attention="none" skips the plots (covered against the server) and checks that path too.
    with autologged():
        forecaster = fit_kit.forecaster(
            max_epochs=1, attention="none", input_attention=False
        ).fit(train, val_df=val)
    run_id = fit_kit.last_run_id()
    assert (tmp_path / "mlflow.db").is_file()
    readme = next((tmp_path / "mlartifacts").rglob("interpretation/README.txt")).read_text()
    assert "attention='none'" in readme
    uri = f"sqlite:///{tmp_path.resolve() / 'mlflow.db'}"
    client = mlflow.MlflowClient(uri)
    run = client.get_run(run_id)
    assert run.info.status == "FINISHED"
    location = client.get_experiment(run.info.experiment_id).artifact_location
    assert location == (tmp_path.resolve() / "mlartifacts" / "tsattn").as_uri()
    mlflow.set_tracking_uri(uri)
    model = mlflow.pyfunc.load_model(f"runs:/{run_id}/model")
    pd.testing.assert_frame_equal(model.predict(val), forecaster.predict(val))


def test_channel_independent_run_logs_each_targets_lag_profile(
    tmp_path: Path, fit_kit: SimpleNamespace
) -> None:
    train, val = fit_kit.train_val()
    with autologged():
        fit_kit.forecaster(
            target=["OT", "load"], past_covariates=[], input_attention=False,
            channel_independent=True, max_epochs=1,
        ).fit(train, val_df=val)
    folder = next((tmp_path / "mlartifacts").rglob("interpretation"))
    profile = pd.read_csv(folder / "lag_profile_by_target.csv")
    assert profile["target"].unique().tolist() == ["OT", "load"]
    assert (folder / "lag_profile_by_target.png").stat().st_size > 0
    readme = (folder / "README.txt").read_text()
    assert "first target, 'OT'" in readme and "lag_profile_by_target" in readme


def test_model_that_cannot_be_logged_is_saved_locally_and_named(
    server_env: str, fit_kit: SimpleNamespace, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import mlflow

    from tsattn import Forecaster
    from tsattn.tracking import pyfunc_model

    def store_gone(*args: Any, **kwargs: Any) -> Any:
        raise ConnectionError("tracking server went away")

    monkeypatch.setattr(pyfunc_model, "log_forecaster_model", store_gone)
    train, val = fit_kit.train_val()
    forecaster = fit_kit.forecaster(max_epochs=1, attention="none", input_attention=False)
    with autologged(), pytest.raises(TrackingError, match="saved at") as info:
        forecaster.fit(train, val_df=val)
    run_id = fit_kit.last_run_id()
    saved = tmp_path / "tsattn-unlogged-models" / run_id
    assert str(saved) in str(info.value)
    reloaded = Forecaster.load(saved)
    pd.testing.assert_frame_equal(reloaded.predict(val), forecaster.predict(val))
    assert mlflow.MlflowClient(server_env).get_run(run_id).info.status == "FAILED"
