"""Identity tiers as one SQL plan over three relations: ``records``, ``entries``, ``officers``.

The relations are DuckDB tables or views with the columns :mod:`blacklist_match.prepare`
adds and the store's matching columns (``rid`` and the ``*_hash`` key hashes,
:data:`blacklist_match.store_schema.KEY_HASHES`). Each tier is an equi-join on an integer
blocking key, never a scan of pairs, carrying integer row ids; the identifiers of the pairs
found are compared as text in :func:`candidates_sql`, so a hash collision cannot make a
match. The statements are constant text (no user value is ever spliced in), so the same
plan can run on another SQL engine. Every candidate gets one tier, a score in [0, 1] and an
evidence code naming what matched; the strongest tier wins per (record, entry).

DuckDB runs the tiers one statement each (:func:`find_candidates`); Spark runs the union
(:func:`pairs_sql`). A test holds the two strongest-tier selections equal.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
from collections.abc import Iterator
from datetime import date
from typing import Final

import duckdb
import polars as pl

from blacklist_match import schema as S
from blacklist_match.match import scores
from blacklist_match.match.fuzzy import (
    FUZZY_ID_NAME,
    NAME_ONLY_COMPANY,
    NAME_ONLY_PERSON,
    NAME_ONLY_PERSON_NO_ID,
    PARTIAL_MASKS,
    PARTIAL_MASKS_RELATION,
    name_only_partial_masks,
    score_company_names,
    stage_typo_relations,
)
from blacklist_match.match.registry import (
    FULL_PERSON_KINDS_SQL,
    REGISTRY_LINK,
    age_consistent_sql,
    visible_month_agrees_sql,
)
from blacklist_match.review import subject_key_sql
from blacklist_match.util import query_frame

EVIDENCE: Final = "evidence"
TIER_RANK_SQL: Final = (
    "CASE tier "
    + " ".join(f"WHEN '{tier.value}' THEN {rank}" for rank, tier in enumerate(S.TIER_ORDER))
    + " END"
)


# Candidate pairs (record_rid, entry_rid, tier, score, link, via, evidence, record_key), one
# query per tier. Tiers join on the stored integer key hashes (``*_hash``, store_schema) and
# carry integer row ids (``rid``): text is read only on the few pairs found, in
# ``candidates_sql``, which checks the keys' text so a hash collision can never make a pair.
_EXACT_ID: Final = f"""
WITH rec_keys AS (
    SELECT rid AS record_rid, id_norm_hash AS match_key FROM records
    WHERE id_norm_hash IS NOT NULL AND id_kind <> 'masked_resident_id'
    UNION ALL
    SELECT rid, id_alt_norm_hash FROM records WHERE id_alt_norm_hash IS NOT NULL
), ent_keys AS (
    SELECT rid AS entry_rid, id_norm_hash AS match_key FROM entries
    WHERE id_norm_hash IS NOT NULL AND id_kind <> 'masked_resident_id'
    UNION ALL
    SELECT rid, id_alt_norm_hash FROM entries WHERE id_alt_norm_hash IS NOT NULL
)
SELECT DISTINCT record_rid, entry_rid, 'exact_id' AS tier, {scores.EXACT_ID} AS score,
       'debtor' AS link, 'debtor' AS via, 'id_equal' AS evidence,
       CAST(NULL AS VARCHAR) AS record_key
FROM rec_keys JOIN ent_keys USING (match_key)
"""
"""Equal canonical IDs (either reading of each side). ``candidates_sql`` checks the text and
tells ``id_equal_after_15_to_18`` from the raw forms."""

_CROSSWALK: Final = f"""
SELECT r.rid AS record_rid, e.rid AS entry_rid, 'id_crosswalk' AS tier,
       {scores.ID_CROSSWALK} AS score, 'debtor' AS link, 'debtor' AS via,
       CASE WHEN r.id_kind = 'uscc' THEN 'uscc_contains_org_code'
            ELSE 'org_code_in_uscc' END AS evidence,
       CAST(NULL AS VARCHAR) AS record_key
FROM records r JOIN entries e ON r.org_code_key_hash = e.org_code_key_hash
WHERE r.id_kind <> e.id_kind
"""

_MASKED_ENTRIES: Final = """(
    SELECT rid, mask_key_hash, name_key_hash, name_core_hash, age, published_on FROM entries
    WHERE id_kind = 'masked_resident_id' AND mask_key_hash IS NOT NULL)"""

_MASKED: Final = f"""
SELECT record_rid, entry_rid, 'masked_id_name' AS tier,
       CASE WHEN age_checked THEN {scores.MASKED_ID_NAME_AGE_CHECKED}
            ELSE {scores.MASKED_ID_NAME} END AS score,
       'debtor' AS link, 'debtor' AS via,
       CASE WHEN age_checked THEN 'masked_id_compatible_name_equal_age_consistent'
            ELSE 'masked_id_compatible_name_equal' END AS evidence,
       CAST(NULL AS VARCHAR) AS record_key
FROM (
    SELECT r.rid AS record_rid, e.rid AS entry_rid,
           e.age IS NOT NULL AND e.published_on IS NOT NULL AS age_checked
    FROM records r JOIN {_MASKED_ENTRIES} e ON r.mask_key_hash = e.mask_key_hash
    WHERE r.id_kind IN {FULL_PERSON_KINDS_SQL}
      AND (r.name_key_hash = e.name_key_hash OR r.name_core_hash = e.name_core_hash)
)
"""
"""A full ID compatible with a masked one: the 14 visible characters equal (so the check
character holds for the hidden month-day) and the person name keys equal, or their dot-free
cores (one probe of the records; the names are compared on the few rows a mask key pairs).
The age the list published must agree with the birth date within a year (sites compute age
at different moments): ``candidates_sql`` checks that, with the text, on the pairs found."""

TIER_QUERIES: Final = {
    S.Tier.EXACT_ID: _EXACT_ID,
    S.Tier.ID_CROSSWALK: _CROSSWALK,
    S.Tier.MASKED_ID_NAME: _MASKED,
    S.Tier.REGISTRY_LINK: REGISTRY_LINK,
    S.Tier.FUZZY_ID_NAME: FUZZY_ID_NAME,
    S.Tier.NAME_ONLY: NAME_ONLY_PERSON,
}
"""Constant SQL per tier. ``name_only`` for companies is scored in Python on blocked pairs
(:func:`blacklist_match.match.fuzzy.score_company_names`) and joins the union as a relation."""


TIER_PAIRS_RELATION: Final = "match_tier_pairs"
"""Every tier's pairs, when the engine runs the tiers one by one (:func:`find_candidates`)."""


def pairs_sql(tier_pairs: str | None = None) -> str:
    """The SQL of every tier's pairs, strongest tier per (record, entry), reading the
    scored company-name relation :data:`~blacklist_match.match.fuzzy.COMPANY_PAIRS_RELATION`
    (which :func:`stage_relations` registers first).

    Columns: ``record_rid``, ``entry_rid`` (the tables' integer row ids), ``tier``, ``score``,
    ``link``, ``via``, ``evidence`` and ``record_key`` (text the record's key must equal, for
    the tiers whose key came from a third table; checked by :func:`candidates_sql`).
    Within the strongest tier, every registry role that links is kept (one row per role),
    so a person who is both director and legal representative of a listed entity reaches
    the scopes of both roles. Constant text: the Spark engine transpiles this same SQL.
    With ``tier_pairs`` (a relation name), the tiers' pairs are read from there instead.
    """
    union = (
        f"SELECT * FROM {tier_pairs}"
        if tier_pairs
        else "\nUNION ALL\n".join(
            f"({query})" for query in (*TIER_QUERIES.values(), NAME_ONLY_COMPANY)
        )
    )
    return f"""
    SELECT record_rid, entry_rid, tier, score, link, via, evidence, record_key FROM (
        SELECT *, {TIER_RANK_SQL} AS tier_rank FROM ({union}) AS all_pairs
    ) AS pairs
    QUALIFY row_number() OVER (
                PARTITION BY record_rid, entry_rid, via ORDER BY tier_rank, score DESC, evidence)
            = 1
        AND tier_rank = min(tier_rank) OVER (PARTITION BY record_rid, entry_rid)
    """


_CLEAN_LENGTH: Final = "length(regexp_replace(coalesce({col}, ''), '[\\s-]', '', 'g'))"

_RECORD_ORG_CODE: Final = (
    "CASE r.id_kind WHEN 'uscc' THEN substr(r.id_norm, 9, 9) WHEN 'org_code' THEN r.id_norm END"
)
_RECORD_MASK_KEY: Final = "left(r.id_norm, 10) || right(r.id_norm, 4)"

_KEYS_AGREE: Final = f"""CASE p.tier
    WHEN 'exact_id' THEN coalesce(r.id_norm IN (e.id_norm, e.id_alt_norm), false)
                         OR coalesce(r.id_alt_norm IN (e.id_norm, e.id_alt_norm), false)
    WHEN 'id_crosswalk' THEN {_RECORD_ORG_CODE} = e.org_code_key
    WHEN 'masked_id_name' THEN {_RECORD_MASK_KEY} = e.mask_key
         AND {
    age_consistent_sql(
        "strptime(substr(r.id_norm, 7, 8), '%Y%m%d')::DATE", "e.age", "e.published_on"
    )
}
         AND {visible_month_agrees_sql("r.id_norm", "e.id_number")}
    WHEN 'registry_link' THEN p.record_key IN (r.id_norm, r.id_alt_norm, {_RECORD_ORG_CODE})
    ELSE true END"""
"""The pair's identifiers agree as text (the tiers joined their integer hashes), and a masked
pair's published age fits the birth date in the full ID, as does the month digit a mask in
the 19-character form shows.

Only the record's ID columns are read (the organisation code and mask key are derived from
``id_norm``, as the load derives them): every other text column would cost a scan of all
records. Names are not re-read: a name pair rests on an ID pair already checked
(``masked_id_name``), on a one-edit ID compared as text (``fuzzy_id_name``), or is review-only
(``name_only``); for any of them to be wrong two different names must share a 63-bit hash
within one small block (chance well under 1e-12 a run)."""

_EVIDENCE: Final = f"""CASE WHEN p.tier = 'exact_id'
         AND 'resident_id' IN (r.id_kind, r.id_alt_kind)
         AND ({_CLEAN_LENGTH.format(col="r.subject_id")} = 15
              OR {_CLEAN_LENGTH.format(col="e.id_number")} = 15)
         AND (coalesce(length(r.id_norm) = 18 AND r.id_norm IN (e.id_norm, e.id_alt_norm), false)
              OR coalesce(length(r.id_alt_norm) = 18
                          AND r.id_alt_norm IN (e.id_norm, e.id_alt_norm), false))
    THEN 'id_equal_after_15_to_18' ELSE p.evidence END"""
"""A 15-digit number equal once upgraded to 18 digits says so; one equal as it stands (the
registration-number reading of a 15-digit number, which is never upgraded) is ``id_equal``."""


def stage_relations(con: duckdb.DuckDBPyConnection) -> None:
    """Register the relations the plan reads besides the three tables: the possible typos
    (:data:`~blacklist_match.match.fuzzy.TYPO_RELATIONS`) and the scored company-name pairs.
    Run on ``con`` before :func:`pairs_sql`'s SQL, whenever the tables changed."""
    stage_typo_relations(con)
    score_company_names(con)


def candidate_pairs(con: duckdb.DuckDBPyConnection) -> str:
    """The SQL of every tier's pairs by ``record_id`` and ``entry_id``, their keys checked
    as text (no listing-date window), after scoring company names on ``con`` (it registers
    the relation the SQL reads)."""
    stage_relations(con)
    return f"""
    SELECT r.record_id, e.entry_id, p.tier, p.score, p.link, p.via, {_EVIDENCE} AS evidence
    FROM ({pairs_sql()}) p
    JOIN records r ON r.rid = p.record_rid
    JOIN entries e ON e.rid = p.entry_rid
    WHERE {_KEYS_AGREE}
    """


def candidates_sql(pairs: str, *, ordered: bool = True) -> str:
    """Candidates joined to their record and entry (with the record's ``subject_key`` and the
    entry's ``entry_rid``, which the review and the stored candidates keep), kept only where
    the entry was listed on the record's event date and the pair's keys agree as text
    (:data:`_KEYS_AGREE`);
    ``$as_of`` (a DATE or NULL) is the one bound parameter. Sorted by record and entry
    unless ``ordered`` is false (the caller then sorts: Polars does it several times faster
    than DuckDB's sort of the wide rows)."""
    return f"""
    WITH pairs AS ({pairs}),
    known AS (
        SELECT *, CASE WHEN $as_of IS NULL OR listed_until <= $as_of THEN listed_until END
                  AS known_until
        FROM entries WHERE $as_of IS NULL OR listed_from <= $as_of
    )
    SELECT r.record_id, r.agency, r.record_type, r.sub_type, r.subject_type, r.subject_name,
           r.subject_id, r.event_date, r.amount, r.id_kind AS subject_id_kind,
           r.id_norm IS NOT NULL AS subject_id_valid,
           e.entry_id, e.case_no, e.name AS debtor_name, e.debtor_type, e.id_number AS debtor_id,
           e.id_kind AS debtor_id_kind, e.court, e.listed_from, e.known_until AS listed_until,
           p.tier, p.score, p.link, p.via, {_EVIDENCE} AS evidence,
           {subject_key_sql("r")} AS subject_key, e.rid AS entry_rid
    FROM pairs p
    JOIN records r ON r.rid = p.record_rid
    JOIN known e ON e.rid = p.entry_rid
    WHERE e.listed_from <= r.event_date
      AND (e.known_until IS NULL OR r.event_date < e.known_until)
      AND {_KEYS_AGREE}
    {"ORDER BY r.record_id, e.entry_id" if ordered else ""}
    """


@functools.cache
def matching_fingerprint() -> str:
    """What identifies this matching: the engine's version and a digest of the plan's SQL
    (every tier, the final join and the scores in them). Candidates kept by a run are
    reused only by the same matching."""
    from blacklist_match import __version__

    plan = candidates_sql(pairs_sql()) + PARTIAL_MASKS + name_only_partial_masks("x")
    digest = hashlib.sha256(plan.encode()).hexdigest()[:16]
    return f"{__version__}-{digest}"


def find_candidates(con: duckdb.DuckDBPyConnection, as_of: date | None = None) -> pl.DataFrame:
    """Candidates joined to their record and entry, kept only where the entry was listed
    on the record's event date (``listed_from <= event_date < listed_until``).

    With ``as_of``, the list is taken as it was known on that date: entries published later
    are left out, and an end (removal, snapshot absence) after that date is not yet known.
    """
    stage_relations(con)
    # One statement per tier: each plan is then made knowing its inputs' real sizes (in one
    # union the planner misjudged the small staged relations and the whole took twice the
    # sum of its parts); the pairs are few, so holding them in Arrow costs nothing.
    try:
        tier_pairs = pl.concat(
            [query_frame(con, query) for query in _staged_tier_queries(con)],
            how="vertical_relaxed",
        )
    finally:
        con.unregister(PARTIAL_MASKS_RELATION)
    con.register(TIER_PAIRS_RELATION, strongest_pairs(tier_pairs).to_arrow())
    try:
        with _joins_in_written_order(con):
            candidates = query_frame(
                con,
                candidates_sql(f"SELECT * FROM {TIER_PAIRS_RELATION}", ordered=False),
                {"as_of": as_of},
            )
    finally:
        con.unregister(TIER_PAIRS_RELATION)
    return candidates.sort("record_id", "entry_id", "listed_from", "via")


def _staged_tier_queries(con: duckdb.DuckDBPyConnection) -> list[str]:
    """:data:`TIER_QUERIES` and ``NAME_ONLY_COMPANY``, the persons' partial masks read from
    a staged relation (registered here as :data:`PARTIAL_MASKS_RELATION`; the caller
    unregisters it): the entries masked in another pattern are few or none, and joined as a
    subquery the planner misjudged them and built its hash table on the records (0.7 CPU-s
    at 10M records for no pair)."""
    partial_masks = query_frame(con, PARTIAL_MASKS)
    con.register(PARTIAL_MASKS_RELATION, partial_masks.to_arrow())
    queries = [NAME_ONLY_PERSON_NO_ID if tier == S.Tier.NAME_ONLY else query
               for tier, query in TIER_QUERIES.items()]  # fmt: skip
    if partial_masks.height:
        queries.append(name_only_partial_masks(PARTIAL_MASKS_RELATION))
    return [*queries, NAME_ONLY_COMPANY]


@contextlib.contextmanager
def _joins_in_written_order(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """Run a statement with DuckDB's join-order optimiser off, so the pairs meet the
    records before the entries: the planner otherwise joined pairs to the entries first and
    built its hash table on that wide result (about 10% of the final join's time at 10M and
    at 20M records). Which side of each join builds is still chosen by size."""
    previous = con.execute("SELECT current_setting('disabled_optimizers')").fetchall()[0][0]
    try:
        con.execute("SET disabled_optimizers = 'join_order'")
    except duckdb.Error:  # an engine without this optimiser: nothing to steer
        yield
        return
    try:
        yield
    finally:
        con.execute("SET disabled_optimizers = $previous", {"previous": previous})


def strongest_pairs(tier_pairs: pl.DataFrame) -> pl.DataFrame:
    """The selection :func:`pairs_sql` makes, in Polars (a hash pass, where the SQL's two
    windows sort): per (record, entry) only the strongest tier, and within it one row per
    ``via``, the highest score first, then the evidence code. A test holds the two equal.

    Most pairs are found by one tier only: the selection runs on the pairs found more than
    once and the rest pass as they are."""
    pair = ("record_rid", "entry_rid")
    tier_pairs = tier_pairs.with_columns(pl.col("score").cast(pl.Float64))
    repeated = tier_pairs.select(pl.len().over(pair) > 1).to_series()
    ranks = {tier.value: rank for rank, tier in enumerate(S.TIER_ORDER)}
    strongest = (
        tier_pairs.filter(repeated)
        .with_columns(pl.col("tier").replace_strict(ranks, return_dtype=pl.Int8).alias("rank"))
        .filter(pl.col("rank") == pl.col("rank").min().over(pair))
        .sort(["score", "evidence"], descending=[True, False])
        .unique([*pair, "via"], keep="first", maintain_order=True)
        .drop("rank")
    )
    return pl.concat([tier_pairs.filter(~repeated), strongest])
