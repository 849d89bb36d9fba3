"""The one colour scale all attention pictures of a run share: lift over uniform, on a log axis.

Why lift: a lookback of L weights sums to one, so "no preference" is 1/L and raw weights of
runs with different L do not compare; weight x L is 1 for uniform attention at any L.
Why log, symmetric about 1: lift is a ratio, so 2x and 1/2x get equal contrast, and white sits
exactly on 1. Why shared and never narrower than [1/2, 2]: a scale stretched to each window's
own range paints near-uniform attention (lifts 0.9-1.1) as sharply as a real focus.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from matplotlib import colormaps
from matplotlib.colors import Colormap, LinearSegmentedColormap, LogNorm, to_hex

from tsattn.interpret.tables import check_temporal_frame

__all__ = ["MIN_LIMIT", "LiftScale", "frame_lift_scale", "lift_scale", "tick_label"]

MIN_LIMIT = 2.0  # the narrowest scale: lifts 1/2 .. 2, so near-uniform attention stays pale
_MAX_TICKS = 9


def _lift_cmap() -> Colormap:
    """Blue below uniform, white at 1, red above; the blue end stops at a mid blue.

    Weight lives in the red cells; cells below uniform share little of it, so a navy as loud
    as the darkest red would pull the eye to where the model does not look. An odd number of
    levels puts one level on 0.5, so lift 1 is drawn pure white.
    """
    base = colormaps["RdBu_r"]
    below = [(x, base(0.2 + 0.5 * x)) for x in np.linspace(0.0, 0.5, 5)[:-1]]
    above = [(x, base(x)) for x in np.linspace(0.5, 1.0, 6)[1:]]
    stops = [*below, (0.5, (1.0, 1.0, 1.0, 1.0)), *above]
    return LinearSegmentedColormap.from_list("tsattn_lift", stops, N=255)


@dataclass(frozen=True, eq=False)
class LiftScale:
    """Lifts from 1/limit to limit on a log colour axis; lower lifts draw as the lowest colour.

    One instance is shared by every image of a figure, file set or report, so equal colours
    mean equal lifts everywhere. `limit` is a power of two, so ticks fall on round ratios.
    """

    limit: float
    norm: LogNorm
    cmap: Colormap

    def clip(self, lift: np.ndarray) -> np.ndarray:
        """Lifts moved into the scale's range (0 and tiny weights take the lowest colour)."""
        return np.clip(np.asarray(lift, dtype=float), 1.0 / self.limit, self.limit)

    def position(self, lift: np.ndarray) -> np.ndarray:
        """Where each lift sits on the colour axis, 0 (1/limit) to 1 (limit); 1 is at 0.5."""
        return np.asarray(self.norm(self.clip(lift)), dtype=float)

    def ticks(self) -> list[float]:
        """Powers of two from 1/limit to limit, thinned to at most nine, always including 1."""
        top = round(math.log2(self.limit))
        every = max(1, math.ceil(2 * top / (_MAX_TICKS - 1)))
        return [2.0**k for k in range(-top, top + 1) if k % every == 0]

    def palette(self, levels: int = 256) -> list[str]:
        """`levels` hex colours along the axis, for drawing the same scale outside matplotlib."""
        return [to_hex(self.cmap(x)) for x in np.linspace(0.0, 1.0, levels)]


def tick_label(lift: float) -> str:
    """'1/4', '1', '4': ratios read more easily than 0.25."""
    if lift >= 1:
        return f"{lift:g}"
    return f"1/{1 / lift:g}"


def lift_scale(lifts: np.ndarray | pd.Series) -> LiftScale:
    """A scale wide enough for the largest lift given, and never narrower than [1/2, 2]."""
    values = np.asarray(lifts, dtype=float)
    top = float(np.nanmax(values)) if values.size and np.isfinite(values).any() else 1.0
    limit = 2.0 ** math.ceil(math.log2(max(top, MIN_LIMIT)))
    return LiftScale(limit, LogNorm(vmin=1.0 / limit, vmax=limit), _lift_cmap())


def frame_lift_scale(frame: pd.DataFrame) -> LiftScale:
    """The scale for every window of a temporal-attention frame (weight x L, L its lookback)."""
    frame = check_temporal_frame(frame)
    return lift_scale(frame["weight"].to_numpy(dtype=float) * frame["lag"].nunique())
