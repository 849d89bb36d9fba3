"""The package's layering, read from the source: what may import what, and no import cycles.

Every import counts, in-function ones included (they close cycles just as well); only
`if TYPE_CHECKING:` blocks, which never run, are left out. The package root `tsattn/__init__`
is the composition root (it wires tracking to the estimator) and is not a node of the graph.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "tsattn"

# Training, forecasting, saving and interpreting work without MLflow, Optuna or the CLI.
CORE = ("forecaster", "forecaster_config", "params", "training", "inference", "preprocess",
        "persistence", "config", "data", "nn", "interpret", "extensions", "lightning", "outputs",
        "evaluation", "calibration", "backtesting", "metrics", "losses", "io", "errors",
        "versions")  # fmt: skip
OUTER = ("tsattn.tracking", "tsattn.tuning", "tsattn.jobs", "tsattn.cli", "mlflow", "optuna")


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _runtime_imports(path: Path) -> set[str]:
    """Modules `path` imports when it runs (any depth), TYPE_CHECKING blocks excluded."""
    found: set[str] = set()
    package = _module_name(path) if path.name == "__init__.py" else _module_name(path.parent)

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _is_type_checking(child):
                for other in child.orelse:
                    visit(other)
                continue
            if isinstance(child, ast.Import):
                found.update(alias.name for alias in child.names)
            elif isinstance(child, ast.ImportFrom):
                base = child.module or ""
                if child.level:
                    anchor = package.split(".")[: len(package.split(".")) - child.level + 1]
                    base = ".".join([*anchor, base] if base else anchor)
                # `from pkg import submodule` imports the submodule; other names come from pkg.
                for alias in child.names:
                    submodule = f"{base}.{alias.name}"
                    found.add(submodule if _is_module(submodule) else base)
            visit(child)

    visit(ast.parse(path.read_text()))
    return found


def _is_module(name: str) -> bool:
    relative = Path(*name.split(".")[1:]) if name.startswith("tsattn.") else None
    return relative is not None and (
        (PACKAGE / relative).with_suffix(".py").is_file() or (PACKAGE / relative).is_dir()
    )


MODULES = {
    _module_name(path): path for path in PACKAGE.rglob("*.py") if _module_name(path) != "tsattn"
}


def _edges() -> dict[str, set[str]]:
    """Module -> the package modules it imports at run time. A module's own ancestor packages
    are left out: Python imports them first anyway, so they close no cycle of their own."""
    return {
        name: {
            target for target in _runtime_imports(path)
            if target in MODULES and target != name and not name.startswith(f"{target}.")
        }
        for name, path in MODULES.items()
    }  # fmt: skip


@pytest.mark.parametrize("layer", CORE)
def test_core_modules_import_no_tracking_tuning_or_cli(layer: str) -> None:
    names = [n for n in MODULES if n == f"tsattn.{layer}" or n.startswith(f"tsattn.{layer}.")]
    assert names, f"no module tsattn.{layer}"
    for name in names:
        outer = sorted(
            target for target in _runtime_imports(MODULES[name])
            if any(target == o or target.startswith(f"{o}.") for o in OUTER)
        )  # fmt: skip
        assert not outer, f"{name} imports {outer}: the core must not know the outer layers"


# The README's architecture table, inner to outer: a module may import its own layer and the
# ones before it, never one after it.
LAYERS = (
    ("errors", "versions", "io", "metrics", "losses", "params"),
    ("data",),
    ("nn", "lightning"),
    ("extensions",),
    ("forecaster_config", "config", "distributed", "preprocess", "training", "inference",
     "calibration", "persistence", "outputs", "evaluation", "backtesting", "forecaster"),
    ("interpret",),
    ("tracking",),
    ("jobs", "job_spec", "sql_io", "monitoring", "forecast_job"),
    ("cli_errors",),
    ("tuning",),
    ("cli", "__main__"),
)  # fmt: skip


def _layer(module: str) -> int:
    top = module.split(".")[1]
    ranks = [rank for rank, names in enumerate(LAYERS) if top in names]
    assert ranks, f"{module} is in no layer: add it to LAYERS and the README's table"
    return ranks[0]


def test_no_module_imports_an_outer_layer() -> None:
    upward = [
        f"{name} -> {target}"
        for name, targets in _edges().items()
        for target in targets
        if _layer(target) > _layer(name)
    ]
    assert not upward, f"imports of an outer layer: {upward}"


def test_no_runtime_import_cycle() -> None:
    edges = _edges()
    state: dict[str, str] = {}

    def walk(node: str, trail: list[str]) -> None:
        state[node] = "open"
        for target in sorted(edges[node]):
            if state.get(target) == "open":
                cycle = trail[trail.index(target):] + [target] if target in trail else [target]
                raise AssertionError("import cycle: " + " -> ".join(cycle))
            if target not in state:
                walk(target, [*trail, target])
        state[node] = "done"

    for module in sorted(edges):
        if module not in state:
            walk(module, [module])


def test_the_graph_is_read_from_real_imports() -> None:
    """Guard against a parser that sees nothing: known edges must be found."""
    edges = _edges()
    assert "tsattn.extensions" in edges["tsattn.forecaster"]
    assert "tsattn.forecaster" in edges["tsattn.tracking.pyfunc_model"]  # in-function import
    assert "tsattn.forecaster" not in edges["tsattn.persistence"]  # TYPE_CHECKING only
