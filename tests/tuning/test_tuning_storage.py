"""Crash recovery in the study storage: dead workers' trials are failed and re-queued."""

from __future__ import annotations

import multiprocessing
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import optuna
import pytest
from optuna.distributions import FloatDistribution
from optuna.trial import TrialState

from tsattn.tuning._optuna_private import check_version
from tsattn.tuning.errors import UnsupportedOptunaError
from tsattn.tuning.settings import TuneSettings
from tsattn.tuning.storage import default_storage_url, open_storage
from tsattn.tuning.study import StopAfterFailures, slots_left, wait_for_free_slot
from tsattn.tuning.worker import _optimize_until_done

_SETTINGS = TuneSettings.model_validate(
    {"space": {"x": {"type": "float", "low": 0.0, "high": 1.0}},
     "heartbeat_interval": 1, "grace_period": 2}  # fmt: skip
)
_SPACE = {"x": FloatDistribution(0.0, 1.0)}


def _open_at_the_same_time(url: str, start: Any, results: Any) -> None:
    start.wait()
    try:
        open_storage(url, _SETTINGS)
        results.put("ok")
    except Exception as err:
        results.put(str(err))


def _at_the_same_time(target: Any, *args: Any, processes: int = 4) -> list[Any]:
    """Run `target(*args, start, results)` in `processes` forked processes released together by
    a barrier; what each put on `results`."""
    context = multiprocessing.get_context("fork")
    start, results = context.Barrier(processes), context.Queue()
    workers = [
        context.Process(target=target, args=(*args, start, results)) for _ in range(processes)
    ]
    for worker in workers:
        worker.start()
    outcomes = [results.get(timeout=60) for _ in workers]
    for worker in workers:
        worker.join(timeout=60)
    return outcomes


def test_workers_opening_a_new_storage_at_once_all_succeed(tmp_path: Path) -> None:
    # Every worker creates the schema of a new storage; without retries all but one collide
    # ("table studies already exists", "UNIQUE constraint failed: alembic_version...").
    for attempt in range(3):
        url = default_storage_url(tmp_path / str(attempt))
        assert _at_the_same_time(_open_at_the_same_time, url) == ["ok"] * 4
        study = optuna.create_study(storage=open_storage(url, _SETTINGS), study_name="s")
        study.optimize(lambda trial: trial.suggest_float("x", 0.0, 1.0), n_trials=2)
        assert len(optuna.load_study(study_name="s", storage=url).trials) == 2


def _fail_at_the_same_time(url: str, trial_id: int, start: Any, results: Any) -> None:
    storage = open_storage(url, _SETTINGS)
    start.wait()
    try:
        results.put(storage.set_trial_state_values(trial_id, TrialState.FAIL))
    except optuna.exceptions.UpdateFinishedTrialError:
        results.put(False)


def test_only_one_of_several_workers_failing_a_dead_trial_at_once_succeeds(
    tmp_path: Path,
) -> None:
    # Each success re-queues the trial's parameters, so two would retry it twice. sqlite has
    # no SELECT ... FOR UPDATE: Optuna's read-then-write lets every worker that read RUNNING
    # before the first write succeed.
    url = default_storage_url(tmp_path)
    study = optuna.create_study(storage=open_storage(url, _SETTINGS), study_name="s")
    for _ in range(5):
        trial_id = study.ask()._trial_id  # RUNNING, as a dead worker leaves it
        outcomes = _at_the_same_time(_fail_at_the_same_time, url, trial_id)
        assert sorted(outcomes) == [False, False, False, True]
        assert study._storage.get_trial(trial_id).state == TrialState.FAIL


def _pop_at_the_same_time(url: str, start: Any, results: Any) -> None:
    study = optuna.load_study(study_name="s", storage=open_storage(url, _SETTINGS))
    start.wait()
    trial = study.ask()
    results.put((trial.number, trial.suggest_float("x", 0.0, 1.0)))


def test_an_enqueued_trial_is_run_by_only_one_of_several_workers_starting_at_once(
    tmp_path: Path,
) -> None:
    # Two workers started together used to pop the same enqueued trial: the same trial number
    # ran twice (two MLflow runs tagged trial 0) and the study held one trial fewer than it ran.
    for attempt in range(3):
        url = default_storage_url(tmp_path / str(attempt))
        study = optuna.create_study(storage=open_storage(url, _SETTINGS), study_name="s")
        study.enqueue_trial({"x": 0.125})
        asked = _at_the_same_time(_pop_at_the_same_time, url)
        assert len({number for number, _ in asked}) == 4, asked
        assert [x for _, x in asked].count(0.125) == 1, asked
        assert sorted(t.number for t in study.get_trials()) == [0, 1, 2, 3]


def _study(tmp_path: Path) -> optuna.Study:
    storage = open_storage(default_storage_url(tmp_path), _SETTINGS)
    return optuna.create_study(storage=storage, study_name="s", load_if_exists=True)


# sqlite stamps heartbeats to the whole second, so "older than the grace period" needs a
# second more than the grace period to be sure.
_GOES_STALE_S = _SETTINGS.stale_after + 1.5


@pytest.mark.parametrize("queued", [False, True], ids=["new", "popped-from-queue"])
def test_trial_whose_worker_died_before_its_first_heartbeat_is_failed_and_requeued(
    tmp_path: Path, queued: bool
) -> None:
    study = _study(tmp_path)
    if queued:
        study.enqueue_trial({"x": 0.25})
    # A worker killed between asking for a trial and starting Optuna's heartbeat thread leaves
    # exactly this: a RUNNING trial no thread beats. Its first beat came when it started.
    orphan = study.ask(_SPACE)
    assert slots_left(study, 3) == 2  # young: it may still be a live worker's trial

    time.sleep(_GOES_STALE_S)
    assert slots_left(study, 3) == 3

    by_number = {t.number: t for t in study.get_trials()}
    assert by_number[orphan.number].state == TrialState.FAIL
    retries = [t for t in by_number.values() if t.system_attrs.get("failed_trial") == orphan.number]
    assert len(retries) == 1
    assert retries[0].state == TrialState.WAITING and retries[0].params == orphan.params


def test_an_ask_and_tell_trial_sharing_the_study_with_a_worker_stays_running(
    tmp_path: Path,
) -> None:
    # A script (or the dashboard) opens the study by URL: a plain Optuna storage that sends no
    # heartbeats. However old its trial gets, a heartbeat worker must not fail it.
    worker = _study(tmp_path)
    client = optuna.load_study(study_name="s", storage=default_storage_url(tmp_path))
    asked = client.ask(_SPACE)

    def objective(trial: optuna.Trial) -> float:
        time.sleep(_GOES_STALE_S)  # the worker's own trial beats all along
        return trial.suggest_float("x", 0.0, 1.0)

    worker.optimize(objective, n_trials=2)  # Optuna fails stale trials before each one
    assert slots_left(worker, 4) == 1  # and so does this: 2 complete + the client's running
    assert client.get_trials()[asked.number].state == TrialState.RUNNING

    client.tell(asked, 0.5)
    assert [t.state for t in worker.get_trials()] == [TrialState.COMPLETE] * 3


def test_an_optuna_outside_the_supported_range_is_refused_by_name() -> None:
    for version in ("4.9.0", "4.10.1", "5.0.0", "5.3.0.dev0"):
        check_version(version)
    for version in ("4.8.1", "6.0.0", "unknown"):
        with pytest.raises(UnsupportedOptunaError, match=r"optuna>=4\.9,<6, but got optuna "):
            check_version(version)


def test_a_live_trial_that_beats_is_never_failed(tmp_path: Path) -> None:
    study = _study(tmp_path)
    seen: list[TrialState] = []

    def objective(trial: optuna.Trial) -> float:
        time.sleep(_SETTINGS.stale_after + 1.5)
        observer = _study(tmp_path)  # another process's view of the same storage
        optuna.storages.fail_stale_trials(observer)
        seen.append(observer.get_trials()[trial.number].state)
        return trial.suggest_float("x", 0.0, 1.0)

    study.optimize(objective, n_trials=1)
    assert seen == [TrialState.RUNNING]
    assert [t.state for t in study.get_trials()] == [TrialState.COMPLETE]


def test_a_worker_waits_until_a_dead_workers_trial_is_requeued(tmp_path: Path) -> None:
    study = _study(tmp_path)
    study.optimize(lambda trial: trial.suggest_float("x", 0.0, 1.0), n_trials=1)
    orphan = study.ask(_SPACE)  # a worker that just died: its trial still counts as running
    assert slots_left(study, 2) == 0
    # Too little patience for it to go stale: it could be a live worker's, so no slot.
    assert not wait_for_free_slot(study, 2, patience=0.5, poll=0.1)

    assert wait_for_free_slot(study, 2, patience=_GOES_STALE_S + 1.0, poll=0.2)
    by_number = {t.number: t for t in study.get_trials()}
    assert by_number[orphan.number].state == TrialState.FAIL
    assert [t.state for t in by_number.values() if t.number > orphan.number] == [TrialState.WAITING]


def test_no_wait_once_the_study_has_its_trials(tmp_path: Path) -> None:
    study = _study(tmp_path)
    study.optimize(lambda trial: trial.suggest_float("x", 0.0, 1.0), n_trials=2)
    started = time.monotonic()
    assert not wait_for_free_slot(study, 2, patience=60.0)
    assert time.monotonic() - started < 30.0  # returned at once, not after the patience


def test_a_worker_resumes_when_a_trial_it_counted_as_running_was_a_dead_workers(
    tmp_path: Path,
) -> None:
    study = _study(tmp_path)
    orphan = study.ask(_SPACE)  # counted as running until it goes stale
    failures = StopAfterFailures(limit=5)
    spec = SimpleNamespace(n_trials=3, timeout=None)

    _optimize_until_done(
        study,
        lambda trial: trial.suggest_float("x", 0.0, 1.0),
        spec,  # type: ignore[arg-type]
        failures,
        patience=_GOES_STALE_S + 1.0,
    )

    trials = study.get_trials()
    assert [t.state for t in trials].count(TrialState.COMPLETE) == 3
    assert trials[orphan.number].state == TrialState.FAIL
    retry = next(t for t in trials if t.system_attrs.get("failed_trial") == orphan.number)
    assert retry.state == TrialState.COMPLETE and retry.params == orphan.params


def _work_until_done(url: str, n_trials: int, start: Any, results: Any) -> None:
    study = optuna.load_study(study_name="s", storage=open_storage(url, _SETTINGS))
    start.wait()

    def objective(trial: optuna.Trial) -> float:
        time.sleep(0.05)
        return trial.suggest_float("x", 0.0, 1.0)

    spec = SimpleNamespace(n_trials=n_trials, timeout=None)
    _optimize_until_done(study, objective, spec, StopAfterFailures(5), patience=1.0)  # type: ignore[arg-type]
    results.put("done")


def test_parallel_workers_reach_the_target_and_overshoot_it_by_at_most_workers_minus_one(
    tmp_path: Path,
) -> None:
    # Optuna's MaxTrialsCallback rule, counting running trials: never short, and only workers
    # that count at the same moment each start one more (see study.py).
    study = _study(tmp_path)
    workers, target = 4, 12
    outcomes = _at_the_same_time(
        _work_until_done, default_storage_url(tmp_path), target, processes=workers
    )
    assert outcomes == ["done"] * workers
    counts = [t.state for t in study.get_trials()]
    assert target <= counts.count(TrialState.COMPLETE) <= target + workers - 1
    assert counts.count(TrialState.COMPLETE) == len(counts)  # nothing left running or failed
