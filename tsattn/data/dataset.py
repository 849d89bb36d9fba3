"""`WindowDataset`: torch access to the windows of a `Panel`, a whole batch per indexing call.

The dataset stores only two int64 arrays (series index, start row) per window; `__getitems__`
gathers a batch with one fancy-indexing call per tensor, which torch's DataLoader uses when the
dataset defines it. Batch keys and shapes (B batch, L lookback, H horizon, V = C + P + F + K):

    past    (B, L, V)      float32  every feature over the lookback
    future  (B, H, F + K)  float32  known-future features over the horizon (F + K may be 0)
    target  (B, H, C)      float32  training/evaluation windows only; absent for prediction
    static  (B, Z)         float32  encoded static covariates, when the panel has any
    series  (B,)           int64    index into `panel.series_ids`
    origin  (B,)           int64    global row of the last past step (the forecast origin)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import torch
from torch.utils.data import Dataset

from tsattn.data.future import future_known_features
from tsattn.data.panel import Panel
from tsattn.data.windows import gather, last_windows, window_origins
from tsattn.errors import DataValidationError

__all__ = ["Batch", "WindowDataset", "collate"]

Batch = dict[str, torch.Tensor]


class WindowDataset(Dataset[Batch]):
    """Windows `(series, start)` over `panel`; with `future_known` they are prediction windows.

    Training windows read past, known-future and target rows from the panel. Prediction windows
    (after the end of a series) read only the past from the panel; their known-future features
    come from `future_known` (W, H, F + K), one row per window, and they have no `target`.
    """

    def __init__(
        self,
        panel: Panel,
        series: np.ndarray,
        starts: np.ndarray,
        *,
        lookback: int,
        horizon: int,
        future_known: np.ndarray | None = None,
    ) -> None:
        self.panel = panel
        self.series = np.ascontiguousarray(series, dtype=np.int64)
        self.starts = np.ascontiguousarray(starts, dtype=np.int64)
        self.lookback = lookback
        self.horizon = horizon
        self.future_known = None if future_known is None else np.asarray(future_known, np.float32)
        self._check()

    @classmethod
    def for_training(
        cls,
        panel: Panel,
        *,
        lookback: int,
        horizon: int,
        stride: int = 1,
        target_start: np.ndarray | int | None = None,
        target_end: np.ndarray | int | None = None,
    ) -> WindowDataset:
        """Every window with `lookback` past and `horizon` target rows inside its series."""
        series, starts = window_origins(
            panel.offsets, lookback, horizon, stride, target_start, target_end
        )
        if series.size == 0:
            raise DataValidationError(
                f"no window fits: each window needs lookback + horizon = {lookback + horizon} rows "
                f"but the longest series has {int(panel.lengths.max())}; pass longer series or "
                "shorten them."
            )
        return cls(panel, series, starts, lookback=lookback, horizon=horizon)

    @classmethod
    def for_prediction(
        cls,
        panel: Panel,
        *,
        lookback: int,
        horizon: int,
        future_covariates: np.ndarray | None = None,
    ) -> WindowDataset:
        """One window per series ending at its last row, forecasting the `horizon` steps after it.

        `future_covariates` (S, H, F), on the panel's scale, is needed when the panel has any.
        """
        series, starts = last_windows(panel.offsets, lookback, panel.series_ids)
        future = future_known_features(panel, horizon, future_covariates)
        return cls(panel, series, starts, lookback=lookback, horizon=horizon, future_known=future)

    @property
    def is_prediction(self) -> bool:
        """True when the windows forecast beyond the data (no `target` in the batch)."""
        return self.future_known is not None

    def __len__(self) -> int:
        return int(self.starts.size)

    def __getitem__(self, index: int) -> Batch:
        return {name: tensor[0] for name, tensor in self.__getitems__([index]).items()}

    def __getitems__(self, indices: Sequence[int]) -> Batch:
        """The batch of windows `indices` as a dict of tensors (see the module docstring)."""
        idx = np.asarray(indices, dtype=np.int64)
        starts = self.starts[idx]
        panel, lookback, horizon = self.panel, self.lookback, self.horizon
        batch = {
            "series": torch.from_numpy(self.series[idx]),
            "origin": torch.from_numpy(starts + (lookback - 1)),
        }
        if panel.static is not None:
            batch["static"] = torch.from_numpy(panel.static[self.series[idx]])  # -> (B, Z)
        if self.future_known is not None:
            batch["past"] = torch.from_numpy(gather(panel.values, starts, lookback))  # (B, L, V)
            batch["future"] = torch.from_numpy(self.future_known[idx])  # -> (B, H, F + K)
            return batch
        # One gather of whole windows; past, future and target are views into it (no extra copy).
        rows = gather(panel.values, starts, lookback + horizon)  # -> (B, L + H, V)
        batch["past"] = torch.from_numpy(rows[:, :lookback])  # -> (B, L, V)
        batch["future"] = torch.from_numpy(rows[:, lookback:, panel.known_future_columns])
        batch["target"] = torch.from_numpy(rows[:, lookback:, panel.target_columns])  # (B, H, C)
        return batch

    def _check(self) -> None:
        """Every window must lie inside its series: a bad index would silently read a neighbour."""
        panel, series, starts = self.panel, self.series, self.starts
        for name, value in (("lookback", self.lookback), ("horizon", self.horizon)):
            if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
                raise DataValidationError(
                    f"{name} must be a positive int, but got {name}={value!r}."
                )
        if series.ndim != 1 or series.shape != starts.shape:
            raise DataValidationError(
                f"series and starts must be 1-D arrays of one length, got {series.shape} and "
                f"{starts.shape}."
            )
        if series.size and (series.min() < 0 or series.max() >= panel.n_series):
            raise DataValidationError(f"series indices must lie in [0, {panel.n_series}).")
        need = self.lookback + (0 if self.future_known is not None else self.horizon)
        outside = (starts < panel.offsets[series]) | (starts + need > panel.offsets[series + 1])
        if outside.any():
            w = int(np.argmax(outside))
            raise DataValidationError(
                f"window {w} (start row {starts[w]}, {need} rows) leaves series "
                f"{panel.series_ids[series[w]]!r} (rows {panel.offsets[series[w]]} to "
                f"{panel.offsets[series[w] + 1]}); build windows with window_origins()."
            )
        width = panel.n_future + panel.n_calendar
        if self.future_known is not None and self.future_known.shape != (
            len(self),
            self.horizon,
            width,
        ):
            raise DataValidationError(
                "future_known must have shape (windows, horizon, F + K) = "
                f"{(len(self), self.horizon, width)}, but got {self.future_known.shape}."
            )


def collate(batch: Batch | Sequence[Batch]) -> Batch:
    """DataLoader `collate_fn`: passes `__getitems__` batches through, stacks single items.

    The default collate would try to re-batch the dict `__getitems__` already built.
    """
    if isinstance(batch, Mapping):
        return dict(batch)
    keys = batch[0].keys()
    return {key: torch.stack([item[key] for item in batch]) for key in keys}
