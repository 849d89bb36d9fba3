"""A declared forecast job (`pipelines/*.yaml`): model, input, output, tracking, schedule.

Validated like experiment configs: an unknown key or a bad value is named, with its dotted key,
before the model is loaded or any data read. The job's input is a file or a SQL query, its output
a file or a database table; `schedule` is documentation for whoever installs the cron line or the
systemd timer (tsattn never schedules itself).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import Field, field_validator, model_validator

from tsattn.config import TrackingConfig, validated
from tsattn.errors import ConfigError
from tsattn.params import Strict

__all__ = ["ForecastJobSpec", "ForecastSink", "FrameSource", "MonitoringSpec", "load_job"]

_FILE_SUFFIXES = {".csv", ".parquet", ".pq"}


class FrameSource(Strict):
    """Where a frame comes from: a .csv/.parquet `path`, or a `sql` query against `url`."""

    path: Path | None = None
    sql: str | None = None
    url: str | None = Field(default=None, description="SQLAlchemy URL, e.g. postgresql://...")

    @model_validator(mode="after")
    def _one_kind(self) -> FrameSource:
        if (self.path is None) == (self.sql is None):
            raise ValueError("give either path (a .csv/.parquet file) or sql (with url)")
        if self.sql is not None and not self.url:
            raise ValueError("sql needs url, the database to run it against")
        if self.path is not None and self.url:
            raise ValueError("url goes with sql; a path is read as a file")
        if self.path is not None and self.path.suffix.lower() not in _FILE_SUFFIXES:
            raise ValueError(f"path must be a .csv or .parquet file, got '{self.path}'")
        return self


class ForecastSink(Strict):
    """Where the forecast goes: a .csv/.parquet `path`, or a `table` in the database at `url`."""

    path: Path | None = None
    table: str | None = None
    url: str | None = Field(default=None, description="SQLAlchemy URL, e.g. postgresql://...")
    db_schema: str | None = Field(default=None, alias="schema", description="Database schema.")

    @model_validator(mode="after")
    def _one_kind(self) -> ForecastSink:
        if (self.path is None) == (self.table is None):
            raise ValueError("give either path (a .csv/.parquet file) or table (with url)")
        if self.table is not None and not self.url:
            raise ValueError("table needs url, the database to write it to")
        if self.path is not None and (self.url or self.db_schema):
            raise ValueError("url and schema go with table; a path is written as a file")
        if self.path is not None and self.path.suffix.lower() not in _FILE_SUFFIXES:
            raise ValueError(f"path must be a .csv or .parquet file, got '{self.path}'")
        return self


class MonitoringSpec(Strict):
    """Score earlier origins' forecasts first; flag drift when the newest one is worse than this.

    Needs a table output, where the earlier forecasts are kept. Either bound may be left out.
    """

    max_mae: float | None = Field(default=None, gt=0, description="In the data's units.")
    max_mase: float | None = Field(default=None, gt=0, description="1 = as good as naive.")
    season: int = Field(
        default=1, ge=1, description="MASE's naive forecast repeats the value this many steps "
        "back: 1 the last one, the period (24 for hourly data) the same time a season ago."
    )


class ForecastJobSpec(Strict):
    """One scheduled forecast: `model` (`models:/name@alias` or a folder), `input` to `output`."""

    name: str
    model: str
    input: FrameSource
    output: ForecastSink
    future: FrameSource | None = None
    schedule: str | None = Field(
        default=None, description="When it runs, e.g. a cron line; documentation only."
    )
    tracking: TrackingConfig = Field(
        default_factory=lambda: TrackingConfig(experiment="tsattn-forecast")
    )
    monitoring: MonitoringSpec | None = None
    levels: list[float] = Field(
        default_factory=list,
        description="Interval levels, e.g. [0.8, 0.95]: calibrated bounds <target>_lo_80, "
        "<target>_hi_80, ... beside the forecast (the model must be calibrated for them).",
    )

    @field_validator("levels")
    @classmethod
    def _levels_in_range(cls, levels: list[float]) -> list[float]:
        bad = [level for level in levels if not 0.0 < level < 1.0]
        if bad:
            raise ValueError(f"each level must lie strictly between 0 and 1 (0.8 = 80 %): {bad}")
        if len(set(levels)) != len(levels):
            raise ValueError(f"levels {levels} repeat a level")
        return levels

    @model_validator(mode="after")
    def _monitoring_needs_a_table(self) -> ForecastJobSpec:
        if self.monitoring is not None and self.output.table is None:
            raise ValueError(
                "monitoring scores the forecasts of earlier origins, which only a table output "
                "keeps: write to output.table, or drop monitoring"
            )
        return self


def load_job(path: str | Path) -> ForecastJobSpec:
    """Read and validate a job YAML; a ConfigError names the file and every bad key."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"job file '{path}' does not exist")
    try:
        raw: Any = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as err:
        raise ConfigError(f"job file '{path}' is not valid YAML: {err}") from None
    if not isinstance(raw, dict):
        raise ConfigError(f"job file '{path}' must hold a mapping of keys")
    try:
        spec: ForecastJobSpec = validated(ForecastJobSpec, raw)
    except ConfigError as err:
        raise ConfigError(f"job file '{path}': {err}") from None
    return spec
