"""Versions of the packages a model depends on, recorded with saved models and MLflow runs."""

from __future__ import annotations

from importlib import metadata

__all__ = ["package_versions"]

_PACKAGES = ("tsattn", "torch", "lightning", "numpy", "pandas", "optuna", "mlflow")


def package_versions() -> dict[str, str]:
    """Installed version of each package that shapes results; "absent" if not installed."""
    versions = {}
    for name in _PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = _source_version() if name == "tsattn" else "absent"
    return versions


def _source_version() -> str:
    """tsattn run from a source tree that was never pip-installed still knows its version."""
    from tsattn import __version__

    return __version__
