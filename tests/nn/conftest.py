from __future__ import annotations

from collections.abc import Iterator

import pytest
import torch


@pytest.fixture(autouse=True)
def single_thread() -> Iterator[None]:
    """These tensors are tiny: one intra-op thread is faster than two, and it does not collapse
    when the test run shares the CPU cores with other processes (oversubscribed OpenMP threads
    spin-wait, which made a 5 s training loop take minutes)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
