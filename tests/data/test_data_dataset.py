"""WindowDataset batches, prediction windows with known-future features, and the DataModule."""

from __future__ import annotations

from collections.abc import Callable

import lightning.pytorch as L
import numpy as np
import pandas as pd
import pytest
import torch
from torch.utils.data import DataLoader

from tsattn.data import (
    Panel,
    WindowDataModule,
    WindowDataset,
    build_panel,
    calendar_features,
    collate,
    future_covariates_array,
    validate_frame,
)
from tsattn.errors import ConfigError, DataValidationError


def _panel(df: pd.DataFrame, calendar: list[str] | None = None, future: bool = True) -> Panel:
    validated = validate_frame(
        df,
        target=["y"],
        time_col="time",
        id_col="id",
        past_covariates=["p"],
        future_covariates=["f"] if future else [],
    )
    return build_panel(validated, ["hour"] if calendar is None else calendar)


def test_training_batch_reads_the_right_rows(panel_frame: pd.DataFrame) -> None:
    panel = _panel(panel_frame)  # columns y, p, f, hour_sin, hour_cos
    dataset = WindowDataset.for_training(panel, lookback=3, horizon=2)
    assert len(dataset) == 4 and not dataset.is_prediction
    batch = dataset.__getitems__([3, 0])
    assert set(batch) == {"past", "future", "target", "series", "origin"}
    values = torch.from_numpy(panel.values)
    torch.testing.assert_close(batch["past"], torch.stack([values[7:10], values[0:3]]))
    torch.testing.assert_close(batch["future"], torch.stack([values[10:12, 2:], values[3:5, 2:]]))
    torch.testing.assert_close(batch["target"], torch.stack([values[10:12, :1], values[3:5, :1]]))
    assert batch["series"].tolist() == [1, 0]
    assert batch["origin"].tolist() == [9, 2]
    assert batch["past"].dtype == torch.float32 and batch["series"].dtype == torch.int64


def test_single_items_and_collate_agree_with_batches(panel_frame: pd.DataFrame) -> None:
    dataset = WindowDataset.for_training(_panel(panel_frame), lookback=3, horizon=2)
    item = dataset[2]
    assert item["past"].shape == (3, 5) and item["target"].shape == (2, 1)
    stacked = collate([dataset[0], dataset[1]])
    for key, tensor in dataset.__getitems__([0, 1]).items():
        torch.testing.assert_close(stacked[key], tensor)


def test_dataloader_uses_getitems_and_keeps_the_last_partial_batch(
    panel_frame: pd.DataFrame,
) -> None:
    dataset = WindowDataset.for_training(_panel(panel_frame), lookback=3, horizon=2)
    batches = list(DataLoader(dataset, batch_size=3, collate_fn=collate))
    assert [len(b["origin"]) for b in batches] == [3, 1]
    assert batches[0]["past"].shape == (3, 3, 5) and batches[0]["future"].shape == (3, 2, 3)
    assert torch.cat([b["origin"] for b in batches]).tolist() == [2, 3, 4, 9]


def test_prediction_windows_carry_future_calendar_and_covariates(panel_frame: pd.DataFrame) -> None:
    panel = _panel(panel_frame)
    covariates = np.array([[[1.5], [2.5]], [[-1.0], [-2.0]]])  # (S, H, F)
    dataset = WindowDataset.for_prediction(
        panel, lookback=3, horizon=2, future_covariates=covariates
    )
    assert dataset.is_prediction
    batch = dataset.__getitems__([0, 1])
    assert "target" not in batch
    torch.testing.assert_close(
        batch["past"], torch.from_numpy(panel.values[[[4, 5, 6], [9, 10, 11]]])
    )
    assert batch["origin"].tolist() == [6, 11]
    np.testing.assert_allclose(batch["future"][..., 0].numpy(), covariates[..., 0])
    after = pd.DatetimeIndex(
        ["2020-01-01 07:00", "2020-01-01 08:00", "2020-01-01 05:00", "2020-01-01 06:00"]
    )
    calendar = calendar_features(after, ["hour"]).reshape(2, 2, 2)
    np.testing.assert_allclose(batch["future"][..., 1:].numpy(), calendar)


def test_prediction_needs_future_covariates_when_the_panel_has_them(
    panel_frame: pd.DataFrame,
) -> None:
    with pytest.raises(
        DataValidationError, match=r"uses future covariates \['f'\]: pass their values"
    ):
        WindowDataset.for_prediction(_panel(panel_frame), lookback=3, horizon=2)
    bare = _panel(panel_frame, calendar=[], future=False)
    batch = WindowDataset.for_prediction(bare, lookback=3, horizon=2).__getitems__([0, 1])
    assert batch["future"].shape == (2, 2, 0)


def test_future_frame_is_aligned_on_id_and_time(panel_frame: pd.DataFrame) -> None:
    panel = _panel(panel_frame)
    future_df = pd.DataFrame(
        {
            "id": ["b", "a", "b", "a", "a"],
            "time": pd.to_datetime(
                [
                    "2020-01-01 06:00",
                    "2020-01-01 08:00",
                    "2020-01-01 05:00",
                    "2020-01-01 07:00",
                    "2020-01-01 09:00",
                ]
            ),
            "f": [4.0, 2.0, 3.0, 1.0, 99.0],
        }
    )
    array = future_covariates_array(future_df, panel, 2, time_col="time", id_col="id")
    np.testing.assert_array_equal(array[..., 0], [[1.0, 2.0], [3.0, 4.0]])
    with pytest.raises(DataValidationError, match="no row for series 'b' at 2020-01-01 06:00:00"):
        future_covariates_array(future_df.iloc[1:], panel, 2, time_col="time", id_col="id")


def test_bad_windows_are_refused(panel_frame: pd.DataFrame) -> None:
    panel = _panel(panel_frame)
    with pytest.raises(
        DataValidationError, match="no window fits: each window needs lookback \\+ horizon = 15"
    ):
        WindowDataset.for_training(panel, lookback=10, horizon=5)
    with pytest.raises(DataValidationError, match="leaves series 'a'"):
        WindowDataset(panel, np.array([0]), np.array([5]), lookback=3, horizon=2)


# -- the DataModule ------------------------------------------------------------------------------


@pytest.fixture
def bigger(make_frame: Callable[..., pd.DataFrame]) -> WindowDataset:
    return WindowDataset.for_training(_panel(make_frame({"a": 40, "b": 30})), lookback=3, horizon=2)


def _order(module: WindowDataModule) -> list[int]:
    return torch.cat([b["origin"] for b in module.train_dataloader()]).tolist()


def test_train_order_is_a_seeded_reproducible_permutation(bigger: WindowDataset) -> None:
    first = _order(WindowDataModule(bigger, batch_size=8, seed=7))
    assert first == _order(WindowDataModule(bigger, batch_size=8, seed=7))
    assert first != _order(WindowDataModule(bigger, batch_size=8, seed=8))
    assert sorted(first) == sorted(bigger.starts + 2)  # every window once, last batch kept
    val = WindowDataModule(bigger, val=bigger, batch_size=8).val_dataloader()
    assert torch.cat([b["origin"] for b in val]).tolist() == (bigger.starts + 2).tolist()


def test_missing_datasets_give_no_batches_and_bad_sizes_raise(bigger: WindowDataset) -> None:
    module = WindowDataModule(bigger)
    assert module.val_dataloader() == [] and module.predict_dataloader() == []
    with pytest.raises(ConfigError, match="batch_size must be an int >= 1, but got batch_size=0"):
        WindowDataModule(bigger, batch_size=0)


class _Mean(L.LightningModule):
    """The smallest model that consumes a batch: one weight times the last target."""

    def __init__(self) -> None:
        super().__init__()
        self.weight = torch.nn.Parameter(torch.zeros(1))

    def training_step(self, batch: dict[str, torch.Tensor], batch_idx: int) -> torch.Tensor:
        prediction = self.weight * batch["past"][:, -1:, :1]  # -> (B, 1, C)
        return torch.mean((prediction - batch["target"][:, :1]) ** 2)

    def configure_optimizers(self) -> torch.optim.Optimizer:
        return torch.optim.SGD(self.parameters(), lr=0.01)


def test_lightning_trainer_fits_from_the_datamodule_without_validation(
    bigger: WindowDataset,
) -> None:
    trainer = L.Trainer(
        max_epochs=1,
        accelerator="cpu",
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
    )
    model = _Mean()
    trainer.fit(model, datamodule=WindowDataModule(bigger, batch_size=16, seed=0))
    assert trainer.global_step == int(np.ceil(len(bigger) / 16))
    assert model.weight.item() != 0.0
