"""Suite-wide settings: tiny models run fastest, and most predictably, on one thread."""

from __future__ import annotations

import torch
from mlflow_server import mlflow_server  # noqa: F401  (a session fixture, shared)

# The models in the tests are tiny: a second intra-op thread only adds synchronisation, and on a
# busy 2-core machine (pytest plus an MLflow server plus tuning workers) it can slow steps 5x.
torch.set_num_threads(1)
