"""Categories as integer codes for the network's embeddings, learned at fit, saved as JSON.

Code 0 is the "unknown" bucket: a category not seen at fit (or a missing value) goes there,
with a warning naming the column and values, never a KeyError; known categories are coded
1..n in sorted order. A column is categorical when its dtype is `category` or boolean, or when
it holds text that is mostly not numbers: a numeric column with a stray "n/a" stays numeric, so
validation names the bad value instead of the column silently becoming hundreds of categories.
Integer codes (or numeric text) meant as categories should be cast to `category` first.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["UNKNOWN", "is_categorical", "learn_categories", "to_codes", "to_json_values"]

UNKNOWN = 0  # the code of a category unseen at fit, or of a missing value


def is_categorical(values: pd.Series) -> bool:
    """True for `category` and boolean columns, and text columns mostly not numbers."""
    dtype = values.dtype
    if isinstance(dtype, pd.CategoricalDtype) or pd.api.types.is_bool_dtype(dtype):
        return True
    if pd.api.types.is_numeric_dtype(dtype):
        return False
    present = values.dropna()
    numbers = pd.to_numeric(present, errors="coerce").notna().sum()
    return bool(numbers * 2 <= len(present))


def learn_categories(values: pd.Series) -> list[Any]:
    """The distinct non-missing values, sorted (as text, so mixed types order too)."""
    return to_json_values(sorted(pd.unique(values.dropna()).tolist(), key=str))


def to_codes(values: pd.Series, categories: Sequence[Any], *, what: str) -> np.ndarray:
    """float32 codes of `values` (1-based positions in `categories`, 0 if unseen or missing);
    warns naming `what` (e.g. "covariate 'promo'") and the unseen values."""
    known = pd.Index(list(categories), dtype=object)
    codes = known.get_indexer(pd.Index(values.astype(object))) + 1  # -1 (unseen) -> 0
    unseen = sorted({str(v) for v in values[codes == UNKNOWN].dropna()})
    if unseen:
        warnings.warn(
            f"{what}: categories {unseen[:5]} were not seen at fit; they are forecast with the "
            "'unknown' embedding",
            UserWarning,
            stacklevel=5,
        )
    return codes.astype(np.float32)


def to_json_values(categories: Sequence[Any]) -> list[Any]:
    """Categories as plain JSON values: numpy scalars unwrapped, NaN as None."""
    plain = []
    for value in categories:
        value = value.item() if isinstance(value, np.generic) else value
        plain.append(None if isinstance(value, float) and math.isnan(value) else value)
    return plain
