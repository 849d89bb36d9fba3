"""Fixtures for tuning tests: a tiny dataset and config, a real MLflow server, storage readers."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from tuning_helpers import tiny_config


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Own working dir, no tracking URI leaking in or out, no active run left behind."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    yield
    mlflow = sys.modules.get("mlflow")
    if mlflow is not None:
        while mlflow.active_run() is not None:
            mlflow.end_run()
        from mlflow.tracking._tracking_service import utils

        utils.set_tracking_uri(None)
    os.environ.pop("MLFLOW_TRACKING_URI", None)


@pytest.fixture
def make_config(tmp_path: Path) -> Callable[..., dict[str, Any]]:
    def make(**kwargs: Any) -> dict[str, Any]:
        return tiny_config(tmp_path, **kwargs)

    return make
