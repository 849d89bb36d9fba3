"""Calendar features from timestamps, as sin/cos pairs so that 23:00 sits next to 00:00.

Components are computed with integer arithmetic on datetime64 values (no pandas accessors), which
keeps a 2,000,000-row panel well under a second. Tz-aware times use the local wall clock, because
daily and weekly rhythms follow local time, not UTC.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
import pandas as pd

from tsattn.data._timeaxis import (
    INTEGER_AXIS,
    NS_PER_DAY,
    advance,
    nominal_step_ns,
    parse_freq,
    to_time_index,
)
from tsattn.errors import DataValidationError

__all__ = [
    "CALENDAR_FEATURES",
    "calendar_column_names",
    "calendar_features",
    "future_time_grid",
    "future_times",
    "resolve_calendar_features",
]

CALENDAR_FEATURES: dict[str, str] = {
    "minute": "minute of the hour (period 60)",
    "hour": "hour of the day (period 24)",
    "weekday": "day of the week, Monday first (period 7)",
    "day": "day of the month (period: that month's length)",
    "dayofyear": "day of the year (period: that year's length)",
    "weekofyear": "week of the year, (dayofyear - 1) // 7 (period 53)",
    "month": "month of the year (period 12)",
    "quarter": "quarter of the year (period 4)",
}

_HOUR = 3600 * 10**9
_YEAR = 365.25 * NS_PER_DAY
# (bound, features): the first row whose bound exceeds the frequency's step applies. A feature
# is chosen when it changes between consecutive steps but repeats within the data's span.
_AUTO: list[tuple[int, list[str]]] = [
    (_HOUR, ["minute", "hour", "weekday", "month", "dayofyear"]),
    (NS_PER_DAY, ["hour", "weekday", "month", "dayofyear"]),
    (7 * NS_PER_DAY, ["weekday", "month", "dayofyear"]),
    (28 * NS_PER_DAY, ["weekofyear", "month"]),
    (89 * NS_PER_DAY, ["month"]),
    (365 * NS_PER_DAY, ["quarter"]),
]
# One cycle of each feature; "auto" keeps a feature only if the training span holds this many.
_PERIOD_NS: dict[str, float] = {
    "minute": _HOUR, "hour": NS_PER_DAY, "weekday": 7 * NS_PER_DAY, "day": 30.44 * NS_PER_DAY,
    "dayofyear": _YEAR, "weekofyear": _YEAR, "month": _YEAR, "quarter": _YEAR,
}  # fmt: skip
AUTO_MIN_CYCLES = 2


def resolve_calendar_features(
    freq: str,
    requested: Literal["auto"] | Sequence[str] | None,
    span_ns: int | None = None,
    tz: str | None = None,
) -> list[str]:
    """The calendar features to use: "auto" picks those that vary at `freq`; None means none.

    With the training data's time span, "auto" also drops features seen for fewer than
    `AUTO_MIN_CYCLES` cycles: a month feature fitted on one year can only tell the months of that
    year apart, which is memorising the training period, not learning a season (on ETTh1's
    12-month training split it cost MSE 0.387 -> 0.421, benchmarks/README.md).

    >>> resolve_calendar_features("h", "auto")
    ['hour', 'weekday', 'month', 'dayofyear']
    >>> resolve_calendar_features("h", "auto", span_ns=360 * 24 * 3600 * 10**9)
    ['hour', 'weekday']
    """
    if requested is None:
        return []
    if tz == INTEGER_AXIS:  # steps carry no hour, weekday or month
        if requested == "auto" or not list(requested):
            return []
        raise DataValidationError(
            f"calendar features {list(requested)} need timestamps, but the time axis is integer "
            "steps; drop calendar_features, or give the frame real timestamps."
        )
    if isinstance(requested, str):
        if requested != "auto":
            raise DataValidationError(
                "calendar must be 'auto', None or a list of names, but got "
                f"calendar={requested!r}; valid names: {list(CALENDAR_FEATURES)}."
            )
        step = nominal_step_ns(parse_freq(freq))
        names = next((list(names) for bound, names in _AUTO if step < bound), [])
        if span_ns is None:
            return names
        return [n for n in names if span_ns >= AUTO_MIN_CYCLES * _PERIOD_NS[n]]
    names = list(requested)
    unknown = [name for name in names if name not in CALENDAR_FEATURES]
    if unknown:
        raise DataValidationError(
            f"unknown calendar feature(s) {unknown}; valid names: {list(CALENDAR_FEATURES)}."
        )
    if len(set(names)) != len(names):
        raise DataValidationError(f"calendar features must be listed once each, but got {names}.")
    return names


def calendar_column_names(features: Sequence[str]) -> list[str]:
    """Column names matching `calendar_features`: `hour_sin, hour_cos, weekday_sin, ...`."""
    return [f"{name}_{part}" for name in features for part in ("sin", "cos")]


def calendar_features(
    times: pd.DatetimeIndex | np.ndarray, features: Sequence[str], out: np.ndarray | None = None
) -> np.ndarray:
    """(N, 2 * len(features)) float32: sin and cos of each feature's phase, in `features` order.

    `times` is a DatetimeIndex (tz-aware ones are read on their local clock) or a datetime64 array.
    Hour 6 has phase 6/24, so its `hour_sin` is 1 and its `hour_cos` is 0. `out` (e.g. the
    calendar columns of a panel buffer) receives the result without an intermediate array.
    """
    index = pd.DatetimeIndex(times)
    if index.tz is not None:
        index = index.tz_localize(None)  # local wall time
    ns = index.as_unit("ns").asi8
    days = ns // NS_PER_DAY  # floor division keeps pre-1970 dates right
    if out is None:
        out = np.empty((ns.size, 2 * len(features)), dtype=np.float32)
    elif out.shape != (ns.size, 2 * len(features)):
        raise DataValidationError(
            f"out must have shape {(ns.size, 2 * len(features))}, but got {out.shape}."
        )
    for k, name in enumerate(features):
        position, phase = _lookup(ns, days, name)
        # sin/cos are evaluated once per distinct value (24 hours, the days spanned), then gathered.
        angle = 2 * np.pi * phase
        out[:, 2 * k] = np.sin(angle).astype(np.float32)[position]
        out[:, 2 * k + 1] = np.cos(angle).astype(np.float32)[position]
    return out


def _lookup(ns: np.ndarray, days: np.ndarray, name: str) -> tuple[np.ndarray, np.ndarray]:
    """(position of each time in the table, table of phases in [0, 1)) for one feature."""
    if name == "minute":
        return (ns // 60_000_000_000) % 60, np.arange(60) / 60
    if name == "hour":
        return (ns // _HOUR) % 24, np.arange(24) / 24
    if name not in CALENDAR_FEATURES:
        raise DataValidationError(
            f"unknown calendar feature {name!r}; valid: {list(CALENDAR_FEATURES)}."
        )
    # Date features depend on the day only: tabulate them over the days spanned (at most ~213,000
    # for pandas' whole timestamp range) instead of converting every row.
    first = int(days.min()) if days.size else 0
    span = np.arange(first, (int(days.max()) if days.size else 0) + 1)
    return days - first, _day_phase(span, name)


def _day_phase(days: np.ndarray, name: str) -> np.ndarray:
    """Phase of a date feature for days since 1970-01-01."""
    if name == "weekday":
        return (days + 3) % 7 / 7  # 1970-01-01 was a Thursday (Monday = 0)
    year, month, day = _civil(days)
    if name == "month":
        return (month - 1) / 12
    if name == "quarter":
        return (month - 1) // 3 / 4
    leap = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))
    if name == "day":
        return (day - 1) / (_MONTH_DAYS[month - 1] + (leap & (month == 2)))
    dayofyear = _DAYS_BEFORE_MONTH[month - 1] + (leap & (month > 2)) + day - 1  # 0-based
    if name == "weekofyear":
        return dayofyear // 7 / 53
    return dayofyear / (365 + leap)


_MONTH_DAYS = np.array([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])
_DAYS_BEFORE_MONTH = np.concatenate([[0], np.cumsum(_MONTH_DAYS)[:-1]])


def _civil(days: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(year, month 1-12, day 1-31) from days since 1970-01-01, in integer arithmetic.

    H. Hinnant's `civil_from_days`: ~20 vectorized integer ops, far faster than numpy's
    datetime64[M]/[Y] casts, which convert element by element.
    """
    z = days + 719_468  # days since 0000-03-01, so leap days fall at the end of a "year"
    era = z // 146_097
    doe = z - era * 146_097  # day of the 400-year era, [0, 146096]
    yoe = (doe - doe // 1_460 + doe // 36_524 - doe // 146_096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)  # day of the March-based year
    mp = (5 * doy + 2) // 153
    day = doy - (153 * mp + 2) // 5 + 1
    month = np.where(mp < 10, mp + 3, mp - 9)
    year = yoe + era * 400 + (month <= 2)
    return year, month, day


def future_time_grid(
    last_times: np.ndarray, freq: str, horizon: int, tz: str | None = None
) -> np.ndarray:
    """(S, H) datetime64[ns]: the `horizon` timestamps after each of the (S,) `last_times`.

    Times follow the panel convention: UTC instants when `tz` is given, wall time otherwise.
    One vectorized step per horizon position, never a loop over series.
    """
    if isinstance(horizon, bool) or horizon < 1:
        raise DataValidationError(f"horizon must be a positive int, but got {horizon=}.")
    offset = parse_freq(freq, tz)
    ns = np.asarray(last_times).astype("M8[ns]").astype(np.int64)
    grid = np.empty((ns.size, horizon), dtype=np.int64)
    for h in range(horizon):
        ns = advance(ns, offset, tz)
        grid[:, h] = ns
    return grid.view("M8[ns]")


def future_times(last_time: pd.Timestamp | str | int, freq: str | int, horizon: int) -> pd.Index:
    """The `horizon` timestamps after `last_time` at `freq`, in `last_time`'s zone; on an
    integer axis (an int `last_time`) the next `horizon` steps of size `freq`."""
    if isinstance(last_time, int | np.integer) and not isinstance(last_time, bool):
        step = int(parse_freq(freq, INTEGER_AXIS).nanos)
        return pd.Index(int(last_time) + step * np.arange(1, horizon + 1, dtype=np.int64))
    stamp = pd.Timestamp(last_time)
    tz = None if stamp.tz is None else str(stamp.tz)
    start = stamp if tz is None else stamp.tz_convert("UTC").tz_localize(None)
    grid = future_time_grid(
        np.array([start.as_unit("ns").value], dtype="M8[ns]"), str(freq), horizon, tz
    )
    return to_time_index(grid[0].astype(np.int64), tz)
