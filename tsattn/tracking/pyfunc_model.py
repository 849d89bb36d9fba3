"""The Forecaster as an MLflow `pyfunc` model: `load_model(uri).predict(history_df)`.

The model folder holds the saved Forecaster (JSON + weights), the wrapper as code
(`pyfunc_entry.py`, so nothing is pickled), the tsattn source (`code_paths`) so
`mlflow models serve` works where tsattn is not installed, pinned requirements, a signature and
an input example. Models that use known-future covariates take
one frame: history rows, then the next `horizon` rows per series with empty targets; those rows
are split off as `future_df`, because a pyfunc receives a single input.
"""

from __future__ import annotations

import shutil
import tempfile
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

import mlflow.pyfunc
import pandas as pd
from mlflow.pyfunc import PythonModel

if TYPE_CHECKING:
    from tsattn.forecaster import Forecaster

__all__ = [
    "MODEL_NAME",
    "ForecasterModel",
    "calibrated_levels",
    "input_example",
    "log_forecaster_model",
    "split_future",
]

MODEL_NAME = "model"
_ARTIFACT = "forecaster"
_REQUIREMENTS = (
    "torch",
    "lightning",
    "numpy",
    "pandas",
    "pyarrow",
    "scikit-learn",
    "pydantic",
    "PyYAML",
    "mlflow",
)


class ForecasterModel(PythonModel):  # type: ignore[misc]
    """pyfunc wrapper: loads the saved Forecaster once, forecasts each input frame."""

    def load_context(self, context: Any) -> None:
        """Load the Forecaster from the model's `forecaster` artifact (JSON + weights)."""
        from tsattn.forecaster import Forecaster

        self.forecaster = Forecaster.load(context.artifacts[_ARTIFACT])

    def predict(
        self, context: Any, model_input: pd.DataFrame, params: dict[str, Any] | None = None
    ) -> pd.DataFrame:
        """Forecast frame for `model_input` (history, plus future rows if the model needs them).

        A calibrated model adds the bounds of every calibrated level; `params={"levels": [..]}`
        picks some (an empty list: none). MLflow takes the DataFrame hint as "validate with the
        logged signature", which holds the real column names and types; `Any` here would make
        it warn on every load.
        """
        history, future = split_future(self.forecaster, pd.DataFrame(model_input))
        levels = (params or {}).get("levels", calibrated_levels(self.forecaster))
        return self.forecaster.predict(history, future_df=future, levels=list(levels))


def calibrated_levels(forecaster: Forecaster) -> list[float]:
    """The levels the model's conformal intervals were calibrated for; [] if uncalibrated."""
    calibration = getattr(forecaster, "calibration_", None)
    return list(calibration.levels) if calibration is not None else []


def split_future(
    forecaster: Forecaster, frame: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """Split one input frame into (history, future rows) for models with future covariates.

    Future rows are those after each series' last observed target, with every target empty.
    """
    if not forecaster.future_covariates:
        return frame, None
    targets = _as_list(forecaster.target)
    empty = frame[targets].isna().all(axis=1)
    observed = ~empty
    if forecaster.id_col:
        seen = observed.groupby(frame[forecaster.id_col]).cumsum()
        remaining = observed[::-1].groupby(frame[forecaster.id_col][::-1]).cumsum()[::-1]
    else:
        seen, remaining = observed.cumsum(), observed[::-1].cumsum()[::-1]
    future_mask = empty & (seen > 0) & (remaining == 0)
    if not future_mask.any():
        return frame, None
    future = frame.loc[future_mask].drop(columns=targets)
    return frame.loc[~future_mask], future


def input_example(
    forecaster: Forecaster, frame: pd.DataFrame, *, series: int = 2
) -> pd.DataFrame:
    """A valid request: the last `lookback` rows of up to `series` series (+ future rows)."""
    id_col, lookback = forecaster.id_col, int(forecaster.lookback)
    horizon = int(forecaster.horizon)
    needs_future = bool(forecaster.future_covariates)
    tail = lookback + (horizon if needs_future else 0)
    if id_col:
        keep = list(pd.unique(frame[id_col]))[:series]
        frame = frame[frame[id_col].isin(keep)]
        example = frame.groupby(id_col, sort=False, group_keys=False).tail(tail)
    else:
        example = frame.tail(tail)
    example = example.reset_index(drop=True)
    if needs_future:
        # The last `horizon` rows per series become the "future" part of the request.
        position = (
            example.groupby(id_col).cumcount(ascending=False)
            if id_col
            else pd.Series(range(len(example) - 1, -1, -1), index=example.index)
        )
        example.loc[position < horizon, _as_list(forecaster.target)] = float("nan")
    return example


def log_forecaster_model(forecaster: Forecaster, frame: pd.DataFrame) -> Any:
    """Log `forecaster` to the active run as pyfunc model `model`; returns MLflow's ModelInfo."""
    from mlflow.models import infer_signature

    with tempfile.TemporaryDirectory(prefix="tsattn-pyfunc-") as tmp:
        saved = forecaster.save(Path(tmp) / _ARTIFACT)
        code = _stage_source(Path(tmp) / "code")
        example = input_example(forecaster, frame)
        history, future = split_future(forecaster, example)
        levels = calibrated_levels(forecaster)
        output = forecaster.predict(history, future_df=future, levels=levels)
        params = {"levels": levels} if levels else None
        return mlflow.pyfunc.log_model(
            name=MODEL_NAME,
            python_model=str(Path(__file__).with_name("pyfunc_entry.py")),
            artifacts={_ARTIFACT: str(saved)},
            code_paths=[str(code)],
            signature=infer_signature(example, output, params=params),
            input_example=example,
            pip_requirements=_requirements(),
        )


def _stage_source(destination: Path) -> Path:
    """A clean copy of the tsattn package (no caches) to ship inside the model."""
    import tsattn

    source = Path(tsattn.__file__).parent
    target = destination / "tsattn"
    shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    return target


def _requirements() -> list[str]:
    pins = []
    for name in _REQUIREMENTS:
        try:
            # Drop local tags like "+cpu": pip resolves them only from the matching index.
            pins.append(f"{name}=={metadata.version(name).split('+')[0]}")
        except metadata.PackageNotFoundError:
            pins.append(name)
    return pins


def _as_list(value: Any) -> list[str]:
    return [value] if isinstance(value, str) else list(value)
