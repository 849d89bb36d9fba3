"""`tsattn train` and `tsattn predict` as a user runs them: real files in, real files out."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).parents[1]
ETTH1 = ROOT / "data" / "ETTh1.csv"


def tsattn(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "OMP_NUM_THREADS": "1"}  # tiny model: one thread is fastest
    return subprocess.run(
        [sys.executable, "-m", "tsattn", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, subprocess.CompletedProcess]:
    """The demo config, shrunk to one small epoch, trained from an empty working directory."""
    work = tmp_path_factory.mktemp("cli")
    result = tsattn(
        "train", "--config", str(ROOT / "configs" / "etth1_demo.yaml"),
        "--set", f"data.path={ETTH1}", "--set", "forecaster.max_epochs=1",
        "--set", "forecaster.hidden_size=8", "--set", "forecaster.horizon=24",
        "--set", "forecaster.lookback=24", "--set", "forecaster.batch_size=256",
        "--set", "forecaster.enable_progress_bar=false", "--no-track",
        cwd=work,
    )  # fmt: skip
    return work, result


def test_train_prints_test_metrics_and_saves_the_model(trained) -> None:
    work, result = trained
    assert result.returncode == 0, result.stderr[-3000:]
    assert "test" in result.stdout and "mse" in result.stdout
    original, protocol = result.stdout.split("z-scored (benchmarks)")
    assert "metrics in the data's units" in original and "smape" in original
    assert "mse" in protocol and "smape" not in protocol  # no sMAPE of z-scores
    assert "conformal intervals, test" in original  # calibrated on val by default
    assert "80 %" in original and "95 %" in original
    assert (work / "outputs" / "etth1_demo" / "model" / "forecaster.json").is_file()


def test_predict_writes_the_forecast_file(trained) -> None:
    work, _ = trained
    output = work / "forecast.csv"
    result = tsattn(
        "predict", "--model", "outputs/etth1_demo/model", "--data", str(ETTH1),
        "--output", str(output), cwd=work,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    forecast = pd.read_csv(output, parse_dates=["date"])
    assert len(forecast) == 24
    assert forecast["date"].iloc[0] == pd.Timestamp("2018-06-26 20:00:00")
    assert list(forecast.columns) == ["date", "HUFL", "HULL", "MUFL", "MULL", "LUFL", "LULL", "OT"]


def test_config_errors_are_one_clear_line_before_work(tmp_path: Path) -> None:
    result = tsattn(
        "train", "--config", str(ROOT / "configs" / "etth1_demo.yaml"),
        "--set", "forecaster.hiden_size=8", "--no-track", cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 2
    assert "unknown key 'forecaster.hiden_size'" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr
    assert not (tmp_path / "outputs").exists()


def test_predict_refuses_bad_data_and_keeps_the_previous_forecast(trained, tmp_path) -> None:
    work, _ = trained
    output = tmp_path / "forecast.csv"
    output.write_text("previous good forecast\n")
    bad = tmp_path / "bad.csv"
    pd.read_csv(ETTH1).drop(columns="OT").to_csv(bad, index=False)
    result = tsattn(
        "predict", "--model", "outputs/etth1_demo/model", "--data", str(bad),
        "--output", str(output), cwd=work,
    )  # fmt: skip
    assert result.returncode == 2 and "OT" in result.stdout
    assert output.read_text() == "previous good forecast\n"
