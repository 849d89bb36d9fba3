"""A worker killed mid-trial leaves a study that the next command continues to its target."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import pytest
import typer
from optuna.trial import TrialState
from tuning_helpers import states, study_trials, write_config
from typer.testing import CliRunner

from tsattn.tuning.cli import tune_command

pytestmark = pytest.mark.slow

T = TypeVar("T")

# The `tsattn tune` command exactly as the CLI registers it, without depending on that wiring.
_TUNE = "import typer; from tsattn.tuning.cli import tune_command; typer.run(tune_command)"


def _wait_for(check: Callable[[], T | None], timeout: float, what: str) -> T:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found is not None:
            return found
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


def test_killed_worker_trial_fails_and_rerun_reaches_the_target(
    make_config: Any, tmp_path: Path
) -> None:
    values = make_config(pruner="none", enqueue=[])
    # Long enough trials (many cheap epochs) that one is surely caught mid-training.
    values["forecaster"].update(max_epochs=20)
    config = write_config(tmp_path / "tune.yaml", values)
    command = [sys.executable, "-c", _TUNE, "--config", str(config), "--trials", "4",
               "--workers", "2", "--no-track"]  # fmt: skip
    storage = f"sqlite:///{tmp_path / 'outputs' / 'tiny' / 'study.db'}"

    with (tmp_path / "first.log").open("w") as log:
        first = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT,
                                 start_new_session=True)  # fmt: skip
    try:

        def mid_trial() -> Any:
            if not (tmp_path / "outputs" / "tiny" / "study.db").exists():
                return None
            try:
                trials = study_trials(storage)
            except Exception:  # the parent may still be creating the study
                return None
            running = [t for t in trials if t.state == TrialState.RUNNING]
            return next((t for t in running if t.intermediate_values and
                         "worker_pid" in t.user_attrs), None)  # fmt: skip

        victim = _wait_for(mid_trial, 180, "a trial in the middle of training")
        os.kill(victim.user_attrs["worker_pid"], signal.SIGKILL)
        time.sleep(0.5)
        # Then the rest of the machine goes down too: parent and the other worker, no cleanup.
        os.killpg(first.pid, signal.SIGKILL)
        first.wait(timeout=30)
    finally:
        if first.poll() is None:
            os.killpg(first.pid, signal.SIGKILL)

    left_behind = {t.number: t for t in study_trials(storage)}
    assert left_behind[victim.number].state == TrialState.RUNNING  # nobody could clean up
    finished_before = sum(t.state in (TrialState.COMPLETE, TrialState.PRUNED)
                          for t in left_behind.values())  # fmt: skip
    assert finished_before < 4

    # The same command again, straight away: the dead trials' heartbeats may still be within the
    # grace period, so they look alive at first. In-process (through Typer, as the CLI runs it)
    # to save a start-up.
    app = typer.Typer()
    app.command()(tune_command)
    rerun = CliRunner().invoke(app, command[3:])
    assert rerun.exit_code == 0, rerun.output

    trials = study_trials(storage)
    counts = states(trials)
    assert counts.get("COMPLETE", 0) + counts.get("PRUNED", 0) == 4, counts
    assert counts.get("RUNNING", 0) == 0
    by_number = {t.number: t for t in trials}
    assert by_number[victim.number].state == TrialState.FAIL
    retries = [t for t in trials if t.system_attrs.get("failed_trial") == victim.number]
    assert len(retries) == 1 and retries[0].params == victim.params
    assert retries[0].state == TrialState.COMPLETE
    assert "4/4 finished" in " ".join(rerun.output.split())
