"""One worker process: join the study, run trials until the study has enough, then exit.

Started by the parent as ``python -m tsattn.tuning.worker SPEC --index I``. A worker talks to
no other worker and to the parent only through the study storage, so workers on other machines
(the same command pointed at the same `--storage`) are peers of these ones.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING

import optuna

from tsattn.tuning.hardware import WorkerSlot
from tsattn.tuning.spec import WorkerSpec

if TYPE_CHECKING:
    from tsattn.tuning.study import StopAfterFailures

__all__ = ["main", "run_worker"]


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, claim this worker's hardware, and optimise."""
    parser = argparse.ArgumentParser(prog="python -m tsattn.tuning.worker")
    parser.add_argument("spec", type=Path, help="worker spec JSON written by the parent")
    parser.add_argument("--index", type=int, required=True, help="this worker's slot")
    args = parser.parse_args(argv)
    spec = WorkerSpec.read(args.spec)
    slot = spec.slots[args.index]
    _claim_hardware(slot)
    # The parent stops workers with SIGTERM; as KeyboardInterrupt, Optuna records the running
    # trial as FAIL (and its MLflow run as KILLED) instead of leaving it RUNNING.
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        return run_worker(spec, slot)
    except KeyboardInterrupt:
        return 130


def run_worker(spec: WorkerSpec, slot: WorkerSlot) -> int:
    """Optimise the spec's study with this slot's hardware until the trial target is reached.

    Returns the exit code: 0, or 3 when the worker stopped after a streak of failed trials.
    """
    from tsattn.io import read_frame
    from tsattn.tuning.objective import Objective
    from tsattn.tuning.settings import tune_settings
    from tsattn.tuning.storage import open_storage
    from tsattn.tuning.study import (
        StopAfterFailures,
        make_pruner,
        make_sampler,
        wait_for_free_slot,
    )

    warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
    optuna.logging.set_verbosity(logging.INFO)
    config = spec.config()
    settings = tune_settings(config)
    study = optuna.load_study(
        study_name=spec.study_name,
        storage=open_storage(spec.storage_url, settings),
        sampler=make_sampler(settings, worker=slot.index),
        pruner=make_pruner(settings),
    )
    if spec.tracking is not None:
        import mlflow
        from mlflow.tracking import MlflowClient  # noqa: F401  (imported now, not mid-trial)

        mlflow.set_tracking_uri(spec.tracking.uri)
    objective = Objective(config, settings, read_frame(config.data.path), slot, spec.tracking)
    # Checked after all setup, right before asking for a trial: the gap between counting and
    # asking is where concurrent workers could overshoot the target.
    patience = settings.stale_after + settings.heartbeat_interval
    if not wait_for_free_slot(study, spec.n_trials, patience):
        print(
            f"worker {slot.index}: no trial left to start; the study's {spec.n_trials} trials are "
            "finished or running",
            flush=True,
        )
        return 0
    optuna.logging.get_logger("optuna").info(
        f"worker {slot.index} (pid {os.getpid()}, {slot.label}) joined study '{spec.study_name}'"
    )
    failures = StopAfterFailures(settings.max_failures_in_a_row)
    _optimize_until_done(study, objective, spec, failures, patience)
    if failures.tripped:
        print(
            f"worker {slot.index} stopped: its last {failures.limit} trials failed (see the "
            "errors above); fix the cause, then run the same command again to continue",
            flush=True,
        )
        return 3
    return 0


def _optimize_until_done(
    study: optuna.Study,
    objective: Callable[[optuna.Trial], float],
    spec: WorkerSpec,
    failures: StopAfterFailures,
    patience: float,
) -> None:
    """Run trials until the study has its target, `spec.timeout` passes or failures trip.

    Optuna's loop ends when finished plus running trials reach the target; when some of those
    running trials turn out to be a dead worker's (failed and re-queued once stale), there is
    more to do, so the loop resumes.
    """
    from tsattn.tuning.study import stop_rule, wait_for_free_slot

    deadline = None if spec.timeout is None else time.monotonic() + spec.timeout

    def seconds_left() -> float | None:
        return None if deadline is None else max(0.0, deadline - time.monotonic())

    while True:
        study.optimize(
            objective,
            timeout=seconds_left(),
            # A failing trial is recorded as FAIL and the worker moves on to the next one.
            catch=(Exception,),
            callbacks=[failures, *stop_rule(spec.n_trials)],
            gc_after_trial=True,
        )
        if failures.tripped or seconds_left() == 0:
            return
        wait = patience if deadline is None else min(patience, seconds_left() or 0.0)
        if not wait_for_free_slot(study, spec.n_trials, wait) or seconds_left() == 0:
            return


def _claim_hardware(slot: WorkerSlot) -> None:
    """Pin this process to its cores and size torch's thread pool to match."""
    if slot.cpus and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, slot.cpus)
    import torch

    torch.set_num_threads(max(1, slot.threads))


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt(f"stopped by signal {signum}")


if __name__ == "__main__":
    sys.exit(main())
