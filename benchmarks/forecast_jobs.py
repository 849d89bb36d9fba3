"""B4 (database): the declared forecast job over 10,000 series, database in and database out.

The B4 model and history (see `inference_systems.prepare`) are loaded into a table; the job
`tsattn forecast --job job.yaml` reads them with a query, forecasts the next 24 steps and writes
them into a forecast table in one transaction. Timed from process start to commit, run twice:
the second run is a rerun of the same origin, which replaces its rows. On SQLite always; on
PostgreSQL too when `--postgres-url` (or TSATTN_BENCH_POSTGRES) names a database to use.
Monitoring of earlier origins is not implemented yet, so it is not part of the timing.
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
from benchmarks.results import markdown_table, median_row, write
from benchmarks.runner import run_command, run_worker

DEFAULT_REPEATS = 2  # the first run creates the table, the second replaces the same origin
HORIZON = 24


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_common(parser, DEFAULT_REPEATS)
    parser.add_argument("--series", type=int, default=10_000, help="series to forecast")
    parser.add_argument("--history-steps", type=int, default=96, help="rows per series")
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
            _load_history(url, Path(tmp) / "history.parquet")
            job = _job_file(Path(tmp), url, engine)
            runs = []
            for _ in range(opts.repeats):
                res = run_command([sys.executable, "-m", "tsattn.cli", "forecast", "--job",
                                   str(job), "--no-track"], threads=opts.threads)  # fmt: skip
                if not res.ok:
                    raise RuntimeError(f"B4 (database) {engine} run failed: {res.error}")
                runs.append({"wall_s": res.wall_s, "peak_rss_mb": res.peak_rss_mb,
                             "table_rows": _count(url)})  # fmt: skip
            first, *again = runs
            rows.append({"path": f"{engine}: first run (creates the table)", **first})
            if again:
                rows.append({"path": f"{engine}: rerun, same origin (replaces)",
                             **median_row(again)})  # fmt: skip
    expected = n_series * HORIZON
    summary = {"n_series": n_series, "expected_rows": expected,
               "rows_ok": all(r["table_rows"] == expected for r in rows)}  # fmt: skip
    payload = {"params": {"n_series": n_series, "history_steps": args.history_steps,
                          "threads": opts.threads, "repeats": opts.repeats},
               "prepare": prep.result, "rows": rows, "summary": summary}  # fmt: skip
    columns = [("path", "path"), ("wall_s", "process start → commit, s"),
               ("peak_rss_mb", "peak RSS MiB"), ("table_rows", "rows in the table")]
    md = (
        "## B4 (database): a declared forecast job, database in and out\n\n"
        f"{n_series:,} series x {args.history_steps} rows read with a SQL query, the next "
        f"{HORIZON} steps written to a table in one transaction (B4's model). Fresh process per "
        "run, tracking off; monitoring is not implemented yet.\n\n"
        + markdown_table(rows, columns)
    )
    json_path, md_path = write("forecast_jobs", payload, md, opts.out_dir, machine)
    return {"json": json_path, "markdown": md_path}


def _load_history(url: str, parquet: Path) -> None:
    """The job's input table (untimed), replacing any earlier copy."""
    import pandas as pd
    import sqlalchemy

    engine = sqlalchemy.create_engine(url)
    with engine.begin() as connection:
        connection.execute(sqlalchemy.text("DROP TABLE IF EXISTS forecasts"))
        pd.read_parquet(parquet).to_sql("history", connection, index=False, if_exists="replace",
                                        chunksize=50_000)  # fmt: skip
    engine.dispose()


def _job_file(folder: Path, url: str, engine: str) -> Path:
    spec = {
        "name": f"b4-database-{engine.lower()}",
        "schedule": "benchmark",
        "model": str(folder / "model"),
        "input": {"url": url, "sql": "SELECT * FROM history"},
        "output": {"url": url, "table": "forecasts"},
    }
    path = folder / f"job-{engine.lower()}.yaml"
    path.write_text(yaml.safe_dump(spec))
    return path


def _count(url: str) -> int:
    import sqlalchemy

    engine = sqlalchemy.create_engine(url)
    with engine.connect() as connection:
        count = connection.execute(sqlalchemy.text("SELECT COUNT(*) FROM forecasts")).scalar()
    engine.dispose()
    return int(count or 0)
