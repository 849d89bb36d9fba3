"""`tsattn.interpret` stands alone: no MLflow and no tracking, so pictures can be drawn offline."""

from __future__ import annotations

import ast
from pathlib import Path

import tsattn.interpret

PACKAGE = Path(tsattn.interpret.__file__).parent


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_interpret_imports_neither_mlflow_nor_tracking() -> None:
    files = sorted(PACKAGE.glob("*.py"))
    assert {f.stem for f in files} >= {"tables", "plots", "report", "scale", "labels"}
    for path in files:
        bad = {n for n in _imports(path) if n.split(".")[0] == "mlflow" or
               n.startswith("tsattn.tracking")}
        assert not bad, f"{path.name} imports {sorted(bad)}"


def test_public_names_are_exported() -> None:
    for name in tsattn.interpret.__all__:
        assert callable(getattr(tsattn.interpret, name)) or name == "READING_GUIDE", name
