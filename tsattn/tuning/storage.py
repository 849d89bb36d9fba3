"""Where a study lives: an Optuna RDB storage that every worker, on any machine, shares.

The storage *is* the coordination between workers: each one asks it for the next trial and
writes its result back, so no scheduler of ours sits in between. An RDB storage (not a journal
file) because Optuna's heartbeats live there: a worker that dies mid-trial stops beating, and
the next worker to look marks its trial FAIL and re-queues its parameters
(`RetryHeartbeatStaleTrialCallback`) instead of leaving it RUNNING forever. Optuna skips a
trial that never beat at all, which is what a worker killed between creating a trial and its
first heartbeat leaves behind; `_RecoveringRDBStorage` treats that one as dead too.

The default is a sqlite file in the run directory, in WAL mode with a long busy timeout, which
is safe for several processes on one machine; for several machines pass a server URL
(``postgresql://user:pw@host/db``) that all of them can reach.
"""

from __future__ import annotations

import sqlite3
import time
import warnings
from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import optuna
import sqlalchemy.exc
from optuna.storages import RDBStorage, RetryHeartbeatStaleTrialCallback
from optuna.storages._rdb import models
from optuna.trial import TrialState
from sqlalchemy.orm import selectinload

from tsattn.tuning.errors import StudyStorageError
from tsattn.tuning.settings import TuneSettings

__all__ = ["default_storage_url", "open_storage", "redact"]

_SQLITE_BUSY_TIMEOUT_S = 60
_SERVER_CONNECT_TIMEOUT_S = 10
_SCHEMA_RACE_ATTEMPTS = 10
_DRIVERS = {"postgresql": "psycopg2-binary", "mysql": "pymysql (and use mysql+pymysql://)"}


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
                return _RecoveringRDBStorage(
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


class _RecoveringRDBStorage(RDBStorage):
    """An RDBStorage whose stale trials include RUNNING trials that never sent a heartbeat, and
    whose FAIL transition is atomic.

    Optuna creates a trial (RUNNING) and only then starts its heartbeat thread; a worker killed
    in between leaves a trial that no heartbeat check ever fails. It would count as running
    forever, so the study would stop one trial short of `--trials` on every rerun.
    """

    def set_trial_state_values(
        self, trial_id: int, state: TrialState, values: Sequence[float] | None = None
    ) -> bool:
        """As Optuna's, but one conditional UPDATE moves an unfinished trial to FAIL.

        Optuna reads the state, then writes it; on sqlite, which has no SELECT ... FOR UPDATE,
        every worker that read RUNNING before the first write also "succeeds", and each
        success re-queues the dead trial's parameters: one crash, several retries.
        """
        if state != TrialState.FAIL or values is not None:
            return bool(super().set_trial_state_values(trial_id, state, values))
        session = self.scoped_session()
        try:
            claimed = (
                session.query(models.TrialModel)
                .filter(models.TrialModel.trial_id == trial_id)
                .filter(models.TrialModel.state.in_([TrialState.RUNNING, TrialState.WAITING]))
                .update(
                    {"state": TrialState.FAIL, "datetime_complete": datetime.now()},
                    synchronize_session=False,
                )
            )
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()
        if claimed == 0:  # finished already (by another worker), or no such trial: say which
            self.check_trial_is_updatable(trial_id, self.get_trial(trial_id).state)
        return claimed == 1

    def _get_stale_trial_ids(self, study_id: int) -> list[int]:
        stale = super()._get_stale_trial_ids(study_id)
        # A live worker beats within milliseconds of creating its trial, so a heartbeat-less
        # trial older than the grace period is dead. `datetime_start` is the creating host's
        # clock, so hosts sharing a study need synchronised clocks (as heartbeats do not).
        started_before = datetime.now() - timedelta(seconds=self.grace_period or 0)
        session = self.scoped_session()
        try:
            running = (
                session.query(models.TrialModel)
                .options(selectinload(models.TrialModel.heartbeats))
                .filter(models.TrialModel.study_id == study_id)
                .filter(models.TrialModel.state == TrialState.RUNNING)
                .all()
            )
            never_beat: list[int] = [
                int(trial.trial_id)
                for trial in running
                if not trial.heartbeats
                and trial.datetime_start is not None
                and trial.datetime_start < started_before
            ]
        finally:
            session.close()
        return stale + [trial_id for trial_id in never_beat if trial_id not in stale]


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
    if scheme in {"postgresql", "mysql"}:
        return {
            "pool_pre_ping": True,
            "connect_args": {"connect_timeout": _SERVER_CONNECT_TIMEOUT_S},
        }
    return {"pool_pre_ping": True}


def _explain(url: str, scheme: str, err: Exception) -> str:
    where = f"cannot open study storage {redact(url)}"
    if isinstance(err, ImportError) or isinstance(err.__cause__, ImportError):
        driver = _DRIVERS.get(scheme, f"the SQLAlchemy driver for {scheme}://")
        return f"{where}: its database driver is not installed; pip install {driver}"
    if scheme == "sqlite":
        return (
            f"{where}: {_first_line(err)}. The folder must exist and be writable, e.g. "
            "sqlite:////absolute/path/study.db"
        )
    return (
        f"{where}: {_first_line(err)}. Check that the database server is running and reachable "
        "from this machine, and the URL's user, password, host, port and database."
    )


def _first_line(err: BaseException) -> str:
    text = str(getattr(err, "orig", None) or err).strip()
    return text.splitlines()[0].rstrip(".") if text else type(err).__name__
