"""The two points where a plug-in (tsattn.tracking is one) attaches to `Forecaster`.

The estimator trains, predicts and saves with no knowledge of MLflow. What it offers instead:
- **fit observers**, asked at the start of every `fit` whether they want to watch it; one that
  does gets each epoch's metrics and the fitted model (tracking logs them to a run);
- **location schemes**, so `Forecaster.load("models:/name@alias")` can ask whoever registered
  `models:/` for a local folder to load from.
Both are registered from outside (the package root registers tracking), as MLflow's own
autologging registers its patches, so the dependency points one way: plug-in -> estimator.
`unwatched()` hides the fits inside a procedure that stands for one result (a refit backtest's
many models) from every observer.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, ExitStack, contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import pandas as pd

from tsattn.errors import TsattnError

if TYPE_CHECKING:
    from tsattn.forecaster import Forecaster

__all__ = [
    "EpochSink",
    "FitObserver",
    "FitWatch",
    "add_fit_observer",
    "add_location_scheme",
    "remove_fit_observer",
    "resolve_location",
    "unwatched",
    "watched_fit",
]

EpochSink = Callable[[int, Mapping[str, float]], None]
"""Receives (epoch, metrics) once per epoch; validation metrics may come alone, first."""


@dataclass
class FitWatch:
    """What one observer adds to one fit: where epoch metrics go, and what runs once fitted."""

    epoch_sinks: list[EpochSink] = field(default_factory=list)
    on_fitted: list[Callable[[Forecaster, pd.DataFrame | None], None]] = field(
        default_factory=list
    )

    def fitted(self, forecaster: Forecaster, val_df: pd.DataFrame | None) -> None:
        """Hand the fitted model to every observer, in the order they were registered."""
        for callback in self.on_fitted:
            callback(forecaster, val_df)


class FitObserver(Protocol):
    """Decides per fit whether to watch it; the context spans the whole fit (failures too)."""

    def watch(
        self, forecaster: Forecaster, train_df: pd.DataFrame, val_df: pd.DataFrame | None
    ) -> AbstractContextManager[FitWatch | None]: ...


_observers: list[FitObserver] = []
_schemes: dict[str, Callable[[str], Path]] = {}
# A ContextVar, not a global flag: a fit in another thread or task stays watched.
_unwatched: ContextVar[bool] = ContextVar("tsattn_unwatched", default=False)


def add_fit_observer(observer: FitObserver) -> None:
    """Watch every later `fit` in this process (idempotent)."""
    if observer not in _observers:
        _observers.append(observer)


def remove_fit_observer(observer: FitObserver) -> None:
    """Stop watching fits; a no-op for an observer never added."""
    if observer in _observers:
        _observers.remove(observer)


@contextmanager
def unwatched() -> Iterator[None]:
    """Offer the fits inside this context to no observer (none is asked, so none opens a run).

    For the inner fits of one procedure, such as `backtest(refit=True)`, whose models are a
    means to one result: tracking each as a run of its own would log one model per origin.
    """
    token = _unwatched.set(True)
    try:
        yield
    finally:
        _unwatched.reset(token)


@contextmanager
def watched_fit(
    forecaster: Forecaster, train_df: pd.DataFrame, val_df: pd.DataFrame | None
) -> Iterator[FitWatch]:
    """Open every registered observer around one fit (none inside `unwatched()`) and merge what
    they add.

    Observers open before training, so one that cannot start (an unreachable store) fails the
    fit before any work; each sees the fit's exception, if any, as its context exits.
    """
    merged = FitWatch()
    with ExitStack() as stack:
        for observer in [] if _unwatched.get() else list(_observers):
            watch = stack.enter_context(observer.watch(forecaster, train_df, val_df))
            if watch is not None:
                merged.epoch_sinks.extend(watch.epoch_sinks)
                merged.on_fitted.extend(watch.on_fitted)
        yield merged


def add_location_scheme(prefix: str, resolve: Callable[[str], Path]) -> None:
    """Let `Forecaster.load` accept locations starting with `prefix` (e.g. "models:/")."""
    _schemes[prefix] = resolve


def resolve_location(location: str | Path) -> Path:
    """A local folder for `location`: a path as is, a registered scheme through its resolver."""
    text = str(location)
    for prefix, resolve in _schemes.items():
        if text.startswith(prefix):
            return resolve(text)
    scheme = re.match(r"([A-Za-z][\w+.-]+):/", text)  # two letters at least: not "C:/"
    if scheme is not None and not Path(text).exists():
        known = ", ".join(sorted(_schemes)) or "none"
        raise TsattnError(
            f"no plug-in handles '{scheme.group(1)}:/' locations like {text!r} (registered: "
            f"{known}); pass a local model folder, or import the package that provides it"
        )
    return Path(location)
