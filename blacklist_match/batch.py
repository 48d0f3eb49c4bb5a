"""The nightly batch over the store: a full run, or ``--since-last`` (only what changed).

A since-last run screens (a) records loaded or changed since the last successful run, and
records whose subject's registry links changed, against the whole list; and (b) every
record against the entries that changed (new, corrected or ended). The matching plan is
the same SQL as a full run: it reads ``records``, ``entries`` and ``officers``, which a
scope (an attached in-memory schema first on the search path) narrows to what changed.
A run's bookkeeping row is written only after its report is in place, so a failed run
does not count as the last run.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

from blacklist_match.lookup import CORE_PREFIX
from blacklist_match.match.identity import find_candidates
from blacklist_match.report.flags import build_flags
from blacklist_match.review import apply_review_state, record_flag_events
from blacklist_match.rules import RulePack, apply_rules
from blacklist_match.store import Store
from blacklist_match.util import query_frame

_CHANGED_RECORDS = """
CREATE TABLE scope.changed_records AS
WITH o AS (SELECT * FROM {db}.main.officers WHERE load_id > $watermark),
keys AS (SELECT person_id_norm AS k FROM o WHERE person_id_norm IS NOT NULL
         UNION SELECT entity_id_norm FROM o WHERE entity_id_norm IS NOT NULL),
org_keys AS (SELECT DISTINCT entity_org_code_key AS k FROM o
             WHERE entity_org_code_key IS NOT NULL),
changed AS (
    SELECT record_id FROM {db}.main.records WHERE load_id > $watermark
    UNION SELECT r.record_id FROM {db}.main.records r JOIN keys ON r.id_norm = keys.k
    UNION SELECT r.record_id FROM {db}.main.records r JOIN keys ON r.id_alt_norm = keys.k
    UNION SELECT r.record_id FROM {db}.main.records r JOIN org_keys ON r.org_code_key = org_keys.k
)
SELECT r.* FROM {db}.main.records r SEMI JOIN changed USING (record_id)
"""


_CHANGED_ENTRIES = """
CREATE TABLE scope.changed_entries AS
SELECT * FROM {db}.main.list_entries WHERE last_load_id > $watermark
"""

_RECORDS_NEAR_CHANGED_ENTRIES = """
CREATE TABLE scope.near_records AS
WITH e AS (SELECT * FROM scope.main.changed_entries),
ids AS (SELECT id_norm AS k FROM e WHERE id_norm IS NOT NULL
        UNION SELECT id_alt_norm FROM e WHERE id_alt_norm IS NOT NULL),
linked_persons AS (      -- officers of changed entity entries
    SELECT o.person_id_norm AS k FROM {db}.main.officers o JOIN e
      ON o.entity_org_code_key = e.org_code_key OR o.entity_id_norm = e.id_norm
    WHERE e.debtor_type = 'entity'),
linked_entities AS (     -- entities whose officer is a changed person entry
    SELECT o.entity_id_norm AS id_key, o.entity_org_code_key AS org_key
    FROM {db}.main.officers o JOIN e
      ON o.person_id_norm = e.id_norm OR o.person_mask_key = e.mask_key
    WHERE e.debtor_type = 'person'),
person_keys AS (SELECT k FROM ids UNION SELECT k FROM linked_persons
                UNION SELECT id_key FROM linked_entities),
near AS (   -- one simple semi-join per key: DuckDB runs these far faster than one big OR
    SELECT record_id FROM {db}.main.records WHERE id_norm IN (SELECT k FROM person_keys)
    UNION ALL SELECT record_id FROM {db}.main.records
        WHERE id_alt_norm IN (SELECT k FROM person_keys)
    UNION ALL SELECT record_id FROM {db}.main.records
        WHERE org_code_key IN (SELECT org_code_key FROM e UNION SELECT org_key FROM linked_entities)
    UNION ALL SELECT record_id FROM {db}.main.records WHERE mask_key IN (SELECT mask_key FROM e)
    UNION ALL SELECT record_id FROM {db}.main.records
        WHERE id_norm IS NULL AND id_alt_norm IS NULL AND name_key IN (SELECT name_key FROM e)
    UNION ALL SELECT record_id FROM {db}.main.records
        WHERE id_norm IS NULL AND id_alt_norm IS NULL AND name_core IN (SELECT name_core FROM e)
    UNION ALL SELECT record_id FROM {db}.main.records WHERE name_key IN (
        SELECT name_key FROM e WHERE id_norm IS NULL AND id_alt_norm IS NULL)
    UNION ALL SELECT record_id FROM {db}.main.records
        WHERE subject_type = 'entity' AND left(name_core, {prefix}) IN (
            SELECT left(name_core, {prefix}) FROM e WHERE debtor_type = 'entity')
)
SELECT * FROM {db}.main.records WHERE record_id IN (SELECT record_id FROM near)
"""
"""Every record that any tier could pair with a changed entry: the union of the blocking
keys of every tier (IDs, organisation codes, masks; name keys where one side has no usable
ID, as the fuzzy and name-only tiers require; company-core prefixes; registry links either
way). A superset, materialised once: the tiers themselves then decide."""


@dataclass
class RunResult:
    """What a batch run did."""

    run_id: str
    mode: str
    flags: pl.DataFrame
    records_screened: int
    watermark: int
    started_at: datetime
    rules_digest: str = ""
    counts: dict[str, int] = field(default_factory=dict)
    list_state: dict[str, Any] = field(default_factory=dict)


def _database_name(con: duckdb.DuckDBPyConnection) -> str:
    name = str(con.sql("SELECT current_database()").fetchall()[0][0])
    return '"' + name.replace('"', '""') + '"'


@contextlib.contextmanager
def _scope(con: duckdb.DuckDBPyConnection, views: dict[str, str]) -> Iterator[None]:
    """Make ``records``/``entries``/``officers`` resolve to narrowed views for a block."""
    db = _database_name(con)
    con.execute(f"SET search_path = 'scope.main,{db.strip(chr(34))}.main'")
    try:
        for name, body in views.items():
            con.execute(f"CREATE OR REPLACE VIEW scope.main.{name} AS {body}")
        yield
    finally:
        for name in views:
            con.execute(f"DROP VIEW IF EXISTS scope.main.{name}")
        con.execute(f"SET search_path = '{db.strip(chr(34))}.main'")


def _count(con: duckdb.DuckDBPyConnection, table: str) -> int:
    return int(con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0])


def find_candidates_schema() -> pl.DataFrame:
    """An empty candidates frame (a since-last run with nothing to screen)."""
    with duckdb.connect() as con:
        Store.create_schema(con)
        return find_candidates(con)


def last_watermark(store: Store) -> int | None:
    """The highest load id the last successful run had seen (None: no run yet)."""
    rows = store.con.execute(
        "SELECT watermark_load_id FROM batch_runs ORDER BY finished_at DESC LIMIT 1"
    ).fetchall()
    return int(rows[0][0]) if rows else None


def _current_watermark(store: Store) -> int:
    return int(store.con.execute("SELECT coalesce(max(load_id), 0) FROM loads").fetchall()[0][0])


def run_batch(
    store: Store,
    rules: RulePack,
    *,
    since_last: bool = False,
    as_of: date | None = None,
    show_ids: bool = False,
) -> RunResult:
    """Screen the store's records against its list (as of each record's event date)."""
    started = datetime.now()
    con = store.con
    watermark = _current_watermark(store)
    previous = last_watermark(store) if since_last else None
    rescreened: pl.Series | None = None
    changed_entries: pl.Series | None = None
    if previous is None:
        mode = "full"
        candidates = find_candidates(con, as_of)
        screened = int(con.execute("SELECT count(*) FROM records").fetchall()[0][0])
    else:
        mode = "since_last"
        db = _database_name(con)
        con.execute("ATTACH ':memory:' AS scope")
        try:
            parameters = {"watermark": previous}
            con.execute(_CHANGED_RECORDS.format(db=db), parameters)
            con.execute(_CHANGED_ENTRIES.format(db=db), parameters)
            con.execute(_RECORDS_NEAR_CHANGED_ENTRIES.format(db=db, prefix=CORE_PREFIX))
            changed_count = _count(con, "scope.main.changed_records")
            near_count = _count(con, "scope.main.near_records")
            passes = []
            if changed_count:
                passes.append({"records": "SELECT * FROM scope.main.changed_records"})
            if near_count and _count(con, "scope.main.changed_entries"):
                passes.append(
                    {
                        "records": "SELECT * FROM scope.main.near_records",
                        "entries": "SELECT * FROM scope.main.changed_entries",
                    }
                )
            found = []
            for views in passes:
                with _scope(con, views):
                    found.append(find_candidates(con, as_of))
            screened = changed_count + near_count
            rescreened = query_frame(con, "SELECT record_id FROM scope.main.changed_records")[
                "record_id"
            ]
            changed_entries = query_frame(
                con, "SELECT DISTINCT entry_id FROM scope.main.changed_entries"
            )["entry_id"]
        finally:
            con.execute("DETACH scope")
        candidates = (
            pl.concat(found, how="vertical_relaxed").unique(maintain_order=True)
            if found
            else find_candidates_schema()
        )
    flags = build_flags(apply_rules(candidates.lazy(), rules), show_ids=show_ids)
    flags = apply_review_state(
        con,
        flags,
        today=as_of or date.today(),
        rescreened_records=rescreened,
        changed_entries=changed_entries,
    )
    status = store.status()
    return RunResult(
        rules_digest=rules.digest,
        counts={
            "records_screened": screened,
            "candidates": candidates.height,
            "flags": flags.height,
        },
        list_state={
            key: status[key]
            for key in ("as_of", "entries_total", "entries_listed", "entries_ended")
        },
        run_id=uuid.uuid4().hex,
        mode=mode,
        flags=flags,
        records_screened=screened,
        watermark=watermark,
        started_at=started,
    )


def record_batch_run(store: Store, result: RunResult, report: Path) -> None:
    """Mark ``result`` as the last successful run (after its report is written), with one
    review event per flag it reported."""
    store.mark_committed()
    record_flag_events(store.con, result.flags, result.run_id)
    store.con.execute(
        "INSERT INTO batch_runs VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [
            result.run_id,
            result.started_at,
            datetime.now(),
            result.mode,
            result.watermark,
            result.records_screened,
            result.flags.height,
            str(report),
        ],
    )
