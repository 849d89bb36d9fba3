"""End to end on the shipped ETTh1 file: split, validate, pack, scale and window it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tsattn.data import PanelScaler, WindowDataset, build_panel, temporal_split, validate_frame

ETTH1 = Path(__file__).resolve().parents[2] / "data" / "ETTh1.csv"
L, H = 96, 24


@pytest.mark.skipif(not ETTH1.exists(), reason="data/ETTh1.csv is not in this checkout")
def test_etth1_windows_follow_the_long_horizon_protocol() -> None:
    frame = pd.read_csv(ETTH1, parse_dates=["date"]).iloc[:14_400]
    train_df, val_df, test_df = temporal_split(
        frame, time_col="date", train=8640, val=2880, lookback=L
    )
    assert test_df is not None
    columns = {"target": ["OT"], "time_col": "date", "past_covariates": ["HUFL", "HULL", "MUFL"]}
    train, val, test = (
        build_panel(validate_frame(df, **columns, min_length=L + H), "auto")  # type: ignore[arg-type]
        for df in (train_df, val_df, test_df)
    )
    assert train.freq == "h" and train.calendar == ("hour", "weekday", "month", "dayofyear")
    scaler = PanelScaler().fit(train)
    sets = [
        WindowDataset.for_training(scaler.transform(p), lookback=L, horizon=H)
        for p in (train, val, test)
    ]
    # Informer/Autoformer window counts: len(split) - L - H + 1, val/test including L context rows.
    assert [len(s) for s in sets] == [8640 - L - H + 1, 2880 - H + 1, 2880 - H + 1]
    first_val = sets[1].__getitems__([0])
    ot = frame["OT"].to_numpy()
    mean, std = ot[:8640].mean(), ot[:8640].std()
    np.testing.assert_allclose(
        first_val["target"][0, :, 0].numpy(),
        (ot[8640 : 8640 + H] - mean) / std,
        rtol=1e-4,
        atol=1e-5,
    )
    assert first_val["past"].shape == (1, L, 4 + 8) and first_val["future"].shape == (1, H, 8)
