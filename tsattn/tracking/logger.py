"""A Lightning logger bound to a run the tracking session owns, with epochs as the x axis.

Lightning's `MLFlowLogger` steps metrics by optimizer step, logs the LightningModule's hparams
and ends the run in `finalize`. Here the session owns the run and logs the config once, so this
subclass (a) steps epoch-level metrics by epoch, one point per epoch, comparable across batch
sizes, (b) leaves params to the session, (c) never ends the run, and (d) keeps training going
when the store stops answering mid-fit (warning once), since the session then saves the model
locally rather than lose it.
"""

from __future__ import annotations

import warnings
from argparse import Namespace
from collections.abc import Mapping
from typing import Any

from lightning.pytorch.loggers import MLFlowLogger
from lightning.pytorch.utilities import rank_zero_only

__all__ = ["EpochMLFlowLogger"]


class EpochMLFlowLogger(MLFlowLogger):  # type: ignore[misc]
    """`MLFlowLogger` for an existing run: metrics by epoch, no params, no run ending.

    Metrics logged per optimizer step (Lightning's `*_step` names) keep the global step, since
    they have many points per epoch; `*_epoch` suffixes are dropped so names match
    `Forecaster.history_` columns.
    """

    def __init__(self, *, run_id: str, tracking_uri: str) -> None:
        super().__init__(tracking_uri=tracking_uri, run_id=run_id)
        self.epochs_logged: set[int] = set()
        self.error: Exception | None = None

    @rank_zero_only  # type: ignore[misc]
    def log_hyperparams(self, params: dict[str, Any] | Namespace, *args: Any, **kw: Any) -> None:
        """No-op: the session logs the full resolved config once, as the single source."""

    @rank_zero_only  # type: ignore[misc]
    def log_metrics(self, metrics: Mapping[str, float], step: int | None = None) -> None:
        """Route epoch-level metrics to step=epoch and per-step metrics to the global step."""
        if self.error is not None:
            return  # the store already failed once; do not stall every epoch on retries
        values = dict(metrics)
        epoch = values.pop("epoch", None)
        per_step = {k: v for k, v in values.items() if k.endswith("_step")}
        per_epoch = {k.removesuffix("_epoch"): v for k, v in values.items() if k not in per_step}
        at = int(epoch) if epoch is not None else step
        try:
            if per_step:
                super().log_metrics(per_step, step)
            if per_epoch:
                super().log_metrics(per_epoch, at)
        except Exception as err:  # a flaky store must not kill hours of training
            self.error = err
            warnings.warn(
                f"MLflow stopped accepting metrics for run {self._run_id} ({err}); training "
                "continues without them, and the model is saved locally if it cannot be logged.",
                RuntimeWarning,
                stacklevel=2,
            )
            return
        if per_epoch and at is not None:
            self.epochs_logged.add(at)

    @rank_zero_only  # type: ignore[misc]
    def finalize(self, status: str = "success") -> None:
        """No-op: the tracking session ends the run, after logging the model and artifacts."""
