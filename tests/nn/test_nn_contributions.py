"""Read contributions add up to what the reads add to the forecast, in every architecture."""

from __future__ import annotations

from typing import Any

import pytest
import torch
from networks import network

from tsattn.nn.seq2seq import AttentionSeq2Seq

B, L, H = 4, 12, 4

ARCHITECTURES: list[dict[str, Any]] = [
    {},  # plain: one forecast, no RevIN
    {"revin": True, "segment_length": 3},  # RevIN beside covariates: two candidates
    {"revin": True, "channel_independent": True, "quantiles": [0.1, 0.5, 0.9]},
    {"revin": True, "decoder": "autoregressive", "attention": "multihead", "num_heads": 2},
    {"input_attention": True, "highway": True},
]


def _network(n_targets: int, **params: Any) -> AttentionSeq2Seq:
    config = network(n_features=n_targets + 2, n_targets=n_targets, n_future=1, lookback=L,
                     horizon=H, hidden_size=8, **params)
    torch.manual_seed(0)
    model = AttentionSeq2Seq(config).eval()
    readout = model.decoder.readout
    with torch.no_grad():  # as after training: every read term and learned bias nonzero
        for linear in (readout.read_out, readout.plain_read_out, model.level):
            if linear is not None:
                torch.nn.init.normal_(linear.weight, std=0.05)
        torch.nn.init.normal_(readout.steps.segment_bias, std=0.05)
        if model.revin is not None:
            torch.nn.init.normal_(model.revin.weight, mean=1.0, std=0.2)
            torch.nn.init.normal_(model.revin.bias, std=0.2)
    return model


def _without_reads(model: AttentionSeq2Seq) -> None:
    """Zero the read terms' weights (not their biases): what is left is everything else."""
    readout = model.decoder.readout
    with torch.no_grad():
        for linear in (readout.read_out, readout.plain_read_out):
            if linear is not None:
                linear.weight.zero_()


# RevIN beside covariates makes two candidates: contributions follow the one selected
CANDIDATES = [(params, absolute) for params in ARCHITECTURES
              for absolute in ((True, False) if params.get("revin") else (False,))]


@pytest.mark.parametrize(("params", "use_absolute"), CANDIDATES)
@pytest.mark.parametrize("n_targets", [1, 2])
def test_contributions_sum_to_the_reads_share_of_the_forecast(
    params: dict[str, Any], use_absolute: bool, n_targets: int
) -> None:
    model = _network(n_targets, **params)
    assert model.absolute_path == bool(params.get("revin"))
    if model.absolute_path:
        model.use_absolute.fill_(use_absolute)
    torch.manual_seed(1)
    past = torch.randn(B, L, n_targets + 2) * 3 + 5  # off the unit scale: RevIN's std matters
    future = torch.randn(B, H, 1)
    out = model(past, future, return_contributions=True)
    contributions = out.read_contributions
    assert contributions is not None and contributions.shape == (B, H, n_targets, L,
                                                                 n_targets + 2)
    point = out.prediction[..., model.config.median_index]  # -> (B, H, C)
    _without_reads(model)
    rest = model(past, future).prediction[..., model.config.median_index]
    # a step-by-step decoder feeds each forecast back, so a step's reads also move the steps
    # after it: only the first step's term is its reads' alone
    steps = 1 if params.get("decoder") == "autoregressive" else H
    torch.testing.assert_close(contributions.sum((-1, -2))[:, :steps], (point - rest)[:, :steps],
                               rtol=1e-4, atol=1e-5)
    assert contributions.abs().sum() > 0.1  # the reads do move this forecast


def test_a_channel_independent_target_gets_nothing_from_the_other_targets_values() -> None:
    model = _network(2, revin=True, channel_independent=True)
    contributions = model(torch.randn(B, L, 4), torch.randn(B, H, 1),
                          return_contributions=True).read_contributions
    assert contributions is not None
    assert (contributions[:, :, 0, :, 1] == 0).all() and (contributions[:, :, 1, :, 0] == 0).all()
    assert (contributions[:, :, 0, :, 0] != 0).any() and (contributions[:, :, 1, :, 1] != 0).any()


def test_a_categorical_covariate_gets_the_sum_of_its_embedding_columns() -> None:
    # the covariate at position 2 is coded (4 codes); its embedding columns fold back into one
    config = network(n_features=3, n_targets=1, n_future=0, lookback=L, horizon=H,
                     hidden_size=8, revin=True, categorical=((2, -1, 4),))
    torch.manual_seed(0)
    model = AttentionSeq2Seq(config).eval()
    with torch.no_grad():
        torch.nn.init.normal_(model.decoder.readout.read_out.weight, std=0.05)
    past = torch.randn(B, L, 3)
    past[..., 2] = torch.randint(0, 4, (B, L)).float()
    out = model(past, return_contributions=True)
    assert out.read_contributions is not None and out.read_contributions.shape[-1] == 3
    point = out.prediction[..., 0]
    _without_reads(model)
    torch.testing.assert_close(out.read_contributions.sum((-1, -2)),
                               point - model(past).prediction[..., 0], rtol=1e-4, atol=1e-5)


def test_a_network_without_attention_has_no_contributions() -> None:
    config = network(n_features=2, n_targets=1, n_future=0, lookback=L, horizon=H,
                     hidden_size=8, attention="none")
    out = AttentionSeq2Seq(config).eval()(torch.randn(B, L, 2), return_contributions=True)
    assert out.read_contributions is None
