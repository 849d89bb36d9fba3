"""Optuna study plumbing: sampler and pruner from settings, create-or-resume, and progress.

Every worker builds its own sampler and pruner (they are not stored with the study) and loads
the study by name. The stopping rule is Optuna's `MaxTrialsCallback`, counting running trials
as well as finished ones, however many processes share the study: "50 trials" means at least 50
finished (complete or pruned) trials, and at most 50 + workers - 1, since workers that count at
the same moment may each start one more. Exactly 50 would need counting and asking in one
transaction, which Optuna's storage API does not offer; a surplus trial costs compute, never a
wrong result.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import optuna
import pandas as pd
from optuna.storages import BaseStorage
from optuna.trial import FrozenTrial, TrialState

from tsattn.tuning.claims import enqueue_once
from tsattn.tuning.errors import StudyStorageError
from tsattn.tuning.settings import TuneSettings

__all__ = [
    "FINISHED",
    "StopAfterFailures",
    "StudyProgress",
    "create_or_load_study",
    "make_pruner",
    "make_sampler",
    "progress_of",
    "slots_left",
    "stop_rule",
    "top_trials",
    "wait_for_free_slot",
]

# The states that count toward `--trials`: a pruned trial is a finished, informative trial.
FINISHED = (TrialState.COMPLETE, TrialState.PRUNED)


def make_sampler(settings: TuneSettings, *, worker: int = 0) -> optuna.samplers.BaseSampler:
    """The configured sampler; each worker gets its own seed so startup trials differ."""
    seed = None if settings.seed is None else settings.seed + worker
    if settings.sampler == "random":
        return optuna.samplers.RandomSampler(seed=seed)
    if settings.sampler == "qmc":
        return optuna.samplers.QMCSampler(seed=settings.seed, scramble=True)
    # constant_liar makes parallel workers avoid sampling next to each other's running trials.
    return optuna.samplers.TPESampler(
        n_startup_trials=settings.n_startup_trials, seed=seed, constant_liar=True
    )


def make_pruner(settings: TuneSettings) -> optuna.pruners.BasePruner:
    """The configured pruner; it judges the per-epoch validation metric a trial reports."""
    if settings.pruner == "median":
        return optuna.pruners.MedianPruner(
            n_startup_trials=settings.n_startup_trials, n_warmup_steps=settings.n_warmup_steps
        )
    if settings.pruner == "percentile":
        return optuna.pruners.PercentilePruner(
            settings.percentile,
            n_startup_trials=settings.n_startup_trials,
            n_warmup_steps=settings.n_warmup_steps,
        )
    if settings.pruner == "hyperband":
        return optuna.pruners.HyperbandPruner(min_resource=max(1, settings.n_warmup_steps))
    return optuna.pruners.NopPruner()


def create_or_load_study(
    storage: BaseStorage, name: str, settings: TuneSettings, *, space: dict[str, object]
) -> optuna.Study:
    """Create the study, or resume it after checking it optimises the same metric and direction.

    Enqueued configurations are queued once per study (`claims.enqueue_once`), so neither a
    rerun nor a second machine's launcher starting at the same moment queues them twice.
    """
    study = optuna.create_study(
        storage=storage, study_name=name, direction=settings.direction, load_if_exists=True
    )
    if study.direction.name.lower() != settings.direction:
        raise StudyStorageError(
            f"study '{name}' was created to {study.direction.name.lower()} but the config asks "
            f"to {settings.direction}; pass another --study name or fix tune.direction"
        )
    metric = study.user_attrs.get("metric")
    if metric is not None and metric != settings.metric:
        raise StudyStorageError(
            f"study '{name}' optimises {metric!r} but the config asks for {settings.metric!r}; "
            "scores would not be comparable: pass another --study name or fix tune.metric"
        )
    if metric is None:
        study.set_user_attr("metric", settings.metric)
    study.set_user_attr("space", space)
    enqueue_once(study, [dict(params) for params in settings.enqueue])
    return study


def stop_rule(n_trials: int) -> list[Callable[[optuna.Study, FrozenTrial], None]]:
    """Worker callbacks: stop once finished plus running trials reach the target.

    Counting trials other workers are running keeps the overshoot to workers that count at the
    same moment (at most workers - 1 trials); so that a dead worker's trial is not counted as
    running, Optuna's heartbeat check fails stale trials first (and re-queues them, see
    `storage.py`).
    """
    return [
        _fail_stale_trials,
        optuna.study.MaxTrialsCallback(n_trials, states=(*FINISHED, TrialState.RUNNING)),
    ]


class StopAfterFailures:
    """Stop this worker after `limit` of its own trials failed in a row.

    Failed trials are recorded and the study goes on, but a streak means a systematic cause
    (data too short for a lookback, a broken install) that would otherwise fail every trial
    in a tight loop; stopping surfaces the error instead.
    """

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.streak = 0

    @property
    def tripped(self) -> bool:
        return self.streak >= self.limit

    def __call__(self, study: optuna.Study, trial: FrozenTrial) -> None:
        self.streak = self.streak + 1 if trial.state == TrialState.FAIL else 0
        if self.tripped:
            study.stop()


def slots_left(study: optuna.Study, target: int) -> int:
    """Trials still to start: the target minus finished and (live) running trials."""
    optuna.storages.fail_stale_trials(study)
    counted = study.get_trials(deepcopy=False, states=(*FINISHED, TrialState.RUNNING))
    return target - len(counted)


def wait_for_free_slot(
    study: optuna.Study, target: int, patience: float, poll: float = 1.0
) -> bool:
    """True once a trial may start; False when the target is met or no slot opened in time.

    Running trials count toward the target, but right after a crash some of them belong to
    dead workers whose heartbeats are not yet over the grace period. Waiting `patience`
    seconds (longer than that period) lets them be failed and re-queued, so a rerun started
    straight after a crash still reaches the target instead of stopping short.
    """
    deadline = time.monotonic() + patience
    while slots_left(study, target) <= 0:
        finished = study.get_trials(deepcopy=False, states=FINISHED)
        if len(finished) >= target or time.monotonic() >= deadline:
            return False
        time.sleep(poll)
    return True


def _fail_stale_trials(study: optuna.Study, trial: FrozenTrial) -> None:
    optuna.storages.fail_stale_trials(study)


@dataclass(frozen=True)
class StudyProgress:
    """A snapshot of the study for live display and the final summary."""

    target: int
    complete: int
    pruned: int
    failed: int
    running: int
    best_value: float | None
    best_number: int | None
    stage: str = "searching"

    @property
    def finished(self) -> int:
        return self.complete + self.pruned


def progress_of(study: optuna.Study, target: int) -> StudyProgress:
    """Count trials by state and find the best completed one."""
    trials = study.get_trials(deepcopy=False)
    counts = {state: 0 for state in TrialState}
    for trial in trials:
        counts[trial.state] += 1
    best = _best(trials, study.direction)
    return StudyProgress(
        target=target,
        complete=counts[TrialState.COMPLETE],
        pruned=counts[TrialState.PRUNED],
        failed=counts[TrialState.FAIL],
        running=counts[TrialState.RUNNING],
        best_value=None if best is None else best.value,
        best_number=None if best is None else best.number,
    )


def top_trials(study: optuna.Study, k: int = 10) -> pd.DataFrame:
    """The `k` best completed trials, best first: number, value, params, epochs and worker."""
    complete = [t for t in study.get_trials(deepcopy=False) if t.state == TrialState.COMPLETE]
    reverse = study.direction == optuna.study.StudyDirection.MAXIMIZE
    ordered = sorted(complete, key=lambda t: float(t.value or 0.0), reverse=reverse)[:k]
    rows = [
        {
            "trial": t.number,
            "value": t.value,
            **t.params,
            "epochs": t.user_attrs.get("epochs"),
            "seconds": t.duration.total_seconds() if t.duration else None,
            "worker": t.user_attrs.get("worker"),
        }
        for t in ordered
    ]
    return pd.DataFrame(rows)


def _best(trials: list[FrozenTrial], direction: optuna.study.StudyDirection) -> FrozenTrial | None:
    complete = [t for t in trials if t.state == TrialState.COMPLETE and t.value is not None]
    if not complete:
        return None
    pick = max if direction == optuna.study.StudyDirection.MAXIMIZE else min
    return pick(complete, key=lambda t: float(t.value))  # type: ignore[arg-type]
