"""Write frames atomically in the format the extension names: Parquet, CSV, XLSX, JSON.

A report is first written to a temporary file in the same folder, flushed and fsynced,
then renamed over its final name, so a crash never leaves a half-written report under
the name a reader expects. CSV is UTF-8 with a BOM so that Excel opens Chinese text.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Final

import polars as pl

from blacklist_match.errors import InputError

REPORT_SUFFIXES: Final = (".parquet", ".csv", ".xlsx", ".json", ".jsonl")


def _file_mode(target: Path) -> int:
    """The mode a report gets: the one it replaces, else what ``open()`` would give.

    ``mkstemp`` creates its file readable by the owner only; a report should not be.
    """
    if target.exists():
        return stat.S_IMODE(target.stat().st_mode)
    umask = os.umask(0o022)
    os.umask(umask)
    return 0o666 & ~umask


@contextlib.contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success rename it over ``path``."""
    target = Path(path)
    with _temporary_beside(target) as temporary:
        yield temporary
        _ready_to_place(temporary, target)
        os.replace(temporary, target)


@contextlib.contextmanager
def files_placed_together(*paths: Path) -> Iterator[list[Path]]:
    """Yield a temporary path beside each of ``paths``; once the block has written them
    all, put them in place together: every one, or, if any cannot be put in place (a
    directory in the way, a disk that fails), none, the files they replace restored.

    Each file is renamed over its target, as :func:`atomic_path` does; the files they
    replace are first moved aside beside them, and removed only when all are in place."""
    targets = [Path(path) for path in paths]
    for target in targets:
        if target.is_dir():
            raise IsADirectoryError(f"a directory is in the way of the report file {target}")
    with contextlib.ExitStack() as stack:
        temporaries = [stack.enter_context(_temporary_beside(target)) for target in targets]
        yield temporaries
        for temporary, target in zip(temporaries, targets, strict=True):
            _ready_to_place(temporary, target)
        aside: list[tuple[Path, Path]] = []
        placed: list[Path] = []
        try:
            for target in targets:
                if target.exists():
                    old = target.with_name(f".{target.name}.{os.getpid()}.replaced")
                    os.replace(target, old)
                    aside.append((old, target))
            for temporary, target in zip(temporaries, targets, strict=True):
                os.replace(temporary, target)
                placed.append(target)
        except BaseException:
            for target in placed:
                target.unlink(missing_ok=True)
            for old, target in aside:
                os.replace(old, target)
            raise
        for old, _ in aside:
            old.unlink(missing_ok=True)


def _ready_to_place(temporary: Path, target: Path) -> None:
    """A written temporary file on disk, with the mode its target is to have."""
    with open(temporary, "rb+") as written:
        os.fsync(written.fileno())
    os.chmod(temporary, _file_mode(target))


@contextlib.contextmanager
def _temporary_beside(target: Path) -> Iterator[Path]:
    """A new empty file beside ``target``, removed on exit if still there."""
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    os.close(handle)
    temporary = Path(name)
    try:
        yield temporary
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


def read_frame(path: str | Path, schema: pl.Schema | None = None) -> pl.DataFrame:
    """Read a report written by :func:`write_frame`; with ``schema``, cast back to its types.

    CSV and XLSX lose column types (CSV everything is text; XLSX dates may come back as
    datetimes, empty text as null): casting to the report's own schema undoes that, so a
    report reads back equal whatever format it was written in. Empty text reads as null.
    """
    source = Path(path)
    suffix = source.suffix.lower()
    if suffix == ".parquet":
        frame = pl.read_parquet(source)
    elif suffix == ".csv":
        frame = pl.read_csv(source, infer_schema=False, encoding="utf8")
    elif suffix == ".xlsx":
        frame = pl.read_excel(source, sheet_name="flags")
    elif suffix == ".json":
        frame = pl.read_json(source)
    elif suffix == ".jsonl":
        frame = pl.read_ndjson(source)
    else:
        raise InputError(f"unknown report type {source.suffix!r}", file=str(source))
    if schema is None:
        return frame
    if frame.width == 0:  # an empty JSON report is ``[]``: no columns to read back
        return pl.DataFrame(schema=schema)
    return frame.select(_cast(frame, name, dtype) for name, dtype in schema.items())


def _cast(frame: pl.DataFrame, name: str, dtype: pl.DataType) -> pl.Expr:
    column = pl.col(name)
    if name not in frame.columns:
        return pl.lit(None, dtype=dtype).alias(name)
    read = frame.schema[name]
    if read == pl.String:
        column = pl.when(column.str.len_chars() > 0).then(column)
        if dtype == pl.Date:
            return column.str.slice(0, 10).str.to_date("%Y-%m-%d").alias(name)
    if dtype == pl.Date and read == pl.Datetime:
        return column.dt.date().alias(name)
    return column.cast(dtype).alias(name)
