"""`NetworkConfig`s for the nn tests, without a second set of defaults to keep in step.

A NetworkConfig has no defaults of its own (`ForecasterConfig` declares them), so `network`
fills every hyperparameter a test leaves out from the declared library defaults, except the
plain architecture the nn tests were written against: single-step additive attention, no RevIN,
channels mixed. A new network hyperparameter needs no change here.
"""

from __future__ import annotations

from typing import Any

from tsattn.config import ForecasterConfig
from tsattn.nn import SHAPE_FIELDS, NetworkConfig

PLAIN: dict[str, Any] = dict(
    attention="additive", revin=False, channel_independent=False, segment_length=1
)


def network_params(*, lookback: int, horizon: int, **params: Any) -> dict[str, Any]:
    """The hyperparameters of a NetworkConfig, resolved the way a fit resolves them.

    Built without validation (`model_construct`) so a test can hand NetworkConfig a combination
    ForecasterConfig would refuse, to check the network's own guards.
    """
    declared = ForecasterConfig.model_construct(
        target=["y"], lookback=lookback, horizon=horizon, **{**PLAIN, **params}
    )
    return declared.network_params()


def network(**fields: Any) -> NetworkConfig:
    """A NetworkConfig from the shapes (`n_features`, `n_targets`, `n_future`, `lookback`,
    `horizon`; no static covariates unless `n_static` / `static_cardinalities` are given) and
    any hyperparameters to set."""
    fields = {"n_static": 0, "static_cardinalities": (), "categorical": (), **fields}
    shapes = {name: fields.pop(name) for name in SHAPE_FIELDS}
    return NetworkConfig(**shapes, **network_params(**fields))
