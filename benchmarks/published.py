"""Published L = 96 figures (MSE, MAE) from iTransformer (ICLR 2024), Table 10, as quoted in the
project's shared BENCHMARKS.md. Keyed by (dataset, horizon) -> model -> (mse, mae)."""

from __future__ import annotations

MODELS = ("DLinear", "PatchTST", "TimesNet", "iTransformer")

_ROWS = {
    ("etth1", 96): ((0.386, 0.400), (0.414, 0.419), (0.384, 0.402), (0.386, 0.405)),
    ("etth1", 192): ((0.437, 0.432), (0.460, 0.445), (0.436, 0.429), (0.441, 0.436)),
    ("etth1", 336): ((0.481, 0.459), (0.501, 0.466), (0.491, 0.469), (0.487, 0.458)),
    ("etth1", 720): ((0.519, 0.516), (0.500, 0.488), (0.521, 0.500), (0.503, 0.491)),
    ("etth1", "avg"): ((0.456, 0.452), (0.469, 0.454), (0.458, 0.450), (0.454, 0.447)),
    ("exchange_rate", 96): ((0.088, 0.218), (0.088, 0.205), (0.107, 0.234), (0.086, 0.206)),
    ("exchange_rate", 192): ((0.176, 0.315), (0.176, 0.299), (0.226, 0.344), (0.177, 0.299)),
    ("exchange_rate", 336): ((0.313, 0.427), (0.301, 0.397), (0.367, 0.448), (0.331, 0.417)),
    ("exchange_rate", 720): ((0.839, 0.695), (0.901, 0.714), (0.964, 0.746), (0.847, 0.691)),
    ("exchange_rate", "avg"): ((0.354, 0.414), (0.367, 0.404), (0.416, 0.443), (0.360, 0.403)),
}

PUBLISHED: dict[tuple[str, int | str], dict[str, tuple[float, float]]] = {
    key: dict(zip(MODELS, figures, strict=True)) for key, figures in _ROWS.items()
}
