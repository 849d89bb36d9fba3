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
            versions[name] = "absent"
    return versions
