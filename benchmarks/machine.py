"""What a result was measured on: CPU, cores, RAM, load, versions, git commit and date."""

from __future__ import annotations

import datetime as dt
import importlib.metadata
import os
import platform
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("tsattn", "torch", "lightning", "numpy", "pandas", "scikit-learn")
PEER_PACKAGES = ("darts", "neuralforecast", "pytorch-forecasting", "torch", "lightning", "pandas")


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _ram_gib() -> float:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 2**20, 1)
    except OSError:
        pass
    return float("nan")


_OWN_OUTPUTS = (":(exclude)benchmarks/results", ":(exclude)benchmarks/README.md")


def _git(*args: str) -> str:
    try:
        out = subprocess.run(
            ["git", *args], cwd=REPO_ROOT, capture_output=True, text=True, check=True
        )
        return out.stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def versions(packages: tuple[str, ...] = PACKAGES) -> dict[str, str]:
    """Installed version of each package in *this* interpreter, "absent" when not installed."""
    found = {"python": platform.python_version()}
    for name in packages:
        try:
            found[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            found[name] = _source_version(name)
    return found


def _source_version(name: str) -> str:
    """tsattn run from a source checkout that is not pip-installed still has a version."""
    if name != "tsattn":
        return "absent"
    try:
        import tsattn

        return f"{getattr(tsattn, '__version__', '?')} (source)"
    except ImportError:
        return "absent"


def current_rss_mb() -> float:
    """This process's resident set size now, in MiB (Linux /proc; NaN elsewhere)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def describe() -> dict[str, object]:
    """The machine block every results JSON carries."""
    commit = _git("rev-parse", "HEAD")
    # the benchmarks' own outputs are not code: a second benchmark run after a first one that
    # wrote its table is still measuring the commit
    dirty = _git("status", "--porcelain", "--untracked-files=no", "--", ".", *_OWN_OUTPUTS)
    return {
        "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "git_commit": commit if commit else "unknown",
        "git_dirty": bool(dirty) and dirty != "unknown",
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "ram_gib": _ram_gib(),
        "load_avg_1_5_15": [round(x, 2) for x in os.getloadavg()],
        "platform": platform.platform(),
        "python_executable": sys.executable,
        "versions": versions(),
    }
