"""The README's two commands exist as written, and CI runs the README's test command."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).parents[1]


def readme_commands() -> list[str]:
    block = re.search(r"```bash\n(.*?)```", (ROOT / "README.md").read_text(), re.S)
    assert block, "the README has no bash block with the quick-start commands"
    return [
        line.split("#")[0].strip()
        for line in block.group(1).splitlines()
        if line.strip()[:4] == "make"
    ]


def test_readme_states_exactly_two_commands_that_the_makefile_defines() -> None:
    commands = readme_commands()
    assert commands == ["make demo", "make test"]
    makefile = (ROOT / "Makefile").read_text()
    for command in commands:
        assert re.search(rf"^{command.split()[1]}:", makefile, re.M), command


def test_ci_runs_the_readme_test_command() -> None:
    ci = (ROOT / ".ci" / "run").read_text()
    assert re.search(r"^make test$", ci, re.M)


def test_setup_pins_the_cpu_torch_without_pinning_the_package_metadata() -> None:
    assert "torch==2.13.0" in (ROOT / "constraints.txt").read_text()
    assert "PIP_CONSTRAINT" in (ROOT / "Makefile").read_text()
    assert re.search(r'"torch>=[\d.]+"', (ROOT / "pyproject.toml").read_text())
