"""Where runs go: resolve the MLflow store, prove it answers, and find or create the experiment.

Resolution order is explicit URI > `MLFLOW_TRACKING_URI` > an embedded store in the working
directory (`sqlite:///mlflow.db` + `./mlartifacts`). A SQL backend, not the file store, so the
model registry works without a server. Reachability is checked *before* training: a two-hour fit
whose results cannot be logged is the failure this module exists to prevent.
"""

from __future__ import annotations

import os
import re
import urllib.error
import urllib.request
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from tsattn.errors import TrackingError

if TYPE_CHECKING:
    from tsattn.config import TrackingConfig

__all__ = [
    "LOCAL_ARTIFACT_DIR",
    "LOCAL_DB_FILE",
    "Store",
    "check_reachable",
    "ensure_experiment",
    "local_store_uri",
    "resolve_store",
    "unreachable_reason",
]

LOCAL_DB_FILE = "mlflow.db"
LOCAL_ARTIFACT_DIR = "mlartifacts"
_HEALTH_TIMEOUT_S = 5.0


@dataclass(frozen=True)
class Store:
    """A resolved tracking store: its URI, where the URI came from, and whether it is embedded."""

    uri: str
    source: str  # "config", "MLFLOW_TRACKING_URI", "local" or "offline fallback"
    local: bool

    @property
    def artifact_root(self) -> Path | None:
        """Artifact folder for experiments created in an embedded store; servers pick theirs."""
        if not self.local:
            return None
        return _sqlite_path(self.uri).parent / LOCAL_ARTIFACT_DIR


def local_store_uri(directory: Path | None = None) -> str:
    """The embedded store's URI: a sqlite file in `directory` (default: the working directory)."""
    db = (directory or Path.cwd()).resolve() / LOCAL_DB_FILE
    return f"sqlite:///{db}"


def resolve_store(tracking: TrackingConfig | None = None) -> Store:
    """Pick the store by precedence and check it answers; TrackingError (or a warning) if not.

    With `tracking.allow_offline`, an unreachable store is replaced by the embedded local store
    and a warning names both, so the run (and its model) is still recorded somewhere.
    """
    explicit = tracking.uri if tracking is not None else None
    env = os.environ.get("MLFLOW_TRACKING_URI")
    if explicit:
        store = Store(explicit, "config", _is_embedded(explicit))
    elif env:
        store = Store(env, "MLFLOW_TRACKING_URI", _is_embedded(env))
    else:
        store = Store(local_store_uri(), "local", True)
    try:
        check_reachable(store)
    except TrackingError as err:
        if tracking is None or not tracking.allow_offline or store.source == "local":
            raise
        fallback = Store(local_store_uri(), "offline fallback", True)
        warnings.warn(
            f"{err} Training anyway because allow_offline is set: this run is recorded in the "
            f"local store {fallback.uri} instead (view it with `mlflow ui --backend-store-uri "
            f"{fallback.uri}`).",
            RuntimeWarning,
            stacklevel=2,
        )
        check_reachable(fallback)
        return fallback
    return store


def check_reachable(store: Store) -> None:
    """Raise TrackingError naming the URI and the fix when the store cannot take a run."""
    scheme = store.uri.split(":", 1)[0].lower()
    if scheme in {"http", "https"}:
        _check_server(store)
    elif scheme == "sqlite":
        _check_writable(_sqlite_path(store.uri).parent, store)
    elif scheme == "file" or "://" not in store.uri:
        path = Path(store.uri.removeprefix("file://"))
        _check_writable(path if path.exists() else path.parent, store)
    # Other schemes (databricks, postgresql, ...) are checked by MLflow on first use.


def ensure_experiment(name: str, store: Store) -> str:
    """Return the id of experiment `name`, creating it (with a local artifact root) if missing."""
    from mlflow.tracking import MlflowClient

    client = MlflowClient(store.uri)
    try:
        experiment = client.get_experiment_by_name(name)
        if experiment is not None and experiment.lifecycle_stage == "deleted":
            raise TrackingError(
                f"MLflow experiment '{name}' in {store.uri} is deleted; restore it in the UI or "
                "choose another tracking.experiment name"
            )
        if experiment is not None:
            return str(experiment.experiment_id)
        root = store.artifact_root
        location = (root / _safe_name(name)).as_uri() if root is not None else None
        return str(client.create_experiment(name, artifact_location=location))
    except TrackingError:
        raise
    except Exception as err:  # MLflow raises many types (REST, SQL, IO) for one cause
        raise TrackingError(
            f"could not open MLflow experiment '{name}' in {store.uri}: {err}"
        ) from err


def unreachable_reason(uri: str, *, timeout_s: float = _HEALTH_TIMEOUT_S) -> str | None:
    """Why the tracking server at `uri` does not answer /health, or None if it does.

    One request, no retries: the quick question to ask once a call has failed, before spending
    MLflow's retry budget on the next. Stores that are not servers always count as answering.
    """
    if uri.split(":", 1)[0].lower() not in {"http", "https"}:
        return None
    url = uri.rstrip("/") + "/health"
    try:
        with urllib.request.urlopen(url, timeout=timeout_s) as response:
            if response.status == 200:
                return None
            return f"it answered HTTP {response.status} on /health"
    except urllib.error.HTTPError as err:
        return f"it answered HTTP {err.code} on /health"
    except (urllib.error.URLError, OSError) as err:
        return f"{getattr(err, 'reason', err)}"


def _check_server(store: Store) -> None:
    reason = unreachable_reason(store.uri)
    if reason is None:
        return
    raise TrackingError(
        f"MLflow tracking server {store.uri} (from {store.source}) is unreachable: {reason}. "
        "Start it (e.g. `mlflow server --host 127.0.0.1 --port 5000`), point "
        "MLFLOW_TRACKING_URI or tracking.uri at a running server, unset both to use the local "
        "store, pass allow_offline=True (CLI: --allow-offline) to train anyway into the local "
        "store, or turn tracking off (CLI: --no-track)."
    )


def _check_writable(directory: Path, store: Store) -> None:
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise TrackingError(
            f"MLflow store {store.uri} (from {store.source}) cannot be created: {err}. "
            "Choose a writable location with MLFLOW_TRACKING_URI or tracking.uri."
        ) from err
    if not os.access(directory, os.W_OK):
        raise TrackingError(
            f"MLflow store {store.uri} (from {store.source}) is not writable: '{directory}' is "
            "read-only. Choose a writable location with MLFLOW_TRACKING_URI or tracking.uri."
        )


def _is_embedded(uri: str) -> bool:
    return uri.lower().startswith("sqlite:")


def _sqlite_path(uri: str) -> Path:
    # sqlite:///relative.db and sqlite:////abs/path.db both follow SQLAlchemy's convention.
    path = Path(uri.split(":///", 1)[1]) if ":///" in uri else Path(LOCAL_DB_FILE)
    return path.resolve()


def _safe_name(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("_") or "experiment"
