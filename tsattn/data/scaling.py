"""`PanelScaler`: z-score every series and column with statistics from training rows only.

Statistics are keyed by series id, not position, so a later panel holding a subset of the series or
another order maps correctly. A series unseen at fit can be scaled with statistics of its own early
rows (`transform(new_series_rows=...)`): a global model forecasts series it never trained on, and a
scaled panel carries the statistics it was scaled with, so its forecasts are unscaled with them.
Calendar columns are left alone (already in [-1, 1]). Constant columns get scale 1, so no division
by zero and no NaN. The fitted state is plain lists, so it saves as JSON without pickle.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd

from tsattn.data.panel import Panel
from tsattn.errors import DataValidationError, NotFittedError

__all__ = ["PanelScaler", "Scaling"]

Scaling = Literal["standard", "none"]
_BLOCK_ROWS = 1 << 16


class PanelScaler:
    """Per-series, per-column z-scoring of a `Panel`'s target and covariate columns.

    `method="none"` is the identity (its transform returns the panel itself). Statistics use the
    population std (ddof=0), like scikit-learn's StandardScaler.
    """

    def __init__(self, method: Scaling = "standard") -> None:
        self.method = method

    # -- fitting --------------------------------------------------------------------------------

    def fit(
        self,
        panel: Panel,
        train_rows: np.ndarray | int | None = None,
        unscaled: Sequence[str] = (),
    ) -> PanelScaler:
        """Learn mean and std from the first `train_rows` rows of each series (all when None).

        Pass the training panel itself, or the full panel with `train_rows` (per series or one int)
        so that nothing after the training cutoff reaches the statistics. Columns in `unscaled`
        (category codes, which the network embeds) keep mean 0 and scale 1.
        """
        if self.method not in ("standard", "none"):
            raise DataValidationError(
                f"scaling must be 'standard' or 'none', but got {self.method!r}."
            )
        counts = self._train_counts(panel, train_rows)
        # The training rows of every series, still grouped by series: segment s starts at seg[s].
        seg = np.concatenate([[0], np.cumsum(counts)[:-1]])
        rows = np.repeat(panel.offsets[:-1] - seg, counts) + np.arange(counts.sum())
        n_cols = panel.scalable_columns.stop
        mean = np.zeros((panel.n_series, n_cols))
        std = np.ones((panel.n_series, n_cols))
        if self.method == "standard":
            for j in range(n_cols):  # one column at a time keeps the float64 temporaries to O(rows)
                x = panel.values[rows, j].astype(np.float64)
                mean[:, j] = np.add.reduceat(x, seg) / counts
                dev = x - np.repeat(mean[:, j], counts)
                std[:, j] = np.sqrt(np.add.reduceat(dev * dev, seg) / counts)
        self.series_ids_ = np.asarray(panel.series_ids, dtype=object)
        self.columns_ = list(panel.columns[:n_cols])
        self.unscaled_ = [name for name in self.columns_ if name in set(unscaled)]
        self.n_target_ = panel.n_target
        self.mean_ = mean
        self.std_ = std
        # A (near-)constant column would blow up: scale it by 1 instead (sklearn's rule of thumb).
        tiny = 10 * np.finfo(np.float64).eps * np.maximum(np.abs(mean), 1.0)
        self.scale_ = np.where(std > tiny, std, 1.0)
        kept = [j for j, name in enumerate(self.columns_) if name in set(unscaled)]
        self.mean_[:, kept], self.scale_[:, kept] = 0.0, 1.0
        return self

    @staticmethod
    def _train_counts(panel: Panel, train_rows: np.ndarray | int | None) -> np.ndarray:
        lengths = panel.lengths
        if train_rows is None:
            return lengths
        given = np.asarray(train_rows, dtype=np.int64)
        if given.ndim > 1 or (given.ndim == 1 and given.size != lengths.size):
            raise DataValidationError(
                f"train_rows must be one int or one per series ({lengths.size}), but got shape "
                f"{given.shape}."
            )
        counts = np.broadcast_to(given, lengths.shape)
        bad = (counts < 1) | (counts > lengths)
        if bad.any():
            s = int(np.argmax(bad))
            raise DataValidationError(
                f"series {panel.series_ids[s]!r} has {lengths[s]} rows but train_rows={counts[s]}; "
                "each series needs between 1 and its length of training rows."
            )
        return counts.copy()

    # -- applying -------------------------------------------------------------------------------

    def transform(
        self, panel: Panel, *, new_series_rows: np.ndarray | int | None = None
    ) -> Panel:
        """A new panel with scaled target/covariate columns (new buffer; calendar copied as is)
        that carries the statistics it was scaled with (`Panel.scaling`).

        A series not seen at fit raises, unless `new_series_rows` says from how many of its first
        rows (one int, or one per series of `panel`; at most all of them) to take its own
        statistics: the rows up to its first forecast origin, so no scaled input depends on data
        after an origin.
        """
        self._check_fitted()
        if self.method == "none":
            return panel
        mean, scale = self._statistics(panel, new_series_rows)  # -> (S, C + P + F) each
        n_cols = len(self.columns_)
        out = np.empty_like(panel.values)
        out[:, n_cols:] = panel.values[:, n_cols:]
        row_series = panel.row_series()
        # Blocks of rows keep the float64 temporaries small and the buffer walked in order.
        for start in range(0, panel.n_rows, _BLOCK_ROWS):
            rows = slice(start, start + _BLOCK_ROWS)
            series = row_series[rows]
            out[rows, :n_cols] = (panel.values[rows, :n_cols] - mean[series]) / scale[series]
        return panel.with_values(out, scaling=(mean, scale))

    def _statistics(
        self, panel: Panel, new_series_rows: np.ndarray | int | None
    ) -> tuple[np.ndarray, np.ndarray]:
        """(mean, scale) of each series of `panel`: fitted ones, or for an unseen series (allowed
        when `new_series_rows` is given) its own over its first `new_series_rows` rows."""
        positions = self._positions(panel, allow_unseen=new_series_rows is not None)
        mean, scale = self.mean_[positions], self.scale_[positions]  # copies; -1 rows replaced
        unseen = positions < 0
        if unseen.any():
            assert new_series_rows is not None  # else _positions raised
            rows = np.minimum(new_series_rows, panel.lengths)  # a seen series may be shorter
            own = PanelScaler(self.method).fit(panel, rows, unscaled=self.unscaled_)
            mean[unseen], scale[unseen] = own.mean_[unseen], own.scale_[unseen]
        return mean, scale

    def inverse_targets(
        self, y: np.ndarray, series_index: np.ndarray, *, panel: Panel | None = None
    ) -> np.ndarray:
        """Undo the scaling of targets `y` (B, ..., C) for series `series_index` (B,).

        `series_index` indexes `panel.series_ids` when `panel` is given (the `series` entry of a
        batch), else the series order seen at `fit`; a scaled panel's own statistics are used.
        Extra axes between B and C (horizon, quantiles...) broadcast.
        """
        return self._apply(y, series_index, panel, slice(0, self.n_target_), inverse=True)

    def transform_future(
        self, x: np.ndarray, series_index: np.ndarray, *, panel: Panel | None = None
    ) -> np.ndarray:
        """Scale user-supplied future covariates `x` (B, H, F) like the panel's future columns."""
        columns = slice(len(self.columns_) - x.shape[-1], len(self.columns_))
        return self._apply(x, series_index, panel, columns, inverse=False)

    def _apply(
        self,
        x: np.ndarray,
        series: np.ndarray,
        panel: Panel | None,
        columns: slice,
        *,
        inverse: bool,
    ) -> np.ndarray:
        self._check_fitted()
        x = np.asarray(x)
        width = columns.stop - columns.start
        if x.shape[-1] != width:
            raise DataValidationError(
                f"expected {width} values on the last axis, but got shape {x.shape}."
            )
        if self.method == "none":
            return x
        series = np.asarray(series, dtype=np.int64)
        if panel is not None and panel.scaling is not None:
            (means, scales), positions = panel.scaling, series
        else:
            means, scales = self.mean_, self.scale_
            positions = self._positions(panel)[series] if panel is not None else series
        shape = positions.shape + (1,) * (x.ndim - 1 - positions.ndim) + (width,)
        mean = means[positions, columns].reshape(shape)
        scale = scales[positions, columns].reshape(shape)
        out = x * scale + mean if inverse else (x - mean) / scale
        return out.astype(x.dtype, copy=False) if np.issubdtype(x.dtype, np.floating) else out

    def _positions(self, panel: Panel, *, allow_unseen: bool = False) -> np.ndarray:
        """Fit-time row of each of the panel's series (-1 for an unseen one if `allow_unseen`,
        else it raises); other columns raise."""
        if list(panel.columns[: len(self.columns_)]) != self.columns_:
            raise DataValidationError(
                f"the panel's columns {panel.columns[: len(self.columns_)]} differ from the "
                f"columns the scaler was fitted on {self.columns_}; build both panels with the "
                "same columns."
            )
        positions = pd.Index(self.series_ids_).get_indexer(
            pd.Index(panel.series_ids.astype(object))
        )
        if (positions < 0).any() and not allow_unseen:
            unseen = panel.series_ids[positions < 0]
            raise DataValidationError(
                f"series {unseen[0]!r} was not in the training data ({unseen.size} unseen series), "
                "so it has no scaling statistics; include it in the training frame or drop it."
            )
        return positions

    def _check_fitted(self) -> None:
        if not hasattr(self, "scale_"):
            raise NotFittedError("this PanelScaler is not fitted yet: call fit(train_panel) first.")

    # -- persistence ----------------------------------------------------------------------------

    def state_dict(self) -> dict[str, Any]:
        """The fitted state as plain Python lists and scalars (JSON-serializable)."""
        self._check_fitted()
        return {
            "method": self.method,
            "series_ids": self.series_ids_.tolist(),
            "columns": list(self.columns_),
            "n_target": int(self.n_target_),
            "unscaled": list(self.unscaled_),
            "mean": self.mean_.tolist(),
            "std": self.std_.tolist(),
            "scale": self.scale_.tolist(),
        }

    @classmethod
    def from_state_dict(cls, state: dict[str, Any]) -> PanelScaler:
        """Rebuild a fitted scaler from `state_dict()` output (lists or arrays)."""
        scaler = cls(state["method"])
        scaler.series_ids_ = np.asarray(state["series_ids"], dtype=object)
        scaler.columns_ = list(state["columns"])
        scaler.n_target_ = int(state["n_target"])
        n_cols = len(scaler.columns_)
        for name in ("mean", "std", "scale"):
            array = np.asarray(state[name], dtype=np.float64).reshape(
                len(scaler.series_ids_), n_cols
            )
            setattr(scaler, f"{name}_", array)
        # saved before "unscaled" was: category codes are the columns fitted as mean 0, scale 1
        scaler.unscaled_ = list(state.get("unscaled", [
            name for j, name in enumerate(scaler.columns_)
            if (scaler.mean_[:, j] == 0).all() and (scaler.scale_[:, j] == 1).all()
        ]))  # fmt: skip
        return scaler
