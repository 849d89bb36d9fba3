"""Bounds on MLflow's HTTP calls while tsattn tracks a fit or job, so a dead server costs seconds.

MLflow's defaults (120 s timeout, 7 retries, backoff factor 2) let one call to a SIGKILLed
server retry for about four minutes; a fit makes several such calls after training, which a
user measured as 11 silent minutes before the error. MLflow reads these variables on every
request, so tsattn sets its bounds in the environment for the duration of a tracked block and
removes them afterwards. A variable the user set is never overridden: export it to choose.

- `MLFLOW_HTTP_REQUEST_TIMEOUT=15`: tsattn uploads megabytes (a model, attention Parquet), which
  a proxied server stores well inside 15 s; a hung server is given up on 15 s per attempt.
- `MLFLOW_HTTP_REQUEST_MAX_RETRIES=2`, `..._BACKOFF_FACTOR=1`, `..._BACKOFF_JITTER=0.5`: a
  restart or a blip is ridden out (retries after 0 s and ~2 s), a dead server fails in ~3 s.
- `TSATTN_RUN_END_GRACE_S=20` (tsattn's own): how long ending a run waits for a server that
  stopped answering to come back, so a supervisor's restart still records FAILED, not RUNNING.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["HTTP_BOUNDS", "RUN_END_GRACE_ENV", "bounded_http", "run_end_grace_s"]

HTTP_BOUNDS: dict[str, str] = {
    "MLFLOW_HTTP_REQUEST_TIMEOUT": "15",
    "MLFLOW_HTTP_REQUEST_MAX_RETRIES": "2",
    "MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR": "1",
    "MLFLOW_HTTP_REQUEST_BACKOFF_JITTER": "0.5",
}
RUN_END_GRACE_ENV = "TSATTN_RUN_END_GRACE_S"
_DEFAULT_RUN_END_GRACE_S = 20.0

_lock = threading.Lock()
_depth = 0  # nested / concurrent tracked blocks (tuning threads): only the last one cleans up
_set_here: dict[str, str] = {}


@contextmanager
def bounded_http() -> Iterator[None]:
    """Apply `HTTP_BOUNDS` to every variable the user left unset, for the block's duration."""
    global _depth
    with _lock:
        if _depth == 0:
            for name, value in HTTP_BOUNDS.items():
                if name not in os.environ:
                    os.environ[name] = value
                    _set_here[name] = value
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0:
                for name, value in _set_here.items():
                    if os.environ.get(name) == value:  # unless someone changed it since
                        del os.environ[name]
                _set_here.clear()


def run_end_grace_s() -> float:
    """Seconds ending a run waits for a lost server to answer again (`TSATTN_RUN_END_GRACE_S`)."""
    raw = os.environ.get(RUN_END_GRACE_ENV)
    if raw is None:
        return _DEFAULT_RUN_END_GRACE_S
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if value < 0:
        from tsattn.errors import TrackingError

        raise TrackingError(
            f"{RUN_END_GRACE_ENV} must be a number of seconds >= 0, but got {raw!r}; "
            f"unset it for the default {_DEFAULT_RUN_END_GRACE_S:g} s."
        )
    return value
