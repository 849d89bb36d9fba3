"""Where a study lives: an Optuna RDB storage that every worker, on any machine, shares.

The storage *is* the coordination between workers: each one asks it for the next trial and
writes its result back, so no scheduler of ours sits in between. An RDB storage (not a journal
file) because Optuna's heartbeats live there: a worker that dies mid-trial stops beating, and
the next worker to look marks its trial FAIL and re-queues its parameters
(`RetryHeartbeatStaleTrialCallback`) instead of leaving it RUNNING forever.

Optuna only judges trials that have beaten at least once, and its first beat comes after the
trial is created and sampled, so a worker killed in between would leave a trial RUNNING
forever. `RecoveringRDBStorage` (in `_optuna_private`) closes that gap by beating the moment
a trial starts running, rather than by guessing that any heartbeat-less trial is dead: trials
that never beat belong to clients without heartbeats sharing the study (ask-and-tell scripts,
the dashboard), and are left alone.

The default is a sqlite file in the run directory, in WAL mode with a long busy timeout, which
is safe for several processes on one machine; for several machines pass a server URL
(``postgresql://user:pw@host/db``, driver: ``pip install "tsattn[postgres]"``) that all of them
can reach. Each process then holds at most `_SERVER_POOL` + `_SERVER_OVERFLOW` connections, so
a server's ``max_connections`` (100 by default on PostgreSQL) bounds the workers of all machines
together, and pre-ping replaces connections the server or a firewall dropped during a long trial.
"""

from __future__ import annotations

import sqlite3
import time
import warnings
from pathlib import Path
from typing import Any

import optuna
import sqlalchemy.exc
from optuna.storages import RDBStorage, RetryHeartbeatStaleTrialCallback

from tsattn.tuning._optuna_private import RecoveringRDBStorage, check_version
from tsattn.tuning.errors import StudyStorageError
from tsattn.tuning.settings import TuneSettings

__all__ = ["default_storage_url", "driver_hint", "open_storage", "redact"]

_SQLITE_BUSY_TIMEOUT_S = 60
_SERVER_CONNECT_TIMEOUT_S = 10
_SCHEMA_RACE_ATTEMPTS = 10
_SERVER_POOL = 2  # a worker uses one connection at a time, its heartbeat thread another
_SERVER_OVERFLOW = 2
# pip packages of the DBAPI modules SQLAlchemy loads, by its dialect's driver name: SQLAlchemy
# 2.x maps plain postgresql:// to psycopg (3), 1.4 to psycopg2.
_POSTGRES_EXTRA = 'pip install "tsattn[postgres]"'
_DRIVERS = {
    "psycopg": f'{_POSTGRES_EXTRA} (or pip install "psycopg[binary]")',
    "psycopg2": 'pip install psycopg2-binary, or use postgresql:// with ' + _POSTGRES_EXTRA,
    "pg8000": "pip install pg8000",
    "asyncpg": "pip install asyncpg",
    "mysqldb": "pip install mysqlclient, or use mysql+pymysql:// with pip install pymysql",
    "pymysql": "pip install pymysql",
}


def default_storage_url(run_dir: Path) -> str:
    """A sqlite file beside the run's other outputs, created (in WAL mode) if missing."""
    path = (run_dir / "study.db").resolve()
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        # WAL lets readers (the progress display, the dashboard) proceed while a worker writes;
        # the mode is stored in the file, so every later connection uses it.
        with sqlite3.connect(path) as connection:
            connection.execute("PRAGMA journal_mode=WAL")
    return f"sqlite:///{path}"


def open_storage(url: str, settings: TuneSettings) -> RDBStorage:
    """Connect to the study storage with heartbeats on; StudyStorageError if it cannot be used.

    Called by the parent before any worker starts, so a wrong URL costs seconds, not a study.
    """
    check_version()
    scheme = url.split(":", 1)[0].split("+", 1)[0].lower()
    if "://" not in url:
        raise StudyStorageError(
            f"--storage {url!r} is not a database URL: use e.g. sqlite:///path/study.db or "
            "postgresql://user:password@host:5432/dbname"
        )
    with warnings.catch_warnings():
        # Heartbeats and retries are marked experimental; they are the documented way to
        # recover from dead workers, so the warning would only alarm users.
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        for attempt in range(1, _SCHEMA_RACE_ATTEMPTS + 1):
            try:
                return RecoveringRDBStorage(
                    url,
                    engine_kwargs=_engine_kwargs(scheme),
                    heartbeat_interval=settings.heartbeat_interval,
                    grace_period=settings.stale_after,
                    heartbeat_stale_trial_callback=RetryHeartbeatStaleTrialCallback(
                        max_retry=settings.max_retry, inherit_intermediate_values=False
                    ),
                )
            except Exception as err:  # SQLAlchemy raises many types for one cause
                if attempt < _SCHEMA_RACE_ATTEMPTS and _lost_schema_race(err):
                    time.sleep(0.1 * attempt)
                    continue
                raise StudyStorageError(_explain(url, scheme, err)) from None
    raise AssertionError("unreachable: the last attempt returns or raises")


def _lost_schema_race(err: Exception) -> bool:
    """Whether another process created the same new storage's tables at the same moment.

    Workers (and peers on other machines) start together and each creates the schema of a
    new storage; all but one then collide on a table or the version row that was not there
    when they looked. Trying again finds the finished schema and uses it.
    """
    if isinstance(err, sqlalchemy.exc.IntegrityError):
        return True
    return isinstance(err, sqlalchemy.exc.DBAPIError) and "already exists" in str(err).lower()


def redact(url: str) -> str:
    """The URL with any password replaced by ***, safe to print and to log to MLflow."""
    try:
        from sqlalchemy.engine import make_url

        return str(make_url(url).render_as_string(hide_password=True))
    except Exception:
        return url.split("@", 1)[-1] if "@" in url else url


def _engine_kwargs(scheme: str) -> dict[str, Any]:
    if scheme == "sqlite":
        return {"connect_args": {"timeout": _SQLITE_BUSY_TIMEOUT_S}}
    server: dict[str, Any] = {
        "pool_pre_ping": True,
        "pool_size": _SERVER_POOL,
        "max_overflow": _SERVER_OVERFLOW,
    }
    if scheme in {"postgresql", "mysql"}:
        return {**server, "connect_args": {"connect_timeout": _SERVER_CONNECT_TIMEOUT_S}}
    return server


def _explain(url: str, scheme: str, err: Exception) -> str:
    where = f"cannot open study storage {redact(url)}"
    if isinstance(err, ImportError) or isinstance(err.__cause__, ImportError):
        return f"{where}: its database driver is not installed; {driver_hint(url)}"
    if scheme == "sqlite":
        return (
            f"{where}: {_first_line(err)}. The folder must exist and be writable, e.g. "
            "sqlite:////absolute/path/study.db"
        )
    return (
        f"{where}: {_first_line(err)}. Check that the database server is running and reachable "
        "from this machine, and the URL's user, password, host, port and database."
    )


def driver_hint(url: str) -> str:
    """What to install for the DBAPI module this SQLAlchemy loads for `url`'s dialect."""
    from sqlalchemy.engine import make_url

    try:
        driver = make_url(url).get_dialect().driver
    except Exception:  # an unknown dialect: name the scheme as written
        driver = None
    if driver in _DRIVERS:
        return _DRIVERS[driver]
    module = f" (DBAPI module {driver!r})" if driver else ""
    return f"install the SQLAlchemy driver for {url.split(':', 1)[0]}://{module}"


def _first_line(err: BaseException) -> str:
    text = str(getattr(err, "orig", None) or err).strip()
    return text.splitlines()[0].rstrip(".") if text else type(err).__name__
