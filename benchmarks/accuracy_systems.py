"""B1's tsattn row: fit a configs/ model through the public ``Forecaster`` API and score the test
split with ``Forecaster.evaluate`` (train z-score scale, every window, stride 1)."""

from __future__ import annotations

import time

from benchmarks import protocol
from benchmarks.machine import current_rss_mb


def tsattn_fit(
    dataset: str, config: str, horizon: int, max_epochs: int | None, patience: int | None,
    max_train_rows: int | None, overrides: dict[str, object],
) -> dict[str, object]:
    """Train on the protocol's train split (val split for early stopping), evaluate on test."""
    import yaml

    from tsattn import Forecaster

    spec = yaml.safe_load((protocol.REPO_ROOT / config).read_text())["forecaster"]
    lookback = int(spec["lookback"])
    df = protocol.load(dataset)
    train, val, test = protocol.split_rows(df, dataset, lookback)
    if max_train_rows:  # smoke runs: a few hundred rows of each split
        size = max_train_rows + lookback + horizon
        train, val, test = train.iloc[-size:], val.iloc[:size], test.iloc[:size]
    spec.update(horizon=horizon, enable_progress_bar=False, accelerator="cpu", **overrides)
    if max_epochs is not None:
        spec["max_epochs"] = max_epochs
    if patience is not None:
        spec["patience"] = patience
    rss_setup = current_rss_mb()
    start = time.perf_counter()
    model = Forecaster(**spec).fit(train, val)
    fit_s = time.perf_counter() - start
    metrics = model.evaluate(test, stride=1)
    history = model.history_
    params = model.get_params()  # a config may leave any of these at the library default
    return {
        "mse": float(metrics["mse"]), "mae": float(metrics["mae"]), "fit_s": fit_s,
        "epochs_trained": int(model.epochs_trained_), "max_epochs": int(params["max_epochs"]),
        "patience": params["patience"], "rss_setup_mb": rss_setup,
        "history": history.to_dict(orient="list") if history is not None else None,
        "model": {k: params[k] for k in (
            "cell", "hidden_size", "num_layers", "attention", "decoder", "batch_size",
            "learning_rate", "loss", "lookback", "calendar_features",
        )},
        "network": model.network_.config.to_dict(),  # what the fit resolved ("auto" settings)
    }
