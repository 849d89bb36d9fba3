"""The one place tsattn reaches into Optuna's private API, behind a version check.

Three things need it. A trial must beat the moment it is created, and every creation (also
through Optuna's caching wrapper) goes through `RDBStorage._create_new_trial`. Popping an
enqueued trial and failing a dead worker's trial must each be one conditional UPDATE, which
needs Optuna's ORM models (`optuna.storages._rdb.models`) and the storage's session factory.
And a claim that only one of several launchers may win (the best trial's refit, queueing the
enqueued configurations) is one INSERT of a study system attribute, which the table's unique
(study, key) constraint lets only one transaction commit; Optuna's own `set_study_system_attr`
reads, then writes, so every racer "succeeds". None of these is public.
They have held still across the tested range, but private code may change in any release, so
an Optuna outside that range stops tuning with a message naming the range instead of
corrupting a shared study.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import optuna
import sqlalchemy.exc
from optuna.storages import RDBStorage
from optuna.trial import FrozenTrial, TrialState

from tsattn.tuning.errors import UnsupportedOptunaError

__all__ = ["SUPPORTED", "RecoveringRDBStorage", "check_version", "claim", "rdb_storage", "reclaim"]

# The releases `make test` (newest) and `make test-floors` (oldest) exercise; keep in step
# with pyproject.toml's `optuna>=4.9,<6`.
SUPPORTED = ((4, 9), (6, 0))


def check_version(version: str = optuna.__version__) -> None:
    """Raise UnsupportedOptunaError unless `version` lies in [SUPPORTED[0], SUPPORTED[1]).

    Called when a study storage is opened, not on import, so a fit or predict never needs it.
    """
    low, high = SUPPORTED
    found = _major_minor(version)
    if found is None or not low <= found < high:
        raise UnsupportedOptunaError(
            f"tsattn's tuning supports optuna>={low[0]}.{low[1]},<{high[0]}, but got optuna "
            f"{version}: it relies on Optuna's storage internals, which other releases may "
            f"change. Install a supported one: pip install 'optuna>={low[0]}.{low[1]},<{high[0]}'"
        )


def _major_minor(version: str) -> tuple[int, int] | None:
    match = re.match(r"(\d+)\.(\d+)", version)
    return (int(match[1]), int(match[2])) if match else None


class RecoveringRDBStorage(RDBStorage):
    """An RDBStorage whose trials beat the moment they start running, and whose queue pops and
    FAIL transitions are atomic.

    Optuna creates a trial (RUNNING), samples it, and only then starts its heartbeat thread; a
    worker killed in between would leave a trial that no heartbeat check fails, counted as
    running forever, so the study would stop one trial short of `--trials` on every rerun.
    Beating at creation closes that gap without touching trials that never beat at all: those
    belong to clients without heartbeats (ask-and-tell scripts, the dashboard).
    """

    def _create_new_trial(
        self, study_id: int, template_trial: FrozenTrial | None = None
    ) -> FrozenTrial:
        trial = super()._create_new_trial(study_id, template_trial)
        if trial.state == TrialState.RUNNING:  # not an enqueued (WAITING) or finished one
            self._beat(trial._trial_id)
        return trial

    def set_trial_state_values(
        self, trial_id: int, state: TrialState, values: Sequence[float] | None = None
    ) -> bool:
        """As Optuna's, but popping a queued trial and failing a trial are one atomic UPDATE,
        and a popped trial beats at once.

        Optuna reads the state, then writes it; on sqlite, which has no SELECT ... FOR UPDATE,
        every worker that read the old state before the first write would also "succeed": two
        workers starting together both pop the same enqueued trial (two runs of trial 0), and
        each worker that fails a dead trial re-queues its parameters (one crash, several retries).
        """
        if values is None and state in _ATOMIC_MOVES:
            sources, stamp = _ATOMIC_MOVES[state]
            if self._move(trial_id, sources, state, stamp):
                if state == TrialState.RUNNING:
                    self._beat(trial_id)
                return True
            # not in a source state: finished or popped already (by another worker), or absent
            self.check_trial_is_updatable(trial_id, self.get_trial(trial_id).state)
            return False
        return bool(super().set_trial_state_values(trial_id, state, values))

    def _beat(self, trial_id: int) -> None:
        if self.heartbeat_interval is not None:
            self.record_heartbeat(trial_id)

    def _move(
        self, trial_id: int, sources: tuple[TrialState, ...], state: TrialState, stamp: str
    ) -> bool:
        """Set the trial's state (and its `stamp` time) if it is in `sources`; True if this
        call did it."""
        from optuna.storages._rdb import models

        table = models.TrialModel
        with _transaction(self) as session:
            moved = (
                session.query(table)
                .filter(table.trial_id == trial_id, table.state.in_(sources))
                .update({"state": state, stamp: datetime.now()}, synchronize_session=False)
            )
        return bool(moved == 1)


# The transitions that must happen once even when several workers try them at the same moment:
# target state -> (states it may come from, the time column it stamps).
_ATOMIC_MOVES: dict[TrialState, tuple[tuple[TrialState, ...], str]] = {
    TrialState.RUNNING: ((TrialState.WAITING,), "datetime_start"),
    TrialState.FAIL: ((TrialState.RUNNING, TrialState.WAITING), "datetime_complete"),
}


@contextmanager
def _transaction(storage: RDBStorage) -> Iterator[Any]:
    """A session committed on success, rolled back on any error, closed either way."""
    session = storage.scoped_session()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def rdb_storage(study: optuna.Study) -> RDBStorage | None:
    """The study's RDBStorage under Optuna's caching wrapper, or None (e.g. in-memory)."""
    storage = getattr(study, "_storage", None)
    storage = getattr(storage, "_backend", storage)
    return storage if isinstance(storage, RDBStorage) else None


def claim(study: optuna.Study, key: str, value: Any) -> Any | None:
    """Store `value` under the study system attr `key` unless it exists: None if this call
    stored it (the claim is ours), else the value already there (whose it is).

    Without an RDB storage no other process can share the study, so the claim is always ours.
    """
    from optuna.storages._rdb import models

    storage = rdb_storage(study)
    if storage is None:
        return None
    try:
        with _transaction(storage) as session:
            session.add(
                models.StudySystemAttributeModel(
                    study_id=study._study_id, key=key, value_json=json.dumps(value)
                )
            )
        return None
    except sqlalchemy.exc.IntegrityError:
        return study._storage.get_study_system_attrs(study._study_id).get(key)


def reclaim(study: optuna.Study, key: str, old: Any, new: Any) -> bool:
    """Replace the claim `key` by `new` only if it still holds `old`; True if this call did."""
    from optuna.storages._rdb import models

    storage = rdb_storage(study)
    if storage is None:
        return True
    table = models.StudySystemAttributeModel
    with _transaction(storage) as session:
        changed = (
            session.query(table)
            .filter(table.study_id == study._study_id, table.key == key)
            .filter(table.value_json == json.dumps(old))
            .update({"value_json": json.dumps(new)}, synchronize_session=False)
        )
    return bool(changed == 1)
