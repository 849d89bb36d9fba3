"""Small synthetic frames shared by the tests: fast to fit, with known structure."""

from __future__ import annotations

import numpy as np
import pandas as pd


def wide_frame(n: int = 200, *, seed: int = 0, start: str = "2024-01-01") -> pd.DataFrame:
    """One hourly series: a daily sine target `y` plus a covariate `x` that leads it by 2 steps."""
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    x = np.sin(2 * np.pi * t / 24) + 0.1 * rng.standard_normal(n)
    y = np.roll(x, 2) + 0.05 * rng.standard_normal(n)
    return pd.DataFrame({"date": pd.date_range(start, periods=n, freq="h"), "y": y, "x": x})


def panel_frame(n_series: int = 3, n: int = 120, *, seed: int = 0) -> pd.DataFrame:
    """A long panel of hourly series with different levels, ids "s0", "s1", ..."""
    rng = np.random.default_rng(seed)
    frames = []
    for s in range(n_series):
        t = np.arange(n)
        level = 10.0 * (s + 1)
        y = level + np.sin(2 * np.pi * (t + 3 * s) / 12) + 0.1 * rng.standard_normal(n)
        frames.append(
            pd.DataFrame(
                {
                    "id": f"s{s}",
                    "time": pd.date_range("2024-01-01", periods=n, freq="h"),
                    "y": y,
                    "load": rng.standard_normal(n),
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def planted_lag_frame(n: int = 1500, *, lag: int = 6, seed: int = 0) -> pd.DataFrame:
    """target(t) = driver(t - lag) + small noise, with a white-noise driver and two distractors.

    Only `driver` at exactly `lag` steps before each target time predicts it, so a model that
    learned the task must put its temporal attention there and rank `driver` first.
    """
    rng = np.random.default_rng(seed)
    driver = rng.standard_normal(n + lag)
    target = driver[:-lag] + 0.05 * rng.standard_normal(n)
    return pd.DataFrame(
        {
            "time": pd.date_range("2024-01-01", periods=n, freq="h"),
            "target": target,
            "driver": driver[lag:],
            "noise_a": rng.standard_normal(n),
            "noise_b": rng.standard_normal(n),
        }
    )


def attention_window(weight: np.ndarray, *, series: object, origin: pd.Timestamp,
                     head: int = 0) -> pd.DataFrame:
    """One window's (H, L) temporal weights, oldest source first, as the tidy hourly rows
    `Forecaster.interpret` returns: the shared builder of the hand-made attention frames."""
    horizon, lookback = weight.shape
    td = pd.Timedelta(hours=1)
    lag, step = np.arange(lookback - 1, -1, -1), np.arange(1, horizon + 1)
    return pd.DataFrame(
        {
            "series": series,
            "origin": origin,
            "step": np.repeat(step, lookback),
            "target_time": np.repeat(origin + step * td, lookback),
            "source_time": np.tile(origin - lag * td, horizon),
            "lag": np.tile(lag, horizon),
            "distance": (lag[None, :] + step[:, None]).ravel(),
            "head": head,
            "weight": weight.ravel(),
        }
    )
