"""The deletion test: its neutral value (linear interpolation between a window's kept
timesteps), and which attention and which forecast it scores for each target."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tsattn import Forecaster
from tsattn.interpret import deletion_test, interpolate_over


def test_deleted_timesteps_are_interpolated_between_kept_neighbours() -> None:
    past = np.array([[[0.0, 10.0], [5.0, 5.0], [2.0, 0.0], [9.0, 7.0], [4.0, 6.0]]])  # (1, 5, 2)
    deleted = np.array([[False, True, True, False, False]])
    out = interpolate_over(past, deleted)
    np.testing.assert_allclose(out[0, :, 0], [0.0, 3.0, 6.0, 9.0, 4.0])  # 0 -> 9 over 3 steps
    np.testing.assert_allclose(out[0, :, 1], [10.0, 9.0, 8.0, 7.0, 6.0])
    np.testing.assert_array_equal(past[0, 1], [5.0, 5.0])  # the input is not modified


def test_a_deleted_run_at_either_end_takes_the_nearest_kept_value() -> None:
    past = np.arange(12.0).reshape(2, 6, 1)
    deleted = np.zeros((2, 6), dtype=bool)
    deleted[0, :2] = True  # the oldest two of window 0
    deleted[1, -3:] = True  # the newest three of window 1
    out = interpolate_over(past, deleted)
    np.testing.assert_allclose(out[0, :, 0], [2.0, 2.0, 2.0, 3.0, 4.0, 5.0])
    np.testing.assert_allclose(out[1, :, 0], [6.0, 7.0, 8.0, 8.0, 8.0, 8.0])


def test_category_codes_take_the_nearest_kept_code_never_one_between() -> None:
    # codes 1 and 3 around a deleted run: interpolation would invent category 2
    past = np.array([[[0.0, 1.0], [5.0, 1.0], [2.0, 1.0], [9.0, 3.0], [4.0, 3.0]]])
    deleted = np.array([[False, True, True, False, False]])
    out = interpolate_over(past, deleted, categorical=(1,))
    np.testing.assert_array_equal(out[0, :, 1], [1.0, 1.0, 3.0, 3.0, 3.0])  # step 1 nearer 0
    np.testing.assert_allclose(out[0, :, 0], [0.0, 3.0, 6.0, 9.0, 4.0])  # numeric: as before


def _forecast_after_deleting(fc: Forecaster, window: pd.DataFrame, deleted: np.ndarray,
                             targets: list[str]) -> np.ndarray:
    """`fc`'s forecast (H, C) from one raw lookback window with the `deleted` rows interpolated
    over: the scaling is affine, so interpolating raw values is what the test does scaled."""
    values = window[targets].to_numpy()[None]
    filled = window.copy()
    filled[targets] = interpolate_over(values, deleted[None])[0]
    return fc.predict(filled)[targets].to_numpy()


def _seasonal_and_ar1_targets(n: int) -> pd.DataFrame:
    """Two targets with different dynamics, so a shared channel-independent network attends
    differently to each: `y` repeats every 6 steps, `x` is an AR(1) (phi = 0.9) that leans on its
    latest values. Two copies of one signal (`wide_frame`) attend alike, and the test could not
    tell per-target attention from the targets' mean."""
    rng = np.random.default_rng(0)
    x = np.zeros(n)
    for i in range(1, n):
        x[i] = 0.9 * x[i - 1] + rng.standard_normal()
    y = np.sin(2 * np.pi * np.arange(n) / 6) + 0.1 * rng.standard_normal(n)
    return pd.DataFrame({"date": pd.date_range("2024-01-01", periods=n, freq="h"), "y": y, "x": x})


def test_each_target_of_a_channel_independent_model_is_deleted_on_its_own_attention() -> None:
    """Recompute the top-k change through the public API alone: per target, its own
    `interpret(target=...)` picks the timesteps and only its own forecast is scored. The
    targets' mean attention, which the test used before, gives another figure."""
    targets, lookback, horizon, k = ["y", "x"], 12, 4, 3
    frame = _seasonal_and_ar1_targets(160)
    train, test = frame.iloc[:120], frame.iloc[120 - lookback :]
    fc = Forecaster(target=targets, time_col="date", lookback=lookback, horizon=horizon,
                    hidden_size=8, max_epochs=10, batch_size=32, patience=None,
                    channel_independent=True, calendar_features="none", accelerator="cpu",
                    enable_progress_bar=False, seed=0).fit(train)
    table = deletion_test(fc, test, fractions=(k / lookback,), draws=1)
    std = train[targets].std(ddof=0).to_numpy()  # the model's z-scale

    def importance(attention: pd.DataFrame) -> np.ndarray:
        """(origins, L): each window's weight per past timestep, oldest first."""
        mean = attention.groupby(["origin", "source_time"])["weight"].mean()
        return mean.to_numpy().reshape(-1, lookback)

    own = {t: importance(fc.interpret(test, target=t, origins="all")) for t in targets}
    mean = importance(fc.interpret(test, origins="all"))
    n_windows = len(test) - lookback - horizon + 1
    assert own["y"].shape == (n_windows, lookback) and int(table["windows"][0]) == n_windows

    windows = [test.iloc[w : w + lookback] for w in range(n_windows)]
    bases = [fc.predict(window)[targets].to_numpy() for window in windows]

    def top_change(masks: dict[str, np.ndarray]) -> float:
        changes = {t: [] for t in targets}
        for w, (window, base) in enumerate(zip(windows, bases, strict=True)):
            for c, t in enumerate(targets):
                after = _forecast_after_deleting(fc, window, masks[t][w], targets)
                changes[t].append(((after[:, c] - base[:, c]) / std[c]) ** 2)
        return float(np.mean([np.mean(v) for v in changes.values()]))

    def top(weights: np.ndarray) -> np.ndarray:
        mask = np.zeros(weights.shape, dtype=bool)
        np.put_along_axis(mask, np.argsort(-weights, axis=1)[:, :k], True, axis=1)
        return mask

    assert not np.array_equal(top(own["y"]), top(own["x"]))  # the targets attend differently
    per_target = top_change({t: top(own[t]) for t in targets})
    assert table["top_change"][0] == pytest.approx(per_target, rel=1e-3)
    with_mean = top_change({t: top(mean) for t in targets})
    assert table["top_change"][0] != pytest.approx(with_mean, rel=1e-2)
