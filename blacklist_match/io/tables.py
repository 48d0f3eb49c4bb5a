"""Read a user's file into a frame of text columns, whatever its format and encoding.

Formats come from the extension: CSV (``.csv``, ``.txt``, ``.tsv``), XLSX (``.xlsx``,
``.xlsm``), JSON lines (``.jsonl``, ``.ndjson``, ``.json``) and Parquet. CSV encodings
are detected, not asked for: a byte-order mark decides (UTF-8, UTF-16); else strict UTF-8;
else GB18030 (a superset of GBK and GB2312). Every value is read as text; typing is the
job of the reader for each kind of file. A ``__row`` column gives the row number as the
user sees it (the line of a CSV or JSON lines file, the row of a sheet), so errors can
name it.
"""

from __future__ import annotations

import codecs
import io
import json
import unicodedata
from pathlib import Path
from typing import Final

import polars as pl

from blacklist_match.errors import InputError

ROW: Final = "__row"
"""Column holding the row number the user sees (header is row 1 in CSV and XLSX)."""

CSV_SUFFIXES: Final = frozenset({".csv", ".txt", ".tsv"})
XLSX_SUFFIXES: Final = frozenset({".xlsx", ".xlsm"})
JSON_SUFFIXES: Final = frozenset({".jsonl", ".ndjson", ".json"})
PARQUET_SUFFIXES: Final = frozenset({".parquet", ".pq"})


def detect_encoding(data: bytes) -> str:
    """Name the encoding of CSV bytes: BOM first, then strict UTF-8, then GB18030.

    >>> detect_encoding("案号".encode("gb18030"))
    'gb18030'
    >>> detect_encoding(codecs.BOM_UTF8 + "案号".encode())
    'utf-8-sig'
    """
    if data.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:
        return "utf-8"
    try:
        data.decode("gb18030")
    except UnicodeDecodeError:
        pass
    else:
        return "gb18030"
    from charset_normalizer import from_bytes

    best = from_bytes(data[: 1 << 20]).best()
    if best is None:
        raise InputError("cannot tell the text encoding (tried UTF-8, UTF-16, GB18030)")
    return str(best.encoding)


def normalise_header(name: str) -> str:
    """Header text as compared with known labels: NFKC, no BOM, no surrounding space."""
    return unicodedata.normalize("NFKC", name).replace("\ufeff", "").strip()


def read_table(path: str | Path) -> pl.DataFrame:
    """Read ``path`` into a frame of nullable text columns plus ``__row``.

    Raises :class:`InputError` naming the file when it cannot be read at all.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError("no such file", file=str(path))
    suffix = path.suffix.lower()
    try:
        if suffix in CSV_SUFFIXES:
            frame = _read_csv(path)
        elif suffix in XLSX_SUFFIXES:
            frame = _read_xlsx(path)
        elif suffix in JSON_SUFFIXES:
            frame = _read_json_lines(path)
        elif suffix in PARQUET_SUFFIXES:
            frame = _read_parquet(path)
        else:
            raise InputError(
                f"unknown file type {suffix!r}: use .csv, .xlsx, .jsonl or .parquet",
                file=str(path),
            )
    except InputError as error:
        if error.file is None:
            raise InputError(error.reason, file=str(path)) from error
        raise
    except (pl.exceptions.PolarsError, OSError, ValueError) as error:
        raise InputError(f"cannot read: {_first_line(error)}", file=str(path)) from error
    return frame.rename({c: normalise_header(c) for c in frame.columns if c != ROW})


def _first_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return text[0] if text else type(error).__name__


def _read_csv(path: Path) -> pl.DataFrame:
    data = path.read_bytes()
    if not data.strip():
        raise InputError("the file is empty")
    encoding = detect_encoding(data)
    if encoding != "utf-8":
        data = data.decode(encoding).encode("utf-8")
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    separator = "\t" if path.suffix.lower() == ".tsv" else ","
    frame = pl.read_csv(
        io.BytesIO(data),
        infer_schema=False,
        separator=separator,
        truncate_ragged_lines=True,
    )
    return frame.with_row_index(ROW, offset=2).with_columns(pl.col(ROW).cast(pl.Int64))


def _read_xlsx(path: Path) -> pl.DataFrame:
    frame = pl.read_excel(path, infer_schema_length=0)
    frame = frame.with_columns(pl.all().cast(pl.String))
    return frame.with_row_index(ROW, offset=2).with_columns(pl.col(ROW).cast(pl.Int64))


def _read_json_lines(path: Path) -> pl.DataFrame:
    text = path.read_bytes().decode(detect_encoding(path.read_bytes()))
    stripped = text.lstrip()
    if not stripped:
        raise InputError("the file is empty")
    rows: list[dict[str, object]] = []
    lines: list[int] = []
    if stripped.startswith("["):
        parsed = json.loads(stripped)
        if not isinstance(parsed, list):
            raise InputError("a JSON file must hold an array of objects or one object per line")
        rows = parsed
        lines = list(range(1, len(rows) + 1))
    else:
        for number, line in enumerate(text.splitlines(), start=1):
            if line.strip():
                try:
                    rows.append(json.loads(line))
                except json.JSONDecodeError as error:
                    raise InputError(f"not valid JSON: {error.msg}", row=number) from error
                lines.append(number)
    for row, number in zip(rows, lines, strict=True):
        if not isinstance(row, dict):
            raise InputError("expected a JSON object", row=number)
    columns: dict[str, None] = {}
    for row in rows:
        columns.update(dict.fromkeys(row))
    data = {name: [_json_text(row.get(name)) for row in rows] for name in columns}
    frame = pl.DataFrame(data, schema=dict.fromkeys(columns, pl.String))
    return frame.with_columns(pl.Series(ROW, lines, dtype=pl.Int64))


def _json_text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int | float):
        return str(value)
    return json.dumps(value, ensure_ascii=False)


def _read_parquet(path: Path) -> pl.DataFrame:
    frame = pl.read_parquet(path)
    frame = frame.with_columns(pl.all().cast(pl.String))
    return frame.with_row_index(ROW, offset=1).with_columns(pl.col(ROW).cast(pl.Int64))
