"""`Forecaster.backtest(refit=...)`: a fresh clone fitted on the history up to each refit origin,
scored into the same frame as the no-refit backtest."""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from synthetic import panel_frame, wide_frame

from tsattn import ConfigError, DataValidationError, Forecaster, NotFittedError, extensions
from tsattn.backtesting import refit_backtest

TINY = dict(
    lookback=12, horizon=4, hidden_size=8, max_epochs=2, batch_size=32, patience=None,
    enable_progress_bar=False, accelerator="cpu", calendar_features="none",
)  # fmt: skip
FIRST_USABLE = 15  # row of the first origin with lookback + horizon = 16 rows up to it


def tiny(**overrides: object) -> Forecaster:
    return Forecaster(**{**TINY, "target": ["y"], "time_col": "date", "past_covariates": ["x"],
                         **overrides})  # fmt: skip


@pytest.fixture
def fits(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts trainings: one entry (the training windows) per call of `train_network`."""
    import tsattn.training

    calls: list[int] = []
    real = tsattn.training.train_network

    def counted(*args: Any, **kwargs: Any) -> Any:
        calls.append(len(kwargs["train"]))
        return real(*args, **kwargs)

    monkeypatch.setattr(tsattn.training, "train_network", counted)
    return calls


def test_refit_false_is_the_no_refit_backtest() -> None:
    frame = wide_frame(60)
    fc = tiny().fit(frame.iloc[:40])
    plain = fc.backtest(frame, stride=2)
    assert plain["origin"].nunique() == len(range(11, 60 - 4, 2))  # every window, from row 11
    pd.testing.assert_frame_equal(fc.backtest(frame, stride=2, refit=False), plain)
    pd.testing.assert_frame_equal(fc.backtest(frame, stride=2, refit=np.False_), plain)
    with pytest.raises(NotFittedError, match="not fitted yet"):
        tiny().backtest(frame, refit=False)


@pytest.mark.parametrize("refit", [True, 3])
def test_refit_frame_is_the_no_refit_frame_from_the_first_usable_origin(
    refit: bool | int, fits: list[int]
) -> None:
    frame = wide_frame(48)
    origins = frame["date"].iloc[FIRST_USABLE : 48 - 4 : 4].tolist()  # 15, 19, ..., 43: eight
    plain = tiny().fit(frame).backtest(frame, stride=4)
    fits.clear()
    refitted = tiny().backtest(frame, stride=4, refit=refit)  # an unfitted model may refit
    every = 1 if refit is True else refit
    assert len(fits) == math.ceil(len(origins) / every) == (8 if refit is True else 3)
    # expanding windows: the refit at row r trains on rows 0..r, r - 15 windows of 16 rows
    assert fits == [r - FIRST_USABLE + 1 for r in range(FIRST_USABLE, 44, 4 * every)]
    expected = plain[plain["origin"] >= origins[0]].reset_index(drop=True)
    assert list(refitted.columns) == list(plain.columns) == ["origin", "step", "date", "y",
                                                             "y_actual"]  # fmt: skip
    pd.testing.assert_series_equal(refitted.dtypes, plain.dtypes)
    assert refitted["origin"].unique().tolist() == origins
    pd.testing.assert_frame_equal(refitted.drop(columns="y"), expected.drop(columns="y"))
    assert np.isfinite(refitted["y"]).all()
    assert not np.allclose(refitted["y"], expected["y"])  # other models than the one fit


def test_each_origin_is_forecast_by_its_refit_as_fit_and_predict_would() -> None:
    frame = wide_frame(48)
    result = refit_backtest(tiny(), frame, stride=4, refit=3)
    origins = frame["date"].iloc[FIRST_USABLE:44:4]
    assert result.refit_origins == origins.iloc[::3].tolist()  # rows 15, 27, 39
    first, reused = origins.iloc[0], origins.iloc[2]  # the refit at row 15 forecasts both
    model = tiny().fit(frame[frame["date"] <= first])
    for origin in (first, reused):
        rows = result.frame[result.frame["origin"] == origin]
        forecast = model.predict(frame[frame["date"] <= origin])
        assert forecast["date"].tolist() == rows["date"].tolist()
        np.testing.assert_allclose(rows["y"], forecast["y"], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("cut", [23, 27])  # a refit origin, and one that reuses the refit at 23
def test_no_forecast_changes_when_the_data_after_its_origin_does(cut: int) -> None:
    clean = wide_frame(48)
    garbage = clean.copy()
    rng = np.random.default_rng(1)
    garbage.loc[cut + 1 :, ["y", "x"]] = rng.uniform(-1e6, 1e6, size=(48 - cut - 1, 2))
    before = refit_backtest(tiny(), clean, stride=4, refit=2)  # refits at rows 15, 23, 31, 39
    after = refit_backtest(tiny(), garbage, stride=4, refit=2)
    assert after.refit_origins == before.refit_origins
    origin = clean["date"].iloc[cut]
    early = before.frame["origin"] <= origin
    forecasts = ["origin", "step", "date", "y"]
    assert early.sum() == 4 * len(range(FIRST_USABLE, cut + 1, 4))
    pd.testing.assert_frame_equal(after.frame.loc[early, forecasts],
                                  before.frame.loc[early, forecasts])  # fmt: skip
    later = before.frame.groupby("origin")["y"].mean()[lambda s: s.index > origin]
    changed = after.frame.groupby("origin")["y"].mean()[later.index]
    assert len(later) >= 4 and (np.abs(changed - later) > 1e-3).all()  # each later one moves


def test_a_panel_series_joins_the_first_refit_with_enough_of_its_history() -> None:
    frame = panel_frame(n_series=2, n=48).rename(columns={"time": "date", "load": "x"})
    late = frame["date"] >= pd.Timestamp("2024-01-01 05:00")
    frame = frame[(frame["id"] == "s0") | late]  # s1 starts 5 h late: its origins are even hours
    fc = tiny(id_col="id")
    result = refit_backtest(fc, frame, stride=2, refit=2)
    hour = pd.Timedelta(hours=1)
    start = pd.Timestamp("2024-01-01")
    # distinct usable origins: s0's odd hours from 15:00, s1's even hours from 20:00 (5 + 15)
    usable = sorted({*(start + hour * h for h in range(15, 44, 2)),
                     *(start + hour * h for h in range(20, 44, 2))})  # fmt: skip
    assert result.refit_origins == usable[::2]
    assert result.refit_origins[:3] == [start + hour * h for h in (15, 19, 21)]
    s1 = result.frame.loc[result.frame["id"] == "s1", "origin"]
    # s1 is usable from 20:00, but the refit at 19:00 had too little of it to train on and the
    # next one is at 21:00, so its first forecast comes from that refit, at 22:00
    assert s1.min() == start + hour * 22
    plain = clone(fc).fit(frame).backtest(frame, stride=2)
    starts = {"s0": start + hour * 15, "s1": start + hour * 22}
    expected = plain[plain["origin"] >= plain["id"].map(starts)].reset_index(drop=True)
    pd.testing.assert_frame_equal(result.frame.drop(columns="y"), expected.drop(columns="y"))


def test_times_in_the_index_and_a_time_zone_cut_the_history_at_the_same_instants() -> None:
    frame = wide_frame(40)
    frame = frame.set_index(frame["date"].dt.tz_localize("Europe/Berlin")).drop(columns="date")
    fc = tiny(time_col=None)
    result = refit_backtest(fc, frame, stride=4, refit=2)
    assert result.refit_origins == frame.index[[15, 23, 31]].tolist()
    plain = clone(fc).fit(frame).backtest(frame, stride=4)
    expected = plain[plain["origin"] >= frame.index[15]].reset_index(drop=True)
    assert str(result.frame["origin"].dtype) == "datetime64[ns, Europe/Berlin]"
    pd.testing.assert_frame_equal(result.frame.drop(columns="y"), expected.drop(columns="y"))


class _Counting:
    """A fit observer that counts the fits it is offered."""

    def __init__(self) -> None:
        self.offered = 0

    def watch(self, forecaster: Forecaster, train_df: pd.DataFrame,
              val_df: pd.DataFrame | None) -> Any:
        self.offered += 1
        return _nothing()


@contextmanager
def _nothing() -> Iterator[None]:
    yield None


def test_refits_are_offered_to_no_fit_observer(fits: list[int]) -> None:
    observer = _Counting()
    extensions.add_fit_observer(observer)
    try:
        tiny().backtest(wide_frame(40), stride=4, refit=True)
        assert len(fits) == 6 and observer.offered == 0  # origins at rows 15, 19, ..., 35
        tiny().fit(wide_frame(40))
        assert observer.offered == 1  # a plain fit still is
    finally:
        extensions.remove_fit_observer(observer)


def test_a_refit_backtest_shows_one_bar_of_refits_not_a_banner_per_fit(
    fits: list[int], capfd: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    def lightning_lines() -> list[str]:
        lines = [r.getMessage() for r in caplog.records if r.name.startswith("lightning")]
        caplog.clear()
        return lines

    loud = tiny(enable_progress_bar=True)  # the default
    loud.backtest(wide_frame(40), stride=4, refit=True)
    printed = "".join(capfd.readouterr())
    assert len(fits) == 6 and lightning_lines() == []  # no "GPU available: ..." per refit
    assert "Epoch" not in printed  # no refit draws its epoch bar
    assert re.search(r"refits .*100%", printed)
    tiny(enable_progress_bar=False).backtest(wide_frame(40), stride=4, refit=2)
    assert "refits" not in "".join(capfd.readouterr())  # no bar when bars are off
    loud.fit(wide_frame(40))  # a plain fit keeps Lightning's lines: the muting was undone
    assert any(line.startswith("GPU available") for line in lightning_lines())
    assert "Epoch" in "".join(capfd.readouterr())


@pytest.mark.parametrize("refit", [0, -2, 1.5, "yes", None, [2]])
def test_a_bad_refit_value_raises_before_any_training(refit: object, fits: list[int]) -> None:
    named = re.escape(f"but got refit={refit!r}.")
    with pytest.raises(ConfigError, match=rf"refit must be False, True .* {named}"):
        tiny().backtest(wide_frame(40), refit=refit)  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match=r"refit must be"):
        refit_backtest(tiny(), wide_frame(40), refit=refit)  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match=r"for a backtest without refit call backtest\(df\)"):
        refit_backtest(tiny(), wide_frame(40), refit=False)
    assert fits == []


def test_bad_refit_backtests_raise_before_any_training(fits: list[int]) -> None:
    frame = wide_frame(40)
    with pytest.raises(ConfigError, match=r"levels=\[0.8\] cannot be combined with refit"):
        tiny().backtest(frame, refit=True, levels=[0.8])
    with pytest.raises(ConfigError, match="hidden_size"):
        tiny(hidden_size=0).backtest(frame, refit=2)
    with pytest.raises(DataValidationError, match=r"stride must be a positive int"):
        tiny().backtest(frame, refit=True, stride=0)
    with pytest.raises(DataValidationError, match=r"^df: .*'nope'"):
        tiny(target=["nope"]).backtest(frame, refit=True)
    # 19 rows: windows exist (the no-refit backtest scores 4), but none has 16 rows before it
    with pytest.raises(
        DataValidationError,
        match=r"first such origin is row 16 of a series, which needs at least 20 rows, but the "
        r"longest series has 19",
    ):
        tiny().backtest(frame.iloc[:19], refit=True)
    assert fits == []


def test_a_history_the_refit_rejects_names_the_refits_origin(fits: list[int]) -> None:
    frame = wide_frame(40)
    frame.loc[:15, "x"] = 1.0  # constant over the first refit's history only
    with pytest.raises(DataValidationError, match=r"refit at origin 2024-01-01 15:00:00 .*'x'"):
        tiny().backtest(frame, refit=True)
    assert fits == []
