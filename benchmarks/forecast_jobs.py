"""B4 (database): the declared forecast job over 10,000 series, database in and database out.

The B4 model and history (see `inference_systems.prepare`) are loaded into a table; the job
`tsattn forecast --job job.yaml` reads them with a query, forecasts the next 24 steps and writes
them into a forecast table in one transaction, monitoring on. Timed from process start to
commit, as a scheduler would see three runs: day 1 (history up to 24 steps before the end;
creates the table), day 2 (the full history: monitoring first scores day 1's forecasts against
the 24 steps that arrived), and a rerun of day 2 (same origin: its rows are replaced). On SQLite
always; on PostgreSQL too when `--postgres-url` (or TSATTN_BENCH_POSTGRES) names a database.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

import yaml

from benchmarks.cli_common import add_common, common
from benchmarks.machine import describe
from benchmarks.results import markdown_table, write
from benchmarks.runner import run_command, run_worker

DEFAULT_REPEATS = 1
HORIZON = 24
_RUNS = ("day 1: creates the table", "day 2: scores day 1, writes a new origin",
         "day 2 rerun: same origin, rows replaced")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_common(parser, DEFAULT_REPEATS)
    parser.add_argument("--series", type=int, default=10_000, help="series to forecast")
    parser.add_argument("--history-steps", type=int, default=120,
                        help="rows per series (day 1 reads all but the last 24)")
    parser.add_argument("--postgres-url", default=os.environ.get("TSATTN_BENCH_POSTGRES"),
                        help="an empty PostgreSQL database to run the job against as well")


def main(args: argparse.Namespace) -> dict[str, Path]:
    opts = common(args, DEFAULT_REPEATS)
    machine = describe()
    n_series = 200 if opts.smoke else args.series
    rows: list[dict[str, object]] = []
    with tempfile.TemporaryDirectory(prefix="tsattn-b4db-") as tmp:
        prep = run_worker("inference_systems:prepare",
                          {"workdir": tmp, "n_series": n_series,
                           "history_steps": args.history_steps}, threads=opts.threads)  # fmt: skip
        if not prep.ok:
            raise RuntimeError(f"B4 (database) preparation failed: {prep.error}")
        urls = {"SQLite": f"sqlite:///{tmp}/warehouse.db"}
        if args.postgres_url:
            urls["PostgreSQL"] = args.postgres_url
        for engine, url in urls.items():
            cutoff = _load_history(url, Path(tmp) / "history.parquet")
            jobs = [_job_file(Path(tmp), url, engine, f"WHERE time < '{cutoff}'"),
                    _job_file(Path(tmp), url, engine, "")]
            for label, job in zip(_RUNS, [jobs[0], jobs[1], jobs[1]]):
                res = run_command([sys.executable, "-m", "tsattn.cli", "forecast", "--job",
                                   str(job), "--no-track"], threads=opts.threads)  # fmt: skip
                if not res.ok:
                    raise RuntimeError(f"B4 (database) {engine} run failed: {res.error}")
                rows.append({"path": f"{engine}, {label}", "wall_s": res.wall_s,
                             "peak_rss_mb": res.peak_rss_mb, "table_rows": _count(url)})
    expected = [n_series * HORIZON * k for k in (1, 2, 2)] * len(urls)
    summary = {"n_series": n_series, "expected_rows": expected,
               "rows_ok": [r["table_rows"] for r in rows] == expected}
    payload = {"params": {"n_series": n_series, "history_steps": args.history_steps,
                          "threads": opts.threads, "repeats": opts.repeats},
               "prepare": prep.result, "rows": rows, "summary": summary}  # fmt: skip
    columns = [("path", "path"), ("wall_s", "process start → commit, s"),
               ("peak_rss_mb", "peak RSS MiB"), ("table_rows", "rows in the table")]
    md = (
        "## B4 (database): a declared forecast job, database in and out\n\n"
        f"{n_series:,} series x {args.history_steps} rows read with a SQL query, the next "
        f"{HORIZON} steps written to a table in one transaction (B4's model), monitoring on "
        "(max_mase bound). Fresh process per run, tracking off.\n\n"
        + markdown_table(rows, columns)
    )
    json_path, md_path = write("forecast_jobs", payload, md, opts.out_dir, machine)
    return {"json": json_path, "markdown": md_path}


def _load_history(url: str, parquet: Path) -> str:
    """The job's input table (untimed), replacing any earlier copy; returns the bound (a second
    after day 1's last time: `<` on it reads the same on SQLite's text and PostgreSQL's times)."""
    import pandas as pd
    import sqlalchemy

    history = pd.read_parquet(parquet)
    engine = sqlalchemy.create_engine(url)
    with engine.begin() as connection:
        connection.execute(sqlalchemy.text("DROP TABLE IF EXISTS forecasts"))
        history.to_sql("history", connection, index=False, if_exists="replace", chunksize=50_000)
    engine.dispose()
    times = pd.Series(pd.to_datetime(history["time"]).unique()).sort_values()
    return str(times.iloc[-HORIZON - 1] + pd.Timedelta(seconds=1))


def _job_file(folder: Path, url: str, engine: str, where: str) -> Path:
    spec = {
        "name": f"b4-database-{engine.lower()}",
        "schedule": "benchmark",
        "model": str(folder / "model"),
        "input": {"url": url, "sql": f"SELECT * FROM history {where}".strip()},
        "output": {"url": url, "table": "forecasts"},
        "monitoring": {"max_mase": 1000.0},
    }
    path = folder / f"job-{engine.lower()}-{'day1' if where else 'day2'}.yaml"
    path.write_text(yaml.safe_dump(spec))
    return path


def _count(url: str) -> int:
    import sqlalchemy

    engine = sqlalchemy.create_engine(url)
    with engine.connect() as connection:
        count = connection.execute(sqlalchemy.text("SELECT COUNT(*) FROM forecasts")).scalar()
    engine.dispose()
    return int(count or 0)
