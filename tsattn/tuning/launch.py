"""Start worker processes, watch them, stop them cleanly on Ctrl-C.

This is process management only: which trial runs where is decided by each worker asking the
study storage, so the parent just starts the processes and waits. Each worker's output goes to
its own log file, keeping the console for the live progress line.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from tsattn.tuning.errors import WorkerError
from tsattn.tuning.hardware import WorkerSlot

__all__ = ["WorkerExit", "run_workers"]

_STOP_GRACE_S = 30.0
_LOG_TAIL_LINES = 25


@dataclass(frozen=True)
class WorkerExit:
    """How a worker ended: its slot, process id, exit code and log file."""

    slot: WorkerSlot
    pid: int
    returncode: int
    log: Path

    @property
    def ok(self) -> bool:
        return self.returncode == 0

    def describe(self) -> str:
        if self.returncode < 0:
            how = f"was killed by {signal.Signals(-self.returncode).name}"
        else:
            how = f"exited with code {self.returncode}"
        return (
            f"worker {self.slot.index} ({self.slot.label}, pid {self.pid}) {how}; log: {self.log}"
        )


def run_workers(
    spec_path: Path,
    slots: list[WorkerSlot],
    log_dir: Path,
    *,
    poll: Callable[[], None] | None = None,
    poll_interval: float = 2.0,
) -> list[WorkerExit]:
    """Run one `tsattn.tuning.worker` per slot and wait for all; `poll` runs while they work.

    Raises WorkerError when every worker failed, quoting the first failure's log, since then
    nothing was tuned and the reason is in that log.
    """
    log_dir.mkdir(parents=True, exist_ok=True)
    processes = [_start(spec_path, slot, log_dir) for slot in slots]
    try:
        while any(process.poll() is None for process, _ in processes):
            if poll is not None:
                poll()
            time.sleep(poll_interval)
    except KeyboardInterrupt:
        _stop([process for process, _ in processes])
        raise
    finally:
        if poll is not None:
            poll()
    exits = [
        WorkerExit(slot, process.pid, int(process.returncode), log)
        for (process, log), slot in zip(processes, slots, strict=True)
    ]
    if exits and not any(e.ok for e in exits):
        first = exits[0]
        raise WorkerError(
            f"all {len(exits)} workers failed; {first.describe()}. Its last lines:\n"
            f"{_tail(first.log)}"
        )
    return exits


def _start(
    spec_path: Path, slot: WorkerSlot, log_dir: Path
) -> tuple[subprocess.Popen[bytes], Path]:
    log = log_dir / f"worker-{slot.index}.log"
    env = {**os.environ, **slot.env, "PYTHONUNBUFFERED": "1", "PYTHONPATH": _python_path()}
    command = [
        sys.executable,
        "-m",
        "tsattn.tuning.worker",
        str(spec_path),
        "--index",
        str(slot.index),
    ]
    with log.open("ab") as handle:
        # Same process group as the parent: a terminal's Ctrl-C reaches workers directly.
        process = subprocess.Popen(command, env=env, stdout=handle, stderr=subprocess.STDOUT)
    return process, log


def _python_path() -> str:
    """Workers import the very tsattn this process runs, installed or not, whatever their cwd."""
    import tsattn

    root = str(Path(tsattn.__file__).resolve().parents[1])
    rest = os.environ.get("PYTHONPATH")
    return os.pathsep.join([root, rest] if rest else [root])


def _stop(processes: list[subprocess.Popen[bytes]]) -> None:
    """SIGTERM (workers fail their running trial cleanly), then SIGKILL after a grace period."""
    for process in processes:
        if process.poll() is None:
            process.terminate()
    deadline = time.monotonic() + _STOP_GRACE_S
    for process in processes:
        try:
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _tail(path: Path) -> str:
    try:
        lines = path.read_text(errors="replace").splitlines()
    except OSError:
        return "(no log)"
    return "\n".join(lines[-_LOG_TAIL_LINES:])
