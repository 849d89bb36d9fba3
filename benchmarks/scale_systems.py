"""B3 systems, one worker function each: build the training windows of a panel, iterate an epoch.

Every function receives the same synthetic frame (built before timing starts), reports
``rss_setup_mb`` (imports + frame, before the build) so the harness can separate each dataset's own
memory from interpreter and library overhead, and yields batches a torch training step can consume.
"""

from __future__ import annotations

import time

import numpy as np

from benchmarks.machine import current_rss_mb
from benchmarks.panels import VALUE_COLS, n_windows, synthetic_panel, timed_epoch

COVARIATES = VALUE_COLS[1:]


def _result(build_s: float, rss_setup: float, epoch: dict[str, object], **extra: object) -> dict:
    return {"build_s": build_s, "rss_setup_mb": rss_setup, **epoch, **extra}


def numpy_reference(
    n_series: int, n_steps: int, lookback: int, horizon: int, batch_size: int, max_epoch_s: float
) -> dict:
    """The floor: one contiguous (N, V) buffer, ``sliding_window_view``, one gather per batch."""
    import torch
    from numpy.lib.stride_tricks import sliding_window_view

    df = synthetic_panel(n_series, n_steps)
    rss_setup = current_rss_mb()
    start = time.perf_counter()
    # The frame is sorted by id then time (as built), so each series is one run of rows.
    lengths = df.groupby("id", sort=False).size().to_numpy()
    offsets = np.concatenate([[0], np.cumsum(lengths)])
    values = df[VALUE_COLS].to_numpy(np.float32)  # (N, V) C-contiguous, series after series
    width = lookback + horizon
    per_series = lengths - width + 1  # (S,) windows of each series
    # Global start row of every window that stays inside its series.
    starts = np.repeat(offsets[:-1], per_series) + (
        np.arange(per_series.sum()) - np.repeat(np.cumsum(per_series) - per_series, per_series)
    )
    view = sliding_window_view(values, width, axis=0).transpose(0, 2, 1)  # -> (N - W + 1, W, V)
    build_s = time.perf_counter() - start

    def batches():
        order = np.random.default_rng(0).permutation(len(starts))
        for i in range(0, len(order), batch_size):
            block = view[starts[order[i : i + batch_size]]]  # one copy -> (B, W, V), contiguous
            yield torch.from_numpy(block[:, :lookback]), torch.from_numpy(block[:, lookback:, :1])

    n_batches = -(-len(starts) // batch_size)
    epoch = timed_epoch(batches(), n_batches, max_epoch_s)
    return _result(build_s, rss_setup, epoch, n_windows=int(len(starts)))


def darts_dataset(
    n_series: int, n_steps: int, lookback: int, horizon: int, batch_size: int, max_epoch_s: float
) -> dict:
    """Darts: ``TimeSeries.from_group_dataframe`` + the ``SequentialTorchTrainingDataset`` that
    ``BlockRNNModel.fit`` builds, through a DataLoader with Darts' own collate function."""
    from darts import TimeSeries
    from darts.models.forecasting.torch_forecasting_model import _batch_collate_fn_train
    from darts.utils.data.torch_datasets.training_dataset import SequentialTorchTrainingDataset
    from torch.utils.data import DataLoader

    df = synthetic_panel(n_series, n_steps)
    rss_setup = current_rss_mb()
    start = time.perf_counter()
    kw = {"group_cols": "id", "time_col": "time", "freq": "h"}
    series = TimeSeries.from_group_dataframe(df, value_cols="target", **kw)
    past = TimeSeries.from_group_dataframe(df, value_cols=COVARIATES, **kw)
    ds = SequentialTorchTrainingDataset(
        series=series, past_covariates=past, input_chunk_length=lookback,
        output_chunk_length=horizon, use_static_covariates=False,
    )
    build_s = time.perf_counter() - start
    loader = DataLoader(
        ds, batch_size=batch_size, shuffle=True, collate_fn=_batch_collate_fn_train, drop_last=False
    )
    epoch = timed_epoch(loader, len(loader), max_epoch_s)
    return _result(build_s, rss_setup, epoch, n_windows=len(ds))


def neuralforecast_dataset(
    n_series: int, n_steps: int, lookback: int, horizon: int, batch_size: int, max_epoch_s: float
) -> dict:
    """NeuralForecast: ``TimeSeriesDataset.from_df`` + ``TimeSeriesLoader`` over series, then the
    unfold + window sampling its models do in ``_create_windows`` (32 series per loader batch)."""
    import torch
    from neuralforecast.tsdataset import TimeSeriesDataset, TimeSeriesLoader

    df = synthetic_panel(n_series, n_steps)
    rss_setup = current_rss_mb()
    start = time.perf_counter()
    nf_df = df.rename(columns={"id": "unique_id", "time": "ds", "target": "y"})
    ds, *_ = TimeSeriesDataset.from_df(nf_df, id_col="unique_id", time_col="ds", target_col="y")
    build_s = time.perf_counter() - start
    width = lookback + horizon

    def batches():
        loader = TimeSeriesLoader(ds, batch_size=32, shuffle=True)
        for series_batch in loader:
            temporal = series_batch["temporal"]  # (S_b, V + mask, T)
            windows = temporal.unfold(dimension=-1, size=width, step=1)  # -> (S_b, V', Ws, W)
            windows = windows.permute(0, 2, 3, 1).flatten(0, 1)  # -> (S_b * Ws, W, V')
            order = torch.randperm(windows.shape[0])
            for i in range(0, len(order), batch_size):
                yield windows[order[i : i + batch_size]]

    total = n_windows(n_series, n_steps, lookback, horizon)
    # Per loader batch of 32 series the last window batch is partial, as in the model's sampling.
    per_group = 32 * (n_steps - width + 1)
    n_batches = (n_series // 32) * -(-per_group // batch_size) + (
        -(-((n_series % 32) * (n_steps - width + 1)) // batch_size)
    )
    epoch = timed_epoch(batches(), n_batches, max_epoch_s)
    return _result(build_s, rss_setup, epoch, n_windows=total)


def pytorch_forecasting_dataset(
    n_series: int, n_steps: int, lookback: int, horizon: int, batch_size: int, max_epoch_s: float
) -> dict:
    """PyTorch Forecasting: ``TimeSeriesDataSet`` (fixed encoder/decoder lengths, the covariates as
    unknown reals) and its ``to_dataloader(train=True)``."""
    from pytorch_forecasting import TimeSeriesDataSet

    df = synthetic_panel(n_series, n_steps)
    df["time_idx"] = np.tile(np.arange(n_steps, dtype=np.int64), n_series)
    rss_setup = current_rss_mb()
    start = time.perf_counter()
    ds = TimeSeriesDataSet(
        df, time_idx="time_idx", target="target", group_ids=["id"],
        max_encoder_length=lookback, min_encoder_length=lookback,
        max_prediction_length=horizon, min_prediction_length=horizon,
        time_varying_unknown_reals=VALUE_COLS,
    )
    build_s = time.perf_counter() - start
    loader = ds.to_dataloader(train=True, batch_size=batch_size, num_workers=0)
    epoch = timed_epoch(loader, len(loader), max_epoch_s)
    return _result(build_s, rss_setup, epoch, n_windows=len(ds))


def tsattn_dataset(
    n_series: int, n_steps: int, lookback: int, horizon: int, batch_size: int, max_epoch_s: float
) -> dict:
    """tsattn: ``validate_frame`` -> ``build_panel`` -> ``PanelScaler`` -> ``WindowDataset``, then
    the shuffled ``WindowDataModule`` train loader (``__getitems__`` batches) that ``fit`` uses."""
    from tsattn.data import (
        PanelScaler,
        WindowDataModule,
        WindowDataset,
        build_panel,
        validate_frame,
    )

    df = synthetic_panel(n_series, n_steps)
    rss_setup = current_rss_mb()
    start = time.perf_counter()
    validated = validate_frame(
        df, target=["target"], time_col="time", id_col="id", past_covariates=COVARIATES, freq="h"
    )
    panel = build_panel(validated, calendar=None)
    del validated  # fit() keeps only the panel too
    panel_s = time.perf_counter() - start
    panel = PanelScaler().fit(panel).transform(panel)
    ds = WindowDataset.for_training(panel, lookback=lookback, horizon=horizon)
    build_s = time.perf_counter() - start
    loader = WindowDataModule(train=ds, batch_size=batch_size, seed=0).train_dataloader()
    epoch = timed_epoch(loader, len(loader), max_epoch_s)
    return _result(build_s, rss_setup, epoch, n_windows=len(ds), panel_s=panel_s)
