"""Fixtures for tuning tests: a tiny dataset and config (the servers are in tests/conftest.py)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from mlflow_server import isolate_mlflow
from tuning_helpers import tiny_config


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Own working dir, no tracking URI leaking in or out, no active run left behind."""
    yield from isolate_mlflow(tmp_path, monkeypatch)


@pytest.fixture
def make_config(tmp_path: Path) -> Callable[..., dict[str, Any]]:
    def make(**kwargs: Any) -> dict[str, Any]:
        return tiny_config(tmp_path, **kwargs)

    return make
