"""The one place tsattn reaches into Optuna's private API, behind a version check.

Three things need it. A trial must beat the moment it is created, and every creation (also
through Optuna's caching wrapper) goes through `RDBStorage._create_new_trial`. Failing a dead
worker's trial must be one conditional UPDATE, which needs Optuna's ORM models
(`optuna.storages._rdb.models`) and the storage's session factory. And a claim that only one of
several launchers may win (the best trial's refit, queueing the enqueued configurations) is one
INSERT of a study system attribute, which the table's unique (study, key) constraint lets only
one transaction commit; Optuna's own `set_study_system_attr` reads, then writes, so every
racer "succeeds". None of these is public.
They have held still across the tested range, but private code may change in any release, so
an Optuna outside that range stops tuning with a message naming the range instead of
corrupting a shared study.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
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
    """An RDBStorage whose trials beat the moment they start running, and whose FAIL
    transition is atomic.

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
        """As Optuna's, but a queued trial beats once it runs, and FAIL is one atomic UPDATE.

        Optuna reads the state, then writes it; on sqlite, which has no SELECT ... FOR UPDATE,
        every worker that read RUNNING before the first write would also "succeed", and each
        success re-queues the dead trial's parameters: one crash, several retries.
        """
        if state == TrialState.FAIL and values is None:
            if self._fail_unfinished(trial_id):
                return True
            # finished already (by another worker), or no such trial: say which
            self.check_trial_is_updatable(trial_id, self.get_trial(trial_id).state)
            return False
        changed = bool(super().set_trial_state_values(trial_id, state, values))
        if changed and state == TrialState.RUNNING:  # popped from the queue by this worker
            self._beat(trial_id)
        return changed

    def _beat(self, trial_id: int) -> None:
        if self.heartbeat_interval is not None:
            self.record_heartbeat(trial_id)

    def _fail_unfinished(self, trial_id: int) -> bool:
        """Move the trial to FAIL if it is RUNNING or WAITING; True if this call did it."""
        from optuna.storages._rdb import models

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
        return bool(claimed == 1)


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
    session = storage.scoped_session()
    try:
        session.add(
            models.StudySystemAttributeModel(
                study_id=study._study_id, key=key, value_json=json.dumps(value)
            )
        )
        session.commit()
        return None
    except sqlalchemy.exc.IntegrityError:
        session.rollback()
    finally:
        session.close()
    return study._storage.get_study_system_attrs(study._study_id).get(key)


def reclaim(study: optuna.Study, key: str, old: Any, new: Any) -> bool:
    """Replace the claim `key` by `new` only if it still holds `old`; True if this call did."""
    from optuna.storages._rdb import models

    storage = rdb_storage(study)
    if storage is None:
        return True
    table = models.StudySystemAttributeModel
    session = storage.scoped_session()
    try:
        changed = (
            session.query(table)
            .filter(table.study_id == study._study_id, table.key == key)
            .filter(table.value_json == json.dumps(old))
            .update({"value_json": json.dumps(new)}, synchronize_session=False)
        )
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
    return bool(changed == 1)
