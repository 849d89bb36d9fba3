"""The two B1 baselines computed in the same run: repeat-last and a per-channel ridge L -> H.

Both see exactly the protocol's windows (``protocol.windows`` over z-scored splits), so their
figures are directly comparable with the published table and with tsattn's ``evaluate``.
"""

from __future__ import annotations

import numpy as np

from benchmarks.protocol import Scaled, mse_mae, windows

RIDGE_ALPHAS = (0.1, 1.0, 10.0, 100.0, 1000.0)


def repeat_last(data: Scaled, lookback: int, horizon: int) -> dict[str, float]:
    """Forecast every step with the last observed value of each channel."""
    x, y = windows(data.test, lookback, horizon)
    return mse_mae(np.broadcast_to(x[:, -1:, :], y.shape), y)


def _ridge_fit(
    x: np.ndarray, y: np.ndarray, alphas: tuple[float, ...]
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Closed-form ridge with an unpenalised intercept (sklearn ``Ridge``'s solution) per alpha.

    Returns (W (L, H), b (H,)) for each alpha; X^T X is (L, L), so every alpha costs one solve.
    """
    x_mean, y_mean = x.mean(axis=0), y.mean(axis=0)
    xc, yc = x - x_mean, y - y_mean
    gram, cross = xc.T @ xc, xc.T @ yc
    fits = []
    for a in alphas:
        w = np.linalg.solve(gram + a * np.eye(gram.shape[0]), cross)
        fits.append((w, y_mean - x_mean @ w))
    return fits


def ridge(data: Scaled, lookback: int, horizon: int) -> dict[str, float | list[float]]:
    """Per-channel ridge regression from the L past values to the H future ones.

    One ridge per channel (channel-independent, as DLinear's "individual" variant), fitted on the
    train windows; alpha is chosen per channel on the validation windows, never on the test split.
    """
    x_tr, y_tr = windows(data.train, lookback, horizon)
    x_va, y_va = windows(data.val, lookback, horizon)
    x_te, y_te = windows(data.test, lookback, horizon)
    pred = np.empty(y_te.shape, np.float64)
    chosen = []
    for c in range(x_tr.shape[2]):
        fits = _ridge_fit(x_tr[:, :, c], y_tr[:, :, c], RIDGE_ALPHAS)
        val_mse = [float(np.mean((x_va[:, :, c] @ w + b - y_va[:, :, c]) ** 2)) for w, b in fits]
        best = int(np.argmin(val_mse))
        w, b = fits[best]
        chosen.append(RIDGE_ALPHAS[best])
        pred[:, :, c] = x_te[:, :, c] @ w + b
    return {**mse_mae(pred, y_te), "alphas": chosen}
