"""Batched, gradient-free forward passes over a window dataset, collected into numpy arrays."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import torch
from torch import nn

from tsattn.data import Batch

__all__ = ["BatchedWindows", "NetworkOutputs", "inference_device", "run_network"]


class BatchedWindows(Protocol):
    """What `run_network` reads: a length and whole batches by index (`WindowDataset` is one),
    so hand-made windows take the library's one inference path too."""

    def __len__(self) -> int: ...

    def __getitems__(self, indices: Sequence[int]) -> Batch: ...


@dataclass
class NetworkOutputs:
    """Everything one pass produced, one row per window, on the network's (scaled) scale."""

    prediction: np.ndarray  # (N, H, C, Q)
    series: np.ndarray  # (N,) series index into the panel
    origin: np.ndarray  # (N,) global row of the last observed step
    temporal_attention: np.ndarray | None = None  # (N, heads, H, L)
    input_attention: np.ndarray | None = None  # (N, L, V)
    target: np.ndarray | None = None  # (N, H, C) when the windows lie inside the data
    read_contributions: np.ndarray | None = None  # (N, H, C, L, V), see tsattn.nn.contributions


def inference_device(accelerator: str) -> torch.device:
    """CUDA when asked for (or "auto") and present; inference never needs more than one device."""
    wants_gpu = accelerator in {"auto", "gpu", "cuda"}
    return torch.device("cuda" if wants_gpu and torch.cuda.is_available() else "cpu")


@torch.inference_mode()
def run_network(
    network: nn.Module,
    dataset: BatchedWindows,
    *,
    batch_size: int,
    accelerator: str = "auto",
    return_attention: bool = False,
    attention_target: int | None = None,
    return_contributions: bool = False,
) -> NetworkOutputs:
    """Run `network` over every window of `dataset` in order, without a Trainer's overhead.

    `attention_target` selects one target's temporal attention (see `AttentionSeq2Seq.forward`);
    `return_contributions` adds the read contributions (and the attention).
    """
    device = inference_device(accelerator)
    network = network.to(device).eval()
    parts: dict[str, list[np.ndarray]] = {}
    total = len(dataset)
    for start in range(0, total, batch_size):
        batch = dataset.__getitems__(list(range(start, min(start + batch_size, total))))
        static = batch.get("static")
        out = network(
            batch["past"].to(device), batch["future"].to(device),
            return_attention=return_attention, attention_target=attention_target,
            static=None if static is None else static.to(device),
            **({"return_contributions": True} if return_contributions else {}),
        )
        pieces = {
            "prediction": out.prediction,
            "series": batch["series"],
            "origin": batch["origin"],
            "temporal_attention": out.temporal_attention if return_attention else None,
            "input_attention": out.input_attention if return_attention else None,
            "target": batch.get("target"),
            "read_contributions": out.read_contributions if return_contributions else None,
        }
        for name, tensor in pieces.items():
            if tensor is not None:
                parts.setdefault(name, []).append(tensor.detach().cpu().numpy())
    network.cpu()
    arrays = {name: np.concatenate(chunks) for name, chunks in parts.items()}
    if "prediction" not in arrays:
        raise ValueError("run_network got an empty dataset: there is no window to forecast")
    return NetworkOutputs(**arrays)
