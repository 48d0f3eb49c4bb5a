"""One screen: read -> key -> match -> rules -> flags. Used by ``screen``, ``demo`` and tests.

The matching plan runs as SQL in DuckDB over the keyed frames (an in-memory database
here; the store's tables in a nightly run), and the rules as Polars expressions over the
candidates, so every run mode shares one definition of a match.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import duckdb
import polars as pl

from blacklist_match import schema as S
from blacklist_match.history import apply_removals
from blacklist_match.io.agency import read_officers, read_records, read_removals
from blacklist_match.io.court_list import read_court_list
from blacklist_match.io.quarantine import empty_quarantine
from blacklist_match.match.identity import find_candidates
from blacklist_match.prepare import key_entries, key_officers, key_records
from blacklist_match.report.flags import build_flags
from blacklist_match.rules import RulePack, apply_rules

log = logging.getLogger(__name__)


@dataclass
class ScreenInputs:
    """Keyed frames ready to match, and everything that could not be used."""

    entries: pl.DataFrame
    records: pl.DataFrame
    officers: pl.DataFrame
    quarantine: pl.DataFrame = field(default_factory=empty_quarantine)
    files: dict[str, str] = field(default_factory=dict)
    """Input file path -> SHA-256 of its bytes (for the run manifest)."""


@dataclass
class ScreenResult:
    """Flags and what the run saw."""

    flags: pl.DataFrame
    inputs: ScreenInputs
    rules_digest: str
    counts: dict[str, int] = field(default_factory=dict)


def file_digest(path: str | Path) -> str:
    """SHA-256 of a file's bytes, read in blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _concat(frames: list[pl.DataFrame]) -> pl.DataFrame | None:
    return pl.concat(frames, how="diagonal_relaxed") if frames else None


def read_inputs(
    list_files: Sequence[str | Path],
    record_files: Sequence[str | Path],
    *,
    removal_files: Sequence[str | Path] = (),
    officer_files: Sequence[str | Path] = (),
    as_of: date | None = None,
) -> ScreenInputs:
    """Read and key every input file; bad rows go to the quarantine, good rows go on."""
    quarantines: list[pl.DataFrame] = []
    files: dict[str, str] = {}

    def read_all(paths: Sequence[str | Path], reader) -> pl.DataFrame | None:  # type: ignore[no-untyped-def]
        frames = []
        for path in paths:
            good, bad = reader(path)
            files[str(path)] = file_digest(path)
            frames.append(good)
            quarantines.append(bad)
            log.info("read %s: %d rows, %d quarantined", path, good.height, bad.height)
        return _concat(frames)

    entries = read_all(list_files, read_court_list)
    records = read_all(record_files, read_records)
    removals = read_all(removal_files, read_removals)
    officers = read_all(officer_files, read_officers)
    if entries is None or records is None:
        raise ValueError("a screen needs at least one list file and one records file")
    keyed_entries = key_entries(entries.lazy())
    if removals is not None:
        keyed_entries = apply_removals(keyed_entries, removals.lazy(), as_of)
    else:
        keyed_entries = keyed_entries.with_columns(pl.lit(None, pl.Date).alias(S.LISTED_UNTIL))
    keyed_officers = (
        key_officers(officers.lazy()).collect() if officers is not None else pl.DataFrame()
    )
    return ScreenInputs(
        entries=keyed_entries.collect(),
        records=key_records(records.lazy()).collect(),
        officers=keyed_officers,
        quarantine=pl.concat(quarantines) if quarantines else empty_quarantine(),
        files=files,
    )


def screen_inputs(
    inputs: ScreenInputs,
    rules: RulePack,
    *,
    as_of: date | None = None,
    show_ids: bool = False,
) -> ScreenResult:
    """Match keyed inputs, apply the rules and build the flag report."""
    with duckdb.connect() as con:
        con.register("records", inputs.records.to_arrow())
        con.register("entries", inputs.entries.to_arrow())
        candidates = find_candidates(con, as_of)
    accepted = apply_rules(candidates.lazy(), rules)
    flags = build_flags(accepted, show_ids=show_ids)
    counts = {
        "entries": inputs.entries.height,
        "records": inputs.records.height,
        "officers": inputs.officers.height,
        "quarantined": inputs.quarantine.height,
        "candidates": candidates.height,
        "flags": flags.height,
    }
    return ScreenResult(flags=flags, inputs=inputs, rules_digest=rules.digest, counts=counts)


def screen_files(
    list_files: Sequence[str | Path],
    record_files: Sequence[str | Path],
    *,
    removal_files: Sequence[str | Path] = (),
    officer_files: Sequence[str | Path] = (),
    as_of: date | None = None,
    rules: RulePack | None = None,
    show_ids: bool = False,
) -> ScreenResult:
    """Screen agency record files against court list files in memory (no store)."""
    inputs = read_inputs(
        list_files,
        record_files,
        removal_files=removal_files,
        officer_files=officer_files,
        as_of=as_of,
    )
    return screen_inputs(inputs, rules or RulePack.load(), as_of=as_of, show_ids=show_ids)
