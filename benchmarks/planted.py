"""Planted-truth series for B5: frames whose cause of every forecast step is known.

Each `PlantedCase` builds a frame where the target at time t is a weighted sum of named causes,
each "column `c`, `k` steps earlier", plus Gaussian noise of a known variance. So for every
(origin, step) the timestep that drives the forecast is known, and `score_case` can check that
the temporal attention peaks there and that input attention ranks the true drivers first.

Drivers are white noise or AR(1): autocorrelated drivers are the hard case (the neighbours of
the causal timestep carry much of its information), and real drivers are autocorrelated.

A panel case (`n_series` > 1) gives each series its drivers at its own level and spread, and the
target follows them in those absolute units: the per-series z-scores and the per-window RevIN
must not hide that a driver at level 10 adds twice as much as one at level 5.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

__all__ = ["CASES", "PlantedCase", "PlantedSplit", "forecaster_columns", "noise_floor_z",
           "planted_frame", "score_attention", "score_contributions", "score_every_cause",
           "score_ranking", "split_case"]


@dataclass(frozen=True)
class PlantedCase:
    """target(t) = sum of gain * column(t - lag) over `causes` + noise.

    A cause naming "target" is the target's own seasonal lag. `n_noise` extra pure-noise drivers
    are added as covariates that do not drive anything.
    """

    name: str
    causes: tuple[tuple[str, int, float], ...]  # (column, lag, gain)
    lookback: int
    horizon: int
    phi: float = 0.5  # AR(1) coefficient of every driver; 0 gives white noise
    n_noise: int = 2
    noise_std: float = 0.1
    n: int = 2000
    seed: int = 0
    drivers: tuple[str, ...] = field(default=())
    n_series: int = 1  # > 1: a panel, `n` rows per series, drivers at per-series levels

    @property
    def is_panel(self) -> bool:
        return self.n_series > 1

    @property
    def driver_names(self) -> list[str]:
        named = [c for c, _, _ in self.causes if c != "target"]
        return list(dict.fromkeys([*named, *self.drivers]))

    @property
    def covariates(self) -> list[str]:
        return [*self.driver_names, *[f"noise_{i}" for i in range(self.n_noise)]]


CASES: tuple[PlantedCase, ...] = (
    PlantedCase("ar1-lag12", (("driver", 12, 2.0),), lookback=48, horizon=6),
    PlantedCase("white-lag30", (("driver", 30, 1.0),), lookback=96, horizon=24, phi=0.0),
    PlantedCase("ar1-lag26-h24", (("driver", 26, 1.5),), lookback=96, horizon=24, phi=0.7),
    PlantedCase("two-drivers", (("fast", 5, 1.0), ("slow", 17, -1.0)), lookback=48,
                horizon=4),
    PlantedCase("seasonal-own-lag", (("target", 24, 0.9),), lookback=96, horizon=24,
                n_noise=2, drivers=()),
    # the issue's own measurement: a noise floor below 0.001, where precision, not the lag, is hard
    PlantedCase("ar1-lag12-quiet", (("driver", 12, 2.0),), lookback=48, horizon=6,
                noise_std=0.05),
    PlantedCase("panel-abs-units", (("driver", 12, 2.0),), lookback=48, horizon=6, n=800,
                n_series=3),
)
# a panel's series i sees every driver as LEVELS[i] + SPREADS[i] x its unit-variance path
LEVELS = (0.0, 10.0, -4.0, 5.0)
SPREADS = (1.0, 0.5, 3.0, 2.0)


def _ar1(rng: np.random.Generator, n: int, phi: float) -> np.ndarray:
    """A unit-variance AR(1) path (white noise for phi = 0)."""
    shocks = rng.standard_normal(n) * np.sqrt(1.0 - phi**2)
    out = np.empty(n)
    out[0] = rng.standard_normal()
    for t in range(1, n):
        out[t] = phi * out[t - 1] + shocks[t]
    return out


def planted_frame(case: PlantedCase) -> pd.DataFrame:
    """The case's hourly frame: `time`, `target`, the drivers and the noise drivers; a panel's
    rows also name their `series` (s0, s1, ...)."""
    if not case.is_panel:
        return _series_frame(case, case.seed, level=0.0, spread=1.0)
    if case.n_series > len(LEVELS):
        raise ValueError(f"a planted panel has at most {len(LEVELS)} series")
    frames = [
        _series_frame(case, case.seed + i, LEVELS[i], SPREADS[i]).assign(series=f"s{i}")
        for i in range(case.n_series)
    ]
    return pd.concat(frames, ignore_index=True)


def _series_frame(case: PlantedCase, seed: int, level: float, spread: float) -> pd.DataFrame:
    """One series: every driver (noise drivers too) is level + spread x an AR(1) path, and the
    target sums the causes in those units, its noise scaled by the spread too: every series then
    has the same noise floor on its own z-scale, so the panel tests the units, not the noise."""
    rng = np.random.default_rng(seed)
    burn = max(lag for _, lag, _ in case.causes) + 1
    n = case.n + burn
    columns = {name: level + spread * _ar1(rng, n, case.phi) for name in case.driver_names}
    noise = rng.standard_normal(n) * case.noise_std * spread
    target = np.zeros(n)
    own = [(lag, gain) for c, lag, gain in case.causes if c == "target"]
    for t in range(n):  # a recursion only when the target drives itself
        value = noise[t]
        for column, lag, gain in case.causes:
            if column != "target" and t >= lag:
                value += gain * columns[column][t - lag]
        for lag, gain in own:
            if t >= lag:
                value += gain * target[t - lag]
        target[t] = value
    frame = pd.DataFrame({"time": pd.date_range("2024-01-01", periods=case.n, freq="h")})
    frame["target"] = target[burn:]
    for name, values in columns.items():
        frame[name] = values[burn:]
    for i in range(case.n_noise):
        frame[f"noise_{i}"] = level + spread * _ar1(rng, case.n, case.phi)
    return frame


def forecaster_columns(case: PlantedCase) -> dict[str, object]:
    """The `Forecaster` column arguments of a case's frame (shared by B5 and the tests)."""
    columns: dict[str, object] = {"target": "target", "time_col": "time",
                                  "past_covariates": case.covariates}
    if case.is_panel:
        columns["id_col"] = "series"
    return columns


@dataclass(frozen=True)
class PlantedSplit:
    """A case's frame cut 70 / 15 / 15 % per series (val and test start a lookback early), and
    its noise floor: the mean over series of `series_floors`."""

    train: pd.DataFrame
    val: pd.DataFrame
    test: pd.DataFrame
    noise_floor: float
    series_floors: dict[str, float]  # by series id ("series" for a single series)


def split_case(case: PlantedCase) -> PlantedSplit:
    """The split B5 and the tests share: fit on train, stop on val, score test."""
    frame = planted_frame(case)
    groups = frame.groupby("series", sort=True) if case.is_panel else [("series", frame)]
    parts: dict[str, list[pd.DataFrame]] = {"train": [], "val": [], "test": []}
    floors: dict[str, float] = {}
    for i, (series, rows) in enumerate(groups):
        n_train, n_val = int(0.7 * len(rows)), int(0.15 * len(rows))
        parts["train"].append(rows.iloc[:n_train])
        parts["val"].append(rows.iloc[n_train - case.lookback : n_train + n_val])
        parts["test"].append(rows.iloc[n_train + n_val - case.lookback :])
        spread = SPREADS[i] if case.is_panel else 1.0
        floors[str(series)] = noise_floor_z(case, rows, n_train, spread)
    train, val, test = (pd.concat(parts[name]) for name in ("train", "val", "test"))
    return PlantedSplit(train=train, val=val, test=test,
                        noise_floor=float(np.mean(list(floors.values()))), series_floors=floors)


def noise_floor_z(case: PlantedCase, frame: pd.DataFrame, train_rows: int,
                  spread: float = 1.0) -> float:
    """The noise variance on the model's z-scale (the target scaled by its train std)."""
    std = float(frame["target"].iloc[:train_rows].std(ddof=0))
    return (case.noise_std * spread) ** 2 / std**2


def score_attention(case: PlantedCase, temporal: pd.DataFrame) -> float:
    """Share of (origin, step) pairs whose attention peak lies within ±1 step of a cause.

    `temporal` is `Forecaster.interpret(kind="temporal")`; heads are averaged first. With several
    causes a peak at any of them counts (each is a true answer).
    """
    mean = temporal.groupby(["series", "origin", "step", "distance"])["weight"].mean()
    peaks = mean.groupby(level=["series", "origin", "step"]).idxmax().map(lambda key: key[3])
    lags = np.array([lag for _, lag, _ in case.causes])
    hit = np.abs(peaks.to_numpy()[:, None] - lags[None, :]).min(axis=1) <= 1
    return float(hit.mean())


def score_ranking(case: PlantedCase, ranking: list[str]) -> dict[str, bool]:
    """Where the causes and the noise drivers fall in a variable ranking (first = most).

    drivers_first: the causes' variables (the target's own history when it is a cause) take
    the top places; noise_last: the noise drivers the bottom ones, below the target's own
    history too; noise_below_causes: every noise driver below every cause (the target's own
    history is no cause in a driver-only case, so where it ranks says nothing).
    """
    causes = set(case.driver_names) | ({"target"} if any(
        c == "target" for c, _, _ in case.causes) else set())
    noise_ranks = [i for i, r in enumerate(ranking) if r.startswith("noise_")]
    return {
        "drivers_first": set(ranking[: len(causes)]) == causes,
        "noise_last": all(r.startswith("noise_") for r in ranking[-case.n_noise :]),
        "noise_below_causes": min(noise_ranks) >= len(causes) if noise_ranks else True,
    }


def score_contributions(case: PlantedCase, contributions: pd.DataFrame) -> dict[str, float | bool]:
    """What `Forecaster.interpret(kind="contribution")` says of the planted causes.

    causes_at_lag: the share of the causes whose variable's mean absolute contribution, by
    distance, peaks within ±1 step of the cause's lag; then `score_ranking` of the variables by
    how much their values moved the forecasts (`contribution_by_variable`).
    """
    from tsattn.interpret import contribution_by_variable, contribution_profile

    profile = contribution_profile(contributions).pivot(index="variable", columns="distance",
                                                        values="mean_abs")
    peaks = profile.idxmax(axis=1)
    at_lag = [abs(int(peaks[column]) - lag) <= 1 for column, lag, _ in case.causes]
    ranking = contribution_by_variable(contributions)["variable"].tolist()
    return {"causes_at_lag": float(np.mean(at_lag)), **score_ranking(case, ranking)}


def score_every_cause(case: PlantedCase, temporal: pd.DataFrame) -> float:
    """Share of (origin, step) pairs where every cause is the peak of some head (±1 step).

    Stricter than `score_attention` with several causes: there a peak at either counts, so a
    model whose one read found one driver while the other read stays spread passes.
    """
    per_head = temporal.set_index(["series", "origin", "step", "head", "distance"])["weight"]
    peaks = per_head.groupby(level=["series", "origin", "step", "head"]).idxmax().map(
        lambda key: key[4])
    lags = np.array([lag for _, lag, _ in case.causes])
    near = np.abs(peaks.to_numpy()[:, None] - lags[None, :]) <= 1  # (pairs x heads, causes)
    found = pd.DataFrame(near, index=peaks.index).groupby(level=["series", "origin", "step"]).any()
    return float(found.all(axis=1).mean())
