"""Smoke run of B7 (benchmarks/darnn.py, DA-RNN's SML2010 table): one seed, one epoch, hidden 16.

It checks that the harness runs end to end on the shipped data and writes finite metrics for
every row and a noise study, never the accuracy itself.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def finite(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def test_darnn_smoke(tmp_path: Path) -> None:
    cmd = [sys.executable, "-m", "benchmarks", "darnn", "--smoke", "--out", str(tmp_path)]
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-4000:]
    doc = json.loads((tmp_path / "darnn.json").read_text())
    assert doc["benchmark"] == "darnn"
    assert {"date", "git_commit", "cpu", "cores", "versions"} <= set(doc["machine"])
    assert doc["data"]["rows"] == 4137 and doc["data"]["split"] == [3200, 400, 537]
    assert len(doc["data"]["drivers"]) == 17
    models = [row["model"] for row in doc["rows"]]
    assert any(m.startswith("tsattn") and "noise" not in m for m in models)
    assert any("noise" in m for m in models) and any(m.startswith("ridge") for m in models)
    for row in doc["rows"]:
        bad = {k: row.get(k) for k in ("mae", "mape", "rmse") if not finite(row.get(k))}
        assert not bad, f"{row['model']}: non-finite {bad}"
    for runs in doc["runs"].values():
        for run in runs:
            assert run["n"] == 537 and run["val"]["n"] == 400  # every test / val row scored
    study = doc["noise_study"]
    assert 0.0 < study["noise_share_of_driver_mass"] < 1.0
    assert all(finite(v) for v in study["change_pct"].values())
    markdown = (tmp_path / "darnn.md").read_text()
    assert "|---|" in markdown and "DA-RNN (128)" in markdown and "SMOKE" in markdown
