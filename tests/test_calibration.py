"""Conformal intervals: the asked coverage on held-out data, point and quantile models alike."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tsattn import Forecaster
from tsattn.calibration import fit_calibration
from tsattn.errors import NotFittedError

LEVELS = (0.8, 0.95)


def _panel(kind: str, *, n_series: int = 16, n: int = 420, seed: int = 0) -> pd.DataFrame:
    """Series of different sizes and noise levels. "ar": AR(1) around a level, with a driver
    that leads the target; "seasonal": a daily cycle with an amplitude that drifts."""
    rng = np.random.default_rng(seed)
    frames = []
    for s in range(n_series):
        scale = float(rng.uniform(0.5, 20.0))
        noise = float(rng.uniform(0.2, 1.0))
        shocks = rng.standard_normal(n + 3)
        driver = np.zeros(n + 3)
        for t in range(1, n + 3):
            driver[t] = 0.7 * driver[t - 1] + shocks[t]
        if kind == "ar":
            y = np.zeros(n)
            for t in range(1, n):
                y[t] = 0.8 * y[t - 1] + 0.5 * driver[t] + noise * rng.standard_normal()
        else:
            t = np.arange(n)
            amplitude = 1.0 + 0.5 * np.sin(2 * np.pi * t / n)
            y = amplitude * np.sin(2 * np.pi * (t + s) / 24) + noise * rng.standard_normal(n)
        frames.append(
            pd.DataFrame({
                "id": f"s{s:02d}",
                "time": pd.date_range("2024-01-01", periods=n, freq="h"),
                "y": 100.0 * s + scale * y,
                "driver": driver[3:],
            })
        )  # fmt: skip
    return pd.concat(frames, ignore_index=True)


def _split(panel: pd.DataFrame, train: int, calib: int) -> tuple[pd.DataFrame, ...]:
    """Per series: the first `train` rows, the next `calib`, and the rest, each test frame
    starting `lookback` rows early so its first window only forecasts unseen rows."""
    step = panel.groupby("id").cumcount()
    overlap = 24
    return (
        panel[step < train],
        panel[(step >= train - overlap) & (step < train + calib)],
        panel[step >= train + calib - overlap],
    )


@pytest.mark.parametrize(
    ("kind", "quantiles"), [("ar", None), ("seasonal", [0.1, 0.5, 0.9])], ids=["point", "quantile"]
)
def test_calibrated_intervals_cover_held_out_outcomes_at_the_asked_levels(
    kind: str, quantiles: list[float] | None, tmp_path: Path
) -> None:
    # Library defaults but for a short window and budget: coverage must not depend on how good
    # the model is, only on the calibration frame being held out.
    train, calib, test = _split(_panel(kind), train=220, calib=100)
    fc = Forecaster(
        target="y", time_col="time", id_col="id", past_covariates=["driver"],
        lookback=24, horizon=6, max_epochs=3, quantiles=quantiles, seed=0,
    )  # fmt: skip
    fc.fit(train).calibrate(calib, levels=LEVELS)

    scores = fc.evaluate(test, stride=1, scale="original", levels=LEVELS)
    for level in LEVELS:
        label = f"{level * 100:g}"
        assert abs(scores[f"coverage_{label}"] - level) <= 0.03, scores
        assert scores[f"width_{label}"] > 0
    assert scores["width_95"] > scores["width_80"]

    # Without calibration the quantile heads' own band misses; calibration is what fixes it.
    if quantiles:
        raw = fc.backtest(test)
        inside = (raw["y_actual"] >= raw["y_q0.1"]) & (raw["y_actual"] <= raw["y_q0.9"])
        assert abs(inside.mean() - 0.8) > abs(scores["coverage_80"] - 0.8)

    # The bounds travel with the saved model and come out of predict in data units.
    loaded = Forecaster.load(fc.save(tmp_path / "model"))
    forecast = loaded.predict(test, levels=LEVELS)
    point = "y_q0.5" if quantiles else "y"
    assert list(forecast.columns[-4:]) == ["y_lo_80", "y_hi_80", "y_lo_95", "y_hi_95"]
    assert (forecast["y_lo_95"] <= forecast["y_lo_80"]).all()
    assert (forecast["y_lo_80"] <= forecast[point]).all()
    assert (forecast[point] <= forecast["y_hi_80"]).all()
    assert (forecast["y_hi_80"] <= forecast["y_hi_95"]).all()
    pd.testing.assert_frame_equal(forecast, fc.predict(test, levels=LEVELS))
    # series far apart in size get bands in their own units
    widths = (forecast["y_hi_80"] - forecast["y_lo_80"]).groupby(forecast["id"]).mean()
    assert widths.max() > 5 * widths.min()


def test_point_band_corrections_track_each_steps_error() -> None:
    # Errors that grow with the step: each step gets its own width, the normal quantile of its
    # spread, and fresh draws are covered at the asked level.
    rng = np.random.default_rng(1)
    spread = np.array([0.5, 1.0, 2.0])[None, :, None]  # (1, H, C)
    def draw(n: int) -> tuple[np.ndarray, np.ndarray]:
        prediction = rng.standard_normal((n, 3, 1, 1))
        return prediction, prediction[..., 0] + spread * rng.standard_normal((n, 3, 1))
    prediction, target = draw(4000)
    calibration = fit_calibration(prediction, target, levels=[0.9], quantiles=None, point_index=0)
    np.testing.assert_allclose(calibration.corrections[0][:, 0], 1.645 * spread.ravel(), rtol=0.06)
    fresh, outcome = draw(4000)
    low, high = calibration.bounds(fresh, [0.9], point_index=0)[0.9]
    covered = ((outcome >= low) & (outcome <= high)).mean(axis=(0, 2))
    np.testing.assert_allclose(covered, 0.9, atol=0.015)


@pytest.mark.parametrize("head_spread", [0.5, 2.0], ids=["too-narrow", "too-wide"])
def test_quantile_bands_are_widened_or_narrowed_to_the_level(head_spread: float) -> None:
    rng = np.random.default_rng(2)
    quantiles = [0.1, 0.5, 0.9]
    def draw(n: int) -> tuple[np.ndarray, np.ndarray]:
        centre = rng.standard_normal((n, 2, 1))
        heads = centre[..., None] + head_spread * 1.2816 * np.array([-1.0, 0.0, 1.0])
        return heads, centre + rng.standard_normal((n, 2, 1))
    heads, target = draw(3000)
    calibration = fit_calibration(heads, target, levels=[0.8], quantiles=quantiles, point_index=1)
    assert calibration.pairs == [(0, 2)]
    moved = calibration.corrections[0]
    assert (moved > 0).all() if head_spread < 1 else (moved < 0).all()
    fresh, outcome = draw(3000)
    low, high = calibration.bounds(fresh, [0.8], point_index=1)[0.8]
    assert abs(((outcome >= low) & (outcome <= high)).mean() - 0.8) < 0.02


def test_asking_for_an_uncalibrated_level_or_model_names_what_to_do() -> None:
    rng = np.random.default_rng(3)
    prediction = rng.standard_normal((50, 2, 1, 1))
    calibration = fit_calibration(
        prediction, prediction[..., 0], levels=[0.8], quantiles=None, point_index=0
    )
    with pytest.raises(ValueError, match=r"level 0.9 was not calibrated.*levels \['0.8'\]"):
        calibration.bounds(prediction, [0.9], point_index=0)
    with pytest.raises(ValueError, match="at least 19 held-out windows for level 0.95, got 10"):
        fit_calibration(
            prediction[:10], prediction[:10, ..., 0], levels=[0.95], quantiles=None, point_index=0
        )
    with pytest.raises(ValueError, match="strictly between 0 and 1"):
        fit_calibration(prediction, prediction[..., 0], levels=[80], quantiles=None, point_index=0)

    frame = _panel("ar", n_series=2, n=120)
    fc = Forecaster(target="y", time_col="time", id_col="id", lookback=12, horizon=3,
                    hidden_size=8, max_epochs=1, seed=0).fit(frame)  # fmt: skip
    with pytest.raises(NotFittedError, match=r"calibrate\(held_out_df"):
        fc.predict(frame, levels=[0.8])
