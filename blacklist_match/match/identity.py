"""Identity tiers as one SQL plan over three relations: ``records``, ``entries``, ``officers``.

The relations are DuckDB tables or views with the columns :mod:`blacklist_match.prepare`
adds. Each tier is an equi-join on a blocking key, never a scan of pairs; the statements
are constant text (no user value is ever spliced in), so the same plan can run on another
SQL engine. Every candidate gets one tier, a score in [0, 1] and an evidence code naming
what matched; the strongest tier wins per (record, entry).
"""

from __future__ import annotations

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
    score_company_names,
)
from blacklist_match.match.registry import (
    FULL_PERSON_KINDS_SQL,
    REGISTRY_LINK,
    age_consistent_sql,
)
from blacklist_match.util import query_frame

EVIDENCE: Final = "evidence"
TIER_RANK_SQL: Final = (
    "CASE tier "
    + " ".join(f"WHEN '{tier.value}' THEN {rank}" for rank, tier in enumerate(S.TIER_ORDER))
    + " END"
)


# Candidate pairs (record_id, entry_id, tier, score, link, via, evidence), one query per tier.
_EXACT_ID: Final = f"""
WITH rec_keys AS (
    SELECT record_id, id_norm AS match_id, id_kind AS match_kind, subject_id AS raw FROM records
    WHERE id_norm IS NOT NULL AND id_kind <> 'masked_resident_id'
    UNION ALL
    SELECT record_id, id_alt_norm, id_alt_kind, subject_id FROM records
    WHERE id_alt_norm IS NOT NULL
), ent_keys AS (
    SELECT entry_id, id_norm AS match_id, id_number AS raw FROM entries
    WHERE id_norm IS NOT NULL AND id_kind <> 'masked_resident_id'
    UNION ALL
    SELECT entry_id, id_alt_norm, id_number FROM entries WHERE id_alt_norm IS NOT NULL
)
SELECT record_id, entry_id, 'exact_id' AS tier, {scores.EXACT_ID} AS score,
       'debtor' AS link, 'debtor' AS via,
       CASE WHEN match_kind = 'resident_id'
             AND (length(regexp_replace(coalesce(r_raw, ''), '[\\s-]', '', 'g')) = 15
                  OR length(regexp_replace(coalesce(e_raw, ''), '[\\s-]', '', 'g')) = 15)
            THEN 'id_equal_after_15_to_18' ELSE 'id_equal' END AS evidence
FROM (
    SELECT DISTINCT rk.record_id, ek.entry_id, rk.match_kind, rk.raw AS r_raw, ek.raw AS e_raw
    FROM rec_keys rk JOIN ent_keys ek USING (match_id)
)
"""
"""Equal canonical IDs; the raw text is measured only on the matched pairs."""

_CROSSWALK: Final = f"""
SELECT r.record_id, e.entry_id, 'id_crosswalk' AS tier, {scores.ID_CROSSWALK} AS score,
       'debtor' AS link, 'debtor' AS via,
       CASE WHEN r.id_kind = 'uscc' THEN 'uscc_contains_org_code'
            ELSE 'org_code_in_uscc' END AS evidence
FROM records r JOIN entries e ON r.org_code_key = e.org_code_key
WHERE r.id_kind <> e.id_kind
"""

_MASKED: Final = f"""
SELECT record_id, entry_id, 'masked_id_name' AS tier,
       CASE WHEN age_checked THEN {scores.MASKED_ID_NAME_AGE_CHECKED}
            ELSE {scores.MASKED_ID_NAME} END AS score,
       'debtor' AS link, 'debtor' AS via,
       CASE WHEN age_checked THEN 'masked_id_compatible_name_equal_age_consistent'
            ELSE 'masked_id_compatible_name_equal' END AS evidence
FROM (
    SELECT r.record_id, e.entry_id,
           e.age IS NOT NULL AND e.published_on IS NOT NULL AS age_checked,
           strptime(substr(r.id_norm, 7, 8), '%Y%m%d')::DATE AS birth,
           e.age, e.published_on
    FROM records r JOIN entries e ON r.mask_key = e.mask_key
    WHERE e.id_kind = 'masked_resident_id' AND r.id_kind IN {FULL_PERSON_KINDS_SQL}
      AND (r.name_key = e.name_key OR r.name_core = e.name_core)
)
WHERE {age_consistent_sql("birth", "age", "published_on")}
"""
"""A full ID compatible with a masked one: the 14 visible characters equal (so the check
character holds for the hidden month-day), the person name keys equal, and the age the
list published consistent with the birth date within a year (sites compute age at
different moments)."""

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


def pairs_sql() -> str:
    """The SQL of every tier's pairs, strongest tier per (record, entry), reading the
    scored company-name relation :data:`~blacklist_match.match.fuzzy.COMPANY_PAIRS_RELATION`
    (which the engine must register first).

    Within the strongest tier, every registry role that links is kept (one row per role),
    so a person who is both director and legal representative of a listed entity reaches
    the scopes of both roles. Constant text: the Spark engine transpiles this same SQL.
    """
    union = "\nUNION ALL\n".join(
        f"({query})" for query in (*TIER_QUERIES.values(), NAME_ONLY_COMPANY)
    )
    return f"""
    SELECT record_id, entry_id, tier, score, link, via, evidence FROM (
        SELECT *, {TIER_RANK_SQL} AS tier_rank FROM ({union}) AS all_pairs
    ) AS pairs
    QUALIFY row_number() OVER (
                PARTITION BY record_id, entry_id, via ORDER BY tier_rank, score DESC, evidence) = 1
        AND tier_rank = min(tier_rank) OVER (PARTITION BY record_id, entry_id)
    """


def candidate_pairs(con: duckdb.DuckDBPyConnection) -> str:
    """The SQL of every tier's pairs (:func:`pairs_sql`), after scoring company names on
    ``con`` (it registers the relation the SQL reads)."""
    score_company_names(con)
    return pairs_sql()


def candidates_sql(pairs: str) -> str:
    """Candidates joined to their record and entry, kept only where the entry was listed
    on the record's event date; ``$as_of`` (a DATE or NULL) is the one bound parameter."""
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
           p.tier, p.score, p.link, p.via, p.evidence
    FROM pairs p
    JOIN records r USING (record_id)
    JOIN known e USING (entry_id)
    WHERE e.listed_from <= r.event_date
      AND (e.known_until IS NULL OR r.event_date < e.known_until)
    ORDER BY r.record_id, e.entry_id
    """


def find_candidates(con: duckdb.DuckDBPyConnection, as_of: date | None = None) -> pl.DataFrame:
    """Candidates joined to their record and entry, kept only where the entry was listed
    on the record's event date (``listed_from <= event_date < listed_until``).

    With ``as_of``, the list is taken as it was known on that date: entries published later
    are left out, and an end (removal, snapshot absence) after that date is not yet known.
    """
    return query_frame(con, candidates_sql(candidate_pairs(con)), {"as_of": as_of})
