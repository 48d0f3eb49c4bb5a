"""The last successful run's candidates, kept in the store (``match_candidates``).

A since-last run reads from here the pairs of a changed entry whose matched columns did not
change (a removal, a corrected court or case number: :mod:`blacklist_match.since_last`)
instead of finding and matching its records again, and every successful run brings the
table up to date in the transaction that records it (:func:`save_candidates`). The
candidates are those of a run with no ``as_of`` (the list as it is known now); ``meta``
keeps the watermark of the run that wrote them and the fingerprint of the matching that
found them, so a run that did not (a failed run, a run ``as_of`` a date) or another
version of the matching leaves nothing a later run would trust.
"""

from __future__ import annotations

from typing import Final

import duckdb
import polars as pl

from blacklist_match.store_schema import MATCH_CANDIDATE_COLUMNS, put_meta

WATERMARK_KEY: Final = "match_candidates_watermark"

_DELETE: Final = {
    column: f"DELETE FROM match_candidates WHERE {column} IN (SELECT k FROM saved_keys)"  # noqa: S608
    for column in ("record_id", "entry_rid")
}
_INSERT: Final = (
    f"INSERT INTO match_candidates ({', '.join(MATCH_CANDIDATE_COLUMNS)}) "  # noqa: S608
    "SELECT * FROM saved_candidates"
)


def stored_watermark(con: duckdb.DuckDBPyConnection, fingerprint: str) -> int | None:
    """The watermark of the run whose candidates ``match_candidates`` holds, if the same
    matching (``fingerprint``: :func:`~blacklist_match.match.identity.matching_fingerprint`)
    found them (None: none, or found by other code)."""
    rows = con.execute("SELECT value FROM meta WHERE key = ?", [WATERMARK_KEY]).fetchall()
    return kept_watermark(rows[0][0] if rows else None, fingerprint)


def kept_watermark(value: str | None, fingerprint: str) -> int | None:
    """:func:`stored_watermark` from the ``meta`` value under :data:`WATERMARK_KEY`."""
    if value is None:
        return None
    watermark, _, kept_by = str(value).partition(":")
    return int(watermark) if kept_by == fingerprint else None


def forget_candidates(con: duckdb.DuckDBPyConnection) -> None:
    """Mark the stored candidates out of date (a run that could not bring them up to date)."""
    con.execute("DELETE FROM meta WHERE key = ?", [WATERMARK_KEY])


def save_candidates(
    con: duckdb.DuckDBPyConnection,
    candidates: pl.DataFrame,
    *,
    watermark: int,
    rescreened_records: pl.Series | None,
    changed_entry_rids: pl.Series | None,
    fingerprint: str,
) -> None:
    """Bring ``match_candidates`` up to date with a run's ``candidates`` (in the caller's
    transaction). A full run (``rescreened_records`` None) replaces them all; a since-last
    run replaces those of the records it screened against the whole list and of the
    entries that changed (by row id), which are exactly the pairs it found again or reused:
    every other stored pair is of a record and an entry that did not change."""
    if rescreened_records is None:
        con.execute("DELETE FROM match_candidates")
    else:
        # one DELETE per key that has values, the values registered (Arrow: binding ten
        # thousand values as a list parameter took four times as long)
        for column, values in (
            ("record_id", rescreened_records),
            ("entry_rid", changed_entry_rids),
        ):
            if values is None or values.is_empty():
                continue
            con.register("saved_keys", values.rename("k").to_frame())
            try:
                con.execute(_DELETE[column])
            finally:
                con.unregister("saved_keys")
    if not candidates.is_empty():
        con.register("saved_candidates", candidates.select(MATCH_CANDIDATE_COLUMNS).to_arrow())
        try:
            con.execute(_INSERT)
        finally:
            con.unregister("saved_candidates")
    put_meta(con, WATERMARK_KEY, f"{watermark}:{fingerprint}")
