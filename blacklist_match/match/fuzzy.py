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
  always holds. The blocks are hashed on load; the possible typos are staged first
  (:func:`stage_typo_relations`); a Hamming filter, then ``damerau_levenshtein``, verify.
* ``name_only``, persons: name keys (dot-free) equal and **neither** side has a usable ID.
  Namesakes are the normal case in Chinese data, so a person with any ID is never paired
  by name.
* ``name_only``, companies: one side without a usable ID; blocked on the first three
  characters of the company core key (legal form and region removed, brackets and script
  folded, so those variants meet exactly), lengths close enough for the threshold to be
  reachable, then scored with rapidfuzz's normalised Indel ratio, once per pair of distinct
  cores (:func:`score_company_names`); pairs at or above :data:`COMPANY_RATIO_THRESHOLD`
  are kept and joined back to their records and entries by core hash. A typo among the first three
  characters of the core is not found (blocking on the suffix too made blocks of every
  ``…科技`` firm).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Final

import duckdb
import numpy as np
import polars as pl
from rapidfuzz import fuzz, process

from blacklist_match.ids.masked_id import PARTIAL_MASK_MIN_HEAD, PARTIAL_MASK_MIN_VISIBLE
from blacklist_match.lookup import CORE_PREFIX
from blacklist_match.match import scores
from blacklist_match.match.registry import FULL_PERSON_KINDS_SQL, age_consistent_sql
from blacklist_match.names import BRANCH_CORE_RE
from blacklist_match.store_schema import CLEAN_ID_SQL, PERSON18_SQL, key_hash_expr
from blacklist_match.util import query_frame

log = logging.getLogger(__name__)

COMPANY_RATIO_THRESHOLD: Final = scores.COMPANY_RATIO_THRESHOLD
NAME_ONLY_COMPANY_MAX_SCORE: Final = scores.NAME_ONLY_COMPANY_MAX
NAME_ONLY_PERSON_SCORE: Final = scores.NAME_ONLY_PERSON
FUZZY_ID_SCORE: Final = scores.FUZZY_ID
COMPANY_PAIRS_RELATION: Final = "name_only_company_pairs"
"""The temporary relation holding scored company-name pairs for :data:`NAME_ONLY_COMPANY`."""


def _no_usable_id(alias: str = "") -> str:
    """SQL: the row (of table ``alias``) has neither a valid canonical ID nor an alternative
    reading."""
    prefix = f"{alias}." if alias else ""
    return f"({prefix}id_norm_hash IS NULL AND {prefix}id_alt_norm_hash IS NULL)"


NO_USABLE_ID: Final = _no_usable_id()
PERSON_NUMBER_WITH_PROBLEM: Final = (
    "(id_problem IS NOT NULL AND id_kind IN ('resident_id', 'residence_permit', 'foreign_pr',"
    f" 'uscc') AND {NO_USABLE_ID} AND name_key_hash IS NOT NULL)"
)
"""An invalid 18-character number, which the classifier calls a person number or, when a typo
broke the birth date's shape, an invalid USCC: the only rows a typo can hide in (a cheap
filter on stored columns before any text is read). A classified number without a valid
reading always carries its problem; ``id_problem IS NOT NULL`` says so first because the
scan applies it before fetching a row's text (DuckDB keeps the kind list as an optional
zone-map filter, and the scan then read the name and number of every person without an
ID: 1.3 s of 1.4 at 10M records)."""

TYPO_RECORDS_RELATION: Final = "match_typo_records"
TYPO_ENTRIES_RELATION: Final = "match_typo_entries"

_HEAD_SQL: Final = "name_key || '|' || left(raw, 6)"
_TAIL_SQL: Final = "name_key || '|' || right(raw, 4)"
_TYPO_KEYS: Final = (
    f"{key_hash_expr(_HEAD_SQL)} AS head_hash, {key_hash_expr(_TAIL_SQL)} AS tail_hash"
)
"""The typo blocks of a possibly mistyped number, as the store hashes them for valid IDs
(:data:`~blacklist_match.store_schema.TYPO_HEAD_KEY`, ``TYPO_TAIL_KEY``)."""

_TYPO_ROWS: Final = """
        SELECT {rid}, raw, {keys} FROM (
            SELECT rid AS {rid}, name_key, {raw} AS raw FROM {table}
            WHERE {problem} AND {type_column} = 'person'
        ) WHERE regexp_matches(raw, {person18})"""

TYPO_RELATIONS: Final = {
    TYPO_RECORDS_RELATION: f"""
        SELECT rid AS record_rid, {CLEAN_ID_SQL.format(col="subject_id")} AS raw,
               typed_head_hash AS head_hash, typed_tail_hash AS tail_hash
        FROM records WHERE typed_head_hash IS NOT NULL""",
    TYPO_ENTRIES_RELATION: _TYPO_ROWS.format(
        rid="entry_rid", raw=CLEAN_ID_SQL.format(col="id_number"), table="entries",
        type_column="debtor_type", keys=_TYPO_KEYS, problem=PERSON_NUMBER_WITH_PROBLEM,
        person18=PERSON18_SQL,
    ),
}  # fmt: skip
"""The few rows whose number may be a typo, with their blocks, staged before the tier runs
(:func:`stage_typo_relations`): a join plan needs to know they are few. Records keep
theirs from the load (``typed_head_hash``, ``typed_tail_hash``: the same blocks, found by a
mostly empty integer column); the list's are computed here (a million rows, not tens)."""

FUZZY_ID_NAME: Final = f"""
WITH rec_to_entry AS (
    SELECT t.record_rid, e.rid AS entry_rid, t.raw, e.id_norm, e.id_kind
    FROM {TYPO_RECORDS_RELATION} t JOIN entries e ON e.typo_head_hash = t.head_hash
    WHERE e.debtor_type = 'person'
    UNION
    SELECT t.record_rid, e.rid, t.raw, e.id_norm, e.id_kind
    FROM {TYPO_RECORDS_RELATION} t JOIN entries e ON e.typo_tail_hash = t.tail_hash
    WHERE e.debtor_type = 'person'
), entry_blocks AS (
    SELECT r.rid AS record_rid, t.entry_rid, t.raw
    FROM {TYPO_ENTRIES_RELATION} t JOIN records r ON r.typo_head_hash = t.head_hash
    WHERE r.id_kind IN {FULL_PERSON_KINDS_SQL}
    UNION
    SELECT r.rid, t.entry_rid, t.raw
    FROM {TYPO_ENTRIES_RELATION} t JOIN records r ON r.typo_tail_hash = t.tail_hash
    WHERE r.id_kind IN {FULL_PERSON_KINDS_SQL}
), entry_to_rec AS (
    SELECT b.record_rid, b.entry_rid, b.raw, r.id_norm, 'entry_typo' AS id_kind
    FROM entry_blocks b JOIN records r ON r.rid = b.record_rid
), typed AS (
    SELECT record_rid, entry_rid, id_kind, id_norm,
           CASE WHEN id_kind = 'masked_resident_id'
                THEN left(raw, 10) || '****' || right(raw, 4) ELSE raw END AS typed_id
    FROM (SELECT * FROM rec_to_entry UNION ALL SELECT * FROM entry_to_rec)
), compared AS (
    SELECT record_rid, entry_rid, id_kind,
           CASE WHEN hamming(typed_id, id_norm) <= 2 * {scores.MAX_ID_EDITS}
                THEN damerau_levenshtein(typed_id, id_norm) END AS edits
    FROM typed
)
SELECT record_rid, entry_rid, 'fuzzy_id_name' AS tier,
       CASE WHEN id_kind = 'masked_resident_id' THEN {scores.FUZZY_ID_AGAINST_MASK}
            ELSE {FUZZY_ID_SCORE} END AS score,
       'debtor' AS link, 'debtor' AS via,
       CASE WHEN id_kind = 'masked_resident_id' THEN 'masked_id_one_edit_name_equal'
            ELSE 'id_one_edit_name_equal' END AS evidence,
       CAST(NULL AS VARCHAR) AS record_key
FROM compared WHERE edits <= {scores.MAX_ID_EDITS}
"""
"""Typo pairs, read from the staged :data:`TYPO_RELATIONS` and joined on the stored block
hashes (the record side's ID text is read only for the blocked pairs). A block holds every
namesake of the same region, so the pairs pass a Hamming filter first (both IDs have 18
characters; one substitution differs in 1 position, one adjacent transposition in 2), a
hundred times cheaper than the Damerau-Levenshtein distance it spares. Against a mask, an
edit inside the hidden month-day leaves 0 visible edits."""

_PARTIAL_MASK_CLEAN: Final = (
    "upper(translate(regexp_replace({col}, '[\\s\\-\u3000]', '', 'g'), "
    "'０１２３４５６７８９Ｘｘ＊×✕✖⨯', '0123456789XX*****'))"
)
"""The list's number cleaned as :data:`blacklist_match.ids.masked_id.partial_mask` cleans it."""

PARTIAL_MASKS: Final = f"""
    SELECT rid, name_core_hash, age, published_on,
           regexp_extract(mask, '^([0-9]+)[*]+([0-9]*X?)$', 1) AS head,
           regexp_extract(mask, '^([0-9]+)[*]+([0-9]*X?)$', 2) AS tail
    FROM (SELECT rid, name_core_hash, age, published_on,
                 {_PARTIAL_MASK_CLEAN.format(col="id_number")} AS mask
          FROM entries
          WHERE debtor_type = 'person' AND id_kind = 'masked_resident_id'
            AND {NO_USABLE_ID} AND name_core_hash IS NOT NULL)
    WHERE regexp_matches(mask, '^[0-9]{{{PARTIAL_MASK_MIN_HEAD},}}[*]+[0-9]*X?$')
      AND length(mask) <= 18"""
"""Entries whose number is masked in another pattern than the publication's (``3701****
******1234``, ``370102****1234``, ``3701021985********``): the visible head and tail."""

NAME_ONLY_PERSON_NO_ID: Final = f"""
SELECT r.rid AS record_rid, e.rid AS entry_rid, 'name_only' AS tier,
       {NAME_ONLY_PERSON_SCORE} AS score, 'debtor' AS link, 'debtor' AS via,
       'person_name_equal_no_id' AS evidence, CAST(NULL AS VARCHAR) AS record_key
FROM records r JOIN entries e ON r.name_core_hash = e.name_core_hash
WHERE r.subject_type = 'person' AND e.debtor_type = 'person'
  AND r.id_norm_hash IS NULL AND r.id_alt_norm_hash IS NULL
  AND e.id_norm_hash IS NULL AND e.id_alt_norm_hash IS NULL
"""
"""Persons by name core (dots dropped), both without a usable ID."""


def name_only_partial_masks(partial_masks: str) -> str:
    """SQL: persons by name core, the list's number masked in another pattern than the
    publication's (``partial_masks``: :data:`PARTIAL_MASKS` or a relation holding it) and
    the record's full ID showing the same visible characters, with an age that fits its
    birth date. A partial mask proves less than the publication's mask (the year or the
    county may be hidden), so the pair is review only; visible characters that differ rule
    it out."""
    return f"""
SELECT r.rid AS record_rid, e.rid AS entry_rid, 'name_only' AS tier,
       {NAME_ONLY_PERSON_SCORE} AS score, 'debtor' AS link, 'debtor' AS via,
       'person_name_equal_partial_mask_compatible' AS evidence,
       CAST(NULL AS VARCHAR) AS record_key
FROM records r JOIN {partial_masks} e ON r.name_core_hash = e.name_core_hash
WHERE r.subject_type = 'person' AND r.id_kind IN {FULL_PERSON_KINDS_SQL}
  AND r.id_norm IS NOT NULL AND length(r.id_norm) = 18
  AND length(e.head) + length(e.tail) BETWEEN {PARTIAL_MASK_MIN_VISIBLE} AND 17
  AND left(r.id_norm, length(e.head)) = e.head AND right(r.id_norm, length(e.tail)) = e.tail
  AND {
        age_consistent_sql(
            "strptime(substr(r.id_norm, 7, 8), '%Y%m%d')::DATE", "e.age", "e.published_on"
        )
    }
"""


PARTIAL_MASKS_RELATION: Final = "match_partial_masks"
"""Where :func:`~blacklist_match.match.identity.find_candidates` stages the few entries
:data:`PARTIAL_MASKS` finds (so the join builds on them, not on the records; and none, the
join does not run)."""

NAME_ONLY_PERSON: Final = (
    f"{NAME_ONLY_PERSON_NO_ID}\nUNION ALL\n{name_only_partial_masks(f'({PARTIAL_MASKS})')}"
)
"""The person half of ``name_only`` in one statement (the plan that Spark runs)."""

_MAX_LENGTH_GAP: Final = (100 - COMPANY_RATIO_THRESHOLD) / 100
"""Indel distance >= length gap, so a ratio above the threshold bounds the gap: a free filter."""


def _registration_number_only(alias: str = "") -> str:
    """SQL: the company's only usable number is a registration number (注册号), which no
    organisation code or USCC can be compared with."""
    prefix = f"{alias}." if alias else ""
    return f"({prefix}id_kind = 'reg_no' AND {prefix}org_code_key_hash IS NULL)"


def _organisation_keyed(alias: str = "") -> str:
    """SQL: the company has an organisation code key (its own, or read from its USCC)."""
    prefix = f"{alias}." if alias else ""
    return f"({prefix}org_code_key_hash IS NOT NULL)"


REGISTRATION_NUMBER_ONLY: Final = _registration_number_only()
ORGANISATION_KEYED: Final = _organisation_keyed()


def no_comparable_company_id(record: str, entry: str) -> str:
    """SQL: a company record and a listed company with no numbers to compare: one of them
    has no usable number, or one has only a registration number and the other an
    organisation code or USCC (old list entries carry the registration number; agencies
    now hold the USCC, and only the registry can link the two)."""
    return (
        f"({_no_usable_id(record)} OR {_no_usable_id(entry)}"
        f" OR ({_registration_number_only(record)} AND {_organisation_keyed(entry)})"
        f" OR ({_organisation_keyed(record)} AND {_registration_number_only(entry)}))"
    )


ENTRY_CORES: Final = f"""
    SELECT name_core_hash AS core_key, any_value(name_core) AS core,
           bool_or({NO_USABLE_ID}) AS no_id, bool_or({REGISTRATION_NUMBER_ONLY}) AS reg_only,
           bool_or({ORGANISATION_KEYED}) AS org_keyed
    FROM entries WHERE debtor_type = 'entity' AND name_core_hash IS NOT NULL
    GROUP BY name_core_hash"""
"""Every distinct listed company core, and whether some entry with it has no usable ID,
only a registration number, or an organisation code key."""


def _listed_core_prefixes(condition: str) -> str:
    return f"""SELECT left(name_core, {CORE_PREFIX}) FROM entries
              WHERE debtor_type = 'entity' AND {condition}"""


_PAIRABLE_RECORD_COMPANIES: Final = (
    # (records of companies ..., sharing a block with a listed company ...)
    (NO_USABLE_ID, None),
    (None, NO_USABLE_ID),
    (REGISTRATION_NUMBER_ONLY, ORGANISATION_KEYED),
    (ORGANISATION_KEYED, REGISTRATION_NUMBER_ONLY),
)


def _pairable_record_companies(record: str | None, listed: str | None) -> str:
    block = (
        f"left(name_core, {CORE_PREFIX}) IN ({_listed_core_prefixes(listed)})" if listed else None
    )
    condition = " AND ".join(c for c in (record, block) if c)
    return f"""        SELECT name_core_hash, name_core, id_norm_hash, id_alt_norm_hash, id_kind,
               org_code_key_hash
        FROM records
        WHERE subject_type = 'entity' AND name_core_hash IS NOT NULL AND {condition}"""


_UNION_ALL: Final = "\n        UNION ALL\n"

RECORD_CORES: Final = f"""
    SELECT name_core_hash AS core_key, any_value(name_core) AS core,
           bool_or({NO_USABLE_ID}) AS no_id, bool_or({REGISTRATION_NUMBER_ONLY}) AS reg_only,
           bool_or({ORGANISATION_KEYED}) AS org_keyed
    FROM (
{_UNION_ALL.join(_pairable_record_companies(*case) for case in _PAIRABLE_RECORD_COMPANIES)}
    ) AS pairable
    GROUP BY name_core_hash"""
"""The distinct record company cores that can pair, and their flags: those of records
without a usable ID, those sharing a block (core prefix) with a listed company without one,
and those whose number cannot be compared with the number of a listed company in their
block (a registration number against an organisation code or USCC). One ``UNION ALL``
branch per case, so each pushes its own filter into the scan (a row found twice changes no
aggregate): at 10M records 0.20 CPU-s, where one ``WHERE`` with ``OR`` took 0.39 for the
first two cases and 0.77 for all four (it looked every company record up in every block
list)."""

RECORD_CORES_RELATION: Final = "match_record_cores"
ENTRY_CORES_RELATION: Final = "match_entry_cores"

_CORE_PAIRS: Final = f"""
FROM {RECORD_CORES_RELATION} r JOIN {ENTRY_CORES_RELATION} e
  ON left(r.core, {CORE_PREFIX}) = left(e.core, {CORE_PREFIX})
WHERE (r.no_id OR e.no_id OR (r.reg_only AND e.org_keyed) OR (r.org_keyed AND e.reg_only))
  AND abs(length(r.core) - length(e.core))
      <= {_MAX_LENGTH_GAP} * (length(r.core) + length(e.core))
  AND (regexp_matches(r.core, '{BRANCH_CORE_RE}')) = (regexp_matches(e.core, '{BRANCH_CORE_RE}'))"""
"""Blocked pairs of distinct cores. A branch (core ending ``分公司``, ``支行``...) never pairs
with a name that is not a branch: a branch is a separate debtor from its head office
(DOMAIN.md section 6), however close the names. (The two tests are in parentheses, which
sqlglot keeps: Spark cannot parse ``a RLIKE x = b RLIKE y``.)"""

_COMPANY_BLOCKS: Final = f"""
WITH {RECORD_CORES_RELATION} AS ({RECORD_CORES}),
{ENTRY_CORES_RELATION} AS ({ENTRY_CORES})
SELECT r.core_key AS r_key, e.core_key AS e_key, r.core AS r_core, e.core AS e_core
{_CORE_PAIRS}
"""
"""Blocked pairs of DISTINCT company cores (a company recurs across records and cases, so
each pair of names is scored once): a record core without a usable ID against every listed
core, and a record core with an ID against listed cores without one. One statement (the
Spark plan); DuckDB stages the two core lists and reads the pairs as positions in them
(:func:`score_company_names`), so each core's text crosses into Python once."""

_CORE_PAIR_POSITIONS: Final = f"""
SELECT r.core_key AS r_key, e.core_key AS e_key, r.position AS r_position,
       e.position AS e_position
{_CORE_PAIRS}
"""

NAME_ONLY_COMPANY: Final = f"""
SELECT r.rid AS record_rid, e.rid AS entry_rid, 'name_only' AS tier, s.score,
       'debtor' AS link, 'debtor' AS via,
       CASE WHEN s.ratio >= 100 THEN 'company_core_name_equal_' ELSE 'company_core_name_similar_'
       END || CASE WHEN {_no_usable_id("r")} OR {_no_usable_id("e")} THEN 'no_id'
                   ELSE 'ids_not_comparable' END AS evidence,
       CAST(NULL AS VARCHAR) AS record_key
FROM {COMPANY_PAIRS_RELATION} s
JOIN records r ON r.name_core_hash = s.r_key
JOIN entries e ON e.name_core_hash = s.e_key
WHERE r.subject_type = 'entity' AND e.debtor_type = 'entity' AND e.name_core = s.e_core
  AND {no_comparable_company_id("r", "e")}
"""
"""Scored core pairs back to every record and entry with those cores, where the pair has
no numbers to compare (:func:`no_comparable_company_id`). The record's core text is checked
in ``candidates_sql``."""


def _ratios(left: Sequence[str], right: Sequence[str]) -> np.ndarray:
    """rapidfuzz ratio (normalised Indel similarity, 0-100) of aligned pairs, in one call."""
    return process.cpdist(left, right, scorer=fuzz.ratio, workers=-1)  # type: ignore[no-any-return]


def stage_typo_relations(con: duckdb.DuckDBPyConnection) -> None:
    """Register :data:`TYPO_RELATIONS` on ``con`` (must run before :data:`FUZZY_ID_NAME`)."""
    for name, sql in TYPO_RELATIONS.items():
        con.register(name, query_frame(con, sql).to_arrow())


def score_company_names(con: duckdb.DuckDBPyConnection) -> int:
    """Block distinct company cores, score the blocked pairs, register
    :data:`COMPANY_PAIRS_RELATION` (``r_key, e_key, r_core, e_core, ratio, score``: the core
    pairs at or above the threshold).

    Returns the number of core pairs kept. Must run before :data:`NAME_ONLY_COMPANY` is
    queried.
    """
    cores = {
        RECORD_CORES_RELATION: query_frame(con, RECORD_CORES),
        ENTRY_CORES_RELATION: query_frame(con, ENTRY_CORES),
    }
    for name, frame in cores.items():
        con.register(name, frame.with_row_index("position").to_arrow())
    try:
        blocked = query_frame(con, _CORE_PAIR_POSITIONS)
    finally:
        for name in cores:
            con.unregister(name)
    record_cores = cores[RECORD_CORES_RELATION]["core"].to_numpy()[blocked["r_position"].to_numpy()]
    entry_cores = cores[ENTRY_CORES_RELATION]["core"].to_numpy()[blocked["e_position"].to_numpy()]
    ratio = _ratios(record_cores, entry_cores)
    kept = ratio >= COMPANY_RATIO_THRESHOLD
    scored = (
        blocked.select("r_key", "e_key")
        .filter(kept)
        .with_columns(
            pl.Series("r_core", record_cores[kept], dtype=pl.String),
            pl.Series("e_core", entry_cores[kept], dtype=pl.String),
            pl.Series("ratio", ratio[kept], dtype=pl.Float64),
        )
        .with_columns((pl.col("ratio") / 100 * NAME_ONLY_COMPANY_MAX_SCORE).alias("score"))
    )
    log.debug("company cores: %d blocked pairs, %d kept", blocked.height, scored.height)
    con.register(COMPANY_PAIRS_RELATION, scored.to_arrow())
    return scored.height
