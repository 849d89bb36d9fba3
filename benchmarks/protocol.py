"""The B1 data protocol as pure numpy/pandas: row splits, train z-score, stride-1 window metrics.

It mirrors thuml/Time-Series-Library ``data_provider/data_loader.py`` (see shared BENCHMARKS.md):
ETTh1 ends at rows 8640/11520/14400, exchange-rate at int(0.7 n) / n - int(0.2 n) / n, val and test
start ``lookback`` rows early, every column is z-scored with the train split's mean and std.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from numpy.lib.stride_tricks import sliding_window_view

REPO_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class DatasetSpec:
    """One benchmark data set: where it lives and which columns are forecast."""

    name: str
    path: str
    time_col: str
    config: str  # the configs/ file describing the same protocol for the CLI


DATASETS: dict[str, DatasetSpec] = {
    "etth1": DatasetSpec("etth1", "data/ETTh1.csv", "date", "configs/etth1.yaml"),
    "exchange_rate": DatasetSpec(
        "exchange_rate", "data/exchange_rate.csv", "date", "configs/exchange_rate.yaml"
    ),
}


def load(name: str) -> pd.DataFrame:
    """The raw frame of data set ``name``, time column parsed, rows in file order."""
    spec = DATASETS[name]
    df = pd.read_csv(REPO_ROOT / spec.path)
    df[spec.time_col] = pd.to_datetime(df[spec.time_col])
    return df


def targets(name: str, df: pd.DataFrame) -> list[str]:
    """Setting "M": every column but the time column is both input and target."""
    return [c for c in df.columns if c != DATASETS[name].time_col]


def cutoffs(name: str, n_rows: int) -> tuple[int, int, int]:
    """End rows (exclusive) of train, val and test for data set ``name`` of ``n_rows`` rows."""
    if name == "etth1":
        # 12/4/4 months of hours; the rows after 14400 are never used.
        return 8640, 11520, 14400
    n_test = int(0.2 * n_rows)
    return int(0.7 * n_rows), n_rows - n_test, n_rows


def split_rows(
    df: pd.DataFrame, name: str, lookback: int
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(train, val, test) row slices; val and test start ``lookback`` rows early."""
    train_end, val_end, test_end = cutoffs(name, len(df))
    return (
        df.iloc[:train_end].reset_index(drop=True),
        df.iloc[train_end - lookback : val_end].reset_index(drop=True),
        df.iloc[val_end - lookback : test_end].reset_index(drop=True),
    )


@dataclass(frozen=True)
class Scaled:
    """The three splits as float64 arrays (T, C) on the train split's z-score scale."""

    train: np.ndarray
    val: np.ndarray
    test: np.ndarray
    columns: list[str]


def scaled_splits(name: str, lookback: int, df: pd.DataFrame | None = None) -> Scaled:
    """Split data set ``name`` and z-score every column with the train split's mean and std."""
    df = load(name) if df is None else df
    cols = targets(name, df)
    train, val, test = (s[cols].to_numpy(np.float64) for s in split_rows(df, name, lookback))
    mean, std = train.mean(axis=0), train.std(axis=0)  # population std, as sklearn StandardScaler
    return Scaled(*((a - mean) / std for a in (train, val, test)), columns=cols)


def windows(arr: np.ndarray, lookback: int, horizon: int) -> tuple[np.ndarray, np.ndarray]:
    """Every stride-1 window of a (T, C) array as views: x (N, L, C), y (N, H, C)."""
    # sliding_window_view puts the window axis last: (N, C, L + H) -> (N, L + H, C).
    w = sliding_window_view(arr, lookback + horizon, axis=0).transpose(0, 2, 1)
    return w[:, :lookback], w[:, lookback:]


def mse_mae(pred: np.ndarray, true: np.ndarray) -> dict[str, float]:
    """Mean over all windows, steps and channels (no window dropped)."""
    err = np.asarray(pred, np.float64) - np.asarray(true, np.float64)
    return {"mse": float(np.mean(err**2)), "mae": float(np.mean(np.abs(err)))}
