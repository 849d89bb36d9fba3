"""The HTML report: one lift scale for all windows, a legend, the series id, real timestamps."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from tsattn.interpret import READING_GUIDE, concentration, frame_lift_scale, write_report


def _payload(page: str) -> dict[str, Any]:
    data = re.search(r"const DATA = (\{.*?\});\n", page, flags=re.S)
    assert data is not None, "the report carries no data"
    return json.loads(data.group(1).replace("<\\/", "</"))


def _lifts(payload: dict[str, Any], window: dict[str, Any]) -> np.ndarray:
    """Decode a window's cells with the report's one scale, as its script does."""
    levels = np.frombuffer(base64.b64decode(window["cells"]), dtype=np.uint8).astype(float)
    mid = (payload["levels"] - 1) / 2
    lifts = payload["limit"] ** ((levels - mid) / mid)
    return lifts.reshape(window["rows"], window["cols"])


@pytest.fixture
def report(frame_of: Callable[..., pd.DataFrame], tmp_path: Path) -> tuple[str, pd.DataFrame]:
    """Two sites of L=24, H=4: plant-7 attends uniformly, plant-9 puts 0.9 on the origin."""
    uniform = np.full((2, 4, 24), 1 / 24)
    sharp = np.full((2, 4, 24), 0.1 / 23)
    sharp[:, :, -1] = 0.9
    frame = pd.concat(
        [frame_of(uniform, series="plant-7"), frame_of(sharp, series="plant-9")],
        ignore_index=True,
    )
    path = write_report(tmp_path / "r.html", frame, freq="h", id_col="site", target="load")
    return path.read_text(encoding="utf-8"), frame


def test_all_windows_are_drawn_on_one_scale(report: tuple[str, pd.DataFrame]) -> None:
    page, frame = report
    payload = _payload(page)
    assert payload["limit"] == frame_lift_scale(frame).limit == 32  # 0.9 x 24 = 21.6 -> 32
    assert not any("max" in window for window in payload["windows"])  # no per-window scale
    by_series = {w["series"]: _lifts(payload, w) for w in payload["windows"]}
    np.testing.assert_allclose(by_series["load, site=plant-7"], 1.0)  # uniform is exactly 1
    sharp = by_series["load, site=plant-9"]
    np.testing.assert_allclose(sharp[:, -1], 0.9 * 24, rtol=0.05)
    np.testing.assert_allclose(sharp[:, 0], 0.1 / 23 * 24, rtol=0.05)
    palette = payload["palette"]
    assert palette[(payload["levels"] - 1) // 2] == "#ffffff"  # lift 1 is drawn white


def test_legend_marks_uniform_and_names_the_scale(report: tuple[str, pd.DataFrame]) -> None:
    page, _ = report
    legend = page[page.index('<div id="legend">') :]
    assert "lift over uniform 1/L" in legend and "one scale for all" in legend
    assert "uniform weight 1/L = 0.04167" in legend
    assert re.search(r'class="tick" style="left:50.00%">1 = uniform<', legend)
    assert re.search(r'class="tick" style="left:[\d.]+%">1/4<', legend)
    assert 'class="uniform" style="left:50%"' in legend
    assert READING_GUIDE in page


def test_series_ids_and_timestamps_are_shown(report: tuple[str, pd.DataFrame]) -> None:
    page, frame = report
    assert "site=plant-7, site=plant-9" in page  # the header, by the real id column and values
    payload = _payload(page)
    window = payload["windows"][0]
    origin = frame["origin"].min()
    assert window["origin"] == "2024-01-02 00:00"
    assert window["sources"][-1] == origin.strftime("%m-%d %H:%M")  # origin rightmost
    assert window["targets"][0] == (origin + pd.Timedelta(hours=1)).strftime("%m-%d %H:%M")
    assert window["xticks"][-1] == 23 and window["yticks"][0] == 0  # both axes labelled
    assert "forecast target time" in page and "source time" in page


def test_header_shows_concentration(report: tuple[str, pd.DataFrame]) -> None:
    page, frame = report
    stats = concentration(frame)
    header = page[: page.index("<script>")]
    assert f"entropy ratio <b>{stats['entropy_ratio']:.3f}</b>" in header
    assert f"top-10% mass <b>{stats['top10_mass']:.3f}</b>" in header
    assert f"<b>{stats['top10_lift']:.2f}</b>x" in header


def test_page_is_self_contained(report: tuple[str, pd.DataFrame]) -> None:
    page, _ = report
    assert "<script src" not in page and "<link" not in page
    assert not re.search(r"https?://", page)


def test_a_wide_frame_is_not_called_series(
    frame_of: Callable[..., pd.DataFrame], tmp_path: Path
) -> None:
    frame = frame_of(np.full((1, 2, 12), 1 / 12), series="series")  # the wide placeholder id
    page = write_report(tmp_path / "r.html", frame, target="y").read_text()
    assert "Temporal attention of y" in page
    assert "single series (no id column)" in page
    assert _payload(page)["windows"][0]["series"] == "y"
