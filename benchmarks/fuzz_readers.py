"""Issue 8, item 1: the readers fed damaged files; no crash, no lost row.

A valid court list (generated, ~50 entries) is written as CSV, JSON lines, XLSX and
Parquet, then damaged: truncation, random bytes, wrong encodings (UTF-16 LE/BE, with and
without BOM, GB18030, a GB18030 line in a UTF-8 file), unbalanced quotes, huge fields, wrong
field counts, broken JSON lines, empty and header-only files. Each case is read in process
with ``read_court_list`` (fast), and a sample through the real ``blacklist-match ingest
list`` entry point. A case fails when

- the reader raises anything but ``InputError`` (a crash), or the command line exits with a
  code other than 0 and 1 or prints a traceback;
- a good row is not loaded, or loaded + quarantined differs from the data rows of the
  damaged file, where the damage keeps rows countable (rows lost);
- a file whose header is intact is refused as a whole.

Usage: ``python benchmarks/fuzz_readers.py [--cases 10000] [--cli-cases 200] [--seed 1]``.
Prints cases tried, crashes, rows lost; exits 1 unless both are zero.
"""

from __future__ import annotations

import argparse
import codecs
import json
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from blacklist_match.errors import InputError
from blacklist_match.io.court_list import read_court_list
from blacklist_match.io.tables import MAX_FIELD_CHARS, ROW
from blacklist_match.synth import build_scenario

ENTRY_POINT = shutil.which("blacklist-match", path=str(Path(sys.executable).parent))
TEXT_FORMATS = ("csv", "jsonl")
BINARY_FORMATS = ("xlsx", "parquet")


@dataclass
class Case:
    """A damaged file and what a correct reader must make of it."""

    kind: str
    suffix: str
    data: bytes
    rows: set[int] | None = None
    """Row numbers (``__row``) of the file's data rows, when the damage keeps them countable:
    loaded and quarantined rows together must be exactly these."""
    touched: set[int] = field(default_factory=set)
    """Rows the damage touched; every other row in ``rows`` must be loaded."""
    may_refuse: bool = False
    """Whether refusing the whole file (``InputError``) is a right answer."""


@dataclass
class Outcome:
    """What a reader made of a case."""

    crashed: str | None = None
    refused: str | None = None
    lost: int = 0
    good_not_loaded: int = 0
    loaded: int = 0
    quarantined: int = 0


@dataclass
class Base:
    """The valid file in each format, as bytes, with its header and data lines."""

    frame: pl.DataFrame
    header: str
    lines: list[str]
    files: dict[str, bytes]


def build_base(entries: int = 30) -> Base:
    """A generated court list with the site's Chinese labels, in every format."""
    persons = max(entries * 2 // 3, 1)
    scenario = build_scenario(
        listed_persons=persons, listed_companies=max(entries - persons, 1), records=10, seed=3
    )
    with tempfile.TemporaryDirectory() as folder:
        paths = scenario.write(folder, list_encoding="utf-8")
        text = paths["list"].read_text(encoding="utf-8")
        frame = pl.read_csv(paths["list"], infer_schema=False)
    header, *lines = text.rstrip("\n").split("\n")
    jsonl = "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in frame.to_dicts())
    files = {"csv": text.encode("utf-8"), "jsonl": jsonl.encode("utf-8")}
    for kind in BINARY_FORMATS:
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / f"list.{kind}"
            frame.write_excel(path) if kind == "xlsx" else frame.write_parquet(path)
            files[kind] = path.read_bytes()
    return Base(frame=frame, header=header, lines=lines, files=files)


# --- damage to text files ------------------------------------------------------------------


def _text_lines(base: Base, suffix: str) -> tuple[str, list[str]]:
    if suffix == "csv":
        return base.header, list(base.lines)
    return "", base.files["jsonl"].decode().rstrip("\n").split("\n")


def _first_row(suffix: str) -> int:
    """Line number of the first data line (CSV has a header line)."""
    return 2 if suffix == "csv" else 1


def _assemble(header: str, lines: list[str], suffix: str) -> str:
    return "\n".join(([header] if suffix == "csv" else []) + lines) + "\n"


def _rows_of(text: str, suffix: str) -> set[int]:
    """Row numbers of the non-blank data lines of ``text`` (lines split on LF only)."""
    first = _first_row(suffix)
    return {n for n, line in enumerate(text.split("\n"), start=1) if n >= first and line.strip()}


def _line_damage(
    base: Base, suffix: str, rnd: random.Random, change: Callable[[str, random.Random], str]
) -> tuple[str, set[int]]:
    header, lines = _text_lines(base, suffix)
    picked = rnd.sample(range(len(lines)), rnd.randint(1, max(1, len(lines) // 4)))
    first = _first_row(suffix)
    touched = set()
    for index in picked:
        changed = change(lines[index], rnd)
        if changed != lines[index]:
            touched.add(index + first)
        lines[index] = changed
    return _assemble(header, lines, suffix), touched


def _wrong_field_count(line: str, rnd: random.Random) -> str:
    if rnd.random() < 0.5:
        return line + "," * rnd.randint(1, 3) + "x" * rnd.randint(0, 3)
    return line.rsplit(",", rnd.randint(1, 3))[0]


def _stray_quote(line: str, rnd: random.Random) -> str:
    starts = [0] + [m.end() for m in re.finditer(",", line)]
    at = rnd.choice(starts) if rnd.random() < 0.7 else rnd.randrange(len(line) + 1)
    return line[:at] + '"' + line[at:]


def _huge_field(line: str, rnd: random.Random) -> str:
    size = rnd.choice([MAX_FIELD_CHARS + 1, MAX_FIELD_CHARS * 2, 150_000, 400_000])
    filler = rnd.choice("张x0 ")
    if line.startswith("{"):
        row = json.loads(line)
        row[rnd.choice(list(row))] = filler * size
        return json.dumps(row, ensure_ascii=False)
    fields = line.split(",")
    at = rnd.choice([n for n, text in enumerate(fields) if '"' not in text])
    fields[at] = filler * size
    return ",".join(fields)


def _broken_json(line: str, rnd: random.Random) -> str:
    how = rnd.randrange(4)
    if how == 0:
        return line[: rnd.randrange(1, len(line))]
    if how == 1:
        at = rnd.randrange(len(line))
        return line[:at] + line[at + 1 :]
    if how == 2:
        return rnd.choice(["[1, 2]", "42", '"text"', "null", "{{", "[" * 5000])
    return line.replace(":", "", 1)


def _random_bytes_in_line(line: bytes, rnd: random.Random) -> bytes:
    """Overwrite a few bytes with any byte but LF, CR and the quote (lines stay lines)."""
    data = bytearray(line)
    for _ in range(rnd.randint(1, 4)):
        value = rnd.choice([b for b in range(256) if b not in b'\n\r"'])
        data[rnd.randrange(len(data))] = value
    return bytes(data)


def _cut_case(kind: str, suffix: str, data: bytes, text: str) -> Case:
    """A text file that may be cut short: its last line, if partial, is a touched row."""
    rows = _rows_of(text, suffix)
    touched = {max(rows)} if rows and not text.endswith("\n") else set()
    header_ok = suffix == "jsonl" or "\n" in text
    return Case(kind, suffix, data, rows, touched, may_refuse=not header_ok)


def text_case(base: Base, suffix: str, kind: str, rnd: random.Random) -> Case:
    """One damaged CSV or JSON lines file of the given kind."""
    header, lines = _text_lines(base, suffix)
    clean = _assemble(header, lines, suffix)
    first = _first_row(suffix)
    if kind == "clean":
        return Case(kind, suffix, clean.encode(), _rows_of(clean, suffix))
    if kind == "empty":
        data = rnd.choice([b"", b"\n", b"  \r\n", codecs.BOM_UTF8, codecs.BOM_UTF16_LE])
        return Case(kind, suffix, data, set(), may_refuse=True)
    if kind == "header_only":
        text = header + rnd.choice(["", "\n", "\r\n", "\n\n"]) if suffix == "csv" else "\n"
        return Case(kind, suffix, text.encode(), set(), may_refuse=suffix != "csv")
    if kind == "truncated":
        data = clean.encode()[: rnd.randrange(len(clean.encode()))]
        return _cut_case(kind, suffix, data, data.decode("utf-8", "replace"))
    if kind == "wrong_field_count" and suffix == "csv":
        text, touched = _line_damage(base, suffix, rnd, _wrong_field_count)
        return Case(kind, suffix, text.encode(), _rows_of(text, suffix), touched)
    if kind == "stray_quote" and suffix == "csv":
        text, touched = _line_damage(base, suffix, rnd, _stray_quote)
        return Case(kind, suffix, text.encode(), _rows_of(text, suffix), touched)
    if kind == "broken_json" and suffix == "jsonl":
        text, touched = _line_damage(base, suffix, rnd, _broken_json)
        return Case(kind, suffix, text.encode(), _rows_of(text, suffix), touched)
    if kind == "huge_field":
        text, touched = _line_damage(base, suffix, rnd, _huge_field)
        return Case(kind, suffix, text.encode(), _rows_of(text, suffix), touched)
    if kind == "blank_lines_crlf":
        out = [header] if suffix == "csv" else []
        for line in lines:
            out += [""] * (rnd.random() < 0.2) + [line]
        newline = rnd.choice(["\n", "\r\n"])
        text = newline.join(out) + newline * rnd.randint(0, 3)
        return Case(kind, suffix, text.encode(), _rows_of(text.replace("\r", ""), suffix))
    if kind in {"random_bytes", "gb18030_line"}:
        encoded = [line.encode() for line in lines]
        picked = rnd.sample(range(len(encoded)), rnd.randint(1, max(1, len(encoded) // 5)))
        for index in picked:
            if kind == "random_bytes":
                encoded[index] = _random_bytes_in_line(encoded[index], rnd)
            else:
                encoded[index] = lines[index].encode("gb18030")
        data = b"\n".join(([header.encode()] if suffix == "csv" else []) + encoded) + b"\n"
        touched = {index + first for index in picked}
        rows = _rows_of(data.decode("utf-8", "replace"), suffix)
        return Case(kind, suffix, data, rows, touched)
    if kind == "encoding":
        encoding = rnd.choice(["utf-16", "utf-16-le", "utf-16-be", "gb18030", "utf-8-sig"])
        bom = codecs.BOM_UTF16_LE if encoding == "utf-16-le" and rnd.random() < 0.5 else b""
        data = bom + clean.encode(encoding)
        if rnd.random() < 0.4:  # and cut short
            data = data[: rnd.randrange(len(data) // 2, len(data))]
        return _cut_case(kind, suffix, data, data.decode("utf-16" if bom else encoding, "replace"))
    if kind == "random_anywhere":  # any bytes anywhere, header included: only "no crash"
        noisy = bytearray(clean.encode(rnd.choice(["utf-8", "utf-16", "gb18030"])))
        for _ in range(rnd.randint(1, 40)):
            noisy[rnd.randrange(len(noisy))] = rnd.randrange(256)
        data = bytes(noisy)
        if rnd.random() < 0.3:
            data = data[: rnd.randrange(len(data))]
        return Case(kind, suffix, bytes(data), None, may_refuse=True)
    if kind == "garbage":
        data = rnd.randbytes(rnd.randint(1, 4000))
        return Case(kind, suffix, data, None, may_refuse=True)
    raise ValueError(f"no damage {kind!r} for {suffix}")


TEXT_KINDS = {
    "csv": (
        "clean", "empty", "header_only", "truncated", "wrong_field_count", "stray_quote",
        "huge_field", "blank_lines_crlf", "random_bytes", "gb18030_line", "encoding",
        "random_anywhere", "garbage",
    ),
    "jsonl": (
        "clean", "empty", "truncated", "broken_json", "huge_field", "blank_lines_crlf",
        "random_bytes", "gb18030_line", "encoding", "random_anywhere", "garbage",
    ),
}  # fmt: skip


# --- damage to XLSX and Parquet ------------------------------------------------------------


def binary_case(base: Base, suffix: str, kind: str, rnd: random.Random) -> Case:
    """One damaged XLSX or Parquet file."""
    data = base.files[suffix]
    all_rows = set(
        range(2 if suffix == "xlsx" else 1, base.frame.height + (2 if suffix == "xlsx" else 1))
    )
    if kind == "clean":
        return Case(kind, suffix, data, all_rows)
    if kind == "empty":
        return Case(
            kind, suffix, rnd.choice([b"", b"\0" * rnd.randint(1, 5000)]), set(), may_refuse=True
        )
    if kind == "truncated":
        return Case(kind, suffix, data[: rnd.randrange(len(data))], None, may_refuse=True)
    if kind == "random_bytes":
        damaged = bytearray(data)
        for _ in range(rnd.randint(1, 30)):
            damaged[rnd.randrange(len(damaged))] = rnd.randrange(256)
        return Case(kind, suffix, bytes(damaged), None, may_refuse=True)
    if kind in {"header_only", "huge_field"}:
        frame = base.frame.head(0) if kind == "header_only" else base.frame
        touched: set[int] = set()
        if kind == "huge_field":
            size = (
                32_000 if suffix == "xlsx" else rnd.choice([50_000, MAX_FIELD_CHARS + 1, 300_000])
            )
            picked = rnd.sample(range(frame.height), rnd.randint(1, 5))
            column = rnd.choice(frame.columns)
            values = frame[column].to_list()
            for index in picked:
                values[index] = "张" * size
            frame = frame.with_columns(pl.Series(column, values, dtype=pl.String))
            if size > MAX_FIELD_CHARS:
                touched = {index + min(all_rows) for index in picked}
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / f"f.{suffix}"
            frame.write_excel(path) if suffix == "xlsx" else frame.write_parquet(path)
            rows = set(range(min(all_rows), min(all_rows) + frame.height))
            return Case(kind, suffix, path.read_bytes(), rows, touched)
    if kind == "garbage":
        return Case(kind, suffix, rnd.randbytes(rnd.randint(1, 4000)), None, may_refuse=True)
    raise ValueError(f"no damage {kind!r} for {suffix}")


BINARY_KINDS = (
    "clean",
    "empty",
    "truncated",
    "random_bytes",
    "header_only",
    "huge_field",
    "garbage",
)


def make_case(base: Base, rnd: random.Random) -> Case:
    """A random case over every format and damage."""
    suffix = rnd.choice(TEXT_FORMATS + BINARY_FORMATS)
    if suffix in TEXT_FORMATS:
        return text_case(base, suffix, rnd.choice(TEXT_KINDS[suffix]), rnd)
    return binary_case(base, suffix, rnd.choice(BINARY_KINDS), rnd)


# --- checking ------------------------------------------------------------------------------


def check_in_process(case: Case, folder: Path) -> Outcome:
    """Read the case with ``read_court_list`` and judge the result."""
    path = folder / f"case.{case.suffix}"
    path.write_bytes(case.data)
    outcome = Outcome()
    try:
        entries, quarantine = read_court_list(path)
    except InputError as error:
        outcome.refused = str(error)
        if not case.may_refuse and case.rows:
            outcome.lost = len(case.rows)
            outcome.good_not_loaded = len(case.rows - case.touched)
        return outcome
    except (Exception, pl.exceptions.PanicException) as error:
        outcome.crashed = f"{type(error).__name__}: {error}"[:300]
        return outcome
    loaded = set(entries[ROW].to_list())
    quarantined = set(quarantine["row"].to_list())
    outcome.loaded, outcome.quarantined = len(loaded), len(quarantined)
    if quarantine["reason"].null_count() or (quarantine["reason"] == "").any():
        outcome.crashed = "a quarantined row has no reason"
    if loaded & quarantined or len(loaded) != entries.height:
        outcome.crashed = "a row is both loaded and quarantined, or loaded twice"
    if case.rows is not None:
        outcome.lost = len(case.rows - loaded - quarantined)
        outcome.good_not_loaded = len(case.rows - case.touched - loaded)
    return outcome


_READ = re.compile(r"read (\d+), loaded (\d+), unchanged (\d+), quarantined (\d+)")


def check_cli(case: Case, folder: Path) -> Outcome:
    """Run ``blacklist-match ingest list`` on the case and judge exit code and output."""
    if ENTRY_POINT is None:
        raise SystemExit("the console script blacklist-match is not installed")
    path = folder / f"case.{case.suffix}"
    path.write_bytes(case.data)
    db = folder / "store.duckdb"
    db.unlink(missing_ok=True)
    done = subprocess.run(
        [ENTRY_POINT, "ingest", "list", str(path), "--db", str(db)],
        capture_output=True, text=True, timeout=300, check=False, errors="replace",
    )  # fmt: skip
    output = done.stdout + done.stderr
    outcome = Outcome()
    if done.returncode not in (0, 1) or any(
        sign in output for sign in ("Traceback", "error: unexpected", "panicked")
    ):
        outcome.crashed = f"exit {done.returncode}: {output.strip()[-300:]}"
        return outcome
    if done.returncode == 1:
        outcome.refused = done.stderr.strip()[:300]
        if not case.may_refuse and case.rows:
            outcome.lost = len(case.rows)
        return outcome
    found = _READ.search(done.stdout)
    if found is None:
        outcome.crashed = f"no load report: {done.stdout.strip()[:300]}"
        return outcome
    read = int(found.group(1))
    if case.rows is not None:
        outcome.lost = max(len(case.rows) - read, 0)
    return outcome


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--cli-cases", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    base = build_base()
    rnd = random.Random(args.seed)
    crashes: list[tuple[str, str, str]] = []
    lost = good_lost = refused = 0
    kinds: Counter[str] = Counter()
    losses: Counter[str] = Counter()
    examples: dict[str, str] = {}
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for number in range(args.cases + args.cli_cases):
            through_cli = number >= args.cases
            case = make_case(base, rnd)
            kinds[f"{case.suffix}:{case.kind}"] += 1
            outcome = (check_cli if through_cli else check_in_process)(case, folder)
            if outcome.crashed:
                crashes.append((case.suffix, case.kind, outcome.crashed))
                (folder.parent / f"fuzz_crash_{len(crashes)}.{case.suffix}").write_bytes(case.data)
            lost += outcome.lost
            if outcome.lost or outcome.good_not_loaded:
                name = f"{case.suffix}:{case.kind}"
                losses[name] += max(outcome.lost, outcome.good_not_loaded)
                examples.setdefault(name, outcome.refused or "")
            good_lost += outcome.good_not_loaded
            refused += outcome.refused is not None
    elapsed = time.perf_counter() - started
    print(f"cases tried: {args.cases} in process + {args.cli_cases} through the CLI "
          f"({len(kinds)} format:damage kinds, seed {args.seed}, {elapsed:.0f} s)")  # fmt: skip
    print(f"crashes: {len(crashes)}")
    print(f"rows lost: {lost} (good rows not loaded: {good_lost})")
    print(f"files refused with a clear InputError: {refused}")
    for name, count in losses.most_common():
        print(f"  rows lost in {name}: {count} {examples[name][:200]}")
    for suffix, kind, detail in crashes[:10]:
        print(f"  crash {suffix}:{kind}: {detail}")
    return 0 if not crashes and not lost and not good_lost else 1


if __name__ == "__main__":
    sys.exit(main())
