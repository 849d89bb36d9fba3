"""Temporal train/validation/test split per series, following the long-horizon benchmark protocol.

Validation and test frames start `lookback` rows before their cutoff, so their first window has a
full history and its targets begin exactly at the cutoff (ETTh1 with L = 96: train [0, 8640),
val [8544, 11520), test [11424, 14400)). The extra rows are inputs only: no target of a later
split is ever a training row, and training rows never include anything after the train cutoff.
"""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple, TypeAlias

import numpy as np
import pandas as pd

from tsattn.data._timeaxis import INTEGER_AXIS, parse_times
from tsattn.errors import DataValidationError

__all__ = ["Cutoff", "TemporalSplit", "temporal_split"]

Cutoff: TypeAlias = int | float | str | pd.Timestamp | datetime | np.datetime64


class TemporalSplit(NamedTuple):
    """The three frames, rows in the input's order; `test` is None when no row is left for it."""

    train: pd.DataFrame
    val: pd.DataFrame
    test: pd.DataFrame | None


class _Axis(NamedTuple):
    """Per-row series codes and time, plus each row's position within its series in time order."""

    codes: np.ndarray
    ns: np.ndarray
    tz: str | None
    position: np.ndarray
    lengths: np.ndarray
    ids: np.ndarray


def temporal_split(
    df: pd.DataFrame,
    *,
    time_col: str | None = None,
    id_col: str | None = None,
    train: Cutoff,
    val: Cutoff,
    test: Cutoff | None = None,
    lookback: int,
) -> TemporalSplit:
    """Split every series of `df` in time into train, validation and test frames.

    Each cutoff is a row count (int: that many rows for the split), a fraction of each series'
    length (float in (0, 1), rounded down), or a timestamp (the split ends just before it). `test`
    None takes every row after validation. Val and test also get the `lookback` rows before them.
    """
    if len(df) == 0:
        raise DataValidationError("the frame is empty (0 rows); there is nothing to split.")
    if isinstance(lookback, bool) or not isinstance(lookback, int | np.integer) or lookback < 0:
        raise DataValidationError(f"lookback must be an int >= 0, but got {lookback=}.")
    axis = _axis(df, time_col, id_col)
    zero = np.zeros_like(axis.lengths)
    train_end = _end("train", train, zero, axis)
    val_end = _end("val", val, train_end, axis)
    test_end = axis.lengths if test is None else _end("test", test, val_end, axis)
    _check_ends(axis, train_end, val_end, test_end, lookback, test_given=test is not None)
    codes, position = axis.codes, axis.position
    train_mask = position < train_end[codes]
    val_mask = (position >= (train_end - lookback)[codes]) & (position < val_end[codes])
    has_test = (test_end > val_end)[codes]
    test_mask = has_test & (position >= (val_end - lookback)[codes]) & (position < test_end[codes])
    test_frame = df[test_mask] if has_test.any() else None
    return TemporalSplit(df[train_mask], df[val_mask], test_frame)


def _axis(df: pd.DataFrame, time_col: str | None, id_col: str | None) -> _Axis:
    for col in (time_col, id_col):
        if col is not None and col not in df.columns:
            raise DataValidationError(
                f"column {col!r} is missing; available columns: {list(df.columns)}."
            )
    where = f"time column {time_col!r}" if time_col else "the frame's index (time_col=None)"
    ns, tz = parse_times(df[time_col] if time_col else df.index, where)
    if id_col is None:
        codes, ids = np.zeros(len(df), dtype=np.int64), np.array(["series"], dtype=object)
    else:
        raw_codes, uniques = pd.factorize(df[id_col], sort=True)
        if (raw_codes < 0).any():
            raise DataValidationError(
                f"id column {id_col!r} has missing ids; drop or fill those rows."
            )
        codes, ids = raw_codes.astype(np.int64), np.asarray(uniques.to_numpy(), dtype=object)
    lengths = np.bincount(codes, minlength=ids.size).astype(np.int64)
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    order = np.lexsort((ns, codes))  # stable: rows keep their order within equal times
    position = np.empty(len(df), dtype=np.int64)
    position[order] = np.arange(len(df)) - starts[codes[order]]
    return _Axis(codes, ns, tz, position, lengths, ids)


def _end(name: str, cutoff: Cutoff, base: np.ndarray, axis: _Axis) -> np.ndarray:
    """(S,) exclusive end row of the split in each series; `base` is where the split starts."""
    if isinstance(cutoff, bool):
        raise DataValidationError(
            f"{name} must be a row count, fraction or timestamp, but got {cutoff!r}."
        )
    if isinstance(cutoff, int | np.integer):
        if cutoff < 1:
            raise DataValidationError(
                f"{name} as a row count must be >= 1, but got {name}={cutoff}."
            )
        return base + int(cutoff)
    if isinstance(cutoff, float | np.floating):
        if not 0.0 < cutoff < 1.0:
            raise DataValidationError(
                f"{name} as a fraction must lie in (0, 1), but got {name}={cutoff}; pass an int "
                "for a row count."
            )
        return base + np.floor(cutoff * axis.lengths).astype(np.int64)
    return _rows_before(name, cutoff, axis)


def _rows_before(name: str, cutoff: Cutoff, axis: _Axis) -> np.ndarray:
    """(S,) rows of each series strictly before the timestamp `cutoff`."""
    if axis.tz == INTEGER_AXIS:
        raise DataValidationError(
            f"{name}={cutoff!r}: the frame's time axis is integer steps, so give the cutoff as a "
            "row count (int) or a fraction of each series (float)."
        )
    try:
        stamp = pd.Timestamp(cutoff)
    except (ValueError, TypeError) as err:
        raise DataValidationError(
            f"{name}={cutoff!r} is neither a row count, a fraction nor a timestamp."
        ) from err
    if (stamp.tz is None) != (axis.tz is None):
        raise DataValidationError(
            f"{name}={cutoff!r} is {'naive' if stamp.tz is None else 'tz-aware'} but the frame's "
            f"times are {'naive' if axis.tz is None else f'in {axis.tz}'}; give the cutoff in the "
            "same form."
        )
    if stamp.tz is not None:
        stamp = stamp.tz_convert("UTC").tz_localize(None)
    before = axis.ns < stamp.as_unit("ns").value
    return np.bincount(axis.codes, weights=before, minlength=axis.lengths.size).astype(np.int64)


def _check_ends(
    axis: _Axis,
    train_end: np.ndarray,
    val_end: np.ndarray,
    test_end: np.ndarray,
    lookback: int,
    *,
    test_given: bool,
) -> None:
    """Name the first series whose cutoffs are impossible, and why."""
    problems = [
        (
            train_end < np.maximum(lookback, 1),
            "the train split has {train} rows, but needs at least max(1, lookback={lookback}) "
            "because validation starts lookback rows before its cutoff",
        ),
        (val_end <= train_end, "the val split is empty (train ends at row {train}, val at {val})"),
        (val_end > axis.lengths, "train + val need {val} rows but the series has {length}"),
    ]
    if test_given:
        problems += [
            (
                test_end <= val_end,
                "the test split is empty (val ends at row {val}, test at {test})",
            ),
            (
                test_end > axis.lengths,
                "train + val + test need {test} rows but the series has {length}",
            ),
        ]
    for bad, template in problems:
        if bad.any():
            s = int(np.argmax(bad))
            detail = template.format(
                train=train_end[s],
                val=val_end[s],
                test=test_end[s],
                length=axis.lengths[s],
                lookback=lookback,
            )
            raise DataValidationError(
                f"impossible split for series {axis.ids[s]!r}: {detail}. Move the cutoffs "
                "(train/val/test) or drop the series."
            )
