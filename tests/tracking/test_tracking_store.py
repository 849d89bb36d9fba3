"""Store resolution and the fail-fast reachability check (no training involved)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tsattn.config import TrackingConfig
from tsattn.errors import TrackingError
from tsattn.tracking.store import local_store_uri, resolve_store


def test_local_store_is_sqlite_in_working_directory(tmp_path: Path) -> None:
    store = resolve_store(TrackingConfig())
    assert store.uri == f"sqlite:///{tmp_path.resolve() / 'mlflow.db'}"
    assert store.source == "local" and store.local
    assert store.artifact_root == tmp_path.resolve() / "mlartifacts"


def test_env_beats_local_and_config_beats_env(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    env_uri = f"sqlite:///{tmp_path / 'env' / 'env.db'}"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", env_uri)
    assert resolve_store(TrackingConfig()).uri == env_uri
    assert resolve_store(TrackingConfig()).source == "MLFLOW_TRACKING_URI"
    explicit = f"sqlite:///{tmp_path / 'cfg.db'}"
    assert resolve_store(TrackingConfig(uri=explicit)).uri == explicit


def test_unreachable_server_names_uri_and_fixes(dead_uri: str) -> None:
    with pytest.raises(TrackingError, match=r"unreachable") as info:
        resolve_store(TrackingConfig(uri=dead_uri))
    message = str(info.value)
    assert dead_uri in message
    assert "--no-track" in message and "allow_offline" in message


def test_unreachable_from_env_says_where_the_uri_came_from(
    dead_uri: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MLFLOW_TRACKING_URI", dead_uri)
    with pytest.raises(TrackingError, match="from MLFLOW_TRACKING_URI"):
        resolve_store(TrackingConfig())


def test_allow_offline_falls_back_to_local_store_with_warning(dead_uri: str) -> None:
    with pytest.warns(RuntimeWarning, match="allow_offline"):
        store = resolve_store(TrackingConfig(uri=dead_uri, allow_offline=True))
    assert store.uri == local_store_uri() and store.source == "offline fallback"


def test_reachable_server_resolves(mlflow_server: str) -> None:
    store = resolve_store(TrackingConfig(uri=mlflow_server))
    assert store.uri == mlflow_server and not store.local
