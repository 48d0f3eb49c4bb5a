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

FULL_PERSON_KINDS_SQL: Final = "('resident_id', 'residence_permit', 'foreign_pr')"
ENTITY_KINDS_SQL: Final = "('uscc', 'org_code', 'reg_no')"


def age_consistent_sql(birth: str, age: str, published_on: str) -> str:
    """SQL: the age published on ``published_on`` agrees with ``birth`` (within tolerance),
    or there is no age to check. Arguments are constant column expressions."""
    return f"""({age} IS NULL OR {published_on} IS NULL OR abs(
        year({published_on}) - year({birth})
        - CASE WHEN strftime({published_on}, '%m%d') < strftime({birth}, '%m%d') THEN 1 ELSE 0 END
        - {age}) <= {scores.AGE_TOLERANCE_YEARS})"""


_ROLE_VALID: Final = """(o.start_date IS NULL OR o.start_date <= r.event_date)
      AND (o.end_date IS NULL OR r.event_date < o.end_date)"""

REGISTRY_LINK: Final = f"""
WITH person_rec AS (
    SELECT record_id, event_date, id_norm AS person_id FROM records
    WHERE id_kind IN {FULL_PERSON_KINDS_SQL} AND id_norm IS NOT NULL
    UNION ALL
    SELECT record_id, event_date, id_alt_norm FROM records WHERE id_alt_kind = 'resident_id'
), person_roles AS (
    SELECT r.record_id, o.role, o.entity_id_norm, o.entity_org_code_key
    FROM person_rec r JOIN officers o ON o.person_id_norm = r.person_id
    WHERE {_ROLE_VALID}
), entity_entries AS (
    SELECT entry_id, id_norm, org_code_key FROM entries
    WHERE debtor_type = 'entity' AND id_norm IS NOT NULL
), officer_of_entity AS (
    SELECT pr.record_id, e.entry_id, pr.role
    FROM person_roles pr JOIN entity_entries e ON e.org_code_key = pr.entity_org_code_key
    UNION ALL
    SELECT pr.record_id, e.entry_id, pr.role
    FROM person_roles pr JOIN entity_entries e ON e.id_norm = pr.entity_id_norm
    WHERE e.org_code_key IS NULL
), entity_rec AS (
    SELECT record_id, event_date, id_norm, org_code_key FROM records
    WHERE id_kind IN {ENTITY_KINDS_SQL} AND id_norm IS NOT NULL
), entity_roles AS (
    SELECT r.record_id, o.role, o.person_id_norm, o.person_mask_key, o.person_name_key,
           o.person_id_kind
    FROM entity_rec r JOIN officers o ON o.entity_org_code_key = r.org_code_key
    WHERE {_ROLE_VALID}
    UNION ALL
    SELECT r.record_id, o.role, o.person_id_norm, o.person_mask_key, o.person_name_key,
           o.person_id_kind
    FROM entity_rec r JOIN officers o ON o.entity_id_norm = r.id_norm
    WHERE r.org_code_key IS NULL AND {_ROLE_VALID}
), entity_of_person AS (
    SELECT er.record_id, e.entry_id, er.role, 'entity_officer_is_listed_person_id_equal' AS ev,
           {scores.REGISTRY_ID_EQUAL} AS score
    FROM entity_roles er JOIN entries e ON e.id_norm = er.person_id_norm
    WHERE e.debtor_type = 'person' AND e.id_kind IN {FULL_PERSON_KINDS_SQL}
    UNION ALL
    SELECT er.record_id, e.entry_id, er.role,
           'entity_officer_is_listed_person_masked_id_name' AS ev,
           {scores.REGISTRY_MASKED_ID_NAME} AS score
    FROM entity_roles er JOIN entries e ON e.mask_key = er.person_mask_key
    WHERE e.debtor_type = 'person' AND e.id_kind = 'masked_resident_id'
      AND er.person_id_kind IN {FULL_PERSON_KINDS_SQL}
      AND e.name_key = er.person_name_key
      AND {
    age_consistent_sql(
        "strptime(substr(er.person_id_norm, 7, 8), '%Y%m%d')::DATE", "e.age", "e.published_on"
    )
}
)
SELECT record_id, entry_id, 'registry_link' AS tier, {scores.REGISTRY_ID_EQUAL} AS score,
       'officer_of_listed_entity' AS link, role AS via,
       'officer_of_listed_entity_id_equal' AS evidence
FROM officer_of_entity
UNION ALL
SELECT record_id, entry_id, 'registry_link' AS tier, score,
       'entity_of_listed_person' AS link, role AS via, ev AS evidence
FROM entity_of_person
"""
"""Registry pairs ``(record_id, entry_id, tier, score, link, via, evidence)``."""
