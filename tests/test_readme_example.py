"""The README's Python API example runs as printed (with one epoch instead of the default)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]


def api_example() -> str:
    """The first python block under the README's "The Python API" heading."""
    readme = ROOT.joinpath("README.md").read_text()
    section = readme.split("## The Python API", 1)[1]
    block = re.search(r"```python\n(.*?)```", section, re.DOTALL)
    assert block is not None, "the README's API section lost its python example"
    return block.group(1)


def test_readme_api_example_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    source = api_example()
    quick = source.replace("seed=0)", "seed=0, max_epochs=1, enable_progress_bar=False)")
    assert quick != source, "the example's Forecaster(...) no longer ends with seed=0)"
    (tmp_path / "data").symlink_to(ROOT / "data")
    monkeypatch.chdir(tmp_path)
    done: dict[str, object] = {}
    exec(compile(quick, "README.md (The Python API)", "exec"), done)

    forecast, same, test = done["forecast"], done["same"], done["test"]
    assert list(forecast.columns) == ["date", "OT"] and len(forecast) == 24  # type: ignore[attr-defined]
    assert (same.predict(test)["OT"] == forecast["OT"]).all()  # type: ignore[attr-defined,index]
    assert 0 < done["scores"]["mse"] < 1  # type: ignore[index]
    moved = done["moved"]
    assert set(moved["variable"]) == {"OT", "HUFL", "HULL"}  # type: ignore[index]
    assert len(moved) == 24 * 96 * 3  # type: ignore[arg-type]  # steps x lookback x variables
    assert (tmp_path / "model").is_dir()
