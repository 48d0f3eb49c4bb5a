"""The review-only tiers: ``fuzzy_id_name`` and ``name_only``.

Negative evidence wins, and these tiers are built so that it cannot be overridden: both
only ever pair a record and an entry when **at least one side has no usable identifier**
(no valid canonical ID and no valid alternative reading). Two subjects that both carry
valid identifiers are either the same by ``exact_id`` / ``id_crosswalk`` /
``masked_id_name``, or different, whatever their names say.

* ``fuzzy_id_name``: one side's 18-character person number fails its check (a typo), and
  it is one substitution or one adjacent transposition away from the other side's valid
  full ID (or, against a published mask, from the mask's visible characters), with the
  person name keys equal. Blocked by (name key, first 6 characters) and (name key, last 4
  characters): one edit touches at most two adjacent positions, so one of the two blocks
  always holds. Verified with ``damerau_levenshtein`` on equal-length strings.
* ``name_only``, persons: name keys (dot-free) equal and **neither** side has a usable ID.
  Namesakes are the normal case in Chinese data, so a person with any ID is never paired
  by name.
* ``name_only``, companies: one side without a usable ID; blocked on the first three
  characters of the company core key (legal form and region removed, brackets and script
  folded, so those variants meet exactly), lengths close enough for the threshold to be
  reachable, then scored with rapidfuzz's normalised Indel ratio on the blocked pairs only;
  pairs at or above :data:`COMPANY_RATIO_THRESHOLD` are kept. A typo among the first three
  characters of the core is not found (blocking on the suffix too made blocks of every
  ``…科技`` firm).
"""

from __future__ import annotations

import logging
from typing import Final

import duckdb
import polars as pl
from rapidfuzz import fuzz

from blacklist_match.lookup import CORE_PREFIX
from blacklist_match.match import scores
from blacklist_match.match.registry import FULL_PERSON_KINDS_SQL
from blacklist_match.util import query_frame

log = logging.getLogger(__name__)

COMPANY_RATIO_THRESHOLD: Final = scores.COMPANY_RATIO_THRESHOLD
NAME_ONLY_COMPANY_MAX_SCORE: Final = scores.NAME_ONLY_COMPANY_MAX
NAME_ONLY_PERSON_SCORE: Final = scores.NAME_ONLY_PERSON
FUZZY_ID_SCORE: Final = scores.FUZZY_ID
COMPANY_PAIRS_RELATION: Final = "name_only_company_pairs"
"""The temporary relation holding scored company-name pairs for :data:`NAME_ONLY_COMPANY`."""

_CLEAN_ID: Final = (
    "upper(translate(regexp_replace({col}, '[\\s\\-\u3000]', '', 'g'), "
    "'０１２３４５６７８９Ｘｘ', '0123456789XX'))"
)
_PERSON18: Final = "'^[0-9]{17}[0-9X]$'"
_NO_USABLE_ID: Final = "(id_norm IS NULL AND id_alt_norm IS NULL)"

FUZZY_ID_NAME: Final = f"""
WITH typo_rec AS (
    SELECT record_id, name_key, raw FROM (
        SELECT record_id, name_key, {_CLEAN_ID.format(col="subject_id")} AS raw FROM records
        WHERE {_NO_USABLE_ID} AND subject_id IS NOT NULL AND name_key IS NOT NULL
          AND subject_type = 'person'
    ) WHERE regexp_matches(raw, {_PERSON18})
), listed AS (
    SELECT entry_id, name_key, id_norm, id_kind FROM entries
    WHERE debtor_type = 'person' AND length(id_norm) = 18
      AND (id_kind IN {FULL_PERSON_KINDS_SQL} OR id_kind = 'masked_resident_id')
      AND name_key IN (SELECT name_key FROM typo_rec)
), rec_to_entry AS (
    SELECT DISTINCT t.record_id, l.entry_id, t.raw, l.id_norm, l.id_kind
    FROM typo_rec t JOIN listed l ON t.name_key = l.name_key
     AND (left(t.raw, 6) = left(l.id_norm, 6) OR right(t.raw, 4) = right(l.id_norm, 4))
), typo_entry AS (
    SELECT entry_id, name_key, raw FROM (
        SELECT entry_id, name_key, {_CLEAN_ID.format(col="id_number")} AS raw FROM entries
        WHERE {_NO_USABLE_ID} AND id_number IS NOT NULL AND name_key IS NOT NULL
          AND debtor_type = 'person'
    ) WHERE regexp_matches(raw, {_PERSON18})
), full_rec AS (
    SELECT record_id, name_key, id_norm FROM records
    WHERE id_kind IN {FULL_PERSON_KINDS_SQL} AND length(id_norm) = 18
      AND name_key IN (SELECT name_key FROM typo_entry)
), entry_to_rec AS (
    SELECT DISTINCT r.record_id, t.entry_id, t.raw, r.id_norm, 'entry_typo' AS id_kind
    FROM typo_entry t JOIN full_rec r ON t.name_key = r.name_key
     AND (left(t.raw, 6) = left(r.id_norm, 6) OR right(t.raw, 4) = right(r.id_norm, 4))
), compared AS (
    SELECT record_id, entry_id, id_kind,
           damerau_levenshtein(
               CASE WHEN id_kind = 'masked_resident_id'
                    THEN left(raw, 10) || '****' || right(raw, 4) ELSE raw END,
               id_norm) AS edits
    FROM (SELECT * FROM rec_to_entry UNION ALL SELECT * FROM entry_to_rec)
)
SELECT record_id, entry_id, 'fuzzy_id_name' AS tier,
       CASE WHEN id_kind = 'masked_resident_id' THEN {scores.FUZZY_ID_AGAINST_MASK}
            ELSE {FUZZY_ID_SCORE} END AS score,
       'debtor' AS link, 'debtor' AS via,
       CASE WHEN id_kind = 'masked_resident_id' THEN 'masked_id_one_edit_name_equal'
            ELSE 'id_one_edit_name_equal' END AS evidence
FROM compared WHERE edits <= {scores.MAX_ID_EDITS}
"""
"""Typo pairs. Against a mask, an edit inside the hidden month-day leaves 0 visible edits."""

NAME_ONLY_PERSON: Final = f"""
SELECT r.record_id, e.entry_id, 'name_only' AS tier, {NAME_ONLY_PERSON_SCORE} AS score,
       'debtor' AS link, 'debtor' AS via, 'person_name_equal_no_id' AS evidence
FROM records r JOIN entries e ON r.name_core = e.name_core
WHERE r.subject_type = 'person' AND e.debtor_type = 'person'
  AND r.id_norm IS NULL AND r.id_alt_norm IS NULL
  AND e.id_norm IS NULL AND e.id_alt_norm IS NULL
"""

_MAX_LENGTH_GAP: Final = (100 - COMPANY_RATIO_THRESHOLD) / 100
"""Indel distance >= length gap, so a ratio above the threshold bounds the gap: a free filter."""

_COMPANY_BLOCKS: Final = f"""
WITH rec AS (
    SELECT record_id, name_core, {_NO_USABLE_ID} AS no_id FROM records
    WHERE subject_type = 'entity' AND name_core IS NOT NULL
), ent AS (
    SELECT entry_id, name_core, {_NO_USABLE_ID} AS no_id FROM entries
    WHERE debtor_type = 'entity' AND name_core IS NOT NULL
), rec_no_id AS (SELECT * FROM rec WHERE no_id), ent_no_id AS (SELECT * FROM ent WHERE no_id)
SELECT record_id, entry_id, r_core, e_core FROM (
    SELECT r.record_id, e.entry_id, r.name_core AS r_core, e.name_core AS e_core
    FROM rec_no_id r JOIN ent e
      ON left(r.name_core, {CORE_PREFIX}) = left(e.name_core, {CORE_PREFIX})
    UNION ALL
    SELECT r.record_id, e.entry_id, r.name_core, e.name_core
    FROM rec r JOIN ent_no_id e
      ON left(r.name_core, {CORE_PREFIX}) = left(e.name_core, {CORE_PREFIX})
    WHERE NOT r.no_id
)
WHERE abs(length(r_core) - length(e_core)) <= {_MAX_LENGTH_GAP} * (length(r_core) + length(e_core))
"""

NAME_ONLY_COMPANY: Final = f"""
SELECT record_id, entry_id, 'name_only' AS tier, score, 'debtor' AS link, 'debtor' AS via,
       CASE WHEN ratio >= 100 THEN 'company_core_name_equal_no_id'
            ELSE 'company_core_name_similar_no_id' END AS evidence
FROM {COMPANY_PAIRS_RELATION}
"""


def _ratios(left: list[str], right: list[str]) -> list[float]:
    """rapidfuzz ratio of aligned pairs: ``process.cpdist`` when NumPy is installed (one call
    over the arrays), else one C call per already-blocked pair."""
    try:
        from rapidfuzz import process

        return process.cpdist(left, right, scorer=fuzz.ratio, workers=-1).tolist()  # type: ignore[no-any-return]
    except ImportError:
        return [fuzz.ratio(a, b) for a, b in zip(left, right, strict=True)]


def score_company_names(con: duckdb.DuckDBPyConnection) -> int:
    """Block company names, score the blocked pairs, register :data:`COMPANY_PAIRS_RELATION`.

    Returns the number of pairs kept. Must run before :data:`NAME_ONLY_COMPANY` is queried.
    """
    blocked = query_frame(con, _COMPANY_BLOCKS)
    ratios = _ratios(blocked["r_core"].to_list(), blocked["e_core"].to_list())
    scored = (
        blocked.select("record_id", "entry_id")
        .with_columns(pl.Series("ratio", ratios, dtype=pl.Float64))
        .filter(pl.col("ratio") >= COMPANY_RATIO_THRESHOLD)
        .with_columns((pl.col("ratio") / 100 * NAME_ONLY_COMPANY_MAX_SCORE).alias("score"))
    )
    log.debug("company names: %d blocked pairs, %d kept", blocked.height, scored.height)
    con.register(COMPANY_PAIRS_RELATION, scored.to_arrow())
    return scored.height
