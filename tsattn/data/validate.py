"""Validate a user's frame once, up front, so later stages can trust sorted, regular, finite data.

Every check is a vectorized pass over the whole frame (no loop per row or per series) and every
failure raises `DataValidationError` naming the column, the series id and the timestamp, plus a fix.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from pandas.tseries.offsets import BaseOffset

from tsattn.data._missing import FillMissing
from tsattn.data._missing import fill_missing as fill_nan
from tsattn.data._timeaxis import (
    INTEGER_AXIS,
    advance,
    find_irregular,
    format_time,
    infer_offset,
    parse_freq,
    parse_times,
    step_name,
    to_time_index,
)
from tsattn.errors import DataValidationError

__all__ = ["ID", "TIME", "WIDE_SERIES_ID", "ConstantColumns", "ValidatedFrame", "validate_frame"]

ID, TIME = "id", "time"
WIDE_SERIES_ID = "series"
ConstantColumns = Literal["raise", "keep"]
Describe = Callable[[int], str]


@dataclass(frozen=True, eq=False)
class ValidatedFrame:
    """A frame that passed `validate_frame`: long format, sorted by (id, time), regular and finite.

    Attributes:
        frame: columns `id`, `time`, then target + past + future covariates (float64), RangeIndex.
            Wide input becomes one series whose id is `WIDE_SERIES_ID` ("series"), so every later
            stage handles wide and long input alike. `time` is datetime64[ns] (tz-aware if the
            input was; int64 steps on an integer axis).
        target, past_covariates, future_covariates: value column names, in frame order.
        freq: a pandas frequency string `pd.date_range(freq=...)` accepts ("h", "15min", "MS"),
            or the step of an integer axis ("1").
        tz: the time zone of tz-aware input, `INTEGER_AXIS` for integer steps, else None.
        series_ids: (S,) the series ids in frame order (sorted ascending).
        lengths: (S,) int64 rows per series.
    """

    frame: pd.DataFrame
    target: tuple[str, ...]
    past_covariates: tuple[str, ...]
    future_covariates: tuple[str, ...]
    freq: str
    tz: str | None
    series_ids: np.ndarray
    lengths: np.ndarray

    @property
    def value_columns(self) -> list[str]:
        """Target, then past covariates, then future covariates."""
        return [*self.target, *self.past_covariates, *self.future_covariates]

    @property
    def offsets(self) -> np.ndarray:
        """(S+1,) int64 row offsets: series s occupies rows offsets[s]:offsets[s+1]."""
        return np.concatenate([[0], np.cumsum(self.lengths)]).astype(np.int64)

    def time_ns(self) -> np.ndarray:
        """(N,) int64 nanoseconds of the `time` column (UTC instants when tz-aware; the steps
        themselves on an integer axis)."""
        if self.tz == INTEGER_AXIS:
            return self.frame[TIME].to_numpy(dtype=np.int64)
        times = pd.DatetimeIndex(self.frame[TIME])
        if self.tz is not None:
            times = times.tz_convert("UTC").tz_localize(None)
        return times.as_unit("ns").asi8


def validate_frame(
    df: pd.DataFrame,
    *,
    target: Sequence[str],
    time_col: str | None = None,
    id_col: str | None = None,
    past_covariates: Sequence[str] = (),
    future_covariates: Sequence[str] = (),
    freq: str | int | None = None,
    fill_missing: FillMissing = "raise",
    constant_columns: ConstantColumns = "raise",
    min_length: int | None = None,
    categorical: Sequence[str] = (),
) -> ValidatedFrame:
    """Check `df` and return it sorted, in long format, with its frequency.

    `df` is wide (one series, `id_col=None`) or a long panel (`id_col` names the series column);
    time is in `time_col`, or in the index when `time_col` is None. `freq` is inferred from the most
    common step when None. `fill_missing` opts into filling NaN within each series; `min_length`
    (lookback + horizon when training) rejects series too short to yield one window.
    `categorical` names covariates already coded as categories (`data.categories`), which may
    be constant within a series.
    Unsorted rows are sorted (stable, by id then time) with a `UserWarning`.
    """
    columns = _check_arguments(target, past_covariates, future_covariates, time_col, id_col)
    _check_options(fill_missing, constant_columns, min_length)
    _check_columns(df, columns, time_col, id_col)
    where = f"time column {time_col!r}" if time_col else "the frame's index (time_col=None)"
    ns, tz = parse_times(df[time_col] if time_col else df.index, where)
    codes, uniques = _factorize_ids(df, id_col)
    series_ids = np.asarray(uniques, dtype=object)  # Python scalars: readable in messages, JSON
    describe = _describer(codes, ns, series_ids, tz, wide=id_col is None)
    _check_numeric(df, columns, describe)
    values = _value_matrix(df, columns)
    order = _sort_order(codes, ns, id_col)
    if order is not None:
        codes, ns = codes[order], ns[order]
        for j in range(len(columns)):  # per column: contiguous writes into the F-ordered matrix
            values[:, j] = values[order, j]
        describe = _describer(codes, ns, series_ids, tz, wide=id_col is None)
    lengths = np.bincount(codes, minlength=series_ids.size).astype(np.int64)
    offsets = np.concatenate([[0], np.cumsum(lengths)])
    same = codes[1:] == codes[:-1]
    _check_duplicates(ns, same, describe)
    offset = _check_frequency(ns, same, tz, freq, describe, where)
    values = fill_nan(values, offsets, codes, columns, fill_missing, describe)
    if constant_columns == "raise":  # category codes are never scaled: constant is fine
        numeric = [j for j, name in enumerate(columns) if name not in set(categorical)]
        _check_constant(values[:, numeric], offsets, [columns[j] for j in numeric], series_ids,
                        wide=id_col is None)  # fmt: skip
    if min_length is not None:
        _check_min_length(lengths, series_ids, min_length)
    frame = pd.DataFrame(values, columns=pd.Index(columns), copy=False)
    frame.insert(0, TIME, to_time_index(ns, tz))
    frame.insert(0, ID, uniques.take(codes) if id_col else WIDE_SERIES_ID)  # the ids' own dtype
    roles = (tuple(target), tuple(past_covariates), tuple(future_covariates))
    freq_name = str(offset.nanos) if tz == INTEGER_AXIS else offset.freqstr  # "2": a step of 2
    return ValidatedFrame(frame, *roles, freq_name, tz, series_ids, lengths)


def _check_arguments(
    target: Sequence[str],
    past: Sequence[str],
    future: Sequence[str],
    time_col: str | None,
    id_col: str | None,
) -> list[str]:
    """The value columns, after checking the column roles do not overlap."""
    for name, value in (
        ("target", target),
        ("past_covariates", past),
        ("future_covariates", future),
    ):
        if isinstance(value, str):
            raise DataValidationError(
                f"{name} must be a list of column names, but got {name}={value!r}."
            )
    if len(target) == 0:
        raise DataValidationError("target must name at least one column, but got target=[].")
    columns = [*target, *past, *future]
    seen: set[str] = set()
    for col in columns:
        if col in seen:
            raise DataValidationError(
                f"column {col!r} is listed twice among target/past_covariates/future_covariates; "
                "give each column one role."
            )
        seen.add(col)
    for role, special in (("time_col", time_col), ("id_col", id_col)):
        if special is not None and special in seen:
            raise DataValidationError(
                f"{role}={special!r} is also listed as a value column; remove it there."
            )
    if time_col is not None and time_col == id_col:
        raise DataValidationError(f"time_col and id_col are both {time_col!r}; they must differ.")
    clashes = [c for c in columns if c in (ID, TIME)]
    if clashes:
        raise DataValidationError(
            f"value column {clashes[0]!r} clashes with the validated frame's own {clashes[0]!r} "
            "column; rename it (e.g. df.rename(columns=...))."
        )
    return columns


def _check_options(fill: str, constant: str, min_length: int | None) -> None:
    if fill not in ("raise", "ffill", "interpolate"):
        raise DataValidationError(
            "fill_missing must be 'raise', 'ffill' or 'interpolate', but got "
            f"fill_missing={fill!r}."
        )
    if constant not in ("raise", "keep"):
        raise DataValidationError(
            f"constant_columns must be 'raise' or 'keep', but got constant_columns={constant!r}."
        )
    if min_length is not None and (isinstance(min_length, bool) or min_length < 1):
        raise DataValidationError(
            f"min_length must be a positive int or None, but got {min_length=}."
        )


def _check_columns(
    df: pd.DataFrame, columns: list[str], time_col: str | None, id_col: str | None
) -> None:
    if len(df) == 0:
        raise DataValidationError(
            "the frame is empty (0 rows); pass a frame with at least one row per series."
        )
    needed = [c for c in (id_col, time_col) if c is not None] + columns
    missing = [c for c in needed if c not in df.columns]
    if missing:
        raise DataValidationError(
            f"columns {missing} are missing from the frame; available columns: {list(df.columns)}. "
            "Fix the names in target/past_covariates/future_covariates/time_col/id_col."
        )
    duplicated = [c for c in needed if np.count_nonzero(df.columns == c) > 1]
    if duplicated:
        raise DataValidationError(
            f"column {duplicated[0]!r} appears more than once in the frame; rename one."
        )


def _factorize_ids(df: pd.DataFrame, id_col: str | None) -> tuple[np.ndarray, pd.Index]:
    """(N,) int64 series codes in sorted-id order and the (S,) ids; wide input is one series."""
    if id_col is None:
        return np.zeros(len(df), dtype=np.int64), pd.Index([WIDE_SERIES_ID])
    try:
        codes, uniques = pd.factorize(df[id_col], sort=True)
    except TypeError as err:
        raise DataValidationError(
            f"id column {id_col!r} mixes value types ({err}); convert it with "
            f"df[{id_col!r}].astype(str)."
        ) from err
    if (codes < 0).any():
        row = int(np.argmax(codes < 0))
        raise DataValidationError(
            f"id column {id_col!r} has a missing id at row {row}; drop those rows or give them an "
            "id."
        )
    return codes.astype(np.int64), pd.Index(uniques)


def _describer(
    codes: np.ndarray, ns: np.ndarray, ids: np.ndarray, tz: str | None, *, wide: bool
) -> Describe:
    """A function from row number to "in series 'a' at 2020-01-01 05:00:00", for error messages."""

    def describe(row: int) -> str:
        when = format_time(int(ns[row]), tz)
        return f"at {when}" if wide else f"in series {ids[codes[row]]!r} at {when}"

    return describe


def _check_numeric(df: pd.DataFrame, columns: list[str], describe: Describe) -> None:
    for col in columns:
        dtype = df[col].dtype
        if pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_complex_dtype(dtype):
            continue
        coerced = pd.to_numeric(df[col], errors="coerce")
        bad = np.flatnonzero(coerced.isna().to_numpy() & df[col].notna().to_numpy())
        example = f": value {df[col].iloc[bad[0]]!r} {describe(int(bad[0]))}" if bad.size else ""
        raise DataValidationError(
            f"column {col!r} is not numeric (dtype {dtype}){example}; convert it with "
            f"pd.to_numeric(df[{col!r}]) or drop the column."
        )


def _value_matrix(df: pd.DataFrame, columns: list[str]) -> np.ndarray:
    """(N, V) float64 in Fortran order: each column is contiguous, as pandas stores them."""
    values = np.empty((len(df), len(columns)), dtype=np.float64, order="F")
    for j, col in enumerate(columns):
        values[:, j] = df[col].to_numpy(dtype=np.float64, na_value=np.nan)
    return values


def _sort_order(codes: np.ndarray, ns: np.ndarray, id_col: str | None) -> np.ndarray | None:
    """The stable (id, time) order, or None when the rows are already in it."""
    step_code = np.diff(codes)
    unsorted = (step_code < 0) | ((step_code == 0) & (np.diff(ns) < 0))
    if not unsorted.any():
        return None
    by = f"({id_col!r}, time)" if id_col else "time"
    warnings.warn(
        f"the rows were not sorted by {by}; tsattn sorted them (stable sort). Sort the frame "
        "first to silence this warning.",
        UserWarning,
        stacklevel=3,
    )
    return np.lexsort((ns, codes))


def _check_duplicates(ns: np.ndarray, same: np.ndarray, describe: Describe) -> None:
    duplicate = same & (ns[1:] == ns[:-1])
    if duplicate.any():
        row = int(np.argmax(duplicate)) + 1
        raise DataValidationError(
            f"duplicate timestamp {describe(row)}: each (id, time) must appear once; aggregate the "
            "duplicates (e.g. df.groupby([id, time]).mean()) or drop them."
        )


def _check_frequency(
    ns: np.ndarray,
    same: np.ndarray,
    tz: str | None,
    freq: str | int | None,
    describe: Describe,
    where: str,
) -> BaseOffset:
    """The frame's offset (given or inferred); raise at the first gap or off-grid step."""
    offset = parse_freq(freq, tz) if freq is not None else infer_offset(ns, same, tz, where)
    row = find_irregular(ns, same, offset, tz)
    if row is None:
        return offset
    expected = int(advance(ns[row : row + 1], offset, tz)[0])
    actual = int(ns[row + 1])
    kind = "a gap" if actual > expected else "irregular spacing"
    source = "given" if freq is not None else "inferred from the most common step"
    if tz == INTEGER_AXIS:
        raise DataValidationError(
            f"{kind} {describe(row)}: the next time step is {actual} but {step_name(offset, tz)} "
            f"({source}) expects {expected}. Reindex each series onto consecutive steps (then "
            "fill) or pass the right freq= (the step, e.g. 1)."
        )
    dst = (
        " Daily data in a DST zone may need naive local dates (.dt.tz_localize(None))."
        if tz
        else ""
    )
    raise DataValidationError(
        f"{kind} {describe(row)}: the next timestamp is {format_time(actual, tz)} but freq "
        f"{offset.freqstr!r} ({source}) expects {format_time(expected, tz)}. Reindex each series "
        f"onto a regular grid (e.g. .asfreq({offset.freqstr!r}) per series, then fill) or pass the "
        f"right freq=.{dst}"
    )


def _check_constant(
    values: np.ndarray, offsets: np.ndarray, columns: list[str], series_ids: np.ndarray, wide: bool
) -> None:
    starts = offsets[:-1]
    high = np.maximum.reduceat(values, starts, axis=0)  # -> (S, V)
    constant = high == np.minimum.reduceat(values, starts, axis=0)
    constant &= (np.diff(offsets) > 1)[:, None]  # one row is not "constant", just short
    if constant.any():
        series, col = np.unravel_index(int(np.argmax(constant)), constant.shape)
        where = "the series" if wide else f"series {series_ids[series]!r}"
        raise DataValidationError(
            f"column {columns[col]!r} is constant (value {high[series, col]}) over all "
            f"{offsets[series + 1] - offsets[series]} rows of {where}: z-score scaling would "
            "divide by zero. Drop the column, or pass constant_columns='keep' to keep it unscaled "
            "(scale 1)."
        )


def _check_min_length(lengths: np.ndarray, series_ids: np.ndarray, min_length: int) -> None:
    short = lengths < min_length
    if short.any():
        first = int(np.argmax(short))
        raise DataValidationError(
            f"series {series_ids[first]!r} has {lengths[first]} rows, fewer than the {min_length} "
            "needed (lookback + horizon to train or score, lookback to forecast); "
            f"{int(short.sum())} series are this short. Drop them or shorten lookback/horizon."
        )
