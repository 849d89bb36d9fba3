"""A real PostgreSQL server for the tests: a throwaway cluster on a free loopback port.

`initdb` with trust auth, listening on 127.0.0.1 only, its unix socket inside its own temp
dir, fsync off (a test database need not survive a power cut). PostgreSQL refuses to run as
root, so as root (CI, containers) the cluster belongs to the `postgres` user and every server
command runs through `runuser`. Also usable by hand (the tuning benchmark):
`python tests/postgres_server.py` prints a URL and serves until Ctrl-C.
"""

from __future__ import annotations

import itertools
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from mlflow_server import free_port

__all__ = ["PostgresServer", "find_bin_dir", "postgres_server", "postgres_url", "running_postgres"]

_CANDIDATE_BIN_DIRS = ("/usr/lib/postgresql/{v}/bin",)
_VERSIONS = range(20, 11, -1)
_SUPERUSER = "postgres"
_TOOLS = ("initdb", "pg_ctl", "createdb")


def find_bin_dir() -> Path | None:
    """The newest installed PostgreSQL's bin dir (initdb, pg_ctl, createdb), or None.

    Debian's versioned dirs first: its /usr/bin holds wrappers for only some of the tools.
    """
    candidates = [Path(t.format(v=v)) for v in _VERSIONS for t in _CANDIDATE_BIN_DIRS]
    on_path = shutil.which("pg_ctl")
    if on_path:
        candidates.append(Path(on_path).parent)
    return next((d for d in candidates if all((d / t).exists() for t in _TOOLS)), None)


class PostgresServer:
    """One started cluster; `url(db)` for a database, `create_database(name)` to add one."""

    def __init__(self, bin_dir: Path, root: Path, port: int) -> None:
        self.bin_dir, self.root, self.port = bin_dir, root, port
        self.data = root / "data"
        self.log = root / "server.log"

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://{_SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        self._run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", _SUPERUSER, name)
        return self.url(name)

    def start(self) -> None:
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", _SUPERUSER,
                  "-E", "UTF8", "--locale=C", "--no-sync")  # fmt: skip
        options = f"-h 127.0.0.1 -p {self.port} -k {self.root} -F -c max_connections=200"
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-w", "-t", "60",
                  "-o", options, "start")  # fmt: skip

    def stop(self) -> None:
        if (self.data / "postmaster.pid").exists():
            self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")

    def _run(self, tool: str, *args: str) -> None:
        command = [str(self.bin_dir / tool), *args]
        if os.geteuid() == 0:  # the server will not run as root
            command = ["runuser", "-u", _SUPERUSER, "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, cwd=self.root)
        if done.returncode != 0:
            log = self.log.read_text()[-2000:] if self.log.exists() else ""
            raise RuntimeError(f"{tool} failed ({done.returncode}):\n{done.stderr}\n{log}")


@contextmanager
def running_postgres(bin_dir: Path) -> Iterator[PostgresServer]:
    """Start a cluster in a fresh temp dir; stop it (fast) and delete the dir afterwards.

    Not pytest's tmp dirs: as root those are private to root, and the server runs as postgres.
    """
    root = Path(tempfile.mkdtemp(prefix="tsattn-pg-"))
    if os.geteuid() == 0:
        shutil.chown(root, user=_SUPERUSER, group=_SUPERUSER)
    server = PostgresServer(bin_dir, root, free_port())
    try:
        server.start()
        yield server
    finally:
        try:
            server.stop()
        finally:
            shutil.rmtree(root, ignore_errors=True)


_databases = itertools.count()


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """One real PostgreSQL server per test session."""
    bin_dir = find_bin_dir()
    if bin_dir is None:
        pytest.skip("PostgreSQL binaries (initdb, pg_ctl) not found: apt-get install postgresql")
    with running_postgres(bin_dir) as server:
        yield server


@pytest.fixture
def postgres_url(postgres_server: PostgresServer) -> str:
    """A `postgresql://` URL of a fresh, empty database on the session's server."""
    return postgres_server.create_database(f"tsattn_{next(_databases)}")


if __name__ == "__main__":
    import sys
    import time

    found = find_bin_dir()
    if found is None:
        sys.exit("no PostgreSQL binaries (initdb, pg_ctl) found")
    import signal

    # SIGTERM too: a backgrounded job (`... &`) ignores Ctrl-C's SIGINT.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    with running_postgres(found) as pg:
        print(pg.create_database(sys.argv[1] if len(sys.argv) > 1 else "tsattn"), flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass
