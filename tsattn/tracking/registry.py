"""Model registry: register a run's model under a name and alias, and fetch models back.

`resolve_model_uri` is what lets `Forecaster.load("models:/name@champion")` work: it downloads
the pyfunc model and returns the saved-Forecaster folder inside it, so loading never goes
through pickle.
"""

from __future__ import annotations

import tempfile
from contextlib import nullcontext
from pathlib import Path

import yaml

from tsattn.errors import TrackingError
from tsattn.tracking.pyfunc_model import MODEL_NAME
from tsattn.tracking.runs import tracking_uri

__all__ = ["register_model", "resolve_model_uri"]


def register_model(
    run_id: str, name: str, alias: str | None = None, *, uri: str | None = None
) -> int:
    """Register run `run_id`'s logged model as a new version of `name`; point `alias` at it.

    `uri` is the tracking store (default: the current MLflow tracking URI). Returns the version.
    """
    import mlflow
    from mlflow.tracking import MlflowClient

    with tracking_uri(uri) if uri else nullcontext():
        client = MlflowClient()
        try:
            version = mlflow.register_model(f"runs:/{run_id}/{MODEL_NAME}", name)
        except Exception as err:  # MLflow raises REST, SQL or resolution errors for one cause
            raise TrackingError(
                f"could not register the model of run {run_id} as '{name}' in "
                f"{mlflow.get_tracking_uri()}: {err}. Check the run id and that the run logged "
                f"a '{MODEL_NAME}' model (train with tracking on)."
            ) from err
        if alias:
            client.set_registered_model_alias(name, alias, version.version)
    return int(version.version)


def resolve_model_uri(
    uri: str, *, dst: str | Path | None = None, tracking: str | None = None
) -> Path:
    """Download `models:/name@alias`, `models:/name/3` or `runs:/<id>/model` to a local folder.

    Returns the folder holding the saved Forecaster inside the downloaded pyfunc model, for
    `Forecaster.load`. `dst` defaults to a fresh temporary folder (left for the caller to keep
    or delete); `tracking` overrides the tracking URI used to resolve the model.
    """
    import mlflow.artifacts

    folder = Path(dst) if dst is not None else Path(tempfile.mkdtemp(prefix="tsattn-model-"))
    try:
        local = Path(
            mlflow.artifacts.download_artifacts(
                artifact_uri=uri, dst_path=str(folder), tracking_uri=tracking
            )
        )
    except Exception as err:
        raise TrackingError(
            f"could not download model '{uri}' from {tracking or mlflow.get_tracking_uri()}: "
            f"{err}. Check the name and alias (e.g. models:/my-model@champion) and that "
            "MLFLOW_TRACKING_URI points at the store that holds it."
        ) from err
    return _forecaster_folder(local, uri)


def _forecaster_folder(local: Path, uri: str) -> Path:
    mlmodel = local / "MLmodel"
    if not mlmodel.is_file():
        if local.is_dir() and any(local.glob("*.json")):
            return local  # a bare saved Forecaster logged as plain artifacts
        raise TrackingError(f"'{uri}' is not an MLflow model (no MLmodel file in {local})")
    flavors = yaml.safe_load(mlmodel.read_text()).get("flavors", {})
    artifacts = flavors.get("python_function", {}).get("artifacts", {})
    entry = artifacts.get("forecaster")
    if entry is None:
        raise TrackingError(
            f"'{uri}' is an MLflow model but not a tsattn Forecaster (no 'forecaster' artifact "
            "in its pyfunc flavor); load it with mlflow.pyfunc.load_model instead"
        )
    return local / entry["path"]
