"""ForecastingModule under a real (tiny, CPU) Trainer: learning, logging, schedulers; its network
forecasts through `run_network`, the library's one inference path."""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from typing import Any

import lightning.pytorch as L
import numpy as np
import pytest
import torch
from networks import network
from torch.utils.data import DataLoader, Dataset

from tsattn.data import collate
from tsattn.errors import ConfigError
from tsattn.inference import run_network
from tsattn.lightning import READ_DROPOUT_STEPS, ForecastingModule

LOOKBACK, HORIZON, PERIOD = 12, 3, 12


@pytest.fixture(autouse=True)
def single_thread() -> Iterator[None]:
    """Tiny tensors: one intra-op thread is faster and immune to a busy, shared CPU."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


class SineWindows(Dataset):
    """Windows of a noisy sine (target) with a cosine covariate and sin/cos calendar features."""

    def __init__(self, n_windows: int, seed: int, with_target: bool = True) -> None:
        generator = torch.Generator().manual_seed(seed)
        t = torch.arange(n_windows + LOOKBACK + HORIZON, dtype=torch.float32)
        phase = 2 * math.pi * t / PERIOD
        target = torch.sin(phase) + 0.1 * torch.randn(len(t), generator=generator)
        self.past_values = torch.stack([target, torch.cos(phase)], dim=1)  # (T, V=2)
        self.calendar = torch.stack([torch.sin(phase), torch.cos(phase)], dim=1)  # (T, F=2)
        self.n_windows, self.with_target = n_windows, with_target

    def __len__(self) -> int:
        return self.n_windows

    def __getitem__(self, i: int) -> dict[str, torch.Tensor]:
        origin = i + LOOKBACK - 1
        item = {
            "past": self.past_values[i : origin + 1],
            "future": self.calendar[origin + 1 : origin + 1 + HORIZON],
            "series": torch.tensor(0),
            "origin": torch.tensor(origin),
        }
        if self.with_target:
            item["target"] = self.past_values[origin + 1 : origin + 1 + HORIZON, :1]
        return item

    def __getitems__(self, indices: Sequence[int]) -> dict[str, torch.Tensor]:
        """A whole batch, as `WindowDataset` gives it: what DataLoader and `run_network` read."""
        return collate([self[i] for i in indices])


def _network(**params: Any) -> dict[str, Any]:
    return network(n_features=2, n_targets=1, n_future=2, lookback=LOOKBACK,
                   horizon=HORIZON, hidden_size=16, **params).to_dict()


def _loader(n: int, seed: int, shuffle: bool = False, with_target: bool = True) -> DataLoader:
    return DataLoader(SineWindows(n, seed, with_target), batch_size=32, shuffle=shuffle,
                      collate_fn=collate)


def _trainer(max_epochs: int, **kwargs: Any) -> L.Trainer:
    defaults: dict[str, Any] = dict(accelerator="cpu", logger=False, enable_checkpointing=False,
                                    enable_progress_bar=False, enable_model_summary=False)
    return L.Trainer(max_epochs=max_epochs, **{**defaults, **kwargs})


class EpochMetrics(L.Callback):
    """Snapshots `callback_metrics` at the end of every training epoch (after validation)."""

    def __init__(self) -> None:
        self.epochs: list[dict[str, float]] = []

    def on_train_epoch_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        self.epochs.append({k: float(v) for k, v in trainer.callback_metrics.items()})


class RecordingLogger(L.loggers.Logger):
    """Keeps every `log_metrics` call so a test can count values per metric."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[dict[str, float]] = []

    @property
    def name(self) -> str:
        return "recording"

    @property
    def version(self) -> int:
        return 0

    def log_hyperparams(self, params: Any, *args: Any, **kwargs: Any) -> None:
        pass

    def log_metrics(self, metrics: dict[str, float], step: int | None = None) -> None:
        self.calls.append(dict(metrics))


def test_fit_lowers_validation_loss_and_logs_once_per_epoch() -> None:
    L.seed_everything(0, verbose=False)
    module = ForecastingModule(network=_network(attention="additive"), learning_rate=3e-3)
    train, val = _loader(512, seed=0, shuffle=True), _loader(128, seed=1)
    initial = _trainer(1).validate(module, val, verbose=False)[0]["val_loss"]

    history = EpochMetrics()
    trainer = _trainer(2, callbacks=[history], num_sanity_val_steps=0)
    trainer.fit(module, train, val)

    assert len(history.epochs) == 2
    names = {"train_loss", "val_loss", "val_mae", "val_mse", "val_smape", "val_mase"}
    for epoch in history.epochs:
        assert names <= set(epoch)
        assert not any(k.endswith(("_step", "_epoch")) for k in epoch)  # epoch values only
    losses = [epoch["val_loss"] for epoch in history.epochs]
    assert losses[-1] < 0.5 * initial
    assert losses[1] < losses[0]

    validated = trainer.validate(module, val, verbose=False)[0]
    assert {"val_loss", "val_mae", "val_mse", "val_smape", "val_mase"} <= set(validated)
    assert validated["val_mse"] == pytest.approx(validated["val_loss"], rel=1e-4)
    # test scores come from run_network (Forecaster.evaluate): the same windows, the same values
    outputs = run_network(module.network, val.dataset, batch_size=32, accelerator="cpu")
    assert outputs.target is not None
    error = outputs.prediction[..., 0] - outputs.target  # (N, H, C, Q=1) -> (N, H, C)
    assert np.mean(error**2) == pytest.approx(validated["val_mse"], rel=1e-4)
    assert np.mean(np.abs(error)) == pytest.approx(validated["val_mae"], rel=1e-4)


def test_a_logger_receives_one_value_per_epoch() -> None:
    L.seed_everything(0, verbose=False)
    module = ForecastingModule(network=_network(), learning_rate=1e-2)
    logger = RecordingLogger()
    trainer = _trainer(3, logger=logger, limit_train_batches=3, limit_val_batches=2,
                       num_sanity_val_steps=0, log_every_n_steps=1)
    trainer.fit(module, _loader(128, 0), _loader(64, 1))
    for name in ("train_loss", "val_loss", "val_mae", "val_mse", "val_smape", "val_mase"):
        assert sum(name in call for call in logger.calls) == 3, name


class StepLosses(L.Callback):
    """Each training step's loss and batch size, and train_loss as callbacks see it at epoch end;
    optionally asks training to stop after batch `stop_after`."""

    def __init__(self, stop_after: int | None = None) -> None:
        self.losses: list[tuple[float, int]] = []
        self.epoch_train_loss: list[float] = []
        self.stop_after = stop_after

    def on_train_batch_end(self, trainer: L.Trainer, pl_module: L.LightningModule,
                           outputs: Any, batch: Any, batch_idx: int) -> None:
        self.losses.append((float(outputs["loss"]), len(batch["past"])))
        if batch_idx == self.stop_after:
            trainer.should_stop = True

    def on_train_epoch_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        self.epoch_train_loss.append(float(trainer.callback_metrics["train_loss"]))


def _window_mean(losses: list[tuple[float, int]]) -> float:
    return sum(loss * n for loss, n in losses) / sum(n for _, n in losses)


def test_train_loss_is_the_epoch_mean_over_windows_including_a_partial_batch() -> None:
    L.seed_everything(0, verbose=False)
    module = ForecastingModule(network=_network(), learning_rate=1e-2)
    steps = StepLosses()
    _trainer(2, callbacks=[steps]).fit(module, _loader(70, 0))  # batches of 32, 32, 6

    assert [n for _, n in steps.losses] == [32, 32, 6] * 2
    for epoch in range(2):
        expected = _window_mean(steps.losses[3 * epoch : 3 * epoch + 3])
        assert steps.epoch_train_loss[epoch] == pytest.approx(expected, rel=1e-5)
    assert steps.epoch_train_loss[1] != pytest.approx(steps.epoch_train_loss[0], rel=1e-3)


def test_train_loss_covers_the_batches_run_when_a_callback_stops_mid_epoch() -> None:
    L.seed_everything(0, verbose=False)
    module = ForecastingModule(network=_network(), learning_rate=1e-2)
    steps = StepLosses(stop_after=1)
    _trainer(3, callbacks=[steps]).fit(module, _loader(200, 0))

    assert len(steps.losses) == 2 and len(steps.epoch_train_loss) == 1
    assert steps.epoch_train_loss[0] == pytest.approx(_window_mean(steps.losses), rel=1e-5)


def test_run_network_returns_numpy_arrays_per_window_in_order() -> None:
    module = ForecastingModule(network=_network(attention="multihead", num_heads=2,
                                                input_attention=True))
    windows = SineWindows(40, 0, with_target=False)
    out = run_network(module.network, windows, batch_size=32, accelerator="cpu",
                      return_attention=True)  # two batches: 32 and 8 windows
    assert out.target is None
    assert out.prediction.shape == (40, HORIZON, 1, 1)
    assert out.temporal_attention is not None and out.input_attention is not None
    heads = 2 * module.network.config.num_reads  # each attention head's G reads
    assert out.temporal_attention.shape == (40, heads, HORIZON, LOOKBACK)
    assert out.input_attention.shape == (40, LOOKBACK, 2)
    assert out.origin.tolist() == list(range(LOOKBACK - 1, LOOKBACK - 1 + 40))
    assert out.series.tolist() == [0] * 40
    arrays = (out.prediction, out.temporal_attention, out.input_attention, out.series, out.origin)
    assert all(isinstance(a, np.ndarray) for a in arrays)
    assert all(p.device.type == "cpu" for p in module.parameters())  # handed back on the CPU


def test_quantile_model_trains_with_pinball_and_a_plateau_scheduler() -> None:
    L.seed_everything(0, verbose=False)
    module = ForecastingModule(network=_network(quantiles=[0.1, 0.5, 0.9], attention="none"),
                               loss="pinball", lr_scheduler="plateau")
    history = EpochMetrics()
    trainer = _trainer(1, callbacks=[history], limit_train_batches=2, limit_val_batches=1)
    trainer.fit(module, _loader(128, 0), _loader(64, 1))
    assert {"val_loss", "val_mae", "val_mase"} <= set(history.epochs[0])
    scheduler = trainer.lr_scheduler_configs[0]
    assert isinstance(scheduler.scheduler, torch.optim.lr_scheduler.ReduceLROnPlateau)
    assert scheduler.monitor == "val_loss"
    out = run_network(module.network, SineWindows(4, 2, with_target=False), batch_size=4,
                      accelerator="cpu", return_attention=True)
    assert out.prediction.shape == (4, HORIZON, 1, 3)
    assert out.temporal_attention is None


def test_optimiser_and_cosine_schedule() -> None:
    module = ForecastingModule(network=_network(revin=True), weight_decay=0.1,
                               lr_scheduler="cosine", max_epochs=7)
    config = module.configure_optimizers()
    optimizer, scheduler = config["optimizer"], config["lr_scheduler"]["scheduler"]
    assert isinstance(optimizer, torch.optim.AdamW)
    assert [group["weight_decay"] for group in optimizer.param_groups] == [0.1, 0.0]
    assert isinstance(scheduler, torch.optim.lr_scheduler.CosineAnnealingLR)
    assert scheduler.T_max == 7
    plain = ForecastingModule(network=_network()).configure_optimizers()
    assert isinstance(plain, torch.optim.AdamW)


class ReadDropoutRates(L.Callback):
    """The read-dropout rate each training step ran with (set in the module's batch-start hook)."""

    def __init__(self) -> None:
        self.rates: list[float] = []

    def on_train_batch_end(self, trainer: L.Trainer, pl_module: L.LightningModule, *args: Any,
                           **kwargs: Any) -> None:
        self.rates.append(pl_module.network.decoder.readout.read_dropout)


def test_read_dropout_falls_linearly_to_zero_and_stays_off_outside_training() -> None:
    module = ForecastingModule(network=_network(attention="general"), read_dropout=0.3)
    rates = ReadDropoutRates()
    steps = READ_DROPOUT_STEPS + 20
    _trainer(max_epochs=steps, max_steps=steps, callbacks=[rates]).fit(
        module, train_dataloaders=_loader(64, 0, shuffle=True))
    assert len(rates.rates) == steps
    assert rates.rates[0] == pytest.approx(0.3)
    assert rates.rates[READ_DROPOUT_STEPS // 2] == pytest.approx(0.15)
    assert all(a >= b for a, b in zip(rates.rates, rates.rates[1:], strict=False))
    assert rates.rates[READ_DROPOUT_STEPS:] == [0.0] * 20
    # eval mode ignores any rate: forecasts are deterministic
    module.network.set_read_dropout(0.5)
    module.eval()
    batch = next(iter(_loader(8, 1)))
    torch.testing.assert_close(module(batch["past"], batch["future"]).prediction,
                               module(batch["past"], batch["future"]).prediction)


def test_hyperparameters_rebuild_the_same_module() -> None:
    module = ForecastingModule(network=_network(decoder="autoregressive"), loss="huber")
    rebuilt = ForecastingModule(**dict(module.hparams))
    rebuilt.load_state_dict(module.state_dict())
    batch = next(iter(_loader(4, 0)))
    torch.testing.assert_close(rebuilt(batch["past"], batch["future"]).prediction,
                               module(batch["past"], batch["future"]).prediction)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"lr_scheduler": "step"}, "lr_scheduler must be one of"),
        ({"loss": "rmse"}, "loss must be one of"),
        ({"loss": "pinball"}, "but the network has quantiles"),
        ({"learning_rate": 0.0}, "learning_rate > 0"),
        ({"read_dropout": 1.0}, "read_dropout must be in"),
    ],
)
def test_invalid_settings_raise(kwargs: dict[str, Any], match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        ForecastingModule(network=_network(), **kwargs)
