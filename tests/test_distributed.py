"""Training on 2 CPU processes (DDP, gloo) through the public API and `tsattn train`.

Both run as subprocesses, as a user runs them, so they also show that the calling script or
command runs once: Lightning's default launch would re-execute it for rank 1.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pandas as pd
import pytest
from synthetic import wide_frame

from tsattn import Forecaster
from tsattn.distributed import is_global_zero, launch_strategy
from tsattn.forecaster_config import ForecasterConfig

TESTS = Path(__file__).parent
ROOT = TESTS.parent
TINY = dict(
    lookback=12, horizon=4, hidden_size=8, max_epochs=2, batch_size=32, patience=None,
    enable_progress_bar=False, accelerator="cpu", calendar_features="none", devices=2,
)  # fmt: skip

# Appends a line per execution, then fits twice on 2 processes and reports what the caller holds.
SCRIPT = textwrap.dedent("""
    import json, sys
    import torch
    from synthetic import wide_frame
    from tsattn import Forecaster

    work = sys.argv[1]
    with open(f"{work}/runs.txt", "a") as runs:
        runs.write("ran\\n")
    frame = wide_frame(160)
    train, val = frame.iloc[:120], frame.iloc[108:]
    fc = Forecaster(["y"], time_col="date", past_covariates=["x"], **json.loads(sys.argv[2]))
    fc.fit(train, val_df=val)
    fc.fit(train, val_df=val)  # the script the user measured fitted twice
    fc.predict(val).to_csv(f"{work}/forecast.csv", index=False)
    fc.save(f"{work}/model")
    json.dump({"history": fc.history_.to_dict(orient="records"), "epochs": fc.epochs_trained_,
               "grouped": torch.distributed.is_initialized()}, open(f"{work}/fit.json", "w"))
""")


def run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    # the subprocess imports this checkout's tsattn and the tests' helpers
    path = os.pathsep.join([str(ROOT), str(TESTS), os.environ.get("PYTHONPATH", "")])
    env = {**os.environ, "PYTHONPATH": path, "OMP_NUM_THREADS": "1"}
    return subprocess.run([sys.executable, *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=300)


def test_a_script_fitting_on_two_processes_runs_once_and_keeps_the_model(tmp_path) -> None:
    (tmp_path / "fit.py").write_text(SCRIPT)
    result = run(["fit.py", str(tmp_path), json.dumps(TINY)], cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    assert (tmp_path / "runs.txt").read_text() == "ran\n"
    assert result.stderr.count("Starting with 2 processes") == 2  # both fits were DDP
    fitted = json.loads((tmp_path / "fit.json").read_text())
    history = pd.DataFrame(fitted["history"])
    assert history["epoch"].tolist() == [0, 1] and fitted["epochs"] == 2
    assert history[["train_loss", "val_loss"]].notna().all().all()
    assert fitted["grouped"] is False  # no process group left in the caller
    forecast = pd.read_csv(tmp_path / "forecast.csv", parse_dates=["date"])
    loaded = Forecaster.load(tmp_path / "model")  # predicts here, in one process, on one device
    val = wide_frame(160).iloc[108:]
    pd.testing.assert_frame_equal(loaded.predict(val), forecast, check_dtype=False)
    pd.testing.assert_frame_equal(loaded.history_, history, check_dtype=False)


def test_tsattn_train_on_two_processes_saves_one_model(tmp_path) -> None:
    wide_frame(200).to_csv(tmp_path / "series.csv", index=False)
    config = {
        "name": "ddp", "data": {"path": "series.csv", "split": {"train": 120, "val": 40,
                                                                "test": 40}},
        "forecaster": {"target": ["y"], "time_col": "date", **TINY, "strategy": "ddp"},
        "tracking": {"enabled": False}, "output_dir": "outputs",
    }
    (tmp_path / "ddp.yaml").write_text(json.dumps(config))  # JSON is YAML
    result = run(["-m", "tsattn", "train", "--config", "ddp.yaml"], cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.count("model saved to") == 1
    assert "Starting with 2 processes" in result.stderr
    assert [p.name for p in (tmp_path / "outputs" / "ddp").iterdir()] == ["model"]
    loaded = Forecaster.load(tmp_path / "outputs" / "ddp" / "model")
    assert loaded.strategy == "ddp" and loaded.devices == 2 and loaded.epochs_trained_ == 2
    assert len(loaded.predict(wide_frame(200).iloc[-40:])) == 4


def config(**overrides: object) -> ForecasterConfig:
    return ForecasterConfig(target=["y"], accelerator="cpu", **overrides)  # type: ignore[arg-type]


def test_only_a_relaunching_strategy_is_replaced(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("LOCAL_RANK", "RANK", "SLURM_NTASKS", "SLURM_PROCID", "TORCHELASTIC_RUN_ID"):
        monkeypatch.delenv(name, raising=False)
    assert launch_strategy(config(devices=2)) == "ddp_fork"
    assert launch_strategy(config(devices=2, strategy="ddp")) == "ddp_fork"
    assert launch_strategy(config(devices=1)) == "auto"
    assert launch_strategy(config(devices=2, strategy="ddp_spawn")) == "ddp_spawn"
    assert launch_strategy(config(devices=2, num_nodes=2, strategy="ddp")) == "ddp"
    assert is_global_zero()
    monkeypatch.setenv("LOCAL_RANK", "0")  # started by torchrun/Lightning: keep its launch
    assert launch_strategy(config(devices=2, strategy="ddp")) == "ddp"
    monkeypatch.setenv("RANK", "1")
    assert not is_global_zero()
