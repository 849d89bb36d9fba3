"""B5: does the attention point at what drives the forecast?

Two parts, both through the public `Forecaster` API:
- planted truth (`benchmarks/planted.py`): per case and architecture, the share of
  (origin, step) pairs whose temporal-attention peak is within ±1 step of the cause, the true
  driver's rank in input attention (models with input attention), and test MSE against the noise
  floor. Architectures: the library defaults (only columns and window given) and the
  configs/etth1.yaml architecture.
- faithfulness on real data (ETTh1, exchange rate at the B1 split, L = H = 96, the data set's
  configs/ file; SML2010 with B7's DA-RNN model, L = 10, H = 1):
  `tsattn.interpret.faithfulness.deletion_test` at k = 5, 10, 20 %, plus the attention's
  concentration (entropy over log L, top-10 % mass).

Every model is chosen by early stopping on validation; the test split is only scored.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

import pandas as pd
import torch
import yaml

from benchmarks.cli_common import add_common, add_set_argument, common, set_options
from benchmarks.machine import describe
from benchmarks.planted import (
    CASES,
    PlantedCase,
    forecaster_columns,
    score_attention,
    score_contributions,
    score_every_cause,
    score_ranking,
    split_case,
)
from benchmarks.results import RESULTS_DIR, markdown_table, write
from tsattn import Forecaster
from tsattn.interpret.faithfulness import deletion_test

ROOT = Path(__file__).resolve().parent.parent
ARCHITECTURES: dict[str, dict[str, Any]] = {
    "defaults": {},
    "etth1.yaml arch": {"cell": "gru", "hidden_size": 64, "attention": "additive",
                        "revin": True, "segment_length": 24},
    "defaults + input attention": {"input_attention": True},
}
REAL = {"etth1": "configs/etth1.yaml", "exchange_rate": "configs/exchange_rate.yaml"}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_common(parser, 1)  # --smoke: one case, one epoch, no real data; no peers here
    parser.add_argument("--parts", default="planted,faithfulness", help="comma-separated")
    parser.add_argument("--datasets", default=",".join([*REAL, "sml2010"]),
                        help="faithfulness data sets, comma-separated")
    add_set_argument(parser, "a Forecaster parameter for every planted fit and every "
                     "faithfulness model, e.g. --set read_dropout=0.2; needs --out another folder")


def _fits(case: PlantedCase, arch: dict[str, Any]) -> bool:
    S = arch.get("segment_length")
    return S is None or case.lookback % S == 0


def planted_row(case: PlantedCase, arch_name: str, arch: dict[str, Any],
                max_epochs: int | None = None, seed: int = 0) -> dict[str, Any]:
    """Fit one case on 70 % of its rows, stop on the next 15 %, score the last 15 %; `seed` is
    the model's (the data's is the case's)."""
    split = split_case(case)
    test = split.test
    extra = {} if max_epochs is None else {"max_epochs": max_epochs}
    fc = Forecaster(**forecaster_columns(case), lookback=case.lookback, horizon=case.horizon,
                    seed=seed, enable_progress_bar=False, accelerator="cpu", **arch, **extra)
    start = time.perf_counter()
    fc.fit(split.train, val_df=split.val)
    fit_s = time.perf_counter() - start
    mse = fc.evaluate(test)["mse"]
    floor = split.noise_floor
    temporal = fc.interpret(test, origins="all", stride=max(1, len(test) // 40))
    row = {"case": case.name, "arch": arch_name, "seed": seed,
           "S": fc.network_.config.segment_length,
           "peaks_within_1": score_attention(case, temporal), "mse": mse, "noise_floor": floor,
           "mse_over_floor": mse / floor, "epochs": fc.epochs_trained_, "fit_s": fit_s}
    if len(case.causes) > 1:
        row["every_cause_found"] = score_every_cause(case, temporal)
    contributions = fc.interpret(test, kind="contribution", origins="all",
                                 stride=max(1, len(test) // 40))
    row.update({f"contrib_{k}": v for k, v in score_contributions(case, contributions).items()})
    if case.is_panel:  # each series against its own floor: the pooled ratio could hide one
        by_series = fc.evaluate(test, by_series=True)["mse"]
        row["worst_series_over_floor"] = max(
            float(by_series[series]) / series_floor
            for series, series_floor in split.series_floors.items()
        )
    if fc.network_.config.input_attention:
        inputs = fc.interpret(test, kind="input", origins="all", stride=10)
        ranking = list(inputs.groupby("variable")["weight"].mean().sort_values(ascending=False)
                       .index)
        row.update(score_ranking(case, ranking))
    return row


def faithfulness_rows(dataset: str, config_path: str,
                      extra: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """Train the data set's configs/ model at the B1 split and run the deletion test on test."""
    from benchmarks import protocol
    from tsattn.interpret.tables import concentration

    config = yaml.safe_load((ROOT / config_path).read_text())
    settings = {**config["forecaster"], "enable_progress_bar": False, "accelerator": "cpu",
                **(extra or {})}
    df = pd.read_csv(ROOT / config["data"]["path"])
    train, val, test = protocol.split_rows(df, dataset, settings["lookback"])
    fc = Forecaster(**settings).fit(train, val_df=val)
    stride = max(1, (len(test) - settings["lookback"] - settings["horizon"]) // 60)
    table = _both_rankings(fc, test, stride=stride)
    stats = concentration(fc.interpret(test, origins="all", stride=stride))
    rows = table.assign(dataset=dataset, **stats).to_dict("records")
    return rows


def sml2010_faithfulness_rows(seed: int = 0,
                              extra: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """B7's model (DA-RNN mapping "lead", hidden 64, its validation-chosen settings) trained on
    SML2010's train rows, then the deletion test on every test window. With L = 10, k = 5 and
    10 % both delete one timestep and 20 % two."""
    from benchmarks import darnn
    from tsattn.interpret.tables import concentration

    df = darnn.load()
    real, _ = darnn.drivers(df)
    frame, roles, _ = darnn.narx_frame(df, real, "lead")
    train, val, test = darnn.splits(frame, int(roles["lookback"]))
    model = {**darnn.MODEL, "hidden_size": 64, "seed": seed, **(extra or {})}
    fc = Forecaster(target=[darnn.TARGET], time_col="time", horizon=1, enable_progress_bar=False,
                    accelerator="cpu", **roles, **model)
    fc.fit(train, val_df=val)
    table = _both_rankings(fc, test)
    stats = concentration(fc.interpret(test, origins="all"))
    return list(table.assign(dataset="sml2010", **stats).to_dict("records"))


def _both_rankings(fc: Forecaster, test: pd.DataFrame, stride: int = 1) -> pd.DataFrame:
    """The deletion test with timesteps ranked by attention, then by read contributions."""
    return pd.concat([deletion_test(fc, test, stride=stride, by=by).assign(by=by)
                      for by in ("attention", "contribution")], ignore_index=True)


def main(args: argparse.Namespace) -> dict[str, Path]:
    options = common(args, 1)
    if options.threads:
        torch.set_num_threads(options.threads)
    machine = describe()
    parts = set(args.parts.split(","))
    extra = set_options(args)
    if extra and options.out_dir.resolve() == RESULTS_DIR.resolve():
        raise SystemExit("--set changes the models these tables are of: give --out another folder")
    planted: list[dict[str, Any]] = []
    faithful: list[dict[str, Any]] = []
    if "planted" in parts:
        cases = CASES[:1] if args.smoke else CASES
        for case in cases:
            for name, arch in ARCHITECTURES.items():
                if _fits(case, arch):
                    planted.append(planted_row(case, name, {**arch, **extra},
                                               1 if args.smoke else None))
    if "faithfulness" in parts and not args.smoke:
        wanted = args.datasets.split(",")
        for dataset, path in REAL.items():
            if dataset in wanted:
                faithful.extend(faithfulness_rows(dataset, path, extra))
        if "sml2010" in wanted:
            faithful.extend(sml2010_faithfulness_rows(extra=extra))
    body = "\n\n".join([
        "## B5 planted truth (library defaults and configs/ architectures"
        + "".join(f", {k}={v}" for k, v in extra.items()) + ")",
        markdown_table(planted, [("case", "case"), ("arch", "architecture"), ("S", "S"),
                                 ("peaks_within_1", "peaks ±1"),
                                 ("every_cause_found", "every cause a head's peak"),
                                 ("mse", "test MSE"),
                                 ("noise_floor", "noise floor"),
                                 ("mse_over_floor", "MSE / floor"),
                                 ("worst_series_over_floor", "worst series / its floor"),
                                 ("drivers_first", "drivers first"),
                                 ("noise_last", "noise last"),
                                 ("noise_below_causes", "noise below causes"),
                                 ("contrib_causes_at_lag", "contributions: causes at their lag"),
                                 ("contrib_drivers_first", "contributions: drivers first"),
                                 ("contrib_noise_below_causes",
                                  "contributions: noise below causes"),
                                 ("epochs", "epochs")]),
        "## B5 faithfulness (deletion of the top-k % attended past timesteps"
        + "".join(f"; {k}={v}" for k, v in extra.items()) + ")",
        markdown_table(faithful, [("dataset", "data"), ("by", "ranked by"), ("fraction", "k"),
                                  ("ratio_scattered", "vs scattered"),
                                  ("ratio_contiguous", "vs contiguous"), ("ratio", "ratio (min)"),
                                  ("entropy_ratio", "entropy / log L"),
                                  ("top10_mass", "top-10 % mass"), ("windows", "windows")]),
    ])
    payload = {"planted": planted, "faithfulness": faithful,
               "params": {"threads": options.threads, "set": extra}}
    json_path, md_path = write("interpretability", payload, body, out_dir=options.out_dir,
                               machine=machine)
    return {"json": json_path, "markdown": md_path}
