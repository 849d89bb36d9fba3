"""End to end against a real `mlflow server`: one tracked fit, then everything the UI shows."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pandas as pd
import pytest
from mlflow_server import autologged

from tsattn import Forecaster
from tsattn.tracking import register_model


@pytest.fixture(scope="module")
def tracked(
    mlflow_server: str, tmp_path_factory: pytest.TempPathFactory, fit_kit: SimpleNamespace
) -> Iterator[dict[str, Any]]:
    """One tracked fit against the server, shared by the tests that inspect its run."""
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(tmp_path_factory.mktemp("tracked-fit"))
        patch.setenv("MLFLOW_TRACKING_URI", mlflow_server)
        train, val = fit_kit.train_val()
        with autologged():  # calibrated in fit, so the logged model carries its intervals
            forecaster = fit_kit.forecaster().fit(train, val_df=val, calibration_df=val)
        from mlflow import MlflowClient

        run_id = fit_kit.last_run_id()
        yield {
            "forecaster": forecaster,
            "run_id": run_id,
            "train": train,
            "val": val,
            "client": MlflowClient(mlflow_server),
            "uri": mlflow_server,
            "lookback": fit_kit.lookback,
            "horizon": fit_kit.horizon,
        }


def test_one_finished_run_with_full_config_and_data_facts(tracked: dict[str, Any]) -> None:
    run = tracked["client"].get_run(tracked["run_id"])
    assert run.info.status == "FINISHED"
    params, forecaster = run.data.params, tracked["forecaster"]
    for key in forecaster.get_params():
        assert key in params, f"param {key} not logged"
    assert params["lookback"] == "8" and params["horizon"] == "3" and params["seed"] == "0"
    assert params["target"] == '["OT"]' and params["hidden_size"] == "8"
    # "auto" settings are logged as what trained (RevIN on; input attention needs the channels
    # mixed; horizon 3 leaves room only for single-step queries)
    assert (params["revin"], params["channel_independent"], params["segment_length"]) == (
        "True", "False", "1"
    )
    assert params["loss"] == "mse"
    assert params["data.train.rows"] == "150"
    assert params["data.val.rows"] == str(len(tracked["val"]))
    assert params["data.train.series"] == "1"
    assert params["data.train.start"] == "2024-01-01 00:00:00"
    assert params["data.columns.past_covariates"] == '["load"]'
    assert params["data.freq"] == "h"
    assert params["versions.torch"].startswith("2.") and "versions.mlflow" in params
    tags = run.data.tags
    assert tags["tsattn.cell"] == "lstm" and tags["tsattn.job"] == "fit"
    assert run.info.run_name == "lstm-general-L8-H3"


def test_metric_history_has_one_point_per_epoch(tracked: dict[str, Any]) -> None:
    client, run_id, forecaster = tracked["client"], tracked["run_id"], tracked["forecaster"]
    history = forecaster.history_
    assert len(history) == 2
    for name in ("train_loss", "val_loss"):
        points = client.get_metric_history(run_id, name)
        assert [p.step for p in points] == history["epoch"].tolist()
        np.testing.assert_allclose([p.value for p in points], history[name], rtol=1e-6)
    metrics = client.get_run(run_id).data.metrics
    assert metrics["epochs_trained"] == forecaster.epochs_trained_
    assert 0 < metrics["attention_entropy_ratio"] <= 1  # logged with the interpretation files
    assert 0.1 <= metrics["attention_top10_mass"] <= 1
    for ranking in ("attention", "contribution"):  # the deletion test, each way
        assert metrics[f"{ranking}_deletion_ratio"] == min(
            metrics[f"{ranking}_deletion_ratio_scattered"],
            metrics[f"{ranking}_deletion_ratio_contiguous"])


def test_interpretation_artifacts_have_right_shapes(
    tracked: dict[str, Any], tmp_path: Path
) -> None:
    import mlflow.artifacts

    local = Path(
        mlflow.artifacts.download_artifacts(
            run_id=tracked["run_id"],
            artifact_path="interpretation",
            dst_path=str(tmp_path),
            tracking_uri=tracked["uri"],
        )
    )
    assert list((local / "heatmaps").glob("heatmap_*.png"))
    for name in (
        "lag_profile.png",
        "lag_profile.csv",
        "mean_attention_map.png",
        "variable_importance.png",
        "variable_importance.csv",
        "variable_contributions.png",
        "variable_contributions.csv",
        "contribution_profile.csv",
        "contribution_profile.png",
        "attention_report.html",
        "README.txt",
    ):
        assert (local / name).is_file(), name
    raw = pd.read_parquet(local / "temporal_attention.parquet")
    lookback, horizon = tracked["lookback"], tracked["horizon"]
    windows = len(tracked["val"]) - lookback - horizon + 1
    assert len(raw) == windows * horizon * lookback * raw["head"].nunique()
    assert raw["lag"].between(0, lookback - 1).all()
    sums = raw.groupby(["series", "origin", "step", "head"])["weight"].sum()
    np.testing.assert_allclose(sums.to_numpy(), 1.0, rtol=1e-5)
    lag = pd.read_csv(local / "lag_profile.csv")
    assert len(lag) == lookback and lag["share"].sum() == pytest.approx(1.0)
    importance = pd.read_csv(local / "variable_importance.csv")
    assert importance["importance"].sum() == pytest.approx(1.0)
    moved = pd.read_csv(local / "variable_contributions.csv")  # every variable, once
    assert sorted(moved["variable"]) == sorted(tracked["forecaster"].preprocessor_.feature_names)
    assert moved["importance"].sum() == pytest.approx(1.0) and (moved["mean_abs"] > 0).all()
    profile = pd.read_csv(local / "contribution_profile.csv")
    assert profile["distance"].between(1, lookback + horizon).all()
    inputs = pd.read_parquet(local / "input_attention.parquet")
    per_step = inputs.groupby(["series", "origin", "source_time"])["weight"].sum()
    np.testing.assert_allclose(per_step.to_numpy(), 1.0, rtol=1e-5)


def test_pyfunc_predictions_equal_in_memory_forecaster(
    tracked: dict[str, Any], server_env: str
) -> None:
    import mlflow.pyfunc

    model = mlflow.pyfunc.load_model(f"runs:/{tracked['run_id']}/model")
    assert model.metadata.get_input_schema() is not None
    assert model.metadata.saved_input_example_info is not None
    history = tracked["val"]
    forecaster = tracked["forecaster"]
    # every calibrated level by default, the ones asked for through params, or none
    expected = forecaster.predict(history, levels=[0.8, 0.95])
    assert {"OT_lo_80", "OT_hi_95"} <= set(expected.columns)
    pd.testing.assert_frame_equal(model.predict(history), expected)
    only = model.predict(history, params={"levels": [0.95]})
    pd.testing.assert_frame_equal(only, forecaster.predict(history, levels=[0.95]))
    pd.testing.assert_frame_equal(model.predict(history, params={"levels": []}),
                                  forecaster.predict(history))  # fmt: skip
    run = tracked["client"].get_run(tracked["run_id"])
    assert run.data.tags["tsattn.interval_levels"] == "0.8,0.95"
    assert run.data.metrics["calibration_windows"] == forecaster.calibration_.n_windows > 0


def test_registry_alias_resolves_and_loads(tracked: dict[str, Any], server_env: str) -> None:
    version = register_model(tracked["run_id"], "tsattn-e2e", "champion")
    assert version >= 1
    alias = tracked["client"].get_model_version_by_alias("tsattn-e2e", "champion")
    assert int(alias.version) == version and alias.run_id == tracked["run_id"]
    loaded = Forecaster.load("models:/tsattn-e2e@champion")
    history = tracked["val"]
    pd.testing.assert_frame_equal(loaded.predict(history), tracked["forecaster"].predict(history))


def test_fit_inside_active_run_logs_there_and_leaves_it_open(
    server_env: str, fit_kit: SimpleNamespace
) -> None:
    import mlflow

    train, val = fit_kit.train_val()
    with mlflow.start_run(tags={"tsattn.job": "train"}) as run:
        # No attention: this test is about where records go, not about attention plots.
        fit_kit.forecaster(max_epochs=1, attention="none", input_attention=False).fit(
            train, val_df=val
        )
        assert mlflow.active_run() is not None  # the session did not end the user's run
        mlflow.log_metric("after_fit", 1.0)
    stored = mlflow.MlflowClient(server_env).get_run(run.info.run_id)
    assert stored.info.status == "FINISHED"
    assert {"train_loss", "val_loss", "after_fit"} <= set(stored.data.metrics)
    assert stored.data.params["lookback"] == "8"
    assert stored.data.tags["tsattn.job"] == "train"  # the owner's tags are kept
    assert stored.data.tags["tsattn.attention"] == "none"
