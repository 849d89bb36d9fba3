"""Static covariates through the public API: validated, encoded, saved, unseen values handled."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tsattn import ConfigError, Forecaster
from tsattn.data.static import StaticCovariates
from tsattn.errors import DataValidationError

STATICS = ["size", "region", "format"]


def _panel(n_series: int = 6, n: int = 90) -> pd.DataFrame:
    """Stores whose size scales the cycle and whose region shifts it; `format` is a category."""
    rng = np.random.default_rng(0)
    frames = []
    for s in range(n_series):
        size, region = [1.0, 2.5, 4.0][s % 3], ["north", "south"][s % 2]
        t = np.arange(n)
        frames.append(pd.DataFrame({
            "store": f"s{s}", "day": pd.date_range("2024-01-01", periods=n, freq="D"),
            "sales": size * np.sin(2 * np.pi * (t + 3 * (region == "south")) / 7)
            + 0.1 * rng.standard_normal(n),
            "size": size, "region": region, "format": ["mall", "street"][s % 2 == 0],
        }))  # fmt: skip
    frame = pd.concat(frames, ignore_index=True)
    return frame.assign(format=frame["format"].astype("category"))


@pytest.fixture(scope="module")
def fitted() -> Forecaster:
    return Forecaster(
        target="sales", time_col="day", id_col="store", static_covariates=STATICS,
        lookback=14, horizon=7, hidden_size=16, max_epochs=3, seed=0, enable_progress_bar=False,
    ).fit(_panel())  # fmt: skip


def test_statics_are_encoded_saved_as_json_and_steer_the_forecast(
    fitted: Forecaster, tmp_path: Path
) -> None:
    config = fitted.network_.config
    assert config.n_static == 1 and config.static_cardinalities == (3, 3)  # 2 categories + unknown
    frame = _panel()
    forecast = fitted.predict(frame)
    path = fitted.save(tmp_path / "model")
    saved = json.loads((path / "forecaster.json").read_text())["preprocessor"]["static"]
    assert saved["categorical"] == {"region": ["north", "south"], "format": ["mall", "street"]}
    assert saved["numeric"]["size"][0] == pytest.approx(2.5)
    pd.testing.assert_frame_equal(Forecaster.load(path).predict(frame), forecast)
    # the same history under another region forecasts differently: the statics are read
    moved = frame.assign(region=frame["region"].map({"north": "south", "south": "north"}))
    assert not np.allclose(fitted.predict(moved)["sales"], forecast["sales"])


def test_an_unseen_category_goes_to_the_unknown_bucket_with_a_warning(fitted: Forecaster) -> None:
    frame = _panel()
    frame["region"] = frame["region"].where(frame["store"] != "s1", "west")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        forecast = fitted.predict(frame)
    messages = [str(w.message) for w in caught]
    assert any("'region': categories ['west'] were not seen at fit" in m for m in messages)
    assert np.isfinite(forecast["sales"]).all() and len(forecast) == 6 * 7


@pytest.mark.parametrize(
    ("mutate", "error", "message"),
    [
        (lambda f: f.assign(size=np.where(f.index == 95, 9.0, f["size"])), DataValidationError,
         r"static covariate 'size' varies within series 's1' \(e.g. 2.5 and 9.0\)"),
        (lambda f: f.drop(columns="region"), DataValidationError,
         r"static covariates \['region'\] are not columns of the frame"),
        (lambda f: f.assign(size=np.where(f["store"] == "s2", np.nan, f["size"])),
         DataValidationError, r"static covariate 'size' is missing for series 's2'"),
    ],
    ids=["varies", "absent", "missing"],
)
def test_bad_statics_are_named_before_any_forecast(
    fitted: Forecaster, mutate: object, error: type, message: str
) -> None:
    with pytest.raises(error, match=message):
        fitted.predict(mutate(_panel()))  # type: ignore[operator]


def test_a_column_in_two_roles_is_refused_before_training() -> None:
    with pytest.raises(ConfigError, match=r"\['size'\] appear more than once"):
        Forecaster(target="sales", time_col="day", id_col="store", past_covariates=["size"],
                   static_covariates=["size"]).fit(_panel())  # fmt: skip


def test_numeric_statics_are_z_scored_across_series_and_booleans_are_categories() -> None:
    frame = _panel().assign(open_sunday=lambda f: f["store"].isin(["s0", "s3"]))
    encoder = StaticCovariates.fit(frame, ["size", "open_sunday"], "store")
    assert set(encoder.numeric) == {"size"}
    assert encoder.categorical == {"open_sunday": [False, True]}
    encoded = encoder.transform(frame, "store", np.array([f"s{s}" for s in range(6)], object))
    sizes = np.array([1.0, 2.5, 4.0, 1.0, 2.5, 4.0])
    np.testing.assert_allclose(encoded[:, 0], (sizes - sizes.mean()) / sizes.std(), rtol=1e-6)
    np.testing.assert_array_equal(encoded[:, 1], [2, 1, 1, 2, 1, 1])  # True -> 2, False -> 1


def test_a_numeric_static_with_a_stray_text_value_names_it() -> None:
    frame = _panel()
    frame["size"] = frame["size"].astype(object)
    frame.loc[frame["store"] == "s4", "size"] = "n/a"
    stray = r"'size' is numeric but holds 'n/a' for series 's4'"
    with pytest.raises(DataValidationError, match=stray):
        Forecaster(target="sales", time_col="day", id_col="store", static_covariates=["size"],
                   lookback=14, horizon=7).fit(frame)  # fmt: skip
