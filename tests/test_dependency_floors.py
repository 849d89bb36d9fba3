"""The declared floors and constraints-floors.txt agree, and `make test-floors` runs on them.

The floors check proves a `>=` only if it installs exactly that release; a floor raised in
pyproject.toml but not in the pins (or the reverse) would prove nothing.
"""

from __future__ import annotations

import os
import re
from importlib import metadata
from pathlib import Path

import pytest

tomllib = pytest.importorskip("tomllib")  # Python >= 3.11

_ROOT = Path(__file__).resolve().parents[1]
# The spec `name>=X[,<Y]` or `name>=X` of one requirement string.
_REQUIREMENT = re.compile(r"^([A-Za-z0-9_.-]+)>=([^,;\s]+)")


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _declared_floors() -> dict[str, str]:
    project = tomllib.loads((_ROOT / "pyproject.toml").read_text())["project"]
    # Of the dev tools only the test runner is installed there; ruff and mypy need no floor.
    runner = [r for r in project["optional-dependencies"]["dev"] if r.startswith("pytest")]
    requirements = [*project["dependencies"], *runner]
    floors = {}
    for requirement in requirements:
        match = _REQUIREMENT.match(requirement)
        assert match, f"{requirement!r} has no floor: every dependency needs a tested '>='"
        floors[_canonical(match[1])] = match[2]
    return floors


def _pins() -> dict[str, str]:
    pins = {}
    for line in (_ROOT / "constraints-floors.txt").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, version = line.split("==")
            pins[_canonical(name)] = version
    return pins


def _same_release(floor: str, pin: str) -> bool:
    """'4.9' is the floor of pin '4.9.0'; trailing zeros are the same release."""
    parts = [[int(x) for x in v.split(".")] for v in (floor, pin)]
    width = max(len(p) for p in parts)
    a, b = ([*p, *[0] * (width - len(p))] for p in parts)
    return a == b


def test_every_floor_is_pinned_exactly_in_the_floors_constraints() -> None:
    floors, pins = _declared_floors(), _pins()
    assert pins.get("torch") == "2.13.0"  # the CPU build of constraints.txt, not torch's floor
    missing = sorted(set(floors) - set(pins))
    assert not missing, f"floors without a pin in constraints-floors.txt: {missing}"
    differ = {
        name: (floor, pins[name])
        for name, floor in floors.items()
        if name != "torch" and not _same_release(floor, pins[name])
    }
    assert not differ, f"pyproject floor vs pin: {differ}"


@pytest.mark.skipif(not os.environ.get("TSATTN_FLOORS"), reason="only in `make test-floors`")
def test_the_floors_venv_has_exactly_the_pinned_releases() -> None:
    installed = {name: metadata.version(name).split("+")[0] for name in _pins()}
    assert installed == _pins()
