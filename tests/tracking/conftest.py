"""Fixtures for tracking tests: a real `mlflow server`, isolated working dirs, synthetic data."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
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


@pytest.fixture
def make_temporal() -> Callable[..., pd.DataFrame]:
    """Factory of tidy temporal-attention frames shaped like `Forecaster.interpret` output."""

    def make(
        lookback: int = 96,
        horizon: int = 96,
        origins: int = 6,
        heads: int = 1,
        series: tuple[str, ...] = ("a",),
        seed: int = 0,
    ) -> pd.DataFrame:
        rng = np.random.default_rng(seed)
        td = pd.Timedelta(hours=1)
        lag, step = np.arange(lookback - 1, -1, -1), np.arange(1, horizon + 1)
        distance = lag[None, :] + step[:, None]  # -> (H, L)
        frames = []
        for name in series:
            for k in range(origins):
                origin = pd.Timestamp("2017-06-01") + (lookback + 7 * k) * td
                for head in range(heads):
                    noise = rng.normal(0, 1, distance.shape)
                    logits = 3 * np.cos(2 * np.pi * distance / 24) + noise
                    weight = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
                    frames.append(
                        pd.DataFrame(
                            {
                                "series": name,
                                "origin": origin,
                                "step": np.repeat(step, lookback),
                                "target_time": np.repeat(origin + step * td, lookback),
                                "source_time": np.tile(origin - lag * td, horizon),
                                "lag": np.tile(lag, horizon),
                                "distance": distance.ravel(),
                                "head": head,
                                "weight": weight.ravel(),
                            }
                        )
                    )
        return pd.concat(frames, ignore_index=True)

    return make


@pytest.fixture
def make_input_attention() -> Callable[..., pd.DataFrame]:
    """Factory of tidy input-attention frames; variable v0 is the most attended by design."""

    def make(
        lookback: int = 96,
        origins: int = 6,
        variables: int = 4,
        series: tuple[str, ...] = ("a",),
        seed: int = 0,
    ) -> pd.DataFrame:
        rng = np.random.default_rng(seed)
        td = pd.Timedelta(hours=1)
        names = [f"v{i}" for i in range(variables)]
        lag = np.arange(lookback - 1, -1, -1)
        frames = []
        for name in series:
            for k in range(origins):
                origin = pd.Timestamp("2017-06-01") + (lookback + 7 * k) * td
                logits = np.linspace(2, 0, variables)[None, :] + rng.normal(
                    0, 0.3, (lookback, variables)
                )
                weight = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
                frames.append(
                    pd.DataFrame(
                        {
                            "series": name,
                            "origin": origin,
                            "source_time": np.repeat(origin - lag * td, variables),
                            "lag": np.repeat(lag, variables),
                            "variable": np.tile(names, lookback),
                            "weight": weight.ravel(),
                        }
                    )
                )
        return pd.concat(frames, ignore_index=True)

    return make


@pytest.fixture
def keep_png(request: pytest.FixtureRequest) -> Callable[[Path], None]:
    """Copy a rendered PNG to $TSATTN_KEEP_PNG (if set) for a human look."""

    def keep(path: Path) -> None:
        target = os.environ.get("TSATTN_KEEP_PNG")
        if target:
            Path(target).mkdir(parents=True, exist_ok=True)
            shutil.copy(path, Path(target) / f"{request.node.name}-{path.name}")

    return keep


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
