"""B6, series unseen at fit: how well a panel model forecasts M4 Hourly series it never trained on.

Every fifth series (ids sorted) is held out of training. One model is fitted on the other series
and forecasts the held-out series' 48 test values from their whole training rows, each scaled by
its own statistics (the library's rule for a series unseen at fit); the reference is the same
configuration and seed fitted on every series, scored on the same held-out series. Both follow
B6's protocol (``benchmarks/panel.py``): trained on each row minus its last 48 values, early
stopping on those 48. The configuration is B6's chosen one (``--loss mae --max-epochs 6``, chosen
on B6's validation split), one seed; nothing is chosen here.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.cli_common import add_common, common
from benchmarks.machine import describe
from benchmarks.panel import (
    HORIZON,
    MODEL,
    SMOKE_SERIES,
    Series,
    load,
    long_frame,
    m4_scores,
    split_holdout,
)
from benchmarks.results import markdown_table, write

HELD_OUT_EVERY = 5
CHOSEN = {"loss": "mae", "max_epochs": 6}  # B6's configuration chosen on validation


def held_out_ids(ids: list[str], every: int = HELD_OUT_EVERY) -> list[str]:
    """Every ``every``-th id in sorted order: a fixed split any run can repeat."""
    return sorted(ids)[::every]


def forecast_held_out(
    train: Series, held: list[str], *, trained_on: list[str], spec: dict[str, Any]
) -> tuple[Series, dict[str, Any]]:
    """Fit on the series ``trained_on`` (B6's split of each row), forecast the 48 values after
    the whole training rows of the ``held`` series; the points and the fit's figures."""
    from tsattn import Forecaster

    lookback = int(spec["lookback"])
    fit_df, val_df = split_holdout(long_frame({s: train[s] for s in trained_on}), lookback)
    fc = Forecaster(target="y", time_col="time", id_col="id", horizon=HORIZON,
                    enable_progress_bar=False, accelerator="cpu", **spec)
    start = time.perf_counter()
    fc.fit(fit_df, val_df=val_df)
    fit_s = time.perf_counter() - start
    forecast = fc.predict(long_frame({s: train[s] for s in held}))
    points = {sid: part.sort_values("time")["y"].to_numpy(np.float64)
              for sid, part in forecast.groupby("id")}
    return points, {"fit_s": fit_s, "epochs_trained": int(fc.epochs_trained_),
                    "training_series": len(trained_on)}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_common(parser, 1)
    parser.add_argument("--seed", type=int, default=0, help="training seed (default 0)")


def main(args: argparse.Namespace) -> dict[str, Path]:
    import torch

    opts = common(args, 1)
    torch.set_num_threads(opts.threads or 1)
    machine = describe()
    train, test = load()
    if opts.smoke:
        keep = list(train)[:SMOKE_SERIES]
        train, test = {s: train[s] for s in keep}, {s: test[s] for s in keep}
    spec = {**MODEL, **CHOSEN, "seed": args.seed}
    if opts.smoke:
        spec.update(max_epochs=1, hidden_size=16)
    held = held_out_ids(list(train))
    seen = [s for s in train if s not in set(held)]
    rows, fits = [], {}
    for label, trained_on in (("unseen at fit", seen), ("seen at fit (reference)", list(train))):
        points, fits[label] = forecast_held_out(train, held, trained_on=trained_on, spec=spec)
        scores = m4_scores(points, {s: test[s] for s in held}, {s: train[s] for s in held})
        rows.append({"model": label, **fits[label], **scores})
    unseen, reference = rows
    gap = {k: unseen[k] / reference[k] - 1.0 for k in ("smape", "mase", "owa")}
    params = {"model": spec, "held_out": f"every {HELD_OUT_EVERY}th series, ids sorted",
              "held_out_series": len(held), "smoke": opts.smoke, "threads": opts.threads or 1}
    payload: dict[str, object] = {"params": params, "rows": rows, "relative_gap": gap,
                                  "held_out_ids": held}
    table = markdown_table(rows, [
        ("model", "model"), ("training_series", "training series"), ("smape", "sMAPE"),
        ("mase", "MASE"), ("owa", "OWA"), ("epochs_trained", "epochs"), ("fit_s", "fit s"),
    ])
    md = "\n".join([
        f"### B6, series unseen at fit ({len(held)} held-out M4 Hourly series)", "",
        ("**SMOKE RUN (tiny sizes): not a result.**\n" if opts.smoke else "")
        + f"Scored on the {len(held)} held-out series' test values. Configuration: B6's chosen "
        f"one ({', '.join(f'{k} {v}' for k, v in CHOSEN.items())}), seed {args.seed}.", "",
        table, "",
        f"Unseen against seen: sMAPE {gap['smape']:+.1%}, MASE {gap['mase']:+.1%}, "
        f"OWA {gap['owa']:+.1%}.",
    ])
    paths: dict[str, Path] = {}
    paths["json"], paths["markdown"] = write("unseen", payload, md, opts.out_dir, machine)
    return paths
