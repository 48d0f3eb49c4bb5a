"""DDL of the DuckDB store: the list as history, removals, registry, records, quarantine, loads.

Kept apart from :mod:`blacklist_match.store` so the tables can be read in one sitting.
Every table a load writes carries the ``load_id`` that wrote it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    import duckdb

SCHEMA_VERSION: Final = 5
"""2: integer row ids (``rid``) and hashed blocking keys (``*_hash``) for matching.
3: ``list_entries.match_load_id`` and ``match_candidates``. 4: ``flag_states``. 5: the
same, rebuilt (version 4 kept two states of a flag key reported twice in one run). A build
that finds an older version written marks the stored candidates untrusted (an older build
may have changed entries without keeping ``match_load_id``) and rebuilds ``flag_states``
from ``flag_events`` (it may have appended events without keeping it); one that finds a
newer version refuses the store."""

# The big tables (list_entries, records, officers) carry no PRIMARY KEY: DuckDB maintains an
# index for it on every insert, which made a million-row load several times slower. Their
# keys (entry_id + listed_from, record_id, link_id) stay unique because every load dedupes
# its staged rows and inserts only keys the table does not hold (store.py).

_PERSON_18: Final = (
    "{t}id_kind IN ('resident_id', 'residence_permit', 'foreign_pr', 'masked_resident_id') "
    "AND length({t}id_norm) = 18 AND {t}name_key IS NOT NULL"
)
TYPO_HEAD_KEY: Final = (
    "CASE WHEN " + _PERSON_18 + " THEN {t}name_key || '|' || left({t}id_norm, 6) END"
)
TYPO_TAIL_KEY: Final = (
    "CASE WHEN " + _PERSON_18 + " THEN {t}name_key || '|' || right({t}id_norm, 4) END"
)
"""A person's name key with the first 6 / last 4 characters of an 18-character ID (a mask
shows both): one substitution or adjacent transposition touches at most one of the two, so
a typo'd ID shares one of them with the right one (the ``fuzzy_id_name`` blocks)."""

_COMMON_KEYS: Final = {
    **{f"{c}_hash": "{t}" + c for c in (
        "id_norm", "id_alt_norm", "org_code_key", "mask_key", "name_key", "name_core",
    )},
    "typo_head_hash": TYPO_HEAD_KEY,
    "typo_tail_hash": TYPO_TAIL_KEY,
}  # fmt: skip

CLEAN_ID_SQL: Final = (
    "upper(translate(regexp_replace({col}, '[\\s\\-\u3000]', '', 'g'), "
    "'０１２３４５６７８９Ｘｘ', '0123456789XX'))"
)
"""SQL: a number as typed, without spaces or hyphens, full-width digits and ``x`` folded
(``{col}``: the column)."""

PERSON18_SQL: Final = "'^[0-9]{17}[0-9X]$'"
"""The shape of an 18-character person number (a regex literal for ``regexp_matches``)."""


def _typed_block(number: str, block: str) -> str:
    """SQL: a typo block (``block`` of the cleaned ``number``) of a person record whose
    number is 18 characters with a person's shape but no valid reading, where a typo can
    hide (the ``fuzzy_id_name`` tier's record side); NULL for every other record."""
    typed = CLEAN_ID_SQL.format(col=number)
    person18 = PERSON18_SQL.replace("{", "{{").replace("}", "}}")
    return (
        "CASE WHEN {t}subject_type = 'person' AND {t}id_problem IS NOT NULL AND {t}id_kind IN "
        "('resident_id', 'residence_permit', 'foreign_pr', 'uscc') AND {t}id_norm IS NULL "
        "AND {t}id_alt_norm IS NULL AND {t}name_key IS NOT NULL AND regexp_matches("
        f"{typed}, {person18}) THEN {{t}}name_key || '|' || {block.format(typed=typed)} END"
    )


TYPED_HEAD_KEY: Final = _typed_block("{t}subject_id", "left({typed}, 6)")
TYPED_TAIL_KEY: Final = _typed_block("concat({t}subject_id, '')", "right({typed}, 4)")
"""The typo blocks of a record's possibly mistyped number, as typed (:data:`TYPO_HEAD_KEY`
for the number that failed its check): stored, so the tier and a since-last run find the
few such records by a mostly empty integer column instead of reading every record's
problem, kind and name. The tail reads ``concat(subject_id, '')`` on purpose (the same
text; a NULL number gives '', which fails the shape test as NULL does): written alike,
DuckDB's common-subexpression pass hoists the shared cleaning of the number out of both
``CASE`` s and runs it on every record, 2.4 s instead of 0.25 s for 5M records on every
load (``|| ''`` is folded away and does not prevent it)."""

COMPANY_CORE_PREFIX: Final = 3
"""Characters of a company's name core that block it against the list's companies (the
``name_only`` company tier, the spot check's index and since-last's probes)."""

_RECORD_KEYS: Final = {
    **_COMMON_KEYS,
    "typed_head_hash": TYPED_HEAD_KEY,
    "typed_tail_hash": TYPED_TAIL_KEY,
    "core_prefix_hash": "CASE WHEN {t}subject_type = 'entity' "
    f"THEN left({{t}}name_core, {COMPANY_CORE_PREFIX}) END",
}
"""The records' keys: the list's, the typo blocks of numbers that may be mistyped, and the
company-core prefix of company records (read only by since-last's probes: an integer
column where hashing every company's name text took a since-last run 80 CPU-ms a million
records)."""


def _match_keys(keys: dict[str, str]) -> str:
    """The matching columns of a table: the key hashes (computed on load,
    :data:`KEY_HASHES`) and the integer row id the tiers carry."""
    return (
        "".join(f"{column} BIGINT, " for column in keys)
        + "rid BIGINT NOT NULL DEFAULT nextval('row_ids'),"
    )


RUNS_TABLE: Final = """
CREATE TABLE IF NOT EXISTS runs (
    run_id VARCHAR PRIMARY KEY,
    started_at TIMESTAMP,  -- UTC
    finished_at TIMESTAMP,  -- UTC
    engine_version VARCHAR,
    rules_hash VARCHAR,
    inputs JSON,
    list_state JSON,
    counts JSON,
    manifest JSON
)
"""
"""Run manifests (written by :func:`blacklist_match.report.manifest.record_run`)."""

DDL: Final = (
    RUNS_TABLE,
    """
    CREATE TABLE IF NOT EXISTS meta (key VARCHAR PRIMARY KEY, value VARCHAR)
    """,
    """
    CREATE SEQUENCE IF NOT EXISTS load_ids START 1
    """,
    """
    CREATE SEQUENCE IF NOT EXISTS row_ids START 1
    """,
    """
    CREATE TABLE IF NOT EXISTS loads (
        load_id BIGINT PRIMARY KEY,
        kind VARCHAR NOT NULL,
        file VARCHAR NOT NULL,
        file_hash VARCHAR NOT NULL,
        loaded_at TIMESTAMP NOT NULL,
        snapshot DATE,
        rows_read BIGINT NOT NULL,
        rows_loaded BIGINT NOT NULL,
        rows_unchanged BIGINT NOT NULL,
        rows_quarantined BIGINT NOT NULL,
        rows_ended BIGINT NOT NULL DEFAULT 0
    )
    """,
    f"""
    CREATE TABLE IF NOT EXISTS list_entries (
        entry_id VARCHAR NOT NULL,
        listed_from DATE NOT NULL,
        listed_until DATE,
        end_reason VARCHAR,
        snapshot_absent_on DATE,
        case_no VARCHAR NOT NULL,
        case_key VARCHAR NOT NULL,
        name VARCHAR NOT NULL,
        gender VARCHAR,
        age INTEGER,
        id_number VARCHAR,
        legal_rep VARCHAR,
        court VARCHAR,
        province VARCHAR,
        basis_doc_no VARCHAR,
        filed_on DATE,
        basis_issuer VARCHAR,
        obligation VARCHAR,
        performance VARCHAR,
        conduct VARCHAR[],
        published_on DATE,
        id_kind VARCHAR,
        id_norm VARCHAR,
        id_problem VARCHAR,
        id_alt_kind VARCHAR,
        id_alt_norm VARCHAR,
        org_code_key VARCHAR,
        mask_key VARCHAR,
        name_key VARCHAR,
        name_core VARCHAR,
        debtor_type VARCHAR NOT NULL,
        {_match_keys(_COMMON_KEYS)}
        row_hash VARCHAR NOT NULL,
        first_load_id BIGINT NOT NULL,
        last_load_id BIGINT NOT NULL,
        screen_load_id BIGINT,
        match_load_id BIGINT,
        changed_at TIMESTAMP NOT NULL
    )
    """,
    """
    CREATE OR REPLACE VIEW entries AS SELECT * FROM list_entries
    """,
    """
    CREATE TABLE IF NOT EXISTS removals (
        case_no VARCHAR NOT NULL,
        case_key VARCHAR NOT NULL,
        removed_on DATE NOT NULL,
        reason VARCHAR,
        id_number VARCHAR,
        name VARCHAR,
        removal_id_norm VARCHAR,
        removal_name VARCHAR,
        load_id BIGINT NOT NULL
    )
    """,
    """
    CREATE TABLE IF NOT EXISTS officers (
        link_id VARCHAR NOT NULL,
        entity_id VARCHAR NOT NULL,
        entity_name VARCHAR,
        person_name VARCHAR,
        person_id VARCHAR,
        role VARCHAR NOT NULL,
        start_date DATE,
        end_date DATE,
        entity_id_kind VARCHAR,
        entity_id_norm VARCHAR,
        entity_org_code_key VARCHAR,
        person_id_kind VARCHAR,
        person_id_norm VARCHAR,
        person_mask_key VARCHAR,
        person_name_key VARCHAR,
        entity_id_norm_hash BIGINT,
        entity_org_code_key_hash BIGINT,
        person_id_norm_hash BIGINT,
        person_mask_key_hash BIGINT,
        person_name_key_hash BIGINT,
        row_hash VARCHAR NOT NULL,
        load_id BIGINT NOT NULL,
        changed_at TIMESTAMP NOT NULL
    )
    """,
    f"""
    CREATE TABLE IF NOT EXISTS records (
        record_id VARCHAR NOT NULL,
        agency VARCHAR,
        record_type VARCHAR NOT NULL,
        sub_type VARCHAR,
        subject_type VARCHAR,
        subject_name VARCHAR,
        subject_id VARCHAR,
        event_date DATE NOT NULL,
        amount DOUBLE,
        extra JSON,
        id_kind VARCHAR,
        id_norm VARCHAR,
        id_problem VARCHAR,
        id_alt_kind VARCHAR,
        id_alt_norm VARCHAR,
        org_code_key VARCHAR,
        mask_key VARCHAR,
        name_key VARCHAR,
        name_core VARCHAR,
        {_match_keys(_RECORD_KEYS)}
        row_hash VARCHAR NOT NULL,
        load_id BIGINT NOT NULL,
        changed_at TIMESTAMP NOT NULL
    )
    """,
    """
    CREATE TABLE IF NOT EXISTS replaced_records (load_id BIGINT NOT NULL, rid BIGINT NOT NULL)
    """,
    """
    CREATE TABLE IF NOT EXISTS batch_runs (
        run_id VARCHAR PRIMARY KEY,
        started_at TIMESTAMP NOT NULL,
        finished_at TIMESTAMP NOT NULL,
        mode VARCHAR NOT NULL,
        watermark_load_id BIGINT NOT NULL,
        records_screened BIGINT NOT NULL,
        flags BIGINT NOT NULL,
        report VARCHAR NOT NULL
    )
    """,
    """
    CREATE TABLE IF NOT EXISTS match_candidates (
        record_id VARCHAR NOT NULL,
        agency VARCHAR,
        record_type VARCHAR,
        sub_type VARCHAR,
        subject_type VARCHAR,
        subject_name VARCHAR,
        subject_id VARCHAR,
        event_date DATE,
        amount DOUBLE,
        subject_id_kind VARCHAR,
        subject_id_valid BOOLEAN,
        entry_id VARCHAR NOT NULL,
        case_no VARCHAR,
        debtor_name VARCHAR,
        debtor_type VARCHAR,
        debtor_id VARCHAR,
        debtor_id_kind VARCHAR,
        court VARCHAR,
        listed_from DATE NOT NULL,
        listed_until DATE,
        tier VARCHAR,
        score DOUBLE,
        link VARCHAR,
        via VARCHAR,
        evidence VARCHAR,
        subject_key VARCHAR,
        entry_rid BIGINT NOT NULL
    )
    """,
    """
    CREATE SEQUENCE IF NOT EXISTS review_event_ids START 1
    """,
    """
    CREATE TABLE IF NOT EXISTS flag_events (
        event_id BIGINT PRIMARY KEY DEFAULT nextval('review_event_ids'),
        flag_key VARCHAR NOT NULL,
        record_id VARCHAR NOT NULL,
        case_no VARCHAR NOT NULL,
        rule_id VARCHAR NOT NULL,
        entry_id VARCHAR NOT NULL,
        subject_key VARCHAR,
        run_id VARCHAR NOT NULL,
        raised_at TIMESTAMP NOT NULL,
        status VARCHAR NOT NULL,
        action VARCHAR,
        tier VARCHAR,
        score DOUBLE,
        -- the report row, some 1.3 KB: ZSTD writes a night's 92,000 in 0.2 s where
        -- DuckDB's default dictionary/FSST analysis took 1.1 s at the checkpoint
        row_json JSON USING COMPRESSION zstd NOT NULL
    )
    """,
    """
    CREATE TABLE IF NOT EXISTS flag_states (
        -- the latest event of every flag, one row per flag_key, kept with flag_events: a
        -- run's review reads this, not the whole history
        flag_key VARCHAR NOT NULL,
        event_id BIGINT NOT NULL,
        status VARCHAR NOT NULL,
        record_id VARCHAR NOT NULL,
        entry_id VARCHAR NOT NULL,
        subject_key VARCHAR
    )
    """,
    """
    CREATE TABLE IF NOT EXISTS decisions (
        decision_id BIGINT PRIMARY KEY DEFAULT nextval('review_event_ids'),
        flag_key VARCHAR NOT NULL,
        entry_id VARCHAR,
        subject_key VARCHAR,
        decision VARCHAR NOT NULL,
        decided_by VARCHAR NOT NULL,
        note VARCHAR,
        until DATE,
        decided_at TIMESTAMP NOT NULL,
        source VARCHAR NOT NULL
    )
    """,
    """
    CREATE TABLE IF NOT EXISTS quarantine (
        load_id BIGINT NOT NULL,
        file VARCHAR NOT NULL,
        "row" BIGINT,
        "column" VARCHAR,
        value VARCHAR,
        reason VARCHAR NOT NULL
    )
    """,
)

ENTRY_COLUMNS: Final = (
    "entry_id", "listed_from", "case_no", "case_key", "name", "gender", "age", "id_number",
    "legal_rep", "court", "province", "basis_doc_no", "filed_on", "basis_issuer", "obligation",
    "performance", "conduct", "published_on", "id_kind", "id_norm", "id_problem", "id_alt_kind",
    "id_alt_norm", "org_code_key", "mask_key", "name_key", "name_core", "debtor_type",
)  # fmt: skip
"""Columns a list load writes (besides history and bookkeeping)."""

UNSCREENED_ENTRY_COLUMNS: Final = (
    "case_key", "gender", "legal_rep", "province", "basis_doc_no", "filed_on", "basis_issuer",
    "obligation", "performance", "conduct",
)  # fmt: skip
"""Columns of :data:`ENTRY_COLUMNS` that no tier, rule, flag or review step reads (``case_key``
follows ``case_no``). A republished entry that differs only in these (most often its
``performance``, as a debtor pays part of the debt) keeps its ``screen_load_id``, so a
since-last run does not screen its records again: their flags cannot change."""

SCREENED_ENTRY_COLUMNS: Final = tuple(
    column for column in ENTRY_COLUMNS[2:] if column not in UNSCREENED_ENTRY_COLUMNS
)
"""The columns besides the key (``entry_id``, ``listed_from``) whose change can change a
flag: a change to any of them sets ``screen_load_id`` to the load."""

SHOWN_ENTRY_COLUMNS: Final = ("case_no", "court")
"""Screened columns that no tier reads: a flag shows them (``case_no`` is also in its key),
but they cannot change which records pair with the entry."""

MATCHED_ENTRY_COLUMNS: Final = tuple(
    column for column in SCREENED_ENTRY_COLUMNS if column not in SHOWN_ENTRY_COLUMNS
)
"""The columns the tiers read (the name, type, ID, age and publication date, and what is
derived from them): a change to any of them sets ``match_load_id`` to the load, and so does
an end that moves later or goes (the entry can then pair with records it did not)."""

MATCH_CANDIDATE_COLUMNS: Final = (
    "record_id", "agency", "record_type", "sub_type", "subject_type", "subject_name",
    "subject_id", "event_date", "amount", "subject_id_kind", "subject_id_valid", "entry_id",
    "case_no", "debtor_name", "debtor_type", "debtor_id", "debtor_id_kind", "court",
    "listed_from", "listed_until", "tier", "score", "link", "via", "evidence", "subject_key",
    "entry_rid",
)  # fmt: skip
"""``match_candidates``: the last successful run's candidates (as of each record's event
date, with no ``as_of``; the columns of ``find_candidates``). A since-last run takes the
candidates of an entry whose matched columns did not change from here (an end, a corrected
court or case number written another way), with those columns read afresh, instead of
matching its records again."""

RECORD_COLUMNS: Final = (
    "record_id", "agency", "record_type", "sub_type", "subject_type", "subject_name",
    "subject_id", "event_date", "amount", "extra", "id_kind", "id_norm", "id_problem",
    "id_alt_kind", "id_alt_norm", "org_code_key", "mask_key", "name_key", "name_core",
)  # fmt: skip

OFFICER_COLUMNS: Final = (
    "link_id", "entity_id", "entity_name", "person_name", "person_id", "role", "start_date",
    "end_date", "entity_id_kind", "entity_id_norm", "entity_org_code_key", "person_id_kind",
    "person_id_norm", "person_mask_key", "person_name_key",
)  # fmt: skip

KEY_HASHES: Final[dict[str, dict[str, str]]] = {
    "list_entries": _COMMON_KEYS,
    "records": _RECORD_KEYS,
    "officers": {f"{c}_hash": "{t}" + c for c in (
        "entity_id_norm", "entity_org_code_key", "person_id_norm", "person_mask_key",
        "person_name_key",
    )},
}  # fmt: skip
"""Per table: each blocking key stored a second time as a 63-bit integer (``*_hash``),
computed on load, and the key's SQL (``{t}`` stands for a table alias and its dot).

Matching joins on these integers (several times faster than joining the text) and then
checks the identifiers' text on the few pairs found, so a hash collision cannot make a
match."""


def key_hash_expr(source: str) -> str:
    """SQL for the stored integer hash of a key: null stays null (DuckDB's ``hash`` of NULL
    is a number, which would pair every keyless row with every other), and the unsigned
    hash is shifted into a signed BIGINT, which Parquet and Spark read as is."""
    return f"if(({source}) IS NULL, NULL, (hash({source}) >> 1)::BIGINT)"


def put_meta(con: duckdb.DuckDBPyConnection, key: str, value: str) -> None:
    """Set ``meta``'s ``key`` to ``value`` (an UPDATE, then an INSERT if no row had the key:
    a third of the cost of an INSERT OR REPLACE on the keyed table, which a since-last
    run's bookkeeping pays)."""
    if not con.execute("UPDATE meta SET value = ? WHERE key = ?", [value, key]).fetchall()[0][0]:
        con.execute("INSERT INTO meta VALUES (?, ?)", [key, value])


def key_hash_columns(table: str) -> tuple[str, ...]:
    """The ``*_hash`` columns of ``table`` (none for tables without blocking keys)."""
    return tuple(KEY_HASHES.get(table, {}))


def key_hash_assignments(table: str, alias: str = "") -> dict[str, str]:
    """``{hash column: SQL computing it}`` from ``table``'s key columns under ``alias``."""
    prefix = f"{alias}." if alias else ""
    return {
        column: key_hash_expr(source.format(t=prefix))
        for column, source in KEY_HASHES.get(table, {}).items()
    }


def key_hash_select(table: str, alias: str = "") -> str:
    """``, hash_sql AS column_hash, ...`` for an INSERT's SELECT list ('' when none)."""
    return "".join(
        f", {sql} AS {column}" for column, sql in key_hash_assignments(table, alias).items()
    )


KEY_HASH_PROBE: Final = "SELECT (hash('blacklist-match key probe') >> 1)::BIGINT"
"""The hash of a fixed text, kept in ``meta``: if a DuckDB upgrade changed ``hash``, the
stored key hashes are recomputed on the next open for writing."""


def upgrade_key_hashes(con: duckdb.DuckDBPyConnection) -> bool:
    """Bring the store to :data:`SCHEMA_VERSION` for matching: add the row ids and key
    hashes a version-1 store lacks, and recompute every key hash when DuckDB's ``hash``
    no longer gives the value kept in ``meta`` (an upgrade changed it). The probe is written
    last, so an upgrade cut short is redone on the next open. True when a table was
    rewritten (the caller then republishes the read-only copy)."""
    probe = str(con.execute(KEY_HASH_PROBE).fetchall()[0][0])
    stored = con.execute("SELECT value FROM meta WHERE key = 'key_hash_probe'").fetchall()
    rehash = not stored or stored[0][0] != probe
    rewrote = False
    for table in KEY_HASHES:
        existing = {
            row[0]
            for row in con.execute(
                "SELECT column_name FROM duckdb_columns() WHERE table_name = ? "
                "AND database_name = current_database() AND schema_name = current_schema()",
                [table],
            ).fetchall()
        }
        if table != "officers" and "rid" not in existing:
            con.execute(f"ALTER TABLE {table} ADD COLUMN rid BIGINT DEFAULT nextval('row_ids')")
            rewrote = True
        missing = [column for column in key_hash_columns(table) if column not in existing]
        for column in missing:
            con.execute(f"ALTER TABLE {table} ADD COLUMN {column} BIGINT")
        if missing or rehash:  # a new key alone: only its column is computed
            assignments = ", ".join(
                f"{column} = {sql}"
                for column, sql in key_hash_assignments(table).items()
                if rehash or column in missing
            )
            con.execute(f"UPDATE {table} SET {assignments}")  # noqa: S608 - constant names
            rewrote = rewrote or bool(
                con.execute(f"SELECT count(*) > 0 FROM {table}").fetchall()[0][0]  # noqa: S608
            )
    if rehash:
        put_meta(con, "key_hash_probe", probe)
    return rewrote
