"""Run one measurement in a fresh interpreter and read its own peak RSS.

Each system gets a new process so that imports, caches and allocator state of one never inflate
another's peak memory; ``os.wait4`` returns the rusage of that one child (``ru_maxrss``, KiB on
Linux), which is the same figure as the child's /proc VmHWM.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
PEERS_PYTHON = REPO_ROOT / "benchmarks" / ".venv-peers" / "bin" / "python"


def peers_python() -> Path | None:
    """The peers' interpreter (``make bench-peers-env``), or None when it is not installed."""
    env = os.environ.get("TSATTN_BENCH_PEERS_PYTHON")
    path = Path(env) if env else PEERS_PYTHON
    return path if path.exists() else None


@dataclass
class WorkerResult:
    """What one subprocess reported, plus the harness's own process-level measurements."""

    ok: bool
    result: dict[str, object]
    peak_rss_mb: float
    wall_s: float  # process start to exit, interpreter start and imports included
    error: str = ""


def run_worker(
    target: str,
    params: dict[str, object],
    python: str | Path | None = None,
    timeout_s: float = 3600.0,
    threads: int | None = None,
) -> WorkerResult:
    """Run ``benchmarks.worker target`` with ``params`` in a fresh process; never raises on failure.

    ``target`` is "module:function" inside the benchmarks package; the function gets ``params`` as
    keyword arguments and returns a JSON-able dict. A failing system becomes a row with its error,
    so one broken peer does not lose the other rows of a run.
    """
    with tempfile.TemporaryDirectory(prefix="tsattn-bench-") as tmp:
        out = Path(tmp) / "result.json"
        cmd = [str(python or sys.executable), "-m", "benchmarks.worker", target,
               json.dumps(params), str(out)]
        res = run_command(cmd, timeout_s=timeout_s, threads=threads)
        if res.ok and out.exists():
            res.result = json.loads(out.read_text())
        elif res.ok:
            res.ok, res.error = False, "the worker wrote no result"
        return res


def run_command(
    cmd: list[str], timeout_s: float = 3600.0, threads: int | None = None
) -> WorkerResult:
    """Run ``cmd`` from the repository root: wall time from spawn to exit, the child's peak RSS."""
    env = dict(os.environ)
    if threads:
        # The same thread count for every system, so that ratios compare like with like.
        for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "TSATTN_BENCH_THREADS"):
            env[var] = str(threads)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
    with tempfile.TemporaryFile() as log:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=REPO_ROOT, env=env, stdout=log, stderr=log)
        status, usage = _wait(proc, timeout_s)
        wall = time.perf_counter() - start
        peak = usage.ru_maxrss / 1024 if usage is not None else float("nan")
        if status == 0:
            return WorkerResult(True, {}, peak, wall)
        log.seek(0)
        tail = log.read().decode(errors="replace")[-3000:]
        return WorkerResult(False, {}, peak, wall, error=f"exit status {status}: {tail}")


def _wait(proc: subprocess.Popen[bytes], timeout_s: float) -> tuple[int, resource.struct_rusage]:
    """wait4 on the child with a deadline; a child past it is killed and reported as failed."""
    deadline = time.monotonic() + timeout_s
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            proc.returncode = os.waitstatus_to_exitcode(status)
            return proc.returncode, usage
        if time.monotonic() > deadline:
            proc.kill()
            _, _, usage = os.wait4(proc.pid, 0)
            proc.returncode = -9
            return -9, usage
        time.sleep(0.02)
