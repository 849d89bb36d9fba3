"""The data pipeline: validate a frame, pack it into a Panel, scale it, cut windows, load batches.

    frame --validate_frame--> ValidatedFrame --build_panel--> Panel --PanelScaler--> Panel
          --WindowDataset.for_training / .for_prediction--> WindowDataset
          --WindowDataModule--> batches

`temporal_split` cuts a frame into train/val/test first; the scaler is fitted on train only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tsattn.data.calendar import (
    CALENDAR_FEATURES,
    calendar_column_names,
    calendar_features,
    future_time_grid,
    future_times,
    resolve_calendar_features,
)
from tsattn.data.dataset import Batch, WindowDataset, collate
from tsattn.data.future import future_covariates_array, future_known_features
from tsattn.data.panel import Panel, build_panel
from tsattn.data.scaling import PanelScaler, Scaling
from tsattn.data.split import Cutoff, TemporalSplit, temporal_split
from tsattn.data.validate import WIDE_SERIES_ID, ValidatedFrame, validate_frame
from tsattn.data.windows import gather, last_windows, window_origins

__all__ = [
    "CALENDAR_FEATURES",
    "WIDE_SERIES_ID",
    "Batch",
    "Cutoff",
    "Panel",
    "PanelScaler",
    "Scaling",
    "TemporalSplit",
    "ValidatedFrame",
    "WindowDataModule",
    "WindowDataset",
    "build_panel",
    "calendar_column_names",
    "calendar_features",
    "collate",
    "future_covariates_array",
    "future_known_features",
    "future_time_grid",
    "future_times",
    "gather",
    "last_windows",
    "resolve_calendar_features",
    "temporal_split",
    "validate_frame",
    "window_origins",
]

if TYPE_CHECKING:
    from tsattn.data.module import WindowDataModule


def __getattr__(name: str) -> Any:
    """`WindowDataModule` is a Lightning class: import Lightning only when someone asks for it."""
    if name == "WindowDataModule":
        from tsattn.data.module import WindowDataModule

        return WindowDataModule
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
