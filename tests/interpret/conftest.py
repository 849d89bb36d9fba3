"""Hand-built temporal-attention frames: the weights are chosen, so outcomes can be asserted."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest


def _frame(weights: np.ndarray, series: object = "s0", start: str = "2024-01-01") -> pd.DataFrame:
    windows, steps, lookback = weights.shape
    td, frames = pd.Timedelta(hours=1), []
    lag, step = np.arange(lookback - 1, -1, -1), np.arange(1, steps + 1)
    for k in range(windows):
        origin = pd.Timestamp(start) + (lookback + k) * td
        frames.append(
            pd.DataFrame(
                {
                    "series": series,
                    "origin": origin,
                    "step": np.repeat(step, lookback),
                    "target_time": np.repeat(origin + step * td, lookback),
                    "source_time": np.tile(origin - lag * td, steps),
                    "lag": np.tile(lag, steps),
                    "distance": (lag[None, :] + step[:, None]).ravel(),
                    "head": 0,
                    "weight": weights[k].ravel(),
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


@pytest.fixture
def frame_of() -> Callable[..., pd.DataFrame]:
    """weights (windows, steps, L), oldest source first -> a tidy frame of one series, one head,
    hourly, like `Forecaster.interpret` returns."""
    return _frame
