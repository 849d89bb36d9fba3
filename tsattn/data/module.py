"""`WindowDataModule`: DataLoaders over prepared `WindowDataset`s, reproducible from one seed."""

from __future__ import annotations

import lightning.pytorch as L
import numpy as np
import torch
from torch.utils.data import DataLoader

from tsattn.data.dataset import WindowDataset, collate
from tsattn.errors import ConfigError

__all__ = ["WindowDataModule"]


class WindowDataModule(L.LightningDataModule):
    """Loaders for the train/val/test/predict datasets; any of them may be None.

    The train loader shuffles with its own seeded `torch.Generator`, so the batch order depends on
    `seed` only (not on the global RNG). Batches are dicts built by `WindowDataset.__getitems__`;
    `drop_last=False` everywhere so no window is skipped. A loader for a dataset that was not given
    is an empty list, which Lightning treats as "no batches" (e.g. fitting without validation).
    """

    def __init__(
        self,
        train: WindowDataset | None = None,
        val: WindowDataset | None = None,
        test: WindowDataset | None = None,
        predict: WindowDataset | None = None,
        *,
        batch_size: int = 64,
        num_workers: int = 0,
        seed: int = 0,
        pin_memory: bool = False,
    ) -> None:
        super().__init__()
        for name, value, low in (("batch_size", batch_size, 1), ("num_workers", num_workers, 0)):
            if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < low:
                raise ConfigError(f"{name} must be an int >= {low}, but got {name}={value!r}.")
        self.save_hyperparameters("batch_size", "num_workers", "seed", "pin_memory")
        self.train_set, self.val_set, self.test_set, self.predict_set = train, val, test, predict
        self.batch_size = int(batch_size)
        self.num_workers = int(num_workers)
        self.seed = int(seed)
        self.pin_memory = pin_memory

    def train_dataloader(self) -> DataLoader | list[object]:
        """Shuffled batches; a fresh generator per call so every fit replays the same order."""
        generator = torch.Generator().manual_seed(self.seed)
        return self._loader(self.train_set, shuffle=True, generator=generator)

    def val_dataloader(self) -> DataLoader | list[object]:
        return self._loader(self.val_set)

    def test_dataloader(self) -> DataLoader | list[object]:
        return self._loader(self.test_set)

    def predict_dataloader(self) -> DataLoader | list[object]:
        return self._loader(self.predict_set)

    def _loader(
        self,
        dataset: WindowDataset | None,
        *,
        shuffle: bool = False,
        generator: torch.Generator | None = None,
    ) -> DataLoader | list[object]:
        if dataset is None:
            return []
        return DataLoader(
            dataset,
            batch_size=self.batch_size,
            shuffle=shuffle,
            generator=generator,
            drop_last=False,
            collate_fn=collate,
            num_workers=self.num_workers,
            persistent_workers=self.num_workers > 0,
            pin_memory=self.pin_memory,
        )
