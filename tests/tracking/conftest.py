"""Fixtures for tracking tests: a real `mlflow server`, isolated working dirs, synthetic data."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pandas as pd
import pytest
from mlflow_server import free_port, isolate_mlflow


@pytest.fixture(autouse=True)
def _isolated_mlflow(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Each test runs in its own working dir with no tracking URI or active run leaking out."""
    yield from isolate_mlflow(tmp_path, monkeypatch)


@pytest.fixture
def server_env(mlflow_server: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """Point MLflow at the test server through the environment, as a user would."""
    monkeypatch.setenv("MLFLOW_TRACKING_URI", mlflow_server)
    return mlflow_server


@pytest.fixture
def dead_uri() -> str:
    """A loopback URL where nothing listens."""
    return f"http://127.0.0.1:{free_port()}"


_LOOKBACK, _HORIZON = 8, 3


def _tiny_forecaster(**overrides: Any) -> Any:
    """lookback 8, horizon 3, hidden 8, 2 epochs, input attention on: seconds on a CPU."""
    from tsattn import Forecaster

    params: dict[str, Any] = dict(
        target=["OT"],
        time_col="date",
        past_covariates=["load"],
        lookback=_LOOKBACK,
        horizon=_HORIZON,
        hidden_size=8,
        max_epochs=2,
        batch_size=32,
        seed=0,
        accelerator="cpu",
        enable_progress_bar=False,
        input_attention=True,
        patience=None,
    )
    params.update(overrides)
    return Forecaster(**params)


def _hourly(periods: int = 200) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    times = pd.date_range("2024-01-01", periods=periods, freq="h")
    phase = 2 * np.pi * np.arange(periods) / 24
    return pd.DataFrame(
        {
            "date": times,
            "OT": np.sin(phase) + 0.1 * rng.normal(size=periods),
            "load": np.cos(phase) + 0.1 * rng.normal(size=periods),
        }
    )


def _train_val() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Train on the first 150 rows; validate on the rest, with one lookback of context."""
    frame = _hourly()
    val = frame.iloc[150 - _LOOKBACK :].reset_index(drop=True)
    return frame.iloc[:150].reset_index(drop=True), val


def _last_run_id() -> str:
    import mlflow

    run = mlflow.last_active_run()
    assert run is not None, "the fit did not open an MLflow run"
    return str(run.info.run_id)


@pytest.fixture(scope="session")
def fit_kit() -> SimpleNamespace:
    """Helpers for tests that train: a tiny Forecaster factory, data, the last run's id."""
    return SimpleNamespace(
        forecaster=_tiny_forecaster,
        train_val=_train_val,
        last_run_id=_last_run_id,
        lookback=_LOOKBACK,
        horizon=_HORIZON,
    )
