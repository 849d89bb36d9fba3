"""ForecastingModule: the Lightning "system" around an AttentionSeq2Seq (loss, metrics, optimiser).

It sees batches (dicts of tensors) and owns no Trainer: gradient clipping, early stopping,
checkpointing and loggers are the caller's Trainer and callbacks. It never imports mlflow.

Batch contract: past (B, L, V) with the C targets first, future (B, H, F), target (B, H, C),
series (B,), origin (B,). Everything is in the scaled space, so the logged metrics are too.
"""

from __future__ import annotations

from typing import Any

import lightning.pytorch as L
import torch
from torch import Tensor

from tsattn.errors import ConfigError
from tsattn.losses import build_loss
from tsattn.metrics import point_metrics
from tsattn.nn.config import NetworkConfig
from tsattn.nn.seq2seq import AttentionSeq2Seq, ForecastOutput

__all__ = ["LR_SCHEDULERS", "ForecastingModule"]

LR_SCHEDULERS = ("none", "plateau", "cosine")
# ReduceLROnPlateau settings: halve the rate after 5 flat epochs; fixed so configs stay small.
_PLATEAU_FACTOR, _PLATEAU_PATIENCE = 0.5, 5

Batch = dict[str, Tensor]
_FUSED_ADAMW_DEVICES = ("cpu", "cuda")
# Read dropout falls linearly to zero over this many optimiser steps: reads tangle early (one
# read on two causes' lags, another cancelling its share of one, B5 varied), so dropping reads
# then breaks that; later steps refine without the noise it adds (kept on for a whole fit, a
# planted case's precision suffered: 2.6x its noise floor became 4.9x at a rate of 0.1).
READ_DROPOUT_STEPS = 250


class ForecastingModule(L.LightningModule):
    """Trains an AttentionSeq2Seq built from `network` (a `NetworkConfig.to_dict()`).

    Logs one value per epoch of `train_loss`, and of `val_{loss,mae,mse,smape,mase}`; quantile
    models are scored on their median (the quantile nearest 0.5). There is no test or predict
    step: forecasts and test scores go through `tsattn.inference.run_network`, without a Trainer.
    """

    def __init__(
        self,
        network: dict[str, Any],
        loss: str = "mse",
        learning_rate: float = 1e-3,
        weight_decay: float = 0.0,
        lr_scheduler: str = "none",
        max_epochs: int = 100,
        read_dropout: float = 0.0,
    ) -> None:
        super().__init__()
        self.save_hyperparameters()
        if lr_scheduler not in LR_SCHEDULERS:
            raise ConfigError(
                f"lr_scheduler must be one of {LR_SCHEDULERS}, "
                f"but got lr_scheduler={lr_scheduler!r}."
            )
        if not 0.0 <= read_dropout < 1.0:
            raise ConfigError(f"read_dropout must be in [0, 1), but got {read_dropout=}.")
        if learning_rate <= 0 or weight_decay < 0 or max_epochs < 1:
            raise ConfigError(
                f"need learning_rate > 0, weight_decay >= 0 and max_epochs >= 1, but got "
                f"{learning_rate=}, {weight_decay=}, {max_epochs=}."
            )
        self.network_config = NetworkConfig.from_dict(network)
        self.network = AttentionSeq2Seq(self.network_config)
        self.loss_fn = build_loss(loss, self.network_config.quantiles)
        # the training loss summed since it was last logged (see on_train_batch_end)
        self._unlogged_loss = torch.zeros(())
        self._unlogged_windows = 0
        # each candidate's validation loss summed over the epoch (see on_validation_epoch_end)
        self._candidate_val_loss = torch.zeros(2)
        self._candidate_val_windows = 0

    def forward(self, past: Tensor, future: Tensor | None = None,
                return_attention: bool = False) -> ForecastOutput:
        """Delegates to the network: prediction (B, H, C, Q) plus optional attention."""
        return self.network(past, future, return_attention=return_attention)

    def on_train_epoch_start(self) -> None:
        self._unlogged_loss = torch.zeros((), device=self.device)  # sum over windows
        self._unlogged_windows = 0

    def on_train_batch_start(self, batch: Batch, batch_idx: int) -> None:
        left = max(0.0, 1.0 - self.global_step / READ_DROPOUT_STEPS)
        self.network.set_read_dropout(self.hparams["read_dropout"] * left)

    def training_step(self, batch: Batch, batch_idx: int) -> Tensor:
        # Summed here, logged once per epoch in on_train_batch_end: Lightning's self.log costs
        # ~0.7 ms a call, 7% of a small model's CPU training step.
        out = self.network(batch["past"], batch.get("future"), static=batch.get("static"))
        loss = self._loss(out, batch["target"])
        batch_size = batch["past"].size(0)
        self._unlogged_loss += loss.detach() * batch_size
        self._unlogged_windows += batch_size
        return loss

    def on_train_batch_end(self, outputs: Any, batch: Batch, batch_idx: int) -> None:
        # On the epoch's last batch, or when a callback stops training, so that every callback's
        # on_train_epoch_end sees this epoch's train_loss. Logging what was summed since the last
        # call, weighted by its windows, keeps the epoch value the exact mean even if this runs
        # twice in an epoch (a stop request that min_epochs overrides).
        trainer = self.trainer
        if not (trainer.is_last_batch or trainer.should_stop) or self._unlogged_windows == 0:
            return
        self.log("train_loss", self._unlogged_loss / self._unlogged_windows, on_step=False,
                 on_epoch=True, prog_bar=True, batch_size=self._unlogged_windows, sync_dist=True)
        self._unlogged_loss = torch.zeros_like(self._unlogged_loss)
        self._unlogged_windows = 0

    def validation_step(self, batch: Batch, batch_idx: int) -> Tensor:
        """Loss and point metrics of a validation batch."""
        # B batch, L lookback, H horizon, C targets, Q quantiles
        past, target = batch["past"], batch["target"]
        out = self.network(past, batch.get("future"), static=batch.get("static"))
        loss = self._loss(out, target)
        batch_size = past.size(0)
        cfg = self.network_config
        point = out.prediction[..., cfg.median_index]  # (B, H, C, Q) -> (B, H, C)
        metrics = point_metrics(point.detach(), target, past[..., : cfg.n_targets])
        if out.candidates is None:
            # on_step=False: one value per epoch under the plain name (no _step/_epoch suffix)
            # sync_dist: under DDP each rank sees a shard, and checkpointing, early stopping
            # and history_ need the mean over all of them (a no-op in one process)
            self.log("val_loss", loss, on_step=False, on_epoch=True, prog_bar=True,
                     batch_size=batch_size, sync_dist=True)
        else:  # summed per candidate; the epoch's val_loss is the better one's (below)
            losses = torch.stack([self.loss_fn(c, target) for c in out.candidates])
            self._candidate_val_loss += losses.detach() * batch_size
            self._candidate_val_windows += batch_size
        self.log_dict({f"val_{name}": value for name, value in metrics.items()},
                      on_step=False, on_epoch=True, batch_size=batch_size, sync_dist=True)
        return loss

    def on_validation_epoch_start(self) -> None:
        self._candidate_val_loss = torch.zeros(2, device=self.device)
        self._candidate_val_windows = 0

    def on_validation_epoch_end(self) -> None:
        """With two candidate forecasts, val_loss is the better candidate's mean loss: the fit
        keeps that candidate (`choose_candidate`), so its loss is what should pick the epoch
        and stop training, not a mean that the discarded one's drift can dominate."""
        if self._candidate_val_windows == 0:
            return
        totals = torch.cat([self._candidate_val_loss,
                            self._candidate_val_loss.new_tensor([self._candidate_val_windows])])
        totals = self.trainer.strategy.reduce(totals, reduce_op="sum")  # all ranks' windows
        best = (totals[:2] / totals[2]).min()
        self.log("val_loss", best, prog_bar=True, sync_dist=False)

    def configure_optimizers(self) -> Any:
        # nanoGPT's rule: decay matrices and embeddings, never biases or norm/affine vectors
        params = [p for p in self.parameters() if p.requires_grad]
        groups = [
            {"params": [p for p in params if p.dim() >= 2],
             "weight_decay": self.hparams["weight_decay"]},
            {"params": [p for p in params if p.dim() < 2], "weight_decay": 0.0},
        ]
        # the fused kernel: one call for every parameter instead of ~10 small ops each
        # (~0.5 ms, 5% of a small model's CPU step); other devices keep the default loop
        fused = self.device.type in _FUSED_ADAMW_DEVICES
        optimizer = torch.optim.AdamW(groups, lr=self.hparams["learning_rate"], fused=fused or None)
        if self.hparams["lr_scheduler"] == "plateau":
            scheduler: Any = torch.optim.lr_scheduler.ReduceLROnPlateau(
                optimizer, mode="min", factor=_PLATEAU_FACTOR, patience=_PLATEAU_PATIENCE
            )
            # needs a validation loop: val_loss is what it watches
            return {"optimizer": optimizer,
                    "lr_scheduler": {"scheduler": scheduler, "monitor": "val_loss",
                                     "interval": "epoch"}}
        if self.hparams["lr_scheduler"] == "cosine":
            scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(
                optimizer, T_max=self.hparams["max_epochs"]
            )
            return {"optimizer": optimizer,
                    "lr_scheduler": {"scheduler": scheduler, "interval": "epoch"}}
        return optimizer

    def _loss(self, out: ForecastOutput, target: Tensor) -> Tensor:
        """The loss, or with two candidate forecasts (see AttentionSeq2Seq) their mean loss: both
        are trained, and the fit keeps the better on validation (`choose_candidate`)."""
        if out.candidates is None:
            return self.loss_fn(out.prediction, target)
        return torch.stack([self.loss_fn(c, target) for c in out.candidates]).mean()
