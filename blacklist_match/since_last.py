"""What a ``run --since-last`` screens: the records a change since the last run touches.

Two scopes, in an attached in-memory schema ``scope`` (see :func:`build_scope`):

* ``changed_records``, screened against the whole list: records loaded since the last run,
  and records whose subject's registry links were loaded since (by ID or organisation code);
* ``near_records``, screened against ``changed_entries`` only (entries new, or changed
  since in a column the tiers read, or whose end moved later or went): every record that
  some tier could pair with such an entry, found by the tier's own blocking key
  (:data:`_PROBES`). An entry republished with only its performance (or another column no
  flag reads) changed touches nothing: its records' flags cannot change.

The other changed entries (ended, or corrected only in what a flag shows: the court, the
case number as written) pair with the records they paired with at the last run: their
candidates are read from ``match_candidates`` into ``reused`` (:data:`_REUSED`) when the
store trusts them, and no record is read.

The records are found by probing their stored key hashes (``records.*_hash``, the integer
columns the tiers join on, and the company-core prefix kept for these probes alone:
:data:`~blacklist_match.store_schema.KEY_HASHES`) with the changed entries' own stored
hashes: one integer semi-join per key column that the change uses, no text hashed and no
text column of ``records`` scanned. The records found are then fetched by
their row id ``rid`` in one statement. A hash collision only adds a record to a scope (the
tiers then decide), never drops one.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

import duckdb
import numpy as np
import pyarrow as pa

from blacklist_match import record_index
from blacklist_match.db import MEMORY
from blacklist_match.lookup import CORE_PREFIX
from blacklist_match.match.fuzzy import (
    _TYPO_KEYS,
    NO_USABLE_ID,
    ORGANISATION_KEYED,
    PERSON_NUMBER_WITH_PROBLEM,
    REGISTRATION_NUMBER_ONLY,
)
from blacklist_match.match.registry import FULL_PERSON_KINDS_SQL
from blacklist_match.store_schema import (
    CLEAN_ID_SQL,
    MATCH_CANDIDATE_COLUMNS,
    PERSON18_SQL,
    UNSCREENED_ENTRY_COLUMNS,
    key_hash_expr,
)
from blacklist_match.util import query_frame

if TYPE_CHECKING:
    from collections.abc import Callable

log = logging.getLogger(__name__)

NEAR: Final = "near"
CHANGED: Final = "changed"

_ENTRY_TYPO: Final = f"debtor_type = 'person' AND {PERSON_NUMBER_WITH_PROBLEM}"
_ENTRY_RAW_ID: Final = CLEAN_ID_SQL.format(col="id_number")

_SCREEN_CHANGED: Final = "screen_load_id > $watermark"
"""An entry changed since the last run in something screening reads (new, ended, or
republished with a screened column changed: ``store_schema.SCREENED_ENTRY_COLUMNS``).
A plain comparison of the column, so the scan skips the row groups loaded before."""

_MATCHED_CHANGE: Final = "(NOT $reuse OR match_load_id IS NULL OR match_load_id > $watermark)"
"""An entry changed since the last run in a column the tiers read (new, corrected in its
name, type, ID, age or publication date, or its end moved later or went): its records are
found and matched again. The others (ended, or a court or case number corrected) pair with
the records they paired with before: with ``$reuse`` (the last run's candidates are kept
in ``match_candidates``) those pairs are read from there (:data:`_REUSED`)."""

_CHANGES: Final = f"""
CREATE TABLE scope.changes AS
SELECT rid, first_load_id > $watermark AS new_entry, {_MATCHED_CHANGE} AS matched_change
FROM STORE_DB.main.list_entries WHERE {_SCREEN_CHANGED}
"""
"""Every entry changed since the last run in something screening reads, by row id: integer
columns only, cheap to reach even where the changes are spread over the table (an end or a
correction updates the entry in place, and reaching a few spread rows of a text column
costs about a decode of the whole column)."""

_CHANGED_KEYS: Final = f"""
CREATE TABLE scope.changed_keys AS
SELECT * EXCLUDE (name_key, raw), {_TYPO_KEYS} FROM (
    SELECT rid, entry_id, first_load_id > $watermark AS new_entry, debtor_type, id_kind,
           id_norm_hash, id_alt_norm_hash,
           org_code_key_hash, mask_key_hash, name_key_hash, name_core_hash,
           typo_head_hash, typo_tail_hash,
           CASE WHEN debtor_type = 'entity'
                THEN {key_hash_expr(f"left(name_core, {CORE_PREFIX})")} END AS prefix_hash,
           CASE WHEN {_ENTRY_TYPO} THEN name_key END AS name_key,
           CASE WHEN {_ENTRY_TYPO} AND regexp_matches({_ENTRY_RAW_ID}, {PERSON18_SQL})
                THEN {_ENTRY_RAW_ID} END AS raw
    FROM STORE_DB.main.list_entries WHERE {_SCREEN_CHANGED} AND {_MATCHED_CHANGE})
"""
"""The stored key hashes of the entries with a matched change, with the hashed company-core
prefix of company entries and the typo blocks (``head_hash``, ``tail_hash``, as the
``fuzzy_id_name`` tier stages them) of person entries whose number may be a typo. Narrow:
the full rows are read only when some record is near a change (:data:`_CHANGED_ENTRIES`)."""

_PERSON: Final = "debtor_type = 'person'"
_MASK_KEYED_PERSON: Final = (
    f"{_PERSON} AND mask_key_hash IS NOT NULL "
    f"AND id_kind IN ('masked_resident_id', {FULL_PERSON_KINDS_SQL[1:-1]})"
)
_NOT_FOUND_BY_ORG_OR_MASK: Final = (
    "id_kind <> 'masked_resident_id' AND org_code_key_hash IS NULL "
    f"AND NOT coalesce({_MASK_KEYED_PERSON}, false)"
)
"""An entry whose own ID a record can equal only in ``records.id_norm_hash``: not one with
an organisation code key (a record with the same USCC or code has the same key, which the
``org`` probe finds: an 18- or 9-character number reads the same whatever the hint) nor a
person with a mask key (a record with the same full ID has the same mask key, which the
``mask`` probe finds). Registration numbers and old 15-character permits remain, and
every reading the ``id_alt`` probe covers: one full scan of the records' ID hashes fewer
for most changes (about 25 ms per 5M records)."""

_ENTRY_PROBES: Final = (
    # (probe, entry key, entry-side condition)
    ("id", "id_norm_hash", _NOT_FOUND_BY_ORG_OR_MASK),
    ("id", "id_alt_norm_hash", None),
    ("id_alt", "id_norm_hash", "id_kind <> 'masked_resident_id'"),
    ("id_alt", "id_alt_norm_hash", None),
    ("org", "org_code_key_hash", None),
    ("mask", "mask_key_hash", _MASK_KEYED_PERSON),
    ("head", "head_hash", None),
    ("tail", "tail_hash", None),
    ("typed_head", "typo_head_hash", None),
    ("typed_tail", "typo_tail_hash", None),
    ("no_id_core", "name_core_hash", f"{_PERSON} AND {NO_USABLE_ID}"),
    (
        "partial_core",
        "name_core_hash",
        f"{_PERSON} AND id_kind = 'masked_resident_id' AND {NO_USABLE_ID}",
    ),
    ("prefix", "prefix_hash", None),
    ("prefix_no_id", "prefix_hash", NO_USABLE_ID),
    ("prefix_reg_only", "prefix_hash", REGISTRATION_NUMBER_ONLY),
    ("prefix_org_keyed", "prefix_hash", ORGANISATION_KEYED),
)
"""For each tier, the key of a changed entry that a record must share to pair with it (the
record side is :data:`_PROBES`): IDs either way, organisation codes, the mask of masked
entries, the typo blocks of typo'd entry IDs, the blocks of entries with a full-length
person ID (against the typed blocks of records whose ID may be typo'd), name cores of
persons without an ID (against records without one, and, for a number masked in another
pattern than the publication's, against records with a full person ID),
company-core prefixes (of all company entries against records without an ID, of those
without an ID against every company record, and of those with only a registration number
against records with an organisation code or USCC, and the other way round)."""

_ENTRY_KEYS: Final = "\n    UNION ALL ".join(
    f"SELECT '{probe}' AS probe, {key} AS k FROM scope.main.changed_keys"
    + (f" WHERE {condition}" if condition else "")
    for probe, key, condition in _ENTRY_PROBES
)
"""The changed entries' keys, one ``SELECT`` per probe (an ``unnest`` of one struct list per
entry took twice as long)."""

_PROBE_KEYS: Final = f"""
CREATE TABLE scope.probe_keys AS
WITH entities AS (SELECT * FROM scope.main.changed_keys WHERE debtor_type = 'entity'),
persons AS (SELECT * FROM scope.main.changed_keys WHERE debtor_type = 'person'),
officers_of_entities AS (  -- officers of changed company entries: their person records
    SELECT o.person_id_norm_hash AS k FROM STORE_DB.main.officers o
    JOIN entities e ON o.entity_org_code_key_hash = e.org_code_key_hash
    UNION ALL
    SELECT o.person_id_norm_hash FROM STORE_DB.main.officers o
    JOIN entities e ON o.entity_id_norm_hash = e.id_norm_hash),
entities_of_persons AS (  -- companies whose officer is a changed person entry
    SELECT o.entity_id_norm_hash AS id_key, o.entity_org_code_key_hash AS org_key
    FROM STORE_DB.main.officers o JOIN persons e ON o.person_id_norm_hash = e.id_norm_hash
    UNION ALL
    SELECT o.entity_id_norm_hash, o.entity_org_code_key_hash
    FROM STORE_DB.main.officers o JOIN persons e
      ON o.person_mask_key_hash = e.mask_key_hash AND o.person_name_key_hash = e.name_key_hash),
changed_officers AS (SELECT * FROM STORE_DB.main.officers WHERE load_id > $watermark)
SELECT probe, k FROM (
    {_ENTRY_KEYS}
    UNION ALL SELECT 'id' AS probe, k FROM officers_of_entities
    UNION ALL SELECT unnest([{{'probe': 'id', 'k': id_key}}, {{'probe': 'org', 'k': org_key}}],
                            recursive := true) FROM entities_of_persons
    UNION ALL SELECT unnest([{{'probe': 'registry_id', 'k': person_id_norm_hash}},
                             {{'probe': 'registry_id', 'k': entity_id_norm_hash}},
                             {{'probe': 'registry_org', 'k': entity_org_code_key_hash}}],
                            recursive := true) FROM changed_officers)
WHERE k IS NOT NULL
"""
"""One row per (probe, key): the changed entries' keys (:data:`_ENTRY_PROBES`), and the keys
the officer registry adds: the officers of changed company entries (their person records)
and the companies of changed person entries (by ID, or by mask and name), for the
``registry_link`` tier; ``registry_*``: the keys of registry links loaded since the last
run (their records see the whole list)."""

_CHANGE_COUNTS: Final = """
SELECT count(*) FILTER (WHERE matched_change), count(*) FILTER (WHERE NOT matched_change),
       EXISTS (SELECT 1 FROM STORE_DB.main.officers WHERE load_id > $watermark),
       EXISTS (SELECT 1 FROM STORE_DB.main.records WHERE load_id > $watermark)
FROM scope.main.changes
"""
"""The changed entries with and without a matched change, whether registry links were
loaded since (with no matched change either, as after removals or court corrections alone,
:data:`_PROBE_KEYS` has no key and is not built) and whether records were: one statement
(each costs a since-last run some 0.5 ms however small)."""

_MASKED_SEMI_JOIN: Final = f"""
SELECT r.rid FROM PROBED_RECORDS r SEMI JOIN (
    SELECT mask_key_hash, name_key_hash, name_core_hash,
           id_kind <> 'masked_resident_id' AS full_id
    FROM scope.main.changed_keys WHERE {_MASK_KEYED_PERSON}) e
  ON r.mask_key_hash = e.mask_key_hash
 AND (e.full_id OR r.name_key_hash = e.name_key_hash OR r.name_core_hash = e.name_core_hash)
WHERE r.id_kind IN {FULL_PERSON_KINDS_SQL}"""
"""masked_id_name: the mask and the name key or core equal (the tier's two joins); and
exact_id for a person listed with a full ID: the same ID has the same mask key (a record
sharing only the mask is screened for nothing, rarely: the 14 visible characters must
agree)."""


_PROBES: Final = (
    # (probe, record column (or SQL), record-side condition, scope)
    ("id", "id_norm_hash", None, NEAR),
    ("id_alt", "id_alt_norm_hash", None, NEAR),
    ("org", "org_code_key_hash", None, NEAR),
    ("mask", _MASKED_SEMI_JOIN, None, NEAR),
    ("head", "typo_head_hash", None, NEAR),
    ("tail", "typo_tail_hash", None, NEAR),
    ("typed_head", "typed_head_hash", None, NEAR),
    ("typed_tail", "typed_tail_hash", None, NEAR),
    ("no_id_core", "name_core_hash", f"subject_type = 'person' AND {NO_USABLE_ID}", NEAR),
    ("partial_core", "name_core_hash",
     f"subject_type = 'person' AND id_kind IN {FULL_PERSON_KINDS_SQL}", NEAR),
    ("prefix", "core_prefix_hash", NO_USABLE_ID, NEAR),
    ("prefix_no_id", "core_prefix_hash", None, NEAR),
    ("prefix_reg_only", "core_prefix_hash", ORGANISATION_KEYED, NEAR),
    ("prefix_org_keyed", "core_prefix_hash", REGISTRATION_NUMBER_ONLY, NEAR),
    ("registry_id", "id_norm_hash", None, CHANGED),
    ("registry_id", "id_alt_norm_hash", None, CHANGED),
    ("registry_org", "org_code_key_hash", None, CHANGED),
)  # fmt: skip
"""What each probe's keys are looked up in, with the record side of the tier: one semi-join
each (a ``SELECT`` for the masked tier, which joins two columns)."""


_RECORDS: Final = "STORE_DB.main.records"


def _index_key(column: str, condition: str | None, probe: str) -> tuple[str, str]:
    """The record index key a probe looks up (name, SQL over ``records``): its key column,
    or, where the probe keeps only the records meeting a condition, the column where the
    condition holds (NULL elsewhere): the company-core prefixes and the name cores of
    persons are shared by many records that their probes then drop (at 10M records, after
    10,000 new cases, 31,507 rows read for 8,039 kept)."""
    if column.lstrip().startswith("SELECT"):  # the masked tier: by its mask
        return "mask_key_hash", "mask_key_hash"
    if condition is None:
        return column, column
    return f"{column}@{probe}", f"CASE WHEN {condition} THEN {column} END"


_PROBED: Final = tuple(
    (probe, _index_key(column, condition, probe)[0]) for probe, column, condition, _ in _PROBES
)
"""Each probe with the record index key it looks up."""

INDEX_KEYS: Final = tuple(
    dict.fromkeys(_index_key(column, condition, probe) for probe, column, condition, _ in _PROBES)
)
"""The record index's keys (:mod:`blacklist_match.record_index`): one per probe's key
column and record-side condition."""


_MASKED_SEMI_JOIN_RECORDS: Final = "PROBED_RECORDS"
"""The placeholder of :data:`_MASKED_SEMI_JOIN` for the records it probes."""


def _hits_sql(probes: set[str], records: str = _RECORDS) -> str:
    """Every record the change touches, by ``rid`` and scope: one semi-join per probe that
    has keys (over ``records``: the store's, or the rows the record index found), and the
    records loaded since the last run."""
    lookups = []
    for probe, column, condition, scope in _PROBES:
        if probe not in probes:
            continue
        if column.lstrip().startswith("SELECT"):
            semi_join = column.replace(_MASKED_SEMI_JOIN_RECORDS, records)
            lookups.append(f"SELECT rid, '{scope}' AS scope FROM ({semi_join})")
            continue
        where = f"{column} IN (SELECT k FROM scope.main.probe_keys WHERE probe = '{probe}')"
        lookups.append(
            f"SELECT rid, '{scope}' AS scope FROM {records} WHERE "
            + (f"{condition} AND {where}" if condition else where)
        )
    loaded = f"SELECT rid, '{CHANGED}' AS scope FROM {_RECORDS} WHERE load_id > $watermark"
    union = "\nUNION ALL\n".join([*lookups, loaded])
    return f"CREATE TABLE scope.hits AS SELECT DISTINCT * FROM ({union})"


SKIPPED_RECORD_COLUMNS: Final = (
    "extra", "mask_key", "row_hash", "load_id", "changed_at", "core_prefix_hash",
)  # fmt: skip
"""Columns of ``records`` that no tier, rule or review step reads, left out of the fetch
(a tier that starts reading one fails the since-last tests with a binder error).

Reaching a few rows spread over the table costs about a full decode of each text column
read (its compressed segments are decoded whole: ``mask_key`` alone costs about 10 ms a
million records whether 80 rows are fetched or all), so only what is read is fetched."""

NAME_COLUMNS: Final = ("name_key", "name_core")
"""Read by the tiers only for records without a usable ID (the typo blocks, and the review's
subject key) and for companies (the company-core blocks): names are compared as hashes
everywhere else. Fetched for those rows only (:data:`_FETCH_NAMES`), NULL on the others."""

_FETCH: Final = f"""
CREATE TABLE scope.fetched AS
SELECT * EXCLUDE ({", ".join((*SKIPPED_RECORD_COLUMNS, *NAME_COLUMNS))})
FROM STORE_DB.main.records WHERE rid IN (SELECT rid FROM scope.main.hits)
"""

_FETCH_NAMES: Final = f"""
CREATE TABLE scope.fetched_names AS
SELECT rid, {", ".join(NAME_COLUMNS)} FROM STORE_DB.main.records
WHERE rid IN (SELECT rid FROM scope.main.fetched
              WHERE {NO_USABLE_ID} OR subject_type = 'entity')
"""

_LOADED: Final = "STORE_DB.main.records WHERE load_id > $watermark"

_FOUND: Final = f"""
CREATE TABLE scope.found AS
SELECT * FROM scope.main.indexed
WHERE rid IN (SELECT rid FROM scope.main.hits)
  AND rid NOT IN (SELECT rid FROM {_LOADED})
UNION ALL BY NAME
SELECT COLUMNS FROM {_LOADED}
"""
"""With the record index: the rows it found that some probe kept, and the records loaded
since the last run (read from the store: they are its last rows, which DuckDB reaches by
their load id without reading the others)."""

_FETCH_FOUND: Final = """
CREATE TABLE scope.fetched AS SELECT * EXCLUDE (UNFETCHED) FROM scope.main.found
"""
"""``UNFETCHED``: the names, and the index's columns that :data:`_FETCH` leaves out."""

_FETCH_FOUND_NAMES: Final = f"""
CREATE TABLE scope.fetched_names AS
SELECT rid, {", ".join(NAME_COLUMNS)} FROM scope.main.found
WHERE {NO_USABLE_ID} OR subject_type = 'entity'
"""

_SCOPE_RECORDS: Final = """
CREATE TABLE scope.{scope}_records AS
SELECT * FROM scope.main.fetched LEFT JOIN scope.main.fetched_names USING (rid)
WHERE rid IN (SELECT rid FROM scope.main.hits WHERE scope = '{scope}')
"""

SKIPPED_ENTRY_COLUMNS: Final = (
    "end_reason", "snapshot_absent_on", *UNSCREENED_ENTRY_COLUMNS,
    "row_hash", "first_load_id", "last_load_id", "screen_load_id", "match_load_id",
    "changed_at",
)  # fmt: skip
"""Columns of ``list_entries`` that no tier or review step reads (a flag's entry columns are
those of :data:`~blacklist_match.batch.CANDIDATE_SCHEMA`): not copied into the scope."""

_CHANGED_ENTRIES: Final = f"""
CREATE TABLE scope.changed_entries AS
SELECT * EXCLUDE ({", ".join(SKIPPED_ENTRY_COLUMNS)}) FROM STORE_DB.main.list_entries
WHERE {_SCREEN_CHANGED} AND {_MATCHED_CHANGE}
"""
"""The full rows of the entries with a matched change (the ``entries`` their records are
matched against)."""

_SHOWN: Final = ("case_no", "court", "listed_until")

_REUSED: Final = f"""
CREATE TABLE scope.reused AS
SELECT {", ".join(f"c.{c}" for c in MATCH_CANDIDATE_COLUMNS if c not in _SHOWN)},
       e.case_no, e.court, e.listed_until,
       e.listed_until IS NULL OR c.event_date < e.listed_until AS in_window
FROM STORE_DB.main.match_candidates c JOIN (
    SELECT rid, case_no, court, listed_until FROM STORE_DB.main.list_entries
    WHERE screen_load_id > $watermark
      AND rid IN (SELECT rid FROM scope.main.changes WHERE NOT matched_change)) e
  ON e.rid = c.entry_rid
"""
"""The stored candidates of the changed entries without a matched change (ended, or a court
or case number corrected), with the columns such a change can touch read as they are now
(the case number as written, the court and the end), and ``in_window`` while the record's
event falls before the entry's end (an end can only have come or moved earlier: one that
moved later or went is a matched change); the caller keeps those, and the others' entries
are in scope for the review (their open flags are retracted). Neither the record nor the
rest of the entry is read: everything else a candidate shows was kept with it. Columns in
another order than a candidate's: the caller selects them by name. Records screened again
against the whole list are left out by the caller (their stored candidates are stale)."""


def in_store(sql: str, db: str) -> str:
    """``sql`` with its ``STORE_DB`` catalog placeholder set to ``db`` (a quoted name)."""
    return sql.replace("STORE_DB", db)


@dataclass(frozen=True)
class ScopeSize:
    """How many records each scope holds (tables exist only where the count is not 0)."""

    changed: int
    near: int
    reused: bool = False
    """``scope.reused`` holds the stored candidates of the changed entries without a matched
    change (:data:`_REUSED`)."""
    matched: int = 0
    """Changed entries with a matched change (when 0, ``changed_keys`` may not exist)."""


def _refresh_index(
    con: duckdb.DuckDBPyConnection, store_path: str, create_from: int | None
) -> record_index.RecordIndex | None:
    layout = record_index.records_layout(con, skipped=SKIPPED_RECORD_COLUMNS, keys=INDEX_KEYS)
    return record_index.refresh(con, store_path, layout, create_from=create_from)


def current_record_index(
    con: duckdb.DuckDBPyConnection, store_path: str, *, writable: bool = True
) -> record_index.RecordIndex | None:
    """The record index of the store at ``store_path``, brought in step with it first (built
    when the store holds at least :func:`~blacklist_match.record_index.min_records`
    records); None when it is off, the store is in memory or open read-only, or the index
    could not be made (the run then probes the store; the failure is logged)."""
    minimum = record_index.min_records()
    if store_path == MEMORY or not writable:
        return None
    if minimum is None:
        record_index.drop(store_path)
        return None
    try:
        return _refresh_index(con, store_path, create_from=minimum)
    except Exception as error:  # a cache: the run probes the store instead
        log.warning("record index not usable (%s): probing the store", error)
        record_index.drop(store_path)
        return None


def build_record_index(
    con: duckdb.DuckDBPyConnection, store_path: str
) -> record_index.RecordIndex | None:
    """Build the store's record index now, at any size, or bring it in step (the ``index``
    command: the first since-last run that needs it otherwise builds it); None when it is
    off. Failures are raised."""
    if store_path == MEMORY or record_index.min_records() is None:
        return None
    return _refresh_index(con, store_path, create_from=0)


def refresh_record_index(con: duckdb.DuckDBPyConnection, store_path: str) -> None:
    """After a records load: bring the store's record index in step, if it has one (a
    segment for the load's rows), so the next since-last run finds it ready. A failure is
    logged, not raised: the load has committed, and the next run rebuilds the index."""
    if store_path == MEMORY:
        return
    folder = record_index.index_folder(store_path)
    if record_index.min_records() is None or not folder.is_dir():
        record_index.drop(store_path)  # with any copy a rebuild cut off left
        record_index.forget_replaced(con)  # no index to mark them dead in
        return
    try:
        _refresh_index(con, store_path, create_from=None)
    except Exception as error:  # a cache: the committed load stands
        log.warning("record index not brought up to date (%s): the next run rebuilds it", error)
        record_index.drop(store_path)


def _read_indexed(con: duckdb.DuckDBPyConnection, index: record_index.RecordIndex) -> bool:
    """Fill ``scope.indexed`` with the rows of the records ``index`` finds by the probe keys
    (a superset of the hits: each probe's record-side condition is applied by
    :func:`_hits_sql`); False, and nothing read, when they are so many that scanning the
    store is cheaper."""
    keys = query_frame(con, "SELECT probe, k FROM scope.main.probe_keys")
    by_probe = {
        str(probe): part["k"].to_numpy()
        for (probe,), part in keys.partition_by("probe", as_dict=True).items()
    }
    by_key: dict[str, list[np.ndarray]] = {}
    for probe, key in _PROBED:
        if probe in by_probe:
            by_key.setdefault(key, []).append(by_probe[probe])
    positions = index.positions({key: np.concatenate(parts) for key, parts in by_key.items()})
    if index.dense(positions):
        log.info(
            "record index: %d rows near the change, scanning the store instead",
            sum(len(p) for p in positions),
        )
        return False
    con.register("index_rows", pa.table({"p": index.payloads(positions)}))
    try:
        con.execute(f"CREATE TABLE scope.indexed AS {index.decode_sql('index_rows')}")
    finally:
        con.unregister("index_rows")
    return True


def build_scope(
    con: duckdb.DuckDBPyConnection,
    db: str,
    watermark: int,
    *,
    reuse: bool = False,
    open_index: Callable[[], record_index.RecordIndex | None] | None = None,
) -> ScopeSize:
    """Fill the attached ``scope`` schema for a run since load ``watermark``: ``changes``
    (every changed entry's row id, always), and where not empty ``changed_keys`` (the keys
    of those with a matched change), ``changed_records``, ``near_records``,
    ``changed_entries`` (full rows, only when some record is near a matched change) and
    ``reused``. With ``reuse`` (``match_candidates`` holds the last run's candidates) only
    the entries with a matched change are probed, and the others' candidates are read from
    there; without, every change counts as matched. ``open_index`` opens the store's record
    index in step with it (:func:`current_record_index`), which then finds and reads the
    probed records in place of the store: called only when some key is to be probed (a run
    after status updates alone is spared its 3-6 ms). ``db`` is the store's quoted catalog
    name."""
    parameters = {"watermark": watermark, "reuse": reuse}
    probe_parameters = {"watermark": watermark}
    con.execute(in_store(_CHANGES, db), parameters)
    matched, unmatched, relinked, loaded = con.execute(
        in_store(_CHANGE_COUNTS, db), probe_parameters
    ).fetchall()[0]
    if unmatched:
        con.execute(in_store(_REUSED, db), probe_parameters)
    probes: set[str] = set()
    if matched or relinked:
        con.execute(in_store(_CHANGED_KEYS, db), parameters)
        con.execute(in_store(_PROBE_KEYS, db), probe_parameters)
        probes = {
            row[0] for row in con.execute("SELECT DISTINCT probe FROM scope.probe_keys").fetchall()
        }
    if not (probes or loaded):  # no record to find
        return ScopeSize(0, 0, bool(unmatched), int(matched))
    indexed = False
    index = open_index() if open_index is not None and probes else None
    if index is not None:
        try:
            indexed = _read_indexed(con, index)
        except Exception as error:  # a damaged index: the store is probed instead
            log.warning("record index not readable (%s): probing the store", error)
            index.discard()
    probed = "scope.main.indexed" if indexed else _RECORDS
    con.execute(in_store(_hits_sql(probes, probed), db), probe_parameters)
    sizes = dict(
        con.execute("SELECT scope, count(DISTINCT rid) FROM scope.hits GROUP BY scope").fetchall()
    )
    if not sizes:
        return ScopeSize(0, 0, bool(unmatched), int(matched))
    if indexed and index is not None:
        columns = ", ".join(f'"{name}"' for name in index.column_names)
        con.execute(in_store(_FOUND.replace("COLUMNS", columns), db), probe_parameters)
        unfetched = [*NAME_COLUMNS, *(c for c in SKIPPED_RECORD_COLUMNS if c in index.column_names)]
        con.execute(_FETCH_FOUND.replace("UNFETCHED", ", ".join(unfetched)))
        con.execute(_FETCH_FOUND_NAMES)
    else:
        con.execute(in_store(_FETCH, db))
        con.execute(in_store(_FETCH_NAMES, db))
    for scope in (CHANGED, NEAR):
        if sizes.get(scope):
            con.execute(_SCOPE_RECORDS.format(scope=scope))
    if sizes.get(NEAR):
        con.execute(in_store(_CHANGED_ENTRIES, db), parameters)
    return ScopeSize(
        int(sizes.get(CHANGED, 0)), int(sizes.get(NEAR, 0)), bool(unmatched), int(matched)
    )
