"""Reading input frames, and writing outputs atomically so a crash never leaves half a file."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from tsattn.errors import DataValidationError

__all__ = ["atomic_write", "read_frame", "write_frame"]

_READERS: dict[str, Callable[[Path], pd.DataFrame]] = {
    ".csv": pd.read_csv,
    ".parquet": pd.read_parquet,
    ".pq": pd.read_parquet,
}


def read_frame(path: str | Path) -> pd.DataFrame:
    """Load a CSV or Parquet file, with an error that says which file and why."""
    path = Path(path)
    reader = _READERS.get(path.suffix.lower())
    if reader is None:
        raise DataValidationError(
            f"cannot read '{path}': expected a .csv or .parquet file, got '{path.suffix}'"
        )
    if not path.is_file():
        raise DataValidationError(f"data file '{path}' does not exist")
    return reader(path)


def atomic_write(path: str | Path, write: Callable[[Path], None]) -> Path:
    """Call `write(tmp)` on a temp file beside `path`, then rename it over `path` in one step.

    The rename is atomic on POSIX, so readers see either the old file or the complete new one.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def write_frame(frame: pd.DataFrame, path: str | Path) -> Path:
    """Write a forecast table atomically as CSV or Parquet, chosen by the file suffix."""
    suffix = Path(path).suffix.lower()
    if suffix == ".csv":
        return atomic_write(path, lambda tmp: frame.to_csv(tmp, index=False))
    if suffix in {".parquet", ".pq"}:
        return atomic_write(path, lambda tmp: frame.to_parquet(tmp, index=False))
    raise DataValidationError(f"cannot write '{path}': use a .csv or .parquet file name")
