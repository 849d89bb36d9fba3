"""`tsattn` command line: thin subcommands over `tsattn.jobs`; errors print as one clear line."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from tsattn.cli_errors import reports_errors
from tsattn.tuning.cli import tune_command

if TYPE_CHECKING:
    from tsattn.job_spec import ForecastJobSpec

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="Attention LSTM/GRU forecasting: train, predict, tune and run forecast jobs.",
)
console = Console()

ConfigOption = Annotated[Path, typer.Option("--config", "-c", help="Experiment YAML file.")]
ModelOption = Annotated[str, typer.Option(help="models:/name@alias or a saved model directory.")]
DataOption = Annotated[Path, typer.Option(help="History to forecast from (.csv or .parquet).")]
OutputOption = Annotated[
    Path, typer.Option(help="Forecast file (.csv/.parquet), written atomically.")
]
FutureOption = Annotated[Path | None, typer.Option(help="Known-future covariates for the horizon.")]
TrackingUriOption = Annotated[
    str | None, typer.Option(help="Tracking store (default: MLFLOW_TRACKING_URI or local).")
]
SetOption = Annotated[
    list[str] | None,
    typer.Option("--set", help="Override a config key, e.g. --set forecaster.max_epochs=5."),
]


def _present(splits: dict[str, dict[str, float]]) -> dict[str, dict[str, float]]:
    return {split: values for split, values in splits.items() if values}


def metrics_table(title: str, metrics: dict[str, dict[str, float]]) -> Table:
    """Rows per split, columns per metric: what a user reads at the end of a run."""
    table = Table(title=title)
    table.add_column("split")
    names = sorted({name for values in metrics.values() for name in values})
    for name in names:
        table.add_column(name, justify="right")
    for split, values in metrics.items():
        table.add_row(split, *(f"{values[name]:.4f}" if name in values else "" for name in names))
    return table


def _split_interval_scores(
    metrics: dict[str, float],
) -> tuple[dict[str, float], dict[str, dict[str, float]]]:
    """(point metrics, {level label: {"coverage": .., "width": ..}}) from `evaluate`'s keys."""
    point: dict[str, float] = {}
    intervals: dict[str, dict[str, float]] = {}
    for name, value in metrics.items():
        kind, _, label = name.partition("_")
        if kind in ("coverage", "width") and label:
            intervals.setdefault(label, {})[kind] = value
        else:
            point[name] = value
    return point, intervals


def intervals_table(intervals: dict[str, dict[str, float]]) -> Table:
    """Per calibrated level: the share of test outcomes inside, and the mean width."""
    table = Table(title="conformal intervals, test")  # calibrated on the val split
    for column in ("level", "coverage", "mean width"):
        table.add_column(column, justify="right")
    for label, scores in intervals.items():
        table.add_row(f"{label} %", f"{scores['coverage']:.1%}", f"{scores['width']:.4g}")
    return table


@app.command()
@reports_errors(console)
def train(
    config: ConfigOption,
    overrides: SetOption = None,
    no_track: Annotated[bool, typer.Option("--no-track", help="Do not log to MLflow.")] = False,
) -> None:
    """Train a forecaster from an experiment config, evaluate it and save it."""
    from tsattn.config import load_experiment
    from tsattn.jobs import train_job

    experiment = load_experiment(config, overrides or [])
    console.print(f"training [bold]{experiment.name}[/] on {experiment.data.path}")
    result = train_job(experiment, track=False if no_track else None)
    test_original, intervals = _split_interval_scores(result.test_metrics_original)
    original = {"val": result.val_metrics_original, "test": test_original}
    console.print(metrics_table("metrics in the data's units", _present(original)))
    if intervals:
        console.print(intervals_table(intervals))
    # The protocol's z-scored MSE/MAE, comparable to published tables; sMAPE and MASE are left
    # out there: sMAPE on values near zero means nothing, and MASE is the same on both scales.
    protocol: dict[str, dict[str, float]] = {
        split: {name: values[name] for name in ("mse", "mae") if name in values}
        for split, values in (("val", result.val_metrics), ("test", result.test_metrics))
    }
    console.print(metrics_table("z-scored (benchmarks)", _present(protocol)))
    console.print(f"epochs: {result.epochs}   training time: {result.seconds:.1f} s")
    console.print(f"model saved to: [bold]{result.model_dir}[/]")
    if result.by_series_path:
        console.print(f"per-series test scores: [bold]{result.by_series_path}[/]")
    if result.run_id:
        console.print(f"MLflow run: {result.run_id}")


@app.command()
@reports_errors(console)
def predict(
    model: ModelOption, data: DataOption, output: OutputOption, future: FutureOption = None
) -> None:
    """Forecast the horizon after each series in DATA and write it atomically to OUTPUT."""
    from tsattn.jobs import predict_job

    result = predict_job(model, data, output, future=future)
    console.print(
        f"wrote {result.rows} forecast rows for {result.series} series to [bold]{result.output}[/]"
    )


@app.command()
@reports_errors(console)
def forecast(
    job: Annotated[
        Path | None, typer.Option(help="A declared job (pipelines/*.yaml): model, input, output.")
    ] = None,
    model: Annotated[str | None, typer.Option(help="models:/name@alias or a model folder.")] = None,
    data: Annotated[Path | None, typer.Option(help="History (.csv or .parquet).")] = None,
    output: Annotated[Path | None, typer.Option(help="Forecast file, written atomically.")] = None,
    future: FutureOption = None,
    level: Annotated[
        list[float] | None,
        typer.Option(help="Calibrated interval level to add, e.g. 0.8; repeat for more."),
    ] = None,
    experiment: Annotated[str, typer.Option(help="MLflow experiment for the job's run.")] = (
        "tsattn-forecast"
    ),
    tracking_uri: TrackingUriOption = None,
    no_track: Annotated[bool, typer.Option("--no-track", help="Do not log to MLflow.")] = False,
) -> None:
    """Scheduled forecast job: validate fresh data, forecast, write atomically, log the run.

    Either `--job pipelines/x.yaml` or `--model`, `--data` and `--output`. Exit code 0 on
    success, 2 on bad input or configuration, 3 when the forecast was written but monitoring
    found drift, so a scheduler can alert on it.
    """
    from tsattn.forecast_job import DRIFT_EXIT_CODE, run_forecast_job

    spec = _job_spec(job, model, data, output, future, level, experiment, tracking_uri)
    if no_track:
        untracked = spec.tracking.model_copy(update={"enabled": False})
        spec = spec.model_copy(update={"tracking": untracked})
    result = run_forecast_job(spec)
    console.print(
        f"wrote {result.rows} forecast rows for {result.series} series to "
        f"[bold]{result.destination}[/]"
    )
    if result.scores is not None:
        newest = result.scores.per_origin.iloc[-1].to_dict()
        scored = ", ".join(f"{k} {v:.4g}" for k, v in newest.items() if isinstance(v, float))
        console.print(f"earlier origins scored: {len(result.scores.per_origin)}; newest: {scored}")
    if result.drift is not None:
        console.print(f"[bold red]drift[/]: {result.drift}")
        raise typer.Exit(DRIFT_EXIT_CODE)


def _job_spec(
    job: Path | None, model: str | None, data: Path | None, output: Path | None,
    future: Path | None, levels: list[float] | None, experiment: str, tracking_uri: str | None,
) -> ForecastJobSpec:
    """The declared job, or the same spec built from the flags; a ConfigError for a mix."""
    from tsattn.config import TrackingConfig, validated
    from tsattn.errors import ConfigError
    from tsattn.job_spec import ForecastJobSpec, load_job

    flags = {"--model": model, "--data": data, "--output": output, "--future": future,
             "--level": levels or None}  # fmt: skip
    given = [name for name, value in flags.items() if value is not None]
    if job is not None:
        if given:
            raise ConfigError(f"--job declares the model, input, output and levels; drop {given}")
        return load_job(job)
    missing = [name for name in ("--model", "--data", "--output") if flags[name] is None]
    if missing:
        raise ConfigError(f"give --job pipelines/<job>.yaml, or all of {missing}")
    spec: ForecastJobSpec = validated(ForecastJobSpec, {
        "name": "forecast", "model": model, "input": {"path": data}, "output": {"path": output},
        "future": {"path": future} if future is not None else None,
        "levels": levels or [],
        "tracking": TrackingConfig(uri=tracking_uri, experiment=experiment),
    })  # fmt: skip
    return spec


@app.command()
@reports_errors(console)
def register(
    run_id: Annotated[str, typer.Option(help="MLflow run whose logged model to register.")],
    name: Annotated[str, typer.Option(help="Registered model name.")],
    alias: Annotated[str | None, typer.Option(help="Alias to point at it, e.g. champion.")] = None,
    tracking_uri: TrackingUriOption = None,
) -> None:
    """Register a run's model in the MLflow registry, optionally under an alias."""
    from tsattn.tracking import register_model

    version = register_model(run_id, name, alias, uri=tracking_uri)
    where = f"models:/{name}@{alias}" if alias else f"models:/{name}/{version}"
    console.print(f"registered version {version} of [bold]{name}[/]: load it with {where}")


app.command("tune")(tune_command)  # reports its own errors, through the same handler


def main() -> None:
    app()


if __name__ == "__main__":
    main()
