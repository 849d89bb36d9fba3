"""The one configuration object of the network: shapes from the data plus architecture choices.

Frozen so a built network can never drift from the config it was built from, and JSON-round-
trippable (`to_dict` / `from_dict`) so checkpoints, MLflow and YAML all store one source of truth.
The hyperparameters are declared (default, constraint, doc) once, in `ForecasterConfig`, whose
`network_params()` fills them here by name; so they have no defaults here, and the checks below
are cheap guards of what the modules rely on, not the user-facing errors.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Literal, get_args

from tsattn.errors import ConfigError
from tsattn.nn.categorical import embedding_size

__all__ = [
    "ATTENTIONS", "CELLS", "DECODERS", "SHAPE_FIELDS", "Attention", "Cell", "Decoder",
    "NetworkConfig",
]  # fmt: skip

# The architectures the modules implement; ForecasterConfig's fields take their type from here.
Cell = Literal["lstm", "gru"]
Attention = Literal["additive", "general", "dot", "multihead", "none"]
Decoder = Literal["direct", "autoregressive"]
CELLS: tuple[str, ...] = get_args(Cell)
ATTENTIONS: tuple[str, ...] = get_args(Attention)
DECODERS: tuple[str, ...] = get_args(Decoder)
# The fields the data decides (from the first batch), not the user: every other field is a
# ForecasterConfig field of the same name.
SHAPE_FIELDS = (
    "n_features", "n_targets", "n_future", "n_static", "static_cardinalities", "categorical",
)  # fmt: skip


@dataclass(frozen=True)
class NetworkConfig:
    """Shapes and architecture of an `AttentionSeq2Seq`.

    The first six fields describe the data; the rest are the hyperparameters that
    `ForecasterConfig` declares and documents. `num_heads` is only used by
    `attention="multihead"`: every other attention is single-head by definition and returns
    weights with N = 1. An empty `quantiles` tuple means a point forecast (Q = 1 in the output).
    """

    n_features: int  # V: variables in the past window; the first `n_targets` are the targets
    n_targets: int  # C
    n_future: int  # F: known-future features per horizon step (may be 0)
    n_static: int  # numeric static covariates per series (may be 0)
    static_cardinalities: tuple[int, ...]  # codes of each categorical static, unknown included
    # coded categorical covariates: (position in past, in future or -1, codes incl. unknown)
    categorical: tuple[tuple[int, int, int], ...]
    lookback: int  # L
    horizon: int  # H
    cell: Cell
    hidden_size: int  # D
    num_layers: int
    dropout: float
    attention: Attention
    num_heads: int  # N, multihead only
    num_reads: int  # G: places each step reads past values from (StepAttention)
    input_attention: bool
    decoder: Decoder
    revin: bool
    highway: bool  # a linear lookback -> horizon map per target (LSTNet)
    channel_independent: bool  # one shared network per target channel (PatchTST)
    segment_length: int  # S: the encoder steps over L/S segments of S steps (SegRNN)
    quantiles: tuple[float, ...]

    def __post_init__(self) -> None:
        # frozen: object.__setattr__ is the sanctioned way to normalise a JSON list to a tuple
        object.__setattr__(self, "quantiles", tuple(float(q) for q in self.quantiles))
        cardinalities = tuple(int(c) for c in self.static_cardinalities)
        object.__setattr__(self, "static_cardinalities", cardinalities)
        coded = tuple((int(p), int(f), int(c)) for p, f, c in self.categorical)
        object.__setattr__(self, "categorical", coded)
        self._check_shapes()
        self._check_invariants()

    def _check_shapes(self) -> None:
        """The data-derived fields are declared here only, so their checks live here."""
        for name in ("n_features", "n_targets"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ConfigError(f"{name} must be a positive integer, but got {name}={value!r}.")
        if not isinstance(self.n_static, int) or self.n_static < 0 or any(
            c < 2 for c in self.static_cardinalities
        ):
            raise ConfigError(
                f"n_static must be an integer >= 0 and each static cardinality >= 2 (a category "
                f"and the unknown bucket), but got n_static={self.n_static!r}, "
                f"static_cardinalities={self.static_cardinalities!r}."
            )
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

    def _check_invariants(self) -> None:
        """What the modules would otherwise get wrong silently or deep inside a forward pass.

        `ForecasterConfig` validates each of these with the fix spelled out; this only catches
        a config built or edited by hand.
        """
        qs = self.quantiles
        invariants = {
            "cell, attention and decoder are implemented names": (
                self.cell in CELLS and self.attention in ATTENTIONS and self.decoder in DECODERS
            ),
            "lookback, horizon, hidden_size, num_layers, num_heads, num_reads and "
            "segment_length are positive": min(self.lookback, self.horizon, self.hidden_size,
                                               self.num_layers, self.num_heads, self.num_reads,
                                               self.segment_length) >= 1,
            "lookback is a multiple of segment_length": (
                self.segment_length < 1 or self.lookback % self.segment_length == 0
            ),
            "channel_independent and input_attention are not both on": not (
                self.channel_independent and self.input_attention
            ),
            "dropout is in [0, 1)": 0.0 <= self.dropout < 1.0,
            "quantiles are strictly increasing in (0, 1)": all(0.0 < q < 1.0 for q in qs)
            and all(a < b for a, b in zip(qs, qs[1:])),
        }
        broken = [rule for rule, holds in invariants.items() if not holds]
        if broken:
            raise ConfigError(
                f"inconsistent NetworkConfig: need {'; '.join(broken)}, but got {self!r}. "
                "Build it with ForecasterConfig(...).network_params(), which explains each rule."
            )

    @property
    def static_width(self) -> int:
        """Z: encoded static values per series (numeric, then one code per categorical)."""
        return self.n_static + len(self.static_cardinalities)

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

    def embedded(self) -> NetworkConfig:
        """The shapes after categorical codes become embeddings (`CategoricalInputs`)."""
        if not self.categorical:
            return self
        widths = [embedding_size(card) for _, _, card in self.categorical]
        ahead = [w for (_, f, _), w in zip(self.categorical, widths, strict=True) if f >= 0]
        return dataclasses.replace(
            self,
            n_features=self.n_features - len(widths) + sum(widths),
            n_future=self.n_future - len(ahead) + sum(ahead),
            categorical=(),
        )

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
        data["static_cardinalities"] = list(self.static_cardinalities)
        data["categorical"] = [list(column) for column in self.categorical]
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> NetworkConfig:
        """Inverse of `to_dict`; unknown keys raise rather than being silently dropped."""
        # models saved before static and categorical covariates, and before num_reads (two)
        data = {"n_static": 0, "static_cardinalities": [], "categorical": [], "num_reads": 2,
                **data}
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
