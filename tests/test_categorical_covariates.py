"""Categorical past and known-future covariates: coded, embedded, learned, saved, no KeyError."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from tsattn import Forecaster
from tsattn.nn.categorical import CategoricalInputs, embedding_size

LIFT = {"none": 0.0, "flyer": 1.0, "tv": 3.0}


def _stores(n_series: int = 4, n: int = 220, seed: int = 1) -> pd.DataFrame:
    """Daily sales: a weekly cycle, a level per store, and a promotion lift known in advance."""
    rng = np.random.default_rng(seed)
    frames = []
    for s in range(n_series):
        promo = rng.choice(list(LIFT), n, p=[0.6, 0.25, 0.15])
        weather = rng.choice(["sun", "rain"], n) if s else np.full(n, "sun")  # s0: always sun
        t = np.arange(n)
        sales = (5 * s + np.sin(2 * np.pi * t / 7) + pd.Series(promo).map(LIFT).to_numpy()
                 + 0.2 * rng.standard_normal(n))  # fmt: skip
        frames.append(pd.DataFrame({
            "store": f"s{s}", "day": pd.date_range("2024-01-01", periods=n, freq="D"),
            "sales": sales, "promo": promo, "weather": weather,
        }))  # fmt: skip
    frame = pd.concat(frames, ignore_index=True)
    return frame.assign(weather=frame["weather"].astype("category"))  # one a `category` column


def _plan(history: pd.DataFrame, promo: str, horizon: int = 7) -> pd.DataFrame:
    last = history.groupby("store")["day"].max()
    return pd.concat(
        pd.DataFrame({"store": store, "promo": promo,
                      "day": pd.date_range(end + pd.Timedelta(days=1), periods=horizon)})
        for store, end in last.items()
    )  # fmt: skip


def test_a_known_future_promotion_lift_is_learned_with_the_defaults() -> None:
    frame = _stores()
    step = frame.groupby("store").cumcount()
    train, val = frame[step < 180], frame[step >= 180 - 14]
    fc = Forecaster(target="sales", time_col="day", id_col="store", future_covariates=["promo"],
                    lookback=14, horizon=7, max_epochs=8, seed=0,
                    enable_progress_bar=False).fit(train, val_df=val)  # fmt: skip
    forecast = {kind: fc.predict(train, future_df=_plan(train, kind))["sales"].to_numpy()
                for kind in LIFT}  # fmt: skip
    assert (forecast["tv"] - forecast["none"]).mean() == pytest.approx(3.0, abs=0.5)
    assert (forecast["flyer"] - forecast["none"]).mean() == pytest.approx(1.0, abs=0.4)


@pytest.fixture(scope="module")
def fitted() -> Forecaster:
    return Forecaster(
        target="sales", time_col="day", id_col="store", past_covariates=["weather"],
        future_covariates=["promo"], input_attention=True, lookback=14, horizon=7,
        hidden_size=8, max_epochs=1, seed=0, enable_progress_bar=False,
    ).fit(_stores(n=80))  # fmt: skip


def test_codes_are_saved_as_json_and_input_attention_names_each_column_once(
    fitted: Forecaster, tmp_path: Path
) -> None:
    # s0's weather never changes: a constant category is no "constant column" error
    frame = _stores(n=80)
    path = fitted.save(tmp_path / "model")
    saved = json.loads((path / "forecaster.json").read_text())["preprocessor"]["categories"]
    assert saved == {"weather": ["rain", "sun"], "promo": ["flyer", "none", "tv"]}
    plan = _plan(frame, "tv")
    pd.testing.assert_frame_equal(Forecaster.load(path).predict(frame, future_df=plan),
                                  fitted.predict(frame, future_df=plan))  # fmt: skip
    weights = fitted.interpret(frame, kind="input", origins="all", stride=20)
    assert set(weights["variable"]) == {"sales", "weather", "promo"}
    per_step = weights.groupby(["store", "origin", "source_time"])["weight"].sum()
    np.testing.assert_allclose(per_step.to_numpy(), 1.0, rtol=1e-5)


def test_unseen_categories_at_predict_time_warn_and_use_the_unknown_embedding(
    fitted: Forecaster,
) -> None:
    frame = _stores(n=80)
    frame["weather"] = frame["weather"].cat.add_categories("snow")
    frame.loc[frame.index[-3:], "weather"] = "snow"
    plan = _plan(frame, "radio")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        forecast = fitted.predict(frame, future_df=plan)
    messages = " ".join(str(w.message) for w in caught)
    assert "covariate 'weather': categories ['snow'] were not seen at fit" in messages
    assert "covariate 'promo': categories ['radio'] were not seen at fit" in messages
    assert np.isfinite(forecast["sales"]).all() and len(forecast) == 4 * 7


def test_embedded_columns_keep_the_numeric_ones_first_and_fold_back_per_variable() -> None:
    # past: target, a numeric covariate, a code column (also known-future at position 1)
    inputs = CategoricalInputs(n_features=3, n_future=2, categorical=((2, 1, 4),))
    width = embedding_size(4)
    past = torch.tensor([[[0.5, -1.0, 3.0]]])  # code 3
    future = torch.tensor([[[7.0, 3.0]]])
    embedded, ahead = inputs(past, future)
    assert embedded.shape == (1, 1, 2 + width) and ahead is not None
    assert embedded[0, 0, :2].tolist() == [0.5, -1.0]
    torch.testing.assert_close(embedded[0, 0, 2:], ahead[0, 0, 1:])  # one shared embedding
    folded = inputs.fold(torch.full((1, 1, 2 + width), 1.0 / (2 + width)))
    torch.testing.assert_close(folded.sum(-1), torch.ones(1, 1))
    assert folded[0, 0, 2] == pytest.approx(width / (2 + width))


def test_the_deletion_test_runs_on_a_model_with_coded_inputs(fitted: Forecaster) -> None:
    from tsattn.interpret import deletion_test

    table = deletion_test(fitted, _stores(n=80), fractions=(0.1,), draws=2, max_windows=20)
    assert np.isfinite(table["ratio"]).all() and table["windows"].iloc[0] == 20
