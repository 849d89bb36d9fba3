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
from tsattn.tracking import install as _install_tracking

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

# The composition root: tracking watches fits and resolves `models:/` from outside the
# estimator (see tsattn.extensions); it imports mlflow only once a run or model is touched.
_install_tracking()
