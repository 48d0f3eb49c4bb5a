"""Small helpers with no domain knowledge."""

from __future__ import annotations

import hashlib
import importlib
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import polars as pl


class LazyModule:
    """A module imported on first attribute access.

    The spot check must answer from a cold shell in well under a second, and importing
    Polars alone costs about 0.16 s; modules that need Polars only in their columnar
    functions hold it through this proxy so their scalar functions stay light.
    """

    def __init__(self, name: str) -> None:
        self._name = name
        self._module: ModuleType | None = None

    def __getattr__(self, attribute: str) -> Any:
        module = self._module
        if module is None:
            module = self._module = importlib.import_module(self._name)
        return getattr(module, attribute)


def file_digest(path: str | Path) -> str:
    """SHA-256 of a file's bytes, read in blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def query_frame(con: Any, sql: str, params: object = None) -> pl.DataFrame:
    """Run ``sql`` with bound ``params`` and return the result as a Polars frame."""
    import polars as pl

    return pl.from_arrow(con.sql(sql, params=params).to_arrow_table())  # type: ignore[return-value]
