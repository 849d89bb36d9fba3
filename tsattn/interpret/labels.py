"""Words and tick labels shared by the PNG heatmaps and the HTML report, so both say the same.

A picture names what it shows: the series by its real id (and id column), real timestamps on
its axes, and one line telling a reader how to read the colour.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import pandas as pd

from tsattn.data.validate import WIDE_SERIES_ID

__all__ = [
    "GENERIC_STEPS",
    "READING_GUIDE",
    "nice_steps",
    "series_label",
    "stamp",
    "tick_positions",
    "time_labels",
]

GENERIC_STEPS = (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000)
READING_GUIDE = (
    "each row is one forecast step; colour = attention weight relative to uniform; "
    "white/1 = no preference"
)


def series_label(series: object, *, id_col: str | None = None, target: str | None = None) -> str:
    """Name a series as a reader knows it: `id=s0` for a panel, the target for a wide frame.

    A wide frame (no id column) is one series whose stored id is the placeholder
    `WIDE_SERIES_ID`; printing that placeholder would read as a real id, so it is replaced.
    """
    if id_col is not None:
        who = f"{id_col}={series}"
    elif str(series) == WIDE_SERIES_ID:
        who = "single series (no id column)" if target is None else ""
    else:
        who = f"series id {series}"
    return ", ".join(part for part in (target, who) if part)


def stamp(value: object) -> str:
    """One time in full (year included), for titles: '2024-01-13 01:00'."""
    if isinstance(value, pd.Timestamp):
        return value.isoformat(sep=" ", timespec="minutes")
    return str(value)


def time_labels(times: Sequence[object]) -> list[str]:
    """Compact, unambiguous tick labels: dates alone when every time is midnight."""
    index = pd.Index(times)
    if not isinstance(index, pd.DatetimeIndex):
        try:
            index = pd.DatetimeIndex(index) if index.dtype == object else index
        except (TypeError, ValueError):
            pass
    if not isinstance(index, pd.DatetimeIndex):
        return [str(t) for t in index]
    if (index == index.normalize()).all():
        return list(index.strftime("%Y-%m-%d"))
    same_year = index.min().year == index.max().year
    return list(index.strftime("%m-%d %H:%M" if same_year else "%Y-%m-%d %H:%M"))


def nice_steps(times: Sequence[object]) -> tuple[int, ...]:
    """Round tick spacings for the data's frequency: 6/12/24 for hourly, 7/14 for daily."""
    index = pd.Index(times)
    if not isinstance(index, pd.DatetimeIndex) or len(index) < 2:
        return GENERIC_STEPS
    delta = pd.Series(index).diff().median()
    per_day = pd.Timedelta(days=1) / delta if delta > pd.Timedelta(0) else 0.0
    if per_day > 1 and float(per_day).is_integer():
        day = int(per_day)
        divisors = [k for k in range(1, day) if day % k == 0]
        return (*divisors, *(day * m for m in (1, 2, 3, 4, 7, 14, 28)))
    if per_day == 1:
        return (1, 2, 7, 14, 28, 56, 91, 182, 364)
    return GENERIC_STEPS


def tick_positions(
    n: int, most: int, *, anchor_end: bool, nice: tuple[int, ...] = GENERIC_STEPS
) -> list[int]:
    """Every k-th of `n` positions, k a round number, so labels mark round lags and steps.

    Anchored at the end (the lookback axis) ticks count back from the origin (lags 0, k, 2k,
    ...); otherwise (the horizon axis) forward from step 1 (steps 1, k, 2k, ...).
    """
    every = next((k for k in nice if k * (most - 1) >= n), math.ceil(n / max(1, most - 1)))
    if anchor_end:
        return sorted(range(n - 1, -1, -every))
    positions = sorted({0, *range(every - 1, n, every)})
    if len(positions) > 1 and positions[1] - positions[0] < every / 2:
        positions.pop(1)  # step 1 and step k too close to read both
    return positions
