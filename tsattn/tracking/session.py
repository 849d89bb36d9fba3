"""How tracking watches a `Forecaster.fit`: decide whether to track, own the run, record it.

`FIT_TRACKER` is the fit observer (`tsattn.extensions`) the package registers. For a fit it
tracks, `fit_session` opens the run before the first training step (so an unreachable store
fails fast, with nothing lost); the run gets each epoch's metrics live, and `FitSession.finish`
logs what only a fitted model has once training is done: the model, final facts, attention.
"""

from __future__ import annotations

import tempfile
import warnings
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from tsattn.errors import TrackingError
from tsattn.extensions import FitWatch
from tsattn.tracking.runs import active_run

if TYPE_CHECKING:
    from tsattn.config import TrackingConfig
    from tsattn.forecaster import Forecaster

__all__ = ["FIT_TRACKER", "FitSession", "FitTracker", "autolog", "fit_session"]

_UNLOGGED_DIR = "tsattn-unlogged-models"
_autolog: TrackingConfig | None = None


def autolog(
    enabled: bool = True,
    *,
    uri: str | None = None,
    experiment: str = "tsattn",
    allow_offline: bool = False,
) -> None:
    """Track every `Forecaster.fit` in this process, each in a run of its own (or in the
    active run, when there is one).

    `uri` and `experiment` choose the store (default: MLFLOW_TRACKING_URI, else the local
    `sqlite:///mlflow.db`); `autolog(False)` turns it off again.
    """
    global _autolog
    from tsattn.config import TrackingConfig

    _autolog = (
        TrackingConfig(enabled=enabled, uri=uri, experiment=experiment, allow_offline=allow_offline)
        if enabled
        else None
    )


class FitTracker:
    """The fit observer tracking registers: watches a fit after `autolog()` or inside an active
    MLflow run, and leaves every other fit alone (MLflow not even imported)."""

    def watch(
        self, forecaster: Forecaster, train_df: pd.DataFrame, val_df: pd.DataFrame | None
    ) -> AbstractContextManager[FitWatch | None]:
        if _autolog is None and active_run() is None:
            return nullcontext(None)
        return fit_session(forecaster, train_df, val_df)


FIT_TRACKER = FitTracker()


@dataclass
class FitSession:
    """One tracked fit's run, and `finish`: what to log once the model is fitted."""

    run_id: str
    store_uri: str
    train_df: pd.DataFrame
    allow_offline: bool = False
    interpretation_windows: int = 4
    max_origins: int = 500  # windows interpreted; ~18 MB of Parquet at lookback=horizon=96

    def finish(self, forecaster: Forecaster, val_df: pd.DataFrame | None) -> None:
        """Log the fitted model, final facts and attention (epoch metrics are already in)."""
        import mlflow

        reference = val_df if val_df is not None else self.train_df
        if not self._log_model(forecaster, reference):  # first: it must not be lost
            return  # store gone (allow_offline): the model is saved locally, skip the rest
        self._log_outcome(forecaster)
        mlflow.set_tag("tsattn.interpretation_data", "val_df" if val_df is not None else "train_df")
        self._log_interpretation(forecaster, reference)

    def _log_outcome(self, forecaster: Forecaster) -> None:
        import mlflow

        history = forecaster.history_
        mlflow.log_metric("epochs_trained", float(forecaster.epochs_trained_))
        if "val_loss" in history:
            best = int(history["val_loss"].idxmin())
            mlflow.log_metric("best_val_loss", float(history.loc[best, "val_loss"]))
            mlflow.log_metric("best_epoch", float(history.loc[best, "epoch"]))
        freq = forecaster.freq_
        if freq:
            mlflow.set_tag("tsattn.freq", freq)
            _log_params_once({"data.freq": freq})
        calibration = getattr(forecaster, "calibration_", None)
        if calibration is not None:  # the logged model carries conformal intervals
            mlflow.set_tag("tsattn.interval_levels", ",".join(f"{x:g}" for x in calibration.levels))
            mlflow.log_metric("calibration_windows", float(calibration.n_windows))

    def _log_model(self, forecaster: Forecaster, frame: pd.DataFrame) -> bool:
        """Log the pyfunc model; on failure save it locally and raise (or warn if offline ok).

        One quick /health probe first: a server that died mid-fit is found in milliseconds,
        instead of after MLflow's retry budget for every file of the model.
        """
        import mlflow

        from tsattn.tracking.pyfunc_model import log_forecaster_model
        from tsattn.tracking.store import unreachable_reason

        reason = unreachable_reason(self.store_uri)
        if reason is not None:
            return self._keep_locally(forecaster, f"the server stopped answering: {reason}", None)
        try:
            info = log_forecaster_model(forecaster, frame)
        except Exception as err:
            return self._keep_locally(forecaster, str(err), err)
        mlflow.set_tag("tsattn.model_uri", info.model_uri)
        return True

    def _keep_locally(self, forecaster: Forecaster, why: str, err: Exception | None) -> bool:
        """Save the model under tsattn-unlogged-models/<run_id>; raise naming it, unless offline."""
        from tsattn.tracking.http_bounds import RUN_END_GRACE_ENV, run_end_grace_s

        where = forecaster.save(Path(_UNLOGGED_DIR) / str(self.run_id)).resolve()
        message = (
            f"the trained model could not be logged to MLflow run {self.run_id} in "
            f"{self.store_uri} ({why}); it is saved at '{where}' instead. Load it with "
            f"Forecaster.load('{where}')."
        )
        if not self.allow_offline:
            raise TrackingError(
                f"{message} The run is marked FAILED if the server answers again within "
                f"{run_end_grace_s():g} s ({RUN_END_GRACE_ENV})."
            ) from err
        warnings.warn(message, RuntimeWarning, stacklevel=5)
        return False

    def _log_interpretation(self, forecaster: Forecaster, frame: pd.DataFrame) -> None:
        import mlflow

        from tsattn.tracking.interpretation import write_interpretation
        from tsattn.tracking.interpretation_source import interpretation_inputs

        try:
            inputs = interpretation_inputs(forecaster, frame, max_origins=self.max_origins)
            with tempfile.TemporaryDirectory(prefix="tsattn-interp-") as tmp:
                files = write_interpretation(
                    tmp,
                    inputs.temporal,
                    inputs.inputs,
                    history=inputs.history,
                    target=inputs.target,
                    freq=forecaster.freq_,
                    windows=self.interpretation_windows,
                    lag_by_target=inputs.lag_by_target,
                    id_col=inputs.id_col,
                    contributions=inputs.contributions,
                )
                notes = [*inputs.notes, *files.notes]
                metrics = dict(files.metrics)  # attention_entropy_ratio, attention_top10_mass
                if inputs.temporal is not None:
                    metrics.update(_deletion_metrics(forecaster, frame, Path(tmp)))
                (Path(tmp) / "README.txt").write_text(_readme(notes, inputs.stride))
                mlflow.log_artifacts(tmp, "interpretation")
                if metrics:
                    mlflow.log_metrics(metrics)
        except Exception as err:  # attention plots must not cost the user a trained model
            mlflow.set_tag("tsattn.interpretation_error", str(err)[:5000])
            warnings.warn(
                f"attention interpretation artifacts were not logged to run {self.run_id}: "
                f"{err}. The model and metrics are logged.",
                RuntimeWarning,
                stacklevel=4,
            )


@contextmanager
def fit_session(
    forecaster: Forecaster,
    train_df: pd.DataFrame,
    val_df: pd.DataFrame | None,
) -> Iterator[FitWatch]:
    """Track one `fit`: what the fit should add (live epoch metrics, a `finish` once fitted).

    Inside an active MLflow run it logs into that run and leaves ending it to its owner.
    Otherwise it starts a run in the store `autolog` named (default: MLFLOW_TRACKING_URI, else
    local sqlite), failing fast with TrackingError if unreachable; that run ends FAILED if the
    fit raises.
    """
    import mlflow

    from tsattn.config import TrackingConfig
    from tsattn.tracking import record
    from tsattn.tracking.epochs import RunEpochSink
    from tsattn.tracking.runs import start_run

    settings = (_autolog or TrackingConfig()).model_copy(update={"enabled": True})
    config = record.config_dict(forecaster)
    tags = {**record.model_tags(config), "tsattn.job": "fit"}
    run_name = settings.run_name or record.default_run_name(config)
    with start_run(settings, run_name=run_name, tags=tags) as run:
        if run is None:  # start_run yields None only when tracking is disabled
            raise TrackingError("start_run yielded no run although tracking was enabled")
        run_id, uri = run.info.run_id, mlflow.get_tracking_uri()
        # A run opened by a job or the user keeps its own tags (e.g. tsattn.job=train).
        existing = mlflow.MlflowClient().get_run(run_id).data.tags
        mlflow.set_tags({k: v for k, v in tags.items() if k not in existing})
        _log_start(run_id, config, forecaster, train_df, val_df)
        session = FitSession(
            run_id=run_id, store_uri=uri, train_df=train_df, allow_offline=settings.allow_offline
        )
        yield FitWatch(
            epoch_sinks=[RunEpochSink(run_id, tracking_uri=uri)], on_fitted=[session.finish]
        )


def _log_start(
    run_id: str,
    config: dict[str, Any],
    forecaster: Forecaster,
    train_df: pd.DataFrame,
    val_df: pd.DataFrame | None,
) -> None:
    """Everything known before training, so even a crashed run shows its settings and data."""
    import mlflow

    from tsattn.tracking import record

    facts = record.data_facts(forecaster, {"train": train_df, "val": val_df})
    _log_params_once({**config, **facts, **record.version_params()})
    mlflow.log_dict(config, "config.json")
    for name, frame in (("train", train_df), ("val", val_df)):
        if frame is not None:
            _log_dataset(frame, name)


def _log_params_once(params: dict[str, Any]) -> None:
    import mlflow
    from mlflow.tracking import MlflowClient

    from tsattn.tracking.record import log_params

    run = mlflow.active_run()
    if run is None:
        raise TrackingError("no active MLflow run to log params to; open one with start_run")
    log_params(run.info.run_id, params, client=MlflowClient())


def _log_dataset(frame: pd.DataFrame, name: str) -> None:
    """Register the frame's schema and digest under the run's Datasets (not the data itself)."""
    import mlflow
    from mlflow.data.pandas_dataset import from_pandas

    context = {"train": "training", "val": "validation"}.get(name, name)
    try:
        with warnings.catch_warnings():  # MLflow's digest code trips pandas deprecations
            warnings.simplefilter("ignore")
            dataset = from_pandas(frame, name=name)
        mlflow.log_input(dataset, context=context)
    except Exception as err:  # dataset metadata is a nicety; never fail a fit over it
        warnings.warn(
            f"could not log dataset '{name}' to MLflow: {err}", RuntimeWarning, stacklevel=3
        )


def _deletion_metrics(
    forecaster: Forecaster, frame: pd.DataFrame, folder: Path
) -> dict[str, float]:
    """The deletion test at k = 10 % on up to 100 windows: does the attention say what the
    model uses, and do the read contributions? Written to faithfulness.csv (a row for each
    ranking), returned as the run's metrics."""
    from tsattn.interpret.faithfulness import deletion_test

    table = pd.concat([
        deletion_test(forecaster, frame, fractions=(0.1,), draws=3, max_windows=100,
                      by=by).assign(by=by)
        for by in ("attention", "contribution")
    ], ignore_index=True)
    table.to_csv(folder / "faithfulness.csv", index=False)
    metrics = {}
    for row in table.itertuples(index=False):
        metrics.update({
            f"{row.by}_deletion_ratio": float(row.ratio),
            f"{row.by}_deletion_ratio_scattered": float(row.ratio_scattered),
            f"{row.by}_deletion_ratio_contiguous": float(row.ratio_contiguous),
        })
    return metrics


def _readme(notes: list[str], stride: int) -> str:
    lines = [
        "tsattn attention interpretation",
        "heatmaps/: temporal attention of representative windows (step x past timestep).",
        "lag_profile.png/.csv, distance_profile.csv: attention lift over uniform by lag/distance.",
        "mean_attention_map.png: mean attention, step x lag, over all windows.",
        "Heatmaps, mean map and report share one colour scale: lift over uniform (weight x L).",
        "temporal_attention.parquet: raw weights (series, origin, step, source_time, lag, ...).",
        "variable_importance.*, input_attention.parquet: input attention, when enabled.",
        "attention_report.html: scrub through windows interactively.",
        "faithfulness.csv: forecast change when the 10 % most-attended past timesteps are",
        "  interpolated over, against 10 % random ones (scattered and contiguous); the run's",
        "  metric attention_deletion_ratio is the smaller ratio: near 1, the weights say little.",
        "  The by=contribution row ranks the timesteps by the read contributions instead",
        "  (contribution_deletion_ratio).",
        "variable_contributions.*, contribution_profile.*: which variables' values the reads",
        "  added to the forecasts, and at which distance (interpret(kind='contribution')).",
        f"Windows were taken every {stride} step(s) of the validation data.",
        *notes,
    ]
    return "\n".join(lines) + "\n"
