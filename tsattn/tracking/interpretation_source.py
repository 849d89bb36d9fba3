"""Ask a fitted Forecaster for the attention tables a run's interpretation artifacts need.

Every validation window is interpreted (origins="all") unless that would exceed `max_origins`,
in which case windows are taken every `stride` steps; the stride is recorded with the
artifacts, so a profile built from a sample is never mistaken for the full set.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

__all__ = ["InterpretationInputs", "interpretation_inputs"]


@dataclass
class InterpretationInputs:
    """Tidy attention frames (None when the model lacks that attention) and plotting context."""

    temporal: pd.DataFrame | None
    inputs: pd.DataFrame | None
    history: pd.DataFrame | None
    target: str | None
    stride: int
    notes: list[str] = field(default_factory=list)


def interpretation_inputs(
    forecaster: Any, frame: pd.DataFrame, *, max_origins: int = 500
) -> InterpretationInputs:
    """Interpret every window of `frame` (sampled by a stride above `max_origins` windows).

    The heatmaps draw the first target's history, so a channel-independent model, which attends
    separately per target, is interpreted through that target's own attention.
    """
    stride = _stride(forecaster, frame, max_origins)
    targets = forecaster.target
    target = targets if isinstance(targets, str) else list(targets)[0]
    network = getattr(getattr(forecaster, "network_", None), "config", None)
    per_target = bool(getattr(network, "channel_independent", False)) and (
        getattr(network, "n_targets", 1) > 1
    )
    notes = []
    temporal = None
    if getattr(forecaster, "attention", "none") != "none":
        temporal = forecaster.interpret(frame, kind="temporal", origins="all", stride=stride,
                                        target=target if per_target else None)
        if per_target:
            notes.append(
                f"channel-independent model: temporal attention is that of the first target, "
                f"{target!r}; Forecaster.interpret(df, target=...) gives any other's"
            )
    inputs = None
    if getattr(forecaster, "input_attention", False):
        inputs = forecaster.interpret(frame, kind="input", origins="all", stride=stride)
    series_labels = temporal["series"].unique() if temporal is not None else []
    history = _history(forecaster, frame, target, series_labels)
    return InterpretationInputs(temporal, inputs, history, target, stride, notes)


def _stride(forecaster: Any, frame: pd.DataFrame, max_origins: int) -> int:
    id_col = getattr(forecaster, "id_col", None)
    per_series = frame.groupby(id_col).size() if id_col else pd.Series([len(frame)])
    span = int(forecaster.lookback) + int(forecaster.horizon) - 1
    windows = int((per_series - span).clip(lower=0).sum())
    return max(1, math.ceil(windows / max_origins))


def _history(
    forecaster: Any, frame: pd.DataFrame, target: str, series_labels: Any
) -> pd.DataFrame | None:
    """Long frame (series, time, value) of the first target, keyed like the attention tables."""
    time_col, id_col = getattr(forecaster, "time_col", None), getattr(forecaster, "id_col", None)
    if time_col is None or target not in frame:
        return None
    times = pd.to_datetime(frame[time_col], errors="coerce")
    if id_col:
        series = frame[id_col]
    elif len(series_labels) == 1:
        series = pd.Series(series_labels[0], index=frame.index)
    else:
        return None
    return pd.DataFrame(
        {"series": series.to_numpy(), "time": times.to_numpy(), "value": frame[target].to_numpy()}
    )
