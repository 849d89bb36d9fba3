"""B3: windowing at scale. Build the training windows of a synthetic long panel and iterate one
epoch of batches (no model) with tsattn, each peer's dataset object and the numpy floor.

Targets (from the issue): tsattn builds the 2M-row dataset in < 2 s, iterates an epoch within 2x
the numpy reference and peaks within 1.5x its RSS.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from benchmarks.cli_common import Common, add_common, common
from benchmarks.machine import describe
from benchmarks.results import fmt, markdown_table, median_row, ratio, write
from benchmarks.runner import peers_python, run_worker

# (label, worker function in scale_systems, needs the peers' environment)
SYSTEMS = [
    ("numpy sliding_window_view (floor)", "numpy_reference", False),
    ("tsattn WindowDataset", "tsattn_dataset", False),
    ("Darts SequentialTorchTrainingDataset", "darts_dataset", True),
    ("NeuralForecast TimeSeriesDataset + unfold", "neuralforecast_dataset", True),
    ("PyTorch Forecasting TimeSeriesDataSet", "pytorch_forecasting_dataset", True),
]
# (series, steps, with peers): three sizes of tsattn and numpy show how the cost grows
FULL_SIZES = [(1_000, 2_000, True), (5_000, 2_000, False), (10_000, 2_000, False)]
SMOKE_SIZES = [(20, 300, True)]
DEFAULT_REPEATS = 3


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_common(parser, DEFAULT_REPEATS)
    parser.add_argument(
        "--max-epoch-s", type=float, default=120.0,
        help="stop a slow loader's epoch after this many seconds and extrapolate (default 120)",
    )
    parser.add_argument(
        "--peers-at-large", action="store_true",
        help="also run the peers on the 10,000-series panel (slow; off by default)",
    )


def main(args: argparse.Namespace) -> dict[str, Path]:
    opts = common(args, DEFAULT_REPEATS)
    machine = describe()  # before the run: the commit measured
    params = {"lookback": 96, "horizon": 24, "batch_size": 256, "max_epoch_s": args.max_epoch_s}
    if opts.smoke:
        params["max_epoch_s"] = min(args.max_epoch_s, 10.0)
    sizes = SMOKE_SIZES if opts.smoke else FULL_SIZES
    rows = []
    for n_series, n_steps, with_peers in sizes:
        systems = _systems(opts, with_peers or args.peers_at_large)
        size = {"n_series": n_series, "n_steps": n_steps}
        rows += _measure(systems, {**params, **size}, opts)
    run_params = {**params, "threads": opts.threads, "repeats": opts.repeats}
    payload = {"params": run_params, "sizes": sizes, "rows": rows, "targets": _targets(rows)}
    json_path, md_path = write("scale", payload, _markdown(rows, params), opts.out_dir, machine)
    return {"json": json_path, "markdown": md_path}


def _systems(opts: Common, with_peers: bool) -> list[tuple[str, str, str | None]]:
    """(label, target, python) of each system to run; peers only when their env exists."""
    peers = peers_python() if opts.peers and with_peers else None
    chosen = []
    for label, func, needs_peers in SYSTEMS:
        if needs_peers and peers is None:
            continue
        chosen.append((label, f"scale_systems:{func}", str(peers) if needs_peers else None))
    return chosen


def _measure(
    systems: list[tuple[str, str, str | None]], params: dict[str, object], opts: Common
) -> list[dict[str, object]]:
    """Interleave the systems ``opts.repeats`` times, each in a fresh process; medians."""
    runs: dict[str, list[dict[str, object]]] = {label: [] for label, _, _ in systems}
    errors: dict[str, str] = {}
    for _ in range(opts.repeats):
        for label, target, python in systems:
            res = run_worker(target, params, python=python, threads=opts.threads)
            if not res.ok:
                errors[label] = res.error
                continue
            r = dict(res.result)
            r["peak_rss_mb"] = res.peak_rss_mb
            r["dataset_rss_mb"] = res.peak_rss_mb - float(r["rss_setup_mb"])  # type: ignore[arg-type]
            r["epoch_windows_per_s"] = ratio(r["n_windows"], r["epoch_s"])
            r["build_s_per_m_rows"] = ratio(r["build_s"], _rows(params) / 1e6)
            runs[label].append(r)
    rows = []
    for label, _, _ in systems:
        base = {"system": label, "n_series": params["n_series"], "n_steps": params["n_steps"]}
        if runs[label]:
            rows.append({**base, **median_row(runs[label])})
        else:
            rows.append({**base, "error": errors.get(label, "no run")[-1500:]})
    ref = rows[0]
    for row in rows:
        row["epoch_vs_numpy"] = ratio(row.get("epoch_s"), ref.get("epoch_s"))
        row["peak_rss_vs_numpy"] = ratio(row.get("peak_rss_mb"), ref.get("peak_rss_mb"))
    return rows


def _rows(params: dict[str, object]) -> int:
    return int(params["n_series"]) * int(params["n_steps"])  # type: ignore[call-overload]


def _targets(rows: list[dict[str, object]]) -> dict[str, object]:
    """The issue's B3 targets, checked on the 1,000-series panel (NaN/False when not measured);
    growth = build and epoch seconds per row at 10,000 series over those at 1,000 (1.0 = linear)."""
    mine = {r["n_series"]: r for r in rows
            if str(r["system"]).startswith("tsattn") and "build_s" in r}
    ours = mine.get(1_000)
    if ours is None:
        return {"measured": False}
    large = mine.get(10_000)
    growth = {} if large is None else {
        "build_per_row_10k_over_1k": ratio(large["build_s_per_m_rows"],
                                           ours["build_s_per_m_rows"]),
        "epoch_per_row_10k_over_1k": ratio(float(large["epoch_s"]) / 10,  # type: ignore[arg-type]
                                           ours["epoch_s"]),
    }
    return {
        "measured": True,
        **growth,
        "build_under_2s": float(ours["build_s"]) < 2.0,  # type: ignore[arg-type]
        "epoch_within_2x_numpy": float(ours["epoch_vs_numpy"]) <= 2.0,  # type: ignore[arg-type]
        "peak_rss_within_1_5x_numpy": float(ours["peak_rss_vs_numpy"]) <= 1.5,  # type: ignore[arg-type]
    }


def _markdown(rows: list[dict[str, object]], params: dict[str, object]) -> str:
    for row in rows:
        row["panel"] = f"{row['n_series']:,} x {row['n_steps']:,}"
        row["epoch"] = (
            f"{fmt(row['epoch_s'])}{'*' if row.get('epoch_extrapolated') else ''}"
            if isinstance(row.get("epoch_s"), float) else "error"
        )
    columns = [
        ("panel", "series x steps"), ("system", "system"), ("build_s", "build s"),
        ("build_s_per_m_rows", "build s / M rows"),
        ("epoch", "epoch s"), ("epoch_windows_per_s", "windows/s"),
        ("epoch_vs_numpy", "epoch / numpy"), ("peak_rss_mb", "peak RSS MiB"),
        ("dataset_rss_mb", "peak - setup MiB"), ("peak_rss_vs_numpy", "peak / numpy"),
    ]
    return (
        "## B3 windowing at scale\n\n"
        f"Lookback {params['lookback']}, horizon {params['horizon']}, stride 1, batch "
        f"{params['batch_size']}; target + 3 covariates, float32 random walks. Build = DataFrame "
        "to training dataset; epoch = one shuffled pass over every window with no model. Each "
        "system runs in a fresh process (peak RSS is that process's VmHWM; 'setup' = after "
        "imports and the frame). Medians of the interleaved repeats. * epoch extrapolated from "
        f"the batches seen in {params['max_epoch_s']} s.\n\n"
        + markdown_table(rows, columns)
    )
