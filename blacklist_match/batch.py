"""The nightly batch over the store: a full run, or ``--since-last`` (only what changed).

A since-last run screens (a) records loaded or changed since the last successful run, and
records whose subject's registry links changed, against the whole list; and (b) every
record some tier could pair with an entry that changed (new, corrected or ended) against
those entries. The matching plan is the same SQL as a full run: it reads ``records``,
``entries`` and ``officers``, which a scope (an attached in-memory schema first on the
search path) narrows to what changed; :mod:`blacklist_match.since_last` finds the scoped
records by probing their stored key hashes, without reading their text.
Entries changed only in what a flag shows, or ended, reuse the last run's stored
candidates (:mod:`blacklist_match.stored_candidates`); after a change of rules every
record is screened. A run's bookkeeping row is written only after its report is in place,
so a failed run does not count as the last run.
"""

from __future__ import annotations

import contextlib
import logging
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, Final

import duckdb
import polars as pl

from blacklist_match.db import RUN_TABLES, quote_identifier
from blacklist_match.key_upgrade import REKEYED_AFTER_RUNS
from blacklist_match.match.identity import find_candidates, matching_fingerprint
from blacklist_match.report import ReportFiles, record_run, write_report
from blacklist_match.report.flags import build_flags, empty_flags
from blacklist_match.review import apply_review_state, record_flag_events
from blacklist_match.rules import RulePack, apply_rules
from blacklist_match.since_last import (
    ScopeSize,
    build_scope,
    current_record_index,
)
from blacklist_match.store import LIST_LOAD_KINDS, LIST_STATE_KEY, Store
from blacklist_match.stored_candidates import (
    WATERMARK_KEY,
    forget_candidates,
    kept_watermark,
    save_candidates,
)
from blacklist_match.util import query_frame

log = logging.getLogger(__name__)


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
    candidates: pl.DataFrame | None = None
    """The candidates to keep in ``match_candidates`` (None: this run cannot bring them up
    to date, as a run ``as_of`` a date: the stored ones are then marked out of date)."""
    rescreened_records: pl.Series | None = None
    """Records screened against the whole list (None with ``candidates``: all of them)."""
    changed_entry_rids: pl.Series | None = None
    """Row ids of the entries a since-last run found changed (their pairs were found again
    or reused)."""


@contextlib.contextmanager
def _scope(con: duckdb.DuckDBPyConnection, db: str, views: dict[str, str]) -> Iterator[None]:
    """Make ``records``/``entries``/``officers`` resolve to narrowed views for a block (``db``:
    the store's quoted catalog name; no views, nothing to narrow)."""
    if not views:
        yield
        return
    con.execute(f"SET search_path = 'scope.main,{db.strip(chr(34))}.main'")
    try:
        for name, body in views.items():
            con.execute(f"CREATE OR REPLACE VIEW scope.main.{name} AS {body}")
        yield
    finally:
        for name in views:
            con.execute(f"DROP VIEW IF EXISTS scope.main.{name}")
        con.execute(f"SET search_path = '{db.strip(chr(34))}.main'")


CANDIDATE_SCHEMA: Final = pl.Schema(
    {
        **dict.fromkeys(("record_id", "agency", "record_type", "sub_type"), pl.String),
        **dict.fromkeys(("subject_type", "subject_name", "subject_id"), pl.String),
        "event_date": pl.Date,
        "amount": pl.Float64,
        "subject_id_kind": pl.String,
        "subject_id_valid": pl.Boolean,
        **dict.fromkeys(("entry_id", "case_no", "debtor_name", "debtor_type"), pl.String),
        **dict.fromkeys(("debtor_id", "debtor_id_kind", "court"), pl.String),
        **dict.fromkeys(("listed_from", "listed_until"), pl.Date),
        "tier": pl.String,
        "score": pl.Float64,
        **dict.fromkeys(("link", "via", "evidence"), pl.String),
        "subject_key": pl.String,
        "entry_rid": pl.Int64,
    }
)
"""The columns of :func:`~blacklist_match.match.identity.find_candidates` (a test holds the
two together): planning the matching SQL only to learn them cost a since-last run with
nothing to screen about 0.1 s."""


def find_candidates_schema() -> pl.DataFrame:
    """An empty candidates frame (a since-last run with nothing to screen)."""
    return pl.DataFrame(schema=CANDIDATE_SCHEMA)


_NO_FLAGS: dict[tuple[str, bool], pl.DataFrame] = {}


def _no_flags(rules: RulePack, *, show_ids: bool) -> pl.DataFrame:
    """The report of no candidates (its columns and types), built once per rule pack."""
    key = (rules.digest, show_ids)
    if key not in _NO_FLAGS:
        empty = find_candidates_schema().lazy()
        _NO_FLAGS[key] = empty_flags(apply_rules(empty, rules), show_ids=show_ids)
    return _NO_FLAGS[key]


@dataclass(frozen=True)
class _RunStart:
    """What a run reads of the store before screening (:data:`_RUN_START`)."""

    watermark: int
    """The highest load id now."""
    previous: int | None
    """The last successful run's watermark (None: no run yet, or none since the stored name
    keys were recomputed)."""
    previous_rules: str | None
    """The rules hash in the last successful run's manifest (None: none recorded)."""
    kept: str | None
    """``meta``'s note on the stored candidates (:func:`kept_watermark`)."""
    database: str
    """The store's catalog name, quoted."""
    list_load: int | None
    """The last load that changed the list (None: none yet)."""
    list_state: str | None
    """The list state the last list load kept (:meth:`Store.list_state`)."""


_RUN_START: Final = """
SELECT l.watermark, b.previous, (SELECT rules_hash FROM runs WHERE run_id = b.last_run), b.runs,
       m.rekeyed, m.kept, current_database(), l.list_load, m.list_state
FROM (SELECT coalesce(max(load_id), 0) AS watermark,
             max(load_id) FILTER (WHERE list_contains($list_kinds, kind)) AS list_load
      FROM loads) AS l,
     (SELECT max(value) FILTER (WHERE key = $rekeyed) AS rekeyed,
             max(value) FILTER (WHERE key = $kept) AS kept,
             max(value) FILTER (WHERE key = $list_state) AS list_state FROM meta) AS m,
     (SELECT count(*) AS runs, arg_max(watermark_load_id, finished_at) AS previous,
             arg_max(run_id, finished_at) AS last_run FROM batch_runs) AS b
"""
"""One statement for all of :class:`_RunStart`, one aggregate per table (five statements
cost a since-last run 5 ms, and scalar subqueries for each value 8 ms cold; this 4 ms)."""


def _run_start(con: duckdb.DuckDBPyConnection) -> _RunStart:
    row = con.execute(
        _RUN_START,
        {
            "rekeyed": REKEYED_AFTER_RUNS,
            "kept": WATERMARK_KEY,
            "list_kinds": list(LIST_LOAD_KINDS),
            "list_state": LIST_STATE_KEY,
        },
    ).fetchall()[0]
    watermark, previous, rules_hash, runs, rekeyed, kept, database, list_load, state = row
    if previous is not None and rekeyed is not None and int(runs) <= int(rekeyed):
        previous = None  # no run since the rekeying
    return _RunStart(
        watermark=int(watermark),
        previous=None if previous is None else int(previous),
        previous_rules=rules_hash,
        kept=kept,
        database=quote_identifier(str(database)),
        list_load=None if list_load is None else int(list_load),
        list_state=state,
    )


def last_watermark(store: Store) -> int | None:
    """The highest load id the last successful run had seen (None: no run yet, or none
    since the stored name keys were recomputed: a since-last run then screens everything)."""
    return _run_start(store.con).previous


def _current_watermark(store: Store) -> int:
    return _run_start(store.con).watermark


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
    start = _run_start(con)
    watermark = start.watermark
    previous = start.previous if since_last else None
    if previous is not None and start.previous_rules not in (None, rules.digest):
        # flags on unchanged records were decided by other rules: all are decided again
        # (a run recorded without a manifest is taken to have used these rules)
        log.info("the rules changed since the last run: screening every record")
        previous = None

    def flags_of(candidates: pl.DataFrame, **review: Any) -> pl.DataFrame:
        flags = (
            _no_flags(rules, show_ids=show_ids)  # nothing to pair: skip planning the rules
            if candidates.is_empty()
            else build_flags(
                apply_rules(candidates.lazy(), rules),
                show_ids=show_ids,
                candidates=candidates.height,
            )
        )
        return apply_review_state(
            con,
            flags,
            today=as_of or date.today(),
            subjects=candidates.select("record_id", "subject_key"),
            ends=candidates.select("entry_id", "listed_from", "listed_until"),
            **review,
        )

    if previous is None:
        candidates = find_candidates(con, as_of)
        screened = int(con.execute("SELECT count(*) FROM records").fetchall()[0][0])
        flags = flags_of(candidates, rescreened_records=None, changed_entries=None)
        kept = candidates if as_of is None else None
        rescreened: pl.Series | None = None
        changed_rids: pl.Series | None = None
    else:
        db = start.database
        # the stored candidates are the last run's, and this run can bring them up to date
        reuse = as_of is None and kept_watermark(start.kept, matching_fingerprint()) == previous
        con.execute("ATTACH ':memory:' AS scope")
        try:
            size = build_scope(
                con,
                db,
                previous,
                reuse=reuse,
                open_index=lambda: current_record_index(
                    con, store.path, writable=not store.read_only
                ),
            )
            since = _screen_scope(con, db, size, as_of)
            candidates, screened = since.candidates, since.screened
            rescreened, changed_rids = since.rescreened, since.changed_rids
            flags = flags_of(
                candidates,
                rescreened_records=rescreened,
                changed_entries=since.changed_entries,
                earlier_flags=not since.quiet,
            )
        finally:
            con.execute("DETACH scope")
        kept = candidates if reuse else None  # reuse: no as_of, and a trusted base
    return RunResult(
        candidates=kept,
        rescreened_records=rescreened,
        changed_entry_rids=changed_rids,
        rules_digest=rules.digest,
        counts={
            "records_screened": screened,
            "candidates": candidates.height,
            "flags": flags.height,
        },
        list_state=store.list_state(kept=start.list_state, list_load=start.list_load),
        run_id=uuid.uuid4().hex,
        mode="full" if previous is None else "since_last",
        flags=flags,
        records_screened=screened,
        watermark=watermark,
        started_at=started,
    )


@dataclass(frozen=True)
class _SinceLast:
    """What a since-last run screened and found."""

    candidates: pl.DataFrame
    screened: int
    rescreened: pl.Series
    """Records screened against the whole list."""
    changed_rids: pl.Series
    """Row ids of every entry changed in something screening reads."""
    changed_entries: pl.Series
    """Entry ids whose earlier flags are in scope: the matched changes and the reused."""
    quiet: bool
    """Nothing paired, no record rescreened, every changed entry new since the last run
    (which cannot have flagged it): no earlier flag is in scope to look up."""


def _screen_scope(
    con: duckdb.DuckDBPyConnection, db: str, size: ScopeSize, as_of: date | None
) -> _SinceLast:
    """Match the scoped records (:func:`~blacklist_match.since_last.build_scope`): those
    loaded or relinked since against the whole list, those near a matched change against
    those entries; and read the stored candidates of the other changed entries."""
    passes = []
    if size.changed:
        passes.append({"records": "SELECT * FROM scope.main.changed_records"})
    if size.near:
        passes.append(
            {
                "records": "SELECT * FROM scope.main.near_records",
                "entries": "SELECT * FROM scope.main.changed_entries",
            }
        )
    found = []
    for views in passes:
        with _scope(con, db, views):
            found.append(find_candidates(con, as_of))
    rescreened = (
        query_frame(con, "SELECT record_id FROM scope.main.changed_records")["record_id"]
        if size.changed
        else pl.Series("record_id", [], pl.String)
    )
    changed_entries = (
        query_frame(con, "SELECT DISTINCT entry_id FROM scope.main.changed_keys")
        if size.matched
        else pl.DataFrame(schema={"entry_id": pl.String})
    )
    screened = size.changed + size.near
    if size.reused:
        stored = query_frame(con, "SELECT * FROM scope.main.reused")
        # records screened against the whole list: their pairs were found anew
        reused = stored.filter(
            pl.col("in_window") & ~pl.col("record_id").is_in(rescreened.implode())
        ).select(CANDIDATE_SCHEMA.names())
        found.append(reused)
        also = reused.select("record_id").unique()
        if size.near:  # the near records were counted already
            also = also.join(
                query_frame(con, "SELECT record_id FROM scope.main.near_records"),
                on="record_id",
                how="anti",
            )
        screened += also.height
        changed_entries = pl.concat([changed_entries, stored.select("entry_id").unique()])
    candidates = (
        pl.concat(found, how="vertical_relaxed").unique(maintain_order=True)
        if found
        else find_candidates_schema()
    )
    changes = query_frame(con, "SELECT rid, new_entry FROM scope.main.changes")
    return _SinceLast(
        candidates=candidates,
        screened=screened,
        rescreened=rescreened,
        changed_rids=changes["rid"],
        changed_entries=changed_entries["entry_id"].unique(),
        quiet=candidates.is_empty() and not size.changed and changes["new_entry"].all(),
    )


def record_batch_run(store: Store, result: RunResult, report: Path) -> None:
    """Mark ``result`` as the last successful run (after its report is written), with one
    review event per flag it reported and its candidates kept, in one transaction (joined
    to the caller's, as :func:`report_and_record` opens one)."""
    with store.transaction(writes=RUN_TABLES):
        record_flag_events(store.con, result.flags, result.run_id)
        if result.candidates is None:
            forget_candidates(store.con)
        else:
            save_candidates(
                store.con,
                result.candidates,
                watermark=result.watermark,
                rescreened_records=result.rescreened_records,
                changed_entry_rids=result.changed_entry_rids,
                fingerprint=matching_fingerprint(),
            )
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


def report_and_record(
    store: Store, result: RunResult, flags_path: Path, *, options: dict[str, Any]
) -> ReportFiles:
    """What ``run`` does after screening: write the report (flags, summary and manifest,
    each in place only once whole), then record the run as the last successful one, in one
    transaction."""
    written = write_report(
        result,
        flags_path,
        started_at=result.started_at,
        inputs=store.input_digests(),
        list_state=result.list_state,
        options=options,
        run_id=result.run_id,
    )
    with store.transaction(writes=RUN_TABLES):
        record_run(store.con, written.manifest)
        record_batch_run(store, result, written.flags)
    return written
