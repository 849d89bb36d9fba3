"""StepAttention reports the weights it uses: its reads, recomputed from the reported weights."""

from __future__ import annotations

import pytest
import torch

from tsattn.nn.attention import build_attention
from tsattn.nn.step_attention import StepAttention

B, D, V = 3, 8, 2


@pytest.mark.parametrize(("attention", "heads"), [("additive", 1), ("multihead", 2)])
@pytest.mark.parametrize(("lookback", "segment", "queries", "steps"),
                         [(12, 4, 2, 4), (12, 1, 5, 1), (8, 2, 1, 1)])
def test_reads_equal_the_reported_weights_applied_to_the_inputs(
    attention: str, heads: int, lookback: int, segment: int, queries: int, steps: int
) -> None:
    torch.manual_seed(0)
    module = StepAttention(build_attention(attention, D, heads), D, lookback, segment, steps,
                           n_steps=queries * steps, n_reads=3)
    for bias in (module.segment_bias, module.offset_bias):
        torch.nn.init.normal_(bias, std=0.1)  # as after training: the reads differ
    query, memory = torch.randn(B, queries, D), torch.randn(B, lookback // segment, D)
    past = torch.randn(B, lookback, V)
    reading = module(query, memory, past)
    w = reading.timestep_weights()  # -> (B, N*G, J*R, L)
    G = module.n_reads
    torch.testing.assert_close(w.sum(-1), torch.ones(B, heads * G, queries * steps))
    # each read g of step h is sum_t w[h, t] x[t], averaged over the attention's heads
    per_read = w.view(B, heads, G, queries * steps, lookback).mean(1)  # -> (B, G, JR, L)
    expected = (per_read @ past.unsqueeze(1)).transpose(1, 2).reshape(B, queries * steps, G * V)
    torch.testing.assert_close(reading.read, expected)
    # each query reads the memory with its steps' (and reads') mean segment weights
    by_segment = w.view(B, heads, G, queries, steps, -1, segment).sum(-1).mean((2, 4))
    torch.testing.assert_close(reading.context, module.attention.combine(by_segment, memory))


def test_a_step_decoder_indexes_its_own_biases() -> None:
    torch.manual_seed(0)
    module = StepAttention(build_attention("general", D), D, 8, 2, 1, n_steps=3, n_reads=2)
    torch.nn.init.normal_(module.offset_bias, std=1.0)
    query, memory, past = torch.randn(B, 1, D), torch.randn(B, 4, D), torch.randn(B, 8, V)
    first, third = (module(query, memory, past, first_step=h).timestep_weights() for h in (0, 2))
    assert not torch.allclose(first, third)


def test_read_dropout_drops_whole_reads_per_window_and_keeps_the_mean() -> None:
    from networks import network

    from tsattn.nn.seq2seq import AttentionSeq2Seq

    config = network(n_features=V, n_targets=1, n_future=0, lookback=12, horizon=3,
                     hidden_size=D, attention="general")
    readout = AttentionSeq2Seq(config).decoder.readout
    G, windows, steps = config.num_reads, 4000, 3
    read = torch.ones(windows, steps, G * V)
    readout.train()
    readout.read_dropout = 0.25
    torch.manual_seed(0)
    dropped = readout._drop_reads(read).view(windows, steps, G, V)
    # a read is kept or dropped as a whole: every step and variable of it alike
    values = dropped.unique().tolist()
    assert len(values) == 2 and values[0] == 0.0 and values[1] == pytest.approx(1 / 0.75)
    assert (dropped == dropped[:, :1, :, :1]).all()
    share = (dropped[:, 0, :, 0] == 0).float().mean().item()
    assert share == pytest.approx(0.25, abs=0.02)
    assert dropped.mean().item() == pytest.approx(1.0, abs=0.03)
    readout.eval()  # never outside training
    torch.testing.assert_close(readout._drop_reads(read), read)
