"""Write a benchmark's results as JSON (everything) and markdown (the table people read)."""

from __future__ import annotations

import json
import math
import re
import statistics
from collections.abc import Sequence
from pathlib import Path

from benchmarks.machine import describe

RESULTS_DIR = Path(__file__).resolve().parent / "results"


def fmt(value: object, digits: int = 3) -> str:
    """A table cell: floats rounded, missing values as an en dash."""
    if value is None:
        return "–"
    if isinstance(value, float):
        if math.isnan(value):
            return "–"
        if abs(value) >= 100:
            return f"{value:,.0f}"
        if abs(value) >= 10:
            return f"{value:.1f}"
        return f"{value:.{digits}f}"
    return str(value)


def markdown_table(rows: Sequence[dict[str, object]], columns: Sequence[tuple[str, str]]) -> str:
    """A GitHub markdown table; ``columns`` is (key in row, header)."""
    lines = [
        "| " + " | ".join(h for _, h in columns) + " |",
        "|" + "|".join("---" for _ in columns) + "|",
    ]
    for row in rows:
        lines.append("| " + " | ".join(fmt(row.get(k)) for k, _ in columns) + " |")
    return "\n".join(lines)


def machine_line(machine: dict[str, object]) -> str:
    """One line under each table saying where and when it was measured."""
    v = dict(machine["versions"])  # type: ignore[call-overload]
    return (
        f"{machine['date']} · commit `{str(machine['git_commit'])[:10]}`"
        f"{' (dirty)' if machine['git_dirty'] else ''}"
        f"{' → ' + str(machine['git_commit_at_end']) if 'git_commit_at_end' in machine else ''}"
        f" · {machine['cpu']}, "
        f"{machine['cores']} cores,"
        f" {machine['ram_gib']} GiB · load {machine['load_avg_1_5_15']} · python {v['python']},"
        f" torch {v['torch']}, lightning {v['lightning']}, tsattn {v['tsattn']}"
    )


def write(
    name: str,
    payload: dict[str, object],
    markdown_body: str,
    out_dir: Path = RESULTS_DIR,
    machine: dict[str, object] | None = None,
) -> tuple[Path, Path]:
    """Write ``<out_dir>/<name>.json`` and ``<name>.md``; returns both paths.

    ``machine`` is ``describe()`` taken when the run started (the commit that was measured).
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    machine = dict(machine) if machine else describe()
    end = describe()
    if end["git_commit"] != machine["git_commit"] or end["git_dirty"] != machine["git_dirty"]:
        # The tree changed while the benchmark ran: say so rather than pick one commit silently.
        dirty = " (dirty)" if end["git_dirty"] else ""
        machine["git_commit_at_end"] = f"{end['git_commit']}{dirty}"
    doc = {"benchmark": name, "machine": machine, **payload}
    json_path, md_path = out_dir / f"{name}.json", out_dir / f"{name}.md"
    json_path.write_text(json.dumps(doc, indent=2, default=float, allow_nan=True) + "\n")
    params = payload.get("params")
    run = ""
    if isinstance(params, dict):
        run = "".join(f" · {k} {params[k]}" for k in ("threads", "repeats") if k in params)
    md_path.write_text(f"{markdown_body.rstrip()}\n\n_{machine_line(machine)}{run}_\n")
    if out_dir.resolve() == RESULTS_DIR.resolve():  # full runs only: smoke runs go elsewhere
        update_readme(name, md_path.read_text())
    return json_path, md_path


def median_row(runs: Sequence[dict[str, object]]) -> dict[str, object]:
    """Fields of repeated runs of one system: numbers become their median, the rest the first.

    Booleans ("was this extrapolated") are true if any run was; ``repeats`` counts the runs.
    """
    out: dict[str, object] = {}
    for key in runs[0]:
        values = [r.get(key) for r in runs]
        if all(isinstance(v, bool) for v in values):
            out[key] = any(values)
        elif all(isinstance(v, int | float) and not isinstance(v, bool) for v in values):
            out[key] = float(statistics.median(values))  # type: ignore[arg-type]
        else:
            out[key] = values[0]
    out["repeats"] = len(runs)
    return out


def ratio(a: object, b: object) -> float:
    """a / b for two positive numbers, NaN when either is missing."""
    if isinstance(a, int | float) and isinstance(b, int | float) and b > 0:
        return float(a) / float(b)
    return float("nan")


README = Path(__file__).resolve().parent / "README.md"


def update_readme(name: str, markdown: str, readme: Path = README) -> bool:
    """Replace the block between ``<!-- results:NAME -->`` and ``<!-- /results:NAME -->`` in the
    benchmarks README with the latest table; False when the README has no such block."""
    if not readme.exists():
        return False
    text = readme.read_text()
    start, end = f"<!-- results:{name} -->", f"<!-- /results:{name} -->"
    if start not in text or end not in text:
        return False
    head, rest = text.split(start, 1)
    _, tail = rest.split(end, 1)
    body = re.sub(r"^## ", "### ", markdown, flags=re.M)  # the README's own sections are ##
    readme.write_text(f"{head}{start}\n{body.strip()}\n{end}{tail}")
    return True
