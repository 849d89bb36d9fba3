"""`train_job` on a panel: the test scores per series, beside the model and in the run."""

from __future__ import annotations

from pathlib import Path

import mlflow
import pandas as pd
import pytest
from synthetic import panel_frame

from tsattn import Forecaster
from tsattn.config import ExperimentConfig
from tsattn.jobs import train_job

TINY = dict(
    lookback=12, horizon=4, hidden_size=8, max_epochs=2, batch_size=32, patience=None,
    enable_progress_bar=False, accelerator="cpu", calendar_features="none",
)  # fmt: skip


def _experiment(tmp_path: Path, uri: str | None, **forecaster: object) -> ExperimentConfig:
    frame = panel_frame(n_series=3, n=90)
    frame.to_csv(tmp_path / "panel.csv", index=False)
    return ExperimentConfig.model_validate({
        "name": "panel",
        "data": {"path": tmp_path / "panel.csv", "split": {"train": 0.6, "val": 0.2, "test": 0.2}},
        "forecaster": {"target": ["y"], "time_col": "time", "past_covariates": ["load"],
                       **TINY, **forecaster},
        "tracking": {"enabled": uri is not None, "uri": uri, "experiment": "panel-job"},
        "output_dir": tmp_path / "outputs",
    })  # fmt: skip


def test_a_panel_train_job_keeps_its_test_scores_per_series(
    mlflow_server: str, tmp_path: Path
) -> None:
    result = train_job(_experiment(tmp_path, mlflow_server, id_col="id"))
    scores = result.test_by_series
    assert scores is not None and scores.index.name == "id"
    assert scores.index.tolist() == ["s0", "s1", "s2"]
    assert result.by_series_path == tmp_path / "outputs" / "panel" / "test_by_series.csv"
    written = pd.read_csv(result.by_series_path)
    pd.testing.assert_frame_equal(written, scores.reset_index(), check_dtype=False)
    # the saved model scores the same: the file describes the model beside it
    model = Forecaster.load(result.model_dir)
    test = pd.read_csv(tmp_path / "panel.csv", parse_dates=["time"]).groupby("id").tail(18 + 12)
    again = model.evaluate(test, scale="original", by_series=True)
    assert again["windows"].tolist() == scores["windows"].tolist() == [15, 15, 15]
    pd.testing.assert_series_equal(again["mae"], scores["mae"], rtol=1e-6)
    # the run holds it as a table the MLflow UI shows
    mlflow.set_tracking_uri(mlflow_server)
    table = mlflow.artifacts.load_dict(f"runs:/{result.run_id}/test_by_series.json")
    logged = pd.DataFrame(table["data"], columns=table["columns"])  # MLflow's table layout
    assert logged["id"].tolist() == ["s0", "s1", "s2"]
    assert logged["mae"].tolist() == pytest.approx(scores["mae"].tolist())
    assert set(logged.columns) >= {"mse", "mae", "smape", "mase", "coverage_80", "windows"}


def test_a_single_series_train_job_writes_no_per_series_scores(tmp_path: Path) -> None:
    experiment = _experiment(tmp_path, None)
    experiment.data.path.write_text(
        panel_frame(n_series=1, n=90).drop(columns="id").to_csv(index=False)
    )
    with pytest.warns(UserWarning, match="15 windows, fewer than the 19"):  # one series' val
        result = train_job(experiment)
    assert result.test_by_series is None and result.by_series_path is None
    assert [p.name for p in (tmp_path / "outputs" / "panel").iterdir()] == ["model"]
