"""`ForecasterConfig`: every `Forecaster` parameter, declared once (type, default, constraint, doc).

The `Forecaster` signature and docstring, the experiment YAML's `forecaster:` section, the
network's hyperparameters (`NETWORK`) and what a study may tune (`NotTunable`) all derive from
these declarations (`tsattn.params`); `tests/test_declarations.py` fails if any of them drifts.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, field_validator, model_validator

from tsattn.nn.config import Attention, Cell, Decoder
from tsattn.params import NETWORK, Accepts, NotTunable, Strict, ToNetwork, fields_marked

__all__ = ["AUTO_SEGMENTS_MIN", "AUTO_SEGMENT_MAX", "ForecasterConfig", "network_fields"]

Loss = Literal["auto", "mse", "mae", "huber", "pinball"]
Scheduler = Literal["none", "plateau", "cosine"]
# segment_length="auto": segments of at most this many steps, and at least this many segments
# in the lookback and decoder queries over the horizon
AUTO_SEGMENT_MAX, AUTO_SEGMENTS_MIN = 24, 4


def _one_name_is_a_list(value: Any) -> Any:
    if value is None:
        return []
    return [value] if isinstance(value, str) else value


# Column names: one name or None is accepted and becomes a list.
Names = Annotated[list[str], BeforeValidator(_one_name_is_a_list), Accepts(str)]

DEFAULT_INTERVAL_LEVELS = (0.8, 0.95)
# Interval levels: None (scikit-learn's stand-in for a mutable default) means the defaults.
Levels = Annotated[
    list[float],
    BeforeValidator(lambda value: list(DEFAULT_INTERVAL_LEVELS) if value is None else value),
]
_COLUMN = NotTunable("it names a data column")
_COLUMNS = NotTunable("it names data columns")
_HARDWARE = NotTunable("--workers/--gpus decide the hardware")


class ForecasterConfig(Strict):
    """Every parameter of `Forecaster`, validated; defaults here are the library defaults."""

    # What to forecast and from which columns.
    target: Annotated[Names, NotTunable("it defines what is forecast")] = Field(
        min_length=1, description="Column(s) to forecast: one name or a list.")
    time_col: Annotated[str | None, _COLUMN] = Field(
        None, description="Column of timestamps or integer time steps; None uses the frame's "
        "index (a DatetimeIndex, or a RangeIndex / integer index for steps).")
    id_col: Annotated[str | None, _COLUMN] = Field(
        None, description="Column naming the series of a long panel; None for one wide series.")
    past_covariates: Annotated[Names, _COLUMNS] = Field(
        default_factory=list, description="Input columns observed up to the forecast origin.")
    static_covariates: Annotated[Names, _COLUMNS] = Field(
        default_factory=list, description="Columns holding one value per series (a store's size, "
        "its region): numeric ones are z-scored across series, others embedded as categories; "
        "they set the encoder's initial state.")
    future_covariates: Annotated[Names, _COLUMNS] = Field(
        default_factory=list,
        description="Input columns known over the horizon too; `predict` takes their values as "
        "`future_df`.")
    calendar_features: Literal["auto", "none"] | list[str] = Field(
        "none",
        description="Known-future sin/cos calendar inputs: names such as ['weekday', 'month'], "
        "'auto' for those that vary at the data's frequency and repeat in the training span, or "
        "'none'. Off by default: the lookback already shows the short cycles, and calendar inputs "
        "cost accuracy in every case measured (benchmarks/README.md, 'Defaults').")
    freq: Annotated[str | int | None, NotTunable("it describes the data")] = Field(
        None, description="Pandas frequency of the timestamps ('h', 'D'), or the step of an "
        "integer time axis (1); None infers it from train_df.")
    fill_missing: Literal["raise", "ffill", "interpolate"] = Field(
        "raise", description="NaN/inf in the data raise, or are filled forward or interpolated.")
    constant_columns: Literal["raise", "keep"] = Field(
        "raise", description="A constant column raises (it carries no signal), or is kept.")
    scaling: Literal["standard", "none"] = Field(
        "standard", description="Per-series z-scores fitted on train_df only, or none.")
    # Window geometry.
    lookback: Annotated[int, NETWORK] = Field(
        96, ge=2, description="Past steps each forecast reads (L).")
    horizon: Annotated[int, NETWORK, NotTunable(
        "it defines the task, so scores for different horizons are not comparable")] = Field(
        24, ge=1, description="Steps forecast after each origin (H).")
    stride: int = Field(1, ge=1, description="Steps between consecutive training windows.")
    # Network.
    cell: Annotated[Cell, NETWORK] = Field(
        "lstm", description="Recurrent cell of the encoder and decoder.")
    hidden_size: Annotated[int, NETWORK] = Field(
        64, ge=1, description="Width of the recurrent state (D).")
    num_layers: Annotated[int, NETWORK] = Field(1, ge=1, description="Stacked recurrent layers.")
    dropout: Annotated[float, NETWORK] = Field(
        0.0, ge=0.0, lt=1.0, description="Dropout rate, in [0, 1).")
    attention: Annotated[Attention, NETWORK] = Field(
        "general",
        description="Temporal attention over the lookback; 'none' reads only the final encoder "
        "state. 'general' (Luong) by default: no (B, H, L, D) intermediate, so cheapest to try.")
    num_heads: Annotated[int, NETWORK] = Field(
        4, ge=1, description="Heads of attention='multihead', which must divide hidden_size; "
        "every other attention is single-head.")
    num_reads: Annotated[int, NETWORK] = Field(
        3, ge=1, description="Places each forecast step reads past values from at once (G), "
        "each reported as a head: one more than the lagged drivers or seasons to find. Three by "
        "default: with two, 4 of 20 fits of two planted drivers ended at 2.1-16.5x their noise "
        "floor, a read stuck beside its cause and none spare (benchmarks B5).")
    input_attention: Annotated[bool, NETWORK] = Field(
        False, description="DA-RNN style weights over the input variables at every step.")
    decoder: Annotated[Decoder, NETWORK] = Field(
        "direct", description="'direct' forecasts all horizon steps at once, 'autoregressive' "
        "one after the other.")
    # "auto" settings resolve in the `resolved_*` properties below
    revin: Annotated[bool | Literal["auto"], NETWORK] = Field(
        "auto", description="Per-window instance normalisation of the targets (RevIN); 'auto' "
        "turns it on.")
    highway: Annotated[bool, NETWORK] = Field(
        False, description="Add a linear lookback -> horizon map per target beside the attention "
        "RNN (LSTNet).")
    channel_independent: Annotated[bool | Literal["auto"], NETWORK] = Field(
        "auto", description="One network shared by the targets, each seeing only its own history "
        "(PatchTST); 'auto' unless input_attention.")
    segment_length: Annotated[int | Literal["auto"], NETWORK] = Field(
        "auto", description="The encoder steps over lookback/S segments of S steps (SegRNN); "
        "'auto' picks them from lookback and horizon, 1 gives single-step attention.")
    loss: Loss = Field("auto", description="Training loss; 'auto' is pinball with quantiles, "
                       "else mse.")
    quantiles: Annotated[list[float] | None, NETWORK, NotTunable(
        "it changes the loss, so scores are not comparable")] = Field(
        None, description="Strictly increasing levels in (0, 1) to forecast with the pinball "
        "loss; None for a point forecast.")
    interval_levels: Annotated[Levels, NotTunable("it does not change the network")] = Field(
        default_factory=lambda: list(DEFAULT_INTERVAL_LEVELS), description="Coverage levels of "
        "the conformal intervals `calibrate` (or `fit` with calibration_df) learns, on top of "
        "point or quantile heads; `predict(levels=...)` returns their bounds.")
    # Optimisation.
    learning_rate: float = Field(1e-3, gt=0, description="AdamW learning rate.")
    weight_decay: float = Field(0.0, ge=0, description="AdamW weight decay (not on biases).")
    lr_scheduler: Scheduler = Field(
        "none", description="Learning-rate schedule: none, plateau (on val_loss) or cosine.")
    # Off by default: at 0.2 it cost the segment-of-24 architecture its precision (B5's quiet
    # case 1.75x -> 2.46x the noise floor) and ETTh1's deletion ratio (2.96 -> 2.03)
    read_dropout: float = Field(
        0.0, ge=0, lt=1, description="Chance each attention read is dropped in a training step, "
        "falling linearly to 0 over the first 250 steps; 0 (default) turns it off. Try 0.2 with "
        "two or more lagged drivers: it keeps one read from covering two causes' lags while "
        "another cancels part of it (B5 varied: two drivers at lags 8 and 30, 2.6x the noise "
        "floor without, 1.3x with; three drivers, worst 3.8x without, 2.1x with).")
    # 32, not 64: twice the optimiser steps in the same epochs. A fit of 20 epochs on a small
    # set is short of steps: at 64 the planted B5 cases with a noise floor below 0.001 reached
    # 1.45-4.25x their floor on validation, at 32 1.07-1.94x (benchmarks/README.md, B5)
    batch_size: int = Field(32, ge=1, description="Windows per training batch.")
    max_epochs: int = Field(20, ge=1, description="Most epochs to train.")
    patience: int | None = Field(
        5, ge=1, description="Epochs without a better validation loss before stopping early; "
        "None never stops early.")
    gradient_clip_val: float | None = Field(
        1.0, gt=0, description="Gradient clipping threshold; None does not clip.")
    seed: int = Field(0, description="Seed of every random generator, for repeatable fits.")
    # Hardware, passed straight to Lightning's Trainer.
    accelerator: Annotated[str, _HARDWARE] = Field(
        "auto", description="Lightning Trainer accelerator ('cpu', 'gpu', 'auto').")
    devices: Annotated[int | str | list[int], _HARDWARE] = Field(
        "auto", description="Lightning Trainer devices; more than one trains data-parallel (DDP).")
    strategy: Annotated[str, _HARDWARE] = Field(
        "auto", description="Lightning Trainer strategy ('auto', 'ddp', 'ddp_spawn', ...). With "
        "several devices on one machine, 'auto' and 'ddp' start the processes from inside `fit` "
        "rather than by re-running the calling script (tsattn.distributed).")
    num_nodes: Annotated[int, _HARDWARE] = Field(
        1, ge=1, description="Machines training together, each running the same command under "
        "torchrun or SLURM (README, 'Training on several processes').")
    num_workers: Annotated[int, NotTunable(
        "it is a data-loading setting, not a model setting")] = Field(
        0, ge=0, description="DataLoader worker processes.")
    enable_progress_bar: Annotated[bool, NotTunable("it only changes console output")] = Field(
        True, description="Show Lightning's progress bar.")

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
        return {**self.model_dump(mode="json"), **self._resolved_autos()}

    def network_params(self) -> dict[str, Any]:
        """The `NETWORK` fields as the network takes them, copied by name: "auto" resolved, one
        head unless multihead (the others are single-head), and quantiles a tuple (() = point)."""
        values = {
            **{name: getattr(self, name) for name in network_fields()},
            **self._resolved_autos(),
            "num_heads": self.num_heads if self.attention == "multihead" else 1,
            "quantiles": tuple(self.quantiles or ()),
        }
        return {name: values[name] for name in network_fields()}

    def _resolved_autos(self) -> dict[str, Any]:
        return {
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

    @field_validator("interval_levels")
    @classmethod
    def _levels_in_unit_interval(cls, value: list[float]) -> list[float]:
        if any(not 0.0 < level < 1.0 for level in value) or len(set(value)) != len(value):
            raise ValueError(
                f"interval_levels must be distinct values strictly between 0 and 1 (0.8 = 80 %), "
                f"got {value}"
            )
        return value

    @model_validator(mode="after")
    def _columns_used_once(self) -> ForecasterConfig:
        names = [*self.target, *self.past_covariates, *self.future_covariates,
                 *self.static_covariates]  # fmt: skip
        repeated = sorted({n for n in names if names.count(n) > 1})
        if repeated:
            raise ValueError(
                f"columns {repeated} appear more than once across target, past_covariates, "
                "future_covariates and static_covariates; list each column in one role only"
            )
        return self

    @model_validator(mode="after")
    def _loss_fits_quantiles(self) -> ForecasterConfig:
        if self.quantiles and self.loss not in ("auto", "pinball"):
            raise ValueError(
                f"quantiles={self.quantiles} are trained with the pinball loss, but got "
                f"loss='{self.loss}'; use loss='auto' or 'pinball', or drop quantiles"
            )
        if self.loss == "pinball" and not self.quantiles:
            raise ValueError("loss='pinball' needs quantiles, e.g. quantiles=[0.1, 0.5, 0.9]")
        return self

    @model_validator(mode="after")
    def _architecture_fits_together(self) -> ForecasterConfig:
        """The only check of these rules: `NetworkConfig` asserts them without the advice."""
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


def network_fields() -> tuple[str, ...]:
    """The `ForecasterConfig` fields marked `NETWORK`, in declaration order."""
    return tuple(fields_marked(ForecasterConfig, ToNetwork))
