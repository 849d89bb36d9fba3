"""The package's exception types: one base, one subclass per kind of user mistake."""

from __future__ import annotations

__all__ = [
    "ConfigError",
    "DataValidationError",
    "InterpretationError",
    "NotFittedError",
    "TrackingError",
    "TsattnError",
]


class TsattnError(Exception):
    """Base of every error tsattn raises on purpose, so callers can catch ours alone."""


class DataValidationError(TsattnError, ValueError):
    """The input frame cannot be used as given; the message names the column, series and time."""


class ConfigError(TsattnError, ValueError):
    """A configuration key or value is invalid; the message names the key."""


class InterpretationError(TsattnError, ValueError):
    """An attention table cannot be summarised or drawn as given (missing columns, no such
    window); the message names what was wrong and what to pass instead. Not an MLflow error."""


class NotFittedError(TsattnError, AttributeError):
    """A fitted-only method was called before `fit` (mirrors scikit-learn's error of that name)."""


class TrackingError(TsattnError, RuntimeError):
    """The MLflow tracking store cannot be used; raised before training so no work is lost."""
