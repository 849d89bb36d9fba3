"""``python -m benchmarks {accuracy,speed,scale,inference} [--smoke]``: one command per benchmark.

A thin registry of subcommands; each module owns its arguments (``add_arguments``) and its run
(``main``), which writes ``<out>/<name>.json`` and ``<name>.md``.
"""

from __future__ import annotations

import argparse
import importlib
import sys

SUBCOMMANDS = {
    "accuracy": "B1: ETTh1 / exchange-rate MSE and MAE against published figures and baselines",
    "speed": "B2: training/inference throughput against Darts, NeuralForecast, PyTorch Forecasting",
    "scale": "B3: building and iterating the windows of 2M- and 20M-row panels",
    "inference": "B4: forecasting 10,000 series from a saved model, process start to file",
    "forecast_jobs": "B4 (database): the declared job over 10,000 series, database in and out",
    "interpretability": "B5: attention peaks on planted causes; deletion faithfulness on real data",
    "planted_varied": "B5, varied: planted cases not developed on, library defaults, three seeds",
    "panel": "B6: M4 Hourly, 414 series, horizon 48: sMAPE, MASE, OWA and conformal intervals",
    "unseen": "B6, series unseen at fit: M4 Hourly series held out of training, forecast anyway",
    "darnn": "B7: DA-RNN's SML2010 table (one-step NARX, T = 10) and its noise-driver study",
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    for name, help_text in SUBCOMMANDS.items():
        module = importlib.import_module(f"benchmarks.{name}")
        module.add_arguments(sub.add_parser(name, help=help_text, description=module.__doc__))
    args = parser.parse_args(argv)
    paths = importlib.import_module(f"benchmarks.{args.command}").main(args)
    for kind, path in paths.items():
        print(f"{kind}: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
