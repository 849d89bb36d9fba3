"""MLflow tracking for tsattn: runs, the Trainer logger, pyfunc model, registry, attention files.

Importing this package does not import mlflow (it adds seconds to every `import tsattn`);
mlflow loads the first time a run is opened or a model is logged or fetched.

Entry points:
    fit_session        the hook `Forecaster.fit` opens around training
    autolog            track every fit in this process
    start_run          a run for jobs and the CLI (nested for tuning trials; FAILED on a crash)
    log_metrics        `{prefix}_{name}` metrics into the active run (no-op without one)
    log_params, log_file  job params / output files into the active run (no-op without one)
    register_model     register a run's model under a name and alias
    resolve_model_uri  `models:/name@alias` / `runs:/...` -> local saved-Forecaster folder
    write_interpretation  attention heatmaps, profiles and tables into a folder
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tsattn.tracking.runs import log_file, log_metrics, log_params, start_run
from tsattn.tracking.session import FitSession, autolog, fit_session
from tsattn.tracking.store import Store, resolve_store

if TYPE_CHECKING:
    from tsattn.tracking.interpretation import write_interpretation
    from tsattn.tracking.registry import register_model, resolve_model_uri

__all__ = [
    "FitSession",
    "Store",
    "autolog",
    "fit_session",
    "log_file",
    "log_metrics",
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
