"""Integer time axes (M4, competition data, tables without dates) wherever timestamps work."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import sqlalchemy
import yaml

from tsattn import Forecaster
from tsattn.data import future_times, temporal_split
from tsattn.errors import DataValidationError
from tsattn.forecast_job import run_forecast_job
from tsattn.job_spec import load_job

LOOKBACK, HORIZON = 16, 4


def _panel(n: int = 140, *, start: int = 0, step: int = 1) -> pd.DataFrame:
    """Two series on integer steps, starting at different steps, with a known-ahead driver."""
    rng = np.random.default_rng(0)
    frames = []
    for s, offset in enumerate((0, 7)):
        t = np.arange(n)
        promo = (rng.random(n) < 0.2).astype(float)
        frames.append(pd.DataFrame({
            "store": f"s{s}", "week": start + step * (t + offset),
            "sales": 10 * (s + 1) + np.sin(2 * np.pi * t / 13) + 2 * promo
            + 0.1 * rng.standard_normal(n),
            "promo": promo,
        }))  # fmt: skip
    return pd.concat(frames, ignore_index=True)


def _forecaster(**params: object) -> Forecaster:
    defaults: dict[str, object] = dict(
        target="sales", time_col="week", id_col="store", future_covariates=["promo"],
        lookback=LOOKBACK, horizon=HORIZON, hidden_size=8, max_epochs=1, seed=0,
        enable_progress_bar=False,
    )  # fmt: skip
    return Forecaster(**{**defaults, **params})


@pytest.fixture(scope="module")
def fitted() -> Forecaster:
    frame = _panel(step=2)
    train, val, _ = temporal_split(frame, time_col="week", id_col="store", train=0.6, val=0.2,
                                   test=0.2, lookback=LOOKBACK)  # fmt: skip
    return _forecaster().fit(train, val_df=val, calibration_df=val)


def _future(frame: pd.DataFrame, step: int = 2) -> pd.DataFrame:
    last = frame.groupby("store")["week"].max()
    return pd.concat(
        pd.DataFrame({"store": store, "week": future_times(int(end), step, HORIZON),
                      "promo": [1.0, 0.0, 0.0, 1.0]})
        for store, end in last.items()
    )  # fmt: skip


def test_fit_predict_backtest_interpret_and_save_on_integer_steps(
    fitted: Forecaster, tmp_path: Path
) -> None:
    frame = _panel(step=2)
    assert fitted.freq_ == "2"  # the step, inferred
    forecast = fitted.predict(frame, future_df=_future(frame), levels=[0.8])
    assert forecast["week"].dtype == np.int64
    ends = frame.groupby("store")["week"].max()
    for store, end in ends.items():  # the next HORIZON steps of 2 after each series' own end
        assert forecast.loc[forecast["store"] == store, "week"].tolist() == [
            end + 2 * h for h in range(1, HORIZON + 1)
        ]
    assert (forecast["sales_lo_80"] < forecast["sales_hi_80"]).all()

    backtest = fitted.backtest(frame, stride=10)
    assert backtest["origin"].dtype == np.int64 and backtest["week"].dtype == np.int64
    assert (backtest["week"] == backtest["origin"] + 2 * backtest["step"]).all()
    attention = fitted.interpret(frame, origins="all", stride=20)
    assert (attention["target_time"] - attention["source_time"] == 2 * attention["distance"]).all()

    loaded = Forecaster.load(fitted.save(tmp_path / "model"))
    pd.testing.assert_frame_equal(loaded.predict(frame, future_df=_future(frame)),
                                  fitted.predict(frame, future_df=_future(frame)))  # fmt: skip


def test_a_time_column_named_step_keeps_its_name_beside_the_backtest_columns() -> None:
    frame = _panel().rename(columns={"week": "step"})
    fc = _forecaster(time_col="step", future_covariates=[], max_epochs=1).fit(frame)
    backtest = fc.backtest(frame, stride=40)
    assert {"step", "forecast_origin", "forecast_step"} <= set(backtest.columns)
    assert (backtest["step"] == backtest["forecast_origin"] + backtest["forecast_step"]).all()


def test_a_wide_frame_with_a_range_index_forecasts_the_next_steps() -> None:
    frame = pd.DataFrame({"y": np.sin(np.arange(120) / 4)})  # no time column at all
    fc = Forecaster(target="y", lookback=12, horizon=3, hidden_size=8, max_epochs=1,
                    enable_progress_bar=False).fit(frame)  # fmt: skip
    assert fc.predict(frame)["time"].tolist() == [120, 121, 122]


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda f: f[f["week"] != 60], r"a gap in series 's0' at 58: the next time step is 62 "
                                       r"but step 2 \(given\) expects 60"),
        (lambda f: pd.concat([f, f.iloc[[5]]]), r"duplicate"),
        (lambda f: f.assign(week=pd.date_range("2024-01-01", periods=len(f), freq="D")),
         r"holds timestamps but the model was trained on integer time steps"),
    ],
    ids=["gap", "duplicate", "timestamps-for-steps"],
)
def test_bad_integer_axes_are_named_before_any_work(
    fitted: Forecaster, mutate: object, message: str
) -> None:
    frame = mutate(_panel(step=2))  # type: ignore[operator]
    with pytest.raises(DataValidationError, match=message):
        fitted.predict(frame, future_df=_future(_panel(step=2)))


def test_integer_axes_refuse_calendar_features_and_timestamp_cutoffs() -> None:
    frame = _panel()
    with pytest.raises(DataValidationError, match=r"calendar features \['weekday'\] need"):
        _forecaster(calendar_features=["weekday"]).fit(frame)
    with pytest.raises(DataValidationError, match="integer steps, so give the cutoff as a row"):
        temporal_split(frame, time_col="week", id_col="store", train="2024-01-01", val=0.2,
                       test=0.2, lookback=LOOKBACK)  # fmt: skip


def test_a_declared_job_reads_and_writes_integer_steps_and_replaces_a_rerun(
    fitted: Forecaster, tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'warehouse.db'}"
    engine = sqlalchemy.create_engine(url)
    frame = _panel(step=2)
    with engine.begin() as connection:
        frame.to_sql("history", connection, index=False)
        _future(frame).to_sql("plan", connection, index=False)
    model = fitted.save(tmp_path / "model")
    job = {
        "name": "weekly", "model": str(model), "levels": [0.8],
        "input": {"url": url, "sql": "SELECT * FROM history"},
        "future": {"url": url, "sql": "SELECT * FROM plan"},
        "output": {"url": url, "table": "forecasts"}, "tracking": {"enabled": False},
        "monitoring": {"max_mase": 100.0},
    }  # fmt: skip
    path = tmp_path / "job.yaml"
    path.write_text(yaml.safe_dump(job))
    for _ in range(2):  # the same origin twice: its rows are replaced, never duplicated
        run_forecast_job(load_job(path))
    rows = pd.read_sql("SELECT * FROM forecasts", engine)
    engine.dispose()
    assert len(rows) == 2 * HORIZON
    assert rows["week"].dtype == np.int64 and rows["forecast_origin"].dtype == np.int64
    assert sorted(rows["forecast_origin"].unique()) == sorted(frame.groupby("store")["week"].max())


def test_the_pyfunc_model_forecasts_integer_steps_with_their_bounds(fitted: Forecaster) -> None:
    # The wrapper's own logic (one frame in, future rows split off, calibrated bounds added);
    # tests/tracking checks the same wrapper logged to and loaded from a real MLflow server.
    from tsattn.tracking.pyfunc_model import ForecasterModel

    model = ForecasterModel()
    model.forecaster = fitted
    frame = _panel(step=2)
    history = frame.groupby("store").tail(LOOKBACK)
    request = pd.concat([history, _future(frame).assign(sales=np.nan)])
    served = model.predict(None, request.sort_values(["store", "week"]))
    expected = fitted.predict(history, future_df=_future(frame), levels=[0.8, 0.95])
    pd.testing.assert_frame_equal(served, expected)
    assert served["week"].dtype == np.int64
