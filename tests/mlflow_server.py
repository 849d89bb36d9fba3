"""A real `mlflow server` for the tests: sqlite backend, temp artifacts, a free loopback port.

Session-scoped and shared by the tracking, tuning and job tests, so one suite run starts one server.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

_SERVER_START_TIMEOUT_S = 90.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/health", timeout=1.0) as response:
            return bool(response.status == 200)
    except OSError:
        return False


def _mlflow_command() -> list[str]:
    script = Path(sys.executable).with_name("mlflow")
    return [str(script)] if script.exists() else [sys.executable, "-m", "mlflow"]


@pytest.fixture(scope="session")
def mlflow_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real `mlflow server` (sqlite backend, proxied artifacts in a temp dir) on loopback.

    Started once per test session in its own process group, so teardown stops the server and
    every worker it forked; yields the server's URL.
    """
    root = tmp_path_factory.mktemp("mlflow-server")
    port = free_port()
    process = start_server(root, port)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        stop_group(process)


def start_server(root: Path, port: int) -> subprocess.Popen[bytes]:
    """Start `mlflow server` on `port` with its store in `root`, in a new process group; wait
    until /health answers. The same root and port again restart the same server."""
    url = f"http://127.0.0.1:{port}"
    env = {**os.environ, "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false"}  # no job workers
    env.pop("MLFLOW_TRACKING_URI", None)
    log_path = root / "server.log"
    with log_path.open("a") as log:  # the child keeps its own handle
        process = subprocess.Popen(
            [
                *_mlflow_command(),
                "server",
                "--backend-store-uri",
                f"sqlite:///{root / 'mlflow.db'}",
                "--artifacts-destination",
                str(root / "artifacts"),
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--workers",
                "1",
            ],
            cwd=root,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    deadline = time.monotonic() + _SERVER_START_TIMEOUT_S
    while not _healthy(url):
        if process.poll() is not None or time.monotonic() > deadline:
            stop_group(process)
            pytest.fail(
                f"mlflow server did not become healthy at {url}:\n{log_path.read_text()[-3000:]}"
            )
        time.sleep(0.25)
    return process


def kill_group(process: subprocess.Popen[bytes]) -> None:
    """SIGKILL the server and every worker it forked, as an OOM killer or a crash would."""
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    process.wait(timeout=10)


def stop_group(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM the server's process group (SIGKILL after 15 s); a no-op once it has exited."""
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=5)
    except ProcessLookupError:
        pass


def isolate_mlflow(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Body of the suites' autouse fixtures: own working dir, no tracking URI or run leaking out."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    yield
    from tsattn.tracking import autolog

    autolog(False)
    mlflow = sys.modules.get("mlflow")
    if mlflow is not None:
        while mlflow.active_run() is not None:
            mlflow.end_run()
        mlflow.set_tracking_uri(None)  # unsets it (and the variable)
    os.environ.pop("MLFLOW_TRACKING_URI", None)


@contextmanager
def autologged(**settings: Any) -> Iterator[None]:
    """Track every fit inside the block (`tsattn.tracking.autolog`), and stop after it."""
    from tsattn.tracking import autolog

    autolog(**settings)
    try:
        yield
    finally:
        autolog(False)
