"""Ask a fitted Forecaster for the attention tables a run's interpretation artifacts need.

Every validation window is interpreted (origins="all") unless that would exceed `max_origins`,
in which case windows are taken every `stride` steps; the stride is recorded with the
artifacts, so a profile built from a sample is never mistaken for the full set. A
channel-independent model's per-target profiles use a sparser sample (`PROFILE_ORIGINS`
windows each) for at most `MAX_PROFILED_TARGETS` targets: one interpretation pass per target.
Read contributions (H * L * V values per window and target) come from `CONTRIBUTION_ORIGINS`
windows, for the first target.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pandas as pd

from tsattn.interpret.tables import check_temporal_frame

if TYPE_CHECKING:
    from tsattn.forecaster import Forecaster

__all__ = ["CONTRIBUTION_ORIGINS", "MAX_PROFILED_TARGETS", "PROFILE_ORIGINS",
           "InterpretationInputs", "interpretation_inputs"]

MAX_PROFILED_TARGETS = 32
PROFILE_ORIGINS = 100
CONTRIBUTION_ORIGINS = 40


@dataclass
class InterpretationInputs:
    """Tidy attention frames (None when the model lacks that attention) and plotting context."""

    temporal: pd.DataFrame | None
    inputs: pd.DataFrame | None
    history: pd.DataFrame | None
    target: str | None
    stride: int
    notes: list[str] = field(default_factory=list)
    lag_by_target: pd.DataFrame | None = None  # each target's own lag profile (CI models)
    id_col: str | None = None  # the user's series column, so pictures name series by it
    contributions: pd.DataFrame | None = None  # interpret(kind="contribution"), first target


def interpretation_inputs(
    forecaster: Forecaster, frame: pd.DataFrame, *, max_origins: int = 500
) -> InterpretationInputs:
    """Interpret every window of `frame` (sampled by a stride above `max_origins` windows).

    The heatmaps draw the first target's history, so a channel-independent model, which attends
    separately per target, is interpreted through that target's own attention.
    """
    stride = _stride(forecaster, frame, max_origins)
    targets = [forecaster.target] if isinstance(forecaster.target, str) else list(forecaster.target)
    target = targets[0]
    network = forecaster.network_.config
    per_target = network.channel_independent and network.n_targets > 1
    notes: list[str] = []
    temporal = lag_by_target = None
    contributions = None
    if forecaster.attention != "none":
        temporal = forecaster.interpret(frame, kind="temporal", origins="all", stride=stride,
                                        target=target if per_target else None)
        sparse = _stride(forecaster, frame, CONTRIBUTION_ORIGINS)
        contributions = forecaster.interpret(frame, kind="contribution", origins="all",
                                             stride=sparse, target=target)
        notes.append(f"variable_contributions.*, contribution_profile.csv: target {target!r}, "
                     f"windows every {sparse} step(s)")
        if per_target:
            notes.append(
                f"channel-independent model: temporal attention is that of the first target, "
                f"{target!r}; lag_profile_by_target.* profiles each target's own, and "
                f"Forecaster.interpret(df, target=...) gives any target's weights"
            )
            lag_by_target = _lag_by_target(forecaster, frame, targets, notes)
    inputs = None
    if forecaster.input_attention:
        inputs = forecaster.interpret(frame, kind="input", origins="all", stride=stride)
    series_labels = [] if temporal is None else check_temporal_frame(temporal)["series"].unique()
    history = _history(forecaster, frame, target, series_labels)
    return InterpretationInputs(temporal, inputs, history, target, stride, notes, lag_by_target,
                                forecaster.id_col, contributions)


def _lag_by_target(
    forecaster: Forecaster, frame: pd.DataFrame, targets: list[str], notes: list[str]
) -> pd.DataFrame:
    """Each target's own lag profile, from a sparser sample of windows than the heatmaps'."""
    from tsattn.interpret.tables import lag_profile_by_target

    stride = _stride(forecaster, frame, PROFILE_ORIGINS)
    profiled = targets[:MAX_PROFILED_TARGETS]
    frames = {
        name: forecaster.interpret(frame, kind="temporal", origins="all", stride=stride,
                                   target=name)
        for name in profiled
    }
    notes.append(f"lag_profile_by_target: windows every {stride} step(s)")
    if len(targets) > len(profiled):
        notes.append(
            f"lag_profile_by_target covers the first {len(profiled)} of {len(targets)} targets"
        )
    return lag_profile_by_target(frames)


def _stride(forecaster: Forecaster, frame: pd.DataFrame, max_origins: int) -> int:
    id_col = forecaster.id_col
    per_series = frame.groupby(id_col).size() if id_col else pd.Series([len(frame)])
    span = int(forecaster.lookback) + int(forecaster.horizon) - 1
    windows = int((per_series - span).clip(lower=0).sum())
    return max(1, math.ceil(windows / max_origins))


def _history(
    forecaster: Forecaster, frame: pd.DataFrame, target: str, series_labels: Any
) -> pd.DataFrame | None:
    """Long frame (series, time, value) of the first target, keyed like the attention tables."""
    time_col, id_col = forecaster.time_col, forecaster.id_col
    if time_col is None or target not in frame:
        return None
    column = frame[time_col]
    integer = pd.api.types.is_integer_dtype(column.dtype)  # an integer time axis stays steps
    times = column if integer else pd.to_datetime(column, errors="coerce")
    if id_col:
        series = frame[id_col]
    elif len(series_labels) == 1:
        series = pd.Series(series_labels[0], index=frame.index)
    else:
        return None
    return pd.DataFrame(
        {"series": series.to_numpy(), "time": times.to_numpy(), "value": frame[target].to_numpy()}
    )
