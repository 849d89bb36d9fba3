"""Backtests that refit: a fresh model every k origins, trained on the history up to its origin.

`Forecaster.backtest` without refit runs one fitted network over every window of a frame: fast,
but that network may have trained on data after many of the origins. Refitting is the protocol
of a model retrained on a schedule: each refit is `sklearn.base.clone(estimator)` (same
parameters, same seed) fitted on every row up to and including its origin, so no forecast
depends on data after its origin. It is a loop over the estimator's public API (clone, fit,
backtest), kept out of `forecaster.py`, which describes one model.

The rules, repeated for users in `Forecaster.backtest`:
- **Validation**: a refit gets no validation frame. It trains as `fit(history)` does: `patience`
  watches the training loss and the best epoch by that loss is kept. Holding out the end of the
  history would withhold the newest rows, the ones a refit exists to learn from, and would need
  one more setting (how much to hold out).
- **Too-early origins** are skipped: a refit needs `lookback + horizon` rows of a series up to
  its origin (one training window), so the first origins of any frame never qualify; erroring
  instead would make every frame fail. A series of a panel joins the first refit at which it has
  those rows; with `refit=k > 1`, its windows before that refit are skipped.
- **Intervals**: `levels` is refused; calibrating each refit would need a held-out frame cut
  from its own history, and old intervals would not fit the new models.
- **Observers**: the refit fits run inside `extensions.unwatched()`, so `tracking.autolog()` or
  an active MLflow run logs none of them.
- **Console**: one bar counts the refits (when `enable_progress_bar` is on); the fits themselves
  show no epoch bars and Lightning's per-Trainer INFO lines are muted, warnings kept.

Each block of origins is scored by its model's own no-refit `backtest` over the frame cut just
after the block's last target row, so the frame is exactly the no-refit frame's, restricted to
the windows scored. As without refit, `fill_missing="interpolate"` fills a gap in the inputs from
both sides, so a gap just before an origin borrows the value after it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from rich.progress import track
from sklearn.base import clone

from tsattn.config import ForecasterConfig
from tsattn.data import validate_frame, window_origins
from tsattn.data._timeaxis import format_time, parse_times, to_time_index
from tsattn.errors import ConfigError, DataValidationError
from tsattn.extensions import unwatched
from tsattn.preprocess import coded, learned_categories

if TYPE_CHECKING:
    from collections.abc import Sequence

    from tsattn.forecaster import Forecaster

__all__ = ["RefitBacktest", "refit_backtest", "refit_interval"]


@dataclass
class RefitBacktest:
    """A refit backtest's frame (as `Forecaster.backtest` returns it) and its refit origins, in
    the frame's time zone (steps on an integer axis): one fit per entry."""

    frame: pd.DataFrame
    refit_origins: list[object]


def refit_interval(refit: object) -> int | None:
    """Origins per refit: None for `refit=False`, 1 for True, k for an int k >= 1; else raise."""
    if isinstance(refit, bool | np.bool_):
        return 1 if refit else None
    if isinstance(refit, int | np.integer) and refit >= 1:
        return int(refit)
    raise ConfigError(
        "refit must be False, True (refit at every origin) or an int k >= 1 (refit every k "
        f"origins), but got refit={refit!r}."
    )


@dataclass
class _Windows:
    """The no-refit backtest's windows of a frame, in its row order, and the frame's time axis.

    `series`, `origin_ns`, `end_ns` (time of the last target row) and `history` (rows of the
    series up to and including the origin) are (W,); `codes` and `ns` the validated rows' (N,)
    series and times; `ids` the (S,) series ids in order.
    """

    series: np.ndarray
    origin_ns: np.ndarray
    end_ns: np.ndarray
    history: np.ndarray
    codes: np.ndarray
    ns: np.ndarray
    ids: np.ndarray
    tz: str | None


def refit_backtest(
    estimator: Forecaster,
    df: pd.DataFrame,
    *,
    stride: int = 1,
    refit: bool | int = True,
    levels: Sequence[float] | None = None,
) -> RefitBacktest:
    """Backtest `df` at every `stride`-th origin, refitting a clone of `estimator` at every
    origin (`refit=True`) or every k (`refit=k`); see the module docstring for the rules.
    `estimator` need not be fitted; it is left as it was. Every check runs before the first fit.
    """
    from tsattn.training import lightning_info_muted  # lazy: Lightning is needed only to train

    every = refit_interval(refit)
    if every is None:
        raise ConfigError(
            "refit_backtest needs refit=True or an int k >= 1, but got refit=False; for a "
            "backtest without refit call backtest(df) on a fitted model"
        )
    if levels:
        raise ConfigError(
            f"levels={list(levels)} cannot be combined with refit: the refitted models are not "
            "calibrated; drop levels, or backtest one calibrated model with refit=False"
        )
    config = estimator.config()
    windows = _reference_windows(config, df, stride)
    needed = config.lookback + config.horizon
    usable = windows.history >= needed
    if not usable.any():
        raise _too_short(config, windows, stride)
    refits = np.unique(windows.origin_ns[usable])[::every]
    block = np.searchsorted(refits, windows.origin_ns, side="right") - 1  # -1: before the first
    row_ns, row_ids = _row_keys(df, config)
    pieces, order = [], []
    shown_refits = track(refits.tolist(), description="refits",
                         disable=not config.enable_progress_bar)
    with unwatched(), lightning_info_muted():
        for b, refit_ns in enumerate(shown_refits):
            counts = np.bincount(windows.codes[windows.ns <= refit_ns], minlength=windows.ids.size)
            members = counts >= needed
            kept = row_ids.isin(windows.ids[members]) if row_ids is not None else np.full(
                len(df), True
            )
            model = _refit(estimator, df[(row_ns <= refit_ns) & kept], refit_ns, windows.tz)
            scored = usable & (block == b) & members[windows.series]
            cut_ns = windows.end_ns[scored].max()
            frame = model.backtest(df[(row_ns <= cut_ns) & kept], stride=stride)
            # its windows: the reference's of the member series that end by the cut, in order
            shown = np.flatnonzero(members[windows.series] & (windows.end_ns <= cut_ns))
            assert len(frame) == shown.size * config.horizon, "refit windows out of step"
            keep = scored[shown]
            pieces.append(frame.iloc[np.repeat(keep, config.horizon)])
            order.append(np.repeat(shown[keep], config.horizon))
    rows = np.argsort(np.concatenate(order), kind="stable")  # back to the no-refit row order
    frame = pd.concat(pieces).iloc[rows].reset_index(drop=True)
    return RefitBacktest(frame, list(to_time_index(refits, windows.tz)))


def _reference_windows(config: ForecasterConfig, df: pd.DataFrame, stride: int) -> _Windows:
    """Validate `df` as a backtest does and lay out its windows, without fitting anything."""
    categories = learned_categories(df, [*config.past_covariates, *config.future_covariates])
    try:
        frame = validate_frame(
            coded(df, categories), target=config.target, time_col=config.time_col,
            id_col=config.id_col,
            past_covariates=config.past_covariates, future_covariates=config.future_covariates,
            freq=config.freq, fill_missing=config.fill_missing,
            constant_columns=config.constant_columns,
            min_length=config.lookback + config.horizon, categorical=list(categories),
        )  # fmt: skip
    except DataValidationError as err:
        raise DataValidationError(f"df: {err}") from None
    series, starts = window_origins(frame.offsets, config.lookback, config.horizon, stride)
    ns = frame.time_ns()
    origin = starts + config.lookback - 1
    return _Windows(
        series=series,
        origin_ns=ns[origin],
        end_ns=ns[origin + config.horizon],
        history=origin - frame.offsets[series] + 1,
        codes=np.repeat(np.arange(frame.lengths.size), frame.lengths),
        ns=ns,
        ids=frame.series_ids,
        tz=frame.tz,
    )


def _row_keys(df: pd.DataFrame, config: ForecasterConfig) -> tuple[np.ndarray, pd.Index | None]:
    """Each row of `df` as given: its time (ns, as the windows count them) and series id."""
    times = df[config.time_col] if config.time_col else df.index
    ns, _ = parse_times(times, "the time")  # parsed before, by validate_frame: cannot fail
    return ns, pd.Index(df[config.id_col]) if config.id_col else None


def _refit(estimator: Forecaster, history: pd.DataFrame, origin_ns: int,
           tz: str | None) -> Forecaster:
    """A clone of `estimator` fitted on `history`; a frame it rejects names the refit's origin."""
    try:
        quiet = clone(estimator).set_params(enable_progress_bar=False)  # the caller counts refits
        fitted: Forecaster = quiet.fit(history)
    except DataValidationError as err:
        raise DataValidationError(
            f"the refit at origin {format_time(origin_ns, tz)} (trained on the rows up to it): "
            f"{err}"
        ) from None
    return fitted


def _too_short(config: ForecasterConfig, windows: _Windows, stride: int) -> DataValidationError:
    """Why no origin can be refit at: the first that could, and the series length it needs."""
    lookback, horizon = config.lookback, config.horizon
    first = lookback - 1 + -(-horizon // stride) * stride  # the first origin row with the history
    longest = int(np.bincount(windows.codes).max())
    return DataValidationError(
        f"df: no origin leaves lookback + horizon = {lookback + horizon} rows to train a refit "
        f"on and horizon = {horizon} rows after it; with stride={stride} the first such origin "
        f"is row {first + 1} of a series, which needs at least {first + horizon + 1} rows, but "
        f"the longest series has {longest}: pass a longer df"
    )
