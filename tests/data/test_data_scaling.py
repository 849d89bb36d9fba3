"""PanelScaler: train-only statistics, no leakage, round trips, ids not positions, JSON state."""

from __future__ import annotations

import json
from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest

from tsattn.data import Panel, PanelScaler, build_panel, validate_frame
from tsattn.errors import DataValidationError, NotFittedError

TRAIN = 20
COLUMNS = ["y", "p", "f"]


def _panel(df: pd.DataFrame, **options: object) -> Panel:
    validated = validate_frame(
        df,
        target=["y"],
        time_col="time",
        id_col="id",
        past_covariates=["p"],
        future_covariates=["f"],
        **options,  # type: ignore[arg-type]
    )
    return build_panel(validated, ["hour"])


@pytest.fixture
def noisy(make_frame: Callable[..., pd.DataFrame]) -> pd.DataFrame:
    """Series 'a' (40 rows) and 'b' (30 rows) with different levels and spreads."""
    df = make_frame({"a": 40, "b": 30})
    rng = np.random.default_rng(0)
    level = np.where(df["id"] == "a", 50.0, -3.0)
    for col, spread in zip(COLUMNS, (5.0, 0.5, 2.0), strict=True):
        df[col] = (level + spread * rng.standard_normal(len(df))).astype(np.float32)
    return df


def _by_hand(df: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Mean and population std of the first TRAIN rows of each series, with pandas."""
    head = df.groupby("id").head(TRAIN).astype({c: np.float64 for c in COLUMNS})
    grouped = head.groupby("id")[COLUMNS]
    return grouped.mean().to_numpy(), grouped.std(ddof=0).to_numpy()


def test_statistics_equal_the_train_slice_by_hand(noisy: pd.DataFrame) -> None:
    mean, std = _by_hand(noisy)
    scaler = PanelScaler().fit(_panel(noisy), train_rows=TRAIN)
    np.testing.assert_allclose(scaler.mean_, mean, rtol=1e-6)
    np.testing.assert_allclose(scaler.std_, std, rtol=1e-6)
    train_only = PanelScaler().fit(_panel(noisy.groupby("id").head(TRAIN)))
    np.testing.assert_allclose(train_only.mean_, scaler.mean_)
    np.testing.assert_allclose(train_only.scale_, scaler.scale_)


def test_values_after_the_cutoff_do_not_change_the_statistics(noisy: pd.DataFrame) -> None:
    before = PanelScaler().fit(_panel(noisy), train_rows=TRAIN)
    later = noisy.groupby("id").cumcount() >= TRAIN
    changed = noisy.copy()
    changed.loc[later, COLUMNS] = changed.loc[later, COLUMNS] * 1000 + 7
    after = PanelScaler().fit(_panel(changed), train_rows=TRAIN)
    np.testing.assert_array_equal(after.mean_, before.mean_)
    np.testing.assert_array_equal(after.scale_, before.scale_)


def test_transform_is_the_z_score_and_inverse_round_trips(noisy: pd.DataFrame) -> None:
    panel = _panel(noisy)
    scaler = PanelScaler().fit(panel, train_rows=TRAIN)
    scaled = scaler.transform(panel)
    assert scaled.values is not panel.values and scaled.values.dtype == np.float32
    mean, std = _by_hand(noisy)
    rows = panel.row_series()
    np.testing.assert_allclose(
        scaled.values[:, :3], (panel.values[:, :3] - mean[rows]) / std[rows], rtol=1e-4, atol=1e-5
    )
    np.testing.assert_array_equal(scaled.values[:, 3:], panel.values[:, 3:])  # calendar untouched
    restored = scaler.inverse_targets(scaled.values[:, :1], rows, panel=panel)
    np.testing.assert_allclose(restored, panel.values[:, :1], rtol=1e-5, atol=1e-4)


def test_inverse_broadcasts_over_horizon_axes(noisy: pd.DataFrame) -> None:
    panel = _panel(noisy)
    scaler = PanelScaler().fit(panel)
    y = np.zeros((2, 4, 1), dtype=np.float32)  # (B, H, C): zeros map back to each series' mean
    out = scaler.inverse_targets(y, np.array([1, 0]))
    assert out.shape == (2, 4, 1) and out.dtype == np.float32
    np.testing.assert_allclose(
        out[:, :, 0], np.repeat(scaler.mean_[[1, 0], :1], 4, axis=1), rtol=1e-6
    )


def test_constant_column_kept_scales_by_one_and_stays_finite(noisy: pd.DataFrame) -> None:
    df = noisy.copy()
    df.loc[df["id"] == "b", "f"] = 4.0
    panel = _panel(df, constant_columns="keep")
    scaler = PanelScaler().fit(panel, train_rows=TRAIN)
    assert scaler.scale_[1, 2] == 1.0
    scaled = scaler.transform(panel)
    assert np.isfinite(scaled.values).all()
    np.testing.assert_array_equal(scaled.values[panel.offsets[1] :, 2], 0.0)


def test_statistics_follow_series_ids_not_positions(noisy: pd.DataFrame) -> None:
    full = _panel(noisy)
    scaler = PanelScaler().fit(full, train_rows=TRAIN)
    only_b = _panel(noisy[noisy["id"] == "b"])
    np.testing.assert_array_equal(
        scaler.transform(only_b).values, scaler.transform(full).values[full.offsets[1] :]
    )
    restored = scaler.inverse_targets(np.zeros((1, 1)), np.array([0]), panel=only_b)
    np.testing.assert_allclose(restored, scaler.mean_[1:2, :1])


def test_unseen_series_raises_naming_it(
    noisy: pd.DataFrame, make_frame: Callable[..., pd.DataFrame]
) -> None:
    scaler = PanelScaler().fit(_panel(noisy))
    other = make_frame({"a": 10, "c": 10})
    with pytest.raises(DataValidationError, match="series 'c' was not in the training data"):
        scaler.transform(_panel(other))


@pytest.mark.parametrize("own_rows", [5, 12])
def test_an_unseen_series_is_scaled_by_its_own_first_rows_and_unscaled_alike(
    noisy: pd.DataFrame, make_frame: Callable[..., pd.DataFrame], own_rows: int
) -> None:
    scaler = PanelScaler().fit(_panel(noisy), unscaled=["f"])  # f as a category code column
    other = make_frame({"a": 10, "c": 20})
    other.loc[other["id"] == "c", "y"] = 7.0 + 3.0 * np.sin(np.arange(20))
    panel = _panel(other)
    scaled = scaler.transform(panel, new_series_rows=own_rows)
    c = slice(panel.offsets[1], panel.offsets[2])
    head = panel.values[c][:own_rows].astype(np.float64)
    expected = (panel.values[c, :2] - head[:, :2].mean(0)) / head[:, :2].std(0)
    np.testing.assert_allclose(scaled.values[c, :2], expected, rtol=1e-5, atol=1e-5)
    np.testing.assert_array_equal(scaled.values[c, 2], panel.values[c, 2])  # f stays as given
    seen = scaler.transform(_panel(other[other["id"] == "a"]))  # 'a' keeps its fitted statistics
    np.testing.assert_array_equal(scaled.values[: panel.offsets[1]], seen.values)
    rows = panel.row_series()
    restored = scaler.inverse_targets(scaled.values[:, :1], rows, panel=scaled)
    np.testing.assert_allclose(restored, panel.values[:, :1], rtol=1e-5, atol=1e-4)
    with pytest.raises(DataValidationError, match="series 'c' was not in the training data"):
        scaler.transform(panel)  # only when asked for


def test_the_unscaled_columns_survive_json_and_older_states(noisy: pd.DataFrame) -> None:
    scaler = PanelScaler().fit(_panel(noisy), unscaled=["f"])
    state = json.loads(json.dumps(scaler.state_dict()))
    assert PanelScaler.from_state_dict(state).unscaled_ == ["f"]
    del state["unscaled"]  # saved before it was kept: read off the identity statistics
    assert PanelScaler.from_state_dict(state).unscaled_ == ["f"]


def test_state_dict_survives_json(noisy: pd.DataFrame) -> None:
    panel = _panel(noisy)
    scaler = PanelScaler().fit(panel, train_rows=TRAIN)
    restored = PanelScaler.from_state_dict(json.loads(json.dumps(scaler.state_dict())))
    np.testing.assert_array_equal(restored.transform(panel).values, scaler.transform(panel).values)
    assert restored.columns_ == COLUMNS


def test_none_is_the_identity(noisy: pd.DataFrame) -> None:
    panel = _panel(noisy)
    scaler = PanelScaler("none").fit(panel)
    assert scaler.transform(panel) is panel
    y = np.arange(6, dtype=np.float32).reshape(2, 3, 1)
    np.testing.assert_array_equal(scaler.inverse_targets(y, np.array([0, 1])), y)


def test_misuse_raises(noisy: pd.DataFrame) -> None:
    panel = _panel(noisy)
    with pytest.raises(NotFittedError, match="not fitted yet"):
        PanelScaler().transform(panel)
    with pytest.raises(DataValidationError, match="but got 'minmax'"):
        PanelScaler("minmax").fit(panel)  # type: ignore[arg-type]
    with pytest.raises(DataValidationError, match="series 'b' has 30 rows but train_rows=35"):
        PanelScaler().fit(panel, train_rows=np.array([35, 35]))
