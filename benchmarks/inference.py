"""B4: batch inference for scheduled jobs. Forecast the next 24 steps of 10,000 series (lookback
96, target + 3 past covariates) from a saved model: wall time and peak RSS from process start to
the forecast file written. Target (from the issue): 10,000 series in < 30 s.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from benchmarks.cli_common import add_common, common
from benchmarks.machine import describe
from benchmarks.results import markdown_table, median_row, write
from benchmarks.runner import run_command, run_worker

DEFAULT_REPEATS = 3


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_common(parser, DEFAULT_REPEATS)
    parser.add_argument("--series", type=int, default=10_000, help="series to forecast")
    parser.add_argument(
        "--history-steps", type=int, default=96, help="rows of history per series (>= lookback 96)"
    )


def main(args: argparse.Namespace) -> dict[str, Path]:
    opts = common(args, DEFAULT_REPEATS)
    machine = describe()  # before the run: the commit measured
    n_series = 200 if opts.smoke else args.series
    params = {"n_series": n_series, "history_steps": args.history_steps}
    with tempfile.TemporaryDirectory(prefix="tsattn-b4-") as tmp:
        prep = run_worker("inference_systems:prepare", {"workdir": tmp, **params},
                          threads=opts.threads)
        if not prep.ok:
            raise RuntimeError(f"B4 preparation failed: {prep.error}")
        model, data = f"{tmp}/model", f"{tmp}/history.parquet"
        cli: list[dict[str, object]] = []
        api: list[dict[str, object]] = []
        for i in range(opts.repeats):  # interleaved: CLI then API, a fresh process each
            out = f"{tmp}/forecast-cli-{i}.parquet"
            res = run_command([sys.executable, "-m", "tsattn.cli", "predict", "--model", model,
                               "--data", data, "--output", out], threads=opts.threads)
            if not res.ok:
                raise RuntimeError(f"B4 CLI run failed: {res.error}")
            cli.append({"wall_s": res.wall_s, "peak_rss_mb": res.peak_rss_mb,
                        "forecast_rows": _rows(out)})
            res = run_worker("inference_systems:api_predict",
                             {"model_dir": model, "data": data,
                              "output": f"{tmp}/forecast-api-{i}.parquet"}, threads=opts.threads)
            if not res.ok:
                raise RuntimeError(f"B4 API run failed: {res.error}")
            api.append({"wall_s": res.wall_s, "peak_rss_mb": res.peak_rss_mb, **res.result})
    rows = [
        {"path": "CLI: python -m tsattn.cli predict", **median_row(cli)},
        {"path": "API: Forecaster.load -> predict -> to_parquet", **median_row(api)},
    ]
    expected = n_series * 24
    summary = {
        "n_series": n_series, "expected_rows": expected,
        "rows_ok": all(r["forecast_rows"] == expected for r in rows),
        "target_under_30s": bool(rows[0]["wall_s"] < 30.0) if not opts.smoke else None,
    }
    run_params = {**params, "threads": opts.threads, "repeats": opts.repeats}
    payload = {"params": run_params, "prepare": prep.result, "rows": rows, "summary": summary}
    md = _markdown(rows, params)
    json_path, md_path = write("inference", payload, md, opts.out_dir, machine)
    return {"json": json_path, "markdown": md_path}


def _rows(path: str) -> float:
    import pyarrow.parquet as pq

    return float(pq.ParquetFile(path).metadata.num_rows)


def _markdown(rows: list[dict[str, object]], params: dict[str, object]) -> str:
    columns = [("path", "path"), ("wall_s", "process start → file, s"),
               ("peak_rss_mb", "peak RSS MiB"), ("imports_s", "imports s"), ("load_s", "load s"),
               ("read_s", "read s"), ("predict_s", "predict s"), ("write_s", "write s"),
               ("forecast_rows", "rows written")]
    return (
        "## B4 batch inference\n\n"
        f"{params['n_series']:,} series x {params['history_steps']} rows of history (target + 3 "
        "past covariates, parquet) → the next 24 steps, from a model saved to disk (the default "
        "Forecaster with hidden 64: LSTM, Luong (general) attention, RevIN, channel-independent, "
        "lookback 96 read in segments of 6). Each path runs in a fresh process; wall "
        "time from spawn to exit, so interpreter start and imports count. Medians of the "
        "repeats.\n\n"
        + markdown_table(rows, columns)
    )
