"""MLflow tracking for tsattn: runs, the Trainer logger, pyfunc model, registry, attention files.

Importing this package does not import mlflow (it adds seconds to every `import tsattn`);
mlflow loads the first time a run is opened or a model is logged or fetched.

It attaches to the estimator from outside, through `tsattn.extensions`: `install()` (the
package root calls it) registers `FIT_TRACKER` as a fit observer and `models:/` / `runs:/` as
locations `Forecaster.load` accepts. The estimator itself never imports this package.

Entry points:
    install            register the fit observer and the MLflow model locations (idempotent)
    autolog            track every fit in this process
    fit_session        the tracking of one fit (what FIT_TRACKER opens)
    start_run          a run for jobs and the CLI (nested for tuning trials; FAILED on a crash)
    log_metrics        `{prefix}_{name}` metrics into the active run (no-op without one)
    log_params, log_file, log_table  job params / output files / tables into the active run
                       (no-op without one)
    register_model     register a run's model under a name and alias
    resolve_model_uri  `models:/name@alias` / `runs:/...` -> local saved-Forecaster folder
    write_interpretation  attention heatmaps, profiles and tables into a folder
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from tsattn import extensions
from tsattn.tracking.runs import log_file, log_metrics, log_params, log_table, start_run
from tsattn.tracking.session import FIT_TRACKER, FitSession, autolog, fit_session
from tsattn.tracking.store import Store, resolve_store

if TYPE_CHECKING:
    from tsattn.tracking.interpretation import write_interpretation
    from tsattn.tracking.registry import register_model, resolve_model_uri

__all__ = [
    "FIT_TRACKER",
    "FitSession",
    "Store",
    "autolog",
    "fit_session",
    "install",
    "log_file",
    "log_metrics",
    "log_table",
    "log_params",
    "register_model",
    "resolve_model_uri",
    "resolve_store",
    "start_run",
    "write_interpretation",
]

_LAZY = {
    "register_model": "tsattn.tracking.registry",
    "resolve_model_uri": "tsattn.tracking.registry",
    "write_interpretation": "tsattn.tracking.interpretation",
}


def __getattr__(name: str) -> Any:
    """Import the mlflow- and matplotlib-heavy parts only when first used."""
    if name in _LAZY:
        from importlib import import_module

        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'tsattn.tracking' has no attribute {name!r}")


def install() -> None:
    """Attach tracking to `Forecaster`: watch fits, resolve `models:/` and `runs:/` locations."""
    extensions.add_fit_observer(FIT_TRACKER)
    for scheme in ("models:/", "runs:/"):
        extensions.add_location_scheme(scheme, _resolve_model_uri)


def _resolve_model_uri(uri: str) -> Path:
    """`resolve_model_uri`, imported (with mlflow) only when such a location is loaded."""
    from tsattn.tracking.registry import resolve_model_uri

    return resolve_model_uri(uri)
