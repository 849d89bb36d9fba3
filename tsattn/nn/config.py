"""The one configuration object of the network: shapes from the data plus architecture choices.

Frozen so a built network can never drift from the config it was built from, and JSON-round-
trippable (`to_dict` / `from_dict`) so checkpoints, MLflow and YAML all store one source of truth.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from tsattn.errors import ConfigError

__all__ = ["ATTENTIONS", "CELLS", "DECODERS", "NetworkConfig"]

CELLS = ("lstm", "gru")
ATTENTIONS = ("additive", "general", "dot", "multihead", "none")
DECODERS = ("direct", "autoregressive")


@dataclass(frozen=True)
class NetworkConfig:
    """Shapes and architecture of an `AttentionSeq2Seq`.

    The first four fields describe the data (they come from the first batch, not from the user);
    the rest are hyperparameters. `num_heads` is only used by `attention="multihead"`: every other
    attention is single-head by definition and returns weights with N = 1.
    An empty `quantiles` tuple means a point forecast (Q = 1 in the output).
    """

    n_features: int  # V: variables in the past window; the first `n_targets` are the targets
    n_targets: int  # C
    n_future: int  # F: known-future features per horizon step (may be 0)
    lookback: int  # L
    horizon: int  # H
    cell: str = "lstm"
    hidden_size: int = 64  # D
    num_layers: int = 1
    dropout: float = 0.0
    attention: str = "additive"
    num_heads: int = 4  # N, multihead only
    input_attention: bool = False
    decoder: str = "direct"
    revin: bool = False
    quantiles: tuple[float, ...] = ()
    highway: bool = False  # add a linear lookback -> horizon map per target (LSTNet)
    channel_independent: bool = False  # one shared network per target channel (PatchTST)
    segment_length: int = 1  # S: the encoder steps over L/S segments of S steps (SegRNN)

    def __post_init__(self) -> None:
        # frozen: object.__setattr__ is the sanctioned way to normalise a JSON list to a tuple
        object.__setattr__(self, "quantiles", tuple(float(q) for q in self.quantiles))
        self._validate()

    def _validate(self) -> None:
        for name in ("n_features", "n_targets", "lookback", "horizon", "hidden_size", "num_layers",
                     "num_heads", "segment_length"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ConfigError(f"{name} must be a positive integer, but got {name}={value!r}.")
        if not isinstance(self.n_future, int) or self.n_future < 0:
            raise ConfigError(
                f"n_future must be an integer >= 0, but got n_future={self.n_future!r}."
            )
        if self.n_targets > self.n_features:
            raise ConfigError(
                f"the targets are the first n_targets of the n_features past variables, so "
                f"n_targets <= n_features, but got n_targets={self.n_targets}, "
                f"n_features={self.n_features}."
            )
        for name, allowed in (("cell", CELLS), ("attention", ATTENTIONS), ("decoder", DECODERS)):
            value = getattr(self, name)
            if value not in allowed:
                raise ConfigError(f"{name} must be one of {allowed}, but got {name}={value!r}.")
        if not 0.0 <= self.dropout < 1.0:
            raise ConfigError(f"dropout must be in [0, 1), but got dropout={self.dropout!r}.")
        if self.attention == "multihead" and self.hidden_size % self.num_heads != 0:
            raise ConfigError(
                f"multihead attention splits hidden_size across heads, so hidden_size must be "
                f"divisible by num_heads, but got hidden_size={self.hidden_size}, "
                f"num_heads={self.num_heads}."
            )
        if self.lookback % self.segment_length != 0:
            raise ConfigError(
                f"the encoder reads the lookback in whole segments, so lookback must be a "
                f"multiple of segment_length, but got lookback={self.lookback}, "
                f"segment_length={self.segment_length}."
            )
        if self.channel_independent and self.input_attention:
            raise ConfigError(
                "input_attention weighs the variables against each other, but "
                "channel_independent=True gives each target channel only its own history; "
                "turn one of them off."
            )
        qs = self.quantiles
        if any(not 0.0 < q < 1.0 for q in qs) or any(a >= b for a, b in zip(qs, qs[1:])):
            raise ConfigError(
                f"quantiles must be strictly increasing values in (0, 1) (or empty for a point "
                f"forecast), but got quantiles={qs!r}."
            )

    @property
    def n_outputs(self) -> int:
        """Q: values predicted per target and step (1 for a point forecast)."""
        return max(len(self.quantiles), 1)

    @property
    def median_index(self) -> int:
        """Index along Q of the point forecast: the quantile nearest 0.5 (the lower on ties)."""
        if not self.quantiles:
            return 0
        return min(range(len(self.quantiles)), key=lambda i: (abs(self.quantiles[i] - 0.5), i))

    def per_channel(self) -> NetworkConfig:
        """The shapes one channel sees in channel-independent mode: its own target plus the
        shared (non-target) variables, forecasting one target."""
        if not self.channel_independent:
            return self
        return dataclasses.replace(
            self, n_features=self.n_features - self.n_targets + 1, n_targets=1,
            channel_independent=False,
        )

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON/YAML types only (quantiles as a list, since YAML tags tuples)."""
        data = dataclasses.asdict(self)
        data["quantiles"] = list(self.quantiles)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> NetworkConfig:
        """Inverse of `to_dict`; unknown keys raise rather than being silently dropped."""
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ConfigError(
                f"unknown NetworkConfig keys {unknown}; the valid keys are {sorted(known)}."
            )
        required = {
            f.name for f in dataclasses.fields(cls)
            if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
        }
        missing = sorted(required - set(data))
        if missing:
            raise ConfigError(f"NetworkConfig is missing the required keys {missing}.")
        return cls(**data)
