"""Heatmaps say no more than the numbers: one lift scale, white at uniform, named series."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure
from matplotlib.image import AxesImage

from tsattn.interpret import (
    READING_GUIDE,
    frame_lift_scale,
    mean_attention_map,
    plot_mean_map,
    plot_window_heatmap,
    plot_windows,
    window_matrix,
)

WHITE = (1.0, 1.0, 1.0, 1.0)


def _image(figure: Figure) -> AxesImage:
    (image,) = [im for ax in figure.axes for im in ax.images if ax.get_label() != "<colorbar>"]
    return image


def _colours(figure: Figure) -> np.ndarray:
    image = _image(figure)
    return image.to_rgba(image.get_array())  # -> (H, L, 4) in [0, 1]


def _bar(figure: Figure):  # the colour bar's axes
    (bar,) = [ax for ax in figure.axes if ax.get_label() == "<colorbar>"]
    return bar


def _mixed(frame_of: Callable[..., pd.DataFrame]) -> pd.DataFrame:
    """Three windows of L=24: uniform, near-uniform (lift 0.9-1.1), all on the origin."""
    lookback, steps = 24, 4
    uniform = np.full((steps, lookback), 1 / lookback)
    near = np.tile(np.linspace(0.9, 1.1, lookback) / lookback, (steps, 1))
    near /= near.sum(axis=1, keepdims=True)
    sharp = np.full((steps, lookback), 0.1 / (lookback - 1))
    sharp[:, -1] = 0.9
    return frame_of(np.stack([uniform, near, sharp]))


def test_every_window_and_the_mean_map_share_one_scale(
    frame_of: Callable[..., pd.DataFrame],
) -> None:
    frame = _mixed(frame_of)
    windows = frame[["series", "origin"]].drop_duplicates()
    scale = frame_lift_scale(frame)
    figures = plot_windows(frame, windows, scale=scale)
    figures.append(plot_mean_map(mean_attention_map(frame), scale=scale))
    norms = [_image(f).norm for f in figures]
    assert all(norm is scale.norm for norm in norms)
    assert {(n.vmin, n.vmax) for n in norms} == {(1 / 32, 32)}  # lift 0.9 x 24 = 21.6 -> 32
    bar_ticks = {tuple(_bar(f).get_yticks()) for f in figures}
    assert len(bar_ticks) == 1
    # without an explicit scale, plot_windows fits one to the whole frame, not to each window
    own = [_image(f).norm for f in plot_windows(frame, windows)]
    assert own[0] is own[1] is own[2]


def test_uniform_attention_is_white_and_near_uniform_stays_pale(
    frame_of: Callable[..., pd.DataFrame],
) -> None:
    frame = _mixed(frame_of)
    uniform, near, sharp = plot_windows(frame, frame[["series", "origin"]].drop_duplicates())
    np.testing.assert_allclose(_colours(uniform), np.broadcast_to(WHITE, (4, 24, 4)))
    assert (_colours(near)[..., :3] > 0.9).all()  # a +-10 % contrast is not drawn as a focus
    matrix, targets, sources = window_matrix(frame, "s0", frame["origin"].unique()[1])
    alone = plot_window_heatmap(matrix, targets, sources, title="t")  # its own, narrowest scale
    assert (_image(alone).norm.vmin, _image(alone).norm.vmax) == (0.5, 2.0)
    assert (_colours(alone)[..., :3] > 0.8).all()  # not stretched to its own 0.9-1.1 range
    sharp_colours = _colours(sharp)
    assert (sharp_colours[:, -1, 1] < 0.5).all()  # the origin column is a strong red
    assert (sharp_colours[:, -1, 0] > sharp_colours[:, -1, 2]).all()
    assert (sharp_colours[:, 0, 2] > sharp_colours[:, 0, 0]).all()  # less than uniform: blue


def test_colour_bar_names_lift_and_marks_uniform(frame_of: Callable[..., pd.DataFrame]) -> None:
    frame = _mixed(frame_of)
    matrix, targets, sources = window_matrix(frame, "s0", frame["origin"].iloc[-1])
    bar = _bar(plot_window_heatmap(matrix, targets, sources, title="t"))
    assert bar.get_ylabel().startswith("lift over uniform 1/L")
    assert "1/L = 0.0417" in bar.get_ylabel()
    labels = {t.get_text(): y for t, y in zip(bar.get_yticklabels(), bar.get_yticks())}
    assert labels["1 = uniform"] == 1.0 and "1/4" in labels and "4" in labels
    assert any(np.allclose(line.get_ydata(), 1.0) for line in bar.get_lines())  # uniform drawn


def test_titles_name_the_series_by_its_id_and_carry_the_reading_guide(
    frame_of: Callable[..., pd.DataFrame],
) -> None:
    weights = np.full((1, 3, 12), 1 / 12)
    panel = pd.concat([frame_of(weights, series="plant-7"), frame_of(weights, series="plant-9")])
    windows = panel[["series", "origin"]].drop_duplicates().assign(reason="typical")
    figures = plot_windows(panel, windows, id_col="site", target="load")
    titles = [f.get_suptitle() for f in figures]
    assert titles[0] == "load, site=plant-7: forecast from origin 2024-01-01 12:00, typical"
    assert "site=plant-9" in titles[1]
    assert all(READING_GUIDE in [ax.get_title("left") for ax in f.axes] for f in figures)
    wide = frame_of(weights, series="series")  # no id column: the placeholder id is not shown
    (figure,) = plot_windows(wide, wide[["series", "origin"]].drop_duplicates(), target="y")
    assert figure.get_suptitle().startswith("y: forecast from origin")


def test_heatmap_axes_carry_real_timestamps(make_temporal: Callable[..., pd.DataFrame]) -> None:
    temporal = make_temporal(lookback=96, horizon=96, origins=1)
    origin = temporal["origin"].iloc[0]
    matrix, targets, sources = window_matrix(temporal, "a", origin)
    figure = plot_window_heatmap(matrix, targets, sources, title="t")
    axis = figure.axes[0]
    x_labels = [t.get_text() for t in axis.get_xticklabels()]
    y_labels = [t.get_text() for t in axis.get_yticklabels()]
    assert x_labels[-1] == origin.strftime("%m-%d %H:%M")  # the origin is labelled
    assert 6 <= len(x_labels) <= 12 and 6 <= len(y_labels) <= 16  # legible, not 96 labels
    assert y_labels[0].startswith((origin + pd.Timedelta(hours=1)).strftime("%m-%d %H:%M"))
    assert "source time" in axis.get_xlabel() and "target time" in axis.get_ylabel()
    # Hourly data gets round spacing: 12 steps between labels, counted back from the origin.
    positions = axis.get_xticks()
    assert set(np.diff(positions)) == {12}


@pytest.mark.parametrize("history", [False, True])
def test_heatmap_with_history_keeps_one_image_and_one_bar(
    make_temporal: Callable[..., pd.DataFrame], history: bool
) -> None:
    temporal = make_temporal(lookback=24, horizon=6, origins=1)
    matrix, targets, sources = window_matrix(temporal, "a", temporal["origin"].iloc[0])
    values = np.sin(np.arange(24)) if history else None
    figure = plot_window_heatmap(matrix, targets, sources, title="t", history=values)
    assert _image(figure).get_array().shape == (6, 24)
    assert _bar(figure).get_ylabel().startswith("lift over uniform")
