"""The ``registry_link`` tier: a subject tied to a listed debtor through the officer registry.

Two directions, both by identifier only (never by name alone):

* a **person record** whose full ID is a registry person holding a role in a listed
  **entity** (the registry entity and the entry share the organisation code, or the same
  canonical ID) -> link ``officer_of_listed_entity``, ``via`` = the role;
* an **entity record** that is a registry entity (same organisation code or ID) one of whose
  officers is a listed **person**, by full ID or by a masked ID compatible with the
  officer's full ID with the name key equal -> link ``entity_of_listed_person``,
  ``via`` = the role.

A role counts only if it was held on the record's event date:
``start_date <= event_date`` and (``end_date`` null or ``event_date < end_date``).
Which roles a measure reaches is the rules' business (``rules._in_scope``); this tier
reports every role that links, one candidate per (record, entry, role).
"""

from __future__ import annotations

from typing import Final

from blacklist_match.match import scores
from blacklist_match.store_schema import CLEAN_ID_SQL

FULL_PERSON_KINDS_SQL: Final = "('resident_id', 'residence_permit', 'foreign_pr')"
ENTITY_KINDS_SQL: Final = "('uscc', 'org_code', 'reg_no')"


def age_consistent_sql(birth: str, age: str, published_on: str) -> str:
    """SQL: the age published on ``published_on`` agrees with ``birth`` (within tolerance),
    or there is no age to check. Arguments are constant column expressions."""
    return f"""({age} IS NULL OR {published_on} IS NULL OR abs(
        year({published_on}) - year({birth})
        - CASE WHEN strftime({published_on}, '%m%d') < strftime({birth}, '%m%d') THEN 1 ELSE 0 END
        - {age}) <= {scores.AGE_TOLERANCE_YEARS})"""


def visible_month_agrees_sql(full_id: str, published: str) -> str:
    """SQL: the full ID ``full_id`` agrees with the month digit that a mask published in the
    19-character aggregator form (``53272219751****0914``, DOMAIN.md 1.3) leaves visible, or
    the mask ``published`` (the entry's ID as published) is not in that form. The canonical
    mask, and so the mask key both sides join on, drops that digit."""
    typed = CLEAN_ID_SQL.format(col=published)
    return f"(length({typed}) <> 19 OR substr({typed}, 11, 1) = substr({full_id}, 11, 1))"


_ROLE_VALID: Final = """(o.start_date IS NULL OR o.start_date <= r.event_date)
      AND (o.end_date IS NULL OR r.event_date < o.end_date)"""

REGISTRY_LINK: Final = f"""
WITH person_rec AS (
    SELECT rid AS record_rid, event_date, id_norm_hash AS person_key FROM records
    WHERE id_kind IN {FULL_PERSON_KINDS_SQL} AND id_norm_hash IS NOT NULL
    UNION ALL
    SELECT rid, event_date, id_alt_norm_hash FROM records WHERE id_alt_kind = 'resident_id'
), entity_entries AS (
    SELECT rid AS entry_rid, id_norm, id_norm_hash, org_code_key, org_code_key_hash
    FROM entries WHERE debtor_type = 'entity' AND id_norm_hash IS NOT NULL
), officers_of_listed AS (
    SELECT role, start_date, end_date, person_id_norm, person_id_norm_hash, entity_id_norm,
           entity_id_norm_hash, entity_org_code_key, entity_org_code_key_hash
    FROM officers
    WHERE person_id_norm_hash IS NOT NULL AND (
          entity_org_code_key_hash IN (SELECT org_code_key_hash FROM entity_entries)
       OR entity_id_norm_hash IN (SELECT id_norm_hash FROM entity_entries))
), person_roles AS (
    SELECT r.record_rid, o.role, o.person_id_norm AS record_key, o.entity_id_norm,
           o.entity_id_norm_hash, o.entity_org_code_key, o.entity_org_code_key_hash
    FROM person_rec r JOIN officers_of_listed o ON o.person_id_norm_hash = r.person_key
    WHERE {_ROLE_VALID}
), officer_of_entity AS (
    SELECT pr.record_rid, e.entry_rid, pr.role, pr.record_key
    FROM person_roles pr JOIN entity_entries e
      ON e.org_code_key_hash = pr.entity_org_code_key_hash
    WHERE e.org_code_key = pr.entity_org_code_key
    UNION ALL
    SELECT pr.record_rid, e.entry_rid, pr.role, pr.record_key
    FROM person_roles pr JOIN entity_entries e ON e.id_norm_hash = pr.entity_id_norm_hash
    WHERE e.org_code_key_hash IS NULL AND e.id_norm = pr.entity_id_norm
), officer_links AS (
    SELECT role, start_date, end_date, person_id_kind, person_id_norm, person_id_norm_hash,
           person_mask_key, person_mask_key_hash, person_name_key, person_name_key_hash,
           coalesce(entity_org_code_key, entity_id_norm) AS entity_key,
           coalesce(entity_org_code_key_hash, entity_id_norm_hash) AS entity_key_hash
    FROM officers
    WHERE person_id_norm_hash IN (SELECT id_norm_hash FROM entries WHERE debtor_type = 'person')
       OR person_mask_key_hash IN (
              SELECT mask_key_hash FROM entries WHERE id_kind = 'masked_resident_id')
), entity_roles AS (
    SELECT r.rid AS record_rid, o.role, o.person_id_norm, o.person_id_norm_hash,
           o.person_mask_key, o.person_mask_key_hash, o.person_name_key, o.person_name_key_hash,
           o.person_id_kind, o.entity_key AS record_key
    FROM records r JOIN officer_links o
      ON o.entity_key_hash = coalesce(r.org_code_key_hash, r.id_norm_hash)
    WHERE r.id_kind IN {ENTITY_KINDS_SQL} AND r.id_norm_hash IS NOT NULL AND {_ROLE_VALID}
), entity_of_person AS (
    SELECT er.record_rid, e.rid AS entry_rid, er.role, er.record_key,
           'entity_officer_is_listed_person_id_equal' AS ev, {scores.REGISTRY_ID_EQUAL} AS score
    FROM entity_roles er JOIN entries e ON e.id_norm_hash = er.person_id_norm_hash
    WHERE e.debtor_type = 'person' AND e.id_kind IN {FULL_PERSON_KINDS_SQL}
      AND e.id_norm = er.person_id_norm
    UNION ALL
    SELECT er.record_rid, e.rid, er.role, er.record_key,
           'entity_officer_is_listed_person_masked_id_name' AS ev,
           {scores.REGISTRY_MASKED_ID_NAME} AS score
    FROM entity_roles er JOIN entries e
      ON e.mask_key_hash = er.person_mask_key_hash AND e.name_key_hash = er.person_name_key_hash
    WHERE e.debtor_type = 'person' AND e.id_kind = 'masked_resident_id'
      AND er.person_id_kind IN {FULL_PERSON_KINDS_SQL}
      AND e.mask_key = er.person_mask_key AND e.name_key = er.person_name_key
      AND {
    age_consistent_sql(
        "strptime(substr(er.person_id_norm, 7, 8), '%Y%m%d')::DATE", "e.age", "e.published_on"
    )
}
      AND {visible_month_agrees_sql("er.person_id_norm", "e.id_number")}
)
SELECT record_rid, entry_rid, 'registry_link' AS tier, {scores.REGISTRY_ID_EQUAL} AS score,
       'officer_of_listed_entity' AS link, role AS via,
       'officer_of_listed_entity_id_equal' AS evidence, record_key
FROM officer_of_entity
UNION ALL
SELECT record_rid, entry_rid, 'registry_link' AS tier, score,
       'entity_of_listed_person' AS link, role AS via, ev AS evidence, record_key
FROM entity_of_person
"""
"""Registry pairs ``(record_rid, entry_rid, tier, score, link, via, evidence, record_key)``:
joined on key hashes; the officer-to-entry step compares the text there (both sides are
small), the record-to-officer step leaves the officer's key in ``record_key`` for
``candidates_sql`` to compare with the record's."""
