"""The time axis as int64: parsing, time zones, frequency inference and gap finding.

Every check runs on int64 arrays (nanoseconds: UTC instants for tz-aware input, wall time for
naive input) so a 2,000,000-row panel is checked with a handful of vectorized passes. Calendar
offsets (month starts, business days, calendar days in a time zone) go through pandas'
vectorized offset arithmetic.

An integer time axis (an integer column or a RangeIndex: M4, competition data, warehouse tables
without dates) rides on the same arrays: each integer is one "nanosecond", its step a `Nano`
offset, and the axis kind travels where the zone does, as `tz == INTEGER_AXIS`, so every later
stage (panels, windows, future grids, outputs, saved models) handles it without a second path.
Only the edges differ: parsing, showing times to the user, and calendar features (there are none).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from pandas.tseries.frequencies import to_offset
from pandas.tseries.offsets import BaseOffset, Day, Tick

from tsattn.errors import DataValidationError

NS_PER_DAY = 86_400 * 10**9
NAT = np.iinfo(np.int64).min
INTEGER_AXIS = "integer"  # the `tz` of an integer time axis: steps, not instants

__all__ = [
    "INTEGER_AXIS",
    "advance",
    "describe_axis",
    "find_irregular",
    "fixed_step_ns",
    "format_time",
    "infer_offset",
    "nominal_step_ns",
    "parse_freq",
    "parse_times",
    "step_name",
    "time_values",
    "to_time_index",
]


def parse_times(values: pd.Series | pd.Index, name: str) -> tuple[np.ndarray, str | None]:
    """Return `(ns, tz)`: int64 nanoseconds (UTC when tz-aware) and the zone name, or raise;
    integers come back as they are, with `tz = INTEGER_AXIS`.

    `name` describes where the times live (e.g. "time column 'date'") for the error messages.
    """
    dtype = values.dtype
    if pd.api.types.is_integer_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype):
        missing = np.asarray(pd.isna(values))
        if missing.any():
            row = int(np.argmax(missing))
            raise DataValidationError(
                f"{name} has a missing time step at row {row}; drop that row or fill its step."
            )
        return np.asarray(values, dtype=np.int64), INTEGER_AXIS
    if isinstance(dtype, pd.DatetimeTZDtype):
        index = pd.DatetimeIndex(values).tz_convert("UTC").tz_localize(None)
        return _to_ns(index, name), str(dtype.tz)
    if pd.api.types.is_datetime64_dtype(dtype):
        return _to_ns(pd.DatetimeIndex(values), name), None
    if pd.api.types.is_numeric_dtype(dtype):
        # pandas would read numbers as nanoseconds since 1970, which is never what was meant.
        raise DataValidationError(
            f"{name} holds {dtype} numbers, neither timestamps nor integer steps; convert it "
            "first: .astype('int64') for steps 0, 1, 2, ..., or pd.to_datetime(col, unit='s') "
            "for epoch seconds."
        )
    try:
        parsed = pd.DatetimeIndex(pd.to_datetime(values))
    except (ValueError, TypeError) as err:
        raise _unparseable(values, name, err) from err
    return parse_times(parsed, name)


def _to_ns(index: pd.DatetimeIndex, name: str) -> np.ndarray:
    ns = index.as_unit("ns").asi8
    missing = ns == NAT
    if missing.any():
        row = int(np.argmax(missing))
        raise DataValidationError(
            f"{name} has a missing timestamp (NaT) at row {row}; drop that row or fill its "
            "timestamp."
        )
    return ns


def _unparseable(values: pd.Series | pd.Index, name: str, err: Exception) -> DataValidationError:
    """Explain why pandas could not parse the times: mixed zones, or values that are not dates."""
    reason = str(err)
    try:  # a per-element parse tells a format mix apart from a zone mix
        pd.to_datetime(values, format="mixed")
    except (ValueError, TypeError) as retry:
        reason = str(retry)
    fix = (
        "convert them to one zone first, e.g. pd.to_datetime(col, utc=True), then "
        ".dt.tz_convert('Europe/Paris') or .dt.tz_localize(None) for naive local time."
    )
    if "tz-naive" in reason:
        return DataValidationError(f"{name} mixes tz-aware and tz-naive timestamps; {fix}")
    if "Mixed timezones" in reason or "Tz-aware" in reason:
        return DataValidationError(
            f"{name} mixes different time zones / UTC offsets (or tz-aware with naive timestamps); "
            f"{fix}"
        )
    raw = np.asarray(values)
    coerced = pd.to_datetime(values, errors="coerce", utc=True, format="mixed")
    bad = np.flatnonzero(np.asarray(pd.isna(coerced)) & ~np.asarray(pd.isna(values)))
    example = f" (first bad value {raw[bad[0]]!r} at row {bad[0]})" if bad.size else ""
    return DataValidationError(
        f"{name} is not datetime-parseable{example}: {reason.splitlines()[0]} Convert it with "
        "pd.to_datetime(col, format=...) before passing the frame."
    )


def to_time_index(ns: np.ndarray, tz: str | None) -> pd.Index:
    """Turn int64 times back into what the user gave: a DatetimeIndex in the user's zone, or
    an integer Index for an integer axis."""
    if tz == INTEGER_AXIS:
        return pd.Index(np.asarray(ns, dtype=np.int64))
    index = pd.DatetimeIndex(np.asarray(ns, dtype=np.int64).view("M8[ns]"))
    return index if tz is None else index.tz_localize("UTC").tz_convert(tz)


def time_values(values: pd.Series | pd.Index) -> pd.Series | pd.Index:
    """A time column as comparable values: integer steps unchanged, anything else parsed as
    datetimes (for joins and filters on a job's tables, which may hold either)."""
    if pd.api.types.is_integer_dtype(values.dtype):
        return values
    return pd.to_datetime(values)


def format_time(ns: int, tz: str | None) -> str:
    """One timestamp (or integer step) as the user would write it, for error messages."""
    return str(to_time_index(np.array([ns]), tz)[0])


def describe_axis(tz: str | None) -> str:
    """What kind of time axis `tz` stands for, for messages about mismatched frames."""
    if tz == INTEGER_AXIS:
        return "integer time steps"
    return "tz-naive timestamps" if tz is None else f"timestamps in time zone {tz}"


def parse_freq(freq: str | int, tz: str | None = None) -> BaseOffset:
    """A pandas frequency string (or, on an integer axis, a step such as 1 or "5") as an
    offset, or an error that shows valid examples."""
    if tz == INTEGER_AXIS:
        step = _integer_step(freq)
        if step is None:
            raise DataValidationError(
                f"freq={freq!r} is not a step of an integer time axis; use a positive integer "
                "such as 1 (or None to infer it)."
            )
        return to_offset(pd.Timedelta(step, unit="ns"))
    try:
        return to_offset(freq)
    except (ValueError, TypeError) as err:
        raise DataValidationError(
            f"freq={freq!r} is not a pandas frequency; use e.g. 'h', '15min', 'D', 'B', 'W-SUN' or "
            "'MS'."
        ) from err


def _integer_step(freq: str | int) -> int | None:
    """The step of an integer axis from 5, "5" or its stored form ("5ns"); None if not one."""
    text = str(freq).strip()
    digits = text.removesuffix("ns").removesuffix("N") or "1"
    return int(digits) if digits.isdigit() and int(digits) > 0 else None


def step_name(offset: BaseOffset, tz: str | None) -> str:
    """The frequency as the user would write it: 'h', 'MS', or a step of 1 on an integer axis."""
    return f"step {int(offset.nanos)}" if tz == INTEGER_AXIS else repr(offset.freqstr)


def fixed_step_ns(offset: BaseOffset, tz: str | None) -> int | None:
    """The step in ns when it never varies, else None (months, business days, days across DST)."""
    if isinstance(offset, Tick):
        return int(offset.nanos)
    if isinstance(offset, Day) and tz is None:
        return int(offset.n) * NS_PER_DAY
    return None


def nominal_step_ns(offset: BaseOffset) -> int:
    """A typical step length, measured from an anchored date: used to pick calendar features."""
    first = pd.Timestamp("2001-01-01") + offset  # a Monday, so weekly and business offsets anchor
    return int((first + offset - first).value)


def advance(ns: np.ndarray, offset: BaseOffset, tz: str | None, n: int = 1) -> np.ndarray:
    """`ns` moved `n` steps of `offset`, vectorized; calendar offsets act on the user's wall "
    "time."""
    step = fixed_step_ns(offset, tz)
    if step is not None:
        return ns + n * step
    moved = to_time_index(ns, tz) + n * offset
    if tz is not None:
        moved = moved.tz_convert("UTC").tz_localize(None)
    return moved.as_unit("ns").asi8


def _mismatch(ns: np.ndarray, same: np.ndarray, offset: BaseOffset, tz: str | None) -> np.ndarray:
    """Boolean (N-1,): True where row i+1 is in the same series but not one step after row i."""
    return same & (ns[1:] != advance(ns[:-1], offset, tz))


def find_irregular(
    ns: np.ndarray, same: np.ndarray, offset: BaseOffset, tz: str | None
) -> int | None:
    """Index i of the first pair (i, i+1) inside one series that is not exactly one step apart."""
    bad = _mismatch(ns, same, offset, tz)
    return int(np.argmax(bad)) if bad.any() else None


def _candidates(step: int) -> list[BaseOffset]:
    """Offsets whose typical step is `step` ns; calendar offsets first tried only when they fit."""
    if step % NS_PER_DAY:
        return [to_offset(pd.Timedelta(step, unit="ns"))]
    days = step // NS_PER_DAY
    found: list[BaseOffset] = [Day(days)]
    if days == 1:
        found.append(to_offset("B"))
    elif 28 <= days <= 31:
        found += [to_offset("MS"), to_offset("ME")]
    elif 89 <= days <= 92:
        found += [to_offset("QS"), to_offset("QE")]
    elif 365 <= days <= 366:
        found += [to_offset("YS"), to_offset("YE")]
    return found


def infer_offset(ns: np.ndarray, same: np.ndarray, tz: str | None, name: str) -> BaseOffset:
    """Infer the frame's frequency from the most common step between consecutive rows of a series.

    Calendar frequencies (business days, months, quarters, years) have steps of varying length, so
    each offset whose typical step matches the most common one is tried and the one that explains
    the most steps wins.
    """
    steps = (ns[1:] - ns[:-1])[same]
    if steps.size == 0:
        raise DataValidationError(
            f"cannot infer the frequency of {name}: every series has a single row; pass freq=, "
            "e.g. 'h'."
        )
    counts = pd.Series(steps).value_counts(sort=False)
    step = int(counts.idxmax())
    candidates = _candidates(step)
    if len(candidates) == 1:
        return candidates[0]
    misses = [int(_mismatch(ns, same, offset, tz).sum()) for offset in candidates]
    return candidates[int(np.argmin(misses))]
