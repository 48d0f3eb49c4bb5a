"""Write frames atomically in the format the extension names: Parquet, CSV, XLSX, JSON.

A report is first written to a temporary file in the same folder, flushed and fsynced,
then renamed over its final name, so a crash never leaves a half-written report under
the name a reader expects. CSV is UTF-8 with a BOM so that Excel opens Chinese text.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Final

import polars as pl

from blacklist_match.errors import InputError

REPORT_SUFFIXES: Final = (".parquet", ".csv", ".xlsx", ".json", ".jsonl")


@contextlib.contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success rename it over ``path``."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    os.close(handle)
    temporary = Path(name)
    try:
        yield temporary
        with open(temporary, "rb+") as written:
            os.fsync(written.fileno())
        os.replace(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)


def _write_csv(frame: pl.DataFrame, path: Path) -> None:
    with open(path, "wb") as out:
        out.write("\ufeff".encode())
        frame.write_csv(out)


def _write_xlsx(frame: pl.DataFrame, path: Path) -> None:
    frame.write_excel(path, worksheet="flags", autofit=True)


def _write_json(frame: pl.DataFrame, path: Path) -> None:
    frame.write_json(path)


def _write_jsonl(frame: pl.DataFrame, path: Path) -> None:
    frame.write_ndjson(path)


def _write_parquet(frame: pl.DataFrame, path: Path) -> None:
    frame.write_parquet(path)


WRITERS: Final[dict[str, Callable[[pl.DataFrame, Path], None]]] = {
    ".parquet": _write_parquet,
    ".csv": _write_csv,
    ".xlsx": _write_xlsx,
    ".json": _write_json,
    ".jsonl": _write_jsonl,
}


def write_frame(frame: pl.DataFrame, path: str | Path) -> Path:
    """Write ``frame`` to ``path`` atomically, in the format its extension names."""
    target = Path(path)
    writer = WRITERS.get(target.suffix.lower())
    if writer is None:
        raise InputError(
            f"unknown report type {target.suffix!r}: use one of {', '.join(REPORT_SUFFIXES)}",
            file=str(target),
        )
    with atomic_path(target) as temporary:
        writer(frame, temporary)
    return target
