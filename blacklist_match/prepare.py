"""Key every frame once: classify identifiers, build name keys, place entries in time.

This is the step between reading and storing (DESIGN.md section 2, "normalise"): it adds
``id_kind``, ``id_norm``, ``id_problem``, the alternative reading of ambiguous 15-digit
numbers, the organisation-code cross-walk key, the masked-ID blocking key and name keys,
all as column expressions over whole frames.
"""

from __future__ import annotations

from typing import Final

import polars as pl

from blacklist_match import schema as S
from blacklist_match.ids import classify_expr, crosswalk_key_expr, mask_key_expr
from blacklist_match.io.court_list import CASE_KEY
from blacklist_match.io.normalise import nfkc
from blacklist_match.names import company_key_expr, person_key_expr, person_key_nodot_expr
from blacklist_match.subject import ENTITY_NAME_PATTERN, ORGANISATION_FORM_PATTERN

PERSON: Final = S.SubjectType.PERSON.value
ENTITY: Final = S.SubjectType.ENTITY.value


_PERSON_KINDS: Final = [k.value for k in S.PERSON_ID_KINDS]
_ENTITY_KINDS: Final = [k.value for k in S.ENTITY_ID_KINDS]
_IS_ENTITY: Final = "__is_entity"
_COMPANY: Final = "__company"


def _type_from_kind(kind: pl.Expr) -> pl.Expr:
    return (
        pl.when(kind.is_in(_PERSON_KINDS))
        .then(pl.lit(PERSON))
        .when(kind.is_in(_ENTITY_KINDS))
        .then(pl.lit(ENTITY))
    )


def _type_from_name(name: pl.Expr) -> pl.Expr:
    return pl.when(nfkc(name).str.contains(ENTITY_NAME_PATTERN)).then(pl.lit(ENTITY))


def _organisation_form(name: pl.Expr) -> pl.Expr:
    return nfkc(name).str.contains(ORGANISATION_FORM_PATTERN)


def _with_ids(
    frame: pl.LazyFrame, id_column: str, hint: pl.Expr | None, organisation: pl.Expr
) -> pl.LazyFrame:
    """Classify the identifiers (read with ``hint``); a number with two valid readings, a
    person's old ID first and a registration number second (``370102000123453``), is read
    as the registration number where ``hint`` is empty and ``organisation`` holds (the name
    ends in a form only an organisation's has: ``…有限公司``, not ``…社``). The name only
    chooses between valid readings: a number valid for one type alone keeps that reading
    whatever the name says."""
    classified = classify_expr(pl.col(id_column), hint)
    swap = (
        (hint.is_null() if hint is not None else pl.lit(True))
        & organisation
        & pl.col(S.ID_KIND).is_in(_PERSON_KINDS)
        & pl.col(S.ID_ALT_KIND).is_in(_ENTITY_KINDS)
    ).fill_null(False)
    readings = (S.ID_KIND, S.ID_NORM, S.ID_ALT_KIND, S.ID_ALT_NORM)
    swapped = dict(zip(readings, (S.ID_ALT_KIND, S.ID_ALT_NORM, S.ID_KIND, S.ID_NORM), strict=True))
    return (
        frame.with_columns(classified.alias("__id"))
        .unnest("__id")
        .with_columns(
            pl.when(swap).then(pl.col(swapped[c])).otherwise(pl.col(c)).alias(c) for c in readings
        )
        .with_columns(
            crosswalk_key_expr(pl.col(S.ID_KIND), pl.col(S.ID_NORM)).alias(S.ORG_CODE_KEY),
            mask_key_expr(pl.col(S.ID_KIND), pl.col(S.ID_NORM)).alias(S.MASK_KEY),
        )
    )


def _with_name_keys(frame: pl.LazyFrame, name_column: str, type_column: str) -> pl.LazyFrame:
    """Person keys for persons, company keys for entities, once per distinct name and type.

    Names repeat (namesakes, a debtor with several cases: a million list rows hold about
    a fifth as many names), so the keys are computed on the distinct pairs and joined
    back in row order. The company key is several times dearer than the person key, so
    each is computed only for its own type, and the two run side by side (``collect_all``:
    each is mostly one thread's work). The frame is collected here: joining only the
    two key columns and adding them beside the rest costs a tenth of joining every column.
    """
    table = frame.collect()
    pairs = table.select(
        name_column, (pl.col(type_column) == ENTITY).fill_null(False).alias(_IS_ENTITY)
    )
    distinct = pairs.unique().lazy()
    entities = (
        distinct.filter(pl.col(_IS_ENTITY))
        .with_columns(company_key_expr(pl.col(name_column)).alias(_COMPANY))
        .unnest(_COMPANY)  # a struct computed once; two struct.field calls compute it twice
        .select(name_column, _IS_ENTITY, S.NAME_KEY, S.NAME_CORE)
    )
    persons = distinct.filter(~pl.col(_IS_ENTITY)).with_columns(
        person_key_expr(pl.col(name_column)).alias(S.NAME_KEY),
        person_key_nodot_expr(pl.col(name_column)).alias(S.NAME_CORE),
    )
    keys = pairs.join(
        pl.concat(pl.collect_all([persons, entities]), how="vertical"),
        on=[name_column, _IS_ENTITY],
        how="left",
        nulls_equal=True,
        maintain_order="left",
    )
    return table.with_columns(keys[S.NAME_KEY], keys[S.NAME_CORE]).lazy()


def key_entries(entries: pl.LazyFrame) -> pl.LazyFrame:
    """Add identity keys, ``debtor_type``, ``entry_id`` and ``listed_from`` to list entries.

    The debtor type comes from the identifier kind, else from the fields the publication
    fills only for one type (legal representative: entity; sex or age: person), else from
    the name's ending. The same fields are the hint the identifier is read with, and the
    name chooses between two valid readings (:func:`_with_ids`). ``entry_id`` is stable
    across loads: case key and debtor identity.
    """
    hint = (
        pl.when(pl.col(S.LEGAL_REP).is_not_null())
        .then(pl.lit(ENTITY))
        .when(pl.col(S.GENDER).is_not_null() | pl.col(S.AGE).is_not_null())
        .then(pl.lit(PERSON))
    )
    keyed = _with_ids(entries, S.ID_NUMBER, hint, _organisation_form(pl.col(S.NAME))).with_columns(
        pl.coalesce(
            _type_from_kind(pl.col(S.ID_KIND)),
            hint,
            _type_from_name(pl.col(S.NAME)),
            pl.lit(PERSON),
        ).alias(S.DEBTOR_TYPE)
    )
    keyed = _with_name_keys(keyed, S.NAME, S.DEBTOR_TYPE)
    return keyed.with_columns(
        pl.concat_str(
            pl.col(CASE_KEY),
            pl.lit("|"),
            pl.coalesce(
                S.ID_NORM,
                nfkc(pl.when(pl.col(S.ID_NORM).is_null()).then(pl.col(S.ID_NUMBER))),
                S.NAME_KEY,
            ),
        ).alias(S.ENTRY_ID),
        pl.coalesce(S.PUBLISHED_ON, S.FILED_ON).alias(S.LISTED_FROM),
    )


def key_records(records: pl.LazyFrame) -> pl.LazyFrame:
    """Add identity keys to agency records and fill an empty ``subject_type`` from the ID
    (read with the given type as its hint; the name chooses between two valid readings)."""
    keyed = _with_ids(
        records, S.SUBJECT_ID, pl.col(S.SUBJECT_TYPE), _organisation_form(pl.col(S.SUBJECT_NAME))
    )
    keyed = keyed.with_columns(
        pl.coalesce(
            S.SUBJECT_TYPE,
            _type_from_kind(pl.col(S.ID_KIND)),
            _type_from_name(pl.col(S.SUBJECT_NAME)),
            pl.lit(PERSON),
        ).alias(S.SUBJECT_TYPE)
    )
    return _with_name_keys(keyed, S.SUBJECT_NAME, S.SUBJECT_TYPE)


def key_officers(officers: pl.LazyFrame) -> pl.LazyFrame:
    """Key the registry's entity and person identifiers (``entity_*`` and ``person_*``)."""
    entity = classify_expr(pl.col(S.ENTITY_ID), pl.lit(ENTITY))
    person = classify_expr(pl.col(S.PERSON_ID), pl.lit(PERSON))
    return officers.with_columns(
        entity.struct.field(S.ID_KIND).alias("entity_id_kind"),
        entity.struct.field(S.ID_NORM).alias("entity_id_norm"),
        person.struct.field(S.ID_KIND).alias("person_id_kind"),
        person.struct.field(S.ID_NORM).alias("person_id_norm"),
        person_key_expr(pl.col(S.PERSON_NAME)).alias("person_name_key"),
    ).with_columns(
        crosswalk_key_expr(pl.col("entity_id_kind"), pl.col("entity_id_norm")).alias(
            "entity_org_code_key"
        ),
        mask_key_expr(pl.col("person_id_kind"), pl.col("person_id_norm")).alias("person_mask_key"),
    )
