"""Read a user's file into a frame of text columns, whatever its format and encoding.

Formats come from the extension: CSV (``.csv``, ``.txt``, ``.tsv``), XLSX (``.xlsx``,
``.xlsm``), JSON lines (``.jsonl``, ``.ndjson``, ``.json``) and Parquet. CSV encodings
are detected, not asked for: a byte-order mark decides (UTF-8, UTF-16); else UTF-16 by its
zero bytes; else UTF-8 (also when only some lines are damaged); else GB18030 (a superset of
GBK and GB2312). Every value is read as text; typing is the job of the reader for each kind
of file. A ``__row`` column gives the row number as the user sees it (the line of a CSV or
JSON lines file, the row of a sheet), so errors can name it.

A damaged row does not fail the file: a CSV row with the wrong number of fields, bad quotes,
undecodable bytes or a field longer than :data:`MAX_FIELD_CHARS`, or a JSON line that is
not an object, stays in the frame with its data columns null, the reason in ``__problem``
and its text in ``__raw_text``; :func:`blacklist_match.io.quarantine.split_bad_rows`
quarantines it. The two columns are present only when some row has a problem. A clean CSV
is read by Polars in one call; the row-by-row reader runs only when a cheap whole-file check
finds something wrong. A file that cannot be read at all (empty, unreadable header, broken
XLSX or Parquet) raises :class:`InputError` naming it.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import unicodedata
from collections.abc import Iterator
from pathlib import Path
from typing import Final

import polars as pl

from blacklist_match.errors import InputError
from blacklist_match.io.transcode import gb18030_to_utf8

ROW: Final = "__row"
"""Column holding the row number the user sees (header is row 1 in CSV and XLSX)."""
PROBLEM: Final = "__problem"
"""Why a row could not be read as a row (null for good rows); present only if some row is bad."""
RAW_TEXT: Final = "__raw_text"
"""A bad row's text as in the file (shortened), kept for the quarantine's ``value``."""
READER_COLUMNS: Final = (ROW, PROBLEM, RAW_TEXT)
"""Columns the reader adds; a user's column may not have these names."""

CSV_SUFFIXES: Final = frozenset({".csv", ".txt", ".tsv"})
XLSX_SUFFIXES: Final = frozenset({".xlsx", ".xlsm"})
JSON_SUFFIXES: Final = frozenset({".jsonl", ".ndjson", ".json"})
PARQUET_SUFFIXES: Final = frozenset({".parquet", ".pq"})

MAX_FIELD_CHARS: Final = 100_000
"""No field of a court list, removal notice, registry or agency record is longer than this."""
RAW_TEXT_CHARS: Final = 1_000
"""A bad row's text is cut to this many characters in the quarantine."""

_UNDECODABLE: Final = "\udcff"
"""Stands for bytes no decoding accepts; strict decoders never produce a lone surrogate."""
_MARK: Final = "blacklist_match.mark_undecodable"
_SAMPLE_BYTES: Final = 1 << 22


def _mark_undecodable(error: UnicodeError) -> tuple[str, int]:
    if not isinstance(error, UnicodeDecodeError):
        raise error
    return _UNDECODABLE, error.end


codecs.register_error(_MARK, _mark_undecodable)


def detect_encoding(data: bytes) -> str:
    """Name the encoding of text bytes: BOM, UTF-16 zeros, UTF-8, GB18030, then a guess.

    A file whose readable non-ASCII lines are UTF-8 is UTF-8 even if some lines are
    damaged (those lines are quarantined), never GB18030 read as gibberish.

    >>> detect_encoding("案号".encode("gb18030"))
    'gb18030'
    >>> detect_encoding(codecs.BOM_UTF8 + "案号".encode())
    'utf-8-sig'
    >>> detect_encoding("案号,姓名\\n张三,1\\n".encode() + b"\\xff\\xfe,2\\n")
    'utf-8'
    """
    return _detect(data)[0]


def _detect(data: bytes) -> tuple[str, str | None]:
    """:func:`detect_encoding`, with the text when telling the encoding decoded it whole
    (so a GB18030 file, which only a full decode can confirm, is decoded once)."""
    if data.startswith(codecs.BOM_UTF8):
        return "utf-8-sig", None
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16", None
    wide = _utf16_by_zeros(data[:4096])
    if wide:
        return wide, None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        if error.reason == "unexpected end of data":  # UTF-8 cut inside its last character
            try:
                data[: error.start].decode("utf-8")
            except UnicodeDecodeError:
                pass
            else:
                return "utf-8", None
    else:
        return "utf-8", text
    if _mostly_utf8(data):
        return "utf-8", None
    try:
        text = data.decode("gb18030")
    except UnicodeDecodeError:
        pass
    else:
        return "gb18030", text
    if _bad_line_share(data, "gb18030") <= 0.5:
        return "gb18030", None
    from charset_normalizer import from_bytes

    best = from_bytes(data[: 1 << 20]).best()
    if best is not None:
        try:
            data.decode(best.encoding)
        except (UnicodeDecodeError, LookupError):
            pass
        else:
            return str(best.encoding), None
    raise InputError("cannot tell the text encoding (tried UTF-8, UTF-16, GB18030)")


def _utf16_by_zeros(sample: bytes) -> str | None:
    """UTF-16 without a BOM: ASCII characters leave a zero byte in every other place."""
    if len(sample) < 8:
        return None
    even, odd = sample[0::2].count(0), sample[1::2].count(0)
    pairs = len(sample) // 2
    if odd >= pairs // 5 and even <= pairs // 50:
        return "utf-16-le"
    if even >= pairs // 5 and odd <= pairs // 50:
        return "utf-16-be"
    return None


def _mostly_utf8(data: bytes) -> bool:
    """Whether at least as many non-ASCII lines (of a sample) decode as UTF-8 as do not."""
    sample = data[:_SAMPLE_BYTES]
    lines = sample.split(b"\n")
    if len(data) > len(sample):
        lines = lines[:-1]  # the sample may end inside a character
    good = bad = 0
    for line in lines:
        if line.isascii():
            continue
        try:
            line.decode("utf-8")
        except UnicodeDecodeError:
            bad += 1
        else:
            good += 1
    return good >= bad


def _bad_line_share(data: bytes, encoding: str) -> float:
    lines = [line for line in data.decode(encoding, _MARK).split("\n") if line.strip()]
    return sum(_UNDECODABLE in line for line in lines) / max(len(lines), 1)


def decode_text(data: bytes) -> str:
    """Decode file bytes; bytes no decoding accepts become a marker that flags their line."""
    encoding, text = _detect(data)
    return (text if text is not None else data.decode(encoding, _MARK)).removeprefix("\ufeff")


def normalise_header(name: str) -> str:
    """Header text as compared with known labels: NFKC, no BOM, no surrounding space."""
    return unicodedata.normalize("NFKC", name).replace("\ufeff", "").strip()


def column_names(header: list[str]) -> list[str]:
    """Normalised header names, repeats renamed as Polars does (``a``, ``a_duplicated_0``).

    >>> column_names(["案号", " 案号", "", ""])
    ['案号', '案号_duplicated_0', '', '_duplicated_0']
    """
    names: list[str] = []
    repeats: dict[str, int] = {}
    for raw in header:
        name = normalise_header(raw)
        if name in READER_COLUMNS:
            raise InputError(f"column name {name!r} is reserved", row=1)
        if name in repeats:
            repeats[name] += 1
            name = f"{name}_duplicated_{repeats[name] - 1}"
        else:
            repeats[name] = 0
        names.append(name)
    return names


def read_table(path: str | Path) -> pl.DataFrame:
    """Read ``path`` into a frame of nullable text columns plus ``__row``.

    Rows that cannot be read carry ``__problem`` (see the module docs). Raises
    :class:`InputError` naming the file when it cannot be read at all.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError("no such file", file=str(path))
    suffix = path.suffix.lower()
    try:
        if suffix in CSV_SUFFIXES:
            frame = _read_csv(path)
        elif suffix in JSON_SUFFIXES:
            frame = _read_json_lines(path)
        elif suffix in XLSX_SUFFIXES | PARQUET_SUFFIXES:
            frame = _read_binary(path, suffix)
        else:
            raise InputError(
                f"unknown file type {suffix!r}: use .csv, .xlsx, .jsonl or .parquet",
                file=str(path),
            )
    except InputError as error:
        if error.file is None:
            raise InputError(
                error.reason, file=str(path), row=error.row, column=error.column
            ) from error
        raise
    except (pl.exceptions.PolarsError, OSError, ValueError) as error:
        raise InputError(f"cannot read: {_first_line(error)}", file=str(path)) from error
    return frame


def _first_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return text[0] if text else type(error).__name__


def _numbered(frame: pl.DataFrame, first_row: int, header: list[str] | None = None) -> pl.DataFrame:
    names = column_names(header if header is not None else frame.columns)
    return (
        frame.rename(dict(zip(frame.columns, names, strict=True)))
        .with_row_index(ROW, offset=first_row)
        .with_columns(pl.col(ROW).cast(pl.Int64))
    )


def _raw_text(text: str) -> str:
    text = text.rstrip("\r\n").replace(_UNDECODABLE, "\ufffd")
    return text if len(text) <= RAW_TEXT_CHARS else text[:RAW_TEXT_CHARS] + "…"


def _with_problem_rows(
    good: pl.DataFrame, bad: list[tuple[int, str, str]], columns: list[str]
) -> pl.DataFrame:
    """``good`` (columns plus ``__row``) with the bad rows ``(row, reason, text)`` added."""
    if not bad:
        return good
    rows, reasons, texts = zip(*bad, strict=True)
    problems = pl.DataFrame(
        {ROW: list(rows), PROBLEM: list(reasons), RAW_TEXT: list(texts)},
        schema={ROW: pl.Int64, PROBLEM: pl.String, RAW_TEXT: pl.String},
    )
    return pl.concat([good.select(*columns, ROW), problems], how="diagonal_relaxed").sort(ROW)


# --- CSV -----------------------------------------------------------------------------------


def _read_csv(path: Path) -> pl.DataFrame:
    data = path.read_bytes()
    if not data or data.isspace():  # not data.strip(): that copies the whole file
        raise InputError("the file is empty")
    separator = "\t" if path.suffix.lower() == ".tsv" else ","
    wide = data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or _utf16_by_zeros(
        data[:4096]
    )
    if not wide and _starts_as_utf8(data):  # else Polars refuses them: GB18030 falls through
        fast = _read_csv_fast(data.removeprefix(codecs.BOM_UTF8), separator)
        if fast is not None:
            return fast
    if not wide:
        utf8 = _strict_gb18030_as_utf8(data)
        if utf8 is not None:
            fast = _read_csv_fast(utf8.removeprefix(codecs.BOM_UTF8), separator)
            if fast is not None:
                return fast
    encoding, text = _detect(data)
    if text is None:
        text = data.decode(encoding, _MARK)
    text = text.removeprefix("\ufeff")
    if not text or text.isspace():
        raise InputError("the file is empty")
    if encoding not in {"utf-8", "utf-8-sig"} and _UNDECODABLE not in text:
        fast = _read_csv_fast(text.encode("utf-8"), separator)
        if fast is not None:
            return fast
    return _read_csv_careful(text, separator)


def _strict_gb18030_as_utf8(data: bytes) -> bytes | None:
    """The file as UTF-8 when :func:`_detect` would call it GB18030 and decode it whole
    (strictly), else None; transcoded on two cores when it is large (:mod:`.transcode`)."""
    if data.startswith(codecs.BOM_UTF8) or _mostly_utf8(data):
        return None
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as error:
        if error.reason == "unexpected end of data":  # what _detect calls UTF-8 cut short
            try:
                data[: error.start].decode("utf-8")
            except UnicodeDecodeError:
                pass
            else:
                return None
    else:
        return None
    return gb18030_to_utf8(data)


def _starts_as_utf8(data: bytes) -> bool:
    """Whether the first 64 KiB are UTF-8 (a character cut at the end allowed).

    >>> _starts_as_utf8("案号".encode()), _starts_as_utf8("案号".encode("gb18030"))
    (True, False)
    """
    head = data[: 1 << 16]
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as error:
        return error.reason == "unexpected end of data" and error.start >= len(head) - 3
    return True


def _read_csv_fast(data: bytes, separator: str) -> pl.DataFrame | None:
    """The whole file in one Polars call, or None when a check says it needs row by row.

    Polars refuses invalid UTF-8 and rows with too many fields. The checks on the rest: an
    even number of quotes, no lone CR, one row per line (no quoted line breaks, no blank
    lines), and as many separators outside quoted values as full rows have (no short
    rows: Polars pads them). Together they mean each line is exactly one good row.
    """
    end = len(data)
    while end and data[end - 1] in b"\r\n":
        end -= 1
    carriage_returns = data.count(b"\r", 0, end)
    if data.count(b'"', 0, end) % 2 or (
        carriage_returns and carriage_returns != data.count(b"\r\n", 0, end)
    ):
        return None
    try:
        frame = pl.read_csv(
            data, infer_schema=False, separator=separator, truncate_ragged_lines=False
        )
        newline = data.find(b"\n", 0, end)
        first_line = data[: newline if newline >= 0 else end].rstrip(b"\r")
        header = next(csv.reader([first_line.decode("utf-8")], delimiter=separator))
    except (pl.exceptions.PolarsError, UnicodeDecodeError, csv.Error, StopIteration):
        return None
    lines = data.count(b"\n", 0, end) + 1
    if frame.height != lines - 1 or len(header) != frame.width:
        return None
    inside_values = frame.select(
        pl.sum_horizontal(pl.all().str.count_matches(separator, literal=True).sum())
    ).item()
    inside = sum(name.count(separator) for name in header) + (inside_values or 0)
    if data.count(separator.encode(), 0, end) - inside != (frame.width - 1) * lines:
        return None
    if frame.height and frame.width:
        longest = frame.select(pl.max_horizontal(pl.all().str.len_chars().max())).item()
        if longest is not None and longest > MAX_FIELD_CHARS:
            return None
    return _numbered(frame, first_row=2, header=header)


class _Lines:
    """An iterator over lines that tells how many the CSV reader has taken."""

    def __init__(self, lines: list[str], start: int) -> None:
        self.lines = lines
        self.next = start

    def __iter__(self) -> Iterator[str]:
        return self

    def __next__(self) -> str:
        if self.next >= len(self.lines):
            raise StopIteration
        self.next += 1
        return self.lines[self.next - 1]


def _csv_rows(
    lines: list[str], start: int, separator: str, width: int | None
) -> Iterator[tuple[int, int, list[str] | None, str | None]]:
    """Yield ``(first line, end line, fields, problem)`` for each row from ``lines[start]``.

    A row spanning several lines that does not parse into ``width`` fields is taken to be a
    stray quote: only its first line is bad, and reading starts again on the next line, so
    one quote cannot swallow the rest of the file. ``width`` None reads the header.
    """
    position = start
    while position < len(lines):
        source = _Lines(lines, position)
        reader = csv.reader(source, delimiter=separator, strict=True)
        restart = False
        while not restart:
            begin = source.next
            fields: list[str] | None
            problem: str | None = None
            try:
                fields = next(reader)
            except StopIteration:
                return
            except csv.Error as error:
                fields = None
                problem = (
                    f"field longer than {MAX_FIELD_CHARS} characters"
                    if "field larger" in str(error)
                    else "unbalanced or misplaced quotes"
                )
            end = source.next
            if fields == []:
                continue  # a blank line is not a row
            if fields is not None and width is not None and len(fields) != width:
                problem = f"wrong number of fields (expected {width}, got {len(fields)})"
            if end - begin > 1 and (
                problem is not None or _holds_rows(lines[begin + 1 : end], separator, width)
            ):
                problem, end = "unbalanced or misplaced quotes", begin + 1
            if _UNDECODABLE in "".join(lines[begin:end]):
                problem = "undecodable bytes"
            elif problem is None and fields and max(map(len, fields)) > MAX_FIELD_CHARS:
                problem = f"field longer than {MAX_FIELD_CHARS} characters"
            yield begin, end, None if problem else fields, problem
            restart = fields is None or end != source.next
            position = max(end, begin + 1)


def _holds_rows(lines: list[str], separator: str, width: int | None) -> bool:
    """Whether a quoted field spanning ``lines`` swallowed a row: a line with as many
    separators as a whole row is a row behind a stray quote, not free text."""
    return width is not None and any(line.count(separator) >= max(width - 1, 2) for line in lines)


def _read_csv_careful(text: str, separator: str) -> pl.DataFrame:
    """Row by row with the csv module: each bad row becomes a problem row with its reason."""
    lines = io.StringIO(text, newline="").readlines()
    rows = _csv_rows(lines, 0, separator, None)
    first = next(rows, None)
    if first is None:
        raise InputError("the file is empty")
    begin, header_end, header, problem = first
    if header is None:
        raise InputError(f"cannot read the header row: {problem}", row=begin + 1)
    columns = column_names(header)
    good_rows: list[int] = []
    good_fields: list[list[str]] = []
    bad: list[tuple[int, str, str]] = []
    for begin, end, fields, problem in _csv_rows(lines, header_end, separator, len(columns)):
        if fields is None:
            bad.append(
                (begin + 1, problem or "unreadable row", _raw_text("".join(lines[begin:end])))
            )
        else:
            good_rows.append(begin + 1)
            good_fields.append(fields)
    values = list(zip(*good_fields, strict=True)) if good_fields else [()] * len(columns)
    good = pl.DataFrame(
        {
            **{
                name: pl.Series(name, [v or None for v in column], dtype=pl.String)
                for name, column in zip(columns, values, strict=True)
            },
            ROW: pl.Series(ROW, good_rows, dtype=pl.Int64),
        }
    )
    return _with_problem_rows(good, bad, columns)


# --- JSON ----------------------------------------------------------------------------------


def _read_json_lines(path: Path) -> pl.DataFrame:
    data = path.read_bytes()
    text = decode_text(data) if data.strip() else ""
    stripped = text.strip()
    if not stripped:
        raise InputError("the file is empty")
    parsed: list[tuple[int, object, str | None, str]] = []  # row, value, problem, text
    array_error: InputError | None = None
    if stripped.startswith("["):  # a JSON array of objects, unless it does not parse as one
        try:
            array = json.loads(stripped)
        except (ValueError, RecursionError) as error:
            array_error = InputError(f"not valid JSON: {_json_problem(error)}")
        else:
            parsed = [(number, value, None, "") for number, value in enumerate(array, start=1)]
    if not parsed:
        for number, line in enumerate(text.split("\n"), start=1):
            if not line.strip():
                continue
            if _UNDECODABLE in line:
                parsed.append((number, None, "undecodable bytes", line))
                continue
            try:
                parsed.append((number, json.loads(line), None, line))
            except (ValueError, RecursionError) as error:
                parsed.append((number, None, f"not valid JSON: {_json_problem(error)}", line))
        if array_error is not None and all(problem for _, _, problem, _ in parsed):
            raise array_error
    good: list[tuple[int, dict[str, str | None]]] = []
    bad: list[tuple[int, str, str]] = []
    for number, value, problem, line in parsed:
        row, problem = _json_row(value) if problem is None else (None, problem)
        if row is None:
            line = line or _json_dump(value)
            bad.append((number, problem or "expected a JSON object", _raw_text(line)))
        else:
            good.append((number, row))
    columns: dict[str, None] = {}
    for _, row in good:
        columns.update(dict.fromkeys(row))
    names = list(columns)
    frame = pl.DataFrame(
        {name: [row.get(name) for _, row in good] for name in names},
        schema=dict.fromkeys(names, pl.String),
    )
    frame = frame.rename(dict(zip(names, column_names(names), strict=True)))
    frame = frame.with_columns(pl.Series(ROW, [number for number, _ in good], dtype=pl.Int64))
    return _with_problem_rows(frame, bad, [c for c in frame.columns if c != ROW])


def _json_problem(error: BaseException) -> str:
    if isinstance(error, json.JSONDecodeError):
        return error.msg
    if isinstance(error, RecursionError):
        return "nested too deeply"
    return _first_line(error)


def _json_dump(value: object) -> str:
    try:
        return json.dumps(value, ensure_ascii=False)
    except (ValueError, TypeError, RecursionError):
        return repr(value)


def _json_row(value: object) -> tuple[dict[str, str | None] | None, str | None]:
    """A JSON object as text values, or ``(None, reason)`` when it cannot be a row."""
    if not isinstance(value, dict):
        return None, "expected a JSON object"
    row: dict[str, str | None] = {}
    for key, item in value.items():
        if normalise_header(key) in READER_COLUMNS:
            return None, f"key {key!r} is reserved"
        text = _json_text(item)
        if text is not None and len(text) > MAX_FIELD_CHARS:
            return None, f"field longer than {MAX_FIELD_CHARS} characters"
        try:
            key.encode("utf-8")
            if text is not None:
                text.encode("utf-8")
        except UnicodeEncodeError:
            return None, "undecodable bytes or an unpaired surrogate escape"
        row[key] = text
    return row, None


def _json_text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int | float):
        return str(value)
    return _json_dump(value)


# --- XLSX and Parquet ----------------------------------------------------------------------


def _read_parquet(path: Path) -> pl.DataFrame:
    """Parquet through pyarrow, which reports damage as exceptions where Polars can panic.

    The data is validated (UTF-8 included) and the metadata dropped before Polars sees it.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pq.read_table(path)
    table.validate(full=True)
    frame = pl.from_arrow(pa.Table.from_arrays(table.columns, names=table.column_names))
    if not isinstance(frame, pl.DataFrame):  # pragma: no cover - a table gives a frame
        raise InputError("cannot read as Parquet: not a table")
    return frame


def _read_binary(path: Path, suffix: str) -> pl.DataFrame:
    """XLSX or Parquet; any failure of the decoder means the file is damaged or not one."""
    kind = "XLSX" if suffix in XLSX_SUFFIXES else "Parquet"
    if not path.stat().st_size:
        raise InputError("the file is empty")
    try:
        if suffix in XLSX_SUFFIXES:
            frame = pl.read_excel(
                path, infer_schema_length=0, drop_empty_rows=False, raise_if_empty=False
            )
            first_row = 2
        else:
            frame = _read_parquet(path)
            first_row = 1
        frame = frame.with_columns(pl.all().cast(pl.String))
    except InputError:
        raise
    except (Exception, pl.exceptions.PanicException) as error:
        raise InputError(f"cannot read as {kind} (damaged?): {_first_line(error)}") from error
    if not frame.width:
        raise InputError(f"the {kind} file holds no columns")
    frame = _numbered(frame, first_row)
    columns = [c for c in frame.columns if c != ROW]
    if suffix in XLSX_SUFFIXES:  # an empty row of a sheet is not a row
        frame = frame.filter(pl.any_horizontal(pl.col(columns).is_not_null()))
    too_long = pl.any_horizontal(
        (pl.col(columns).str.len_chars() > MAX_FIELD_CHARS).fill_null(False)
    )
    long_rows = frame.filter(too_long)
    if not long_rows.height:
        return frame
    bad = [
        (row, f"field longer than {MAX_FIELD_CHARS} characters", "")
        for row in long_rows[ROW].to_list()
    ]
    return _with_problem_rows(frame.filter(~too_long), bad, columns)
