"""Opening the DuckDB store file, with the errors a user can meet named plainly.

Kept free of Polars and of the loading code, so a spot check opens the store cheaply. For
the same reason it imports DuckDB's engine module, ``_duckdb``: the ``duckdb`` package is
that module (``duckdb.connect is _duckdb.connect``, the same connection and error classes)
plus a Python layer (relations, ``.sql``) that takes about 80 ms to import and that a spot
check, which only runs ``execute`` and ``fetchall``, never uses. Every other path imports
``duckdb`` itself.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
from collections.abc import Iterable
from pathlib import Path
from typing import Final

import _duckdb as duckdb

from blacklist_match.errors import StoreError
from blacklist_match.store_schema import SCHEMA_VERSION

DEFAULT_DB: Final = "blacklist.duckdb"
DB_ENV: Final = "BLACKLIST_DB"
MEMORY: Final = ":memory:"
SNAPSHOT_SUFFIX: Final = ".readonly"
"""Beside ``blacklist.duckdb`` a writer leaves ``blacklist.duckdb.readonly``: a copy of the
last committed state that readers use while a writer holds the store's lock."""

log = logging.getLogger(__name__)

LOOKUP_KEYS: Final = "lookup_keys"
"""A table on the read-only copy only: ``(key_hash, rid)`` for each lookup key of each list
entry (:data:`LOOKUP_KEY_COLUMNS`), sorted by ``key_hash``, so that a point query reads one
row group (DuckDB skips the others by their min/max). The spot check finds an entry's
``rid`` there and fetches the entry through the index on ``rid``."""

LOOKUP_KEY_COLUMNS: Final = (
    "id_norm_hash",
    "id_alt_norm_hash",
    "mask_key_hash",
    "org_code_key_hash",
    "name_key_hash",
    "name_core_hash",
)
"""The key hashes (``store_schema.KEY_HASHES``) of the columns a spot check looks entries
up by (``lookup.StoreLookup``); a name's dot-free key only where it differs from the key."""

LOOKUP_INDEXES: Final = (
    ("list_entries", "rid"),
    ("officers", "person_id_norm_hash"),
    ("officers", "entity_id_norm_hash"),
    ("officers", "entity_org_code_key_hash"),
)
"""Indexes built on the read-only copy only: with :data:`LOOKUP_KEYS` they make a spot
check's point queries fast, while the writer's own file stays free of them (index upkeep
slows bulk loads).

Building an index on a million random 64-bit key hashes takes about 0.5 s, on their text
up to twice that, while sorting every entry's keys into :data:`LOOKUP_KEYS` takes about
0.4 s for all of them, and the index on ``rid`` (ascending, as the load numbers entries)
0.13 s. Registry links carry no ``rid``: their keys' hashes are indexed directly."""


def _lookup_keys_sql() -> str:
    """SQL creating :data:`LOOKUP_KEYS` from ``list_entries`` (constant names only)."""
    parts = []
    for column in LOOKUP_KEY_COLUMNS:
        condition = f"{column} IS NOT NULL"
        if column == "name_core_hash":  # a person's dot-free key is mostly the key itself
            condition += " AND name_core_hash IS DISTINCT FROM name_key_hash"
        parts.append(f"SELECT {column} AS key_hash, rid FROM list_entries WHERE {condition}")  # noqa: S608
    union = " UNION ALL ".join(parts)
    return f"CREATE OR REPLACE TABLE {LOOKUP_KEYS} AS {union} ORDER BY key_hash"


def default_db_path() -> str:
    """``$BLACKLIST_DB`` or ``./blacklist.duckdb``."""
    return os.environ.get(DB_ENV) or DEFAULT_DB


def connect(path: str | Path | None, *, read_only: bool) -> duckdb.DuckDBPyConnection:
    """Open the store at ``path`` (default location when None).

    Raises :class:`StoreError` when a read-only store does not exist, or when another
    process is writing it (DuckDB allows one writing process at a time).
    """
    target = str(path) if path is not None else default_db_path()
    if read_only and target != MEMORY and not Path(target).is_file():
        raise StoreError(f"no store at {target}: load data with `blacklist-match ingest`")
    try:
        return duckdb.connect(target, read_only=read_only)
    except duckdb.IOException as error:
        if "lock" in str(error).lower():
            raise StoreError(
                f"the store {target} is in use by another process (one writer at a time); "
                "try again when it has finished"
            ) from None
        raise StoreError(f"cannot open the store {target}: {error}") from None
    except duckdb.Error as error:
        raise StoreError(f"cannot open the store {target}: {error}") from None


def snapshot_path(path: str | Path) -> Path:
    """Where the read-only copy of the store at ``path`` lives."""
    return Path(f"{path}{SNAPSHOT_SUFFIX}")


def publish_snapshot(con: duckdb.DuckDBPyConnection, path: str | Path) -> None:
    """Checkpoint the store and atomically replace its read-only copy with the new state.

    Called by a writer after its last commit, while it still holds the lock, so the copy
    is always one committed state: readers that find the store locked read it instead.
    """
    if str(path) == MEMORY:
        return
    con.execute("CHECKPOINT")
    stamp = store_stamp(con)
    target = snapshot_path(path)
    partial = target.with_name(f".{target.name}.part")
    # a publish killed half-way leaves its copy and that copy's WAL: neither may be replayed
    Path(f"{partial}.wal").unlink(missing_ok=True)
    shutil.copyfile(path, partial)
    with duckdb.connect(str(partial)) as copy:
        _write_stamp(copy, str(copy.execute("SELECT current_database()").fetchall()[0][0]), stamp)
        copy.execute(_lookup_keys_sql())
        for table, column in LOOKUP_INDEXES:
            copy.execute(
                f'CREATE INDEX IF NOT EXISTS "ix_{table}_{column}" ON "{table}" ("{column}")'
            )
        copy.execute("CHECKPOINT")
    os.replace(partial, target)


COPY_STAMP: Final = "copy_stamp"
"""A table on the read-only copy only: one row, the :func:`store_stamp` of the store state
the copy holds. A refresh (:func:`refresh_snapshot`) trusts the last copy only when it
holds the state the session opened."""


def store_stamp(con: duckdb.DuckDBPyConnection, catalog: str | None = None) -> str:
    """A digest of what every commit to the store changes: each table's row count, each
    sequence's last value and the ``meta`` rows (a load adds a ``loads`` row, a run a
    ``batch_runs`` row, a decision a ``decisions`` row; key upgrades rewrite ``meta``), of
    the catalog ``catalog`` (default: the connection's own)."""
    name = catalog or str(con.execute("SELECT current_database()").fetchall()[0][0])
    counts = _row_counts(con, name)
    sequences = con.execute(
        "SELECT sequence_name, last_value FROM duckdb_sequences() WHERE database_name = ? "
        "AND schema_name = 'main' ORDER BY sequence_name",
        [name],
    ).fetchall()
    meta_table = f"{quote_identifier(name)}.main.meta"
    meta = (
        con.execute(f"SELECT key, value FROM {meta_table} ORDER BY key").fetchall()  # noqa: S608
        if "meta" in counts
        else []
    )
    state = repr((sorted(counts.items()), sequences, meta))
    return hashlib.sha256(state.encode()).hexdigest()


def _row_counts(
    con: duckdb.DuckDBPyConnection, catalog: str, tables: Iterable[str] | None = None
) -> dict[str, int]:
    """The row count of each table of ``catalog`` (``tables``: default, every table but the
    copy's own :data:`LOOKUP_KEYS` and :data:`COPY_STAMP`), in one statement."""
    if tables is None:
        tables = [
            str(row[0])
            for row in con.execute(
                "SELECT table_name FROM duckdb_tables() WHERE database_name = ? "
                "AND schema_name = 'main' AND table_name NOT IN (?, ?)",
                [catalog, LOOKUP_KEYS, COPY_STAMP],
            ).fetchall()
        ]
    names = sorted(tables)
    if not names:
        return {}
    union = " UNION ALL ".join(
        f"SELECT {i}, count(*) FROM {quote_identifier(catalog)}.main.{quote_identifier(t)}"  # noqa: S608
        for i, t in enumerate(names)
    )
    return {names[i]: int(count) for i, count in con.execute(union).fetchall()}


def _write_stamp(con: duckdb.DuckDBPyConnection, copy_catalog: str, stamp: str) -> None:
    con.execute(
        f"CREATE OR REPLACE TABLE {quote_identifier(copy_catalog)}.main.{COPY_STAMP} AS "
        "SELECT CAST(? AS VARCHAR) AS stamp",
        [stamp],
    )


def _stamp_of_copy(con: duckdb.DuckDBPyConnection, copy_catalog: str) -> str | None:
    present = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE database_name = ? AND table_name = ?",
        [copy_catalog, COPY_STAMP],
    ).fetchall()[0][0]
    if not present:
        return None
    rows = con.execute(
        f"SELECT stamp FROM {quote_identifier(copy_catalog)}.main.{COPY_STAMP}"  # noqa: S608
    ).fetchall()
    return str(rows[0][0]) if len(rows) == 1 else None


RUN_TABLES: Final = (
    "batch_runs", "runs", "flag_events", "flag_states", "match_candidates",
    "meta", "replaced_records",
)  # fmt: skip
"""The tables a ``run`` writes: its report's row, its flags' review events and states, the
candidates it keeps, its bookkeeping in ``meta``, and the record index's (``meta``,
``replaced_records``). A session that wrote only these refreshes the read-only copy
(:func:`refresh_snapshot`) instead of publishing it anew."""

_APPENDED: Final = {"flag_events": "event_id"}
"""Tables only ever appended to, by an increasing key: a refresh copies their new rows (a
review history grows every night; copying it whole would grow with it)."""

_REFRESHED: Final = "refreshed_copy"


def copy_in_step(path: str | Path) -> bool:
    """Whether the read-only copy of the store at ``path`` holds the store's committed state:
    published after the store's last change, and no write-ahead log waiting in the store."""
    if str(path) == MEMORY:
        return False
    try:
        published = snapshot_path(path).stat().st_mtime_ns
        changed = Path(path).stat().st_mtime_ns
    except OSError:
        return False
    return published >= changed and not Path(f"{path}.wal").exists()


def refresh_snapshot(
    con: duckdb.DuckDBPyConnection, path: str | Path, tables: set[str], *, opened: str
) -> bool:
    """Make the store's next read-only copy from its last one, after a session that wrote
    only ``tables`` (:data:`RUN_TABLES`) to a store whose copy was in step when it opened
    (:func:`copy_in_step`): those tables are brought over (an appended table's new rows),
    the sequences advanced, and the key table and indexes built on the list stand: a run
    no longer pays their build, which grows with the list (1.2 s at 1M entries).

    ``opened``: the :func:`store_stamp` of the store when the session opened; the last copy
    is used only if it holds that state (its :data:`COPY_STAMP`), whatever the files'
    times say. False, and the copy left as it was, where it does not, or where another
    table's row count differs from the store's (the caller then publishes in full)."""
    con.execute("CHECKPOINT")
    target = snapshot_path(path)
    partial = target.with_name(f".{target.name}.part")
    Path(f"{partial}.wal").unlink(missing_ok=True)
    shutil.copyfile(target, partial)
    store_name = str(con.execute("SELECT current_database()").fetchall()[0][0])
    store = quote_identifier(store_name)
    location = str(partial).replace("'", "''")
    con.execute(f"ATTACH '{location}' AS {_REFRESHED}")
    refreshed = False
    try:
        if _stamp_of_copy(con, _REFRESHED) != opened or _other_tables_differ(
            con, store_name, tables
        ):
            return False
        con.execute("BEGIN TRANSACTION")
        try:
            for table in sorted(tables):
                _bring_over(con, store, table)
            _advance_sequences(con, store_name)
            _write_stamp(con, _REFRESHED, store_stamp(con, store_name))
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
        con.execute(f"CHECKPOINT {_REFRESHED}")
        refreshed = True
    finally:
        detach_refreshed_copy(con)
        if not refreshed:
            partial.unlink(missing_ok=True)
    os.replace(partial, target)
    return True


def detach_refreshed_copy(con: duckdb.DuckDBPyConnection) -> None:
    """Detach the copy a refresh attached, if it is still attached (a full publication
    cannot copy a file attached under another name)."""
    try:
        con.execute(f"DETACH DATABASE IF EXISTS {_REFRESHED}")
    except duckdb.Error as error:  # the caller publishes anew; that copy is removed
        log.warning("could not detach the refreshed copy: %s", error)


def quote_identifier(name: str) -> str:
    """``name`` as a quoted SQL identifier (its own quotes doubled)."""
    return '"' + name.replace('"', '""') + '"'


def _other_tables_differ(con: duckdb.DuckDBPyConnection, store_name: str, tables: set[str]) -> bool:
    """Whether the store (catalog ``store_name``) and the copy differ in their tables or
    columns, or a table outside ``tables`` in its row count: a write the session did not
    declare (a change in place that keeps every count is not seen: ``Store.transaction``)."""
    columns = (
        "SELECT database_name = ? AS in_store, table_name, column_name, data_type "
        "FROM duckdb_columns() WHERE database_name IN (?, ?) AND schema_name = 'main' "
        "AND table_name NOT IN (?, ?) ORDER BY column_index"
    )
    shapes: dict[bool, dict[str, list[tuple[str, str]]]] = {True: {}, False: {}}
    for in_store, table, column, kind in con.execute(
        columns, [store_name, store_name, _REFRESHED, LOOKUP_KEYS, COPY_STAMP]
    ).fetchall():
        shapes[bool(in_store)].setdefault(str(table), []).append((str(column), str(kind)))
    if shapes[True] != shapes[False]:
        return True
    others = [name for name in shapes[True] if name not in tables]
    return _row_counts(con, store_name, others) != _row_counts(con, _REFRESHED, others)


def _bring_over(con: duckdb.DuckDBPyConnection, store: str, table: str) -> None:
    """The copy's ``table`` made the store's: its new rows where it is only appended to,
    else all of its rows."""
    source = f"{store}.main.{quote_identifier(table)}"
    copied = f"{_REFRESHED}.main.{quote_identifier(table)}"
    key = _APPENDED.get(table)
    if key is not None:
        con.execute(
            f"INSERT INTO {copied} BY NAME SELECT * FROM {source} "  # noqa: S608
            f"WHERE {key} > (SELECT coalesce(max({key}), -1) FROM {copied})"
        )
        return
    con.execute(f"DELETE FROM {copied}")  # noqa: S608
    con.execute(f"INSERT INTO {copied} BY NAME SELECT * FROM {source}")  # noqa: S608


def _advance_sequences(con: duckdb.DuckDBPyConnection, store_name: str) -> None:
    """Each of the copy's sequences brought to the store's last value (a copy opened for
    writing must not hand out an id the store has used)."""
    behind = con.execute(
        "SELECT s.sequence_name, s.last_value - coalesce(c.last_value, c.start_value - 1) "
        "FROM duckdb_sequences() s JOIN duckdb_sequences() c USING (sequence_name) "
        "WHERE s.database_name = ? AND c.database_name = ? AND s.schema_name = 'main' "
        "AND c.schema_name = 'main' AND s.last_value IS NOT NULL",
        [store_name, _REFRESHED],
    ).fetchall()
    for name, steps in behind:
        if steps > 0:
            con.execute(
                f"SELECT max(nextval('{_REFRESHED}.main.{name}')) FROM range(?)",  # noqa: S608
                [steps],
            )


def written_schema_version(con: duckdb.DuckDBPyConnection, path: str | Path) -> int | None:
    """The store schema version that the store's last writer kept in ``meta`` (None: a new
    store, or none kept). A store written by a newer build is refused: ``con`` is closed and
    a :class:`StoreError` names the file (what a newer schema means is for the newer build
    to read, and a writer would change the store before it found out)."""
    try:
        rows = con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchall()
    except duckdb.CatalogException:  # no meta table: a file this program did not write
        return None
    version = int(rows[0][0]) if rows else None
    if version is not None and version > SCHEMA_VERSION:
        con.close()
        raise StoreError(
            f"{path} was written by a newer blacklist-match (store schema {version}, "
            f"this one reads {SCHEMA_VERSION}): upgrade blacklist-match to use it"
        )
    return version


def connect_for_reading(path: str | Path | None) -> duckdb.DuckDBPyConnection:
    """Open the store read-only: its indexed read-only copy when that is current (written
    after the store's last change), else the store; while a writer holds the store, the
    last committed copy. A store (or copy) written by a newer build is refused
    (:func:`written_schema_version`)."""
    target = str(path) if path is not None else default_db_path()
    con = _connect_for_reading(target)
    written_schema_version(con, target)
    return con


def _connect_for_reading(target: str) -> duckdb.DuckDBPyConnection:
    copy = snapshot_path(target)
    try:
        if copy.stat().st_mtime_ns >= Path(target).stat().st_mtime_ns:
            return connect(copy, read_only=True)
    except OSError:
        pass
    try:
        return connect(target, read_only=True)
    except StoreError:
        if Path(target).is_file() and copy.is_file():
            log.info("the store %s is being written; reading its last committed copy", target)
            return connect(copy, read_only=True)
        raise
