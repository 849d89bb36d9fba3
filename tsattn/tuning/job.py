"""`tune_job`: validate everything, start the workers, wait, then retrain and register the best.

Launchers on several machines may share one study (a server `--storage`): each waits for the
trials still running anywhere before it looks for the best, and only the first to claim it
refits that trial (see `claims.py`).

All checks that can fail cheaply (search space, hardware flags, storage URL, tracking store,
data file) run before the first worker starts. The study's storage decides what "done" means:
`trials` is the number of finished (complete or pruned) trials the study should hold, so running
the same command again resumes an interrupted study and a larger `trials` extends a finished one.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import optuna
import pandas as pd

from tsattn.config import ExperimentConfig
from tsattn.errors import ConfigError
from tsattn.tuning.best import BestModel, fit_best
from tsattn.tuning.hardware import WorkerSlot, plan_workers
from tsattn.tuning.launch import WorkerExit, run_workers
from tsattn.tuning.settings import TuneSettings, tune_settings
from tsattn.tuning.spec import TrackingLink, WorkerSpec
from tsattn.tuning.storage import default_storage_url, open_storage, redact
from tsattn.tuning.study import (
    StudyProgress,
    create_or_load_study,
    progress_of,
    top_trials,
)

__all__ = ["TuneResult", "tune_job"]

_QUIET = {"enable_progress_bar": False}


@dataclass
class TuneResult:
    """What a tuning job produced and where to find it."""

    study_name: str
    storage: str
    run_dir: Path
    progress: StudyProgress
    top: pd.DataFrame
    best: BestModel | None = None
    mlflow_run_id: str | None = None
    tracking_uri: str | None = None
    workers: list[WorkerExit] = field(default_factory=list)
    failures: dict[int, str] = field(default_factory=dict)

    @property
    def dashboard_command(self) -> str:
        return f"optuna-dashboard {self.storage}"


def tune_job(
    config: ExperimentConfig,
    *,
    trials: int,
    workers: int | None = None,
    gpus: list[int] | None = None,
    storage: str | None = None,
    study_name: str | None = None,
    timeout: float | None = None,
    track: bool = True,
    top: int = 10,
    on_progress: Callable[[StudyProgress], None] | None = None,
) -> TuneResult:
    """Run (or resume) a study until it holds `trials` finished trials, then fit the best model.

    `workers` starts that many CPU processes, `gpus` one process per listed GPU; neither runs
    one worker with the config's own accelerator. `storage` is an Optuna database URL (default:
    sqlite in `<output_dir>/<name>/`), which several machines may share. `on_progress` is called
    every couple of seconds with a snapshot, for live display.
    """
    settings = tune_settings(config)
    if trials < 1:
        raise ConfigError(f"--trials must be at least 1, but got {trials}")
    if timeout is not None and timeout <= 0:
        raise ConfigError(f"--timeout must be a positive number of seconds, but got {timeout}")
    slots = plan_workers(config.forecaster, workers=workers, gpus=gpus)
    frame = _read_data(config)
    run_dir = Path(config.output_dir).resolve() / config.name
    url = storage or default_storage_url(run_dir)
    name = study_name or config.name
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        study = create_or_load_study(
            open_storage(url, settings), name, settings, space=_space_json(settings)
        )
        optuna.storages.fail_stale_trials(study)
        with _study_run(config, study, redact(url), track) as link:
            exits = _search(config, study, url, trials, timeout, slots, run_dir, link, on_progress)
            _wait_for_other_machines(study, trials, on_progress)
            result = _summarise(study, url, run_dir, trials, top, exits, link)
            if result.progress.best_number is not None:
                if on_progress is not None:
                    stage = f"fitting the best configuration (trial #{result.progress.best_number})"
                    on_progress(replace(result.progress, stage=stage))
                hardware = _final_hardware(config, slots, gpus)
                result.best = fit_best(
                    config,
                    settings,
                    study,
                    frame,
                    hardware=hardware,
                    threads=slots[0].threads,
                    tracking_uri=link.uri if link is not None else None,
                )
            if link is not None:
                from tsattn.tuning.mlflow_runs import log_study_summary

                log_study_summary(study, result.progress, result.top)
    return result


def _search(
    config: ExperimentConfig,
    study: optuna.Study,
    url: str,
    trials: int,
    timeout: float | None,
    slots: list[WorkerSlot],
    run_dir: Path,
    link: TrackingLink | None,
    on_progress: Callable[[StudyProgress], None] | None,
) -> list[WorkerExit]:
    """Start as many workers as there are trials left (at most one per slot) and wait."""
    left = trials - progress_of(study, trials).finished
    if left <= 0:
        return []
    spec = WorkerSpec(
        experiment=config.model_dump(mode="json"),
        storage_url=url,
        study_name=study.study_name,
        n_trials=trials,
        timeout=timeout,
        slots=slots,
        tracking=link,
    )
    spec_path = spec.write(run_dir / "tune" / "worker-spec.json")
    poll = (lambda: on_progress(progress_of(study, trials))) if on_progress else None
    return run_workers(spec_path, slots[:left], run_dir / "tune", poll=poll)


def _wait_for_other_machines(
    study: optuna.Study,
    trials: int,
    on_progress: Callable[[StudyProgress], None] | None,
    poll: float = 2.0,
) -> None:
    """Wait until no tsattn worker anywhere still runs a trial of the study.

    Until then the best trial may still change, and launchers sharing the study would each
    claim the refit of a different "best". A dead worker's trial is failed once it goes stale,
    so the wait ends; trials without a `worker_pid` (ask-and-tell clients, the dashboard) are
    not tsattn's and are not waited for.
    """
    while True:
        optuna.storages.fail_stale_trials(study)
        running = [
            t
            for t in study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.RUNNING,))
            if "worker_pid" in t.user_attrs
        ]
        if not running:
            return
        if on_progress is not None:
            stage = f"waiting for {len(running)} trial(s) still running on other workers"
            on_progress(replace(progress_of(study, trials), stage=stage))
        time.sleep(poll)


def _summarise(
    study: optuna.Study,
    url: str,
    run_dir: Path,
    trials: int,
    top: int,
    exits: list[WorkerExit],
    link: TrackingLink | None,
) -> TuneResult:
    if link is not None:
        from tsattn.tuning.mlflow_runs import close_orphan_trial_runs

        close_orphan_trial_runs(study, link)
    everything = study.get_trials(deepcopy=False)
    retried = {t.system_attrs.get("failed_trial"): t.number for t in everything}
    failed = [t for t in everything if t.state == optuna.trial.TrialState.FAIL]
    return TuneResult(
        study_name=study.study_name,
        storage=redact(url),
        run_dir=run_dir,
        progress=progress_of(study, trials),
        top=top_trials(study, top),
        mlflow_run_id=link.parent_run_id if link else None,
        tracking_uri=link.uri if link else None,
        workers=exits,
        failures={t.number: _failure(t, retried.get(t.number)) for t in failed},
    )


def _failure(trial: optuna.trial.FrozenTrial, retry: int | None) -> str:
    if "error" in trial.user_attrs:
        return str(trial.user_attrs["error"])
    again = f"; re-queued as trial {retry}" if retry is not None else ""
    return f"its worker stopped sending heartbeats mid-trial (killed or lost){again}"


@contextmanager
def _study_run(
    config: ExperimentConfig, study: optuna.Study, storage: str, track: bool
) -> Iterator[TrackingLink | None]:
    if not (track and config.tracking.enabled):
        yield None
        return
    from tsattn.tuning.mlflow_runs import study_run

    with study_run(config, study, storage=storage) as link:
        yield link


def _read_data(config: ExperimentConfig) -> pd.DataFrame:
    """Read and split the data once in the parent, so a bad file or split fails here.

    Otherwise every trial in every worker would fail with the same error.
    """
    from tsattn.io import read_frame
    from tsattn.jobs import split_frame

    frame = read_frame(config.data.path)
    split_frame(frame, config)
    return frame


def _final_hardware(
    config: ExperimentConfig, slots: list[WorkerSlot], gpus: list[int] | None
) -> dict[str, Any]:
    """The parent sees every GPU, so the final fit names the first listed one explicitly.

    `track` is off because the study's run (when tracking) is active and records the fit, and
    with `--no-track` nothing may be logged; the progress bar is off because the live study
    display owns the console.
    """
    if gpus:
        return {"accelerator": "gpu", "devices": [gpus[0]], **_QUIET}
    return {"accelerator": slots[0].accelerator, "devices": slots[0].devices, **_QUIET}


def _space_json(settings: TuneSettings) -> dict[str, Any]:
    return {name: param.model_dump() for name, param in settings.space.items()}
