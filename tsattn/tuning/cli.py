"""`tsattn tune`: a thin shell over `tune_job` with live progress and a final report.

Registered by the main CLI as ``app.command("tune")(tune_command)``. Self-contained (it does
not import `tsattn.cli`) so the main CLI can import it at module level without a cycle; both
report errors through `tsattn.cli_errors`.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from tsattn.cli_errors import reports_errors
from tsattn.errors import ConfigError

if TYPE_CHECKING:
    from tsattn.tuning.best import BestModel
    from tsattn.tuning.job import TuneResult
    from tsattn.tuning.study import StudyProgress

__all__ = ["tune_command"]

console = Console(soft_wrap=True)  # paths and URLs stay whole for copy and paste
_INTERRUPTED = "interrupted: run the same command again to continue the study"


@reports_errors(console, interrupted=_INTERRUPTED)
def tune_command(
    config: Annotated[
        Path, typer.Option("--config", "-c", help="Experiment YAML with a tune: section.")
    ],
    trials: Annotated[
        int, typer.Option("--trials", "-n", help="Finished trials the study should hold.")
    ] = 20,
    workers: Annotated[
        int | None, typer.Option(help="Run N CPU worker processes, cores split between them.")
    ] = None,
    gpus: Annotated[
        str | None, typer.Option(help="One worker per GPU, e.g. --gpus 0,1,2,3.")
    ] = None,
    storage: Annotated[
        str | None,
        typer.Option(
            help="Optuna database URL shared by all workers and machines "
            "(default: sqlite in the run directory)."
        ),
    ] = None,
    study: Annotated[
        str | None, typer.Option(help="Study name (default: the config's name).")
    ] = None,
    timeout: Annotated[
        float | None, typer.Option(help="Start no new trial after this many seconds.")
    ] = None,
    overrides: Annotated[
        list[str] | None,
        typer.Option("--set", help="Override a config key, e.g. --set tune.pruner=none."),
    ] = None,
    no_track: Annotated[bool, typer.Option("--no-track", help="Do not log to MLflow.")] = False,
    top: Annotated[int, typer.Option(help="Rows in the final table of best trials.")] = 10,
) -> None:
    """Tune a forecaster's hyperparameters with Optuna over all workers, then register the best."""
    from tsattn.config import load_experiment
    from tsattn.tuning.job import tune_job

    experiment = load_experiment(config, overrides or [])
    gpu_list = parse_gpus(gpus)
    console.print(
        f"tuning [bold]{experiment.name}[/] on {experiment.data.path}: "
        f"{trials} trials, {_workers_text(workers, gpu_list)}"
    )
    with _ProgressDisplay() as display:
        result = tune_job(
            experiment,
            trials=trials,
            workers=workers,
            gpus=gpu_list,
            storage=storage,
            study_name=study,
            timeout=timeout,
            track=not no_track,
            top=top,
            on_progress=display.update,
        )
    _report(result)


def parse_gpus(text: str | None) -> list[int] | None:
    """`"0,1,3"` -> [0, 1, 3]; a clear error for anything else."""
    if text is None:
        return None
    try:
        return [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise ConfigError(
            f"--gpus must be comma-separated GPU indices like 0,1,2, but got {text!r}"
        ) from None


class _ProgressDisplay:
    """A live bar on a terminal; one line per change otherwise (CI logs, pipes)."""

    def __init__(self) -> None:
        self._last = ""
        self._bar: Progress | None = None
        self._task: TaskID | None = None

    def __enter__(self) -> _ProgressDisplay:
        if console.is_terminal:
            self._bar = Progress(
                TextColumn("trials"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.fields[status]}"),
                TimeElapsedColumn(),
                console=console,
            )
            self._bar.start()
            self._task = self._bar.add_task("trials", total=None, status="starting workers")
        return self

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.stop()

    def update(self, progress: StudyProgress) -> None:
        status = _status(progress)
        if self._bar is not None and self._task is not None:
            self._bar.update(
                self._task, completed=progress.finished, total=progress.target, status=status
            )
        elif status != self._last:
            console.print(f"[{progress.finished}/{progress.target}] {status}", highlight=False)
        self._last = status


def _status(progress: StudyProgress) -> str:
    if progress.stage != "searching":
        return progress.stage
    best = (
        "-"
        if progress.best_value is None
        else f"{progress.best_value:.5g} (#{progress.best_number})"
    )
    return (
        f"running {progress.running}  pruned {progress.pruned}  failed {progress.failed}  "
        f"best {best}"
    )


def _workers_text(workers: int | None, gpus: list[int] | None) -> str:
    if gpus:
        return f"one worker per GPU {gpus}"
    if workers:
        return f"{workers} CPU workers"
    return "1 worker"


def _report(result: TuneResult) -> None:
    p = result.progress
    console.print(
        f"study [bold]{result.study_name}[/]: {p.finished}/{p.target} finished "
        f"({p.complete} complete, {p.pruned} pruned), {p.failed} failed"
    )
    if not result.top.empty:
        console.print(_top_table(result))
    for number, error in list(result.failures.items())[:5]:
        console.print(f"[yellow]trial {number} failed:[/] {error.splitlines()[0]}", highlight=False)
    for worker in result.workers:
        if not worker.ok:
            console.print(f"[yellow]{worker.describe()}[/]", highlight=False)
    if p.finished < p.target:
        running = (
            f"; {p.running} trial(s) still count as running (a worker elsewhere, or one that died "
            "less than tune.grace_period seconds ago)"
            if p.running
            else ""
        )
        console.print(
            "[yellow]the study is short of its target: run the same command again to continue "
            f"it{running}[/]",
            highlight=False,
        )
    _where(result)


def _top_table(result: TuneResult) -> Table:
    table = Table(title=f"top {len(result.top)} trials")
    for column in result.top.columns:
        table.add_column(str(column), justify="right")
    for row in result.top.itertuples(index=False):
        table.add_row(*(_cell(value) for value in row))
    return table


def _cell(value: object) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def _where(result: TuneResult) -> None:
    console.print(f"study storage: [bold]{result.storage}[/]  (study '{result.study_name}')")
    console.print(f"dashboard:     {result.dashboard_command}")
    if result.mlflow_run_id:
        console.print(f"MLflow run:    {result.mlflow_run_id} in {result.tracking_uri}")
    best = result.best
    if best is None:
        return
    if best.elsewhere:
        _where_elsewhere(best)
        return
    console.print(
        f"best trial:    #{best.trial} value {best.value:.5g}, retrained on "
        f"{best.trained_on}; params {best.params}",
        highlight=False,
    )
    for split, metrics in best.metrics.items():
        shown = ", ".join(f"{k} {v:.4g}" for k, v in sorted(metrics.items()))
        console.print(f"  {split}: {shown}", highlight=False)
    console.print(f"model saved:   [bold]{best.model_dir}[/]")
    if best.model_uri:
        console.print(
            f"registered:    [bold]{best.model_uri}[/] (version {best.registered_version})"
        )


def _where_elsewhere(best: BestModel) -> None:
    """Another launcher sharing the study holds the refit: say who, and where the model goes."""
    verb = "is being" if best.in_progress else "was"
    console.print(
        f"best trial:    #{best.trial} value {best.value:.5g} {verb} refit by {best.fitted_by}; "
        f"params {best.params}",
        highlight=False,
    )
    console.print(f"model saved:   [bold]{best.model_dir}[/] (on {str(best.fitted_by).split()[0]})")
    if best.model_uri:
        console.print(f"registered:    [bold]{best.model_uri}[/]")
