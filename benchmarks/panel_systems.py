"""B6 peers, one worker function each, run in the peers' environment (``benchmarks/.venv-peers``):
NeuralForecast ``LSTM`` and Darts ``BlockRNNModel`` on the same M4 Hourly series, split and test
values as tsattn in ``benchmarks/panel.py``.

Protocol (the same as tsattn's): every training row minus its last 48 values is trained on; those
48 values with the 168 before them are the validation window (one per series), which keeps the
best checkpoint; the 48 test values are forecast from the whole training row. Nothing is chosen on
the test values, which the workers never read: they return point forecasts, and ``panel.py``
scores them with its own M4 metric code.

Comparable to tsattn's defaults: lookback (``input_size`` / ``input_chunk_length``) 168,
horizon 48, one LSTM layer of 64, Adam at 1e-3, MSE loss, 256 windows a batch, per-series
z-scores fitted on the training part (tsattn's own scaling, done here by hand: both peers' losses
are otherwise on the data scale, where a few large series dominate) plus per-window instance
normalisation (NeuralForecast's ``scaler_type="standard"``, Darts' reversible instance norm;
tsattn's RevIN). Budget: at most tsattn's 8 epochs of windows (8 x 244,618 series-windows), cut
at ``max_train_s`` (panel.py passes tsattn's training-loop time of the same run): training stops
at the last validation point that fits in both. Validation every ``val_every_windows``.
"""

from __future__ import annotations

import copy
import importlib
import time
from typing import Any

import numpy as np
import pandas as pd

from benchmarks.panel import HORIZON, START, load


def _panel(n_series: int | None, lookback: int) -> dict[str, Any]:
    """The rows of panel.py's split, z-scored per series with the training part's mean and std."""
    train, _ = load()
    if n_series:
        train = {s: train[s] for s in list(train)[:n_series]}
    ids = sorted(train)
    stats = {}
    for sid in ids:
        fit = train[sid][:-HORIZON]
        stats[sid] = (float(fit.mean()), float(fit.std()) or 1.0)
    scaled = {sid: ((train[sid] - stats[sid][0]) / stats[sid][1]).astype(np.float32) for sid in ids}
    n_windows = int(sum(len(v) - HORIZON - lookback - HORIZON + 1 for v in train.values()))
    return {"ids": ids, "stats": stats, "scaled": scaled, "windows_per_epoch": n_windows}


def _unscale(points: dict[str, np.ndarray], stats: dict[str, tuple[float, float]]) -> dict:
    return {sid: (np.asarray(p, np.float64) * stats[sid][1] + stats[sid][0]).tolist()
            for sid, p in points.items()}


def _budget(namespace: str, max_train_s: float, max_windows: int, monitor: str,
            windows_per_batch: int | None):
    """A Lightning callback (of ``namespace``'s flavour): times the training loop (validation
    included, as tsattn's figure) and counts its windows (``windows_per_batch`` a batch, or
    the batch's own count when None); stops training at the last validation point
    that fits in ``max_train_s`` and ``max_windows`` (the next chunk is predicted to take as long
    and hold as many windows as the previous one); keeps the weights of the best validation loss
    and restores them when training ends.

    Darts and NeuralForecast run on ``pytorch_lightning``; a callback must subclass that one.
    """
    pl = importlib.import_module(namespace)

    class Budget(pl.Callback):  # type: ignore[misc,name-defined]
        def __init__(self) -> None:
            self.start = self.mark = self.seconds = 0.0
            self.batches, self.windows, self.mark_windows, self.capped = 0, 0, 0, False
            self.best_loss, self.best_windows, self.best_state = float("inf"), 0, None
            self.val_history: list[dict[str, float]] = []

        def on_train_start(self, trainer, pl_module) -> None:
            self.start = self.mark = time.perf_counter()

        def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx) -> None:
            self.batches += 1
            self.windows += windows_per_batch or _batch_len(batch)
            # safety nets only: the stop normally falls on a validation point
            over_time = time.perf_counter() - self.start > 1.5 * max_train_s
            if over_time or self.windows >= max_windows:
                trainer.should_stop, self.capped = True, over_time

        def on_validation_end(self, trainer, pl_module) -> None:
            if trainer.sanity_checking or not self.start:
                return
            now = time.perf_counter()
            loss = float(trainer.callback_metrics[monitor])
            self.val_history.append({"windows": self.windows, "val_loss": loss,
                                     "s": now - self.start})
            if loss < self.best_loss:
                self.best_loss, self.best_windows = loss, self.windows
                self.best_state = copy.deepcopy(pl_module.state_dict())
            chunk, self.mark = now - self.mark, now
            chunk_windows, self.mark_windows = self.windows - self.mark_windows, self.windows
            over_time = now - self.start + chunk > max_train_s
            if over_time or self.windows + chunk_windows > max_windows:
                trainer.should_stop, self.capped = True, over_time

        def on_train_end(self, trainer, pl_module) -> None:
            self.seconds = time.perf_counter() - self.start
            if self.best_state is not None:
                pl_module.load_state_dict(self.best_state)

    return Budget()


def _batch_len(batch: Any) -> int:
    """Windows in a Darts training batch (a ``TorchTrainingBatch``, or a tuple in older
    releases): the length of its past target."""
    target = getattr(batch, "past_target", None)
    return int((target if target is not None else batch[0]).shape[0])


def _report(budget, windows_per_epoch: int, fit_s: float, predict_s: float, points: dict,
            **extra: object) -> dict[str, object]:
    return {
        "forecasts": points, "fit_s": fit_s, "loop_s": budget.seconds, "predict_s": predict_s,
        "trained_windows": budget.windows, "train_windows_per_epoch": windows_per_epoch,
        "epochs_equivalent": budget.windows / windows_per_epoch,
        "train_series_windows_per_s": budget.windows / budget.seconds,  # univariate: 1 a window
        "capped_by_time": budget.capped, "best_val_loss": budget.best_loss,
        "best_at_windows": budget.best_windows, "val_history": budget.val_history, **extra,
    }


def neuralforecast_lstm(
    n_series: int | None, seed: int, lookback: int, batch_size: int, hidden: int,
    max_windows: int, max_train_s: float, val_every_windows: int, threads: int,
) -> dict[str, object]:
    """NeuralForecast ``LSTM`` (LSTM encoder, MLP decoder to all 48 steps), one model for every
    series. Each step samples ``batch_size`` windows from 32 series (its default ``batch_size``
    of series); ``max_steps`` = ``max_windows`` / ``batch_size``. ``fit(val_size=48)`` trains on
    each row minus its last 48 values (NeuralForecast cuts them off before making windows) and
    validates on those 48 with the 168 before them, tsattn's held-out window."""
    import torch
    from neuralforecast import NeuralForecast
    from neuralforecast.losses.pytorch import MSE
    from neuralforecast.models import LSTM

    torch.set_num_threads(threads)
    data = _panel(n_series, lookback)
    steps = -(-max_windows // batch_size)
    budget = _budget("pytorch_lightning", max_train_s, max_windows, "ptl/val_loss", batch_size)
    model = LSTM(
        h=HORIZON, input_size=lookback, encoder_n_layers=1, encoder_hidden_size=hidden,
        decoder_hidden_size=hidden, decoder_layers=2, loss=MSE(), learning_rate=1e-3,
        max_steps=steps, val_check_steps=max(1, val_every_windows // batch_size),
        batch_size=32, valid_batch_size=len(data["ids"]), windows_batch_size=batch_size,
        scaler_type="standard", random_seed=seed, accelerator="cpu", devices=1,
        enable_progress_bar=False, logger=False, enable_checkpointing=False,
        enable_model_summary=False, callbacks=[budget],
    )
    nf = NeuralForecast(models=[model], freq="h")
    frame = pd.concat([
        pd.DataFrame({"unique_id": sid, "y": data["scaled"][sid],
                      "ds": pd.date_range(START, periods=len(data["scaled"][sid]), freq="h")})
        for sid in data["ids"]
    ], ignore_index=True)[["unique_id", "ds", "y"]]
    start = time.perf_counter()
    nf.fit(frame, val_size=HORIZON)
    fit_s = time.perf_counter() - start
    # NeuralForecast trains deep copies of the models it was given: read the copy's callback.
    budget = next(cb for cb in nf.models[0].trainer_kwargs["callbacks"] if type(cb) is type(budget))
    start = time.perf_counter()
    out = nf.predict(df=frame)  # from each full training row's last 168 values
    predict_s = time.perf_counter() - start
    out = out.sort_values(["unique_id", "ds"])
    points = {sid: part["LSTM"].to_numpy() for sid, part in out.groupby("unique_id")}
    return _report(
        budget, data["windows_per_epoch"], fit_s, predict_s, _unscale(points, data["stats"]),
        max_steps=steps, steps_done=budget.batches,
        config={"h": HORIZON, "input_size": lookback, "encoder_n_layers": 1,
                "encoder_hidden_size": hidden, "decoder_hidden_size": hidden,
                "decoder_layers": 2, "loss": "MSE", "learning_rate": 1e-3, "max_steps": steps,
                "batch_size (series a step)": 32, "windows_batch_size": batch_size,
                "scaler_type": "standard", "random_seed": seed,
                "val_check_steps": max(1, val_every_windows // batch_size)},
    )


def darts_block_rnn(
    n_series: int | None, seed: int, lookback: int, batch_size: int, hidden: int,
    max_windows: int, max_train_s: float, val_every_windows: int, threads: int,
) -> dict[str, object]:
    """Darts ``BlockRNNModel`` (LSTM encoder, dense head to all 48 steps) over the list of series:
    the windows of every training part, stride 1, ``val_series`` = each series' last 48 + 168
    values. A Darts epoch is not tsattn's: Darts draws as many windows from every series as the
    longest one has (414 x 697 = 288,558; the 700-value series' 437 windows come round again),
    so ``n_epochs`` is only a ceiling and the budget callback stops at ``max_windows``."""
    import torch
    from darts import TimeSeries
    from darts.models import BlockRNNModel

    torch.set_num_threads(threads)
    data = _panel(n_series, lookback)
    n_epochs = -(-max_windows // data["windows_per_epoch"])  # Darts' epochs are longer
    budget = _budget("pytorch_lightning", max_train_s, max_windows, "val_loss", None)
    val_fraction = min(1.0, val_every_windows / data["windows_per_epoch"])
    model = BlockRNNModel(
        model="LSTM", input_chunk_length=lookback, output_chunk_length=HORIZON,
        hidden_dim=hidden, n_rnn_layers=1, batch_size=batch_size, n_epochs=n_epochs,
        optimizer_kwargs={"lr": 1e-3}, use_reversible_instance_norm=True, random_state=seed,
        pl_trainer_kwargs={
            "accelerator": "cpu", "devices": 1, "enable_progress_bar": False, "logger": False,
            "enable_checkpointing": False, "enable_model_summary": False,
            "val_check_interval": val_fraction, "callbacks": [budget],
        },
    )
    full = [TimeSeries.from_values(data["scaled"][sid]) for sid in data["ids"]]
    fit = [s[:-HORIZON] for s in full]
    val = [s[-(HORIZON + lookback):] for s in full]
    start = time.perf_counter()
    model.fit(fit, val_series=val, verbose=False)
    fit_s = time.perf_counter() - start
    start = time.perf_counter()
    preds = model.predict(n=HORIZON, series=full, verbose=False)
    predict_s = time.perf_counter() - start
    points = {sid: p.values()[:, 0] for sid, p in zip(data["ids"], preds, strict=True)}
    return _report(
        budget, data["windows_per_epoch"], fit_s, predict_s, _unscale(points, data["stats"]),
        n_epochs=n_epochs, batches_done=budget.batches,
        config={"model": "LSTM", "input_chunk_length": lookback,
                "output_chunk_length": HORIZON, "hidden_dim": hidden, "n_rnn_layers": 1,
                "batch_size": batch_size, "n_epochs": n_epochs, "lr": 1e-3, "loss": "MSE",
                "use_reversible_instance_norm": True, "random_state": seed,
                "val_check_interval": val_fraction},
    )
