"""Errors specific to tuning; all derive from `tsattn.errors.TsattnError`, the package's base."""

from __future__ import annotations

from tsattn.errors import TsattnError

__all__ = ["StudyStorageError", "UnsupportedOptunaError", "WorkerError"]


class StudyStorageError(TsattnError, RuntimeError):
    """The Optuna storage cannot be opened or holds an incompatible study; raised before work."""


class UnsupportedOptunaError(StudyStorageError):
    """The installed Optuna is outside the range whose storage internals tsattn was tested on."""


class WorkerError(TsattnError, RuntimeError):
    """Every worker process failed before finishing a trial; the message quotes a worker's log."""
