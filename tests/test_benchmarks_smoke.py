"""Smoke runs of the benchmark harness (benchmarks/), so it cannot rot: every benchmark at tiny
sizes, outputs checked for shape and finite numbers, never for speed.

The peer rows need benchmarks/.venv-peers, which CI does not build: they are skipped there and
also locally unless TSATTN_BENCH_SMOKE_PEERS=1 (they take minutes even at smoke sizes).
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# benchmark -> the numeric fields every row of its JSON must have, finite
ROW_FIELDS = {
    "scale": ["build_s", "epoch_s", "peak_rss_mb", "dataset_rss_mb", "n_windows"],
    "speed": ["train_series_windows_per_s", "infer_series_windows_per_s", "s_per_epoch",
              "test_mse", "peak_rss_mb"],
    "inference": ["wall_s", "peak_rss_mb", "forecast_rows"],
}
MACHINE_KEYS = {"date", "git_commit", "cpu", "cores", "ram_gib", "versions", "load_avg_1_5_15"}


def run_smoke(name: str, out: Path) -> dict:
    cmd = [sys.executable, "-m", "benchmarks", name, "--smoke", "--out", str(out)]
    if os.environ.get("TSATTN_BENCH_SMOKE_PEERS") != "1":
        cmd.append("--no-peers")
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-4000:]
    doc = json.loads((out / f"{name}.json").read_text())
    assert doc["benchmark"] == name
    assert MACHINE_KEYS <= set(doc["machine"])
    assert {"python", "torch", "tsattn"} <= set(doc["machine"]["versions"])
    markdown = (out / f"{name}.md").read_text()
    assert "|---|" in markdown and doc["machine"]["date"] in markdown
    return doc


def finite(value: object) -> bool:
    return isinstance(value, int | float) and math.isfinite(value)


def check_rows(doc: dict, fields: list[str]) -> None:
    assert doc["rows"], "no rows"
    for row in doc["rows"]:
        assert "error" not in row, row.get("error")
        bad = {k: row.get(k) for k in fields if not finite(row.get(k))}
        assert not bad, f"{row.get('system', row.get('path'))}: non-finite {bad}"


def test_speed_smoke(tmp_path: Path) -> None:
    doc = run_smoke("speed", tmp_path)
    check_rows(doc, ROW_FIELDS["speed"])
    assert doc["rows"][0]["system"].startswith("tsattn")
    assert "train_series_windows_per_s_ratio_vs_best_peer" in doc["summary"]


def test_inference_smoke(tmp_path: Path) -> None:
    doc = run_smoke("inference", tmp_path)
    check_rows(doc, ROW_FIELDS["inference"])
    assert doc["summary"]["rows_ok"], doc["rows"]


def test_accuracy_smoke(tmp_path: Path) -> None:
    doc = run_smoke("accuracy", tmp_path)
    (row,) = doc["rows"]
    assert (row["dataset"], row["horizon"]) == ("etth1", 96)
    assert "error" not in row["tsattn"], row["tsattn"].get("error")
    for system in ("tsattn", "ridge", "repeat_last"):
        assert finite(row[system]["mse"]) and finite(row[system]["mae"]), system
    # The ridge baseline runs on the full protocol even in smoke mode: pin its known figure.
    assert row["ridge"]["mse"] == pytest.approx(0.381, abs=0.005)
    assert row["published"]["DLinear"] == {"mse": 0.386, "mae": 0.400}


def test_scale_smoke(tmp_path: Path) -> None:
    doc = run_smoke("scale", tmp_path)
    check_rows(doc, ROW_FIELDS["scale"])
    by_size: dict[tuple[int, int], list[dict]] = {}
    for row in doc["rows"]:
        by_size.setdefault((row["n_series"], row["n_steps"]), []).append(row)
    for (n_series, n_steps), rows in by_size.items():
        assert rows[0]["system"].startswith("numpy")
        expected = n_series * (n_steps - 96 - 24 + 1)
        assert {row["n_windows"] for row in rows} == {expected}


def test_interpretability_smoke(tmp_path: Path) -> None:
    doc = run_smoke("interpretability", tmp_path)
    assert doc["planted"], "no planted rows"
    for row in doc["planted"]:
        assert 0.0 <= row["peaks_within_1"] <= 1.0, row
        assert finite(row["mse"]) and row["noise_floor"] > 0, row


def test_planted_varied_smoke(tmp_path: Path) -> None:
    doc = run_smoke("planted_varied", tmp_path)
    (row,) = doc["rows"]  # smoke: the first case, seed 0
    assert row["case"] == "phi0.8-neg-lag9" and row["seed"] == 0, row
    assert row["mse_over_floor"] > 0 and 0.0 <= row["peaks_within_1"] <= 1.0, row
    assert doc["within"] == int(row["mse_over_floor"] <= 2.0) and doc["fits"] == 1


def test_unseen_series_smoke(tmp_path: Path) -> None:
    doc = run_smoke("unseen", tmp_path)
    unseen, reference = doc["rows"]
    assert doc["params"]["held_out_series"] == 4 == len(doc["held_out_ids"])  # 20 series / 5
    assert unseen["training_series"] == 16 and reference["training_series"] == 20
    assert all(finite(row[k]) for row in doc["rows"] for k in ("smape", "mase", "owa"))
    assert unseen["smape"] != reference["smape"]  # two models, not one scored twice


def test_panel_metric_code_reproduces_published_snaive() -> None:
    """B6's M4 metric code on the shipped files: sNaive gives the official 13.912 / 1.193."""
    from benchmarks.panel import load, m4_scores, seasonal_naive, snaive_matches

    train, test = load()
    assert len(train) == 414 and {len(v) for v in train.values()} == {700, 960}
    scores = m4_scores(seasonal_naive(train), test, train)
    assert scores["smape"] == pytest.approx(13.912, abs=1e-3)
    assert scores["mase"] == pytest.approx(1.193, abs=1e-3)
    assert scores["owa"] == pytest.approx(0.627, abs=1e-3)
    assert snaive_matches(scores)
    assert not snaive_matches({**scores, "mase": scores["mase"] + 0.01})


def test_panel_smoke(tmp_path: Path) -> None:
    doc = run_smoke("panel", tmp_path)
    assert doc["data"]["series"] == 20 and doc["data"]["horizon"] == 48
    run = doc["tsattn"]
    fields = ["smape", "mase", "owa", "coverage_80", "coverage_95", "width_80", "width_95",
              "fit_s", "train_series_windows_per_s"]
    bad = {k: run.get(k) for k in fields if not finite(run.get(k))}
    assert not bad, f"non-finite {bad}"
    assert 0.0 <= run["coverage_80"] <= run["coverage_95"] <= 1.0
    assert 0.0 < run["width_80"] < run["width_95"]
    assert run["calibration_windows"] == 20  # one held-out window per series
    assert run["epochs_trained"] == 1
    assert doc["snaive_check"]["ok"] is None  # a subset: nothing published to match
    methods = [row["method"] for row in doc["rows"]]
    assert any(m.startswith("Smyl ES-RNN") for m in methods)
    assert methods[-2:] == ["sNaive (this run: metric check)", "tsattn defaults (this run)"]
    assert "not run in this environment" in doc["peers"]
    assert "SMOKE" in (tmp_path / "panel.md").read_text()
