"""Bad input is refused by `Forecaster.fit` with a message naming the culprit, before training."""

from __future__ import annotations

from collections.abc import Callable

import lightning.pytorch as L
import numpy as np
import pandas as pd
import pytest
from synthetic import panel_frame, wide_frame

from tsattn import ConfigError, DataValidationError, Forecaster


class TrainingStarted(L.Callback):
    """Records whether Lightning got as far as starting to train."""

    def __init__(self) -> None:
        self.started = False

    def on_fit_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        self.started = True


def forecaster(**overrides: object) -> Forecaster:
    params = dict(
        target=["y"], time_col="date", past_covariates=["x"], lookback=12, horizon=4,
        hidden_size=8, max_epochs=1, enable_progress_bar=False, accelerator="cpu",
    )  # fmt: skip
    return Forecaster(**{**params, **overrides})


def _with(frame: pd.DataFrame, row: int, column: str, value: object) -> pd.DataFrame:
    frame = frame.copy()
    frame[column] = frame[column].astype(object) if isinstance(value, str) else frame[column]
    frame.loc[row, column] = value
    return frame


BAD_TRAIN_FRAMES: dict[str, tuple[Callable[[pd.DataFrame], pd.DataFrame], str]] = {
    "missing column": (lambda f: f.drop(columns="x"), r"x"),
    "non-numeric column": (lambda f: _with(f, 5, "x", "n/a"), r"'x'"),
    "NaN in target": (lambda f: _with(f, 30, "y", np.nan), r"'y'.*2024-01-02 06:00"),
    "inf in covariate": (lambda f: _with(f, 31, "x", np.inf), r"'x'.*2024-01-02 07:00"),
    "duplicate timestamp": (
        lambda f: _with(f, 20, "date", f.loc[19, "date"]),
        r"duplicate.*2024-01-01 19:00",
    ),
    "gap against the frequency": (lambda f: f.drop(index=[50, 51]), r"2024-01-03 0[12]:00"),
    "too short": (lambda f: f.iloc[:10], r"10 rows"),
    "constant column": (lambda f: f.assign(x=1.0), r"'x' is constant"),
    "empty frame": (lambda f: f.iloc[:0], r"empty"),
    "timezone mix": (
        lambda f: f.assign(
            date=[t.tz_localize("UTC") if i % 2 else t for i, t in enumerate(f["date"])]
        ),
        r"(?i)time ?zone|tz",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_TRAIN_FRAMES))
def test_bad_training_frame_is_refused_before_training(case: str) -> None:
    corrupt, culprit = BAD_TRAIN_FRAMES[case]
    spy = TrainingStarted()
    with pytest.raises(DataValidationError, match=culprit):
        forecaster().fit(corrupt(wide_frame(120)), callbacks=[spy])
    assert not spy.started


def test_bad_validation_frame_is_refused_before_training_and_named() -> None:
    frame = wide_frame(160)
    spy = TrainingStarted()
    bad_val = _with(frame.iloc[100:], 130, "y", np.nan)
    with pytest.raises(DataValidationError, match=r"^val_df: .*'y'"):
        forecaster().fit(frame.iloc[:100], val_df=bad_val, callbacks=[spy])
    assert not spy.started


def test_panel_errors_name_the_series() -> None:
    frame = panel_frame(n_series=3, n=60)
    frame.loc[(frame["id"] == "s1") & (frame.index % 60 == 7), "y"] = np.nan
    with pytest.raises(DataValidationError, match=r"'s1'"):
        Forecaster(target="y", time_col="time", id_col="id", lookback=8, horizon=2).fit(frame)


def test_history_too_short_to_forecast_says_how_many_rows_it_needs() -> None:
    fc = forecaster().fit(wide_frame(120))
    assert len(fc.predict(wide_frame(120).iloc[-12:])) == 4  # a lookback of history is enough
    with pytest.raises(DataValidationError, match=r"has 11 rows, fewer than the 12 needed"):
        fc.predict(wide_frame(120).iloc[-11:])


def test_unsorted_time_is_sorted_with_a_warning() -> None:
    frame = wide_frame(120)
    shuffled = frame.sample(frac=1.0, random_state=0)
    with pytest.warns(UserWarning, match="(?i)sort"):
        forecast = forecaster(seed=1).fit(shuffled).predict(shuffled)
    pd.testing.assert_frame_equal(forecast, forecaster(seed=1).fit(frame).predict(frame))


def test_fill_policy_is_an_explicit_opt_in() -> None:
    frame = _with(wide_frame(120), 30, "y", np.nan)
    forecast = forecaster(fill_missing="ffill").fit(frame).predict(frame)
    assert np.isfinite(forecast["y"]).all()


@pytest.mark.parametrize(
    ("overrides", "key"),
    [
        ({"cell": "transformer"}, "cell"),
        ({"hidden_size": 0}, "hidden_size"),
        ({"quantiles": [0.9, 0.1]}, "quantiles"),
        ({"attention": "multihead", "hidden_size": 10, "num_heads": 4}, "num_heads"),
        ({"target": ["y"], "past_covariates": ["y"]}, "more than once"),
    ],
)
def test_bad_parameters_name_the_key(overrides: dict, key: str) -> None:
    spy = TrainingStarted()
    with pytest.raises(ConfigError, match=key):
        forecaster(**overrides).fit(wide_frame(120), callbacks=[spy])
    assert not spy.started
