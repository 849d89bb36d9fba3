"""Per-epoch metrics into an MLflow run, step = epoch, as `EpochHistory` hands them over.

Shared by tracked fits and tuning trials, so both runs chart the same names on the same axis
(one point per epoch, comparable across batch sizes). A store that stops answering mid-fit is
warned about once and then skipped: hours of training are worth more than a chart, and a
tracked fit saves the model locally if it cannot log it.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Mapping
from typing import Any

__all__ = ["RunEpochSink"]


class RunEpochSink:
    """An `EpochSink` (see `tsattn.extensions`) writing to one run through an MlflowClient."""

    def __init__(self, run_id: str, *, tracking_uri: str | None = None, client: Any = None) -> None:
        from mlflow.tracking import MlflowClient

        self.client = client if client is not None else MlflowClient(tracking_uri)
        self.run_id = run_id
        self.error: Exception | None = None

    def __call__(self, epoch: int, metrics: Mapping[str, float]) -> None:
        if self.error is not None:
            return  # the store already failed once; do not stall every epoch on retries
        from mlflow.entities import Metric

        stamp = int(time.time() * 1000)
        batch = [Metric(name, float(value), stamp, epoch) for name, value in metrics.items()]
        try:
            self.client.log_batch(self.run_id, metrics=batch)
        except Exception as err:  # a flaky store must not kill the training
            self.error = err
            warnings.warn(
                f"MLflow stopped accepting metrics for run {self.run_id} ({err}); training "
                "continues without them, and the model is saved locally if it cannot be logged.",
                RuntimeWarning,
                stacklevel=2,
            )
