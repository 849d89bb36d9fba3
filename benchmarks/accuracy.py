"""B1: accuracy on the standard long-horizon protocol (ETTh1, exchange-rate; L = 96, H in
{96, 192, 336, 720}), tsattn through the public Forecaster API with a configs/ file, next to the
published DLinear / PatchTST / TimesNet / iTransformer figures and two baselines of the same run.

Targets (from the issue): at ETTh1 H = 96 an attention LSTM/GRU config under DLinear (MSE < 0.386)
and under the ridge baseline.
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

from benchmarks import baselines, protocol
from benchmarks.cli_common import add_common, add_set_argument, common, set_options
from benchmarks.machine import describe
from benchmarks.published import MODELS, PUBLISHED
from benchmarks.results import markdown_table, write
from benchmarks.runner import run_worker

HORIZONS = (96, 192, 336, 720)
LOOKBACK = 96


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_common(parser, 1)
    parser.add_argument("--datasets", default="etth1,exchange_rate", help="comma-separated")
    parser.add_argument("--horizons", default="96,192,336,720", help="comma-separated")
    parser.add_argument(
        "--max-epochs", type=int, default=None, help="override the configs' max_epochs"
    )
    parser.add_argument("--patience", type=int, default=None, help="override the configs' patience")
    parser.add_argument(
        "--config", action="append", default=[], metavar="DATASET=PATH",
        help="model config per data set (default: the data set's configs/ file)",
    )
    add_set_argument(
        parser, "extra Forecaster parameter for every tsattn run, e.g. --set cell='\"gru\"'")
    parser.add_argument(
        "--tsattn-on", default="", metavar="DATASET:H,...",
        help="train tsattn only for these rows, e.g. etth1:96 (default: every row; 'none' for "
        "baselines and published figures only)",
    )


def main(args: argparse.Namespace) -> dict[str, Path]:
    opts = common(args, 1)
    machine = describe()  # before the run: the commit measured
    datasets = ["etth1"] if opts.smoke else [d for d in args.datasets.split(",") if d]
    horizons = [96] if opts.smoke else [int(h) for h in args.horizons.split(",") if h]
    configs = {d: s.config for d, s in protocol.DATASETS.items()}
    configs.update(dict(c.split("=", 1) for c in args.config))
    overrides = set_options(args)
    run_params = {
        "max_epochs": 1 if opts.smoke else args.max_epochs,
        "patience": args.patience,
        "max_train_rows": 300 if opts.smoke else None,
        "overrides": overrides,
    }
    rows = []
    for dataset in datasets:
        data = protocol.scaled_splits(dataset, LOOKBACK)
        for horizon in horizons:
            row: dict[str, object] = {"dataset": dataset, "horizon": horizon,
                                      "config": configs[dataset]}
            row["repeat_last"] = baselines.repeat_last(data, LOOKBACK, horizon)
            row["ridge"] = baselines.ridge(data, LOOKBACK, horizon)
            row["published"] = {m: dict(zip(("mse", "mae"), v, strict=True))
                                for m, v in PUBLISHED[(dataset, horizon)].items()}
            if _wanted(args.tsattn_on, dataset, horizon):
                res = run_worker(
                    "accuracy_systems:tsattn_fit",
                    {"dataset": dataset, "config": configs[dataset], "horizon": horizon,
                     **run_params},
                    threads=opts.threads,
                )
                row["tsattn"] = (
                    {**res.result, "peak_rss_mb": res.peak_rss_mb} if res.ok
                    else {"error": res.error[-1500:]}
                )
            rows.append(row)
    averages = _averages(rows)
    payload = {"params": {"lookback": LOOKBACK, **run_params, "smoke": opts.smoke,
                          "threads": opts.threads},
               "rows": rows, "averages": averages, "targets": _targets(rows)}
    md = _markdown(rows, averages, run_params, smoke=opts.smoke)
    json_path, md_path = write("accuracy", payload, md, opts.out_dir, machine)
    return {"json": json_path, "markdown": md_path}


def _wanted(spec: str, dataset: str, horizon: int) -> bool:
    """Whether ``--tsattn-on`` asks for a tsattn run on this row."""
    if not spec:
        return True
    return f"{dataset}:{horizon}" in spec.split(",")


def _metric(row: dict, system: str, key: str) -> float:
    value = row.get(system, {}).get(key) if isinstance(row.get(system), dict) else None
    return float(value) if isinstance(value, int | float) else math.nan


def _averages(rows: list[dict]) -> list[dict[str, object]]:
    """Per data set, the mean over horizons of each system (only when all four were run)."""
    out = []
    for dataset in dict.fromkeys(r["dataset"] for r in rows):
        mine = [r for r in rows if r["dataset"] == dataset]
        if sorted(r["horizon"] for r in mine) != list(HORIZONS):
            continue
        avg: dict[str, object] = {"dataset": dataset, "horizon": "avg"}
        for system in ("tsattn", "ridge", "repeat_last"):
            avg[system] = {k: sum(_metric(r, system, k) for r in mine) / len(mine)
                           for k in ("mse", "mae")}
        avg["published"] = {m: dict(zip(("mse", "mae"), v, strict=True))
                            for m, v in PUBLISHED[(dataset, "avg")].items()}
        out.append(avg)
    return out


def _targets(rows: list[dict]) -> dict[str, object]:
    row = next((r for r in rows if r["dataset"] == "etth1" and r["horizon"] == 96), None)
    if row is None or "mse" not in row.get("tsattn", {}):
        return {"measured": False}
    mse = _metric(row, "tsattn", "mse")
    return {"measured": True, "etth1_h96_mse": mse,
            "beats_dlinear_0_386": mse < PUBLISHED[("etth1", 96)]["DLinear"][0],
            "beats_ridge": mse < _metric(row, "ridge", "mse")}


def _cell(row: dict, system: str) -> str:
    mse, mae = _metric(row, system, "mse"), _metric(row, system, "mae")
    return "–" if math.isnan(mse) else f"{mse:.3f} / {mae:.3f}"


def _markdown(rows: list[dict], averages: list[dict], params: dict, smoke: bool) -> str:
    table_rows = []
    for row in [*rows, *averages]:
        ts = row.get("tsattn", {}) if isinstance(row.get("tsattn"), dict) else {}
        cells = {"dataset": row["dataset"], "horizon": row["horizon"],
                 "tsattn": _cell(row, "tsattn"), "ridge": _cell(row, "ridge"),
                 "repeat_last": _cell(row, "repeat_last"),
                 "epochs": f"{ts['epochs_trained']}/{ts['max_epochs']}" if "epochs_trained" in ts
                 else ("error" if "error" in ts else None),
                 "fit_s": ts.get("fit_s"), "config": row.get("config")}
        for m in MODELS:
            mse, mae = row["published"][m]["mse"], row["published"][m]["mae"]
            cells[m] = f"{mse:.3f} / {mae:.3f}"
        table_rows.append(cells)
    columns = [("dataset", "data"), ("horizon", "H"), ("tsattn", "tsattn"),
               *((m, f"{m}*") for m in MODELS), ("ridge", "ridge L→H"),
               ("repeat_last", "repeat-last"), ("epochs", "epochs"), ("fit_s", "fit s"),
               ("config", "tsattn config")]
    note = " SMOKE RUN: 300 train rows, 1 epoch; not a result." if smoke else ""
    return (
        "## B1 accuracy (MSE / MAE, L = 96, z-scored with train statistics, every test window)\n\n"
        "\\* published (iTransformer, ICLR 2024, Table 10). ridge and repeat-last are computed in "
        "this run on the same windows; ridge = one ridge per channel from the 96 past values to "
        "the H future ones, alpha picked on the validation split. tsattn: the config named in the "
        "row with horizon set to H"
        + (f", max_epochs {params['max_epochs']}" if params["max_epochs"] else "")
        + (f", patience {params['patience']}" if params["patience"] is not None else "")
        + (f", overrides {params['overrides']}" if params["overrides"] else "")
        + "; early stopping on the validation split; epochs = trained / max; fit s = wall time "
        "of fit() on this machine (CPU)." + note + "\n\n"
        + markdown_table(table_rows, columns)
    )
