"""B2: training and inference speed of tsattn's default attention model against the peers, on the
same ETTh1 workload, interleaved in one run (each system in a fresh process, medians of repeats).

Headline: ours / best peer in series-windows per second (windows x channels they cover), and the
issue's target: training >= 5x the fastest peer that reaches test MSE < 0.45.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from benchmarks.cli_common import add_common, common
from benchmarks.machine import describe
from benchmarks.results import markdown_table, median_row, ratio, write
from benchmarks.runner import peers_python, run_worker

OURS = "tsattn (configs/etth1.yaml model)"
# (label, worker function in speed_systems, needs the peers' environment)
SYSTEMS = [
    (OURS, "tsattn_model", False),
    ("Darts BlockRNNModel (LSTM)", "darts_block_rnn", True),
    ("Darts TFTModel", "darts_tft", True),
    ("NeuralForecast LSTM", "neuralforecast_lstm", True),
    ("PyTorch Forecasting RecurrentNetwork (LSTM)", "pytorch_forecasting_rnn", True),
    ("PyTorch Forecasting TemporalFusionTransformer", "pytorch_forecasting_tft", True),
]
MSE_BAR = 0.45
DEFAULT_REPEATS = 1


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_common(parser, DEFAULT_REPEATS)
    parser.add_argument("--epochs", type=int, default=1, help="training epochs for every system")
    parser.add_argument(
        "--max-train-s", type=float, default=600.0,
        help="stop a system's training after this many seconds (its row says so; default 600)",
    )
    parser.add_argument(
        "--systems", default="", help="comma-separated worker names to run (default: all)"
    )
    parser.add_argument("--config", default="configs/etth1.yaml", help="tsattn's model config")


def main(args: argparse.Namespace) -> dict[str, Path]:
    opts = common(args, DEFAULT_REPEATS)
    machine = describe()  # before the run: the commit measured
    params: dict[str, object] = {
        "epochs": args.epochs, "lookback": 96, "horizon": 96, "batch_size": 32,
        "max_train_rows": None, "max_train_s": args.max_train_s,
    }
    if opts.smoke:  # the last 400 train rows (209 windows) and the first 193 test windows
        params.update(epochs=1, max_train_rows=400, max_train_s=min(args.max_train_s, 20.0))
    wanted = {s for s in args.systems.split(",") if s}
    peers = peers_python() if opts.peers else None
    systems = [
        (label, func, str(peers) if needs else None)
        for label, func, needs in SYSTEMS
        if (not needs or peers is not None) and (not wanted or func in wanted)
    ]
    runs: dict[str, list[dict[str, object]]] = {label: [] for label, _, _ in systems}
    errors: dict[str, str] = {}
    for _ in range(opts.repeats):  # interleaved: every system once per round
        for label, func, python in systems:
            extra = {"config": args.config} if func == "tsattn_model" else {}
            res = run_worker(f"speed_systems:{func}", {**params, **extra}, python=python,
                             threads=opts.threads)
            if res.ok:
                runs[label].append({**res.result, "peak_rss_mb": res.peak_rss_mb,
                                    "process_s": res.wall_s})
            else:
                errors[label] = res.error[-1500:]
    rows = [
        {"system": label, **median_row(runs[label])} if runs[label]
        else {"system": label, "error": errors.get(label, "no run")}
        for label, _, _ in systems
    ]
    summary = _summary(rows)
    run_params = {**params, "threads": opts.threads, "repeats": opts.repeats}
    payload = {"params": run_params, "rows": rows, "summary": summary}
    md = _markdown(rows, params, summary)
    json_path, md_path = write("speed", payload, md, opts.out_dir, machine)
    return {"json": json_path, "markdown": md_path}


def _best(rows: list[dict[str, object]], key: str, mse_bar: float | None) -> dict[str, object]:
    """The peer with the highest ``key``, among those under ``mse_bar`` when given."""
    peers = [r for r in rows if r["system"] != OURS and isinstance(r.get(key), float)]
    if mse_bar is not None:
        peers = [r for r in peers if float(r["test_mse"]) < mse_bar]  # type: ignore[arg-type]
    return max(peers, key=lambda r: float(r[key]), default={})  # type: ignore[arg-type]


def _summary(rows: list[dict[str, object]]) -> dict[str, object]:
    ours = next((r for r in rows if r["system"] == OURS), {})
    out: dict[str, object] = {"mse_bar": MSE_BAR}
    for key in ("train_series_windows_per_s", "infer_series_windows_per_s"):
        for tag, bar in (("best_peer", None), ("best_peer_under_bar", MSE_BAR)):
            best = _best(rows, key, bar)
            out[f"{key}_{tag}"] = best.get("system")
            out[f"{key}_ratio_vs_{tag}"] = ratio(ours.get(key), best.get(key))
    train_ratio = out["train_series_windows_per_s_ratio_vs_best_peer_under_bar"]
    out["target_train_5x_fastest_peer_under_bar"] = (
        bool(train_ratio >= 5.0) if isinstance(train_ratio, float) and train_ratio == train_ratio
        else None
    )
    out["ours_test_mse"] = ours.get("test_mse")
    return out


def _markdown(rows: list[dict[str, object]], params: dict[str, object], summary: dict) -> str:
    for row in rows:
        if row.get("capped"):
            row["note"] = f"stopped at {params['max_train_s']} s ({row['epochs_done']:.2f} epochs)"
        elif "error" in row:
            row["note"] = "failed: see JSON"
    columns = [
        ("system", "system"), ("train_series_windows_per_s", "train series-win/s"),
        ("train_windows_per_s", "train win/s"), ("s_per_epoch", "s/epoch"),
        ("infer_series_windows_per_s", "infer series-win/s"), ("test_mse", "test MSE"),
        ("test_mae", "test MAE"), ("peak_rss_mb", "peak RSS MiB"), ("note", "note"),
    ]
    lines = [
        "## B2 speed against peers (ETTh1, L = 96, H = 96)\n",
        f"{params['epochs']} epoch(s) each, hidden 64, 1 layer, batch 32, Adam 1e-3, MSE loss, no "
        "validation; CPU, each system in a fresh process. A series-window is one window of one "
        "channel: tsattn and Darts forecast 7 channels per window, NeuralForecast and PyTorch "
        "Forecasting one. s/epoch = training loop only; inference = every test window (stride 1); "
        "test MSE on the train z-score scale (B1's metric).\n",
        markdown_table(rows, columns),
        "",
        f"ours / best peer, training: {_r(summary, 'train', 'best_peer')} "
        f"({summary['train_series_windows_per_s_best_peer']}); against the fastest peer with test "
        f"MSE < {MSE_BAR}: {_r(summary, 'train', 'best_peer_under_bar')} "
        f"({summary['train_series_windows_per_s_best_peer_under_bar']}; target >= 5x). "
        f"Inference: {_r(summary, 'infer', 'best_peer')} "
        f"({summary['infer_series_windows_per_s_best_peer']}).",
    ]
    return "\n".join(lines)


def _r(summary: dict, kind: str, tag: str) -> str:
    value = summary[f"{kind}_series_windows_per_s_ratio_vs_{tag}"]
    if value != value:
        return "–"
    return f"{value:.1f}x" if value >= 1 else f"{value:.3f}x"
