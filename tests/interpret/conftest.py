"""Hand-built temporal-attention frames: the weights are chosen, so outcomes can be asserted."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest
from synthetic import attention_window


def _frame(weights: np.ndarray, series: object = "s0", start: str = "2024-01-01") -> pd.DataFrame:
    lookback = weights.shape[-1]
    td = pd.Timedelta(hours=1)
    frames = [
        attention_window(weight, series=series, origin=pd.Timestamp(start) + (lookback + k) * td)
        for k, weight in enumerate(weights)
    ]
    return pd.concat(frames, ignore_index=True)


@pytest.fixture
def frame_of() -> Callable[..., pd.DataFrame]:
    """weights (windows, steps, L), oldest source first -> a tidy frame of one series, one head,
    hourly, like `Forecaster.interpret` returns."""
    return _frame
