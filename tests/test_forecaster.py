"""The public Forecaster API: fit → predict → interpret → save → load on tiny frames."""

from __future__ import annotations

import logging
import os
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from synthetic import panel_frame, wide_frame

from tsattn import ConfigError, Forecaster, NotFittedError

TINY = dict(
    lookback=12, horizon=4, hidden_size=8, max_epochs=2, batch_size=32, patience=None,
    enable_progress_bar=False, accelerator="cpu", calendar_features="none",
)  # fmt: skip


def tiny(**overrides: object) -> Forecaster:
    params = {**TINY, "target": ["y"], "time_col": "date", **overrides}
    return Forecaster(**params)


def split(frame: pd.DataFrame, n_train: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    return frame.iloc[:n_train], frame.iloc[n_train - TINY["lookback"] :]


@pytest.mark.parametrize("cell", ["lstm", "gru"])
@pytest.mark.parametrize("attention", ["additive", "general", "dot", "multihead", "none"])
def test_every_cell_and_attention_fits_predicts_and_round_trips(
    cell: str, attention: str, tmp_path
) -> None:
    train, val = split(wide_frame(160), 120)
    fc = tiny(cell=cell, attention=attention, num_heads=2, past_covariates=["x"])
    assert fc.fit(train, val_df=val) is fc
    forecast = fc.predict(val)
    assert list(forecast.columns) == ["date", "y"]
    expected_times = pd.date_range(val["date"].iloc[-1], periods=5, freq="h")[1:]
    assert forecast["date"].tolist() == expected_times.tolist()
    assert np.isfinite(forecast["y"]).all()
    assert len(fc.history_) == fc.epochs_trained_ == 2
    loaded = Forecaster.load(fc.save(tmp_path / "model"))
    pd.testing.assert_frame_equal(loaded.predict(val), forecast)


@pytest.mark.parametrize(
    "options",
    [
        {"decoder": "autoregressive"},
        {"input_attention": True},
        {"revin": True, "loss": "huber"},
        {"quantiles": [0.1, 0.5, 0.9]},
        {"cell": "gru", "num_layers": 2, "dropout": 0.1, "lr_scheduler": "cosine"},
        {"channel_independent": True, "segment_length": 4, "revin": True, "highway": True},
    ],
)
def test_model_options_fit_and_round_trip(options: dict, tmp_path) -> None:
    train, val = split(wide_frame(160), 120)
    fc = tiny(past_covariates=["x"], **options).fit(train, val_df=val)
    forecast = fc.predict(val)
    if options.get("quantiles"):
        assert list(forecast.columns) == ["date", "y_q0.1", "y_q0.5", "y_q0.9"]
    assert len(forecast) == 4
    loaded = Forecaster.load(fc.save(tmp_path / "model"))
    pd.testing.assert_frame_equal(loaded.predict(val), forecast)


def test_same_seed_gives_same_forecasts_and_other_seed_differs() -> None:
    train, val = split(wide_frame(160), 120)
    first = tiny(seed=3).fit(train, val_df=val).predict(val)
    second = tiny(seed=3).fit(train, val_df=val).predict(val)
    other = tiny(seed=4).fit(train, val_df=val).predict(val)
    pd.testing.assert_frame_equal(first, second)
    assert not np.allclose(first["y"], other["y"])


def test_panel_forecasts_each_series_after_its_own_end_on_its_own_scale() -> None:
    frame = panel_frame(n_series=3, n=80)
    frame = frame[~((frame["id"] == "s2") & (frame["time"] >= "2024-01-03 20:00"))]  # s2 ends early
    fc = Forecaster(target="y", time_col="time", id_col="id", past_covariates=["load"], **TINY).fit(
        frame
    )
    forecast = fc.predict(frame)
    assert list(forecast.columns) == ["id", "time", "y"]
    for series, block in forecast.groupby("id"):
        last = frame.loc[frame["id"] == series, "time"].max()
        assert block["time"].tolist() == list(pd.date_range(last, periods=5, freq="h")[1:])
        level = frame.loc[frame["id"] == series, "y"].mean()
        assert abs(block["y"].mean() - level) < 3.0  # inverse-scaled per series (levels 10, 20, 30)


def test_a_series_unseen_at_fit_is_forecast_on_its_own_scale_without_leakage() -> None:
    frame = panel_frame(n_series=3, n=80)  # levels 10, 20, 30
    fc = Forecaster(target="y", time_col="time", id_col="id", past_covariates=["load"], **TINY)
    fc.fit(frame[frame["id"] != "s2"])
    new = frame[frame["id"] == "s2"]
    forecast = fc.predict(new)
    assert forecast["id"].unique().tolist() == ["s2"]
    assert abs(forecast["y"].mean() - new["y"].mean()) < 3.0  # its own level 30, not 10 or 20
    both = fc.predict(frame[frame["id"] != "s0"])  # with a seen series, each on its own scale
    pd.testing.assert_frame_equal(
        both[both["id"] == "s2"].reset_index(drop=True), forecast.reset_index(drop=True)
    )
    # windows scale it by the rows up to its first origin: a later change moves no earlier forecast
    after_origin = np.arange(len(new)) >= TINY["lookback"]
    later = new.assign(y=np.where(after_origin, new["y"] + 50.0, new["y"]))
    first = fc.backtest(new, stride=4).query("origin == origin.min()")
    moved = fc.backtest(later, stride=4).query("origin == origin.min()")
    np.testing.assert_allclose(moved["y"], first["y"], rtol=1e-6)
    assert np.isfinite(list(fc.evaluate(new).values())).all()
    bounds = fc.calibrate(new, levels=[0.8]).predict(new, levels=[0.8])  # calibrated on it too
    assert (bounds["y_lo_80"] < bounds["y"]).all() and (bounds["y"] < bounds["y_hi_80"]).all()
    validated = clone(fc).fit(frame[frame["id"] != "s2"], val_df=new)  # validated on it
    assert np.isfinite(validated.history_["val_loss"]).all()


def test_panel_attention_names_the_series_by_the_users_id_column(tmp_path) -> None:
    from tsattn.interpret import lag_profile, plot_windows, representative_windows, write_report

    frame = panel_frame(n_series=2, n=80)
    fc = Forecaster(target="y", time_col="time", id_col="id", past_covariates=["load"],
                    input_attention=True, **TINY).fit(frame)  # fmt: skip
    temporal = fc.interpret(frame, origins="all", stride=8)
    inputs = fc.interpret(frame, kind="input")
    assert temporal.columns[0] == "id" and "series" not in temporal.columns
    assert inputs.columns[0] == "id" and set(inputs["id"]) == {"s0", "s1"}
    assert set(temporal["id"]) == {"s0", "s1"}
    # the interpret package reads the user's frame as returned
    assert lag_profile(temporal)["lag"].tolist() == list(range(TINY["lookback"]))
    chosen = representative_windows(temporal, 2)
    (figure, *_) = plot_windows(temporal, chosen)
    assert figure.get_suptitle().startswith(("id=s0", "id=s1"))
    page = write_report(tmp_path / "report.html", temporal).read_text()
    assert "id=s0" in page and "id=s1" in page


def test_future_covariates_are_required_at_predict_time_and_used() -> None:
    frame = wide_frame(160)
    train = frame.iloc[:120]
    fc = tiny(future_covariates=["x"]).fit(train)
    with pytest.raises(Exception, match="future covariates.*'x'"):
        fc.predict(train)
    future = frame.iloc[120:124][["date", "x"]]
    forecast = fc.predict(train, future_df=future)
    assert forecast["date"].tolist() == future["date"].tolist()
    shifted = fc.predict(train, future_df=future.assign(x=future["x"] + 5.0))
    assert not np.allclose(forecast["y"], shifted["y"])


def test_interpret_returns_tidy_causal_weights_summing_to_one() -> None:
    train, val = split(wide_frame(160), 120)
    fc = tiny(attention="multihead", num_heads=2, input_attention=True, past_covariates=["x"])
    fc.fit(train)
    temporal = fc.interpret(val)
    # series x heads (2 attention heads x G reads each) x horizon x lookback
    assert len(temporal) == 1 * 2 * fc.network_.config.num_reads * 4 * 12
    sums = temporal.groupby(["series", "origin", "step", "head"])["weight"].sum()
    np.testing.assert_allclose(sums, 1.0, rtol=1e-5)
    assert (temporal["source_time"] <= temporal["origin"]).all()
    assert (temporal["target_time"] > temporal["origin"]).all()
    hours = (temporal["target_time"] - temporal["source_time"]) / pd.Timedelta("1h")
    assert (hours == temporal["distance"]).all()
    assert temporal["origin"].iloc[0] == val["date"].iloc[-1]
    variables = fc.interpret(val, kind="input")
    assert set(variables["variable"]) == {"y", "x"}
    np.testing.assert_allclose(
        variables.groupby(["origin", "source_time"])["weight"].sum(), 1.0, rtol=1e-5
    )
    every = fc.interpret(val, origins="all", stride=5)
    assert every["origin"].nunique() == len(range(0, len(val) - 12 - 4 + 1, 5))


def test_interpret_gives_each_target_of_a_channel_independent_model_its_own_weights() -> None:
    train, val = split(wide_frame(160), 120)
    fc = tiny(target=["y", "x"], channel_independent=True).fit(train, val_df=val)
    mean = fc.interpret(val)
    per_target = {name: fc.interpret(val, target=name) for name in ("y", "x")}
    keys = ["origin", "step", "source_time"]
    for frame in per_target.values():
        pd.testing.assert_frame_equal(frame[keys], mean[keys])
        sums = frame.groupby(["step", "head"])["weight"].sum()
        np.testing.assert_allclose(sums, 1.0, rtol=1e-5)
    y, x = per_target["y"]["weight"].to_numpy(), per_target["x"]["weight"].to_numpy()
    assert not np.allclose(y, x)
    np.testing.assert_allclose((y + x) / 2, mean["weight"], rtol=1e-5, atol=1e-7)
    with pytest.raises(ValueError, match=r"target='z' is not one of this model's targets"):
        fc.interpret(val, target="z")
    mixing = tiny(target=["y", "x"], channel_independent=False).fit(train, val_df=val)
    pd.testing.assert_frame_equal(mixing.interpret(val, target="x"), mixing.interpret(val))


def test_backtest_and_evaluate_agree_on_every_origin() -> None:
    train, val = split(wide_frame(160), 120)
    fc = tiny().fit(train)
    backtest = fc.backtest(val)
    n_origins = len(val) - 12 - 4 + 1
    assert backtest["origin"].nunique() == n_origins and len(backtest) == n_origins * 4
    errors = backtest["y"] - backtest["y_actual"]
    scores = fc.evaluate(val, scale="original")
    np.testing.assert_allclose(scores["mse"], float((errors**2).mean()), rtol=1e-4)
    np.testing.assert_allclose(scores["mae"], float(errors.abs().mean()), rtol=1e-4)
    std = train["y"].std(ddof=0)
    normalised = fc.evaluate(val)
    np.testing.assert_allclose(normalised["mse"], scores["mse"] / std**2, rtol=1e-3)
    assert set(normalised) >= {"mse", "mae", "smape", "mase"}


@pytest.mark.parametrize("season", [1, 6])
def test_evaluate_scales_mase_by_the_seasonal_naive_of_each_lookback(season: int) -> None:
    train, val = split(wide_frame(160), 120)
    fc = tiny().fit(train)
    backtest = fc.backtest(val)
    y = val["y"].to_numpy()
    rows = [val.index.get_loc(i) for i in val.index[val["date"].isin(backtest["origin"])]]
    lookbacks = np.stack([y[r - 11 : r + 1] for r in rows])  # lookback 12, ending at each origin
    naive = np.abs(lookbacks[:, season:] - lookbacks[:, :-season]).mean()
    expected = (backtest["y"] - backtest["y_actual"]).abs().mean() / naive
    got = fc.evaluate(val, scale="original", season=season)["mase"]
    np.testing.assert_allclose(got, expected, rtol=1e-4)
    for bad in (0, 12, 2.5, True):
        with pytest.raises(ConfigError, match=rf"season must be an int in \[1, lookback = 12\).*"
                                              rf"season={bad!r}"):
            fc.evaluate(val, season=bad)  # type: ignore[arg-type]


def test_evaluate_by_series_scores_each_series_as_its_backtest_does() -> None:
    frame = panel_frame(n_series=3, n=80)  # levels 10, 20, 30
    frame = frame[~((frame["id"] == "s1") & (frame["time"] < "2024-01-01 10:00"))]  # s1 shorter
    fc = Forecaster(target="y", time_col="time", id_col="id", past_covariates=["load"], **TINY)
    fc.fit(frame, calibration_df=frame)
    per_series = fc.evaluate(frame, scale="original", levels=[0.8], by_series=True)
    assert per_series.index.name == "id" and per_series.index.tolist() == ["s0", "s1", "s2"]
    backtest = fc.backtest(frame)
    errors = (backtest["y"] - backtest["y_actual"]).groupby(backtest["id"])
    np.testing.assert_allclose(per_series["mae"], errors.apply(lambda e: e.abs().mean()), rtol=1e-4)
    np.testing.assert_allclose(per_series["mse"], errors.apply(lambda e: (e**2).mean()), rtol=1e-4)
    assert per_series["windows"].tolist() == [65, 55, 65]  # 80 (70) rows - 12 - 4 + 1
    pooled = fc.evaluate(frame, scale="original", levels=[0.8])
    weights = per_series["windows"] / per_series["windows"].sum()
    for name in ("mse", "mae", "smape", "coverage_80", "width_80"):  # window means: they pool
        assert pooled[name] == pytest.approx(float((per_series[name] * weights).sum()), rel=1e-6)
    one = tiny().fit(wide_frame(80)).evaluate(wide_frame(80), by_series=True)
    assert one.index.name == "series" and len(one) == 1
    # evaluate_all: the same three answers from one pass of the network instead of three
    batches: list[int] = []
    hook = fc.network_.register_forward_hook(lambda *_: batches.append(1))
    normalised = fc.evaluate(frame, levels=[0.8])
    one_pass = len(batches)
    every = fc.evaluate_all(frame, levels=[0.8], by_series=True)
    hook.remove()
    assert one_pass > 0 and len(batches) == 2 * one_pass
    assert every.normalised == normalised and every.original == pooled
    assert every.by_series is not None
    pd.testing.assert_frame_equal(every.by_series, per_series)
    assert fc.evaluate_all(frame).by_series is None
    assert set(one.columns) == {"mse", "mae", "smape", "mase", "windows"}


def test_fit_passes_on_no_lightning_advert_or_internal_warning(
    caplog: pytest.LogCaptureFixture, recwarn: pytest.WarningsRecorder
) -> None:
    with caplog.at_level(logging.INFO):
        tiny().fit(wide_frame(n=80))
    lightning = [r.getMessage() for r in caplog.records if r.name.startswith("lightning")]
    assert any("GPU available" in message for message in lightning)  # its other lines stay
    assert not any("litlogger" in message for message in lightning)
    assert not [w for w in recwarn if "LeafSpec" in str(w.message)]


def test_predict_before_fit_raises_not_fitted() -> None:
    with pytest.raises(NotFittedError, match="not fitted yet"):
        tiny().predict(wide_frame(40))


def test_scikit_learn_conventions() -> None:
    fc = tiny(hidden_size=16)
    assert fc.get_params()["hidden_size"] == 16
    assert clone(fc).get_params() == fc.get_params()
    assert fc.set_params(cell="gru").cell == "gru"
    assert not hasattr(fc, "network_")  # __init__ only stores parameters


def test_auto_architecture_is_resolved_at_fit_and_kept_by_save(tmp_path) -> None:
    train, val = split(wide_frame(160), 120)
    fc = tiny(target=["y", "x"], horizon=12).fit(train, val_df=val)  # two targets, no covariate
    network = fc.network_.config
    assert (network.revin, network.channel_independent, network.segment_length) == (True, True, 3)
    assert (fc.revin, fc.channel_independent, fc.segment_length) == ("auto", "auto", "auto")
    loaded = Forecaster.load(fc.save(tmp_path / "model"))
    assert loaded.network_.config == network
    pd.testing.assert_frame_equal(loaded.predict(val), fc.predict(val))
    with_covariate = tiny(past_covariates=["x"], input_attention=True).fit(train, val_df=val)
    assert (with_covariate.network_.config.revin,
            with_covariate.network_.config.channel_independent) == (True, False)


def test_calendar_features_are_off_unless_asked_for() -> None:
    train, val = split(wide_frame(160), 120)  # hourly: 'auto' finds the hour cycle repeating
    defaults = {k: v for k, v in TINY.items() if k != "calendar_features"}
    plain = Forecaster(target=["y"], time_col="date", **defaults).fit(train, val_df=val)
    assert plain.calendar_features == "none" and plain.network_.config.n_future == 0
    auto = Forecaster(target=["y"], time_col="date", calendar_features="auto", **defaults)
    assert auto.fit(train, val_df=val).network_.config.n_future == 2  # hour sin and cos


def test_loading_and_predicting_never_import_lightning(tmp_path) -> None:
    """Scheduled jobs load and forecast in a fresh process: Lightning's seconds of import
    are for training only."""
    train, val = split(wide_frame(160), 120)
    fc = tiny().fit(train)
    fc.save(tmp_path / "model")
    val.to_csv(tmp_path / "history.csv", index=False)
    script = (
        "import sys, pandas as pd\n"
        "from tsattn import Forecaster\n"
        f"model = Forecaster.load({str(tmp_path / 'model')!r})\n"
        f"history = pd.read_csv({str(tmp_path / 'history.csv')!r}, parse_dates=['date'])\n"
        f"model.predict(history).to_csv({str(tmp_path / 'forecast.csv')!r}, index=False)\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'lightning'))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          check=True, env={**os.environ, "OMP_NUM_THREADS": "1"})
    assert done.stdout.strip() == "[]"
    written = pd.read_csv(tmp_path / "forecast.csv", parse_dates=["date"])
    np.testing.assert_allclose(written["y"], fc.predict(val)["y"], rtol=1e-5)


def test_saving_over_a_model_keeps_a_loadable_model(tmp_path) -> None:
    train, val = split(wide_frame(160), 120)
    path = tmp_path / "model"
    first = tiny(seed=1).fit(train)
    first.save(path)
    second = tiny(seed=2).fit(train)
    second.save(path)
    pd.testing.assert_frame_equal(Forecaster.load(path).predict(val), second.predict(val))
    (tmp_path / "not_a_model").mkdir()
    (tmp_path / "not_a_model" / "notes.txt").write_text("keep me")
    with pytest.raises(Exception, match="refusing to overwrite"):
        second.save(tmp_path / "not_a_model")
    assert (tmp_path / "not_a_model" / "notes.txt").read_text() == "keep me"


def test_a_model_saved_with_the_old_track_setting_still_loads(tmp_path) -> None:
    """`track` was a Forecaster parameter until tracking became an observer."""
    import json

    train, val = split(wide_frame(160), 120)
    fc = tiny(max_epochs=1).fit(train)
    state_file = fc.save(tmp_path / "model") / "forecaster.json"
    state = json.loads(state_file.read_text())
    state["params"]["track"] = True
    state_file.write_text(json.dumps(state))
    loaded = Forecaster.load(tmp_path / "model")
    assert "track" not in loaded.get_params()
    pd.testing.assert_frame_equal(loaded.predict(val), fc.predict(val))
