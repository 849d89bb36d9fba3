"""Attention plots that stay readable at lookback and horizon of 96 and more.

Figures are built with `matplotlib.figure.Figure` rather than pyplot: no global backend switch
(a notebook's inline backend is left alone), nothing rendered on screen, and no figure registry
that leaks memory across a long tuning study. Saving uses the Agg canvas, so it works headless.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.image import AxesImage

__all__ = [
    "plot_lag_profile",
    "plot_lift_by_target",
    "plot_mean_map",
    "plot_variable_importance",
    "plot_window_heatmap",
    "time_labels",
]

_MAX_XTICKS = 12
_MAX_YTICKS = 16
_MAX_BARS = 40
_CMAP = "viridis"
_GENERIC_STEPS = (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000)


def plot_window_heatmap(
    matrix: np.ndarray,
    target_times: Sequence[object],
    source_times: Sequence[object],
    *,
    title: str,
    history: Sequence[float] | None = None,
    history_label: str = "target",
) -> Figure:
    """Heatmap of one window: forecast step (rows) x past timestep (columns), real timestamps.

    `history`, when given, is the target over the same past timesteps, drawn above the heatmap
    on a shared x axis so a bright column can be read against what the series did there.
    """
    steps, lookback = matrix.shape
    width = min(max(7.0, 4.0 + 0.06 * lookback), 14.0)
    height = min(max(4.5, 3.0 + 0.05 * steps), 10.0) + (1.8 if history is not None else 0.0)
    fig = Figure(figsize=(width, height), layout="constrained")
    if history is not None:
        top, ax = fig.subplots(2, 1, sharex=True, height_ratios=[1, 4])
        top.plot(np.arange(lookback), np.asarray(history, dtype=float), lw=1.2, color="0.2")
        top.set_ylabel(history_label)
        top.grid(alpha=0.3)
        top.set_title(title, loc="left", fontsize=11)
    else:
        ax = fig.subplots()
        ax.set_title(title, loc="left", fontsize=11)
    image = ax.imshow(matrix, aspect="auto", interpolation="nearest", cmap=_CMAP)
    nice = _nice_steps(source_times)
    _time_ticks(ax, "x", time_labels(source_times), _MAX_XTICKS, anchor_end=True, nice=nice)
    step_labels = [f"{t}  (+{i + 1})" for i, t in enumerate(time_labels(target_times))]
    _time_ticks(ax, "y", step_labels, _MAX_YTICKS, anchor_end=False, nice=nice)
    ax.set_xlabel("past timestep attended (lookback; the origin is rightmost)")
    ax.set_ylabel("forecast target time (step)")
    _colorbar(fig, ax, image, matrix, "attention weight (mean over heads)")
    return fig


def plot_mean_map(grid: pd.DataFrame, *, title: str = "Mean temporal attention") -> Figure:
    """Mean attention over all windows: step (rows) x lag (columns, oldest left)."""
    return _lag_map(grid, [f"+{s}" for s in grid.index], "forecast step", "mean attention weight",
                    title)


def plot_lift_by_target(grid: pd.DataFrame) -> Figure:
    """Attention lift by lag per target (rows) of a channel-independent model, oldest lag left:
    where each target's own attention looks, side by side."""
    return _lag_map(grid, [str(t) for t in grid.index], "target", "lift over uniform (1 = none)",
                    "Temporal attention by lag, per target")


def _lag_map(grid: pd.DataFrame, row_labels: list[str], row_title: str, value_title: str,
             title: str) -> Figure:
    """A rows x lag image with legible ticks and a colour bar."""
    rows, lookback = grid.shape
    width = min(max(7.0, 4.0 + 0.06 * lookback), 14.0)
    height = min(max(4.5, 3.0 + 0.05 * rows), 10.0)
    fig = Figure(figsize=(width, height), layout="constrained")
    ax = fig.subplots()
    values = grid.to_numpy(dtype=float)
    image = ax.imshow(values, aspect="auto", interpolation="nearest", cmap=_CMAP)
    _time_ticks(ax, "x", [str(c) for c in grid.columns], _MAX_XTICKS, anchor_end=True)
    _time_ticks(ax, "y", row_labels, _MAX_YTICKS, anchor_end=False)
    ax.set_xlabel("lag (steps before the forecast origin; 0 = origin)")
    ax.set_ylabel(row_title)
    ax.set_title(title, loc="left", fontsize=11)
    _colorbar(fig, ax, image, values, value_title)
    return fig


def plot_lag_profile(
    by_lag: pd.DataFrame, by_distance: pd.DataFrame | None = None, *, freq: str | None = None
) -> Figure:
    """Attention lift over uniform by lag (and by distance to the predicted time), with bands.

    Lift 1 (dashed) is uniform attention, so "the model prefers lag 24" reads as a peak above
    the line, and a flat line at 1 says the attention has not learned a preference.
    """
    panels = [("lag", by_lag, "lag: steps before the forecast origin")]
    if by_distance is not None:
        panels.append(("distance", by_distance, "distance: steps before the predicted time"))
    fig = Figure(figsize=(11, 3.6 * len(panels)), layout="constrained")
    axes = np.atleast_1d(fig.subplots(len(panels), 1))
    unit = f" (1 step = {freq})" if freq else ""
    for ax, (column, table, label) in zip(axes, panels):
        x = table[column].to_numpy()
        ax.fill_between(
            x,
            table["q10"],
            table["q90"],
            alpha=0.25,
            color="C0",
            label="10-90% of windows",
            step="mid",
        )
        ax.step(x, table["lift"], where="mid", color="C0", lw=1.5, label="all windows")
        ax.axhline(1.0, color="0.4", ls="--", lw=1, label="uniform (1/L)")
        for peak, lift in _separated_peaks(table, column):
            ax.annotate(
                str(peak),
                (peak, lift),
                textcoords="offset points",
                xytext=(0, 4),
                ha="center",
                fontsize=8,
            )
        ax.set_xlabel(label + unit)
        ax.set_ylabel("attention lift over uniform")
        ax.set_xlim(x.min() - 0.5, x.max() + 0.5)
        ax.set_ylim(bottom=0)
        ax.grid(alpha=0.3)
        ax.legend(loc="lower right", fontsize=8)
    axes[0].set_title("Where the decoder looks, averaged over the validation set", loc="left")
    return fig


def plot_variable_importance(table: pd.DataFrame) -> Figure:
    """Horizontal bars of input-attention importance, most attended on top, 10-90% whiskers."""
    shown = table.head(_MAX_BARS).iloc[::-1]
    fig = Figure(figsize=(8, min(max(3.0, 0.3 * len(shown) + 1.5), 14.0)), layout="constrained")
    ax = fig.subplots()
    y = np.arange(len(shown))
    errors = np.vstack(
        [
            (shown["importance"] - shown["q10"]).clip(lower=0),
            (shown["q90"] - shown["importance"]).clip(lower=0),
        ]
    )
    ax.barh(
        y,
        shown["importance"],
        xerr=errors,
        color="C1",
        alpha=0.85,
        error_kw={"lw": 0.8, "capsize": 2},
    )
    ax.set_yticks(y, [str(v) for v in shown["variable"]])
    ax.set_xlabel("mean input-attention weight (share; whiskers: 10-90% of windows)")
    hidden = len(table) - len(shown)
    suffix = f" (top {len(shown)} of {len(table)})" if hidden else ""
    ax.set_title(f"Input-attention variable importance{suffix}", loc="left")
    ax.grid(axis="x", alpha=0.3)
    return fig


def _colorbar(fig: Figure, ax: Axes, image: AxesImage, matrix: np.ndarray, label: str) -> None:
    """Colour by the data's own range, and mark uniform attention (1/L) on the bar.

    An untrained or diffuse model puts ~1/L everywhere; a 0-based scale would paint that one flat
    colour. Stretching to the data range shows the structure, and the 1/L tick and the range in
    the label keep a reader from mistaking a 0.0104 vs 0.0098 contrast for a sharp focus.
    """
    low, high = float(np.nanmin(matrix)), float(np.nanmax(matrix))
    uniform = 1.0 / matrix.shape[1]
    bar = fig.colorbar(image, ax=ax, shrink=0.9)
    bar.set_label(f"{label}\nrange {low:.3g}-{high:.3g}; uniform 1/L = {uniform:.3g}")
    if low <= uniform <= high:
        bar.ax.axhline(uniform, color="white", lw=1.5, ls="--")


def _separated_peaks(table: pd.DataFrame, column: str, count: int = 3) -> list[tuple[int, float]]:
    """The `count` largest lifts at least 3 apart, so neighbouring bins do not overprint."""
    peaks: list[tuple[int, float]] = []
    for _, row in table.sort_values("lift", ascending=False).iterrows():
        where = int(row[column])
        if all(abs(where - p) >= 3 for p, _ in peaks):
            peaks.append((where, float(row["lift"])))
        if len(peaks) == count:
            break
    return peaks


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


def _nice_steps(times: Sequence[object]) -> tuple[int, ...]:
    """Round tick spacings for the data's frequency: 6/12/24 for hourly, 7/14 for daily."""
    index = pd.Index(times)
    if not isinstance(index, pd.DatetimeIndex) or len(index) < 2:
        return _GENERIC_STEPS
    delta = pd.Series(index).diff().median()
    per_day = pd.Timedelta(days=1) / delta if delta > pd.Timedelta(0) else 0.0
    if per_day > 1 and float(per_day).is_integer():
        day = int(per_day)
        divisors = [k for k in range(1, day) if day % k == 0]
        return (*divisors, *(day * m for m in (1, 2, 3, 4, 7, 14, 28)))
    if per_day == 1:
        return (1, 2, 7, 14, 28, 56, 91, 182, 364)
    return _GENERIC_STEPS


def _time_ticks(
    ax: Axes,
    axis: str,
    labels: list[str],
    most: int,
    *,
    anchor_end: bool,
    nice: tuple[int, ...] = _GENERIC_STEPS,
) -> None:
    """Label every k-th tick, k a round number, counted from the origin so labels mark round lags.

    On the x axis (lookback) ticks count back from the origin (lags 0, k, 2k, ...); on the y
    axis (horizon) they count forward (steps 1, k, 2k, ...).
    """
    n = len(labels)
    every = next((k for k in nice if k * (most - 1) >= n), math.ceil(n / (most - 1)))
    if anchor_end:
        positions = sorted(range(n - 1, -1, -every))
    else:
        positions = sorted({0, *range(every - 1, n, every)})
        if len(positions) > 1 and positions[1] - positions[0] < every / 2:
            positions.pop(1)  # step 1 and step k too close to read both
    names = [labels[p] for p in positions]
    if axis == "x":
        ax.set_xticks(positions, names, rotation=45, ha="right", fontsize=8)
    else:
        ax.set_yticks(positions, names, fontsize=8)
