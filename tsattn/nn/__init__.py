"""The neural networks of tsattn: tensors in, tensors out (no Lightning, no pandas, no tracking)."""

from __future__ import annotations

from tsattn.nn.attention import (
    AdditiveAttention,
    DotAttention,
    GeneralAttention,
    MultiHeadAttention,
    TemporalAttention,
    build_attention,
)
from tsattn.nn.config import ATTENTIONS, CELLS, DECODERS, SHAPE_FIELDS, NetworkConfig
from tsattn.nn.decoder import AutoregressiveDecoder, DirectDecoder, build_decoder
from tsattn.nn.encoder import Encoder
from tsattn.nn.input_attention import InputAttention
from tsattn.nn.revin import RevIN
from tsattn.nn.seq2seq import AttentionSeq2Seq, ForecastOutput

__all__ = [
    "ATTENTIONS",
    "CELLS",
    "DECODERS",
    "SHAPE_FIELDS",
    "AdditiveAttention",
    "AttentionSeq2Seq",
    "AutoregressiveDecoder",
    "DirectDecoder",
    "DotAttention",
    "Encoder",
    "ForecastOutput",
    "GeneralAttention",
    "InputAttention",
    "MultiHeadAttention",
    "NetworkConfig",
    "RevIN",
    "TemporalAttention",
    "build_attention",
    "build_decoder",
]
