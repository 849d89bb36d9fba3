"""Run lifecycle for jobs and the CLI: open a run (or a nested child), end it FAILED on a crash.

MLflow's own `start_run` leaves a run RUNNING forever when the process is terminated by a
scheduler's SIGTERM; here SIGTERM is turned into an exception while a run is open, so every way
out of the block ends the run with an honest status. While a run is open MLflow's HTTP calls are
bounded (`tsattn.tracking.http_bounds`), and ending a run whose server stopped answering waits a
short grace for it to return before warning that the run may show as RUNNING.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any

from tsattn.errors import TrackingError
from tsattn.tracking.http_bounds import RUN_END_GRACE_ENV, bounded_http, run_end_grace_s
from tsattn.tracking.store import ensure_experiment, resolve_store, unreachable_reason

if TYPE_CHECKING:
    import pandas as pd
    from mlflow import ActiveRun

    from tsattn.config import TrackingConfig

__all__ = [
    "active_run",
    "end_status",
    "log_file",
    "log_metrics",
    "log_params",
    "log_table",
    "start_run",
    "tracking_uri",
]


def active_run() -> ActiveRun | None:
    """The active MLflow run, without importing mlflow when nobody has (then none can be active)."""
    mlflow = sys.modules.get("mlflow")
    return mlflow.active_run() if mlflow is not None else None


@contextmanager
def start_run(
    tracking: TrackingConfig,
    *,
    run_name: str | None = None,
    tags: Mapping[str, str] | None = None,
    nested: bool = False,
) -> Iterator[ActiveRun | None]:
    """Open a run for a job; yields None when `tracking.enabled` is False.

    Inside an active run, `nested=True` opens a child run in the same store and experiment
    (tuning trials); `nested=False` logs into the active run, as MLflow users expect. A run
    opened here ends FINISHED, FAILED on an exception, or KILLED on Ctrl-C / SIGTERM. MLflow's
    HTTP calls in the block are bounded (see `tsattn.tracking.http_bounds`).
    """
    if not tracking.enabled:
        yield None
        return
    import mlflow

    run_end_grace_s()  # a malformed TSATTN_RUN_END_GRACE_S fails here, before any training
    with bounded_http():
        parent = mlflow.active_run()
        if parent is not None and not nested:
            yield parent
            return
        if parent is not None:
            store_uri, experiment_id = mlflow.get_tracking_uri(), parent.info.experiment_id
        else:
            store = resolve_store(tracking)
            store_uri, experiment_id = store.uri, ensure_experiment(tracking.experiment, store)
        all_tags = {"tsattn.version": _package_version(), **(tags or {})}
        with tracking_uri(store_uri):
            try:
                run = mlflow.start_run(
                    experiment_id=experiment_id,
                    run_name=run_name or tracking.run_name,
                    nested=parent is not None,
                    tags=all_tags,
                )
            except Exception as err:
                raise TrackingError(f"could not start an MLflow run in {store_uri}: {err}") from err
            with _sigterm_raises(), end_status(run.info.run_id, fluent=True):
                yield run


@contextmanager
def end_status(run_id: str, *, fluent: bool, client_uri: str | None = None) -> Iterator[None]:
    """End run `run_id` FINISHED on success, FAILED on an exception, KILLED on an interrupt.

    `fluent=True` ends it through MLflow's active-run stack (it was opened with start_run);
    otherwise through a client on `client_uri`, leaving the active-run stack alone.
    """
    status = "FINISHED"
    with bounded_http():
        try:
            yield
        except (KeyboardInterrupt, SystemExit):
            status = "KILLED"
            raise
        except BaseException:
            status = "FAILED"
            raise
        finally:
            _terminate(run_id, status, fluent=fluent, client_uri=client_uri)


def log_metrics(
    metrics: Mapping[str, float],
    prefix: str = "",
    *,
    step: int | None = None,
    run_id: str | None = None,
) -> bool:
    """Log `metrics` as `{prefix}_{name}` to `run_id` or the active run; False if there is none.

    Returning instead of raising when no run is open lets a job call this unconditionally and
    still work with tracking turned off.
    """
    run = active_run()
    if run_id is None and run is None:
        return False
    import mlflow

    named = {f"{prefix}_{k}" if prefix else k: float(v) for k, v in metrics.items()}
    if run_id is None or (run is not None and run.info.run_id == run_id):
        mlflow.log_metrics(named, step=step)
    else:
        from mlflow.entities import Metric
        from mlflow.tracking import MlflowClient

        stamp = _now_ms()
        batch = [Metric(k, v, stamp, step or 0) for k, v in named.items()]
        MlflowClient().log_batch(run_id, metrics=batch)
    return True


def log_table(frame: pd.DataFrame, artifact_file: str) -> bool:
    """Log `frame` to the active run as an MLflow table (the UI shows it as one, sortable); False
    if there is none."""
    if active_run() is None:
        return False
    import mlflow

    mlflow.log_table(frame, artifact_file)
    return True


def log_params(params: Mapping[str, Any]) -> bool:
    """Log job params (model URI, data path, ...) to the active run; False if there is none.

    Keys the run already has with the same value are skipped, so a job may log what the fit
    also logged; a differing value warns instead of failing after the work is done.
    """
    run = active_run()
    if run is None:
        return False
    from mlflow.tracking import MlflowClient

    from tsattn.tracking.record import log_params as log_batch

    log_batch(run.info.run_id, params, client=MlflowClient())
    return True


def log_file(path: str | Path, artifact_path: str | None = None) -> bool:
    """Copy a file (e.g. a forecast CSV) into the active run's artifacts; False if no run."""
    if active_run() is None:
        return False
    import mlflow

    mlflow.log_artifact(str(path), artifact_path)
    return True


@contextmanager
def tracking_uri(uri: str) -> Iterator[None]:
    """Point MLflow's fluent API at `uri` for the block, then restore what was set before.

    Public calls only: MLflow's setter mirrors a URI into MLFLOW_TRACKING_URI and `None` clears
    both, so the variable says what was set. Only a URI set in code that differs from it (the
    variable changed since) is set back explicitly; otherwise the variable, or MLflow's
    default when there is none, decides again.
    """
    import mlflow

    previous, previous_env = mlflow.get_tracking_uri(), os.environ.get("MLFLOW_TRACKING_URI")
    mlflow.set_tracking_uri(uri)
    try:
        yield
    finally:
        if active_run() is None:  # an outer run still needs the URI it was opened with
            set_in_code = previous_env is not None and previous != previous_env
            mlflow.set_tracking_uri(previous if set_in_code else None)  # type: ignore[arg-type]
            if previous_env is not None:
                os.environ["MLFLOW_TRACKING_URI"] = previous_env


def _terminate(run_id: str, status: str, *, fluent: bool, client_uri: str | None) -> None:
    import mlflow
    from mlflow.tracking import MlflowClient

    uri = client_uri or mlflow.get_tracking_uri()
    try:
        run = mlflow.active_run()
        if fluent and run is not None and run.info.run_id == run_id:
            mlflow.end_run(status)  # pops the run off MLflow's stack even if the call fails
        else:
            MlflowClient(client_uri).set_terminated(run_id, status)
        return
    except Exception as err:  # the original exception, if any, matters more than this one
        error = err
    if _end_when_back(run_id, status, uri):
        return
    import warnings

    warnings.warn(
        f"could not mark MLflow run {run_id} as {status}: {error}. It may show as RUNNING; set "
        f"its status in the UI, or with MlflowClient('{uri}').set_terminated('{run_id}', "
        f"'{status}') once the server answers (tsattn waited {run_end_grace_s():g} s for it; "
        f"{RUN_END_GRACE_ENV} sets how long).",
        RuntimeWarning,
        stacklevel=3,
    )


def _end_when_back(run_id: str, status: str, uri: str) -> bool:
    """Wait up to the run-end grace for a server that stopped answering, then end the run once.

    A supervisor (systemd, Kubernetes) restarts a crashed server within seconds; waiting that
    long turns a run that would show RUNNING forever into an honest FAILED.
    """
    from mlflow.tracking import MlflowClient

    if uri.split(":", 1)[0].lower() not in {"http", "https"}:
        return False  # a local store does not come back by waiting
    deadline = time.monotonic() + run_end_grace_s()
    while unreachable_reason(uri, timeout_s=2.0) is not None:
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.5)
    try:
        MlflowClient(uri).set_terminated(run_id, status)
    except Exception:
        return False
    return True


@contextmanager
def _sigterm_raises() -> Iterator[None]:
    """Turn SIGTERM into SystemExit while a run is open (main thread only; handlers are global)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.getsignal(signal.SIGTERM)
    if previous is not signal.SIG_DFL:
        yield  # someone else handles SIGTERM; respect their choice
        return

    def _raise(signum: int, frame: FrameType | None) -> Any:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, _raise)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _package_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("tsattn")
    except PackageNotFoundError:
        return "unknown"


def _now_ms() -> int:
    import time

    return int(time.time() * 1000)
