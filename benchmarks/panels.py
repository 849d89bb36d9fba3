"""B3's synthetic panel and the timing helpers every windowing system shares (numpy/pandas only)."""

from __future__ import annotations

import time
from collections.abc import Iterable

import numpy as np
import pandas as pd

VALUE_COLS = ["target", "c1", "c2", "c3"]


def synthetic_panel(n_series: int, n_steps: int, seed: int = 0) -> pd.DataFrame:
    """A long frame (id, time, target, c1..c3) of float32 random walks, sorted by id then time."""
    rng = np.random.default_rng(seed)
    walks = rng.standard_normal((n_series, n_steps, len(VALUE_COLS)), dtype=np.float32)
    walks = walks.cumsum(axis=1, dtype=np.float32).reshape(n_series * n_steps, len(VALUE_COLS))
    ids = np.array([f"s{i:05d}" for i in range(n_series)])
    frame = pd.DataFrame(
        {
            "id": np.repeat(ids, n_steps),
            "time": np.tile(pd.date_range("2020-01-01", periods=n_steps, freq="h"), n_series),
        }
    )
    for j, col in enumerate(VALUE_COLS):
        frame[col] = walks[:, j]
    return frame


def n_windows(n_series: int, n_steps: int, lookback: int, horizon: int) -> int:
    """Training windows of stride 1 in the panel: S * (T - L - H + 1)."""
    return n_series * (n_steps - lookback - horizon + 1)


def timed_epoch(batches: Iterable[object], n_batches: int, max_s: float) -> dict[str, object]:
    """Iterate one epoch of batches; past ``max_s`` seconds, stop and extrapolate linearly.

    The cap keeps the slow per-sample ``__getitem__`` loaders affordable on 2 cores; the row says
    when its epoch time is an extrapolation and from how many batches.
    """
    start = time.perf_counter()
    seen = 0
    for _ in batches:
        seen += 1
        if time.perf_counter() - start > max_s:
            break
    elapsed = time.perf_counter() - start
    partial = seen < n_batches
    return {
        "epoch_s": elapsed * n_batches / max(seen, 1) if partial else elapsed,
        "batches_timed": seen,
        "n_batches": n_batches,
        "epoch_extrapolated": partial,
    }
