"""What the parent hands each worker process: one JSON file, written once, read by every worker.

A file (not command-line arguments) because the experiment config can be long and holds the
user's `--set` overrides already applied; workers re-validate it, so they train exactly the
config the parent validated.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from tsattn.config import ExperimentConfig
from tsattn.io import atomic_write
from tsattn.tuning.hardware import WorkerSlot

__all__ = ["TrackingLink", "WorkerSpec"]


@dataclass(frozen=True)
class TrackingLink:
    """Where a worker logs its trials: the MLflow store, experiment and the study's parent run."""

    uri: str
    experiment_id: str
    parent_run_id: str


@dataclass(frozen=True)
class WorkerSpec:
    """Everything a worker needs to join the study and train trials."""

    experiment: dict[str, Any]
    storage_url: str
    study_name: str
    n_trials: int
    timeout: float | None
    slots: list[WorkerSlot]
    tracking: TrackingLink | None = None

    def config(self) -> ExperimentConfig:
        return ExperimentConfig.model_validate(self.experiment)

    def write(self, path: Path) -> Path:
        text = json.dumps(asdict(self), indent=2, default=str)

        def write(tmp: Path) -> None:
            tmp.write_text(text)

        return atomic_write(path, write)

    @classmethod
    def read(cls, path: Path) -> WorkerSpec:
        raw = json.loads(Path(path).read_text())
        return cls(
            experiment=raw["experiment"],
            storage_url=raw["storage_url"],
            study_name=raw["study_name"],
            n_trials=int(raw["n_trials"]),
            timeout=raw["timeout"],
            slots=[WorkerSlot(**slot) for slot in raw["slots"]],
            tracking=TrackingLink(**raw["tracking"]) if raw.get("tracking") else None,
        )
