"""tsattn's benchmark harness: B1 accuracy, B2 speed, B3 windowing at scale, B4 batch inference.

Run from the repository root: ``python -m benchmarks {accuracy,speed,scale,inference} [--smoke]``.
Every system is measured in a fresh subprocess (``benchmarks.worker``) so its peak RSS is its own.
Modules that peer workers import (``protocol``, ``panels``, ``machine``) need only numpy and pandas:
the peers run in ``benchmarks/.venv-peers``, which does not have tsattn installed.
"""
