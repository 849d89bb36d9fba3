"""interpret(kind="contribution"): what each past value added to the forecast, in target units."""

from __future__ import annotations

import copy

import numpy as np
import pandas as pd
import pytest
from synthetic import panel_frame, wide_frame
from test_forecaster import TINY, split, tiny

from tsattn import Forecaster
from tsattn.interpret import (
    contribution_by_variable,
    contribution_profile,
    plot_contribution_profile,
    plot_variable_importance,
)


def _without_reads(fc: Forecaster) -> Forecaster:
    """A copy whose read terms' weights are zero: its forecasts are everything but the reads."""
    other = copy.deepcopy(fc)
    readout = other.network_.decoder.readout
    for linear in (readout.read_out, readout.plain_read_out):
        if linear is not None:
            linear.weight.data.zero_()
    return other


def test_contributions_add_up_to_the_reads_share_of_each_forecast_in_each_series_units() -> None:
    frame = panel_frame(n_series=3, n=80)  # levels 10, 20, 30: each series scaled on its own
    frame["load"] = frame["load"] * np.repeat([1.0, 5.0, 0.2], 80)
    fc = Forecaster(target="y", time_col="time", id_col="id", past_covariates=["load"],
                    **TINY).fit(frame)
    contributions = fc.interpret(frame, kind="contribution")
    assert list(contributions.columns) == ["id", "origin", "step", "target_time", "target",
                                           "source_time", "lag", "distance", "variable",
                                           "contribution"]
    assert set(contributions["variable"]) == {"y", "load"} and set(contributions["target"]) == {"y"}
    assert (contributions["source_time"] <= contributions["origin"]).all()
    forecast = fc.predict(frame).set_index(["id", "time"])["y"]
    rest = _without_reads(fc).predict(frame).set_index(["id", "time"])["y"]
    summed = contributions.groupby(["id", "target_time"])["contribution"].sum()
    summed.index.names = ["id", "time"]
    np.testing.assert_allclose(summed.loc[forecast.index], forecast - rest, rtol=1e-3, atol=1e-4)
    assert (forecast - rest).abs().max() > 1e-3  # the reads do move these forecasts


def test_each_target_of_a_channel_independent_model_reads_only_its_own_history() -> None:
    train, val = split(wide_frame(160), 120)
    fc = tiny(target=["y", "x"], channel_independent=True).fit(train, val_df=val)
    both = fc.interpret(val, kind="contribution", origins="all", stride=5)
    own = both.pivot_table(index="target", columns="variable", values="contribution",
                           aggfunc=lambda s: float(np.abs(s).sum()))
    assert own.loc["y", "x"] == 0 and own.loc["x", "y"] == 0
    assert own.loc["y", "y"] > 0 and own.loc["x", "x"] > 0
    only_x = fc.interpret(val, kind="contribution", origins="all", stride=5, target="x")
    pd.testing.assert_frame_equal(only_x.reset_index(drop=True),
                                  both[both["target"] == "x"].reset_index(drop=True))
    with pytest.raises(ValueError, match="kind must be 'temporal', 'input' or 'contribution'"):
        fc.interpret(val, kind="contributions")  # type: ignore[arg-type]


def test_a_model_without_attention_says_it_has_no_contributions() -> None:
    train, val = split(wide_frame(160), 120)
    fc = tiny(attention="none").fit(train)
    with pytest.raises(ValueError, match="attention='none'.*no contributions"):
        fc.interpret(val, kind="contribution")


def _frame(rows: list[tuple[int, int, str, float]]) -> pd.DataFrame:
    """(origin, distance, variable, contribution) rows of one series, step and target."""
    origin, distance, variable, value = zip(*rows, strict=True)
    return pd.DataFrame({"series": "s", "origin": origin, "step": 1, "target": "y",
                         "source_time": 0, "lag": np.asarray(distance) - 1,
                         "distance": distance, "variable": variable, "contribution": value})


def test_variable_ranking_counts_size_in_either_direction_and_reports_the_net() -> None:
    frame = _frame([
        (0, 1, "a", 3.0), (0, 2, "a", -3.0),  # moves the forecast both ways: 6 in size, 0 net
        (0, 1, "b", 1.0), (0, 2, "b", 1.0),  # 2 in size, all positive
        (1, 1, "a", 1.0), (1, 2, "a", 1.0), (1, 1, "b", 0.0), (1, 2, "b", 2.0),
    ])
    table = contribution_by_variable(frame).set_index("variable")
    assert table.loc["a", "mean_abs"] == pytest.approx(4.0)  # windows: 6 and 2
    assert table.loc["b", "mean_abs"] == pytest.approx(2.0)
    assert table.loc["a", "importance"] == pytest.approx(4 / 6)
    assert table.loc["a", "net"] == pytest.approx(1.0) and table.loc["b", "net"] == pytest.approx(2)
    assert table["rank"].tolist() == [1, 2] and table.index.tolist() == ["a", "b"]
    # window shares: a 6/8 and 2/4
    assert table.loc["a", "q10"] == pytest.approx(0.5 + 0.1 * 0.25)
    figure = plot_variable_importance(table.reset_index(), source="contribution")
    assert "moved the forecasts" in figure.axes[0].get_title(loc="left")


def test_the_profile_peaks_where_a_variable_acts() -> None:
    frame = _frame([(0, 1, "a", 0.1), (0, 5, "a", -2.0), (1, 1, "a", 0.3), (1, 5, "a", 1.0)])
    profile = contribution_profile(frame).set_index(["variable", "distance"])
    assert profile.loc[("a", 5), "mean_abs"] == pytest.approx(1.5)
    assert profile.loc[("a", 5), "mean"] == pytest.approx(-0.5)
    assert profile.loc[("a", 1), "mean_abs"] == pytest.approx(0.2)
    with pytest.raises(Exception, match="by must be 'distance' or 'lag'"):
        contribution_profile(frame, by="step")
    small = _frame([(0, 1, "b", 0.2), (0, 5, "b", 0.1)])
    figure = plot_contribution_profile(contribution_profile(pd.concat([frame, small])), count=1)
    (ax,) = figure.axes
    assert [line.get_label() for line in ax.get_lines()] == ["a"]  # the larger one only
    assert "top 1 of 2 variables" in ax.get_title(loc="left")
