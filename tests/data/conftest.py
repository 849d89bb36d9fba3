"""Small hand-checkable frames shared by the data-pipeline tests."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest


def make_panel_frame(
    lengths: dict[str, int], *, start: str = "2020-01-01", freq: str = "h"
) -> pd.DataFrame:
    """A long frame: series id -> its length, columns id, time, y (target), p (past), f (future).

    Values encode (series, row) so any misplaced row is visible: y = 100 * series + row.
    """
    parts = []
    for k, (sid, n) in enumerate(lengths.items()):
        row = np.arange(n, dtype=np.float64)
        parts.append(
            pd.DataFrame(
                {
                    "id": sid,
                    "time": pd.date_range(start, periods=n, freq=freq),
                    "y": 100.0 * k + row,
                    "p": -(100.0 * k + row),
                    "f": (row % 3) + 10.0 * k,
                }
            )
        )
    return pd.concat(parts, ignore_index=True)


@pytest.fixture
def panel_frame() -> pd.DataFrame:
    """Two hourly series: 'a' with 7 rows and 'b' with 5 rows."""
    return make_panel_frame({"a": 7, "b": 5})


@pytest.fixture
def make_frame():  # type: ignore[no-untyped-def]
    """The `make_panel_frame` factory, for tests that need other lengths or frequencies."""
    return make_panel_frame
