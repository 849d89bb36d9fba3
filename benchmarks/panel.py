"""B6: many series, M4 Hourly: 414 series, horizon 48, the official M4 metrics and protocol.

Forecast the 48 values of ``data/M4-Hourly-test.csv`` from the whole training row of
``data/M4-Hourly-train.csv``; score sMAPE, MASE (in-sample seasonal naive at m = 24, per series)
and OWA against Naive2's hourly figures, next to the published M4 rows. The seasonal naive
(last 24 training values repeated) is computed in the same run as a check of the metric code:
it must give the published 13.912 / 1.193.

The files carry no timestamps. tsattn needs a datetime axis, so every series is given an hourly
one starting at ``START`` (2000-01-01 00:00): series of 700 and of 960 values start together and
end at different times. Calendar features are off by default, so the dates themselves are never
read.

tsattn runs through the public ``Forecaster`` API at the library defaults, with only the columns,
the window (lookback 168, horizon 48), ``max_epochs`` 8, batch 256 and the seed given (``MODEL``),
unless ``--loss``, ``--max-epochs`` or ``--set`` change them; ``--seeds N`` forecasts the mean of N
such models. ``--validation`` runs the same protocol one horizon earlier without reading the test
file (the last 48 training values are the truth), which is where configurations are compared.
The last 48 values of every training row are held out: the model trains on the rest, stops early
on the held-out window (val = the last 48 + lookback values) and calibrates its conformal 80 %
and 95 % intervals on the same window, one per series. It then forecasts the test values from
the full training rows. Nothing is chosen on the test split.

With ``--peers`` the same run also trains NeuralForecast ``LSTM`` and Darts ``BlockRNNModel``
(``benchmarks/panel_systems.py``) in the peers' environment (``make bench-peers-env``), on the
same series, split and test values, at most tsattn's windows x epochs and cut at tsattn's
training time of this run; they are scored here with the same metric code and written to
``panel_peers.{json,md}``, apart from tsattn's own ``panel.{json,md}``.
"""

from __future__ import annotations

import argparse
import csv
import math
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from benchmarks.cli_common import add_common, add_set_argument, common, set_options
from benchmarks.machine import describe
from benchmarks.results import fmt, markdown_table, write
from benchmarks.runner import peers_python, run_worker

REPO_ROOT = Path(__file__).resolve().parent.parent
TRAIN_FILE, TEST_FILE = "data/M4-Hourly-train.csv", "data/M4-Hourly-test.csv"
N_SERIES, HORIZON, SEASON = 414, 48, 24
START = "2000-01-01 00:00"  # every series' made-up hourly axis starts here
NAIVE2 = {"smape": 18.383, "mase": 2.395}  # Naive2's hourly figures, OWA's denominators
OWA_GOAL = 0.440  # Smyl's ES-RNN, the M4 winner
LEVELS = (0.8, 0.95)
SMOKE_SERIES = 20  # one calibration window each: the 95 % level needs at least 19

# Official M4 results (sMAPE, MASE, OWA), as quoted in the shared BENCHMARKS.md, B6
PUBLISHED: dict[str, tuple[float, float, float | None]] = {
    'Doornik et al. "Card" (best hourly entry)': (8.913, 0.801, 0.410),
    "Smyl ES-RNN (M4 winner; an LSTM hybrid)": (9.328, 0.893, 0.440),
    "Montero-Manso FFORMA (runner-up)": (11.506, 0.819, 0.484),
    "sNaive": (13.912, 1.193, 0.627),
    "Naive2": (18.383, 2.395, 1.000),
    "M4 RNN benchmark": (14.698, 3.048, 1.036),
    "M4 MLP benchmark": (13.842, 2.607, 0.921),
    "GluonTS DeepAR (Monash archive run)": (15.07, 2.145, None),
    "GluonTS N-BEATS (Monash archive run)": (15.75, 2.247, None),
}

# The issue filer's configuration: the library defaults plus the window and a training budget
MODEL: dict[str, Any] = {"lookback": 168, "max_epochs": 8, "batch_size": 256}

# (label, worker function in panel_systems), run in the peers' environment with --peers
PEERS = [("NeuralForecast LSTM", "neuralforecast_lstm"),
         ("Darts BlockRNNModel (LSTM)", "darts_block_rnn")]
VAL_CHECKS_PER_EPOCH = 8  # the peers validate every 1/8 of tsattn's epoch of windows

Series = dict[str, np.ndarray]

# The defaults' test figures (MODEL, seed 0), from the full run of benchmarks/results/panel.json
# at commit 8eb08fa7b9: shown beside another configuration's row
DEFAULTS_RECORDED: dict[str, Any] = {
    "smape": 11.100, "mase": 0.969, "owa": 0.504, "coverage_80": 0.801, "coverage_95": 0.959,
    "fit_s": 262.3, "epochs_trained": 8, "best_epoch": 3,
    "when": "recorded run, commit 8eb08fa7b9",
}


# -- data ------------------------------------------------------------------------------------------


def read_rows(path: Path) -> Series:
    """One M4 file: series id -> its values in file order (the padding's empty cells dropped)."""
    with path.open(newline="") as handle:
        rows = csv.reader(handle)
        next(rows)  # header "V1", "V2", ...
        return {row[0]: np.array([float(v) for v in row[1:] if v != ""]) for row in rows}


def load(root: Path = REPO_ROOT) -> tuple[Series, Series]:
    """(train, test) rows by series id, in the files' order."""
    train, test = read_rows(root / TRAIN_FILE), read_rows(root / TEST_FILE)
    if list(train) != list(test):
        raise ValueError(f"{TRAIN_FILE} and {TEST_FILE} list different series")
    short = [sid for sid, values in test.items() if len(values) != HORIZON]
    if short:
        raise ValueError(f"test rows without {HORIZON} values: {short[:5]}")
    return train, test


def long_frame(series: Series, start: str = START) -> pd.DataFrame:
    """The long frame (id, time, y), sorted by id then time as tsattn wants it: each series on
    an hourly axis from ``start``."""
    frames = [
        pd.DataFrame({"id": sid, "time": pd.date_range(start, periods=len(series[sid]), freq="h"),
                      "y": series[sid]})
        for sid in sorted(series)
    ]
    return pd.concat(frames, ignore_index=True)


# -- M4 metrics ------------------------------------------------------------------------------------


def m4_scores(forecasts: Series, test: Series, train: Series) -> dict[str, float]:
    """sMAPE (%), MASE and OWA by the M4 definitions: per-series means, averaged over series.

    MASE divides each series' forecast MAE by its in-sample mean |y_t - y_{t-24}| over the
    whole training row; OWA = (sMAPE / Naive2's + MASE / Naive2's) / 2 over the data set.
    """
    smapes, mases = [], []
    for sid, truth in test.items():
        pred = np.asarray(forecasts[sid], np.float64)
        err = np.abs(truth - pred)
        smapes.append(np.mean(200.0 * err / (np.abs(truth) + np.abs(pred))))
        history = train[sid]
        scale = np.mean(np.abs(history[SEASON:] - history[:-SEASON]))
        mases.append(np.mean(err) / scale)
    smape, mase = float(np.mean(smapes)), float(np.mean(mases))
    owa = 0.5 * (smape / NAIVE2["smape"] + mase / NAIVE2["mase"])
    return {"smape": smape, "mase": mase, "owa": owa}


def seasonal_naive(train: Series, horizon: int = HORIZON) -> Series:
    """The last ``SEASON`` training values repeated over the horizon."""
    return {sid: np.resize(values[-SEASON:], horizon) for sid, values in train.items()}


def snaive_matches(scores: dict[str, float], tolerance: float = 1e-3) -> bool:
    """Whether sNaive's sMAPE and MASE on all series match the published ones to ``tolerance``
    (the figures are quoted to three decimals)."""
    smape, mase, _ = PUBLISHED["sNaive"]
    return abs(scores["smape"] - smape) < tolerance and abs(scores["mase"] - mase) < tolerance


def interval_scores(
    forecast: pd.DataFrame, test: Series, levels: tuple[float, ...] = LEVELS
) -> dict[str, float]:
    """Coverage and mean width of each level's interval on the test values; ``forecast`` is
    ``predict``'s frame sorted by id, then time.

    The width is reported in data units and, comparable across series, as a share of each
    series' mean absolute test value (averaged over series).
    """
    from tsattn.calibration import interval_columns, level_label

    out: dict[str, float] = {}
    truth = np.concatenate([test[sid] for sid in forecast["id"].unique()])
    level_of_series = np.concatenate(
        [np.full(HORIZON, np.mean(np.abs(test[sid]))) for sid in forecast["id"].unique()])
    for level in levels:
        label = level_label(level)
        lo_col, hi_col = interval_columns("y", level)
        low, high = (forecast[c].to_numpy(np.float64) for c in (lo_col, hi_col))
        out[f"coverage_{label}"] = float(np.mean((truth >= low) & (truth <= high)))
        out[f"width_{label}"] = float(np.mean(high - low))
        out[f"relative_width_{label}"] = float(np.mean((high - low) / level_of_series))
    return out


# -- tsattn ----------------------------------------------------------------------------------------


def _loop_timer() -> Any:
    """A callback timing the Trainer's fit loop (epochs, with their validation passes)."""
    import lightning.pytorch as pl

    class LoopTimer(pl.Callback):  # type: ignore[misc]
        def __init__(self) -> None:
            self.start = self.seconds = 0.0

        def on_train_start(self, trainer: Any, pl_module: Any) -> None:
            self.start = time.perf_counter()

        def on_train_end(self, trainer: Any, pl_module: Any) -> None:
            self.seconds = time.perf_counter() - self.start

    return LoopTimer()


def split_holdout(full: pd.DataFrame, lookback: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(fit frame, held-out frame) of the long training frame: every series minus its last
    ``HORIZON`` values, and those values with the ``lookback`` values before them as context
    (one validation window per series), on the same time axis."""
    from_end = full.groupby("id", sort=False).cumcount(ascending=False)  # 0 = last value
    fit = full[from_end >= HORIZON].reset_index(drop=True)
    held = full[from_end < HORIZON + lookback].reset_index(drop=True)
    return fit, held


def training_windows(fit: pd.DataFrame, lookback: int) -> int:
    """Training windows of one epoch at stride 1: sum over series of n - L - H + 1."""
    lengths = fit.groupby("id", sort=False).size().to_numpy()
    return int(np.sum(lengths - lookback - HORIZON + 1))


def _fit_member(
    fit_df: pd.DataFrame, held_df: pd.DataFrame, full_df: pd.DataFrame, *, seed: int,
    spec: dict[str, Any], held_points: bool,
) -> dict[str, Any]:
    """One Forecaster: fit on ``fit_df``, early-stop and calibrate on ``held_df``, forecast
    the 48 steps after ``full_df`` (and, for an ensemble, the held-out 48 after ``fit_df``)."""
    from tsattn import Forecaster

    fc = Forecaster(target="y", time_col="time", id_col="id", horizon=HORIZON, seed=seed,
                    interval_levels=list(LEVELS), enable_progress_bar=False, accelerator="cpu",
                    **spec)
    timer = _loop_timer()
    start = time.perf_counter()
    fc.fit(fit_df, val_df=held_df, calibration_df=held_df, callbacks=[timer])
    fit_s = time.perf_counter() - start

    start = time.perf_counter()
    forecast = fc.predict(full_df, levels=list(LEVELS))  # reads each series' last L values
    predict_s = time.perf_counter() - start
    forecast = forecast.sort_values(["id", "time"], kind="stable").reset_index(drop=True)
    member: dict[str, Any] = {"fc": fc, "forecast": forecast, "fit_s": fit_s,
                              "loop_s": timer.seconds, "predict_s": predict_s}
    if held_points:  # the forecast of the held-out 48 values, for the ensemble's calibration
        held = fc.predict(fit_df).sort_values(["id", "time"], kind="stable")
        member["held"] = {sid: part["y"].to_numpy(np.float64) for sid, part in held.groupby("id")}
    return member


def _points(forecast: pd.DataFrame) -> Series:
    return {sid: part["y"].to_numpy(np.float64) for sid, part in forecast.groupby("id")}


def ensemble_intervals(
    points: Series, held_points: Series, fit_df: pd.DataFrame, held_truth: Series,
    levels: tuple[float, ...] = LEVELS,
) -> pd.DataFrame:
    """Split-conformal bounds around the ensemble's mean forecast, the way
    ``tsattn.calibration`` builds them around one model's: scores |y - point| on the held-out
    window, in each series' z-units (the population std of its training values, as tsattn's
    scaler), the ceil((n + 1) * level)-th smallest per horizon step; a frame like ``predict``'s
    (id, y, bounds), sorted by id then step."""
    from tsattn.calibration import interval_columns

    ids = sorted(points)
    scale = fit_df.groupby("id")["y"].std(ddof=0)
    scale = scale.where(scale > 0, 1.0)
    s = np.array([scale[sid] for sid in ids])[:, None]  # (N, 1)
    scores = np.abs(np.stack([held_truth[sid] for sid in ids])
                    - np.stack([held_points[sid] for sid in ids])) / s  # (N, H)
    n = len(ids)
    point = np.stack([points[sid] for sid in ids])
    frame = pd.DataFrame({"id": np.repeat(ids, HORIZON), "y": point.ravel()})
    for level in levels:
        rank = min(math.ceil((n + 1) * level), n)
        q = np.sort(scores, axis=0)[rank - 1]  # (H,)
        lo_col, hi_col = interval_columns("y", level)
        frame[lo_col] = (point - q * s).ravel()
        frame[hi_col] = (point + q * s).ravel()
    return frame


def fit_tsattn(
    train: Series, test: Series, *, seed: int, overrides: dict[str, Any], seeds: int = 1
) -> dict[str, Any]:
    """Fit on the rows minus their last 48 values, early-stop and calibrate on those, forecast
    the test values from the full rows; M4 scores, interval scores and timings.

    ``seeds`` > 1 fits that many models (seeds ``seed``, ``seed`` + 1, ...) the same way and
    forecasts their mean, with conformal intervals recalibrated for the mean on the same
    held-out window (``ensemble_intervals``); each member's own scores are kept too.
    """
    spec = {**MODEL, **overrides}
    lookback = int(spec["lookback"])
    full_df = long_frame(train)
    fit_df, held_df = split_holdout(full_df, lookback)
    members = [_fit_member(fit_df, held_df, full_df, seed=seed + k, spec=spec,
                           held_points=seeds > 1) for k in range(seeds)]
    member_points = [_points(m["forecast"]) for m in members]
    if seeds == 1:
        points, forecast = member_points[0], members[0]["forecast"]
    else:
        points = {sid: np.mean([p[sid] for p in member_points], axis=0) for sid in test}
        held_points = {sid: np.mean([m["held"][sid] for m in members], axis=0) for sid in test}
        held_truth = {sid: values[-HORIZON:] for sid, values in train.items()}
        forecast = ensemble_intervals(points, held_points, fit_df, held_truth)
    if set(points) != set(test) or any(len(p) != HORIZON for p in points.values()):
        raise RuntimeError("the forecast does not hold 48 steps for every series")

    n_windows = training_windows(fit_df, lookback)
    runs = []
    for k, member in enumerate(members):
        fc, history = member["fc"], member["fc"].history_
        runs.append({
            "seed": seed + k,
            **m4_scores(member_points[k], test, train),
            "fit_s": member["fit_s"], "loop_s": member["loop_s"],
            "predict_s": member["predict_s"], "epochs_trained": len(history),
            "best_epoch": int(history["val_loss"].to_numpy().argmin()) + 1,
            "epochs_trained_attr": int(fc.epochs_trained_),
            "best_val_loss": float(history["val_loss"].min()),
            "history": {k: [float(x) for x in v]
                        for k, v in history.to_dict(orient="list").items()},
        })
    first = members[0]["fc"]
    epochs = sum(r["epochs_trained"] for r in runs)
    loop_s = sum(r["loop_s"] for r in runs)
    out = {
        **runs[0],  # one model: its figures; an ensemble: the first member's, then overwritten
        "seeds": [r["seed"] for r in runs],
        **m4_scores(points, test, train),
        **interval_scores(forecast, test),
        "fit_s": sum(r["fit_s"] for r in runs), "loop_s": loop_s,
        "predict_s": sum(r["predict_s"] for r in runs),
        "train_windows_per_epoch": n_windows,
        # one target, so a window is one series-window
        "train_series_windows_per_s": epochs * n_windows / loop_s,
        "calibration_windows": int(first.calibration_.n_windows),
        "network": first.network_.config.to_dict(),
        "resolved": {k: first.config().resolved()[k] for k in (
            "cell", "attention", "hidden_size", "num_layers", "revin", "channel_independent",
            "segment_length", "loss", "learning_rate", "patience", "lr_scheduler", "dropout",
            "lookback", "max_epochs")},
    }
    if seeds > 1:
        out["members"] = runs
        out["intervals"] = "conformal, recalibrated for the mean forecast on the held-out window"
    return out


# -- command ---------------------------------------------------------------------------------------


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_common(parser, 1)
    parser.add_argument("--seed", type=int, default=0, help="training seed (default 0)")
    parser.add_argument("--max-epochs", type=int, default=None,
                        help=f"override max_epochs (default {MODEL['max_epochs']}; smoke 1)")
    parser.add_argument("--loss", choices=["mse", "mae", "huber"], default=None,
                        help="training loss (default: the library's, mse)")
    parser.add_argument("--seeds", type=int, default=1,
                        help="an ensemble: fit N models (seeds --seed, --seed + 1, ...) and "
                        "forecast their mean (default 1, one model)")
    add_set_argument(parser, "another Forecaster parameter, e.g. --set hidden_size=128")
    parser.add_argument("--series", type=int, default=None,
                        help=f"only the first N series (default all 414; smoke {SMOKE_SERIES})")
    parser.add_argument("--validation", action="store_true",
                        help="score on a validation split instead of the test file (which is "
                        "then never read): forecast the last 48 values of every training row "
                        "from the rest, the same protocol one horizon earlier; writes "
                        "panel_validation.json/.md")
    parser.add_argument("--peers", action="store_true",
                        help="also train NeuralForecast LSTM and Darts BlockRNNModel in "
                        "benchmarks/.venv-peers (make bench-peers-env) and write panel_peers."
                        "{json,md}; skipped with a note when that environment is absent")
    parser.add_argument("--peer-train-s", type=float, default=None,
                        help="the peers' training-time budget in seconds (default: tsattn's "
                        "training-loop time in this run)")


def chosen_options(args: argparse.Namespace) -> dict[str, Any]:
    """The configuration the command line asked for, on top of ``MODEL`` (the smoke run's tiny
    sizes are not part of it)."""
    chosen: dict[str, Any] = set_options(args)
    if args.loss:
        chosen["loss"] = args.loss
    if args.max_epochs:
        chosen["max_epochs"] = args.max_epochs
    return chosen


def config_label(chosen: dict[str, Any], seeds: int) -> str:
    """A row's name: "defaults", or what differs from them."""
    parts = [f"{k} {v}" for k, v in chosen.items()]
    if seeds > 1:
        parts.append(f"mean of {seeds} seeds")
    return ", ".join(parts) if parts else "defaults"


def main(args: argparse.Namespace) -> dict[str, Path]:
    import torch

    opts = common(args, 1)
    torch.set_num_threads(opts.threads or 1)
    machine = describe()
    started = time.perf_counter()
    if args.validation:  # the test file is never read
        rows_in = read_rows(REPO_ROOT / TRAIN_FILE)
        train = {sid: values[:-HORIZON] for sid, values in rows_in.items()}
        test = {sid: values[-HORIZON:] for sid, values in rows_in.items()}
    else:
        train, test = load()
    n_series = args.series or (SMOKE_SERIES if opts.smoke else None)
    if n_series:
        keep = list(train)[:n_series]
        train, test = {s: train[s] for s in keep}, {s: test[s] for s in keep}
    chosen = chosen_options(args)
    overrides: dict[str, Any] = {}
    if opts.smoke:
        overrides.update(max_epochs=1, hidden_size=16)
    overrides.update(chosen)
    label = config_label(chosen, args.seeds)

    snaive = m4_scores(seasonal_naive(train), test, train)
    run = fit_tsattn(train, test, seed=args.seed, overrides=overrides, seeds=args.seeds)
    scored = "validation" if args.validation else "this run"
    rows: list[dict[str, Any]] = [] if args.validation else [
        {"method": f"{name}\\*", "smape": s, "mase": m, "owa": o}
        for name, (s, m, o) in PUBLISHED.items()
    ]
    rows.append({"method": f"sNaive ({scored}: metric check)", **snaive})
    if label != "defaults" and not args.validation and not opts.smoke and not n_series:
        rows.append({"method": f"tsattn defaults ({DEFAULTS_RECORDED['when']})",
                     **{k: DEFAULTS_RECORDED[k] for k in ("smape", "mase", "owa")}})
    rows.append({"method": f"tsattn {label} ({scored})",
                 **{k: run[k] for k in ("smape", "mase", "owa")}})
    lengths = sorted({len(v) for v in train.values()})
    params = {
        "model": {**MODEL, **overrides, "horizon": HORIZON, "seed": args.seed,
                  "interval_levels": list(LEVELS)},
        "chosen": chosen, "seeds": args.seeds, "label": label,
        "validation": args.validation,
        "resolved": run["resolved"], "time_axis": f"hourly from {START} for every series",
        "holdout": f"last {HORIZON} training values per series (early stopping and conformal "
        "calibration)", "smoke": opts.smoke, "threads": opts.threads or 1,
        "wall_s": time.perf_counter() - started,
    }
    if args.validation:
        params["scored_on"] = (f"the last {HORIZON} values of every training row, forecast from "
                               "the rest (the test file is not read)")
    payload: dict[str, object] = {
        "params": params,
        "data": {"files": [TRAIN_FILE] if args.validation else [TRAIN_FILE, TEST_FILE],
                 "series": len(train), "train_lengths": lengths, "horizon": HORIZON,
                 "season": SEASON},
        "published": {name: dict(zip(("smape", "mase", "owa"), v, strict=True))
                      for name, v in PUBLISHED.items()},
        "snaive": snaive,
        # the published figures are for all 414 series' test values: nothing else matches them
        "snaive_check": {"expected": dict(zip(("smape", "mase"), PUBLISHED["sNaive"][:2],
                                              strict=True)),
                         "ok": snaive_matches(snaive)
                         if len(train) == N_SERIES and not args.validation else None},
        "tsattn": run, "rows": rows,
        "goal": {"owa_below": OWA_GOAL, "owa": run["owa"], "gap": run["owa"] - OWA_GOAL},
    }
    if label != "defaults":
        payload["defaults_recorded"] = DEFAULTS_RECORDED
    peer_note = "not run on the validation split" if args.validation else _peers_skipped(
        args, opts.peers)
    paths: dict[str, Path] = {}
    if not peer_note:
        peer_rows, peer_params = run_peers(train, test, run, overrides, args, opts.threads or 1)
        peer_payload: dict[str, object] = {
            "params": {**peer_params, "smoke": opts.smoke, "threads": opts.threads or 1},
            "data": payload["data"], "snaive": snaive,
            "tsattn": {k: run.get(k) for k in (
                "smape", "mase", "owa", "fit_s", "loop_s", "predict_s", "epochs_trained",
                "best_epoch", "train_windows_per_epoch", "train_series_windows_per_s")},
            "rows": peer_rows,
        }
        md = _peers_markdown(peer_rows, run, peer_params, len(train), opts.smoke)
        paths["peers_json"], paths["peers_markdown"] = write(
            "panel_peers", peer_payload, md, opts.out_dir, machine)
        payload["peers"] = "run in this run: see panel_peers.json / panel_peers.md"
    else:
        payload["peers"] = f"not run in this environment: {peer_note}"
    md = _markdown(rows, run, snaive, params, len(train), str(payload["peers"]))
    name = "panel_validation" if args.validation else "panel"
    paths["json"], paths["markdown"] = write(name, payload, md, opts.out_dir, machine)
    return paths


# -- peers -----------------------------------------------------------------------------------------


def _peers_skipped(args: argparse.Namespace, allowed: bool) -> str:
    """Why the peers are not run, or "" when they are."""
    if not args.peers:
        return "--peers not given (NeuralForecast and Darts live in benchmarks/.venv-peers)"
    if not allowed:
        return "--no-peers given"
    if peers_python() is None:
        return "benchmarks/.venv-peers is absent (make bench-peers-env builds it)"
    return ""


def run_peers(
    train: Series, test: Series, run: dict[str, Any], overrides: dict[str, Any],
    args: argparse.Namespace, threads: int,
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Each peer in a fresh process of the peers' interpreter, one after the other, on the
    first ``len(train)`` series; their point forecasts scored here with ``m4_scores``."""
    per_epoch = int(run["train_windows_per_epoch"])
    epochs = int(overrides.get("max_epochs", MODEL["max_epochs"]))
    budget_s = float(args.peer_train_s or run["loop_s"])
    params: dict[str, Any] = {
        "n_series": len(train), "seed": args.seed, "lookback": int(MODEL["lookback"]),
        "batch_size": int(MODEL["batch_size"]), "hidden": int(overrides.get("hidden_size", 64)),
        "max_windows": epochs * per_epoch, "max_train_s": budget_s,
        "val_every_windows": max(1, per_epoch // VAL_CHECKS_PER_EPOCH), "threads": threads,
    }
    python = peers_python()
    rows: list[dict[str, Any]] = []
    for label, func in PEERS:
        res = run_worker(f"panel_systems:{func}", params, python=python, threads=threads,
                         timeout_s=1.5 * budget_s + 900)
        if not res.ok:
            rows.append({"system": label, "error": res.error[-3000:]})
            continue
        result: dict[str, Any] = dict(res.result)
        points = {sid: np.asarray(v, np.float64) for sid, v in result.pop("forecasts").items()}
        if set(points) != set(test) or any(len(p) != HORIZON for p in points.values()):
            rows.append({"system": label, "error": "the forecast does not hold 48 steps for "
                         "every series"})
            continue
        rows.append({"system": label, **m4_scores(points, test, train), **result,
                     "peak_rss_mb": res.peak_rss_mb, "process_s": res.wall_s})
    return rows, {**params, "budget": f"at most {epochs} x {per_epoch:,} series-windows "
                  f"(tsattn's epochs x windows), cut at {budget_s:.1f} s of training "
                  "(tsattn's training-loop time in this run unless --peer-train-s)"}


def _peers_markdown(rows: list[dict[str, Any]], run: dict[str, Any], params: dict[str, Any],
                    n_series: int, smoke: bool) -> str:
    ours = {"system": "tsattn defaults (this run)", "smape": run["smape"], "mase": run["mase"],
            "owa": run["owa"], "loop_s": run["loop_s"],
            "trained_windows": run["epochs_trained"] * run["train_windows_per_epoch"],
            "epochs_equivalent": float(run["epochs_trained"]),
            "train_series_windows_per_s": run["train_series_windows_per_s"],
            "best": f"epoch {run['best_epoch']}"}
    cells = [ours]
    for row in rows:
        if "error" in row:
            cells.append({"system": row["system"], "note": "failed: see panel_peers.json"})
            continue
        share = row["best_at_windows"] / run["train_windows_per_epoch"]
        cells.append({**row, "best": f"{share:.2f} epochs' windows",
                      "note": "stopped by the time budget" if row["capped_by_time"]
                      else "window budget spent"})
    for cell in cells:
        for key in ("smape", "mase", "owa"):
            if isinstance(cell.get(key), float):
                cell[key] = f"{cell[key]:.3f}"
        if isinstance(cell.get("trained_windows"), int | float):
            cell["trained"] = (f"{int(cell['trained_windows']):,} "
                               f"({cell['epochs_equivalent']:.2f} epochs)")
    table = markdown_table(cells, [
        ("system", "system"), ("smape", "sMAPE"), ("mase", "MASE"), ("owa", "OWA"),
        ("loop_s", "training s"), ("trained", "series-windows trained (tsattn epochs)"),
        ("train_series_windows_per_s", "train series-windows/s"), ("best", "best validation at"),
        ("note", "note")])
    lines = [
        "## B6 peers: M4 Hourly, the same run (sMAPE, MASE, OWA; horizon 48)",
        "",
        f"{n_series} series, the split, test values and M4 metric code of the tsattn table. Peers "
        "in their own environment (`benchmarks/.venv-peers`), each in a fresh process: "
        f"NeuralForecast `LSTM(h={HORIZON}, input_size={params['lookback']}, encoder_n_layers=1, "
        f"encoder_hidden_size={params['hidden']}, decoder_hidden_size={params['hidden']}, "
        f"loss=MSE(), scaler_type='standard', windows_batch_size={params['batch_size']})` and "
        f"Darts `BlockRNNModel(model='LSTM', input_chunk_length={params['lookback']}, "
        f"output_chunk_length={HORIZON}, hidden_dim={params['hidden']}, n_rnn_layers=1, "
        f"batch_size={params['batch_size']}, use_reversible_instance_norm=True)`, Adam 1e-3, "
        "series z-scored with their training part's mean and std (as tsattn does). Trained on "
        f"each row minus its last {HORIZON} values, validated on those {HORIZON} (with their "
        f"{params['lookback']} values of context) every {params['val_every_windows']:,} "
        "series-windows, the best validation checkpoint kept; the test values forecast from the "
        f"full training rows. Budget: {params['budget']}; a peer stops at the last validation "
        "point that fits. Training s and series-windows/s: the Trainer loop, validation "
        "included, one thread each.",
        "",
        table,
    ]
    if smoke:
        lines += ["", f"SMOKE RUN: {n_series} series, 1 epoch, hidden 16; not a result."]
    return "\n".join(lines)


def _markdown(rows: list[dict[str, Any]], run: dict[str, Any], snaive: dict[str, float],
              params: dict[str, Any], n_series: int, peers: str) -> str:
    model, resolved = params["model"], params["resolved"]
    validation, seeds = params["validation"], params["seeds"]
    # M4 figures keep their three decimals (fmt rounds values over 10 to one)
    cells = [{k: f"{v:.3f}" if isinstance(v, float) else v for k, v in row.items()} for row in rows]
    table = markdown_table(cells, [("method", "method"), ("smape", "sMAPE"), ("mase", "MASE"),
                                   ("owa", "OWA")])
    extra = "".join(f", {k}={v!r}" for k, v in params["chosen"].items()
                    if k not in ("lookback", "max_epochs"))
    members = run.get("members", [run])
    if validation:
        title = ("## B6 many series: M4 Hourly, VALIDATION split (sMAPE, MASE, OWA; horizon 48)")
        what = (f"{n_series} series; the last 48 values of every training row forecast from the "
                "rest of it (the test file is not read), by the benchmark's protocol one horizon "
                "earlier: trained on each row minus its last 96 values, early stopping and "
                "calibration on values -96 to -49; MASE scaled on the rows the model sees.")
    else:
        title = "## B6 many series: M4 Hourly (sMAPE, MASE, OWA; horizon 48)"
        what = (f"{n_series} series; the 48 test values forecast from the whole training row; "
                "trained on each row minus its last 48 values, early stopping and conformal "
                f"calibration on those 48 ({run['calibration_windows']} windows, one per "
                "series).")
    ensemble = (f" The forecast is the mean of {seeds} models trained alike with seeds "
                f"{', '.join(str(x) for x in run['seeds'])}; its conformal intervals are "
                "recalibrated for the mean on the same held-out window."
                if seeds > 1 else "")
    lines = [
        title,
        "",
        f"{what} M4 metrics (MASE scaled by each series' in-sample seasonal naive, m = 24; OWA "
        "against Naive2's 18.383 / 2.395). tsattn: `Forecaster(target=\"y\", time_col=\"time\", "
        f"id_col=\"id\", lookback={model['lookback']}, horizon={HORIZON}, "
        f"max_epochs={model['max_epochs']}, batch_size={model['batch_size']}{extra}, "
        f"seed={model['seed']})`, all else the library defaults ({resolved['cell']}, "
        f"{resolved['attention']} attention, hidden {resolved['hidden_size']}, RevIN "
        f"{'on' if resolved['revin'] else 'off'}, segments of {resolved['segment_length']}, "
        f"{resolved['loss']} loss, patience {resolved['patience']}).{ensemble} Hourly time axis "
        f"made up from {START} for every series."
        + ("" if validation else " \\* published (official M4 results; Monash archive for "
           "GluonTS)."),
        "",
        table,
        "",
        "| tsattn | value |",
        "|---|---|",
        f"| OWA against the goal (< {OWA_GOAL:.3f}, the M4 winner) | {run['owa']:.3f} "
        f"({run['owa'] - OWA_GOAL:+.3f}) |",
        f"| 80 % interval: coverage / mean width (data units) / width ÷ mean abs(truth) | "
        f"{100 * run['coverage_80']:.1f} % / {fmt(run['width_80'])} / "
        f"{fmt(run['relative_width_80'])} |",
        f"| 95 % interval: coverage / mean width (data units) / width ÷ mean abs(truth) | "
        f"{100 * run['coverage_95']:.1f} % / {fmt(run['width_95'])} / "
        f"{fmt(run['relative_width_95'])} |",
        f"| epochs trained (best) / max{' per model' if seeds > 1 else ''} | "
        + ", ".join(f"{m['epochs_trained']} ({m['best_epoch']})" for m in members)
        + f" / {model['max_epochs']} |",
    ]
    if seeds > 1:
        lines.append("| each model alone: sMAPE / MASE / OWA | " + "; ".join(
            f"seed {m['seed']}: {m['smape']:.3f} / {m['mase']:.3f} / {m['owa']:.3f}"
            for m in members) + " |")
    lines += [
        f"| fit wall time s{', all models' if seeds > 1 else ''} (of it the Trainer loop) | "
        f"{run['fit_s']:.1f} ({run['loop_s']:.1f}) |",
        f"| training series-windows/s (loop, validation included) | "
        f"{fmt(run['train_series_windows_per_s'])} ({run['train_windows_per_epoch']:,} "
        "windows an epoch) |",
        f"| predict s ({n_series} series, intervals included) | {run['predict_s']:.2f} |",
    ]
    if not validation:
        lines.append(f"| sNaive check (published 13.912 / 1.193 over all {N_SERIES} series) | "
                     f"{snaive['smape']:.3f} / {snaive['mase']:.3f} |")
        lines += ["", f"Peers (NeuralForecast `LSTM`, Darts `BlockRNNModel`): {peers}."]
    if params["smoke"]:
        lines += ["", f"SMOKE RUN: {n_series} series, 1 epoch, hidden 16; not a result."]
    return "\n".join(lines)
