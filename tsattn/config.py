"""Typed configuration: the one source of truth that YAML, the CLI, MLflow and saved models share.

`ForecasterConfig` holds every `Forecaster` parameter; an experiment YAML maps 1:1 onto
`ExperimentConfig` (data + forecaster + tracking + tuning sections). Unknown keys and bad values
are reported with their dotted key before anything runs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from tsattn.errors import ConfigError

__all__ = [
    "DatasetConfig",
    "ExperimentConfig",
    "ForecasterConfig",
    "SplitConfig",
    "TrackingConfig",
    "apply_overrides",
    "load_experiment",
    "validated",
]

Cell = Literal["lstm", "gru"]
Attention = Literal["additive", "general", "dot", "multihead", "none"]
Decoder = Literal["direct", "autoregressive"]
Loss = Literal["auto", "mse", "mae", "huber", "pinball"]
Scheduler = Literal["none", "plateau", "cosine"]
# segment_length="auto": segments of at most this many steps, and at least this many segments
# in the lookback and decoder queries over the horizon
AUTO_SEGMENT_MAX, AUTO_SEGMENTS_MIN = 24, 4


class _Strict(BaseModel):
    """Forbid unknown keys so a typo in YAML is an error, not a silently ignored setting."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class ForecasterConfig(_Strict):
    """Every parameter of `Forecaster`, validated; defaults here are the library defaults."""

    # What to forecast and from which columns.
    target: list[str] = Field(min_length=1)
    time_col: str | None = None
    id_col: str | None = None
    past_covariates: list[str] = Field(default_factory=list)
    future_covariates: list[str] = Field(default_factory=list)
    # none: the lookback already shows the short cycles, and calendar inputs cost accuracy in
    # every case measured (benchmarks/README.md, "Defaults"); "auto" or names opt in
    calendar_features: Literal["auto", "none"] | list[str] = "none"
    freq: str | None = None
    fill_missing: Literal["raise", "ffill", "interpolate"] = "raise"
    constant_columns: Literal["raise", "keep"] = "raise"
    scaling: Literal["standard", "none"] = "standard"
    # Window geometry.
    lookback: int = Field(default=96, ge=2)
    horizon: int = Field(default=24, ge=1)
    stride: int = Field(default=1, ge=1)
    # Network.
    cell: Cell = "lstm"
    hidden_size: int = Field(default=64, ge=1)
    num_layers: int = Field(default=1, ge=1)
    dropout: float = Field(default=0.0, ge=0.0, lt=1.0)
    attention: Attention = "general"  # Luong: no (B, H, L, D) intermediate, so cheapest to try
    num_heads: int = Field(default=4, ge=1)
    input_attention: bool = False
    decoder: Decoder = "direct"
    # "auto" settings resolve in the `resolved_*` properties below
    revin: bool | Literal["auto"] = "auto"  # per-window instance normalisation of the targets
    highway: bool = False
    channel_independent: bool | Literal["auto"] = "auto"  # one shared network per target
    segment_length: int | Literal["auto"] = "auto"  # encoder steps over lookback/S segments
    loss: Loss = "auto"  # pinball with quantiles, else mse
    quantiles: list[float] | None = None
    # Optimisation.
    learning_rate: float = Field(default=1e-3, gt=0)
    weight_decay: float = Field(default=0.0, ge=0)
    lr_scheduler: Scheduler = "none"
    batch_size: int = Field(default=64, ge=1)
    max_epochs: int = Field(default=20, ge=1)
    patience: int | None = Field(default=5, ge=1)
    gradient_clip_val: float | None = Field(default=1.0, gt=0)
    seed: int = 0
    # Hardware, passed straight to Lightning's Trainer.
    accelerator: str = "auto"
    devices: int | str | list[int] = "auto"
    num_workers: int = Field(default=0, ge=0)
    enable_progress_bar: bool = True

    @field_validator("target", "past_covariates", "future_covariates", mode="before")
    @classmethod
    def _one_name_is_a_list(cls, value: Any) -> Any:
        if value is None:
            return []
        return [value] if isinstance(value, str) else value

    @property
    def resolved_loss(self) -> str:
        """The loss actually trained: "auto" means pinball for quantiles, else mse."""
        if self.loss != "auto":
            return self.loss
        return "pinball" if self.quantiles else "mse"

    @property
    def resolved_revin(self) -> bool:
        """"auto" means RevIN, with or without covariates: levels drift and a window's own
        statistics carry them. ETTh1's OT forecast from the six loads scored MSE 0.059 with it and
        0.554 without. A covariate acting in absolute units is still learned: with covariates the
        network also has a candidate forecast with an absolute-unit term, kept when it scores
        better on validation (nn/seq2seq.py)."""
        if self.revin != "auto":
            return self.revin
        return True

    @property
    def resolved_channel_independent(self) -> bool:
        """"auto" means channel-independent unless input attention must weigh the variables
        against each other: one network shared by the targets overfits less (benchmarks/)."""
        if self.channel_independent != "auto":
            return self.channel_independent
        return not self.input_attention

    @property
    def resolved_segment_length(self) -> int:
        """"auto" means the longest segment of at most 24 steps that divides `lookback` into at
        least 4 segments and splits `horizon` into at least 4 queries: SegRNN's day of hourly
        steps and a short recurrence, yet segments for attention to choose between and forecast
        steps whose attention can differ. Set 1 for single-step attention."""
        if self.segment_length != "auto":
            return self.segment_length
        longest = min(AUTO_SEGMENT_MAX, self.lookback // AUTO_SEGMENTS_MIN,
                      self.horizon // AUTO_SEGMENTS_MIN)
        return max(s for s in range(1, max(longest, 1) + 1) if self.lookback % s == 0)

    def resolved(self) -> dict[str, Any]:
        """The parameters with every data-independent "auto" replaced by what a fit will use,
        so a tracked run says which architecture actually trained."""
        return {
            **self.model_dump(mode="json"),
            "loss": self.resolved_loss,
            "revin": self.resolved_revin,
            "channel_independent": self.resolved_channel_independent,
            "segment_length": self.resolved_segment_length,
        }

    @field_validator("segment_length")
    @classmethod
    def _segment_length_positive(cls, value: int | str) -> int | str:
        if isinstance(value, int) and value < 1:
            raise ValueError(f"segment_length must be >= 1 or 'auto', got {value}")
        return value

    @field_validator("quantiles")
    @classmethod
    def _quantiles_in_unit_interval(cls, value: list[float] | None) -> list[float] | None:
        if value is None:
            return None
        if not value or any(not 0.0 < q < 1.0 for q in value) or sorted(set(value)) != value:
            raise ValueError(f"quantiles must be strictly increasing values in (0, 1), got {value}")
        return value

    @model_validator(mode="after")
    def _columns_used_once(self) -> ForecasterConfig:
        names = [*self.target, *self.past_covariates, *self.future_covariates]
        repeated = sorted({n for n in names if names.count(n) > 1})
        if repeated:
            raise ValueError(
                f"columns {repeated} appear more than once across target, past_covariates and "
                "future_covariates; list each column in one role only"
            )
        if self.quantiles and self.loss not in ("auto", "pinball"):
            raise ValueError(
                f"quantiles={self.quantiles} are trained with the pinball loss, but got "
                f"loss='{self.loss}'; use loss='auto' or 'pinball', or drop quantiles"
            )
        if self.loss == "pinball" and not self.quantiles:
            raise ValueError("loss='pinball' needs quantiles, e.g. quantiles=[0.1, 0.5, 0.9]")
        if self.attention == "multihead" and self.hidden_size % self.num_heads:
            raise ValueError(
                f"hidden_size={self.hidden_size} must be divisible by num_heads={self.num_heads} "
                "for multihead attention"
            )
        if self.lookback % self.resolved_segment_length:
            raise ValueError(
                f"lookback={self.lookback} must be a multiple of segment_length="
                f"{self.segment_length}: the encoder reads the lookback in whole segments "
                "(segment_length='auto' picks one that fits)"
            )
        if self.channel_independent is True and self.input_attention:
            raise ValueError(
                "input_attention weighs the variables against each other, but "
                "channel_independent=True gives each target only its own history; turn one off"
            )
        return self


class SplitConfig(_Strict):
    """Temporal split cutoffs: row counts (int), fractions of each series (float) or timestamps."""

    train: int | float | str
    val: int | float | str
    test: int | float | str | None = None


class DatasetConfig(_Strict):
    """Where the data lives for CLI jobs, and how to split it in time."""

    path: Path
    split: SplitConfig | None = None

    @field_validator("path")
    @classmethod
    def _readable_format(cls, value: Path) -> Path:
        if value.suffix.lower() not in {".csv", ".parquet", ".pq"}:
            raise ValueError(f"data.path must be a .csv or .parquet file, got '{value}'")
        return value


class TrackingConfig(_Strict):
    """MLflow settings; `uri=None` means MLFLOW_TRACKING_URI or the local sqlite store."""

    enabled: bool = True
    uri: str | None = None
    experiment: str = "tsattn"
    run_name: str | None = None
    register_as: str | None = None
    alias: str | None = None
    allow_offline: bool = False


class ExperimentConfig(_Strict):
    """A whole experiment file: data, forecaster, tracking, output and (optionally) tuning."""

    name: str = "experiment"
    data: DatasetConfig
    forecaster: ForecasterConfig
    tracking: TrackingConfig = Field(default_factory=TrackingConfig)
    output_dir: Path = Path("outputs")
    tune: dict[str, Any] | None = None


def validated(model: type[_Strict], values: dict[str, Any], where: str = "") -> Any:
    """Build `model` from `values`, turning pydantic's report into a ConfigError naming each key."""
    try:
        return model.model_validate(values)
    except ValidationError as err:
        raise ConfigError(_describe(err, where)) from None


def _describe(err: ValidationError, where: str) -> str:
    lines = []
    for problem in err.errors():
        key = ".".join(str(part) for part in (where, *problem["loc"]) if part != "")
        if problem["type"] == "extra_forbidden":
            lines.append(f"unknown key '{key}': check its spelling against the documented keys")
        else:
            lines.append(f"'{key}': {problem['msg']} (got {problem.get('input')!r})")
    return "invalid configuration:\n  " + "\n  ".join(lines)


def apply_overrides(values: dict[str, Any], overrides: list[str]) -> dict[str, Any]:
    """Apply `key.sub=value` overrides (values parsed as YAML) to a nested config dict."""
    result = yaml.safe_load(yaml.safe_dump(values)) or {}
    for override in overrides:
        key, sep, raw = override.partition("=")
        if not sep or not key:
            raise ConfigError(f"override '{override}' must look like key.sub=value")
        node = result
        *parents, leaf = key.split(".")
        for part in parents:
            child = node.setdefault(part, {})
            if not isinstance(child, dict):
                raise ConfigError(f"override '{override}': '{part}' is not a section")
            node = child
        node[leaf] = yaml.safe_load(raw)
    return result


def load_experiment(path: str | Path, overrides: list[str] | None = None) -> ExperimentConfig:
    """Read and validate an experiment YAML; relative data paths are relative to the working dir."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"config file '{path}' does not exist")
    try:
        raw = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as err:
        raise ConfigError(f"config file '{path}' is not valid YAML: {err}") from None
    if not isinstance(raw, dict):
        raise ConfigError(f"config file '{path}' must hold a mapping of sections")
    config: ExperimentConfig = validated(ExperimentConfig, apply_overrides(raw, overrides or []))
    return config
