"""Fixtures for tuning tests: a tiny dataset and config, real MLflow and PostgreSQL servers."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from mlflow_server import isolate_mlflow
from postgres_server import PostgresServer, find_bin_dir, running_postgres
from tuning_helpers import tiny_config

_databases = itertools.count()


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Own working dir, no tracking URI leaking in or out, no active run left behind."""
    yield from isolate_mlflow(tmp_path, monkeypatch)


@pytest.fixture
def make_config(tmp_path: Path) -> Callable[..., dict[str, Any]]:
    def make(**kwargs: Any) -> dict[str, Any]:
        return tiny_config(tmp_path, **kwargs)

    return make


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """One real PostgreSQL server per test session (see tests/postgres_server.py)."""
    bin_dir = find_bin_dir()
    if bin_dir is None:
        pytest.skip("PostgreSQL binaries (initdb, pg_ctl) not found: apt-get install postgresql")
    with running_postgres(bin_dir) as server:
        yield server


@pytest.fixture
def postgres_url(postgres_server: PostgresServer) -> str:
    """A `postgresql://` URL of a fresh, empty database on the session's server."""
    return postgres_server.create_database(f"tsattn_{next(_databases)}")
