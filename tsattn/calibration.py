"""Split-conformal prediction intervals, per horizon step and target, on the scaled space.

Quantile heads trained with the pinball loss under-cover out of sample (an 80 % interval held
74 % of held-out outcomes), and a point model has no interval at all. Conformal calibration
fixes both from a held-out frame the network never trained on: it scores how far each outcome
fell outside the model's own band and widens (or narrows) the band by the score quantile that
gives the asked coverage, separately for every forecast step and target, since errors grow with
the step.

- With a quantile pair centred on the level (0.1 and 0.9 for 80 %), the band is that pair and
  the score is conformalized quantile regression's `max(low - y, y - high)` (Romano et al.,
  2019): the band keeps the heads' shape and only its width is corrected.
- Otherwise the band is the point forecast (the median head) and the score `|y - point|`.

Scores live on the per-series z-scale the network forecasts on, so series of different sizes
share one calibration; `inverse_targets` maps the bounds back to data units per series.
Coverage is marginal: over series, origins and the calibration frame's conditions.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from tsattn.errors import ConfigError

__all__ = [
    "Calibration",
    "fit_calibration",
    "interval_columns",
    "check_window_count",
    "level_label",
]

def level_label(level: float) -> str:
    """The suffix naming a level's bounds: 0.8 -> "80", 0.975 -> "97.5"."""
    return f"{round(level * 100, 6):g}"


def interval_columns(target: str, level: float) -> tuple[str, str]:
    """The names of `target`'s lower and upper bound columns at `level`."""
    label = level_label(level)
    return f"{target}_lo_{label}", f"{target}_hi_{label}"


@dataclass
class Calibration:
    """Conformal corrections learned from `n_windows` held-out windows.

    `corrections[k]` is an (H, C) array for `levels[k]`: how far to move each bound outward
    (negative: inward), in z-units; `pairs[k]` the quantile heads the band starts from, or None
    for a band around the point forecast.
    """

    levels: list[float]
    pairs: list[tuple[int, int] | None]
    corrections: list[np.ndarray]
    n_windows: int

    def bounds(
        self, prediction: np.ndarray, levels: Sequence[float], *, point_index: int
    ) -> dict[float, tuple[np.ndarray, np.ndarray]]:
        """Calibrated (low, high) bounds, each (N, H, C), for every asked level."""
        bounds = {}
        for level in levels:
            k = self._index(level)
            low, high = _band(prediction, self.pairs[k], point_index)
            low, high = low - self.corrections[k], high + self.corrections[k]
            # a band narrowed past zero width collapses to its middle instead of inverting
            middle = np.where(low > high, (low + high) / 2, np.nan)
            bounds[level] = (np.fmin(low, middle), np.fmax(high, middle))
        return bounds

    def check_levels(self, levels: Sequence[float]) -> None:
        """Raise ConfigError naming the calibrated levels unless each of `levels` is one."""
        for level in levels:
            self._index(level)

    def _index(self, level: float) -> int:
        for k, known in enumerate(self.levels):
            if math.isclose(known, level, abs_tol=1e-9):
                return k
        raise ConfigError(
            f"level {level:g} was not calibrated; this model was calibrated for levels "
            f"{[f'{x:g}' for x in self.levels]}: call calibrate(df, levels=[..., {level:g}])"
        )

    def state_dict(self) -> dict[str, Any]:
        """JSON-able state, saved beside the model's other fitted state."""
        return {
            "levels": list(self.levels),
            "pairs": [list(pair) if pair else None for pair in self.pairs],
            "corrections": [c.tolist() for c in self.corrections],
            "n_windows": self.n_windows,
        }

    @classmethod
    def from_state_dict(cls, state: dict[str, Any]) -> Calibration:
        return cls(
            levels=[float(x) for x in state["levels"]],
            pairs=[(int(p[0]), int(p[1])) if p else None for p in state["pairs"]],
            corrections=[np.asarray(c, dtype=np.float64) for c in state["corrections"]],
            n_windows=int(state["n_windows"]),
        )


def fit_calibration(
    prediction: np.ndarray,
    target: np.ndarray,
    *,
    levels: Sequence[float],
    quantiles: Sequence[float] | None,
    point_index: int,
) -> Calibration:
    """Conformal corrections from held-out (N, H, C, Q) forecasts and their (N, H, C) outcomes.

    The correction is the ceil((N + 1) * level)-th smallest score per (step, target): the
    finite-sample split-conformal quantile, which covers at least `level` when the calibration
    windows and future ones are exchangeable.
    """
    levels = [_checked_level(level) for level in levels]
    n = prediction.shape[0]
    check_window_count(n, levels)
    pairs = [_quantile_pair(quantiles, level) for level in levels]
    corrections = []
    for level, pair in zip(levels, pairs, strict=True):
        low, high = _band(prediction, pair, point_index)
        scores = np.maximum(low - target, target - high)  # -> (N, H, C)
        rank = min(math.ceil((n + 1) * level), n)
        corrections.append(np.sort(scores, axis=0)[rank - 1].astype(np.float64))
    return Calibration(levels, pairs, corrections, n)


def windows_needed(levels: Sequence[float]) -> int:
    """Fewest calibration windows whose score quantile exists at every level: below
    1 / (1 - level) - 1 of them, the level's rank falls past the largest score."""
    return max((math.ceil(1 / (1 - float(level))) - 1 for level in levels), default=0)


def check_window_count(n_windows: int, levels: Sequence[float]) -> None:
    """Raise ValueError, saying what to pass instead, when `n_windows` is too few."""
    needed = windows_needed(levels)
    if n_windows < needed:
        raise ValueError(
            f"calibration needs at least {needed} held-out windows for level "
            f"{max(levels):g}, got {n_windows}: pass a longer frame or more series to calibrate"
        )


def _band(
    prediction: np.ndarray, pair: tuple[int, int] | None, point_index: int
) -> tuple[np.ndarray, np.ndarray]:
    if pair is None:
        point = prediction[..., point_index]
        return point, point
    return prediction[..., pair[0]], prediction[..., pair[1]]


def _quantile_pair(quantiles: Sequence[float] | None, level: float) -> tuple[int, int] | None:
    """Indices of the heads at (1 - level) / 2 and (1 + level) / 2, when the model has both."""
    if not quantiles:
        return None
    wanted = ((1 - level) / 2, (1 + level) / 2)
    found = [
        next((i for i, q in enumerate(quantiles) if math.isclose(q, w, abs_tol=1e-6)), None)
        for w in wanted
    ]
    low, high = found
    return (low, high) if low is not None and high is not None else None


def _checked_level(level: float) -> float:
    level = float(level)
    if not 0.0 < level < 1.0:
        raise ValueError(f"interval level {level:g} must lie strictly between 0 and 1 (0.8 = 80 %)")
    return level
