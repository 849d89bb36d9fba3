"""Forecast jobs against a database: read history with a query, write forecasts transactionally.

Forecast rows are keyed by (series, target time, forecast origin). A run deletes the rows of the
origins it forecasts and inserts the new ones in one transaction: rerunning an origin replaces its
rows and never duplicates them, and a run that fails mid-write (a dropped connection, a rejected
row) rolls back and leaves the table as it was. SQLAlchemy Core keeps this the same on SQLite and
PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timezone
from typing import Any

import numpy as np
import pandas as pd

from tsattn.errors import DataValidationError, TsattnError

__all__ = ["DatabaseError", "read_forecast_table", "read_sql", "write_forecast_table"]

ORIGIN_COLUMN = "forecast_origin"
WRITTEN_COLUMN = "written_at"
_IDS_PER_STATEMENT = 5_000  # bound parameters per DELETE: SQLite allows 32,766 at most


class DatabaseError(TsattnError):
    """The database could not be reached, read or written; the message names it and the fix."""


def _engine(url: str) -> Any:
    import sqlalchemy

    try:
        return sqlalchemy.create_engine(url, pool_pre_ping=True)
    except Exception as err:  # a bad URL or a missing driver
        raise DatabaseError(f"cannot use database {_redact(url)}: {err}") from err


def read_sql(url: str, query: str) -> pd.DataFrame:
    """The query's result as a frame; a DatabaseError naming the database if it fails."""
    import sqlalchemy

    engine = _engine(url)
    try:
        with engine.connect() as connection:
            return pd.read_sql_query(sqlalchemy.text(query), connection)
    except Exception as err:
        raise DatabaseError(
            f"the input query failed on {_redact(url)}: {err}; check the query and that the "
            "database is up"
        ) from err
    finally:
        engine.dispose()


def read_forecast_table(url: str, table: str, *, since: object, schema: str | None = None
                        ) -> pd.DataFrame | None:
    """The stored forecasts of origins at or after `since`; None when the table does not exist
    yet (the job's first run)."""
    import sqlalchemy

    engine = _engine(url)
    try:
        with engine.connect() as connection:
            if not sqlalchemy.inspect(connection).has_table(table, schema=schema):
                return None
            stored = sqlalchemy.Table(table, sqlalchemy.MetaData(), schema=schema,
                                      autoload_with=connection)  # fmt: skip
            query = stored.select().where(stored.c[ORIGIN_COLUMN] >= _plain(since))
            return pd.read_sql_query(query, connection)
    except Exception as err:
        raise DatabaseError(
            f"reading earlier forecasts from table '{table}' on {_redact(url)} failed: {err}"
        ) from err
    finally:
        engine.dispose()


def write_forecast_table(
    frame: pd.DataFrame,
    *,
    url: str,
    table: str,
    time_col: str,
    series_col: str | None = None,
    schema: str | None = None,
) -> int:
    """Replace the rows of `frame`'s (series, origin) pairs in `table` (created if missing) in
    one transaction.

    (series, target time, forecast origin) is the table's primary key, so not even a concurrent
    writer can duplicate a row. Returns the number of rows written.
    """
    import sqlalchemy

    per_origin = [*([series_col] if series_col else []), ORIGIN_COLUMN]
    keys = [*per_origin[:-1], time_col, ORIGIN_COLUMN]
    missing = [key for key in keys if key not in frame.columns]
    if missing:
        raise DataValidationError(f"forecast frame lacks key columns {missing}")
    rows = frame.assign(**{WRITTEN_COLUMN: datetime.now(timezone.utc).replace(tzinfo=None)})
    engine = _engine(url)
    try:
        with engine.begin() as connection:  # commits on success, rolls back on any error
            target = _table(sqlalchemy, connection, rows, table, keys, schema)
            # One DELETE per distinct origin (usually one for the whole panel), not per series.
            pairs = rows[per_origin].drop_duplicates()
            for origin, group in pairs.groupby(ORIGIN_COLUMN, sort=False):
                at_origin = target.c[ORIGIN_COLUMN] == _plain(origin)
                if not series_col:
                    connection.execute(target.delete().where(at_origin))
                    continue
                ids = [_plain(value) for value in group[series_col]]
                for start in range(0, len(ids), _IDS_PER_STATEMENT):
                    chunk = target.c[series_col].in_(ids[start:start + _IDS_PER_STATEMENT])
                    connection.execute(target.delete().where(sqlalchemy.and_(at_origin, chunk)))
            records = [{k: _plain(v) for k, v in r.items()} for r in rows.to_dict("records")]
            connection.execute(target.insert(), records)
    except TsattnError:
        raise
    except Exception as err:
        raise DatabaseError(
            f"writing the forecast to table '{table}' on {_redact(url)} failed and was rolled "
            f"back, so the table is as it was: {err}"
        ) from err
    finally:
        engine.dispose()
    return len(rows)


def _table(
    sqlalchemy: Any, connection: Any, frame: pd.DataFrame, name: str, keys: Sequence[str],
    schema: str | None,
) -> Any:
    """The existing table (its columns checked against the frame), or a new one keyed by `keys`."""
    inspector = sqlalchemy.inspect(connection)
    metadata = sqlalchemy.MetaData()
    if inspector.has_table(name, schema=schema):
        existing = sqlalchemy.Table(name, metadata, schema=schema, autoload_with=connection)
        absent = [c for c in frame.columns if c not in existing.c]
        if absent:
            raise DataValidationError(
                f"table '{name}' exists without columns {absent} that this forecast writes; "
                "write to a new table or add the columns"
            )
        return existing
    columns = [
        sqlalchemy.Column(column, _sql_type(sqlalchemy, frame[column]),
                          primary_key=column in keys, nullable=column not in keys)
        for column in frame.columns
    ]  # fmt: skip
    created = sqlalchemy.Table(name, metadata, *columns, schema=schema)
    created.create(connection)
    return created


def _sql_type(sqlalchemy: Any, column: pd.Series) -> Any:
    if pd.api.types.is_datetime64_any_dtype(column):
        return sqlalchemy.DateTime()
    if pd.api.types.is_integer_dtype(column):
        return sqlalchemy.BigInteger()
    if pd.api.types.is_float_dtype(column):
        return sqlalchemy.Float()
    return sqlalchemy.String(255)


def _plain(value: Any) -> Any:
    """numpy and pandas scalars as the Python values database drivers accept."""
    if isinstance(value, pd.Timestamp):
        return value.tz_convert(None).to_pydatetime() if value.tzinfo else value.to_pydatetime()
    if isinstance(value, np.generic):
        return value.item()
    if value is pd.NaT or (isinstance(value, float) and np.isnan(value)):
        return None
    return value


def _redact(url: str) -> str:
    """The URL without its password, for messages and logs."""
    try:
        from sqlalchemy.engine import make_url

        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return "the database"
