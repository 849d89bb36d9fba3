"""Write the `interpretation/` folder of a run: heatmaps, profiles, importance, raw weights.

Everything here works on tidy attention frames and a folder, so it can be tested without a
model or a tracking server, and a user can call `write_interpretation` on any frame from
`Forecaster.interpret` to get the same files locally. The pictures come from `tsattn.interpret`;
every heatmap, the mean map and the HTML report share one colour scale (`frame_lift_scale`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from tsattn.interpret import plots, tables
from tsattn.interpret.report import write_report
from tsattn.interpret.scale import LiftScale, frame_lift_scale

__all__ = ["InterpretationFiles", "write_interpretation"]

_DPI = 110


@dataclass
class InterpretationFiles:
    """Paths written, grouped by what they show; `notes` says what was skipped and why.

    `metrics` are run-level numbers for the tracker (attention concentration), named as logged.
    """

    folder: Path
    heatmaps: list[Path] = field(default_factory=list)
    tables: list[Path] = field(default_factory=list)
    plots: list[Path] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    metrics: dict[str, float] = field(default_factory=dict)

    def all(self) -> list[Path]:
        """Every file written, for logging or listing."""
        return [*self.heatmaps, *self.tables, *self.plots]


def write_interpretation(
    folder: str | Path,
    temporal: pd.DataFrame | None,
    inputs: pd.DataFrame | None = None,
    *,
    history: pd.DataFrame | None = None,
    target: str | None = None,
    freq: str | None = None,
    windows: int = 4,
    report: bool = True,
    lag_by_target: pd.DataFrame | None = None,
    id_col: str | None = None,
    contributions: pd.DataFrame | None = None,
) -> InterpretationFiles:
    """Write attention artifacts for one run into `folder` and return what was written.

    `temporal` / `inputs` are `Forecaster.interpret(kind="temporal" / "input")` frames (None when
    the model has no such attention). `history`, a frame with columns series, time, value, puts
    the target above each heatmap; `target` names it. `windows` caps the heatmaps drawn.
    `lag_by_target` (`tsattn.interpret.lag_profile_by_target`) adds each target's own profile.
    `id_col` names the series column of the user's frame, so titles read `id=s0`.
    `contributions` (`interpret(kind="contribution")`) adds which variables' values moved the
    forecasts, and at which distance.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    files = InterpretationFiles(folder)
    if temporal is not None:
        scale = frame_lift_scale(temporal)  # one colour scale: heatmaps, mean map, report
        _write_temporal(files, temporal, scale, history, target, freq, windows, id_col)
        if report:
            files.plots.append(
                write_report(folder / "attention_report.html", temporal, freq=freq, scale=scale,
                             id_col=id_col, target=target)
            )
    else:
        files.notes.append("no temporal attention (attention='none'): heatmaps skipped")
    if lag_by_target is not None:
        files.tables.append(_csv(lag_by_target, folder / "lag_profile_by_target.csv"))
        figure = plots.plot_lift_by_target(tables.lift_by_target_grid(lag_by_target))
        files.plots.append(_png(figure, folder / "lag_profile_by_target.png"))
    if inputs is not None:
        _write_inputs(files, inputs)
    if contributions is not None:
        _write_contributions(files, contributions, freq)
    return files


def _write_temporal(
    files: InterpretationFiles,
    frame: pd.DataFrame,
    scale: LiftScale,
    history: pd.DataFrame | None,
    target: str | None,
    freq: str | None,
    windows: int,
    id_col: str | None,
) -> None:
    files.tables.append(_parquet(frame, files.folder / "temporal_attention.parquet"))  # as given
    frame = tables.check_temporal_frame(frame)
    folder = files.folder
    stats = tables.concentration(frame)
    files.metrics.update(
        attention_entropy_ratio=stats["entropy_ratio"], attention_top10_mass=stats["top10_mass"]
    )
    chosen = tables.representative_windows(frame, windows)
    files.tables.append(_csv(chosen, folder / "heatmap_windows.csv"))
    figures = plots.plot_windows(
        frame, chosen, scale=scale, id_col=id_col, target=target, history=history
    )
    for number, (row, figure) in enumerate(zip(chosen.itertuples(index=False), figures), 1):
        name = f"heatmap_{number}_{_slug(row.reason)}_{_slug(row.series)}.png"
        files.heatmaps.append(_png(figure, folder / "heatmaps" / name))
    by_lag, by_distance = tables.lag_profile(frame), tables.distance_profile(frame)
    files.tables.append(_csv(by_lag, folder / "lag_profile.csv"))
    files.tables.append(_csv(by_distance, folder / "distance_profile.csv"))
    files.plots.append(
        _png(plots.plot_lag_profile(by_lag, by_distance, freq=freq), folder / "lag_profile.png")
    )
    files.plots.append(
        _png(
            plots.plot_mean_map(tables.mean_attention_map(frame), scale=scale),
            folder / "mean_attention_map.png",
        )
    )


def _write_inputs(files: InterpretationFiles, frame: pd.DataFrame) -> None:
    files.tables.append(_parquet(frame, files.folder / "input_attention.parquet"))  # as given
    frame = tables.check_input_frame(frame)
    folder = files.folder
    importance = tables.variable_importance(frame)
    files.tables.append(_csv(importance, folder / "variable_importance.csv"))
    files.plots.append(
        _png(plots.plot_variable_importance(importance), folder / "variable_importance.png")
    )


def _write_contributions(files: InterpretationFiles, frame: pd.DataFrame,
                         freq: str | None) -> None:
    folder = files.folder
    by_variable = tables.contribution_by_variable(frame)
    files.tables.append(_csv(by_variable, folder / "variable_contributions.csv"))
    profile = tables.contribution_profile(frame)
    files.tables.append(_csv(profile, folder / "contribution_profile.csv"))
    figure = plots.plot_variable_importance(by_variable, source="contribution")
    files.plots.append(_png(figure, folder / "variable_contributions.png"))
    figure = plots.plot_contribution_profile(profile, freq=freq)
    files.plots.append(_png(figure, folder / "contribution_profile.png"))


def _png(figure: object, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=_DPI)  # type: ignore[attr-defined]
    return path


def _csv(frame: pd.DataFrame, path: Path) -> Path:
    frame.to_csv(path, index=False)
    return path


def _parquet(frame: pd.DataFrame, path: Path) -> Path:
    frame.to_parquet(path, index=False, compression="zstd")  # ~20% smaller than snappy here
    return path


def _slug(value: object) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", str(value)).strip("-").lower()[:40] or "x"
