"""DataFrame → scaled Panel with the state learned at fit, reused unchanged at predict time.

The Forecaster owns one `FramePreprocessor`: `fit` validates the training frame, fixes the
frequency, calendar features and scaling statistics; `transform` applies exactly those to any
later frame (validation, test, fresh history), so nothing about the data is re-learned later.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import pandas as pd

from tsattn.config import ForecasterConfig
from tsattn.data import (
    Panel,
    PanelScaler,
    WindowDataset,
    build_panel,
    future_covariates_array,
    resolve_calendar_features,
    validate_frame,
)
from tsattn.data._timeaxis import INTEGER_AXIS, describe_axis
from tsattn.data.categories import is_categorical, learn_categories, to_codes
from tsattn.data.static import StaticCovariates
from tsattn.errors import DataValidationError
from tsattn.nn import NetworkConfig

__all__ = ["FramePreprocessor"]

# ForecasterConfig fields that shape the data; saved with the model so loading needs nothing else.
_DATA_FIELDS = (
    "target", "time_col", "id_col", "past_covariates", "future_covariates", "static_covariates",
    "fill_missing",
    "constant_columns", "scaling", "lookback", "horizon", "stride", "quantiles",
)  # fmt: skip


class FramePreprocessor:
    """Validation, panel building and scaling of frames, with fitted state kept for predict."""

    def __init__(self, config: ForecasterConfig) -> None:
        self.settings: dict[str, Any] = {name: getattr(config, name) for name in _DATA_FIELDS}
        self.requested_freq = config.freq
        self.requested_calendar = config.calendar_features
        self.static: StaticCovariates | None = None  # learned at fit when there are statics
        # category lists of the categorical past/future covariates, learned at fit
        self.categories: dict[str, list[Any]] = {}

    # -- learned at fit ------------------------------------------------------------------------

    def fit(self, df: pd.DataFrame) -> Panel:
        """Validate the training frame, learn frequency, calendar, categories and scaling;
        return it scaled."""
        s = self.settings
        self.categories = learned_categories(df, [*s["past_covariates"], *s["future_covariates"]])
        validated = self._validate(
            df, "train_df", self.requested_freq, s["lookback"] + s["horizon"]
        )
        requested = None if self.requested_calendar == "none" else self.requested_calendar
        self.freq = validated.freq
        self.tz = validated.tz
        times = validated.time_ns()
        span = int(times.max() - times.min()) if times.size else 0
        self.calendar = resolve_calendar_features(
            validated.freq, requested, span_ns=span, tz=validated.tz
        )
        statics = self.settings.get("static_covariates") or []
        self.static = StaticCovariates.fit(df, statics, s["id_col"]) if statics else None
        panel = self._with_static(build_panel(validated, self.calendar), df)
        self.feature_names = panel.columns
        self.scaler = PanelScaler(s["scaling"]).fit(panel, unscaled=list(self.categories))
        return self.scaler.transform(panel)

    def transform(self, df: pd.DataFrame, *, role: str, for_prediction: bool = False) -> Panel:
        """Validate `df` against the fitted frequency and zone, and scale it like the train frame.

        Prediction needs `lookback` rows per series; evaluation needs `lookback + horizon`. A
        series the model was not trained on is scaled by its own rows up to its first forecast
        origin: every row for prediction, the first `lookback` for windows.
        """
        s = self.settings
        min_length = s["lookback"] + (0 if for_prediction else s["horizon"])
        self._check_axis_kind(df, role)
        validated = self._validate(df, role, self.freq, min_length)
        if validated.tz != self.tz:
            raise DataValidationError(
                f"{role}: timestamps are in time zone {validated.tz} but the model was trained on "
                f"{self.tz}; convert the time column to {self.tz} first"
            )
        panel = self._with_static(build_panel(validated, self.calendar), df)
        # a series unseen at fit gets statistics of its rows up to its first forecast origin:
        # all of a prediction frame, the first lookback rows of a frame of windows
        own_rows = panel.lengths if for_prediction else s["lookback"]
        return self.scaler.transform(panel, new_series_rows=own_rows)

    def _with_static(self, panel: Panel, df: pd.DataFrame) -> Panel:
        """`panel` with the encoded static covariates of its series, read from `df`."""
        if self.static is None:
            return panel
        encoded = self.static.transform(df, self.settings["id_col"], panel.series_ids)
        return dataclasses.replace(panel, static=encoded)

    def _check_axis_kind(self, df: pd.DataFrame, role: str) -> None:
        """Integer steps where the model learned timestamps (or the reverse) fail here, before
        a frequency check would report them as gaps."""
        if not isinstance(df, pd.DataFrame):
            return  # _validate says what it must be
        time_col = self.settings["time_col"]
        times = df[time_col] if time_col in df else df.index if time_col is None else None
        if times is None:
            return  # _validate names the missing column
        integer = pd.api.types.is_integer_dtype(times.dtype)
        if integer != (self.tz == INTEGER_AXIS):
            raise DataValidationError(
                f"{role}: the time axis holds {'integer time steps' if integer else 'timestamps'}"
                f" but the model was trained on {describe_axis(self.tz)}; give {role} the same "
                "kind of time axis as train_df"
            )

    def _validate(
        self, df: pd.DataFrame, role: str, freq: str | int | None, min_length: int
    ) -> Any:
        if not isinstance(df, pd.DataFrame):
            raise DataValidationError(f"{role} must be a pandas DataFrame, got {type(df).__name__}")
        s = self.settings
        try:
            return validate_frame(
                coded(df, self.categories),
                target=s["target"],
                time_col=s["time_col"],
                id_col=s["id_col"],
                past_covariates=s["past_covariates"],
                future_covariates=s["future_covariates"],
                freq=freq,
                fill_missing=s["fill_missing"],
                constant_columns=s["constant_columns"],
                min_length=min_length,
                categorical=list(self.categories),
            )
        except DataValidationError as err:
            raise DataValidationError(f"{role}: {err}") from None

    # -- windows -------------------------------------------------------------------------------

    def window_dataset(self, panel: Panel, *, stride: int | None = None) -> WindowDataset:
        """Every window inside `panel` (targets included), for training and rolling evaluation."""
        s = self.settings
        return WindowDataset.for_training(
            panel, lookback=s["lookback"], horizon=s["horizon"], stride=stride or s["stride"]
        )

    def prediction_dataset(self, panel: Panel, future_df: pd.DataFrame | None) -> WindowDataset:
        """One window per series ending at its last row; future covariates come from `future_df`."""
        s = self.settings
        future = None
        if panel.n_future:
            if future_df is None:
                raise DataValidationError(
                    f"the model uses future covariates {list(panel.future_covariates)}: pass "
                    f"future_df with their values for the {s['horizon']} steps after each series"
                )
            raw = future_covariates_array(
                coded(future_df, self.categories), panel, s["horizon"], time_col=s["time_col"],
                id_col=s["id_col"],
            )  # fmt: skip
            series = np.arange(panel.n_series)
            future = self.scaler.transform_future(raw, series, panel=panel)
        elif future_df is not None:
            raise DataValidationError(
                "future_df was given but the model uses no future covariates; drop future_df or "
                "refit with future_covariates=[...]"
            )
        return WindowDataset.for_prediction(
            panel, lookback=s["lookback"], horizon=s["horizon"], future_covariates=future
        )

    # -- what the rest of the package reads ----------------------------------------------------

    def network_config(self, config: ForecasterConfig) -> NetworkConfig:
        """Network shapes from the fitted data plus the hyperparameters `config` marks `NETWORK`,
        copied by name (`ForecasterConfig.network_params`)."""
        return NetworkConfig(
            n_features=len(self.feature_names),
            n_targets=len(config.target),
            n_future=len(config.future_covariates) + 2 * len(self.calendar),
            n_static=self.static.n_numeric if self.static is not None else 0,
            static_cardinalities=self.static.cardinalities if self.static is not None else (),
            categorical=self._coded_positions(config),
            **config.network_params(),
        )

    def _coded_positions(self, config: ForecasterConfig) -> tuple[tuple[int, int, int], ...]:
        """(past position, future position or -1, codes) of each categorical covariate."""
        future = list(config.future_covariates)
        return tuple(
            (self.feature_names.index(name), future.index(name) if name in future else -1,
             len(categories) + 1)
            for name, categories in self.categories.items()
        )  # fmt: skip

    def inverse_targets(self, values: np.ndarray, series: np.ndarray, panel: Panel) -> np.ndarray:
        """Undo scaling of (N, H, C, Q) forecasts; `series` indexes `panel.series_ids`."""
        moved = np.moveaxis(values, -1, -2)  # -> (N, H, Q, C): the scaler wants C last
        restored = self.scaler.inverse_targets(moved, series, panel=panel)
        return np.moveaxis(restored, -2, -1)  # -> (N, H, C, Q)

    @property
    def target_names(self) -> list[str]:
        return list(self.settings["target"])

    @property
    def quantiles(self) -> list[float] | None:
        quantiles: list[float] | None = self.settings["quantiles"]
        return quantiles

    @property
    def time_name(self) -> str:
        return str(self.settings["time_col"] or "time")

    @property
    def id_name(self) -> str | None:
        id_col: str | None = self.settings["id_col"]
        return id_col

    # -- persistence ---------------------------------------------------------------------------

    def state_dict(self) -> dict[str, Any]:
        """Plain JSON-able state: settings, fitted frequency/zone/calendar and scaler stats."""
        return {
            "settings": self.settings,
            "requested_freq": self.requested_freq,
            "requested_calendar": self.requested_calendar,
            "freq": self.freq,
            "tz": self.tz,
            "calendar": list(self.calendar),
            "feature_names": list(self.feature_names),
            "scaler": self.scaler.state_dict(),
            "static": self.static.state_dict() if self.static is not None else None,
            "categories": self.categories,
        }

    @classmethod
    def from_state_dict(cls, state: dict[str, Any]) -> FramePreprocessor:
        prep = cls.__new__(cls)
        prep.settings = dict(state["settings"])
        prep.requested_freq = state["requested_freq"]
        prep.requested_calendar = state["requested_calendar"]
        prep.freq = state["freq"]
        prep.tz = state["tz"]
        prep.calendar = list(state["calendar"])
        prep.feature_names = list(state["feature_names"])
        prep.scaler = PanelScaler.from_state_dict(state["scaler"])
        static = state.get("static")  # absent in models saved before static covariates
        prep.static = StaticCovariates.from_state_dict(static) if static else None
        prep.categories = dict(state.get("categories") or {})
        prep.settings.setdefault("static_covariates", [])
        return prep


def learned_categories(df: pd.DataFrame, covariates: list[str]) -> dict[str, list[Any]]:
    """The categories of each categorical covariate of the training frame, in column order."""
    if not isinstance(df, pd.DataFrame):
        return {}  # _validate says what it must be
    return {
        name: learn_categories(df[name])
        for name in covariates
        if name in df.columns and is_categorical(df[name])
    }


def coded(df: pd.DataFrame, categories: dict[str, list[Any]]) -> pd.DataFrame:
    """`df` with each categorical covariate replaced by its codes (a copy; `df` is untouched)."""
    present = {name: cats for name, cats in categories.items() if name in df.columns}
    if not present:
        return df
    return df.assign(**{
        name: to_codes(df[name], cats, what=f"covariate {name!r}")
        for name, cats in present.items()
    })  # fmt: skip
