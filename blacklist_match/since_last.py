"""What a ``run --since-last`` screens: the records a change since the last run touches.

Two scopes, in an attached in-memory schema ``scope`` (see :func:`build_scope`):

* ``changed_records``, screened against the whole list: records loaded since the last run,
  and records whose subject's registry links were loaded since (by ID or organisation code);
* ``near_records``, screened against ``changed_entries`` only (entries new, corrected or
  ended since): every record that some tier could pair with a changed entry, found by the
  tier's own blocking key (:data:`_PROBE_KEYS`).

Records are found in :mod:`~blacklist_match.record_keys` (one integer semi-join per key
column that the change uses) and then fetched by ``rowid``: nothing scans ``records``
itself, so the cost follows the size of the change, not the number of records.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Final

import duckdb

from blacklist_match.lookup import CORE_PREFIX
from blacklist_match.match.fuzzy import _CLEAN_ID, _PERSON18
from blacklist_match.record_keys import NO_USABLE_ID_SQL, rebuild_record_keys
from blacklist_match.record_keys import TABLE as KEYS_TABLE

log = logging.getLogger(__name__)

NEAR: Final = "near"
CHANGED: Final = "changed"

_CHANGED_ENTRY_KEYS: Final = """
CREATE TABLE scope.changed_keys AS
SELECT entry_id, debtor_type, id_kind, id_number, id_norm, id_alt_norm, org_code_key,
       mask_key, name_key, name_core
FROM {db}.main.list_entries WHERE last_load_id > $watermark
"""

_CHANGED_ENTRIES: Final = """
CREATE TABLE scope.changed_entries AS
SELECT * FROM {db}.main.list_entries WHERE last_load_id > $watermark
"""

_PROBE_KEYS: Final = """
CREATE TABLE scope.probe_keys AS
WITH persons AS (SELECT * FROM scope.main.changed_keys WHERE debtor_type = 'person'),
entities AS (SELECT * FROM scope.main.changed_keys WHERE debtor_type = 'entity'),
typo_ids AS (            -- person entries published with a typo'd ID (fuzzy_id_name)
    SELECT name_key, raw FROM (
        SELECT name_key, {clean_id} AS raw FROM persons
        WHERE {no_id} AND id_number IS NOT NULL AND name_key IS NOT NULL
    ) WHERE regexp_matches(raw, {person18})),
linked_persons AS (      -- officers of changed entity entries
    SELECT o.person_id_norm AS k FROM {db}.main.officers o
    JOIN entities e ON o.entity_org_code_key = e.org_code_key
    UNION ALL
    SELECT o.person_id_norm FROM {db}.main.officers o
    JOIN entities e ON o.entity_id_norm = e.id_norm),
linked_entities AS (     -- entities whose officer is a changed person entry
    SELECT o.entity_id_norm AS id_key, o.entity_org_code_key AS org_key
    FROM {db}.main.officers o JOIN persons e ON o.person_id_norm = e.id_norm
    UNION ALL
    SELECT o.entity_id_norm, o.entity_org_code_key
    FROM {db}.main.officers o JOIN persons e
      ON o.person_mask_key = e.mask_key AND o.person_name_key = e.name_key),
changed_officers AS (SELECT * FROM {db}.main.officers WHERE load_id > $watermark)
SELECT 'id' AS probe, hash(id_norm) AS k FROM scope.main.changed_keys
    WHERE id_norm IS NOT NULL AND id_kind <> 'masked_resident_id'
UNION ALL SELECT 'id', hash(id_alt_norm) FROM scope.main.changed_keys
    WHERE id_alt_norm IS NOT NULL
UNION ALL SELECT 'id', hash(k) FROM linked_persons WHERE k IS NOT NULL
UNION ALL SELECT 'id', hash(id_key) FROM linked_entities WHERE id_key IS NOT NULL
UNION ALL SELECT 'org', hash(org_code_key) FROM scope.main.changed_keys
    WHERE org_code_key IS NOT NULL
UNION ALL SELECT 'org', hash(org_key) FROM linked_entities WHERE org_key IS NOT NULL
UNION ALL SELECT 'mask_name', hash([mask_key, name_key]) FROM persons
    WHERE id_kind = 'masked_resident_id' AND mask_key IS NOT NULL AND name_key IS NOT NULL
UNION ALL SELECT 'mask_name', hash([mask_key, name_core]) FROM persons
    WHERE id_kind = 'masked_resident_id' AND mask_key IS NOT NULL AND name_core IS NOT NULL
      AND name_core IS DISTINCT FROM name_key
UNION ALL SELECT 'mask_core', hash([mask_key, name_core]) FROM persons
    WHERE id_kind = 'masked_resident_id' AND mask_key IS NOT NULL AND name_core IS NOT NULL
UNION ALL SELECT 'head', hash([name_key, left(raw, 6)]) FROM typo_ids
UNION ALL SELECT 'tail', hash([name_key, right(raw, 4)]) FROM typo_ids
UNION ALL SELECT 'typo_name', hash(name_key) FROM persons
    WHERE length(id_norm) = 18 AND name_key IS NOT NULL
UNION ALL SELECT 'no_id_core', hash(name_core) FROM persons
    WHERE {no_id} AND name_core IS NOT NULL
UNION ALL SELECT 'prefix', hash(left(name_core, {prefix})) FROM entities
    WHERE name_core IS NOT NULL
UNION ALL SELECT 'prefix_no_id', hash(left(name_core, {prefix})) FROM entities
    WHERE {no_id} AND name_core IS NOT NULL
UNION ALL SELECT 'registry_id', hash(person_id_norm) FROM changed_officers
    WHERE person_id_norm IS NOT NULL
UNION ALL SELECT 'registry_id', hash(entity_id_norm) FROM changed_officers
    WHERE entity_id_norm IS NOT NULL
UNION ALL SELECT 'registry_org', hash(entity_org_code_key) FROM changed_officers
    WHERE entity_org_code_key IS NOT NULL
"""
"""Hashed blocking keys of what changed, one row per (probe, key). For each tier, the key a
record must share with a changed entry to pair with it, with the entry side's condition
(the record side is :data:`~blacklist_match.record_keys.KEY_COLUMNS`): IDs and registry
IDs either way, organisation codes, (mask, name) of masked entries, (name, ID head or tail)
of typo'd entry IDs, name keys of entries with a full-length ID (against records whose ID
is typo'd), name cores of entries without an ID, company-core prefixes. ``registry_*``:
keys of registry links loaded since the last run (their records see the whole list)."""

_PROBES: Final = (
    # (record key column, probe, record-side condition, scope)
    ("k_id", "id", None, NEAR),
    ("k_alt", "id", None, NEAR),
    ("k_org", "org", None, NEAR),
    ("k_mask_name", "mask_name", None, NEAR),
    ("k_mask_core", "mask_core", None, NEAR),
    ("k_head", "head", None, NEAR),
    ("k_tail", "tail", None, NEAR),
    ("k_typo_name", "typo_name", None, NEAR),
    ("k_no_id_core", "no_id_core", None, NEAR),
    ("k_prefix", "prefix", "no_usable_id", NEAR),
    ("k_prefix", "prefix_no_id", None, NEAR),
    ("k_id", "registry_id", None, CHANGED),
    ("k_alt", "registry_id", None, CHANGED),
    ("k_org", "registry_org", None, CHANGED),
)
"""The record key column each probe's keys are looked up in: one semi-join each."""


def _hits_sql(db: str, probes: set[str]) -> str:
    """Every record the change touches, by rowid and scope: one single-column semi-join per
    probe that has keys, and the records loaded since the last run."""
    lookups = [
        f"SELECT record_rowid, record_hash, '{scope}' AS scope FROM {db}.main.{KEYS_TABLE} "
        f"WHERE {column} IN (SELECT k FROM scope.main.probe_keys WHERE probe = '{probe}')"
        + (f" AND {condition}" if condition else "")
        for column, probe, condition, scope in _PROBES
        if probe in probes
    ]
    loaded = (
        f"SELECT rowid AS record_rowid, hash(record_id) AS record_hash, '{CHANGED}' AS scope "
        f"FROM {db}.main.records "
        "WHERE load_id > $watermark"
    )
    union = "\nUNION ALL\n".join([*lookups, loaded])
    return f"CREATE TABLE scope.hits AS SELECT DISTINCT * FROM ({union})"


_FETCH: Final = """
CREATE TABLE scope.fetched AS
SELECT rowid AS record_rowid, * FROM {db}.main.records WHERE rowid = ANY($rowids::BIGINT[])
"""

_MOVED: Final = """
SELECT count(*) FROM scope.main.hits h LEFT JOIN scope.main.fetched f USING (record_rowid)
WHERE f.record_id IS NULL OR hash(f.record_id) <> h.record_hash
"""
"""Hits whose rowid no longer holds the record keyed (a checkpoint vacuumed deleted rows)."""

_SCOPE_RECORDS: Final = """
CREATE TABLE scope.{scope}_records AS
SELECT * EXCLUDE (record_rowid) FROM scope.main.fetched
WHERE record_rowid IN (SELECT record_rowid FROM scope.main.hits WHERE scope = '{scope}')
"""


@dataclass(frozen=True)
class ScopeSize:
    """How many records each scope holds (tables exist only where the count is not 0)."""

    changed: int
    near: int


def _count(con: duckdb.DuckDBPyConnection, sql: str) -> int:
    return int(con.execute(sql).fetchall()[0][0])


def _find_hits(con: duckdb.DuckDBPyConnection, db: str, watermark: int) -> list[int]:
    """Fill ``scope.hits`` and return the rowids it holds."""
    probes = {
        row[0] for row in con.execute("SELECT DISTINCT probe FROM scope.probe_keys").fetchall()
    }
    con.execute(_hits_sql(db, probes), {"watermark": watermark})
    return [
        row[0] for row in con.execute("SELECT DISTINCT record_rowid FROM scope.hits").fetchall()
    ]


def build_scope(con: duckdb.DuckDBPyConnection, db: str, watermark: int) -> ScopeSize:
    """Fill the attached ``scope`` schema for a run since load ``watermark``:
    ``changed_keys`` (the changed entries' keys, always), and where not empty
    ``changed_records``, ``near_records`` and ``changed_entries`` (full rows, only when some
    record is near a changed entry). ``db`` is the store's quoted catalog name."""
    parameters = {"watermark": watermark}
    con.execute(_CHANGED_ENTRY_KEYS.format(db=db), parameters)
    con.execute(
        _PROBE_KEYS.format(
            db=db,
            no_id=NO_USABLE_ID_SQL,
            clean_id=_CLEAN_ID.format(col="id_number"),
            person18=_PERSON18,
            prefix=CORE_PREFIX,
        ),
        parameters,
    )
    rowids = _find_hits(con, db, watermark)
    if not rowids:
        return ScopeSize(0, 0)
    con.execute(_FETCH.format(db=db), {"rowids": rowids})
    if _count(con, _MOVED):
        log.info("record rowids moved since they were keyed: rebuilding record_keys")
        con.execute("DROP TABLE scope.hits")
        con.execute("DROP TABLE scope.fetched")
        rebuild_record_keys(con)
        rowids = _find_hits(con, db, watermark)
        con.execute(_FETCH.format(db=db), {"rowids": rowids})
        if _count(con, _MOVED):  # pragma: no cover - a table keyed just now is current
            raise RuntimeError("record_keys does not match records after a rebuild")
    sizes = {}
    for scope in (CHANGED, NEAR):
        con.execute(_SCOPE_RECORDS.format(scope=scope))
        sizes[scope] = _count(con, f"SELECT count(*) FROM scope.{scope}_records")
    if sizes[NEAR]:
        con.execute(_CHANGED_ENTRIES.format(db=db), parameters)
    return ScopeSize(sizes[CHANGED], sizes[NEAR])
