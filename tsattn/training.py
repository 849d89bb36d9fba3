"""Training a network with Lightning: Trainer, callbacks, checkpointing and per-epoch history.

The only place `Forecaster` touches Lightning, imported by `fit` alone: loading a saved model and
forecasting (scheduled jobs, `mlflow.pyfunc`) never pay the seconds Lightning takes to import.
"""

from __future__ import annotations

import json
import logging
import tempfile
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import lightning.pytorch as L
import pandas as pd
import torch
from lightning.pytorch.callbacks import Callback, EarlyStopping, ModelCheckpoint

from tsattn.config import ForecasterConfig
from tsattn.data import WindowDataset
from tsattn.data.module import WindowDataModule
from tsattn.distributed import launch_strategy
from tsattn.extensions import EpochSink
from tsattn.lightning import ForecastingModule
from tsattn.nn import AttentionSeq2Seq, NetworkConfig

__all__ = ["EpochHistory", "TrainedNetwork", "build_trainer", "lightning_info_muted",
           "restore_best_weights", "train_network"]


class _WithoutLightningAdverts(logging.Filter):
    """Drops the "💡 Tip: ... litlogger" advert Lightning logs for every Trainer it builds.

    A study or a backtest fits many models; the same advert per fit would bury what matters.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith("💡 Tip")


logging.getLogger("lightning.pytorch.utilities.rank_zero").addFilter(_WithoutLightningAdverts())


@contextmanager
def lightning_info_muted() -> Iterator[None]:
    """Lightning's per-Trainer INFO lines ("GPU available: ...", "`Trainer.fit` stopped: ...")
    muted while inside, warnings kept: a loop of fits (a refit backtest) reports its own
    progress instead of three lines per fit."""
    logger = logging.getLogger("lightning.pytorch")
    level = logger.level
    logger.setLevel(max(level, logging.WARNING))
    try:
        yield
    finally:
        logger.setLevel(level)
_LEAFSPEC_DEPRECATION = r"`isinstance\(treespec, LeafSpec\)` is deprecated"


@dataclass
class TrainedNetwork:
    """What a fit leaves behind: the best epoch's network (CPU, eval mode) and its history."""

    network: AttentionSeq2Seq
    history: pd.DataFrame
    epochs_trained: int


def train_network(
    config: ForecasterConfig,
    network: NetworkConfig,
    train: WindowDataset,
    val: WindowDataset | None,
    *,
    callbacks: list[Callback] | None = None,
    epoch_sinks: list[EpochSink] | None = None,
) -> TrainedNetwork:
    """Seed, train with early stopping on `val` (else the training loss), keep the best epoch.

    `epoch_sinks` get each epoch's metrics as they are collected (tracking logs them live).
    With several processes (`tsattn.distributed`) the caller still ends with rank 0's best
    weights, history and candidate choice: a forked or spawned rank 0 leaves the best checkpoint
    and its history in `checkpoint_dir`, read back here; under torchrun/SLURM every rank gets
    rank 0's best weights, so they all forecast alike.
    """
    L.seed_everything(config.seed, workers=True, verbose=False)
    datamodule = WindowDataModule(
        train=train, val=val, batch_size=config.batch_size, num_workers=config.num_workers,
        seed=config.seed,
    )
    module = ForecastingModule(
        network=network.to_dict(),
        loss=config.resolved_loss,
        learning_rate=config.learning_rate,
        weight_decay=config.weight_decay,
        lr_scheduler=config.lr_scheduler,
        max_epochs=config.max_epochs,
        read_dropout=config.read_dropout,
    )
    with tempfile.TemporaryDirectory(prefix="tsattn-ckpt-") as checkpoint_dir:
        history = EpochHistory(epoch_sinks, carry_to=Path(checkpoint_dir) / "history.json")
        trainer, checkpoint = build_trainer(
            config, has_validation=val is not None, checkpoint_dir=Path(checkpoint_dir),
            history=history, callbacks=callbacks,
        )
        with warnings.catch_warnings():
            # Lightning's own pytree code (not ours, nothing a user can change) trips torch's
            # deprecation of LeafSpec once per fit.
            warnings.filterwarnings("ignore", message=_LEAFSPEC_DEPRECATION, category=FutureWarning)
            trainer.fit(module, datamodule=datamodule)
        restore_best_weights(module, checkpoint, trainer)
        history.carry_back()
    trained = module.network.cpu().eval()
    choose_candidate(trained, module.loss_fn, val if val is not None else train,
                     batch_size=max(config.batch_size, 256))
    return TrainedNetwork(trained, history.frame(), history.epochs)


@torch.inference_mode()
def choose_candidate(network: AttentionSeq2Seq, loss_fn: Any, dataset: WindowDataset, *,
                     batch_size: int) -> None:
    """Keep the candidate forecast (plain RevIN or with absolute units) whose loss on `dataset`
    (the validation windows, else the training ones) is lower; a no-op with one candidate."""
    if not network.absolute_path:
        return
    totals = torch.zeros(2)
    for start in range(0, len(dataset), batch_size):
        batch = dataset.__getitems__(list(range(start, min(start + batch_size, len(dataset)))))
        out = network(batch["past"], batch["future"], static=batch.get("static"))
        assert out.candidates is not None
        size = batch["past"].size(0)
        totals += torch.stack([loss_fn(c, batch["target"]) for c in out.candidates]) * size
    network.use_absolute.fill_(bool(totals[1] < totals[0]))  # type: ignore[operator]


class EpochHistory(Callback):
    """The one per-epoch metrics collector: a row per epoch for `Forecaster.history_`, passed on
    to `sinks` (a tracked fit's run, a tuning trial's run) as soon as it is known.

    Validation metrics go to the sinks when validation ends, before a pruning callback can stop
    the trial in the same hook; the epoch's training metrics follow at the epoch's end. Rank 0
    writes its rows to `carry_to` when the fit ends, for a caller whose fit ran in child
    processes (`carry_back`).
    """

    def __init__(self, sinks: list[EpochSink] | None = None, *,
                 carry_to: Path | None = None) -> None:
        self.rows: list[dict[str, float]] = []
        self.epochs = 0
        self.sinks = list(sinks or [])
        self.carry_to = carry_to
        self._validated: dict[str, float] = {}

    def on_fit_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        self.epochs = int(trainer.current_epoch)
        if self.carry_to is not None and trainer.is_global_zero:
            self.carry_to.write_text(json.dumps({"rows": self.rows, "epochs": self.epochs}))

    def carry_back(self) -> None:
        """Take rank 0's rows when this process's copy saw no epoch (the fit ran in children)."""
        if self.rows or self.carry_to is None or not self.carry_to.is_file():
            return
        carried = json.loads(self.carry_to.read_text())
        self.rows, self.epochs = carried["rows"], int(carried["epochs"])

    def on_validation_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        if trainer.sanity_checking:
            return
        self._validated = _epoch_metrics(trainer, lambda name: name.startswith("val_"))
        self._emit(trainer, self._validated)

    def on_train_epoch_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        # Lightning runs validation inside the training epoch, so val_* are already here.
        epoch = int(trainer.current_epoch)
        trained = _epoch_metrics(trainer, lambda name: not name.startswith("val_"))
        self.rows.append({"epoch": float(epoch), **trained, **self._validated})
        self._validated = {}
        self._emit(trainer, trained)

    def _emit(self, trainer: L.Trainer, metrics: dict[str, float]) -> None:
        if metrics and trainer.is_global_zero:  # one process logs, however many train
            for sink in self.sinks:
                sink(int(trainer.current_epoch), metrics)

    def frame(self) -> pd.DataFrame:
        history = pd.DataFrame(self.rows)
        if not history.empty:
            history["epoch"] = history["epoch"].astype(int)
        return history


def _epoch_metrics(trainer: L.Trainer, wanted: Callable[[str], bool]) -> dict[str, float]:
    """Epoch-level logged metrics under their `history_` names (no `_step`/`_epoch` suffix)."""
    return {
        name.removesuffix("_epoch"): float(value)
        for name, value in trainer.callback_metrics.items()
        if not name.endswith("_step") and wanted(name)
    }


def build_trainer(
    config: ForecasterConfig,
    *,
    has_validation: bool,
    checkpoint_dir: Path,
    history: EpochHistory,
    callbacks: list[Callback] | None = None,
) -> tuple[L.Trainer, ModelCheckpoint]:
    """A Trainer with early stopping and best-checkpoint tracking on the validation loss, on
    the configured hardware (`launch_strategy` says how several processes start)."""
    monitor = "val_loss" if has_validation else "train_loss"
    checkpoint = ModelCheckpoint(
        dirpath=checkpoint_dir,
        filename="best",
        monitor=monitor,
        mode="min",
        save_top_k=1,
        save_weights_only=True,
    )
    stack: list[Callback] = [checkpoint, history, *(callbacks or [])]
    if config.patience is not None:
        stack.append(EarlyStopping(monitor=monitor, mode="min", patience=config.patience))
    trainer = L.Trainer(
        max_epochs=config.max_epochs,
        accelerator=config.accelerator,
        devices=config.devices,
        strategy=launch_strategy(config),
        num_nodes=config.num_nodes,
        gradient_clip_val=config.gradient_clip_val,
        callbacks=stack,
        logger=False,  # metrics reach tracking through EpochHistory's sinks
        enable_progress_bar=config.enable_progress_bar,
        enable_model_summary=False,
        num_sanity_val_steps=0,
        limit_val_batches=None if has_validation else 0,
        deterministic="warn",
        default_root_dir=checkpoint_dir,
    )
    return trainer, checkpoint


def restore_best_weights(
    module: torch.nn.Module, checkpoint: ModelCheckpoint, trainer: L.Trainer | None = None
) -> None:
    """Load the best epoch's weights back, since the last epoch is rarely the best one.

    Only rank 0 wrote the checkpoint (possibly on another machine), so where the fit's process
    group is still up (torchrun, SLURM) rank 0 reads it and sends the weights to every rank.
    """
    path = checkpoint.best_model_path
    grouped = trainer is not None and trainer.world_size > 1 and torch.distributed.is_initialized()
    state = None
    if path and (not grouped or trainer.is_global_zero):  # type: ignore[union-attr]
        state = torch.load(path, map_location="cpu", weights_only=True)["state_dict"]
    if grouped:
        state = trainer.strategy.broadcast(state)  # type: ignore[union-attr]
    if state is not None:
        module.load_state_dict(state)
