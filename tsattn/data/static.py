"""Static covariates: one value per series (a store's size, a product's category), encoded once.

A static column must hold one value per series; any other is an error naming the series, the
column and two of its values. Numeric columns are z-scored with the training series' mean and
std (per-series scaling would turn every constant into 0). Categorical ones (string, `category`,
boolean or object columns) become integer codes for the network's embeddings: code 0 is the
"unknown" bucket, where a category not seen at fit goes, with a warning naming the column and
values, never a KeyError. The categories are learned at fit and saved with the model as JSON.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from tsattn.data.categories import is_categorical, learn_categories, to_codes
from tsattn.errors import DataValidationError

__all__ = ["StaticCovariates"]


@dataclass
class StaticCovariates:
    """How each static column is encoded: `numeric` columns with their (mean, std), and
    `categorical` columns with their known categories (code = position + 1)."""

    columns: list[str]
    numeric: dict[str, tuple[float, float]] = field(default_factory=dict)
    categorical: dict[str, list[Any]] = field(default_factory=dict)

    @classmethod
    def fit(cls, df: pd.DataFrame, columns: Sequence[str], id_col: str | None) -> StaticCovariates:
        """Learn the encoding from the training frame (one row per series is read)."""
        encoder = cls(list(columns))
        table = _per_series(df, encoder.columns, id_col)
        for name in encoder.columns:
            values = table[name]
            if is_categorical(values):
                encoder.categorical[name] = learn_categories(values)
            else:
                parsed = pd.to_numeric(values, errors="coerce")
                bad = values[parsed.isna() & values.notna()]
                if len(bad):
                    raise DataValidationError(
                        f"static covariate {name!r} is numeric but holds {bad.iloc[0]!r} for "
                        f"series {bad.index[0]!r}; fix the value, or cast the column to "
                        "'category' to treat it as categories"
                    )
                values = parsed
                std = float(values.std(ddof=0))
                encoder.numeric[name] = (float(values.mean()), std if std > 0 else 1.0)
        return encoder

    @property
    def cardinalities(self) -> tuple[int, ...]:
        """Codes per categorical column, the unknown bucket included, in `columns` order."""
        return tuple(len(self.categorical[n]) + 1 for n in self.columns if n in self.categorical)

    @property
    def n_numeric(self) -> int:
        return len(self.numeric)

    def transform(
        self, df: pd.DataFrame, id_col: str | None, series_ids: np.ndarray
    ) -> np.ndarray:
        """(S, n_numeric + n_categorical) float32 for `series_ids`: numeric columns scaled,
        then categorical codes, each group in `columns` order."""
        table = _per_series(df, self.columns, id_col).reindex(pd.Index(series_ids, dtype=object))
        numeric = [
            ((table[name].astype(float) - mean) / std).to_numpy()
            for name, (mean, std) in self.numeric.items()
        ]
        missing = [n for n in self.numeric if table[n].isna().any()]
        if missing:
            series = table.index[table[missing[0]].isna()][0]
            raise DataValidationError(
                f"static covariate {missing[0]!r} is missing for series {series!r}; give every "
                "series a value"
            )
        codes = [
            to_codes(table[name], cats, what=f"static covariate {name!r}")
            for name, cats in self.categorical.items()
        ]
        return np.column_stack([*numeric, *codes]).astype(np.float32).reshape(len(table), -1)

    def state_dict(self) -> dict[str, Any]:
        return {
            "columns": self.columns,
            "numeric": {n: list(stats) for n, stats in self.numeric.items()},
            "categorical": {name: list(cats) for name, cats in self.categorical.items()},
        }

    @classmethod
    def from_state_dict(cls, state: dict[str, Any]) -> StaticCovariates:
        return cls(
            columns=list(state["columns"]),
            numeric={n: (float(a), float(b)) for n, (a, b) in state["numeric"].items()},
            categorical={n: list(cats) for n, cats in state["categorical"].items()},
        )


def _per_series(df: pd.DataFrame, columns: list[str], id_col: str | None) -> pd.DataFrame:
    """One row per series (indexed by id) of the static columns; raise where one varies."""
    absent = [name for name in columns if name not in df.columns]
    if absent:
        raise DataValidationError(
            f"static covariates {absent} are not columns of the frame; available columns: "
            f"{list(df.columns)}"
        )
    from tsattn.data.validate import WIDE_SERIES_ID

    ids = df[id_col].astype(object) if id_col else pd.Series(WIDE_SERIES_ID, index=df.index)
    grouped = df[columns].groupby(ids.to_numpy(), sort=False, dropna=False)
    distinct = grouped.nunique(dropna=False)
    for name in columns:
        varying = distinct.index[distinct[name] > 1]
        if len(varying):
            series = varying[0]
            seen = pd.unique(df.loc[(ids == series).to_numpy(), name])[:2].tolist()
            raise DataValidationError(
                f"static covariate {name!r} varies within series {series!r} (e.g. {seen[0]!r} and "
                f"{seen[1]!r}); a static covariate holds one value per series: pass a varying "
                "column as past_covariates or future_covariates instead"
            )
    table = grouped.first()
    table.index = pd.Index(table.index, dtype=object)
    return table
