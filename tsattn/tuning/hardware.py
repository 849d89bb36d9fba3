"""Which worker processes to start and what each may use: one GPU each, or a share of the cores.

A worker sees only its own GPU (`CUDA_VISIBLE_DEVICES`), so "device 0" inside every worker is a
different card and no trial can land on a neighbour's device. CPU workers get disjoint core
sets and as many threads as cores, so N workers do not oversubscribe the machine N times over.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from tsattn.config import ForecasterConfig
from tsattn.errors import ConfigError

__all__ = ["WorkerSlot", "available_cores", "plan_workers", "torch_threads"]

_THREAD_VARIABLES = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")


@dataclass(frozen=True)
class WorkerSlot:
    """One worker process: its index, the hardware it trains on, and its environment."""

    index: int
    accelerator: str
    devices: int | str | list[int]
    threads: int
    cpus: list[int] | None = None
    env: dict[str, str] = field(default_factory=dict)

    @property
    def label(self) -> str:
        gpu = self.env.get("CUDA_VISIBLE_DEVICES")
        if gpu:
            return f"gpu {gpu}"
        if self.cpus:
            return f"cpu {self.cpus[0]}-{self.cpus[-1]}"
        return f"{self.accelerator} x{self.threads} threads"


@contextmanager
def torch_threads(count: int) -> Iterator[None]:
    """Run a block with `count` torch threads, then restore the previous count.

    Small recurrent models slow down by an order of magnitude when their threads outnumber
    the free cores, so the parent's final fit uses one worker's share, as the trials did.
    """
    import torch

    previous = torch.get_num_threads()
    torch.set_num_threads(max(1, count))
    try:
        yield
    finally:
        torch.set_num_threads(previous)


def available_cores() -> list[int]:
    """Cores this process may run on (respects taskset/cgroup limits where the OS reports them)."""
    if hasattr(os, "sched_getaffinity"):
        return sorted(os.sched_getaffinity(0))
    return list(range(os.cpu_count() or 1))


def plan_workers(
    forecaster: ForecasterConfig,
    *,
    workers: int | None,
    gpus: list[int] | None,
    cores: list[int] | None = None,
) -> list[WorkerSlot]:
    """One slot per GPU (`--gpus`), N CPU slots (`--workers N`), else one worker as configured.

    Raises ConfigError when the flags contradict the config's accelerator or devices: a user who
    wrote `accelerator: cpu` and passes `--gpus` should hear about it rather than guess which won.
    """
    cores = cores if cores is not None else available_cores()
    if workers is not None and gpus is not None:
        raise ConfigError(
            "use either --workers N (CPU processes) or --gpus 0,1 (one process per GPU), not both"
        )
    if gpus is not None:
        return _gpu_slots(forecaster, gpus, cores)
    if workers is not None:
        return _cpu_slots(forecaster, workers, cores)
    return [WorkerSlot(0, forecaster.accelerator, forecaster.devices, threads=len(cores))]


def _gpu_slots(forecaster: ForecasterConfig, gpus: list[int], cores: list[int]) -> list[WorkerSlot]:
    if not gpus or any(g < 0 for g in gpus) or len(set(gpus)) != len(gpus):
        raise ConfigError(f"--gpus must list distinct GPU indices like 0,1,2, but got {gpus}")
    if forecaster.accelerator not in {"auto", "gpu", "cuda"}:
        raise ConfigError(
            f"--gpus trains on GPUs, but forecaster.accelerator={forecaster.accelerator!r}; "
            "remove it from the config (or --set forecaster.accelerator=gpu)"
        )
    _check_single_device(forecaster, "--gpus")
    slots = []
    threads = max(1, len(cores) // len(gpus))
    for i, (gpu, cpus) in enumerate(zip(gpus, _split(cores, len(gpus)), strict=True)):
        env = {"CUDA_VISIBLE_DEVICES": str(gpu), **_thread_env(threads)}
        slots.append(WorkerSlot(i, "gpu", 1, threads=threads, cpus=cpus, env=env))
    return slots


def _cpu_slots(forecaster: ForecasterConfig, workers: int, cores: list[int]) -> list[WorkerSlot]:
    if workers < 1:
        raise ConfigError(f"--workers must be at least 1, but got {workers}")
    if forecaster.accelerator not in {"auto", "cpu"}:
        raise ConfigError(
            f"--workers starts CPU processes, but forecaster.accelerator="
            f"{forecaster.accelerator!r}; use --gpus 0,1,... to spread trials over GPUs"
        )
    _check_single_device(forecaster, "--workers")
    slots = []
    threads = max(1, len(cores) // workers)
    for i, cpus in enumerate(_split(cores, workers)):
        # An empty CUDA_VISIBLE_DEVICES hides every GPU, so "cpu" really means CPU.
        env = {"CUDA_VISIBLE_DEVICES": "", **_thread_env(threads)}
        slots.append(WorkerSlot(i, "cpu", 1, threads=threads, cpus=cpus, env=env))
    return slots


def _check_single_device(forecaster: ForecasterConfig, flag: str) -> None:
    if forecaster.devices not in ("auto", 1, [0]):
        raise ConfigError(
            f"{flag} gives each worker one device, but forecaster.devices="
            f"{forecaster.devices!r}; remove it from the config"
        )


def _split(cores: list[int], parts: int) -> list[list[int] | None]:
    """Disjoint, contiguous core sets; with fewer cores than parts, no pinning (None)."""
    if len(cores) < parts:
        return [None] * parts
    size = len(cores) // parts
    return [cores[i * size : (i + 1) * size] for i in range(parts)]


def _thread_env(threads: int) -> dict[str, str]:
    return {name: str(max(1, threads)) for name in _THREAD_VARIABLES}
