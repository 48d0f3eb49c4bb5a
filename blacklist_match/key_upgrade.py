"""Recompute stored name keys when the rules that derive them change.

Names are keyed once, on load (:mod:`blacklist_match.prepare`), and the keys are stored
with their hashes; a store loaded by an older version keeps the older keys. When the
derivation changes, :data:`NAME_KEYS_VERSION` goes up and the first open for writing
recomputes the keys that can differ, in place, and notes it in ``meta`` so that the next
``run --since-last`` screens everything (a key that changed can pair records and entries
that no change since the last run touched).

Version 2: a county-level short form in brackets is a region (``华航食品（阜宁）有限责任公司``
has the core ``华航食品``, as ``阜宁县华航食品有限责任公司`` does): the company cores of
names with brackets are recomputed.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Final

import polars as pl

from blacklist_match import schema as S
from blacklist_match.names import company_bracket_characters, company_key_expr
from blacklist_match.store_schema import key_hash_assignments, put_meta
from blacklist_match.util import query_frame

if TYPE_CHECKING:
    import duckdb

NAME_KEYS_VERSION: Final = 2
"""The derivation of the stored name keys (see the module docstring)."""

VERSION_KEY: Final = "name_keys_version"
REKEYED_AFTER_RUNS: Final = "name_keys_rekeyed_after_runs"
"""``meta``: how many runs the store had recorded when its keys were recomputed; while no
run has been recorded since, a since-last run screens everything."""

_NAMED_TABLES: Final = (
    ("list_entries", "name", "debtor_type"),
    ("records", "subject_name", "subject_type"),
)


def _bracket_class() -> str:
    """A regex class of every character a company key reads as a bracket."""
    return "[" + "".join(re.escape(c) for c in sorted(company_bracket_characters())) + "]"


def upgrade_name_keys(con: duckdb.DuckDBPyConnection, row_hash_sql: dict[str, str]) -> bool:
    """Bring the stored name keys to :data:`NAME_KEYS_VERSION` (``row_hash_sql``: each
    table's content-hash SQL, recomputed for the rows rekeyed); True when a row changed."""
    stored = con.execute("SELECT value FROM meta WHERE key = ?", [VERSION_KEY]).fetchall()
    if stored == [(str(NAME_KEYS_VERSION),)]:
        return False
    con.execute("BEGIN TRANSACTION")
    try:
        changed = _rekey_company_cores(con, row_hash_sql)
        put_meta(con, VERSION_KEY, str(NAME_KEYS_VERSION))
        if changed:
            runs = con.execute("SELECT count(*) FROM batch_runs").fetchall()[0][0]
            put_meta(con, REKEYED_AFTER_RUNS, str(runs))
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")
    return bool(changed)


def _rekey_company_cores(con: duckdb.DuckDBPyConnection, row_hash_sql: dict[str, str]) -> int:
    changed = 0
    for table, name, kind in _NAMED_TABLES:
        rows = query_frame(
            con,
            f"SELECT rid, {name} AS name, name_core FROM {table} "  # noqa: S608 - constant names
            f"WHERE {kind} = 'entity' AND regexp_matches({name}, $brackets)",
            {"brackets": _bracket_class()},
        )
        if rows.is_empty():
            continue
        fresh = rows.with_columns(
            company_key_expr(pl.col("name")).struct.field(S.NAME_CORE).alias("fresh")
        ).filter(pl.col("fresh").ne_missing(pl.col("name_core")))
        if fresh.is_empty():
            continue
        con.register("rekeyed_cores", fresh.select("rid", "fresh").to_arrow())
        try:
            con.execute(
                f"UPDATE {table} t SET name_core = r.fresh "  # noqa: S608 - constant names
                "FROM rekeyed_cores r WHERE t.rid = r.rid"
            )
            # and every key hashed from it (the core's, the records' company-core prefix)
            rehashed = ", ".join(
                f"{column} = {sql}" for column, sql in key_hash_assignments(table).items()
            )
            con.execute(
                f"UPDATE {table} SET row_hash = {row_hash_sql[table]}, {rehashed} "  # noqa: S608
                "WHERE rid IN (SELECT rid FROM rekeyed_cores)"
            )
        finally:
            con.unregister("rekeyed_cores")
        changed += fresh.height
    return changed
