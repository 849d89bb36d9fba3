"""Once-per-study actions when several launchers (machines) share one study.

Each launcher validates, queues the config's `enqueue` list, runs its workers and then refits
the best trial. Done by every launcher, the queueing would run each enqueued configuration
once per launcher, and the refit would train and register the same model once per machine. So
each is claimed first: an atomic insert into the study's storage (`_optuna_private.claim`) that
exactly one launcher wins. A refit claim names its holder (host and pid), so a launcher that
loses can say who fits the model and where it goes; a claim whose holder was a process on this
host that no longer exists (a crash mid-refit) is taken over, since nobody else would redo it.
A holder on another host cannot be checked from here: its claim stands.
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
from datetime import datetime, timezone
from typing import Any

import optuna

from tsattn.tuning._optuna_private import claim, reclaim

__all__ = ["claim_refit", "enqueue_once", "this_process"]

_PREFIX = "tsattn:"


def this_process() -> str:
    """How a claim names its holder: host and pid."""
    return f"{socket.gethostname()} pid {os.getpid()}"


def enqueue_once(study: optuna.Study, configurations: list[dict[str, Any]]) -> None:
    """Queue each configuration unless any launcher, now or before, already queued it."""
    for params in configurations:
        digest = hashlib.sha1(json.dumps(params, sort_keys=True).encode()).hexdigest()
        if claim(study, f"{_PREFIX}enqueued:{digest}", {"by": this_process()}) is None:
            # skip_if_exists as well: studies queued before claims existed have no claim keys
            study.enqueue_trial(params, skip_if_exists=True)


def claim_refit(study: optuna.Study, key: str, plan: dict[str, Any]) -> dict[str, Any] | None:
    """Claim the refit `key` for this process: None if ours, else the holder's claim.

    `plan` (where the model will be saved and registered) is stored with the claim for the
    launchers that lose it to report.
    """
    mine = {
        **plan,
        "by": this_process(),
        "host": socket.gethostname(),
        "pid": os.getpid(),
        "at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }
    full_key = f"{_PREFIX}refit:{key}"
    held: Any = None
    for _ in range(3):  # another launcher may take over the same dead claim at once
        held = claim(study, full_key, mine)
        if held is None or (isinstance(held, dict) and held.get("by") == mine["by"]):
            return None  # ours, also when this process claimed it in an earlier call
        if not _dead_here(held):
            return dict(held) if isinstance(held, dict) else {"by": str(held)}
        if reclaim(study, full_key, held, mine):
            return None
    return dict(held) if isinstance(held, dict) else {"by": str(held)}


def _dead_here(held: Any) -> bool:
    """Whether the claim's holder was a process on this host that has since ended."""
    if not isinstance(held, dict) or held.get("host") != socket.gethostname():
        return False
    pid = held.get("pid")
    if not isinstance(pid, int):
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # alive, another user's
        return False
    return False
