"""Attention plots that stay readable at lookback and horizon of 96 and more, and stay honest.

Heatmaps show lift over uniform (weight x L) on one shared `LiftScale`, so a colour means the
same lift in every window of a run and near-uniform attention stays pale (STYLE habit 17).
Figures are built with `matplotlib.figure.Figure` rather than pyplot: no global backend switch
(a notebook's inline backend is left alone), nothing rendered on screen, and no figure registry
that leaks memory across a long tuning study. Saving uses the Agg canvas, so it works headless.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.image import AxesImage

from tsattn.interpret.labels import (
    GENERIC_STEPS,
    READING_GUIDE,
    nice_steps,
    series_label,
    stamp,
    tick_positions,
    time_labels,
)
from tsattn.interpret.scale import LiftScale, frame_lift_scale, lift_scale, tick_label
from tsattn.interpret.tables import check_temporal_frame, id_column, window_matrix

__all__ = [
    "plot_contribution_profile",
    "plot_lag_profile",
    "plot_lift_by_target",
    "plot_mean_map",
    "plot_variable_importance",
    "plot_window_heatmap",
    "plot_windows",
]

_MAX_XTICKS = 12
_MAX_YTICKS = 16
_MAX_BARS = 40


def plot_window_heatmap(
    matrix: np.ndarray,
    target_times: Sequence[object],
    source_times: Sequence[object],
    *,
    title: str,
    scale: LiftScale | None = None,
    history: Sequence[float] | None = None,
    history_label: str = "target",
) -> Figure:
    """Heatmap of one window's weights (H, L): forecast target time (rows) x source time.

    Colour is lift over uniform on `scale`; pass the same scale to every window of a set (see
    `plot_windows`), else one is fitted to this window alone. `history`, when given, is the
    target over the same past timesteps, drawn above on a shared x axis so a red column can be
    read against what the series did there.
    """
    steps, lookback = matrix.shape
    lift = np.asarray(matrix, dtype=float) * lookback
    scale = scale or lift_scale(lift)
    fig, ax, first = _figure(lookback, steps, history is not None)
    if history is not None:
        first.plot(np.arange(lookback), np.asarray(history, dtype=float), lw=1.2, color="0.2")
        first.set_ylabel(history_label)
        first.grid(alpha=0.3)
    _titles(fig, first, title)
    image = _lift_image(ax, lift, scale)
    nice = nice_steps(source_times)
    _time_ticks(ax, "x", time_labels(source_times), _MAX_XTICKS, anchor_end=True, nice=nice)
    step_labels = [f"{t}  (+{i + 1})" for i, t in enumerate(time_labels(target_times))]
    _time_ticks(ax, "y", step_labels, _MAX_YTICKS, anchor_end=False, nice=nice)
    ax.set_xlabel("source time: past timestep attended (the origin is rightmost)")
    ax.set_ylabel("forecast target time (step)")
    _lift_colorbar(fig, [first, ax] if first is not ax else ax, image, lift, scale, lookback)
    return fig


def plot_windows(
    frame: pd.DataFrame,
    windows: pd.DataFrame,
    *,
    scale: LiftScale | None = None,
    id_col: str | None = None,
    target: str | None = None,
    history: pd.DataFrame | None = None,
) -> list[Figure]:
    """One heatmap per row of `windows` (columns series, origin, optional reason), one scale.

    The scale defaults to `frame_lift_scale(frame)`, wide enough for every window in `frame`.
    `history`, a long frame (series, time, value), draws the target above each heatmap.
    Titles name the series by its real id (`id_col=value`, `id_col` read off the frame's id
    column when not given), or `target` for a wide frame.
    """
    named = id_column(frame)
    id_col = id_col or named
    if named is not None and named in windows.columns:
        windows = windows.rename(columns={named: "series"})
    frame = check_temporal_frame(frame)
    scale = scale or frame_lift_scale(frame)
    figures = []
    for row in windows.to_dict("records"):
        matrix, target_times, source_times = window_matrix(frame, row["series"], row["origin"])
        reason = f", {row['reason']}" if row.get("reason") else ""
        who = series_label(row["series"], id_col=id_col, target=target)
        figures.append(
            plot_window_heatmap(
                matrix,
                target_times,
                source_times,
                title=f"{who}: forecast from origin {stamp(row['origin'])}{reason}",
                scale=scale,
                history=_history_values(history, row["series"], source_times),
                history_label=target or "target",
            )
        )
    return figures


def _history_values(
    history: pd.DataFrame | None, series: object, times: Sequence[object]
) -> list[float] | None:
    """The values of `history` (series, time, value) for one series at `times`, if any."""
    if history is None:
        return None
    rows = history[history["series"] == series]
    if rows.empty:
        return None
    values = rows.drop_duplicates("time").set_index("time")["value"]
    aligned = values.reindex(pd.Index(times))
    return None if aligned.isna().all() else aligned.tolist()


def plot_mean_map(
    grid: pd.DataFrame,
    *,
    title: str = "Mean temporal attention over all windows",
    scale: LiftScale | None = None,
) -> Figure:
    """Mean weights (`mean_attention_map`): step (rows) x lag (columns, oldest left), as lift.

    Pass the scale of the run's window heatmaps so the mean reads against them.
    """
    lift = grid * grid.shape[1]
    return _lag_map(lift, [f"+{s}" for s in grid.index], "forecast step", title, scale,
                    READING_GUIDE)


def plot_lift_by_target(grid: pd.DataFrame, *, scale: LiftScale | None = None) -> Figure:
    """Attention lift by lag per target (rows) of a channel-independent model, oldest lag left:
    where each target's own attention looks, side by side."""
    guide = READING_GUIDE.replace("forecast step", "target (all its steps)")
    return _lag_map(grid, [str(t) for t in grid.index], "target",
                    "Temporal attention by lag, per target", scale, guide)


def _lag_map(lift: pd.DataFrame, row_labels: list[str], row_title: str, title: str,
             scale: LiftScale | None, guide: str) -> Figure:
    """A rows x lag image of lifts with legible ticks and the lift colour bar."""
    rows, lookback = lift.shape
    values = lift.to_numpy(dtype=float)
    scale = scale or lift_scale(values)
    fig, ax, _ = _figure(lookback, rows, False)
    image = _lift_image(ax, values, scale)
    _time_ticks(ax, "x", [str(c) for c in lift.columns], _MAX_XTICKS, anchor_end=True)
    _time_ticks(ax, "y", row_labels, _MAX_YTICKS, anchor_end=False)
    ax.set_xlabel("lag (steps before the forecast origin; 0 = origin)")
    ax.set_ylabel(row_title)
    _titles(fig, ax, title, guide)
    _lift_colorbar(fig, ax, image, values, scale, lookback)
    return fig


def _figure(lookback: int, rows: int, history: bool) -> tuple[Figure, Axes, Axes]:
    """A figure sized to the grid; returns (figure, heatmap axes, topmost axes)."""
    width = min(max(8.0, 4.5 + 0.06 * lookback), 14.0)
    height = min(max(4.5, 3.0 + 0.05 * rows), 10.0) + (1.8 if history else 0.0)
    fig = Figure(figsize=(width, height), layout="constrained")
    if history:
        top, ax = fig.subplots(2, 1, sharex=True, height_ratios=[1, 4])
        return fig, ax, top
    ax = fig.subplots()
    return fig, ax, ax


def _titles(fig: Figure, top: Axes, title: str, guide: str = READING_GUIDE) -> None:
    """The title, and under it the one-line reading guide."""
    fig.suptitle(title, x=0.01, ha="left", fontsize=11)
    top.set_title(guide, loc="left", fontsize=8, color="0.3")


def _lift_image(ax: Axes, lift: np.ndarray, scale: LiftScale) -> AxesImage:
    return ax.imshow(scale.clip(lift), aspect="auto", interpolation="nearest", norm=scale.norm,
                     cmap=scale.cmap)


def _lift_colorbar(fig: Figure, ax: Axes | list[Axes], image: AxesImage, lift: np.ndarray,
                   scale: LiftScale, lookback: int) -> None:
    """The shared scale's bar: round ratios, uniform (1) drawn and named, clipping shown.

    An arrow at an end says some lifts lie beyond it (drawn in the end colour), so a clipped
    0.001 is not read as exactly 1/limit.
    """
    low = bool(np.nanmin(lift) < 1.0 / scale.limit)
    high = bool(np.nanmax(lift) > scale.limit)
    extend = {(True, True): "both", (True, False): "min", (False, True): "max"}.get(
        (low, high), "neither"
    )
    bar = fig.colorbar(image, ax=ax, shrink=0.9, extend=extend)
    ticks = scale.ticks()
    bar.set_ticks(ticks, labels=["1 = uniform" if t == 1 else tick_label(t) for t in ticks])
    bar.ax.minorticks_off()
    bar.ax.axhline(1.0, color="0.1", lw=1.5)
    bar.set_label(
        f"lift over uniform 1/L (log scale)\n= weight x L; L = {lookback}, 1/L = {1 / lookback:.3g}"
    )


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


def plot_contribution_profile(profile: pd.DataFrame, *, freq: str | None = None,
                              count: int = 6) -> Figure:
    """Each variable's mean absolute contribution by distance (`contribution_profile`), for the
    `count` variables that moved the forecasts most: where a variable's values act, in the
    target's units, so a driver at lag 8 reads as one peak at 8 whatever the heads did."""
    sizes = profile.groupby("variable")["mean_abs"].sum().sort_values(ascending=False)
    fig = Figure(figsize=(11, 4.2), layout="constrained")
    ax = fig.subplots()
    for variable in sizes.index[:count]:
        line = profile[profile["variable"] == variable]
        ax.step(line["distance"], line["mean_abs"], where="mid", lw=1.4, label=str(variable))
    unit = f" (1 step = {freq})" if freq else ""
    ax.set_xlabel("distance: steps before the predicted time" + unit)
    ax.set_ylabel("mean |contribution| (target units)")
    hidden = len(sizes) - min(count, len(sizes))
    suffix = f" (top {count} of {len(sizes)} variables)" if hidden else ""
    ax.set_title(f"Where each variable's values moved the forecasts{suffix}", loc="left")
    ax.set_ylim(bottom=0)
    ax.grid(alpha=0.3)
    ax.legend(loc="upper right", fontsize=8)
    return fig


_IMPORTANCE_LABELS = {
    "input": ("mean input-attention weight", "Input-attention variable importance"),
    "contribution": ("the reads' absolute contributions to the forecasts",
                     "Which variables' values moved the forecasts (read contributions)"),
}


def plot_variable_importance(table: pd.DataFrame, *,
                             source: Literal["input", "contribution"] = "input") -> Figure:
    """Horizontal bars of variable importance, most important on top, 10-90% whiskers: from
    `variable_importance` (input attention) or, with source="contribution",
    `contribution_by_variable`."""
    measure, heading = _IMPORTANCE_LABELS[source]
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
    ax.set_xlabel(f"{measure} (share; whiskers: 10-90% of windows)")
    hidden = len(table) - len(shown)
    suffix = f" (top {len(shown)} of {len(table)})" if hidden else ""
    ax.set_title(f"{heading}{suffix}", loc="left")
    ax.grid(axis="x", alpha=0.3)
    return fig


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


def _time_ticks(
    ax: Axes,
    axis: str,
    labels: list[str],
    most: int,
    *,
    anchor_end: bool,
    nice: tuple[int, ...] = GENERIC_STEPS,
) -> None:
    """Label a legible subset of ticks (see `tick_positions`)."""
    positions = tick_positions(len(labels), most, anchor_end=anchor_end, nice=nice)
    names = [labels[p] for p in positions]
    if axis == "x":
        ax.set_xticks(positions, names, rotation=45, ha="right", fontsize=8)
    else:
        ax.set_yticks(positions, names, fontsize=8)
