"""tsattn: attention-augmented LSTM/GRU forecasters for multivariate time series."""

from __future__ import annotations

from tsattn.errors import (
    ConfigError,
    DataValidationError,
    InterpretationError,
    NotFittedError,
    TrackingError,
    TsattnError,
)
from tsattn.forecaster import Forecaster

__all__ = [
    "ConfigError",
    "DataValidationError",
    "Forecaster",
    "InterpretationError",
    "NotFittedError",
    "TrackingError",
    "TsattnError",
]

__version__ = "0.1.0"
