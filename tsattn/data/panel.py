"""`Panel`: every series of a validated frame in one contiguous float32 buffer.

One (n_rows, n_features) buffer plus row offsets keeps memory O(rows) and lets windows be cut by a
single fancy-indexing call per batch (see `windows.gather`); nothing is copied per window.
Feature columns are ordered target (C), past covariates (P), future covariates (F), calendar (K).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Literal

import numpy as np
import pandas as pd

from tsattn.data._timeaxis import to_time_index
from tsattn.data.calendar import calendar_column_names, calendar_features, resolve_calendar_features
from tsattn.data.validate import ValidatedFrame
from tsattn.errors import DataValidationError

__all__ = ["Panel", "build_panel"]


@dataclass(frozen=True, eq=False)
class Panel:
    """Contiguous per-series buffers; series s occupies rows `offsets[s]:offsets[s + 1]`.

    Attributes:
        values: (N, V) float32, C-contiguous; V = C + P + F + K.
        offsets: (S + 1,) int64, offsets[0] = 0 and offsets[-1] = N.
        times: (N,) datetime64[ns]; UTC instants when `tz` is set, wall time otherwise.
        series_ids: (S,) the ids, in buffer order.
        target, past_covariates, future_covariates: the value column names.
        calendar: calendar feature names (e.g. "hour"); each adds a sin and a cos column.
        freq: pandas frequency string; tz: time zone of tz-aware input, else None.
        static: (S, Z) float32 encoded static covariates per series (`data.static`), or None.
        scaling: (mean, scale), each (S, C + P + F), the statistics `PanelScaler.transform`
            scaled this panel with, so its forecasts are unscaled with the same ones (a series
            unseen at fit has its own); None on a panel that was not scaled.
    """

    values: np.ndarray
    offsets: np.ndarray
    times: np.ndarray
    series_ids: np.ndarray
    target: tuple[str, ...]
    past_covariates: tuple[str, ...]
    future_covariates: tuple[str, ...]
    calendar: tuple[str, ...]
    freq: str
    tz: str | None = None
    static: np.ndarray | None = None
    scaling: tuple[np.ndarray, np.ndarray] | None = None

    def __post_init__(self) -> None:
        values, offsets = self.values, self.offsets
        if values.dtype != np.float32 or values.ndim != 2 or not values.flags.c_contiguous:
            raise DataValidationError(
                "Panel.values must be a C-contiguous 2-D float32 array, but got dtype "
                f"{values.dtype}, shape {values.shape}; build panels with build_panel()."
            )
        if values.shape[1] != len(self.columns):
            raise DataValidationError(
                f"Panel.values has {values.shape[1]} columns but the names describe "
                f"{len(self.columns)}: {self.columns}."
            )
        if (
            offsets.shape != (len(self.series_ids) + 1,)
            or offsets[0] != 0
            or offsets[-1] != len(values)
            or (np.diff(offsets) < 1).any()
        ):
            raise DataValidationError(
                f"Panel.offsets must rise strictly from 0 to n_rows={len(values)}, one entry per "
                f"series plus one; got {offsets.shape[0]} for {len(self.series_ids)} series."
            )
        if self.static is not None and (
            self.static.ndim != 2 or self.static.shape[0] != len(self.series_ids)
        ):
            raise DataValidationError(
                f"Panel.static must have one row per series ({len(self.series_ids)}), got shape "
                f"{self.static.shape}."
            )
        if self.times.shape != (len(values),):
            raise DataValidationError(
                f"Panel.times must have shape ({len(values)},), got {self.times.shape}."
            )

    # -- sizes ----------------------------------------------------------------------------------

    @property
    def n_rows(self) -> int:
        return int(self.values.shape[0])

    @property
    def n_series(self) -> int:
        return len(self.series_ids)

    @property
    def n_target(self) -> int:
        """C: target columns, the first C of the buffer."""
        return len(self.target)

    @property
    def n_past(self) -> int:
        """P: past-only covariates (known up to the forecast origin)."""
        return len(self.past_covariates)

    @property
    def n_future(self) -> int:
        """F: future covariates supplied by the user (known over the horizon)."""
        return len(self.future_covariates)

    @property
    def n_calendar(self) -> int:
        """K: calendar columns (two, sin and cos, per calendar feature)."""
        return 2 * len(self.calendar)

    @property
    def n_features(self) -> int:
        """V = C + P + F + K."""
        return int(self.values.shape[1])

    @property
    def lengths(self) -> np.ndarray:
        """(S,) int64 rows per series."""
        return np.diff(self.offsets)

    @property
    def columns(self) -> list[str]:
        """All V column names, in buffer order."""
        scaled = [*self.target, *self.past_covariates, *self.future_covariates]
        return scaled + calendar_column_names(self.calendar)

    # -- column groups (slices, so `values[:, slice]` is a view) -------------------------------

    @property
    def target_columns(self) -> slice:
        """The C target columns."""
        return slice(0, self.n_target)

    @property
    def encoder_columns(self) -> slice:
        """Everything the encoder sees: all V columns."""
        return slice(0, self.n_features)

    @property
    def known_future_columns(self) -> slice:
        """Columns known over the horizon: future covariates then calendar (F + K)."""
        return slice(self.n_target + self.n_past, self.n_features)

    @property
    def scalable_columns(self) -> slice:
        """User value columns (C + P + F); calendar columns are already in [-1, 1]."""
        return slice(0, self.n_target + self.n_past + self.n_future)

    # -- lookups --------------------------------------------------------------------------------

    def row_series(self) -> np.ndarray:
        """(N,) int64 series index of every row."""
        return np.repeat(np.arange(self.n_series, dtype=np.int64), self.lengths)

    def series_index(self, ids: Sequence[object] | np.ndarray) -> np.ndarray:
        """Positions of `ids` in `series_ids`; an unknown id raises naming it."""
        positions = pd.Index(self.series_ids).get_indexer(pd.Index(np.asarray(ids, dtype=object)))
        if (positions < 0).any():
            missing = np.asarray(ids, dtype=object)[positions < 0]
            raise DataValidationError(
                f"series {missing[0]!r} is not in this panel ({int((positions < 0).sum())} unknown "
                f"ids); known ids start with {list(self.series_ids[:5])}."
            )
        return positions.astype(np.int64)

    def last_times(self) -> np.ndarray:
        """(S,) datetime64[ns] last timestamp of each series (panel convention: UTC if tz-aware)."""
        return self.times[self.offsets[1:] - 1]

    def time_index(self, rows: np.ndarray | None = None) -> pd.DatetimeIndex:
        """Timestamps of `rows` (all rows when None) in the user's zone."""
        times = self.times if rows is None else self.times[rows]
        return to_time_index(times.astype(np.int64), self.tz)

    def with_values(
        self, values: np.ndarray, scaling: tuple[np.ndarray, np.ndarray] | None = None
    ) -> Panel:
        """The same panel over a new (N, V) buffer, e.g. scaled values and their `scaling`."""
        return replace(self, values=values, scaling=scaling)


def build_panel(
    validated: ValidatedFrame, calendar: Literal["auto"] | Sequence[str] | None = "auto"
) -> Panel:
    """Pack a validated frame into one float32 buffer, appending calendar sin/cos columns.

    `calendar` is a list of feature names (see `CALENDAR_FEATURES`), "auto" or None.
    """
    features = resolve_calendar_features(validated.freq, calendar, tz=validated.tz)
    frame, columns = validated.frame, validated.value_columns
    ns = validated.time_ns()
    scaled = len(columns)
    values = np.empty((len(frame), scaled + 2 * len(features)), dtype=np.float32)
    for j, col in enumerate(columns):
        values[:, j] = frame[col].to_numpy()
    if features:
        calendar_features(to_time_index(ns, validated.tz), features, out=values[:, scaled:])
    return Panel(
        values=values,
        offsets=validated.offsets,
        times=ns.view("M8[ns]"),
        series_ids=validated.series_ids,
        target=validated.target,
        past_covariates=validated.past_covariates,
        future_covariates=validated.future_covariates,
        calendar=tuple(features),
        freq=validated.freq,
        tz=validated.tz,
    )
