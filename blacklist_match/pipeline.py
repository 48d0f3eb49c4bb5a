"""One screen: load -> match -> rules -> flags. Used by ``screen``, ``demo``, ``run`` and tests.

Inputs always go through the store (an in-memory DuckDB for a one-shot ``screen``, the
DuckDB file for a nightly run), so every run mode shares one reading, one keying and one
matching plan. Matching runs as SQL in DuckDB; rules run as Polars expressions over the
candidates.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl

from blacklist_match import schema as S
from blacklist_match.io.mapping import RecordMapping
from blacklist_match.match.identity import find_candidates
from blacklist_match.report.flags import build_flags
from blacklist_match.review import (
    FLAG_KEY,
    STATUS,
    SUBJECT_KEY,
    FlagStatus,
    flag_key_expr,
    suppress_rejected,
)
from blacklist_match.rules import RulePack, apply_rules
from blacklist_match.store import MEMORY, LoadReport, Store
from blacklist_match.util import query_frame

log = logging.getLogger(__name__)


@dataclass
class ScreenResult:
    """Flags and what the run saw."""

    flags: pl.DataFrame
    rules_digest: str
    counts: dict[str, int] = field(default_factory=dict)
    loads: list[LoadReport] = field(default_factory=list)
    quarantine: pl.DataFrame | None = None
    list_state: dict[str, Any] = field(default_factory=dict)


def screen_store(
    store: Store,
    rules: RulePack,
    *,
    as_of: date | None = None,
    show_ids: bool = False,
) -> ScreenResult:
    """Match the store's records against its list, apply the rules, build the report."""
    candidates = find_candidates(store.con, as_of)
    flags = build_flags(
        apply_rules(candidates.lazy(), rules), show_ids=show_ids, candidates=candidates.height
    ).with_columns(
        pl.lit(FlagStatus.NEW.value).alias(STATUS),
        flag_key_expr().alias(FLAG_KEY),
    )
    flags = suppress_rejected(  # a store the library screens against keeps its decisions
        store.con, flags, candidates.select(S.RECORD_ID, SUBJECT_KEY), as_of or date.today()
    )
    status = store.status(today=as_of)
    counts = {
        "entries": status["entries_total"],
        "records": status["records"],
        "officers": status["officers"],
        "quarantined": status["quarantined"],
        "candidates": candidates.height,
        "flags": flags.height,
    }
    list_state = {
        key: status[key] for key in ("as_of", "entries_total", "entries_listed", "entries_ended")
    }
    return ScreenResult(
        flags=flags, rules_digest=rules.digest, counts=counts, list_state=list_state
    )


def screen_files(
    list_files: Sequence[str | Path],
    record_files: Sequence[str | Path],
    *,
    removal_files: Sequence[str | Path] = (),
    officer_files: Sequence[str | Path] = (),
    mapping: RecordMapping | None = None,
    as_of: date | None = None,
    rules: RulePack | None = None,
    show_ids: bool = False,
) -> ScreenResult:
    """Screen agency record files against court list files in an in-memory store."""
    pack = rules or RulePack.load()
    with Store(MEMORY) as store:
        loads = [store.ingest_list(path) for path in list_files]
        loads += [store.ingest_removals(path) for path in removal_files]
        loads += [store.ingest_officers(path) for path in officer_files]
        loads += [store.ingest_records(path, mapping=mapping) for path in record_files]
        result = screen_store(store, pack, as_of=as_of, show_ids=show_ids)
        result.loads = loads
        result.quarantine = query_frame(store.con, "SELECT * FROM quarantine")
    return result
