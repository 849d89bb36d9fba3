"""What a run records besides metrics: the resolved config, data facts, versions and tags.

Values are strings in MLflow's params table, so they are rendered here once, the same way for
every run, which keeps runs comparable column by column in the UI.
"""

from __future__ import annotations

import json
import platform
import warnings
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import pandas as pd

if TYPE_CHECKING:
    from tsattn.forecaster import Forecaster

__all__ = [
    "config_dict",
    "data_facts",
    "default_run_name",
    "log_params",
    "model_tags",
    "version_params",
]

_MAX_PARAM_CHARS = 6000  # MLflow's limit on a param value; the full config is also an artifact


def config_dict(forecaster: Forecaster) -> dict[str, Any]:
    """The full resolved configuration ("auto" settings resolved), as a tracked run logs it."""
    resolved: dict[str, Any] = forecaster.config().resolved()
    return resolved


def data_facts(forecaster: Forecaster, frames: Mapping[str, pd.DataFrame | None]) -> dict[str, str]:
    """Series count, rows and time span per split, plus the columns the model reads.

    Keys are `data.<split>.<fact>` and `data.columns.<role>`, so they sort together in the UI.
    """
    facts: dict[str, str] = {}
    time_col, id_col = forecaster.time_col, forecaster.id_col
    roles = {"target": forecaster.target, "past_covariates": forecaster.past_covariates,
             "future_covariates": forecaster.future_covariates}
    for role, columns in roles.items():
        facts[f"data.columns.{role}"] = _render(_as_list(columns))
    facts["data.columns.time"] = _render(time_col)
    facts["data.columns.id"] = _render(id_col)
    for split, frame in frames.items():
        if frame is None:
            continue
        facts[f"data.{split}.rows"] = str(len(frame))
        series = frame[id_col].nunique() if id_col and id_col in frame else 1
        facts[f"data.{split}.series"] = str(series)
        times = frame[time_col] if time_col and time_col in frame else frame.index.to_series()
        if len(times):
            facts[f"data.{split}.start"] = str(times.min())
            facts[f"data.{split}.end"] = str(times.max())
    return facts


def version_params() -> dict[str, str]:
    """`versions.<package>` for every package that shapes results, plus the Python version."""
    from tsattn.versions import package_versions

    versions = {f"versions.{k}": v for k, v in package_versions().items()}
    versions["versions.python"] = platform.python_version()
    return versions


def model_tags(config: Mapping[str, Any]) -> dict[str, str]:
    """Tags to find runs by architecture without opening them."""
    tags = {"tsattn.model": "Forecaster"}
    for key in ("cell", "attention", "decoder", "input_attention", "lookback", "horizon"):
        if key in config:
            tags[f"tsattn.{key}"] = _render(config[key])
    if "target" in config:
        tags["tsattn.target"] = _render(config["target"])
    return tags


def default_run_name(config: Mapping[str, Any]) -> str:
    """e.g. `lstm-additive-L96-H24`: what distinguishes runs at a glance in the run list."""
    cell, attention = config.get("cell", "rnn"), config.get("attention", "attn")
    return f"{cell}-{attention}-L{config.get('lookback', '?')}-H{config.get('horizon', '?')}"


def log_params(run_id: str, params: Mapping[str, Any], *, client: Any) -> None:
    """Log params in batches, skipping keys the run already has with the same value.

    MLflow forbids changing a logged param; a second `fit` in the same run keeps the first
    value and warns with the differing keys rather than failing after training.
    """
    from mlflow.entities import Param

    existing = client.get_run(run_id).data.params
    rendered = {k: _truncate(_render(v)) for k, v in params.items()}
    changed = sorted(k for k, v in rendered.items() if k in existing and existing[k] != v)
    if changed:
        warnings.warn(
            f"MLflow run {run_id} already has params {changed} with other values (another fit "
            "in the same run?); the first values are kept. Start a new or nested run per fit.",
            RuntimeWarning,
            stacklevel=3,
        )
    fresh = [Param(k, v) for k, v in rendered.items() if k not in existing]
    for start in range(0, len(fresh), 100):  # MLflow accepts at most 100 params per batch
        client.log_batch(run_id, params=fresh[start : start + 100])


def _render(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, list | tuple | dict) or value is None:
        return json.dumps(value, default=str)
    return str(value)


def _truncate(text: str) -> str:
    if len(text) <= _MAX_PARAM_CHARS:
        return text
    return text[: _MAX_PARAM_CHARS - 40] + f"... ({len(text)} chars; see config.json)"


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)
