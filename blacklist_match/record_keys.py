"""Every record's blocking keys, hashed, in a narrow table: what ``run --since-last`` probes.

A since-last run must find the records that a list change touches: those sharing a
blocking key with a changed entry. Scanning ``records`` for them costs a full scan of
several string columns per key (seconds at ten million records); ``record_keys`` holds
one row per record with each blocking key as a 64-bit hash (NULL where the key does not
apply), so a probe is an integer semi-join on one narrow column, and the records found
are fetched by ``rowid``. Hash collisions only add records to a scope (the tiers then
decide), never drop one.

Which key applies to which record follows each tier's blocking (``blacklist_match.match``);
a key column carries the record-side condition of its tier:

| column | record side | probed with (changed entry side) |
| --- | --- | --- |
| ``k_id``, ``k_alt`` | ``id_norm``, ``id_alt_norm`` | entry IDs; registry IDs either way |
| ``k_org`` | ``org_code_key`` | entry and registry organisation codes |
| ``k_mask_name`` | (mask key, name key) | masked entries' (mask key, name key or core) |
| ``k_mask_core`` | (mask key, name core) where the core differs from the key | (mask key, core) |
| ``k_head``, ``k_tail`` | (name key, first 6 / last 4 of a full person ID) | typo'd entry IDs |
| ``k_typo_name`` | name key of a person with no usable ID but a ``subject_id`` | name keys |
| ``k_no_id_core`` | name core of a person with no usable ID | no-ID entries' name cores |
| ``k_prefix`` | first characters of a company core (with ``no_usable_id``) | company entries' |

Kept current by every records load (:func:`sync_record_keys`, once the load has committed:
rows inserted in an open transaction have provisional rowids) and caught up by a since-last
run when behind (a store loaded before this table existed, a load inside a caller's
transaction).
``record_rowid`` is the record's ``rowid`` when keyed; a checkpoint that vacuums deleted
rows can move rowids, so a fetch checks ``record_hash`` and a mismatch rebuilds the table
(:func:`rebuild_record_keys`).
"""

from __future__ import annotations

import logging
from typing import Final

import duckdb

from blacklist_match import schema as S
from blacklist_match.lookup import CORE_PREFIX

log = logging.getLogger(__name__)

TABLE: Final = "record_keys"
WATERMARK_KEY: Final = "record_keys_load_id"
"""``meta`` key: the highest records ``load_id`` the table covers."""

NO_USABLE_ID_SQL: Final = "(id_norm IS NULL AND id_alt_norm IS NULL)"
FULL_PERSON_KINDS_SQL: Final = (
    "("
    + ", ".join(
        sorted(f"'{kind.value}'" for kind in S.PERSON_ID_KINDS - {S.IdKind.MASKED_RESIDENT_ID})
    )
    + ")"
)

KEY_COLUMNS: Final = {
    "k_id": "id_norm",
    "k_alt": "id_alt_norm",
    "k_org": "org_code_key",
    "k_mask_name": "CASE WHEN mask_key IS NOT NULL AND name_key IS NOT NULL "
    "THEN [mask_key, name_key] END",
    "k_mask_core": "CASE WHEN mask_key IS NOT NULL AND name_core <> name_key "
    "THEN [mask_key, name_core] END",
    "k_head": f"CASE WHEN id_kind IN {FULL_PERSON_KINDS_SQL} AND length(id_norm) = 18 "
    "AND name_key IS NOT NULL THEN [name_key, left(id_norm, 6)] END",
    "k_tail": f"CASE WHEN id_kind IN {FULL_PERSON_KINDS_SQL} AND length(id_norm) = 18 "
    "AND name_key IS NOT NULL THEN [name_key, right(id_norm, 4)] END",
    "k_typo_name": f"CASE WHEN {NO_USABLE_ID_SQL} AND subject_id IS NOT NULL "
    "AND subject_type = 'person' THEN name_key END",
    "k_no_id_core": f"CASE WHEN {NO_USABLE_ID_SQL} AND subject_type = 'person' THEN name_core END",
    "k_prefix": f"CASE WHEN subject_type = 'entity' THEN left(name_core, {CORE_PREFIX}) END",
}
"""Each key column and the record expression it hashes (NULL: the key does not apply)."""


def key_hash(value: str) -> str:
    """SQL: the 64-bit hash of ``value``, NULL when it is NULL (DuckDB hashes NULL too)."""
    return f"CASE WHEN {value} IS NOT NULL THEN hash({value}) END"


DDL: Final = f"""
CREATE TABLE IF NOT EXISTS {TABLE} (
    record_rowid BIGINT NOT NULL,
    record_hash UBIGINT NOT NULL,
    no_usable_id BOOLEAN NOT NULL,
    {", ".join(f"{column} UBIGINT" for column in KEY_COLUMNS)}
)
"""

_INSERT: Final = f"""
INSERT INTO {TABLE}
SELECT record_rowid, record_hash, no_usable_id,
       {", ".join(key_hash(column) for column in KEY_COLUMNS)}
FROM (
    SELECT rowid AS record_rowid, hash(record_id) AS record_hash,
           {NO_USABLE_ID_SQL} AS no_usable_id,
           {", ".join(f"{value} AS {column}" for column, value in KEY_COLUMNS.items())}
    FROM records WHERE load_id > $since
)
"""


def _watermark(con: duckdb.DuckDBPyConnection) -> int | None:
    rows = con.execute("SELECT value FROM meta WHERE key = ?", [WATERMARK_KEY]).fetchall()
    return int(rows[0][0]) if rows else None


def _records_watermark(con: duckdb.DuckDBPyConnection) -> int:
    return int(con.execute("SELECT coalesce(max(load_id), 0) FROM records").fetchall()[0][0])


def sync_record_keys(con: duckdb.DuckDBPyConnection) -> int:
    """Key the records loaded since the table was last brought up to date (replacing the
    keys of records a load replaced); return how many records were keyed.

    Cheap when nothing is behind: two small lookups (the ``load_id`` zone maps skip the
    records already keyed).
    """
    con.execute(DDL)
    since = _watermark(con)
    if since is None:
        con.execute(f"DELETE FROM {TABLE}")
        since = 0
    current = _records_watermark(con)
    if current <= since:
        return 0
    if since:
        con.execute(
            f"DELETE FROM {TABLE} WHERE record_hash IN "
            "(SELECT hash(record_id) FROM records WHERE load_id > $since)",
            {"since": since},
        )
    keyed = int(con.execute(_INSERT, {"since": since}).fetchall()[0][0])
    con.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", [WATERMARK_KEY, str(current)])
    log.debug("record keys: %d records keyed (load ids %d..%d]", keyed, since, current)
    return keyed


def rebuild_record_keys(con: duckdb.DuckDBPyConnection) -> int:
    """Key every record again (after rowids moved); return how many."""
    con.execute(DDL)
    con.execute("DELETE FROM meta WHERE key = ?", [WATERMARK_KEY])
    return sync_record_keys(con)
