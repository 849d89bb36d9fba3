"""`score_forecasts`: the job's earlier forecasts against the actuals that arrived since."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tsattn.monitoring import score_forecasts
from tsattn.sql_io import ORIGIN_COLUMN

TIMES = pd.date_range("2024-01-01", periods=10, freq="h")
VALUES = np.array([0.0, 4.0, 1.0, 5.0, 2.0, 6.0, 3.0, 7.0, 4.0, 8.0])  # a zig-zag rising by 1


# up to the origin (rows 0..5): one step back the errors are 4, 3, 4, 3, 4; two steps back all 1
@pytest.mark.parametrize(("season", "naive_mae"), [(1, 3.6), (2, 1.0)])
def test_mase_divides_by_the_naive_error_one_season_back_up_to_the_origin(
    season: int, naive_mae: float
) -> None:
    history = pd.DataFrame({"time": TIMES, "y": VALUES})
    forecasts = pd.DataFrame({"time": TIMES[6:8], ORIGIN_COLUMN: TIMES[5], "y": [4.0, 5.0]})
    scores = score_forecasts(forecasts, history, target="y", time_col="time", id_col=None,
                             point="y", season=season)  # fmt: skip
    (row,) = scores.per_origin.itertuples()
    assert row.mae == pytest.approx(1.5)  # |4 - 3| and |5 - 7|
    assert row.mase == pytest.approx(1.5 / naive_mae)
