"""The network and the LightningModule on a CUDA device (skipped where there is none)."""

from __future__ import annotations

from collections.abc import Sequence

import lightning.pytorch as L
import numpy as np
import pytest
import torch
from networks import network
from torch.utils.data import DataLoader

from tsattn.data import collate
from tsattn.inference import run_network
from tsattn.lightning import ForecastingModule
from tsattn.nn import AttentionSeq2Seq, NetworkConfig

pytestmark = [
    pytest.mark.gpu,
    pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device"),
]

B, LOOKBACK, HORIZON, V, C, F = 8, 16, 4, 3, 1, 2


def _config(**params) -> NetworkConfig:
    return network(n_features=V, n_targets=C, n_future=F, lookback=LOOKBACK,
                   horizon=HORIZON, hidden_size=16, num_heads=2, **params)


@pytest.mark.parametrize("decoder", ["direct", "autoregressive"])
@pytest.mark.parametrize("attention", ["additive", "multihead", "none"])
def test_forward_and_training_step_on_cuda(decoder: str, attention: str) -> None:
    torch.manual_seed(0)
    net = AttentionSeq2Seq(_config(decoder=decoder, attention=attention, input_attention=True,
                                   revin=True, quantiles=(0.1, 0.5, 0.9))).cuda()
    optimizer = torch.optim.AdamW(net.parameters(), lr=1e-3)
    past = torch.randn(B, LOOKBACK, V, device="cuda")
    future = torch.randn(B, HORIZON, F, device="cuda")
    out = net(past, future, return_attention=True)
    assert out.prediction.device.type == "cuda"
    assert out.prediction.shape == (B, HORIZON, C, 3)
    if out.temporal_attention is not None:
        ones = torch.ones_like(out.temporal_attention[..., 0])
        torch.testing.assert_close(out.temporal_attention.sum(-1), ones)
    torch.testing.assert_close(out.input_attention.sum(-1), torch.ones(B, LOOKBACK, device="cuda"))
    out.prediction.square().mean().backward()
    optimizer.step()
    assert all(torch.isfinite(p).all() for p in net.parameters())


class _Windows(list):
    """Item dicts with the batched indexing `run_network` reads (as `WindowDataset` has)."""

    def __getitems__(self, indices: Sequence[int]) -> dict[str, torch.Tensor]:
        return collate([self[i] for i in indices])


def _batches(n: int, with_target: bool = True) -> list[dict[str, torch.Tensor]]:
    generator = torch.Generator().manual_seed(0)
    items = []
    for i in range(n):
        item = {"past": torch.randn(LOOKBACK, V, generator=generator),
                "future": torch.randn(HORIZON, F, generator=generator),
                "series": torch.tensor(0), "origin": torch.tensor(i)}
        if with_target:
            item["target"] = torch.randn(HORIZON, C, generator=generator)
        items.append(item)
    return items


def test_lightning_fit_and_predict_on_cuda() -> None:
    module = ForecastingModule(network=_config(attention="additive").to_dict())
    trainer = L.Trainer(accelerator="gpu", devices=1, max_epochs=1, logger=False,
                        enable_checkpointing=False, enable_progress_bar=False,
                        enable_model_summary=False)
    train, val = DataLoader(_batches(32), batch_size=8), DataLoader(_batches(16), batch_size=8)
    trainer.fit(module, train, val)
    assert "val_loss" in trainer.callback_metrics
    out = run_network(module.network, _Windows(_batches(8, with_target=False)), batch_size=8,
                      accelerator="gpu", return_attention=True)
    assert isinstance(out.prediction, np.ndarray)  # copied back from the GPU
    assert out.prediction.shape == (8, HORIZON, C, 1)
    assert out.temporal_attention is not None
    reads = module.network.config.num_reads  # one head
    assert out.temporal_attention.shape == (8, reads, HORIZON, LOOKBACK)
