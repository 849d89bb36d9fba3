"""Does the attention say what the model uses? A deletion test on real windows.

For each window, the k % past timesteps with the most attention (mean over forecast steps and
heads) are replaced by a neutral value, linear interpolation between their kept neighbours,
and the forecast is run again. The same is done for k % random timesteps, drawn both scattered
and as one contiguous block: deleting a run hurts more than deleting scattered points whatever
the attention says, so the honest figure is the smaller of the two ratios

    ratio = change(top k %) / change(random k %),   change = mean squared forecast difference.

A ratio near 1 means the weights do not reflect what the network reads.

A channel-independent network attends separately for each target, so each target is tested on
its own attention (`interpret(target=...)`) and its own forecast: the mean of the targets'
weights would pick timesteps that no one target's forecast chose.

`by="contribution"` ranks the timesteps by the read contributions instead (their absolute
values summed over forecast steps and variables, `tsattn.nn.contributions`): whether what they
say moved the forecast is what moves it most when deleted.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

import numpy as np
import pandas as pd
import torch

if TYPE_CHECKING:
    from tsattn.forecaster import Forecaster

__all__ = ["deletion_test", "interpolate_over"]


def interpolate_over(
    past: np.ndarray, deleted: np.ndarray, categorical: tuple[int, ...] = ()
) -> np.ndarray:
    """Replace the `deleted` (W, L) timesteps of `past` (W, L, V) by linear interpolation.

    Each variable is interpolated between its nearest kept neighbours inside the window; a run at
    either end takes the nearest kept value. The `categorical` variables hold category codes,
    where a value between two codes would be a third category: they take the code of the
    nearest kept step (the earlier one on a tie).
    """
    out = past.copy()
    steps = np.arange(past.shape[1])
    for w in range(past.shape[0]):
        gone = deleted[w]
        if not gone.any():
            continue
        kept = steps[~gone]
        nearest = kept[np.abs(steps[gone][:, None] - kept[None, :]).argmin(axis=1)]
        for v in range(past.shape[2]):
            if v in categorical:
                out[w, gone, v] = past[w, nearest, v]
            else:
                out[w, gone, v] = np.interp(steps[gone], kept, past[w, kept, v])
    return out


def _forecast(network: torch.nn.Module, past: np.ndarray, future: np.ndarray | None,
              static: np.ndarray | None = None, target: int | None = None,
              batch_size: int = 512, by: str = "attention") -> tuple[np.ndarray, np.ndarray]:
    """Point forecasts (W, H, C, Q) and the importance of each past timestep (W, L) of `past`:
    `target`'s own attention in a channel-independent network, else the mean over targets;
    with by="contribution" the absolute read contributions to `target`'s (or all) forecasts."""
    predictions, importance = [], []
    network.eval()
    with torch.inference_mode():
        for start in range(0, len(past), batch_size):
            chunk = torch.from_numpy(past[start : start + batch_size])
            fut = None if future is None else torch.from_numpy(future[start : start + batch_size])
            stat = None if static is None else torch.from_numpy(static[start : start + batch_size])
            out = network(chunk, fut, return_attention=True, static=stat,
                          attention_target=target, return_contributions=by == "contribution")
            predictions.append(out.prediction.numpy())
            if by == "contribution" and out.read_contributions is not None:
                moved = out.read_contributions.abs()  # -> (B, H, C, L, V)
                if target is not None:
                    moved = moved[:, :, target : target + 1]
                importance.append(moved.sum(dim=(1, 2, 4)).numpy())  # -> (B, L)
            elif by == "attention" and out.temporal_attention is not None:  # (B, N, H, L)
                importance.append(out.temporal_attention.mean(dim=(1, 2)).numpy())
    if not importance:
        raise ValueError("this model has no temporal attention (attention='none') to test")
    return np.concatenate(predictions), np.concatenate(importance)


def _top_mask(importance: np.ndarray, k: int) -> np.ndarray:
    order = np.argsort(-importance, axis=1)[:, :k]
    mask = np.zeros(importance.shape, dtype=bool)
    np.put_along_axis(mask, order, True, axis=1)
    return mask


def _random_masks(shape: tuple[int, int], k: int, rng: np.random.Generator
                  ) -> tuple[np.ndarray, np.ndarray]:
    """(scattered, contiguous) masks of k timesteps per window."""
    W, L = shape
    scattered = np.zeros(shape, dtype=bool)
    contiguous = np.zeros(shape, dtype=bool)
    for w in range(W):
        scattered[w, rng.choice(L, size=k, replace=False)] = True
        start = rng.integers(0, L - k + 1)
        contiguous[w, start : start + k] = True
    return scattered, contiguous


def _windows(forecaster: Forecaster, df: pd.DataFrame, stride: int, max_windows: int | None
             ) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
    """The scaled past (W, L, V), known future (W, H, F) and statics (W, Z) of the windows in
    `df`: every `stride`-th, then at most `max_windows` of those, evenly spaced."""
    prep = forecaster._fitted()
    dataset = prep.window_dataset(prep.transform(df, role="df"), stride=stride)
    index = np.arange(len(dataset))
    if max_windows is not None and len(index) > max_windows:
        index = np.unique(np.linspace(0, len(index) - 1, max_windows).round().astype(int))
    batch = dataset.__getitems__(index.tolist())
    future, static = batch["future"], batch.get("static")
    return (
        batch["past"].numpy(),
        future.numpy() if future.size(-1) else None,
        None if static is None else static.numpy(),
    )


def deletion_test(forecaster: Forecaster, df: pd.DataFrame, *,
                  fractions: tuple[float, ...] = (0.05, 0.1, 0.2), draws: int = 5,
                  stride: int = 1, max_windows: int | None = None,
                  seed: int = 0,
                  by: Literal["attention", "contribution"] = "attention") -> pd.DataFrame:
    """One row per fraction k: the forecast change when deleting the top-k % attended
    timesteps (`by` the read contributions instead), the mean change over `draws` scattered
    and contiguous random draws, both ratios and `ratio`, the smaller. `forecaster` is a
    fitted `tsattn.Forecaster`."""
    if by not in ("attention", "contribution"):
        raise ValueError(f"by must be 'attention' or 'contribution', but got by={by!r}")
    network = forecaster.network_.cpu()
    config = network.config
    past, future, static = _windows(forecaster, df, stride, max_windows)
    codes = tuple(position for position, _, _ in config.categorical)
    # a channel-independent network has one attention per target: test each on its own
    targets: list[int | None] = (
        list(range(config.n_targets))
        if config.channel_independent and config.n_targets > 1 else [None]
    )  # fmt: skip
    attended = {t: _forecast(network, past, future, static, t, by=by) for t in targets}
    rng = np.random.default_rng(seed)

    def change(masks: dict[int | None, np.ndarray]) -> float:
        """Mean squared forecast change, each target's forecast under its own deletion."""
        changes = []
        for target, mask in masks.items():
            perturbed, _ = _forecast(network, interpolate_over(past, mask, codes), future, static)
            base = attended[target][0]
            picked = slice(None) if target is None else slice(target, target + 1)
            changes.append(np.mean((perturbed[:, :, picked] - base[:, :, picked]) ** 2))
        return float(np.mean(changes))

    rows = []
    for fraction in fractions:
        k = max(1, round(fraction * past.shape[1]))
        top = change({t: _top_mask(importance, k) for t, (_, importance) in attended.items()})
        scattered, contiguous = [], []
        for _ in range(draws):
            draw = {t: _random_masks(past.shape[:2], k, rng) for t in targets}
            scattered.append(change({t: masks[0] for t, masks in draw.items()}))
            contiguous.append(change({t: masks[1] for t, masks in draw.items()}))
        ratio_s, ratio_c = top / np.mean(scattered), top / np.mean(contiguous)
        rows.append({
            "fraction": fraction, "timesteps": k, "windows": len(past), "top_change": top,
            "scattered_change": float(np.mean(scattered)),
            "contiguous_change": float(np.mean(contiguous)),
            "ratio_scattered": float(ratio_s), "ratio_contiguous": float(ratio_c),
            "ratio": float(min(ratio_s, ratio_c)),
        })
    return pd.DataFrame(rows)
