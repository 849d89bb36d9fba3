"""Models-from-code entry point: MLflow runs this file to build the pyfunc model.

Logging the model as code instead of a cloudpickled `PythonModel` object keeps the whole model
free of pickle, like `Forecaster.save` (JSON + tensors), and survives refactors of the class.
"""

from __future__ import annotations

import mlflow.models

from tsattn.tracking.pyfunc_model import ForecasterModel

mlflow.models.set_model(ForecasterModel())
