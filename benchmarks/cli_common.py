"""Arguments every benchmark subcommand shares."""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.results import RESULTS_DIR


@dataclass(frozen=True)
class Common:
    """Options of one benchmark run."""

    smoke: bool
    out_dir: Path
    repeats: int
    peers: bool
    threads: int | None


def add_common(parser: argparse.ArgumentParser, default_repeats: int) -> None:
    parser.add_argument(
        "--smoke", action="store_true", help="tiny sizes, seconds: CI's check that the harness runs"
    )
    parser.add_argument(
        "--out", type=Path, default=None,
        help=f"results folder (default {RESULTS_DIR}, or its smoke/ subfolder with --smoke)",
    )
    parser.add_argument(
        "--repeats", type=int, default=None,
        help=f"interleaved repeats per system, medians reported (default {default_repeats}, "
        "smoke 1)",
    )
    parser.add_argument(
        "--no-peers", action="store_true", help="skip the peer rows even when their env exists"
    )
    parser.add_argument(
        "--threads", type=int, default=1,
        help="torch/OpenMP threads for every system (default 1: on a shared 2-core machine two "
        "threads contend with each other and with other jobs, and run several times slower)",
    )


def common(args: argparse.Namespace, default_repeats: int) -> Common:
    out = args.out or (RESULTS_DIR / "smoke" if args.smoke else RESULTS_DIR)
    repeats = args.repeats or (1 if args.smoke else default_repeats)
    return Common(args.smoke, out, repeats, not args.no_peers, args.threads)


def add_set_argument(parser: argparse.ArgumentParser, help_text: str) -> None:
    """`--set KEY=JSON`, repeatable: Forecaster parameters on top of a benchmark's own."""
    parser.add_argument("--set", action="append", default=[], metavar="KEY=JSON", help=help_text)


def set_options(args: argparse.Namespace) -> dict[str, Any]:
    """The `--set` pairs as a dict, each value parsed as JSON."""
    return {k: json.loads(v) for k, v in (s.split("=", 1) for s in args.set)}
