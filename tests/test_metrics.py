"""Losses and metrics against values computed by hand (numpy) on tiny examples."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from tsattn.errors import ConfigError
from tsattn.losses import build_loss, pinball_loss
from tsattn.metrics import mae, mase, mse, point_metrics, smape


def test_pinball_loss_tiny_example() -> None:
    # one window, 2 steps, 1 target, quantiles 0.1 and 0.9
    y = np.array([1.0, 3.0])
    yhat = np.array([[0.0, 2.0], [4.0, 5.0]])  # (step, quantile)
    q = np.array([0.1, 0.9])
    # by hand: e = y - yhat = [[1, -1], [-1, -2]]
    # step 0: q=.1: max(.1, -.9)=.1 ; q=.9: max(-.9, .1)=.1
    # step 1: q=.1: max(-.1, .9)=.9 ; q=.9: max(-.9, .1)*2 -> e=-2: max(-1.8, .2)=.2
    expected = (0.1 + 0.1 + 0.9 + 0.2) / 4
    prediction = torch.tensor(yhat).reshape(1, 2, 1, 2)
    target = torch.tensor(y).reshape(1, 2, 1)
    got = pinball_loss(prediction, target, torch.tensor(q))
    assert got.item() == pytest.approx(expected)
    assert build_loss("pinball", (0.1, 0.9))(prediction.float(), target.float()).item() == (
        pytest.approx(expected)
    )


def test_pinball_at_the_median_is_half_the_mae() -> None:
    torch.manual_seed(0)
    prediction, target = torch.randn(3, 4, 2, 1), torch.randn(3, 4, 2)
    half_mae = 0.5 * (prediction[..., 0] - target).abs().mean()
    torch.testing.assert_close(build_loss("pinball", (0.5,))(prediction, target), half_mae)


def test_point_losses() -> None:
    prediction = torch.tensor([0.0, 1.0, 4.0]).reshape(1, 3, 1, 1)
    target = torch.tensor([0.0, 3.0, 4.5]).reshape(1, 3, 1)
    # errors 0, -2, -0.5
    assert build_loss("mse")(prediction, target).item() == pytest.approx((0 + 4 + 0.25) / 3)
    assert build_loss("mae")(prediction, target).item() == pytest.approx((0 + 2 + 0.5) / 3)
    # huber (delta 1): 0, |e| - 0.5 = 1.5, 0.5 e^2 = 0.125
    assert build_loss("huber")(prediction, target).item() == pytest.approx((0 + 1.5 + 0.125) / 3)


def test_loss_names_and_quantile_mismatch_raise() -> None:
    with pytest.raises(ConfigError, match="loss must be one of"):
        build_loss("rmse")
    with pytest.raises(ConfigError, match="but the network has quantiles"):
        build_loss("pinball")
    with pytest.raises(ConfigError, match="needs loss='pinball'"):
        build_loss("mse", (0.1, 0.9))


def _one_target(values: np.ndarray) -> torch.Tensor:
    return torch.tensor(values)[..., None]  # (B, T) -> (B, T, C=1)


def test_mase_tiny_example() -> None:
    # two windows, lookback 4, horizon 2, one target
    past = np.array([[1.0, 2.0, 4.0, 3.0], [0.0, 0.0, 2.0, 2.0]])
    y = np.array([[5.0, 6.0], [2.0, 4.0]])
    yhat = np.array([[4.0, 4.0], [2.0, 3.0]])
    # naive one-step errors: window 0: 1, 2, 1; window 1: 0, 2, 0 -> pooled MAE 6/6 = 1
    # forecast errors: window 0: 1, 2; window 1: 0, 1 -> pooled MAE 4/4 = 1
    got = mase(_one_target(yhat), _one_target(y), _one_target(past))
    assert got.item() == pytest.approx(1.0)


def test_mase_stays_finite_when_one_window_is_flat() -> None:
    past = np.array([[1.0, 2.0, 4.0, 3.0], [2.0, 2.0, 2.0, 2.0]])  # window 1 has no naive error
    y = np.array([[5.0, 6.0], [2.0, 4.0]])
    yhat = np.array([[4.0, 4.0], [2.0, 3.0]])
    # pooled naive MAE (1 + 2 + 1 + 0 + 0 + 0) / 6 = 2/3; pooled forecast MAE 1
    got = mase(_one_target(yhat), _one_target(y), _one_target(past))
    assert got.item() == pytest.approx(1.5)


def test_mase_leaves_out_a_target_that_is_flat_in_every_lookback() -> None:
    past = torch.tensor([[[1.0, 5.0], [3.0, 5.0]]])  # (B=1, L=2, C=2): target 1 is flat
    y = torch.tensor([[[4.0, 5.0]]])
    yhat = torch.tensor([[[3.0, 9.0]]])
    assert mase(yhat, y, past).item() == pytest.approx(0.5)  # target 0 only: 1 / 2
    assert torch.isnan(mase(yhat[..., 1:], y[..., 1:], past[..., 1:]))


def test_seasonal_mase_scales_by_the_naive_one_season_back() -> None:
    # one window, lookback 6, season 2: lag-2 differences 2, -2, -2, 2 -> naive MAE 2
    past = np.array([[0.0, 5.0, 2.0, 3.0, 0.0, 5.0]])
    y, yhat = np.array([[2.0, 3.0]]), np.array([[1.0, 6.0]])  # forecast MAE (1 + 3) / 2 = 2
    got = mase(_one_target(yhat), _one_target(y), _one_target(past), season=2)
    assert got.item() == pytest.approx(1.0)
    one_step = mase(_one_target(yhat), _one_target(y), _one_target(past))  # |diffs| 5,3,1,3,5
    assert one_step.item() == pytest.approx(2.0 / 3.4)
    with pytest.raises(ValueError, match=r"season must be in \[1, lookback\), but got season=6"):
        mase(_one_target(yhat), _one_target(y), _one_target(past), season=6)


def test_mae_mse_smape_tiny_example() -> None:
    y = torch.tensor([[[1.0], [2.0], [0.0]]])  # (B=1, H=3, C=1)
    yhat = torch.tensor([[[3.0], [2.0], [0.0]]])
    assert mae(yhat, y).item() == pytest.approx(2 / 3)
    assert mse(yhat, y).item() == pytest.approx(4 / 3)
    # sMAPE terms: 200*2/4 = 100, 0, and 0 (0/0 counts as a perfect forecast)
    assert smape(yhat, y).item() == pytest.approx(100 / 3)


def test_point_metrics_names() -> None:
    y, past = torch.randn(2, 3, 1), torch.randn(2, 5, 1)
    assert set(point_metrics(y, y, past)) == {"mae", "mse", "smape", "mase"}
    assert point_metrics(y, y, past)["mase"].item() == 0.0
