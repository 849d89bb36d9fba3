"""Plug-ins attach to `Forecaster` from outside: fit observers and model location schemes.

The observers here are plain Python (no MLflow), which is the point: the estimator offers the
hooks, and tracking is one user of them among any others.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import lightning.pytorch as L
import pandas as pd
import pytest
from synthetic import wide_frame

from tsattn import Forecaster, TsattnError, extensions
from tsattn.tracking import FIT_TRACKER

TINY = dict(
    target=["y"], time_col="date", lookback=12, horizon=4, hidden_size=8, max_epochs=3,
    batch_size=32, patience=None, enable_progress_bar=False, accelerator="cpu",
)  # fmt: skip


class Recorder:
    """Watches every fit: keeps each epoch's metrics, the fitted model, and the outcome."""

    def __init__(self, fail_to_start: bool = False) -> None:
        self.fail_to_start = fail_to_start
        self.epochs: list[tuple[int, dict[str, float]]] = []
        self.fitted: list[Forecaster] = []
        self.outcome: str | None = None

    def watch(
        self, forecaster: Forecaster, train_df: pd.DataFrame, val_df: pd.DataFrame | None
    ) -> Any:
        return self._watch()

    @contextmanager
    def _watch(self) -> Iterator[extensions.FitWatch]:
        if self.fail_to_start:
            raise TsattnError("the recorder's store is unreachable")
        try:
            yield extensions.FitWatch(epoch_sinks=[self._epoch], on_fitted=[self._fitted])
            self.outcome = "fitted"
        except BaseException as err:
            self.outcome = f"failed: {err}"
            raise

    def _epoch(self, epoch: int, metrics: Mapping[str, float]) -> None:
        self.epochs.append((epoch, dict(metrics)))

    def _fitted(self, forecaster: Forecaster, val_df: pd.DataFrame | None) -> None:
        self.fitted.append(forecaster)


@pytest.fixture
def recorder() -> Iterator[Recorder]:
    observer = Recorder()
    extensions.add_fit_observer(observer)
    yield observer
    extensions.remove_fit_observer(observer)


def _frames() -> tuple[pd.DataFrame, pd.DataFrame]:
    frame = wide_frame(160)
    return frame.iloc[:120], frame.iloc[108:]


def test_an_observer_gets_every_epoch_as_history_records_it(recorder: Recorder) -> None:
    train, val = _frames()
    fc = Forecaster(**TINY).fit(train, val_df=val)
    merged: dict[int, dict[str, float]] = {}
    for epoch, metrics in recorder.epochs:
        merged.setdefault(epoch, {}).update(metrics)
    history = fc.history_.set_index("epoch")
    assert sorted(merged) == history.index.tolist() == [0, 1, 2]
    for epoch, metrics in merged.items():
        assert set(metrics) == set(history.columns)
        for name, value in metrics.items():
            assert value == pytest.approx(history.loc[epoch, name], rel=1e-6)
    # validation metrics arrive before the epoch's training metrics (pruning reads them first)
    first = [name for _, metrics in recorder.epochs[:2] for name in metrics]
    assert first[0].startswith("val_") and "train_loss" in first
    assert recorder.fitted == [fc] and recorder.outcome == "fitted"


def test_an_observer_that_cannot_start_stops_the_fit_before_training() -> None:
    observer = Recorder(fail_to_start=True)
    extensions.add_fit_observer(observer)
    try:
        fc = Forecaster(**TINY)
        with pytest.raises(TsattnError, match="unreachable"):
            fc.fit(*_frames())
    finally:
        extensions.remove_fit_observer(observer)
    assert not hasattr(fc, "network_") and observer.epochs == []


class _CrashAfterFirstEpoch(L.Callback):
    def on_train_epoch_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        raise RuntimeError("simulated crash")


def test_an_observer_sees_the_fit_fail_and_bad_data_never_reaches_it(recorder: Recorder) -> None:
    train, _ = _frames()
    with pytest.raises(Exception, match="'nope'"):
        Forecaster(**{**TINY, "target": ["nope"]}).fit(train)
    assert recorder.outcome is None  # validated before any observer opens: no empty runs
    with pytest.raises(RuntimeError, match="simulated crash"):
        Forecaster(**TINY).fit(train, callbacks=[_CrashAfterFirstEpoch()])
    assert recorder.outcome == "failed: simulated crash"
    assert recorder.fitted == [] and [epoch for epoch, _ in recorder.epochs] == [0]


def test_without_the_tracker_a_fit_inside_an_mlflow_run_is_not_logged(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The estimator does not know MLflow: only the registered tracker makes a run tracked."""
    import mlflow

    monkeypatch.chdir(tmp_path)  # the store's default artifact root is relative to it
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    mlflow.set_tracking_uri(uri)
    extensions.remove_fit_observer(FIT_TRACKER)
    try:
        with mlflow.start_run() as run:
            Forecaster(**{**TINY, "max_epochs": 1}).fit(_frames()[0])
        logged = mlflow.MlflowClient(uri).get_run(run.info.run_id).data
        assert logged.metrics == {} and logged.params == {}
    finally:
        extensions.add_fit_observer(FIT_TRACKER)
        mlflow.set_tracking_uri(None)


def test_a_registered_scheme_resolves_load_locations(tmp_path: Path) -> None:
    train, val = _frames()
    fc = Forecaster(**{**TINY, "max_epochs": 1}).fit(train)
    fc.save(tmp_path / "saved")
    extensions.add_location_scheme("shelf:/", lambda uri: tmp_path / uri.removeprefix("shelf:/"))
    try:
        loaded = Forecaster.load("shelf:/saved")
    finally:
        extensions._schemes.pop("shelf:/")
    pd.testing.assert_frame_equal(loaded.predict(val), fc.predict(val))


def test_an_unknown_scheme_is_named_with_the_known_ones() -> None:
    with pytest.raises(TsattnError, match=r"'s3:/'.*registered: models:/, runs:/"):
        Forecaster.load("s3://bucket/model")
