"""`Forecaster`: DataFrames in, forecasts and attention out, with scikit-learn conventions.

Example:
    >>> from tsattn import Forecaster
    >>> fc = Forecaster(target=["OT"], time_col="date", lookback=96, horizon=24, seed=0)
    >>> fc.fit(train_df, val_df=val_df)              # doctest: +SKIP
    >>> forecast = fc.predict(history_df)            # doctest: +SKIP
    >>> attention = fc.interpret(history_df)         # doctest: +SKIP
"""

from __future__ import annotations

import inspect
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, overload

import pandas as pd
from sklearn.base import BaseEstimator

from tsattn.backtesting import refit_backtest, refit_interval
from tsattn.calibration import Calibration, check_window_count, fit_calibration
from tsattn.config import ForecasterConfig, validated
from tsattn.distributed import is_global_zero
from tsattn.errors import ConfigError, NotFittedError
from tsattn.evaluation import Evaluation, ScoredPass
from tsattn.extensions import resolve_location, watched_fit
from tsattn.inference import NetworkOutputs, run_network
from tsattn.outputs import (
    contribution_frame,
    forecast_frame,
    input_attention_frame,
    temporal_attention_frame,
)
from tsattn.params import declared_parameters, parameters_doc
from tsattn.persistence import load_forecaster_state, save_forecaster_state
from tsattn.preprocess import FramePreprocessor

if TYPE_CHECKING:
    from lightning.pytorch.callbacks import Callback

__all__ = ["Forecaster"]

Origins = Literal["last", "all"]
# windows per inference batch for read contributions (H * C * L * V values each: 1.8 MB for the
# configs/etth1.yaml model), against 256 or more for forecasts
CONTRIBUTION_BATCH = 64
_FIRST = ("target",)  # positional-or-keyword; every other parameter is keyword-only


class Forecaster(BaseEstimator):  # type: ignore[misc]
    """An attention LSTM/GRU encoder-decoder forecaster for one or many (panel) series.

    The parameters are `tsattn.config.ForecasterConfig`'s fields, listed below; `fit` validates
    them. Learned state ends in `_`. `predict` forecasts the `horizon` steps after each series.
    """

    @declared_parameters(ForecasterConfig, positional=_FIRST)
    def __init__(self, target: list[str] | str, **params: Any) -> None:
        """Store every parameter as given, scikit-learn's rule: `fit` validates them.

        The signature is ForecasterConfig's fields (`inspect.signature(Forecaster)`), so an
        unknown name is a TypeError here, as for any other function.
        """
        try:
            bound = inspect.signature(Forecaster.__init__).bind(self, target, **params)
        except TypeError as err:  # bind's message does not say whose arguments were wrong
            raise TypeError(f"Forecaster() {err}") from None
        bound.apply_defaults()
        for name, value in list(bound.arguments.items())[1:]:
            setattr(self, name, value)

    # -- configuration -------------------------------------------------------------------------

    def config(self) -> ForecasterConfig:
        """The validated parameters; raises ConfigError naming any bad one."""
        config: ForecasterConfig = validated(ForecasterConfig, self.get_params(deep=False))
        return config

    # -- training ------------------------------------------------------------------------------

    def fit(
        self,
        train_df: pd.DataFrame,
        val_df: pd.DataFrame | None = None,
        *,
        calibration_df: pd.DataFrame | None = None,
        callbacks: list[Callback] | None = None,
    ) -> Forecaster:
        """Validate the frames, fit scaling on `train_df` only, train, and keep the best epoch;
        with `calibration_df` also learn conformal intervals at `interval_levels` from it
        (`calibrate`), before any observer sees the model, so a tracked model carries them.

        Every data and configuration check runs before the first training step. Registered
        fit observers (`tsattn.extensions`) watch it: tracking logs it to MLflow after
        `tsattn.tracking.autolog()` or inside an active `mlflow.start_run()`.
        """
        from tsattn.training import train_network  # lazy: Lightning is needed only to train

        config = self.config()
        preprocessor = FramePreprocessor(config)
        train_panel = preprocessor.fit(train_df)
        val_panel = preprocessor.transform(val_df, role="val_df") if val_df is not None else None
        if calibration_df is not None:  # bad or too little data fails here, before training
            calibration_panel = preprocessor.transform(calibration_df, role="calibration_df")
            windows = len(preprocessor.window_dataset(calibration_panel, stride=1))
            check_window_count(windows, config.interval_levels)
        with watched_fit(self, train_df, val_df) as watch:
            trained = train_network(
                config,
                preprocessor.network_config(config),
                train=preprocessor.window_dataset(train_panel),
                val=(
                    preprocessor.window_dataset(val_panel, stride=1)
                    if val_panel is not None else None
                ),
                callbacks=callbacks,
                epoch_sinks=watch.epoch_sinks,
            )
            self.network_ = trained.network
            self.preprocessor_ = preprocessor
            self.history_ = trained.history
            self.epochs_trained_ = trained.epochs_trained
            self.freq_ = preprocessor.freq
            self.series_ids_ = list(train_panel.series_ids)
            if hasattr(self, "calibration_"):  # a refit invalidates the old intervals
                del self.calibration_
            if calibration_df is not None:
                self.calibrate(calibration_df, levels=config.interval_levels)
            watch.fitted(self, val_df)
        return self

    # -- inference -----------------------------------------------------------------------------

    def calibrate(
        self, df: pd.DataFrame, *, levels: Sequence[float] | None = None, stride: int = 1
    ) -> Forecaster:
        """Learn conformal intervals at `levels` (default `interval_levels`) from every window
        of `df` (see `tsattn.calibration`), so `predict`, `backtest` and `evaluate` can return
        them.

        `df` must be held out from training: the continuation of the training data (a
        validation or calibration split), or other series of the same kind. Calibrating again
        replaces the earlier calibration.
        """
        outputs, _ = self._run_all(df, stride=stride, attention=False)
        assert outputs.target is not None  # training windows always carry their targets
        self.calibration_ = fit_calibration(
            outputs.prediction,
            outputs.target,
            levels=self.config().interval_levels if levels is None else levels,
            quantiles=self._fitted().quantiles,
            point_index=self.network_.config.median_index,
        )
        return self

    def predict(
        self,
        df: pd.DataFrame,
        future_df: pd.DataFrame | None = None,
        *,
        levels: Sequence[float] | None = None,
    ) -> pd.DataFrame:
        """Forecast the `horizon` steps after the last timestamp of every series in `df`; a
        series the model never trained on is forecast too, scaled by its own rows in `df`.

        `future_df` supplies the known-future covariates for those steps when the model uses any.
        `levels` (e.g. [0.8, 0.95]) adds calibrated interval bounds `<target>_lo_80`,
        `<target>_hi_80`, ...; the model must have been calibrated for them (`calibrate`).
        """
        self.check_levels(levels or [])  # before any work
        outputs, panel = self._run_last(df, future_df, attention=False)
        intervals = self._bounds(outputs, levels)
        return forecast_frame(outputs, panel, self._fitted(), intervals=intervals)

    def interpret(
        self,
        df: pd.DataFrame,
        *,
        future_df: pd.DataFrame | None = None,
        kind: Literal["temporal", "input", "contribution"] = "temporal",
        origins: Origins = "last",
        stride: int = 1,
        target: str | None = None,
    ) -> pd.DataFrame:
        """Tidy attention weights: one row per (series, origin, step, source time[, head]).

        The series column is named as the model's `id_col` (as in `predict` and `backtest`);
        a single-series model has a "series" column.

        `origins="last"` explains the forecast after each series' end; `"all"` every window
        inside `df` (every `stride` steps), as a backtest would see them. A channel-independent
        model attends separately for each target: `target` names the one whose temporal attention
        to return, and without it the weights are their mean over the targets. A channel-mixing
        model has one attention for all targets, which any `target` returns.

        `kind="contribution"`: what each past (time, variable) added to each step's point
        forecast through the values the attention read, in the target's units, one row per
        (series, origin, step, target, source time, variable); summed over source times and
        variables it is exactly that share of the forecast (`tsattn.nn.contributions`). Where
        the weights say where a step looks, this says which variable's value there moved it,
        and which way, measured from the value's baseline (a covariate's training mean, 0 with
        scaling="none"; under RevIN a target's own mean over the window). `target` keeps that
        target's rows only.
        """
        prep = self._fitted()
        if target is not None and target not in prep.target_names:
            raise ValueError(
                f"target={target!r} is not one of this model's targets {list(prep.target_names)}"
            )
        if kind not in ("temporal", "input", "contribution"):
            raise ValueError(
                f"kind must be 'temporal', 'input' or 'contribution', but got kind={kind!r}"
            )
        channel = None if target is None else list(prep.target_names).index(target)
        contributions = kind == "contribution"
        if origins == "last":
            outputs, panel = self._run_last(df, future_df, attention=True, channel=channel,
                                            contributions=contributions)
        else:
            outputs, panel = self._run_all(df, stride=stride, attention=True, channel=channel,
                                           contributions=contributions)
        if kind == "input":
            return input_attention_frame(outputs, panel, prep)
        if contributions:
            return contribution_frame(outputs, panel, prep, target)
        return temporal_attention_frame(outputs, panel, prep)

    def backtest(
        self,
        df: pd.DataFrame,
        *,
        stride: int = 1,
        levels: Sequence[float] | None = None,
        refit: bool | int = False,
    ) -> pd.DataFrame:
        """Rolling-origin forecasts for every window in `df` (an origin every `stride` steps),
        next to the actual values, with calibrated bounds at `levels` as in `predict`.

        `refit=False` runs this fitted model over every window. `refit=True` refits at every
        origin and `refit=k` every k origins (the origins between reuse the latest refit): each
        refit is `sklearn.base.clone(self)`, same parameters and seed, fitted on every row of
        `df` up to and including its origin, so no forecast sees data after its origin; this
        model need not be fitted and is left as it is. The frame has the same columns and
        dtypes as without refit. The rules (`tsattn.backtesting`, whose `refit_backtest` also
        returns the refit origins):

        - a refit gets no validation frame: `patience` watches the training loss, as in
          `fit(history)`, since holding out the end of the history would withhold its newest rows;
        - origins with fewer than `lookback + horizon` rows of history (one training window) are
          skipped, per series: the frame starts at the first origin that has them;
        - `levels` raises: refitted models are not calibrated;
        - the refits are fits no observer sees: `tracking.autolog()` logs none of them;
        - one progress bar counts the refits (if `enable_progress_bar`); the refits show no epoch
          bars, and Lightning's per-fit INFO lines ("GPU available: ...") are muted.
        """
        if refit_interval(refit) is not None:  # raises on a bad value
            return refit_backtest(self, df, stride=stride, refit=refit, levels=levels).frame
        self.check_levels(levels or [])
        outputs, panel = self._run_all(df, stride=stride, attention=False)
        return forecast_frame(
            outputs, panel, self._fitted(), with_actuals=True,
            intervals=self._bounds(outputs, levels),
        )  # fmt: skip

    @overload
    def evaluate(
        self, df: pd.DataFrame, *, stride: int = ...,
        scale: Literal["normalised", "original"] = ..., levels: Sequence[float] | None = ...,
        season: int = ..., by_series: Literal[False] = ...,
    ) -> dict[str, float]: ...

    @overload
    def evaluate(
        self, df: pd.DataFrame, *, stride: int = ...,
        scale: Literal["normalised", "original"] = ..., levels: Sequence[float] | None = ...,
        season: int = ..., by_series: Literal[True],
    ) -> pd.DataFrame: ...

    def evaluate(
        self,
        df: pd.DataFrame,
        *,
        stride: int = 1,
        scale: Literal["normalised", "original"] = "normalised",
        levels: Sequence[float] | None = None,
        season: int = 1,
        by_series: bool = False,
    ) -> dict[str, float] | pd.DataFrame:
        """MSE, MAE, sMAPE and MASE over every window of `df` (rolling origin, `stride` steps),
        and for each calibrated level its coverage and mean width (`coverage_80`, `width_80`).

        "normalised" scores in the training z-score space (the long-horizon benchmark protocol).
        MASE divides by the seasonal naive error at `season` over each window's lookback: 1 is
        the one-step naive, the period (24 for hourly data) the M4 competition's choice.
        `by_series=True` returns the same scores per series instead: a frame indexed by the
        series id (named as `id_col`, else "series"), with each series' number of windows.
        """
        scored = self._scored_pass(df, stride=stride, levels=levels, season=season)
        if by_series:
            return scored.by_series(scale)
        return scored.pooled(scale)

    def evaluate_all(
        self,
        df: pd.DataFrame,
        *,
        stride: int = 1,
        levels: Sequence[float] | None = None,
        season: int = 1,
        by_series: bool = False,
    ) -> Evaluation:
        """`evaluate` at both scales, and with `by_series` per series in the data's units, from
        one pass of the network over `df`: what a training job reports, for a third of the
        forecasting."""
        scored = self._scored_pass(df, stride=stride, levels=levels, season=season)
        return Evaluation(
            normalised=scored.pooled("normalised"),
            original=scored.pooled("original"),
            by_series=scored.by_series("original") if by_series else None,
        )

    def _scored_pass(
        self, df: pd.DataFrame, *, stride: int, levels: Sequence[float] | None, season: int
    ) -> ScoredPass:
        """Check the arguments, then forecast every window of `df` once, for scoring."""
        lookback = self.config().lookback
        if isinstance(season, bool) or not isinstance(season, int) or not 1 <= season < lookback:
            raise ConfigError(
                f"season must be an int in [1, lookback = {lookback}), the lag of the seasonal "
                f"naive that scales MASE (24 for hourly data), but got season={season!r}"
            )
        self.check_levels(levels or [])
        outputs, panel = self._run_all(df, stride=stride, attention=False)
        return ScoredPass(outputs, panel, self._fitted(), self.network_.config.median_index,
                           self._bounds(outputs, levels) or {}, season)

    def check_levels(self, levels: Sequence[float]) -> None:
        """Raise, saying what to do, unless the model is calibrated for every one of `levels`."""
        if not levels:
            return
        calibration: Calibration | None = getattr(self, "calibration_", None)
        if calibration is None:
            raise NotFittedError(
                f"levels={list(levels)} needs a calibrated model: call "
                "calibrate(held_out_df, levels=...) after fit, then ask for those levels"
            )
        calibration.check_levels(levels)

    def _bounds(
        self, outputs: NetworkOutputs, levels: Sequence[float] | None
    ) -> dict[float, tuple[Any, Any]] | None:
        if not levels:
            return None
        self.check_levels(levels)
        point_index = self.network_.config.median_index
        return self.calibration_.bounds(outputs.prediction, levels, point_index=point_index)

    def _run_last(
        self, df: pd.DataFrame, future_df: pd.DataFrame | None, *, attention: bool,
        channel: int | None = None, contributions: bool = False,
    ) -> tuple[NetworkOutputs, Any]:
        prep = self._fitted()
        panel = prep.transform(df, role="df", for_prediction=True)
        dataset = prep.prediction_dataset(panel, future_df)
        return self._run(dataset, attention, channel, contributions), panel

    def _run_all(
        self, df: pd.DataFrame, *, stride: int, attention: bool, channel: int | None = None,
        contributions: bool = False,
    ) -> tuple[Any, Any]:
        prep = self._fitted()
        panel = prep.transform(df, role="df")
        dataset = prep.window_dataset(panel, stride=stride)
        return self._run(dataset, attention, channel, contributions), panel

    def _run(self, dataset: Any, attention: bool, channel: int | None = None,
             contributions: bool = False) -> NetworkOutputs:
        return run_network(
            self.network_,
            dataset,
            # contributions are H * C * L * V values per window: smaller batches bound memory
            batch_size=CONTRIBUTION_BATCH if contributions else max(self.batch_size, 256),
            accelerator=self.accelerator,
            return_attention=attention,
            attention_target=channel,
            return_contributions=contributions,
        )

    def _fitted(self) -> FramePreprocessor:
        if not hasattr(self, "network_"):
            raise NotFittedError(
                "this Forecaster is not fitted yet: call fit(train_df) or Forecaster.load(path) "
                "before predict, interpret, backtest or evaluate"
            )
        preprocessor: FramePreprocessor = self.preprocessor_
        return preprocessor

    # -- persistence ---------------------------------------------------------------------------

    def save(self, path: str | Path) -> Path:
        """Write the model to a directory: JSON config and fitted state, plus tensor weights.

        In a job of several processes (torchrun, SLURM) only rank 0 writes, since every rank
        holds the same model; the others return `path` without touching it.
        """
        self._fitted()
        if not is_global_zero():
            return Path(path)
        return save_forecaster_state(self, Path(path))

    @classmethod
    def load(cls, path: str | Path) -> Forecaster:
        """Load a saved model from a directory, or from any location scheme a plug-in registered
        (tsattn.tracking registers MLflow's `models:/` and `runs:/`).

        Weights load with `weights_only=True` and the rest is JSON, so no arbitrary object is
        unpickled.
        """
        params, network, preprocessor, extras = load_forecaster_state(resolve_location(path))
        forecaster = cls(**params)
        forecaster.network_ = network.eval()
        forecaster.preprocessor_ = preprocessor
        forecaster.history_ = pd.DataFrame(extras.get("history", []))
        forecaster.epochs_trained_ = int(extras.get("epochs_trained", 0))
        forecaster.freq_ = preprocessor.freq
        forecaster.series_ids_ = list(preprocessor.scaler.series_ids_)
        if extras.get("calibration"):
            forecaster.calibration_ = Calibration.from_state_dict(extras["calibration"])
        return forecaster

    def __sklearn_is_fitted__(self) -> bool:
        return hasattr(self, "network_")


# help(Forecaster) lists every parameter with its type, default and doc, read from the declaration
Forecaster.__doc__ = "\n\n".join([
    inspect.cleandoc(Forecaster.__doc__ or ""),
    parameters_doc(ForecasterConfig, positional=_FIRST),
])

