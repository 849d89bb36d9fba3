"""Attention summaries on synthetic tidy frames shaped like `Forecaster.interpret` output."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest

from tsattn.errors import InterpretationError
from tsattn.interpret import tables


@pytest.fixture
def temporal(make_temporal: Callable[..., pd.DataFrame]) -> pd.DataFrame:
    return make_temporal(lookback=24, horizon=6, origins=9, heads=2, series=("a", "b"))


def test_weights_sum_to_one_per_step_and_head(temporal: pd.DataFrame) -> None:
    sums = tables.weight_sums(temporal)
    assert len(sums) == 2 * 9 * 6 * 2
    np.testing.assert_allclose(sums.to_numpy(), 1.0, rtol=1e-6)


def test_window_matrix_reads_left_to_right_in_time(temporal: pd.DataFrame) -> None:
    origin = temporal["origin"].iloc[0]
    matrix, targets, sources = tables.window_matrix(temporal, "a", origin)
    assert matrix.shape == (6, 24)
    np.testing.assert_allclose(matrix.sum(axis=1), 1.0, rtol=1e-6)  # mean over heads keeps sums
    assert sources.is_monotonic_increasing and sources[-1] == origin
    assert targets.is_monotonic_increasing and targets[0] == origin + pd.Timedelta(hours=1)


def test_window_matrix_unknown_window_names_it(temporal: pd.DataFrame) -> None:
    with pytest.raises(InterpretationError, match="series='zzz'"):
        tables.window_matrix(temporal, "zzz", temporal["origin"].iloc[0])


def test_representative_windows_are_distinct_and_explained(temporal: pd.DataFrame) -> None:
    chosen = tables.representative_windows(temporal, count=4)
    assert 1 <= len(chosen) <= 4
    assert not chosen.duplicated(["series", "origin"]).any()
    assert chosen["reason"].iloc[0] == "most focused"
    assert chosen["entropy"].iloc[0] == chosen["entropy"].min()


@pytest.mark.parametrize("profile", [tables.lag_profile, tables.distance_profile])
def test_profiles_report_lift_over_uniform(
    temporal: pd.DataFrame, profile: Callable[[pd.DataFrame], pd.DataFrame]
) -> None:
    table = profile(temporal)
    assert {"mean_weight", "lift", "q10", "q50", "q90", "windows"} <= set(table.columns)
    np.testing.assert_allclose(table["lift"], table["mean_weight"] * 24)
    assert (table["q10"] <= table["q90"]).all()


@pytest.mark.parametrize("profile", [tables.lag_profile, tables.distance_profile])
def test_uniform_attention_has_lift_one_everywhere(
    temporal: pd.DataFrame, profile: Callable[[pd.DataFrame], pd.DataFrame]
) -> None:
    # Shares by distance would draw a triangle here; the lift must stay flat at 1.
    table = profile(temporal.assign(weight=1 / 24))
    np.testing.assert_allclose(table["lift"], 1.0)


def test_lag_profile_shares_sum_to_one_one_row_per_lag(temporal: pd.DataFrame) -> None:
    table = tables.lag_profile(temporal)
    assert table["lag"].tolist() == list(range(24))
    assert table["share"].sum() == pytest.approx(1.0)
    assert (table["windows"] == 18).all()


def test_distance_profile_finds_the_daily_season(
    make_temporal: Callable[..., pd.DataFrame],
) -> None:
    frame = make_temporal(lookback=48, horizon=6, origins=12)
    table = tables.distance_profile(frame)
    assert int(table.loc[table["lift"].idxmax(), "distance"]) % 24 == 0


def test_mean_map_is_step_by_lag(temporal: pd.DataFrame) -> None:
    grid = tables.mean_attention_map(temporal)
    assert grid.shape == (6, 24)
    assert grid.columns[-1] == 0  # origin rightmost
    np.testing.assert_allclose(grid.sum(axis=1), 1.0, rtol=1e-6)


def test_variable_importance_ranks_and_sums_to_one(
    make_input_attention: Callable[..., pd.DataFrame],
) -> None:
    table = tables.variable_importance(make_input_attention(lookback=16, variables=5))
    assert table["importance"].sum() == pytest.approx(1.0)
    assert table.iloc[0]["variable"] == "v0" and table.iloc[0]["rank"] == 1
    assert table["rank"].tolist() == [1, 2, 3, 4, 5]


def test_missing_columns_are_named(temporal: pd.DataFrame) -> None:
    with pytest.raises(InterpretationError, match=r"lacks columns \['lag', 'weight'\]"):
        tables.lag_profile(temporal.drop(columns=["lag", "weight"]))
    with pytest.raises(InterpretationError, match="empty"):
        tables.lag_profile(temporal.iloc[:0])


def test_lag_profile_by_target_profiles_each_target_on_its_own(
    make_temporal: Callable[..., pd.DataFrame],
) -> None:
    daily = make_temporal(lookback=48, horizon=6, origins=4, seed=1)
    recent = daily.assign(weight=np.where(daily["lag"] == 0, 1.0, 0.0))  # all on the origin
    table = tables.lag_profile_by_target({"OT": daily, "load": recent})
    assert table.columns[0] == "target" and table["target"].unique().tolist() == ["OT", "load"]
    for name, frame in (("OT", daily), ("load", recent)):
        own = table[table["target"] == name].drop(columns="target").reset_index(drop=True)
        pd.testing.assert_frame_equal(own, tables.lag_profile(frame))
    grid = tables.lift_by_target_grid(table)
    assert grid.index.tolist() == ["OT", "load"] and grid.columns[0] == 47  # oldest lag first
    assert grid.loc["load", 0] == pytest.approx(48.0) and grid.loc["load", 1] == 0.0
    with pytest.raises(InterpretationError, match="no per-target"):
        tables.lag_profile_by_target({})


@pytest.mark.parametrize("lookback", [24, 48, 96])
def test_uniform_attention_is_not_concentrated(
    lookback: int, frame_of: Callable[..., pd.DataFrame]
) -> None:
    stats = tables.concentration(frame_of(np.full((3, 4, lookback), 1 / lookback)))
    assert stats["entropy_ratio"] == pytest.approx(1.0)
    assert stats["top10_mass"] == pytest.approx(0.1)
    assert stats["top10_lift"] == pytest.approx(1.0)


def test_one_hot_attention_is_fully_concentrated(frame_of: Callable[..., pd.DataFrame]) -> None:
    weights = np.zeros((2, 3, 24))
    weights[:, :, 5] = 1.0
    stats = tables.concentration(frame_of(weights))
    assert stats["entropy_ratio"] == pytest.approx(0.0)
    assert stats["top10_mass"] == pytest.approx(1.0)
    assert stats["top10_lift"] == pytest.approx(10.0)


def test_concentration_is_the_mean_over_rows_in_any_row_order(
    frame_of: Callable[..., pd.DataFrame],
) -> None:
    weights = np.full((2, 2, 20), 1 / 20)
    weights[0, 0] = 0.0
    weights[0, 0, [3, 7]] = 0.5  # two timesteps = exactly the top tenth of 20
    frame = frame_of(weights).sample(frac=1.0, random_state=0)  # rows of one step scattered
    stats = tables.concentration(frame)
    two_hot_entropy = np.log(2) / np.log(20)
    assert stats["entropy_ratio"] == pytest.approx((two_hot_entropy + 3) / 4)
    assert stats["top10_mass"] == pytest.approx((1.0 + 3 * 0.1) / 4)


def test_concentration_names_a_ragged_table(frame_of: Callable[..., pd.DataFrame]) -> None:
    frame = frame_of(np.full((1, 2, 10), 0.1)).iloc[1:]
    with pytest.raises(InterpretationError, match="same number of source timesteps"):
        tables.concentration(frame)
