"""Small helpers with no domain knowledge."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import polars as pl


def file_digest(path: str | Path) -> str:
    """SHA-256 of a file's bytes, read in blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def query_frame(con: Any, sql: str, params: object = None) -> pl.DataFrame:
    """Run ``sql`` with bound ``params`` and return the result as a Polars frame."""
    return pl.from_arrow(con.sql(sql, params=params).to_arrow_table())  # type: ignore[return-value]
