"""Interpretability that can be checked: on a planted-lag series the attention must find the lag.

target(t) = driver(t - k) + noise, with a white-noise driver: the only information about the
target at time T + h is driver(T + h - k), so a model that learned the task has to attend k steps
before each step's target time, and rank `driver` first among the input variables.
"""

from __future__ import annotations

import pytest
from synthetic import planted_lag_frame

from tsattn import Forecaster

LAG, LOOKBACK, HORIZON = 6, 16, 4


@pytest.fixture(scope="module")
def planted() -> tuple[Forecaster, object]:
    frame = planted_lag_frame(n=1400, lag=LAG, seed=0)
    train, val = frame.iloc[:1100], frame.iloc[1100 - LOOKBACK :]
    fc = Forecaster(
        target="target",
        time_col="time",
        past_covariates=["driver", "noise_a", "noise_b"],
        calendar_features="none",
        lookback=LOOKBACK,
        horizon=HORIZON,
        hidden_size=32,
        attention="additive",
        segment_length=1,  # per-timestep attention: the lag is read at single-step resolution
        revin=False,  # the driver acts in absolute units, which per-window rescaling hides
        input_attention=True,
        learning_rate=3e-3,
        batch_size=32,
        max_epochs=12,
        patience=4,
        seed=0,
        accelerator="cpu",
        enable_progress_bar=False,
    )
    return fc.fit(train, val_df=val), val


def test_the_model_learns_the_planted_lag(planted) -> None:
    fc, val = planted
    assert fc.evaluate(val)["mse"] < 0.1  # the unconditional variance is 1 on this scale


def test_temporal_attention_peaks_k_steps_before_each_target(planted) -> None:
    fc, val = planted
    weights = fc.interpret(val, origins="all", stride=3)
    profile = weights.groupby(["step", "distance"])["weight"].mean()
    for step in range(1, HORIZON + 1):
        assert profile.loc[step].idxmax() == LAG, profile.loc[step].round(3).to_dict()


def test_input_attention_ranks_the_driver_first(planted) -> None:
    fc, val = planted
    weights = fc.interpret(val, kind="input", origins="all", stride=3)
    importance = weights.groupby("variable")["weight"].mean().sort_values(ascending=False)
    assert importance.index[0] == "driver", importance.round(3).to_dict()
