"""The interpretation folder: files, shapes, legibility at L=H=96, concentration metrics."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from matplotlib.image import imread

from tsattn.interpret import concentration, lift_by_target_grid
from tsattn.tracking.interpretation import write_interpretation


def _history(temporal: pd.DataFrame) -> pd.DataFrame:
    history = temporal.drop_duplicates(["series", "source_time"])[["series", "source_time"]].rename(
        columns={"source_time": "time"}
    )
    return history.assign(value=np.sin(np.arange(len(history)) / 4))


def test_long_windows_write_every_artifact(
    tmp_path: Path,
    make_temporal: Callable[..., pd.DataFrame],
    make_input_attention: Callable[..., pd.DataFrame],
    keep_png: Callable[[Path], None],
) -> None:
    temporal = make_temporal(lookback=96, horizon=96, origins=8, heads=2, series=("a", "b"))
    inputs = make_input_attention(lookback=96, origins=8, variables=6, series=("a", "b"))
    files = write_interpretation(
        tmp_path / "interp", temporal, inputs, history=_history(temporal), target="OT", freq="h"
    )
    names = {p.relative_to(files.folder).as_posix() for p in files.all()}
    assert {
        "temporal_attention.parquet",
        "lag_profile.csv",
        "lag_profile.png",
        "distance_profile.csv",
        "mean_attention_map.png",
        "heatmap_windows.csv",
        "input_attention.parquet",
        "variable_importance.csv",
        "variable_importance.png",
        "attention_report.html",
    } <= names
    assert 1 <= len(files.heatmaps) <= 4
    for path in files.all():
        assert path.is_file() and path.stat().st_size > 0
    for path in [*files.heatmaps, files.folder / "mean_attention_map.png"]:
        height, width = imread(path).shape[:2]
        assert width >= 900 and height >= 700  # about 8 px per cell at 96 x 96
        keep_png(path)
    raw = pd.read_parquet(files.folder / "temporal_attention.parquet")
    assert raw.shape == temporal.shape
    sums = raw.groupby(["series", "origin", "step", "head"])["weight"].sum()
    np.testing.assert_allclose(sums.to_numpy(), 1.0, rtol=1e-6)
    lag = pd.read_csv(files.folder / "lag_profile.csv")
    assert len(lag) == 96 and lag["share"].sum() == pytest.approx(1.0)
    importance = pd.read_csv(files.folder / "variable_importance.csv")
    assert len(importance) == 6 and importance["importance"].sum() == pytest.approx(1.0)
    report = (files.folder / "attention_report.html").read_text()
    assert "<script>" in report and "series id a" in report and len(report) < 6_000_000
    stats = concentration(temporal)
    assert files.metrics == {
        "attention_entropy_ratio": pytest.approx(stats["entropy_ratio"]),
        "attention_top10_mass": pytest.approx(stats["top10_mass"]),
    }


def test_model_without_attention_writes_a_note(tmp_path: Path) -> None:
    files = write_interpretation(tmp_path, None, None)
    assert files.all() == [] and "attention='none'" in files.notes[0]


def test_a_channel_independent_run_is_interpreted_through_the_plotted_target(
    fit_kit, tmp_path: Path
) -> None:
    """The heatmaps draw the first target's history, so they must show that target's attention,
    not the mean over the targets that a channel-independent model averages by default."""
    from tsattn.tracking.interpretation_source import interpretation_inputs

    train, val = fit_kit.train_val()
    forecaster = fit_kit.forecaster(
        target=["OT", "load"], past_covariates=[], input_attention=False,
        channel_independent=True,
    ).fit(train, val_df=val)
    inputs = interpretation_inputs(forecaster, val)
    assert inputs.target == "OT" and inputs.history is not None
    own = forecaster.interpret(val, origins="all", target="OT")
    pd.testing.assert_frame_equal(inputs.temporal, own)
    assert not np.allclose(own["weight"], forecaster.interpret(val, origins="all")["weight"])
    assert any("first target, 'OT'" in note for note in inputs.notes)
    assert inputs.contributions is not None and set(inputs.contributions["target"]) == {"OT"}
    # and each target's own lag profile, written next to the heatmaps
    by_target = inputs.lag_by_target
    assert by_target is not None and by_target["target"].unique().tolist() == ["OT", "load"]
    assert by_target.groupby("target")["share"].sum().to_numpy() == pytest.approx([1.0, 1.0])
    lifts = lift_by_target_grid(by_target)
    assert not np.allclose(lifts.loc["OT"], lifts.loc["load"])  # not one mean shown twice
    files = write_interpretation(tmp_path, inputs.temporal, history=inputs.history,
                                 lag_by_target=by_target)
    written = pd.read_csv(files.folder / "lag_profile_by_target.csv")
    assert len(written) == 2 * forecaster.lookback
    assert imread(files.folder / "lag_profile_by_target.png").shape[1] >= 700
