"""The Lightning Trainer a Forecaster fits with: callbacks, checkpointing and per-epoch history."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import lightning.pytorch as L
import pandas as pd
import torch
from lightning.pytorch.callbacks import Callback, EarlyStopping, ModelCheckpoint

from tsattn.config import ForecasterConfig

__all__ = ["EpochHistory", "build_trainer", "restore_best_weights"]


class EpochHistory(Callback):
    """Collect one row of logged metrics per epoch, so `Forecaster.history_` needs no logger."""

    def __init__(self) -> None:
        self.rows: list[dict[str, float]] = []

    def on_train_epoch_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        # Lightning runs validation inside the training epoch, so val_* are already here.
        row = {"epoch": float(trainer.current_epoch)}
        for name, value in trainer.callback_metrics.items():
            if name.endswith("_step"):
                continue
            row[name.removesuffix("_epoch")] = float(value)
        self.rows.append(row)

    def frame(self) -> pd.DataFrame:
        history = pd.DataFrame(self.rows)
        if not history.empty:
            history["epoch"] = history["epoch"].astype(int)
        return history


def build_trainer(
    config: ForecasterConfig,
    *,
    has_validation: bool,
    checkpoint_dir: Path,
    history: EpochHistory,
    callbacks: list[Callback] | None = None,
    logger: Any = None,
) -> tuple[L.Trainer, ModelCheckpoint]:
    """A Trainer with early stopping and best-checkpoint tracking on the validation loss."""
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
        gradient_clip_val=config.gradient_clip_val,
        callbacks=stack,
        logger=logger if logger is not None else False,
        enable_progress_bar=config.enable_progress_bar,
        enable_model_summary=False,
        num_sanity_val_steps=0,
        limit_val_batches=None if has_validation else 0,
        deterministic="warn",
        default_root_dir=checkpoint_dir,
    )
    return trainer, checkpoint


def restore_best_weights(module: torch.nn.Module, checkpoint: ModelCheckpoint) -> None:
    """Load the best epoch's weights back, since the last epoch is rarely the best one."""
    path = checkpoint.best_model_path
    if not path:
        return
    state = torch.load(path, map_location="cpu", weights_only=True)
    module.load_state_dict(state["state_dict"])
