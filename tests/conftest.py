"""Suite-wide settings and fixtures: tiny models run fastest, and most predictably, on one
thread; tidy attention frames are shared by the interpret and tracking tests."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from mlflow_server import mlflow_server  # noqa: F401  (a session fixture, shared)
from postgres_server import postgres_server, postgres_url  # noqa: F401  (fixtures, shared)
from synthetic import attention_window

# The models in the tests are tiny: a second intra-op thread only adds synchronisation, and on a
# busy 2-core machine (pytest plus an MLflow server plus tuning workers) it can slow steps 5x.
torch.set_num_threads(1)


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
                    frames.append(attention_window(weight, series=name, origin=origin, head=head))
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
