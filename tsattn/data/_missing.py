"""Non-finite values: refuse them, or fill NaN within each series (never across a series boundary).

The fills are vectorized with running maxima/minima of row positions: for each NaN the previous
(next) finite row is found with one `np.maximum.accumulate` over the whole column, and a match that
falls before the series' first row means there is nothing to fill from.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Literal

import numpy as np

from tsattn.errors import DataValidationError

FillMissing = Literal["raise", "ffill", "interpolate"]
Describe = Callable[[int], str]

__all__ = ["FillMissing", "fill_missing"]


def fill_missing(
    values: np.ndarray,
    offsets: np.ndarray,
    codes: np.ndarray,
    columns: Sequence[str],
    how: FillMissing,
    describe: Describe,
) -> np.ndarray:
    """Return `values` (N, V) with NaN filled per `how`, or raise naming column, series and time.

    `codes` (N,) is each row's series index and `offsets` (S+1,) the series' row ranges; `describe`
    turns a row number into "in series 'a' at 2020-01-01 05:00:00" for the messages. Inf is never
    treated as missing: it usually means an upstream division by zero the user should see.
    """
    finite = np.isfinite(values)
    if finite.all():
        return values
    infinite = np.isinf(values)
    if infinite.any():
        row, col = (int(i) for i in np.unravel_index(int(np.argmax(infinite)), values.shape))
        raise DataValidationError(
            f"column {columns[col]!r} has an infinite value ({values[row, col]}) {describe(row)}; "
            "replace it (e.g. with NaN and fill_missing='ffill') or drop the row."
        )
    if how == "raise":
        row, col = (int(i) for i in np.unravel_index(int(np.argmax(~finite)), values.shape))
        raise DataValidationError(
            f"column {columns[col]!r} has a missing value (NaN) {describe(row)}; fill or drop it, "
            "or pass fill_missing='ffill' or 'interpolate' to fill within each series."
        )
    filled = values.copy()
    for col in np.flatnonzero(~finite.all(axis=0)).tolist():
        filled[:, col] = _fill_column(values[:, col], offsets, codes, how, columns[col], describe)
    return filled


def _fill_column(
    x: np.ndarray,
    offsets: np.ndarray,
    codes: np.ndarray,
    how: FillMissing,
    name: str,
    describe: Describe,
) -> np.ndarray:
    missing = np.isnan(x)
    rows = np.arange(x.size)
    prev = np.maximum.accumulate(np.where(missing, -1, rows))
    leading = missing & (prev < offsets[codes])
    if leading.any():
        row = int(np.argmax(leading))
        raise DataValidationError(
            f"column {name!r} starts with a missing value {describe(row)}: fill_missing={how!r} "
            "has no earlier value in that series to fill from; trim the series' leading rows or "
            "fill them."
        )
    out = x.copy()
    if how == "ffill":
        out[missing] = x[prev[missing]]
        return out
    # The next finite row, found by a running minimum from the end of the column.
    nxt = np.minimum.accumulate(np.where(missing, x.size, rows)[::-1])[::-1]
    trailing = missing & (nxt >= offsets[codes + 1])
    out[trailing] = x[prev[trailing]]  # nothing to interpolate towards: carry the last value
    inner = missing & ~trailing
    lo, hi = prev[inner], nxt[inner]
    weight = (rows[inner] - lo) / (hi - lo)
    out[inner] = x[lo] + weight * (x[hi] - x[lo])
    return out
