"""MLflow layout of a study: one parent run per study, one nested run per trial.

The parent run id is stored on the study (`mlflow_run_id` user attr), so rerunning the command,
or running it on another machine against the same storage, adds trials under the same parent.
Trial runs are written through an `MlflowClient` rather than the fluent API: no run is *active*
during a trial, so `Forecaster.fit` does not log a model and attention plots for every trial;
only the final best model gets those (see `best.py`). A trial run holds the trial's full config
as params, its per-epoch metrics (from the same collector and sink a tracked fit uses), and its
Optuna state as a tag.
"""

from __future__ import annotations

import json
import os
import socket
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import optuna
from lightning.pytorch.callbacks import Callback
from optuna.trial import TrialState

from tsattn.errors import TrackingError
from tsattn.tuning.spec import TrackingLink

if TYPE_CHECKING:
    from tsattn.config import ExperimentConfig

__all__ = [
    "close_orphan_trial_runs",
    "log_study_summary",
    "study_run",
    "trial_run",
]

ROLE_TAG = "tsattn.role"
STATE_TAG = "optuna.state"


@contextmanager
def study_run(
    config: ExperimentConfig, study: optuna.Study, *, storage: str
) -> Iterator[TrackingLink]:
    """Open (or reopen) the study's parent run and keep it active for the whole job.

    Raises TrackingError before any trial when the store is unreachable.
    """
    import mlflow
    from mlflow.tracking import MlflowClient

    from tsattn.tracking.runs import end_status, tracking_uri
    from tsattn.tracking.store import ensure_experiment, resolve_store

    store = resolve_store(config.tracking)
    experiment_id = ensure_experiment(config.tracking.experiment, store)
    with tracking_uri(store.uri):
        client = MlflowClient(store.uri)
        run_id = _existing_run(client, study.user_attrs.get("mlflow_run_id"), experiment_id)
        tags = {
            ROLE_TAG: "study",
            "optuna.study": study.study_name,
            "optuna.storage": storage,
            "optuna.metric": str(study.user_attrs.get("metric")),
            "optuna.direction": study.direction.name.lower(),
        }
        try:
            run = mlflow.start_run(
                run_id=run_id,
                experiment_id=None if run_id else experiment_id,
                run_name=None
                if run_id
                else (config.tracking.run_name or f"tune-{study.study_name}"),
                # Inside a user's own active run (a notebook), the study nests under it.
                nested=mlflow.active_run() is not None,
                tags=tags,
            )
        except Exception as err:
            raise TrackingError(
                f"could not start the study's MLflow run in {store.uri}: {err}"
            ) from err
        study.set_user_attr("mlflow_run_id", run.info.run_id)
        mlflow.log_dict(study.user_attrs.get("space", {}), "search_space.json")
        with end_status(run.info.run_id, fluent=True):
            yield TrackingLink(store.uri, experiment_id, run.info.run_id)


@contextmanager
def trial_run(
    link: TrackingLink, trial: optuna.Trial, config: dict[str, Any]
) -> Iterator[list[Callback]]:
    """A nested run for one trial; yields the Lightning callbacks that log its epochs.

    The run ends FINISHED for COMPLETE and PRUNED trials (the tag tells them apart), FAILED when
    the trial raises, KILLED on Ctrl-C.
    """
    from mlflow.tracking import MlflowClient

    from tsattn.tracking.epochs import RunEpochSink
    from tsattn.tracking.record import log_params
    from tsattn.training import EpochHistory

    client = MlflowClient(link.uri)
    run = client.create_run(
        link.experiment_id,
        run_name=f"trial-{trial.number}",
        tags={
            "mlflow.parentRunId": link.parent_run_id,
            ROLE_TAG: "trial",
            "optuna.study": trial.study.study_name,
            "optuna.trial": str(trial.number),
            STATE_TAG: TrialState.RUNNING.name,
            "tsattn.worker.host": socket.gethostname(),
            "tsattn.worker.pid": str(os.getpid()),
        },
    )
    run_id = run.info.run_id
    trial.set_user_attr("mlflow_run_id", run_id)
    searched = {f"optuna.{k}": v for k, v in trial.params.items()}
    log_params(run_id, {**config, **searched}, client=client)
    state, status = TrialState.FAIL, "FAILED"
    try:
        yield [EpochHistory([RunEpochSink(run_id, client=client)])]
        state, status = TrialState.COMPLETE, "FINISHED"
    except optuna.TrialPruned:
        # Pruning is the study working as designed, not a failed run.
        state, status = TrialState.PRUNED, "FINISHED"
        raise
    except (KeyboardInterrupt, SystemExit):
        status = "KILLED"
        raise
    except Exception as err:
        client.set_tag(run_id, "tsattn.error", f"{type(err).__name__}: {err}"[:5000])
        raise
    finally:
        _end(client, run_id, state, status)


def _end(client: Any, run_id: str, state: TrialState, status: str) -> None:
    try:
        client.set_tag(run_id, STATE_TAG, state.name)
        client.set_terminated(run_id, status)
    except Exception as err:  # the trial's own outcome matters more than its run's status
        warnings.warn(
            f"could not end MLflow run {run_id} as {status}: {err}", RuntimeWarning, stacklevel=3
        )


def close_orphan_trial_runs(study: optuna.Study, link: TrackingLink) -> int:
    """Mark trial runs FAILED whose worker died mid-trial (their Optuna trial is FAIL).

    A killed process cannot end its own run, so without this it would show RUNNING forever.
    """
    from mlflow.tracking import MlflowClient

    client = MlflowClient(link.uri)
    closed = 0
    for trial in study.get_trials(deepcopy=False, states=(TrialState.FAIL,)):
        run_id = trial.user_attrs.get("mlflow_run_id")
        if not run_id:
            continue
        try:
            run = client.get_run(run_id)
        except Exception:
            continue
        if run.info.status == "RUNNING":
            client.set_tag(run_id, STATE_TAG, TrialState.FAIL.name)
            client.set_tag(run_id, "tsattn.failure", "worker stopped sending heartbeats")
            client.set_terminated(run_id, "FAILED")
            closed += 1
    return closed


def log_study_summary(study: optuna.Study, progress: Any, top: Any) -> None:
    """Counts, best value and the trials table on the parent run (tags, so reruns can update)."""
    import mlflow

    mlflow.set_tags(
        {
            "optuna.n_complete": str(progress.complete),
            "optuna.n_pruned": str(progress.pruned),
            "optuna.n_failed": str(progress.failed),
            "optuna.best_trial": str(progress.best_number),
        }
    )
    if progress.best_value is not None:
        mlflow.log_metric("best_value", float(progress.best_value), step=progress.finished)
        best = study.best_trial
        mlflow.log_dict(
            {"trial": best.number, "value": best.value, "params": best.params}, "best_params.json"
        )
    frame = study.trials_dataframe(attrs=("number", "state", "value", "params", "duration"))
    mlflow.log_text(frame.to_csv(index=False), "trials.csv")
    mlflow.log_text(
        json.dumps(top.to_dict(orient="records"), default=str, indent=2), "top_trials.json"
    )


def _existing_run(client: Any, run_id: str | None, experiment_id: str) -> str | None:
    """The stored parent run, if this store and experiment still hold it (users switch them)."""
    if not run_id:
        return None
    try:
        run = client.get_run(run_id)
    except Exception:
        return None
    usable = run.info.lifecycle_stage == "active" and run.info.experiment_id == experiment_id
    return run_id if usable else None
