"""Several training processes without running the caller's script twice, and one writer per job.

Lightning's default for `devices>1` ("auto"/"ddp") starts rank 1 by re-executing `sys.argv`: the
user's whole script (or `tsattn train`) runs again, fits again and saves again. So a fit that
would be launched that way is started in-process instead:

- `ddp_fork` where the platform can fork and CUDA is not yet initialised here: the children are
  copies of this process at `trainer.fit`, so nothing is re-run and no script needs a guard. This
  is the case tested here (2 CPU processes, gloo).
- `ddp_spawn` otherwise (no fork, or CUDA already used in this process, e.g. a GPU fit after a
  GPU predict): the children import the main module again, so a script needs the
  `if __name__ == "__main__":` idiom, which Python's multiprocessing requires for any spawn.

Processes started by an outside launcher (torchrun, SLURM's srun, `num_nodes>1`) keep the
strategy as given: there every process runs the script on purpose, and `is_global_zero` decides
which of them saves and tracks. Any other explicit strategy is Lightning's to run as documented.
"""

from __future__ import annotations

import multiprocessing
import os

import torch

from tsattn.config import ForecasterConfig

__all__ = ["is_global_zero", "launch_strategy", "launched_externally"]

_RELAUNCHING = ("auto", "ddp")  # the strategies Lightning starts by re-running the script
_RANK_VARIABLES = ("RANK", "SLURM_PROCID")  # torchrun's and SLURM's global rank


def launch_strategy(config: ForecasterConfig) -> str:
    """The strategy to give the Trainer: `config.strategy`, unless it would re-run the script."""
    if config.strategy not in _RELAUNCHING or config.num_nodes > 1 or launched_externally():
        return config.strategy
    if processes_per_node(config.accelerator, config.devices) < 2:
        return config.strategy
    can_fork = "fork" in multiprocessing.get_all_start_methods()
    return "ddp_fork" if can_fork and not torch.cuda.is_initialized() else "ddp_spawn"


def processes_per_node(accelerator: str, devices: int | str | list[int]) -> int:
    """How many processes Lightning would start on this machine for `accelerator` and `devices`
    (CPU and CUDA; another accelerator counts as one, leaving its strategy to Lightning)."""
    from lightning.pytorch.accelerators import CPUAccelerator, CUDAAccelerator

    cuda = accelerator in ("gpu", "cuda") or (
        accelerator == "auto" and CUDAAccelerator.is_available())
    if not cuda and accelerator not in ("auto", "cpu"):
        return 1
    kind = CUDAAccelerator if cuda else CPUAccelerator
    if devices == "auto":
        return int(kind.auto_device_count())
    if isinstance(devices, list):  # explicit device indices, one process each
        return len(devices)
    parsed = kind.parse_devices(devices)
    return parsed if isinstance(parsed, int) else len(parsed or [])


def launched_externally() -> bool:
    """Whether this process is one of several started by torchrun, SLURM or Lightning itself."""
    from lightning.fabric.plugins.environments import SLURMEnvironment, TorchElasticEnvironment

    return ("LOCAL_RANK" in os.environ or TorchElasticEnvironment.detect()
            or SLURMEnvironment.detect())


def is_global_zero() -> bool:
    """Whether this process is the one that saves models and logs runs: rank 0 of the process
    group, else of the launcher's environment; a process of its own is always rank 0."""
    if torch.distributed.is_available() and torch.distributed.is_initialized():
        return int(torch.distributed.get_rank()) == 0
    for name in _RANK_VARIABLES:
        if name in os.environ:
            return int(os.environ[name]) == 0
    return True
