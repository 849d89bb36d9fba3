"""B2 systems, one worker function each: train on ETTh1 (H = 96) for a fixed number of epochs, then
forecast every test window; the same workload for tsattn and each peer.

Workload (shared BENCHMARKS.md, B2): B1's split and z-score, L = 96, H = 96, hidden 64, one layer,
batch 32, Adam 1e-3, MSE loss, no validation or early stopping. Peers get the z-scored arrays;
tsattn gets the raw frame and applies the same train z-score itself. Multivariate systems (tsattn,
Darts) see windows of all 7 channels; channel-independent ones (NeuralForecast, PyTorch Forecasting)
see the 7 channels as 7 series, so "series-windows" (windows x channels they cover) is the unit
that compares them. ``n_train`` / ``n_test`` below are in each system's own window unit.
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd

from benchmarks import protocol
from benchmarks.machine import current_rss_mb

DATASET = "etth1"


def _data(lookback: int, horizon: int, max_train_rows: int | None):
    """Scaled splits, optionally cut to the last ``max_train_rows`` train rows (smoke runs)."""
    data = protocol.scaled_splits(DATASET, lookback)
    if max_train_rows:
        data = protocol.Scaled(
            data.train[-max_train_rows:], data.val, data.test[: 2 * (lookback + horizon)],
            data.columns,
        )
    return data


def _report(
    *, fit_s: float, counter, batch_size: int, predict_s: float, epochs: int, n_train: int,
    n_test: int, channels_per_window: int, metrics: dict[str, float], rss_setup: float,
    **extra: object,
) -> dict[str, object]:
    """Throughputs from the training loop's own time (``counter``), dataset building excluded."""
    trained = batch_size * counter.batches if counter.capped else n_train * epochs
    loop_s = counter.seconds or fit_s
    return {
        "fit_s": fit_s, "train_loop_s": loop_s, "epochs": epochs, "capped": counter.capped,
        "epochs_done": trained / n_train, "s_per_epoch": loop_s * n_train / trained,
        "train_windows_per_s": trained / loop_s,
        "train_series_windows_per_s": trained * channels_per_window / loop_s,
        "predict_s": predict_s, "infer_windows_per_s": n_test / predict_s,
        "infer_series_windows_per_s": n_test * channels_per_window / predict_s,
        "test_mse": metrics["mse"], "test_mae": metrics["mae"], "rss_setup_mb": rss_setup,
        "n_train_windows": n_train, "n_test_windows": n_test,
        "channels_per_window": channels_per_window, **extra,
    }


def _long(arr: np.ndarray, columns: list[str], start: pd.Timestamp) -> pd.DataFrame:
    """(T, C) -> long frame (unique_id, ds, time_idx, y), the channels as separate series."""
    t, c = arr.shape
    return pd.DataFrame({
        "unique_id": np.repeat(np.asarray(columns, dtype=object), t),
        "ds": np.tile(pd.date_range(start, periods=t, freq="h"), c),
        "time_idx": np.tile(np.arange(t, dtype=np.int64), c),
        "y": arr.T.reshape(-1).astype(np.float32),
    })


def _train_counter(namespace: str, max_train_s: float | None):
    """A Lightning callback (of ``namespace``'s flavour) that times the training loop, counts its
    batches and, past ``max_train_s``, stops training after the current batch.

    Darts and NeuralForecast run on ``pytorch_lightning``, tsattn and PyTorch Forecasting on
    ``lightning.pytorch``; a callback must subclass the one its Trainer uses.
    """
    import importlib

    pl = importlib.import_module(namespace)

    class TrainCounter(pl.Callback):  # type: ignore[misc,name-defined]
        def __init__(self) -> None:
            self.batches, self.epochs, self.capped = 0, 0, False
            self.start = self.seconds = 0.0

        def on_train_start(self, trainer, pl_module) -> None:
            self.start = time.perf_counter()

        def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx) -> None:
            self.batches += 1
            if max_train_s and time.perf_counter() - self.start > max_train_s:
                self.capped = trainer.should_stop = True

        def on_train_epoch_end(self, trainer, pl_module) -> None:
            self.epochs += 0 if self.capped else 1

        def on_train_end(self, trainer, pl_module) -> None:
            self.seconds = time.perf_counter() - self.start

    return TrainCounter()


def tsattn_model(
    epochs: int, lookback: int, horizon: int, batch_size: int, max_train_rows: int | None,
    max_train_s: float | None, config: str,
) -> dict[str, object]:
    """tsattn: the model of ``config`` (configs/etth1.yaml) with B2's workload, via Forecaster."""
    import yaml

    from tsattn import Forecaster

    df = protocol.load(DATASET)
    train, _, test = protocol.split_rows(df, DATASET, lookback)
    if max_train_rows:
        train, test = train.iloc[-max_train_rows:], test.iloc[: 2 * (lookback + horizon)]
    spec = yaml.safe_load((protocol.REPO_ROOT / config).read_text())["forecaster"]
    spec.update(
        lookback=lookback, horizon=horizon, hidden_size=64, num_layers=1, batch_size=batch_size,
        learning_rate=1e-3, max_epochs=epochs, patience=None, enable_progress_bar=False,
        accelerator="cpu", loss="mse",
    )
    counter = _train_counter("lightning.pytorch", max_train_s)
    rss_setup = current_rss_mb()
    start = time.perf_counter()
    model = Forecaster(**spec).fit(train, callbacks=[counter])
    fit_s = time.perf_counter() - start
    start = time.perf_counter()
    metrics = model.evaluate(test, stride=1)
    predict_s = time.perf_counter() - start
    return _report(
        fit_s=fit_s, counter=counter, batch_size=batch_size, predict_s=predict_s, epochs=epochs,
        n_train=len(train) - lookback - horizon + 1, n_test=len(test) - lookback - horizon + 1,
        channels_per_window=len(spec["target"]), metrics=metrics, rss_setup=rss_setup,
        config=config, cell=spec["cell"], attention=spec["attention"], revin=spec.get("revin"),
        channel_independent=spec.get("channel_independent", False),
        segment_length=spec.get("segment_length", 1),
    )


def _darts(
    model_cls, kwargs: dict, epochs: int, lookback: int, horizon: int, batch_size: int,
    max_train_rows: int | None, max_train_s: float | None,
) -> dict[str, object]:
    from darts import TimeSeries

    data = _data(lookback, horizon, max_train_rows)
    idx = pd.date_range("2016-07-01", periods=len(data.train), freq="h")
    test_idx = pd.date_range(idx[-1] + pd.Timedelta(hours=1), periods=len(data.test), freq="h")
    train_ts, test_ts = (
        TimeSeries.from_times_and_values(i, a.astype(np.float32), columns=data.columns)
        for i, a in ((idx, data.train), (test_idx, data.test))
    )
    counter = _train_counter("pytorch_lightning", max_train_s)
    model = model_cls(
        input_chunk_length=lookback, output_chunk_length=horizon, batch_size=batch_size,
        n_epochs=epochs, optimizer_kwargs={"lr": 1e-3}, random_state=0,
        pl_trainer_kwargs={
            "accelerator": "cpu", "enable_progress_bar": False, "logger": False,
            "enable_checkpointing": False, "enable_model_summary": False, "callbacks": [counter],
        },
        **kwargs,
    )
    rss_setup = current_rss_mb()
    start = time.perf_counter()
    model.fit(train_ts, verbose=False)
    fit_s = time.perf_counter() - start
    start = time.perf_counter()
    forecasts = model.historical_forecasts(
        test_ts, start=lookback, start_format="position", forecast_horizon=horizon, stride=1,
        retrain=False, last_points_only=False, overlap_end=False, verbose=False,
    )
    predict_s = time.perf_counter() - start
    pred = np.stack([f.values() for f in forecasts])  # -> (W, H, C)
    _, y = protocol.windows(data.test, lookback, horizon)
    return _report(
        fit_s=fit_s, counter=counter, batch_size=batch_size, predict_s=predict_s, epochs=epochs,
        n_train=len(data.train) - lookback - horizon + 1, n_test=len(pred),
        channels_per_window=len(data.columns), metrics=protocol.mse_mae(pred, y),
        rss_setup=rss_setup,
    )


def darts_block_rnn(
    epochs: int, lookback: int, horizon: int, batch_size: int, max_train_rows: int | None,
    max_train_s: float | None,
) -> dict[str, object]:
    """Darts ``BlockRNNModel`` (LSTM encoder, dense multi-step head), multivariate."""
    from darts.models import BlockRNNModel

    kwargs = {"model": "LSTM", "hidden_dim": 64, "n_rnn_layers": 1}
    return _darts(BlockRNNModel, kwargs, epochs, lookback, horizon, batch_size, max_train_rows,
                  max_train_s)


def darts_tft(
    epochs: int, lookback: int, horizon: int, batch_size: int, max_train_rows: int | None,
    max_train_s: float | None,
) -> dict[str, object]:
    """Darts ``TFTModel``, deterministic (MSE loss), relative time index as its known input."""
    import torch
    from darts.models import TFTModel

    kwargs = {"hidden_size": 64, "lstm_layers": 1, "num_attention_heads": 4, "likelihood": None,
              "loss_fn": torch.nn.MSELoss(), "add_relative_index": True}
    return _darts(TFTModel, kwargs, epochs, lookback, horizon, batch_size, max_train_rows,
                  max_train_s)


def neuralforecast_lstm(
    epochs: int, lookback: int, horizon: int, batch_size: int, max_train_rows: int | None,
    max_train_s: float | None,
) -> dict[str, object]:
    """NeuralForecast ``LSTM``, channel-independent: each step samples ``batch_size`` windows.

    NeuralForecast counts steps, not epochs: ``max_steps`` = epochs x ceil(train windows / batch),
    so it sees as many windows as an epoch-based system. Test windows are predicted as separate
    series (one per window and channel), the way ``NeuralForecast.predict`` takes many series.
    """
    from neuralforecast import NeuralForecast
    from neuralforecast.losses.pytorch import MSE
    from neuralforecast.models import LSTM

    data = _data(lookback, horizon, max_train_rows)
    n_channels = len(data.columns)
    n_train = n_channels * (len(data.train) - lookback - horizon + 1)
    steps_per_epoch = -(-n_train // batch_size)
    counter = _train_counter("pytorch_lightning", max_train_s)
    model = LSTM(
        h=horizon, input_size=lookback, encoder_hidden_size=64, encoder_n_layers=1,
        decoder_hidden_size=64, loss=MSE(), learning_rate=1e-3, max_steps=epochs * steps_per_epoch,
        batch_size=n_channels, windows_batch_size=batch_size, valid_batch_size=1024,
        val_check_steps=10**9, random_seed=0, accelerator="cpu", enable_progress_bar=False,
        logger=False, enable_checkpointing=False, enable_model_summary=False, callbacks=[counter],
    )
    nf = NeuralForecast(models=[model], freq="h")
    train_long = _long(data.train, data.columns, pd.Timestamp("2016-07-01"))
    x, y = protocol.windows(data.test, lookback, horizon)  # (W, L, C), (W, H, C)
    w = x.shape[0]
    hist = pd.DataFrame({
        "unique_id": np.repeat(np.arange(w * n_channels), lookback),  # id = channel * W + window
        "ds": np.tile(pd.date_range("2020-01-01", periods=lookback, freq="h"), w * n_channels),
        "y": x.transpose(2, 0, 1).reshape(-1).astype(np.float32),
    })
    rss_setup = current_rss_mb()
    start = time.perf_counter()
    nf.fit(train_long[["unique_id", "ds", "y"]])
    fit_s = time.perf_counter() - start
    # NeuralForecast trains deep copies of the models it was given: read the copy's counter.
    counter = next(
        cb for cb in nf.models[0].trainer_kwargs["callbacks"] if type(cb) is type(counter)
    )
    start = time.perf_counter()
    out = nf.predict(df=hist)
    predict_s = time.perf_counter() - start
    out = out.sort_values(["unique_id", "ds"])
    pred = out["LSTM"].to_numpy().reshape(n_channels, w, horizon).transpose(1, 2, 0)  # -> (W, H, C)
    if not counter.capped:  # one "epoch" = steps_per_epoch steps; the loop ran them all
        counter.batches = epochs * steps_per_epoch
    return _report(
        fit_s=fit_s, counter=counter, batch_size=batch_size, predict_s=predict_s, epochs=epochs,
        n_train=n_train, n_test=w * n_channels, channels_per_window=1,
        metrics=protocol.mse_mae(pred, y), rss_setup=rss_setup, max_steps=epochs * steps_per_epoch,
    )


def _pytorch_forecasting(
    model_name: str, epochs: int, lookback: int, horizon: int, batch_size: int,
    max_train_rows: int | None, max_train_s: float | None,
) -> dict[str, object]:
    import lightning.pytorch as pl
    from pytorch_forecasting import RecurrentNetwork, TemporalFusionTransformer, TimeSeriesDataSet
    from pytorch_forecasting.metrics import RMSE

    pl.seed_everything(0, verbose=False)
    data = _data(lookback, horizon, max_train_rows)
    train_long = _long(data.train, data.columns, pd.Timestamp("2016-07-01"))
    test_long = _long(data.test, data.columns, pd.Timestamp("2018-01-01"))
    tft = model_name == "tft"
    counter = _train_counter("lightning.pytorch", max_train_s)
    rss_setup = current_rss_mb()
    start = time.perf_counter()
    train_ds = TimeSeriesDataSet(
        train_long, time_idx="time_idx", target="y", group_ids=["unique_id"],
        max_encoder_length=lookback, min_encoder_length=lookback,
        max_prediction_length=horizon, min_prediction_length=horizon,
        time_varying_unknown_reals=["y"], add_relative_time_idx=tft,
    )
    # RMSE's squared error with a plain mean reduction is MSE (the package ships no MSE class).
    common = {"learning_rate": 1e-3, "loss": RMSE(reduction="mean"), "optimizer": "adam"}
    if tft:
        model = TemporalFusionTransformer.from_dataset(
            train_ds, hidden_size=64, lstm_layers=1, attention_head_size=4, **common
        )
    else:
        model = RecurrentNetwork.from_dataset(
            train_ds, cell_type="LSTM", hidden_size=64, rnn_layers=1, **common
        )
    trainer = pl.Trainer(
        max_epochs=epochs, accelerator="cpu", enable_progress_bar=False, logger=False,
        enable_checkpointing=False, enable_model_summary=False, limit_val_batches=0,
        callbacks=[counter],
    )
    trainer.fit(model, train_dataloaders=train_ds.to_dataloader(train=True, batch_size=batch_size))
    fit_s = time.perf_counter() - start
    test_ds = TimeSeriesDataSet.from_dataset(
        train_ds, test_long, predict=False, stop_randomization=True
    )
    start = time.perf_counter()
    out = model.predict(
        test_ds.to_dataloader(train=False, batch_size=256), mode="prediction", return_y=True,
        trainer_kwargs={"accelerator": "cpu", "enable_progress_bar": False, "logger": False},
    )
    predict_s = time.perf_counter() - start
    return _report(
        fit_s=fit_s, counter=counter, batch_size=batch_size, predict_s=predict_s, epochs=epochs,
        n_train=len(train_ds), n_test=len(test_ds), channels_per_window=1,
        metrics=protocol.mse_mae(out.output.numpy(), out.y[0].numpy()), rss_setup=rss_setup,
    )


def pytorch_forecasting_rnn(
    epochs: int, lookback: int, horizon: int, batch_size: int, max_train_rows: int | None,
    max_train_s: float | None,
) -> dict[str, object]:
    """PyTorch Forecasting ``RecurrentNetwork`` (LSTM), channel-independent."""
    return _pytorch_forecasting("rnn", epochs, lookback, horizon, batch_size, max_train_rows,
                                max_train_s)


def pytorch_forecasting_tft(
    epochs: int, lookback: int, horizon: int, batch_size: int, max_train_rows: int | None,
    max_train_s: float | None,
) -> dict[str, object]:
    """PyTorch Forecasting ``TemporalFusionTransformer``, channel-independent, MSE loss."""
    return _pytorch_forecasting("tft", epochs, lookback, horizon, batch_size, max_train_rows,
                                max_train_s)
