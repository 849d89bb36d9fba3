"""Tuning throughput: finished trials per minute of `tsattn tune` with 1 vs 2 CPU workers.

Runs the real command (subprocess, own sqlite study per setting) on the same small ETTh1 slice
and search space, so what is timed is what a user runs: worker start-up, storage coordination
and training. `python -m benchmarks.tune_throughput [--trials N] [--smoke] [--storage URL]`;
`--storage` (or `TUNE_STORAGE=postgresql://...` with `make bench-tune`) runs each setting in its
own fresh study on that server instead of a sqlite file.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import optuna
import pandas as pd
import yaml

from benchmarks.machine import describe
from benchmarks.results import RESULTS_DIR, markdown_table, write

ROOT = Path(__file__).resolve().parents[1]


def experiment(root: Path, rows: int, epochs: int) -> dict[str, object]:
    """A small but real study: OT + HUFL of ETTh1, a 3-parameter space, median pruning."""
    frame = pd.read_csv(ROOT / "data" / "ETTh1.csv", usecols=["date", "HUFL", "OT"]).iloc[:rows]
    frame.to_csv(root / "etth1_slice.csv", index=False)
    return {
        "name": "throughput",
        "data": {"path": str(root / "etth1_slice.csv"), "split": {"train": 0.7, "val": 0.3}},
        "forecaster": {
            "target": ["OT"], "past_covariates": ["HUFL"], "time_col": "date",
            "calendar_features": "none", "lookback": 48, "horizon": 24, "batch_size": 64,
            "max_epochs": epochs, "patience": None, "accelerator": "cpu",
            "enable_progress_bar": False,
        },  # fmt: skip
        "tracking": {"enabled": False},
        "output_dir": str(root / "outputs"),
        "tune": {
            "sampler": "tpe", "pruner": "median", "n_startup_trials": 2, "seed": 0,
            "space": {
                "hidden_size": {"type": "int", "low": 8, "high": 32, "step": 8},
                "cell": {"type": "categorical", "choices": ["lstm", "gru"]},
                "learning_rate": {"type": "float", "low": 1e-4, "high": 1e-2, "log": True},
            },
        },  # fmt: skip
    }


def run_setting(
    workers: int, trials: int, rows: int, epochs: int, server: str | None = None
) -> dict[str, object]:
    """One fresh study with `workers` CPU processes; wall time from command start to exit."""
    with tempfile.TemporaryDirectory(prefix="tsattn-tune-bench-") as tmp:
        root = Path(tmp)
        config = root / "tune.yaml"
        config.write_text(yaml.safe_dump(experiment(root, rows, epochs)))
        command = [sys.executable, "-m", "tsattn", "tune", "--config", str(config),
                   "--trials", str(trials), "--workers", str(workers), "--no-track"]  # fmt: skip
        name = f"throughput-{workers}w-{time.time_ns()}"  # fresh on a shared server
        if server:
            command += ["--storage", server, "--study", name]
        started = time.perf_counter()
        done = subprocess.run(command, cwd=root, capture_output=True, text=True)
        seconds = time.perf_counter() - started
        if done.returncode != 0:
            raise RuntimeError(f"tsattn tune failed:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
        storage = server or f"sqlite:///{root / 'outputs' / 'throughput' / 'study.db'}"
        study = optuna.load_study(study_name=name if server else "throughput", storage=storage)
        states = pd.Series([t.state.name for t in study.trials]).value_counts().to_dict()
    finished = states.get("COMPLETE", 0) + states.get("PRUNED", 0)
    return {
        "workers": workers,
        "trials finished": finished,
        "complete": states.get("COMPLETE", 0),
        "pruned": states.get("PRUNED", 0),
        "wall s": round(seconds, 1),
        "trials / min": round(60.0 * finished / seconds, 2),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--trials", type=int, default=12)
    parser.add_argument("--rows", type=int, default=3000, help="ETTh1 rows in the slice")
    parser.add_argument("--epochs", type=int, default=10)  # start-up dominates shorter trials
    parser.add_argument("--smoke", action="store_true", help="2 trials, 1 epoch, 600 rows")
    parser.add_argument("--out", type=Path, default=RESULTS_DIR)
    parser.add_argument("--storage", default=os.environ.get("TUNE_STORAGE") or None,
                        help="study server URL (default: $TUNE_STORAGE, else sqlite)")  # fmt: skip
    args = parser.parse_args(argv)
    if args.smoke:
        args.trials, args.rows, args.epochs = 2, 600, 1
        args.out = args.out / "smoke" if args.out == RESULTS_DIR else args.out
    machine = describe()
    rows = [run_setting(w, args.trials, args.rows, args.epochs, args.storage) for w in (1, 2)]
    where = "sqlite" if not args.storage else args.storage.split(":", 1)[0].split("+")[0]
    speedup = rows[1]["trials / min"] / rows[0]["trials / min"]  # type: ignore[operator]
    columns = [(key, key) for key in rows[0]]
    body = (
        f"## Tuning throughput (`tsattn tune`, CPU workers, {where} study)\n\n"
        f"{args.trials} trials per setting, ETTh1 OT+HUFL slice of {args.rows} rows, L=48, H=24, "
        f"{args.epochs} epochs per trial, TPE + median pruning, fresh {where} study each.\n\n"
        f"{markdown_table(rows, columns)}\n\n2 workers / 1 worker: **{speedup:.2f}x**\n"
    )
    params = vars(args) | {"out": str(args.out), "storage": where}  # no credentials in results
    payload = {"params": params, "rows": rows, "speedup": speedup}
    name = "tune_throughput" if where == "sqlite" else f"tune_throughput_{where}"
    json_path, md_path = write(name, payload, body, args.out, machine)
    print(body)
    print(f"json: {json_path}\nmarkdown: {md_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
