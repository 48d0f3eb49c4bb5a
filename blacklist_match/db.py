"""Opening the DuckDB store file, with the errors a user can meet named plainly.

Kept free of Polars and of the loading code, so a spot check opens the store cheaply.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Final

import duckdb

from blacklist_match.errors import StoreError

DEFAULT_DB: Final = "blacklist.duckdb"
DB_ENV: Final = "BLACKLIST_DB"
MEMORY: Final = ":memory:"


def default_db_path() -> str:
    """``$BLACKLIST_DB`` or ``./blacklist.duckdb``."""
    return os.environ.get(DB_ENV) or DEFAULT_DB


def connect(path: str | Path | None, *, read_only: bool) -> duckdb.DuckDBPyConnection:
    """Open the store at ``path`` (default location when None).

    Raises :class:`StoreError` when a read-only store does not exist, or when another
    process is writing it (DuckDB allows one writing process at a time).
    """
    target = str(path) if path is not None else default_db_path()
    if read_only and target != MEMORY and not Path(target).is_file():
        raise StoreError(f"no store at {target}: load data with `blacklist-match ingest`")
    try:
        return duckdb.connect(target, read_only=read_only)
    except duckdb.IOException as error:
        if "lock" in str(error).lower():
            raise StoreError(
                f"the store {target} is in use by another process (one writer at a time); "
                "try again when it has finished"
            ) from None
        raise StoreError(f"cannot open the store {target}: {error}") from None
    except duckdb.Error as error:
        raise StoreError(f"cannot open the store {target}: {error}") from None
