"""One study on a real PostgreSQL server shared by launchers in two directories, as two
machines would share it: drivers, connection pools, trial accounting, crashes and the refit."""

from __future__ import annotations

import multiprocessing
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import optuna
import pytest
from optuna.trial import TrialState
from tuning_helpers import GOOD, HOPELESS, states, study_trials, tiny_config, write_config

from tsattn.tuning.claims import claim_refit
from tsattn.tuning.errors import StudyStorageError
from tsattn.tuning.settings import TuneSettings
from tsattn.tuning.storage import driver_hint, open_storage

_ROOT = Path(__file__).resolve().parents[2]
_SETTINGS = TuneSettings.model_validate({"space": {"x": {"type": "float", "low": 0, "high": 1}}})
_STUDY = "shared"


def test_a_missing_driver_names_the_package_this_sqlalchemy_needs() -> None:
    # Real import failures: neither pg8000 nor psycopg2 is installed in the test environment.
    missing = {"postgresql+pg8000://u@127.0.0.1:9/db": "pip install pg8000",
               "postgresql+psycopg2://u@127.0.0.1:9/db": "psycopg2-binary"}  # fmt: skip
    for url, package in missing.items():
        with pytest.raises(StudyStorageError, match="driver is not installed") as caught:
            open_storage(url, _SETTINGS)
        assert package in str(caught.value)
    # SQLAlchemy 2.x loads psycopg (3) for plain postgresql://, which tsattn[postgres] installs.
    assert 'pip install "tsattn[postgres]"' in driver_hint("postgresql://u@host/db")
    assert "psycopg2" not in driver_hint("postgresql://u@host/db")


def test_each_process_holds_a_small_checked_pool_of_server_connections(postgres_url: str) -> None:
    pool = open_storage(postgres_url, _SETTINGS).engine.pool
    assert (pool.size(), pool._max_overflow, pool._pre_ping) == (2, 2, True)  # type: ignore[attr-defined]


def _claim_at_the_same_time(url: str, start: Any, results: Any) -> None:
    study = optuna.load_study(study_name=_STUDY, storage=open_storage(url, _SETTINGS))
    start.wait()
    results.put(claim_refit(study, "trial-0:train:untracked", {"model_dir": str(os.getpid())}))


def test_of_launchers_claiming_one_refit_at_once_exactly_one_wins(postgres_url: str) -> None:
    optuna.create_study(storage=open_storage(postgres_url, _SETTINGS), study_name=_STUDY)
    context = multiprocessing.get_context("fork")
    start, results = context.Barrier(4), context.Queue()
    racers = [context.Process(target=_claim_at_the_same_time, args=(postgres_url, start, results))
              for _ in range(4)]  # fmt: skip
    for racer in racers:
        racer.start()
    outcomes = [results.get(timeout=60) for _ in racers]
    for racer in racers:
        racer.join(timeout=30)
    winners = [o for o in outcomes if o is None]
    holders = {o["by"] for o in outcomes if o is not None}
    assert len(winners) == 1 and len(holders) == 1  # the three losers all name the winner


def _launch(root: Path, url: str, trials: int, **tune: Any) -> subprocess.Popen[bytes]:
    """`tsattn tune` from its own directory (config, data, outputs), as on its own machine."""
    root.mkdir()
    epochs = tune.pop("max_epochs", None)
    values = tiny_config(root, **tune)
    if epochs:
        values["forecaster"]["max_epochs"] = epochs
    config = write_config(root / "tune.yaml", values)
    command = [sys.executable, "-m", "tsattn", "tune", "--config", str(config),
               "--storage", url, "--study", _STUDY, "--trials", str(trials),
               "--workers", "1", "--no-track"]  # fmt: skip
    # This checkout's tsattn, whichever one the environment has installed.
    path = os.pathsep.join(filter(None, [str(_ROOT), os.environ.get("PYTHONPATH")]))
    env = {**os.environ, "PYTHONPATH": path}
    log = (root / "tune.log").open("wb")
    return subprocess.Popen(command, cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)  # fmt: skip


def _finish(process: subprocess.Popen[bytes], root: Path, timeout: float = 240) -> tuple[int, str]:
    try:
        code = process.wait(timeout=timeout)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
    return code, " ".join((root / "tune.log").read_text().split())


def _finished(trials: list[optuna.trial.FrozenTrial]) -> int:
    return sum(t.state in (TrialState.COMPLETE, TrialState.PRUNED) for t in trials)


@pytest.mark.slow
def test_two_machines_run_one_study_and_only_one_refits_the_best(
    postgres_url: str, tmp_path: Path
) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    launched = [_launch(a, postgres_url, 4), _launch(b, postgres_url, 4)]
    (code_a, out_a), (code_b, out_b) = (_finish(p, r) for p, r in zip(launched, (a, b)))
    assert code_a == 0 and code_b == 0, (out_a, out_b)

    trials = study_trials(postgres_url, _STUDY)
    counts = states(trials)
    assert 4 <= _finished(trials) <= 4 + 2 - 1, counts  # two workers in all (study.py's rule)
    assert counts.get("RUNNING", 0) == counts.get("WAITING", 0) == counts.get("FAIL", 0) == 0
    assert len({t.user_attrs["worker_pid"] for t in trials}) == 2  # both machines worked
    # Both launchers queued the same four configurations; each ran exactly once.
    for queued in (GOOD, {**GOOD, "cell": "lstm"}, HOPELESS, {**HOPELESS, "cell": "gru"}):
        assert sum(t.params == queued for t in trials) == 1, queued

    refit = [root for root in (a, b) if (root / "outputs" / "tiny" / "best_model").is_dir()]
    assert len(refit) == 1, "exactly one machine retrains the best trial"
    other = out_b if refit[0] == a else out_a
    best = optuna.load_study(study_name=_STUDY, storage=postgres_url).best_trial.number
    assert f"#{best}" in other and "refit by" in other
    assert str(refit[0] / "outputs" / "tiny" / "best_model") in other


def _running_victim(url: str) -> optuna.trial.FrozenTrial | None:
    try:
        trials = study_trials(url, _STUDY)
    except Exception:  # the study may not exist yet
        return None
    return next((t for t in trials if t.state == TrialState.RUNNING and t.intermediate_values
                 and "worker_pid" in t.user_attrs), None)  # fmt: skip


@pytest.mark.slow
def test_a_worker_killed_mid_trial_on_one_machine_is_failed_and_requeued_by_the_other(
    postgres_url: str, tmp_path: Path
) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    # Long enough trials (many cheap epochs) that one is surely caught mid-training.
    tune = {"pruner": "none", "enqueue": [], "max_epochs": 10}
    launched = {a: _launch(a, postgres_url, 3, **tune), b: _launch(b, postgres_url, 3, **tune)}
    deadline, victim = time.monotonic() + 120, None
    while victim is None and time.monotonic() < deadline:
        victim = _running_victim(postgres_url)
        time.sleep(0.2)
    assert victim is not None, "no trial was caught mid-training"
    os.kill(victim.user_attrs["worker_pid"], signal.SIGKILL)
    results = {root: _finish(process, root) for root, process in launched.items()}

    # The victim's machine lost its only worker; the other carried the study to its target.
    codes = sorted(code for code, _ in results.values())
    assert codes[0] == 0 and codes[1] != 0, results
    assert any("killed by SIGKILL" in out for code, out in results.values() if code != 0)
    trials = study_trials(postgres_url, _STUDY)
    by_number = {t.number: t for t in trials}
    assert by_number[victim.number].state == TrialState.FAIL
    retries = [t for t in trials if t.system_attrs.get("failed_trial") == victim.number]
    assert len(retries) == 1 and retries[0].params == victim.params  # re-queued exactly once
    assert retries[0].state == TrialState.COMPLETE
    counts = states(trials)
    assert 3 <= _finished(trials) <= 3 + 2 - 1, counts
    assert counts.get("RUNNING", 0) == counts.get("WAITING", 0) == 0 and counts["FAIL"] == 1
