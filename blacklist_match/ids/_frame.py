"""The batch engine behind :func:`.classify.classify_expr`.

Rows are split by their cleaned shape (placeholder, mask, 18, 15, 9 characters, other);
each group is a lazy query whose ``when``/``then`` chains mirror the matching branch of
:func:`.classify.classify` line by line, so a group only computes the checks its branch
needs (shared sub-expressions once, thanks to the lazy engine); 18-character values only
get the USCC check when the person reading fails. Kinds and problems travel as UInt8
codes and are named at the end; the group results are put back in row order with an
inverse permutation (no sort).

This module imports Polars; :mod:`.classify` imports it only inside ``classify_expr``.
"""

from __future__ import annotations

from typing import Final

import polars as pl

from blacklist_match.ids import _clean, _codes, masked_id, org_code, reg_no, resident_id, uscc
from blacklist_match.ids.classify import (
    ALNUM9_RE,
    ALNUM15_RE,
    ALNUM18_RE,
    ALNUM_RE,
    DIGITS_X_RE,
    LETTERS3_RE,
    OLD_FOREIGN_RE,
    PERSON_LIKE_RE,
)
from blacklist_match.schema import ID_ALT_KIND, ID_ALT_NORM, ID_KIND, ID_NORM, ID_PROBLEM, IdKind

RESULT_FIELDS: Final = (ID_KIND, ID_NORM, ID_PROBLEM, ID_ALT_KIND, ID_ALT_NORM)
RESULT_DTYPE: Final = pl.Struct({name: pl.String for name in RESULT_FIELDS})

_ROW: Final = "__row"
_N: Final = "__number"
_SUBJECT: Final = "__subject"
_GROUP: Final = "__group"
_NULL: Final = pl.lit(None, dtype=pl.String)
_NO_KIND: Final = pl.lit(None, dtype=pl.UInt8)
_KINDS: Final = tuple(kind.value for kind in IdKind)

N = pl.col(_N)

_PLACEHOLDER, _MASK, _LEN18, _LEN15, _LEN9, _OTHER = range(6)


def _kind(kind: IdKind) -> pl.Expr:
    return pl.lit(_KINDS.index(kind.value), dtype=pl.UInt8)


_problem = _codes.problem


def _result(
    frame: pl.LazyFrame,
    kind: pl.Expr,
    value: pl.Expr,
    problem: pl.Expr,
    alt_kind: pl.Expr = _NO_KIND,
    alt_value: pl.Expr = _NULL,
) -> pl.LazyFrame:
    return frame.select(
        pl.col(_ROW),
        kind.alias(ID_KIND),
        value.alias(ID_NORM),
        problem.alias(ID_PROBLEM),
        alt_kind.alias(ID_ALT_KIND),
        alt_value.alias(ID_ALT_NORM),
    )


def _is_subject(subject: str, has_subject: bool) -> pl.Expr:
    if not has_subject:
        return pl.lit(False)
    return (pl.col(_SUBJECT) == subject).fill_null(False)


def _placeholders(frame: pl.DataFrame) -> list[pl.LazyFrame]:
    return [_result(frame.lazy(), _kind(IdKind.UNKNOWN), _NULL, _problem("empty"))]


def _x_masks(frame: pl.DataFrame) -> tuple[pl.DataFrame, list[pl.LazyFrame]]:
    """Split off the masks written with ``XXXX`` (:func:`.masked_id.stars`): the rest of
    ``frame``, and the masks' results."""
    is_x_mask = frame.select(N.str.contains(masked_id.X_MASK_RE_EXPR)).to_series()
    if not is_x_mask.any():
        return frame, []
    masks = frame.filter(is_x_mask).with_columns(masked_id.stars_expr(N))
    return frame.filter(~is_x_mask), _masked(masks)


def _masked(frame: pl.DataFrame) -> list[pl.LazyFrame]:
    checked = frame.lazy().with_columns(problem=masked_id.problem_code_expr(N))
    problem = pl.col("problem")
    value = pl.when(problem.is_null()).then(pl.concat_str([N.str.slice(0, 10), N.str.slice(-8, 8)]))
    return [_result(checked, _kind(IdKind.MASKED_RESIDENT_ID), value, problem)]


def _eighteen(frame: pl.DataFrame, has_subject: bool) -> list[pl.LazyFrame]:
    first = _codes.code_at(N, 18, 0)
    permit = pl.any_horizontal(N.str.starts_with(prefix) for prefix in resident_id.PERMIT_PREFIXES)
    person_kind = (
        pl.when(permit)
        .then(_kind(IdKind.RESIDENCE_PERMIT))
        .when(first == ord("9"))
        .then(_kind(IdKind.FOREIGN_PR))
        .otherwise(_kind(IdKind.RESIDENT_ID))
    )
    component_ok = permit | first.is_between(ord("1"), ord("9"))  # 9: foreign PR, 1-8: resident
    frame = (
        frame.lazy()
        .with_columns(
            person_kind=person_kind,
            person_problem=resident_id.person18_problem_code(N, component_ok),
        )
        .collect()
    )
    kind, person_problem = pl.col("person_kind"), pl.col("person_problem")
    person_ok = person_problem.is_null()
    valid_person = frame.lazy().filter(person_ok)
    if has_subject:  # an entity's number valid both ways (all digits) is read as a USCC
        valid_person = valid_person.with_columns(
            person_kind=pl.when(
                _is_subject("entity", has_subject)
                & uscc.problem_code_from_sums(N, uscc.symbol_sums_expr(N)).is_null()
            )
            .then(_kind(IdKind.USCC))
            .otherwise(kind)
        )
    parts = [_result(valid_person, kind, N, _codes.no_problem())]
    rest_frame, masks = _x_masks(frame.filter(~person_ok))
    parts.extend(masks)
    rest = rest_frame.lazy()
    rest = rest.with_columns(
        alnum=N.str.contains(ALNUM18_RE),
        person_like=N.str.contains(PERSON_LIKE_RE),
        uscc_sums=uscc.symbol_sums_expr(N),
    ).with_columns(uscc_problem=uscc.problem_code_from_sums(N, pl.col("uscc_sums")))
    alnum, like, uscc_problem = pl.col("alnum"), pl.col("person_like"), pl.col("uscc_problem")
    uscc_ok = uscc_problem.is_null()
    kind = (
        pl.when(~alnum)
        .then(_kind(IdKind.UNKNOWN))
        .when(uscc_ok | ~like)
        .then(_kind(IdKind.USCC))
        .otherwise(kind)
    )
    problem = (
        pl.when(~alnum)
        .then(_problem("format"))
        .when(uscc_ok)
        .then(_codes.no_problem())
        .when(like)
        .then(person_problem)
        .otherwise(uscc_problem)
    )
    parts.append(_result(rest, kind, pl.when(alnum & uscc_ok).then(N), problem))
    return parts


def _fifteen(frame: pl.DataFrame, has_subject: bool) -> list[pl.LazyFrame]:
    checked = frame.lazy().with_columns(
        old_foreign=N.str.contains(OLD_FOREIGN_RE),
        digits=N.str.contains(resident_id.OLD15_RE_EXPR),
        alnum=N.str.contains(ALNUM15_RE),
        letters=N.str.contains(LETTERS3_RE),
        old_problem=resident_id.old_problem_code(N),
        reg_problem=reg_no.problem_code_expr(N),
        upgraded=resident_id.upgrade_expr(N),
    )
    old_foreign, digits = pl.col("old_foreign"), pl.col("digits")
    alnum, letters = pl.col("alnum"), pl.col("letters")
    person, entity = _is_subject("person", has_subject), _is_subject("entity", has_subject)
    old_problem, reg_problem = pl.col("old_problem"), pl.col("reg_problem")
    old_ok, reg_ok = old_problem.is_null(), reg_problem.is_null()
    # 15 digits read as an old resident ID (person, or undecided and valid as one) or as
    # a registration number (entity, or undecided and not a valid old ID)
    as_person = digits & (person | (~entity & old_ok))
    as_entity = digits & ~as_person
    kind = (
        pl.when(old_foreign)
        .then(_kind(IdKind.FOREIGN_PR))
        .when(as_person)
        .then(_kind(IdKind.RESIDENT_ID))
        .when(as_entity)
        .then(_kind(IdKind.REG_NO))
        .when(~alnum)
        .then(_kind(IdKind.UNKNOWN))
        .when(letters)
        .then(_kind(IdKind.FOREIGN_PR))
        .when(person)
        .then(_kind(IdKind.RESIDENT_ID))
        .otherwise(_kind(IdKind.REG_NO))
    )
    value = (
        pl.when(old_foreign | (as_entity & reg_ok))
        .then(N)
        .when(as_person & old_ok)
        .then(pl.col("upgraded"))
        .otherwise(_NULL)
    )
    problem = (
        pl.when(old_foreign)
        .then(_codes.no_problem())
        .when(as_person)
        .then(old_problem)
        .when(as_entity)
        .then(reg_problem)
        .otherwise(_problem("format"))
    )
    both = digits & ~person & ~entity & old_ok & reg_ok
    alt_kind = pl.when(both).then(_kind(IdKind.REG_NO))
    alt_value = pl.when(both).then(N)
    return [_result(checked, kind, value, problem, alt_kind, alt_value)]


def _nine(frame: pl.DataFrame) -> list[pl.LazyFrame]:
    checked = frame.lazy().with_columns(
        alnum=N.str.contains(ALNUM9_RE), problem=org_code.problem_code_expr(N)
    )
    alnum, problem = pl.col("alnum"), pl.col("problem")
    kind = pl.when(alnum).then(_kind(IdKind.ORG_CODE)).otherwise(_kind(IdKind.UNKNOWN))
    value = pl.when(alnum & problem.is_null()).then(N)
    return [
        _result(checked, kind, value, pl.when(alnum).then(problem).otherwise(_problem("format")))
    ]


def _other_length(frame: pl.DataFrame, has_subject: bool) -> list[pl.LazyFrame]:
    frame, masks = _x_masks(frame)
    length = N.str.len_chars()
    alnum = N.str.contains(ALNUM_RE)
    kind = (
        pl.when(~alnum)
        .then(_kind(IdKind.UNKNOWN))
        .when(length.is_between(7, 11))
        .then(_kind(IdKind.ORG_CODE))
        .when(length.is_between(12, 14))
        .then(
            pl.when(_is_subject("person", has_subject))
            .then(_kind(IdKind.RESIDENT_ID))
            .otherwise(_kind(IdKind.REG_NO))
        )
        .when(length.is_between(16, 21) & N.str.contains(DIGITS_X_RE))
        .then(_kind(IdKind.RESIDENT_ID))
        .when(length.is_between(16, 21))
        .then(_kind(IdKind.USCC))
        .otherwise(_kind(IdKind.UNKNOWN))
    )
    problem = pl.when(alnum).then(_problem("length")).otherwise(_problem("format"))
    return [_result(frame.lazy(), kind, _NULL, problem), *masks]


def _group_expr() -> pl.Expr:
    length = N.str.len_chars()
    return (
        pl.when(_clean.is_placeholder_expr(N))
        .then(_PLACEHOLDER)
        .when(N.str.contains("*", literal=True))
        .then(_MASK)
        .when(length == 18)
        .then(_LEN18)
        .when(length == 15)
        .then(_LEN15)
        .when(length == 9)
        .then(_LEN9)
        .otherwise(_OTHER)
        .cast(pl.UInt8)
    )


def _plain_group_expr() -> pl.Expr:
    """:func:`_group_expr` for values made only of ``0-9A-Z``: already clean, ASCII, no
    ``*`` and only placeholders from the list (``0``, ``NULL``, ``''``...)."""
    length = N.str.len_bytes()
    return (
        pl.when(length == 18)
        .then(_LEN18)
        .when(length == 15)
        .then(_LEN15)
        .when(length == 9)
        .then(_LEN9)
        .when(N.is_in(sorted(_clean.PLACEHOLDERS)))
        .then(_PLACEHOLDER)
        .otherwise(_OTHER)
        .cast(pl.UInt8)
    )


def _grouped(frame: pl.DataFrame) -> pl.DataFrame:
    """Clean the values and add the group column. Values made only of ``0-9A-Z`` (most of
    them) skip cleaning and the placeholder and mask tests."""
    special = pl.col(_N).str.contains(_PLAIN_RE).fill_null(True)
    frame = frame.with_columns(special.alias(_GROUP))
    plain = frame.filter(~pl.col(_GROUP)).with_columns(_plain_group_expr().alias(_GROUP))
    odd = frame.filter(pl.col(_GROUP))
    odd = odd.with_columns(pl.col(_N).map_batches(_clean._compact_series, pl.String))
    return pl.concat([plain, odd.with_columns(_group_expr().alias(_GROUP))])


_PLAIN_RE: Final = "[^0-9A-Z]"
"""A value without a match is plain: made only of ``0-9A-Z`` (see :func:`_grouped`)."""


def classify_series(numbers: pl.Series, subject_type: pl.Series | None = None) -> pl.Series:
    """Classify a Series of raw identifiers; returns a Struct Series (RESULT_DTYPE)."""
    height = len(numbers)
    rows = pl.int_range(height, dtype=pl.UInt32, eager=True)
    columns = {_ROW: rows, _N: numbers.cast(pl.String)}
    has_subject = subject_type is not None
    if subject_type is not None:
        columns[_SUBJECT] = subject_type.cast(pl.String)
    frame = _grouped(pl.DataFrame(columns))
    builders = {
        _PLACEHOLDER: _placeholders,
        _MASK: _masked,
        _LEN18: lambda part: _eighteen(part, has_subject),
        _LEN15: lambda part: _fifteen(part, has_subject),
        _LEN9: _nine,
        _OTHER: lambda part: _other_length(part, has_subject),
    }
    parts = [
        query
        for (key,), part in frame.partition_by(_GROUP, as_dict=True, include_key=False).items()
        for query in builders[key](part)
    ]
    if not parts:
        return pl.Series(numbers.name, [], dtype=RESULT_DTYPE)
    result = pl.concat(pl.collect_all(parts), how="vertical", rechunk=True)
    # result row i holds input row result[_ROW][i]: gather by the inverse permutation
    order = pl.zeros(height, dtype=pl.UInt32, eager=True).scatter(result[_ROW], rows)
    return (
        result.select(pl.exclude(_ROW).gather(order))
        .select(
            pl.struct(
                _codes.char_of(pl.col(ID_KIND), _KINDS).alias(ID_KIND),
                pl.col(ID_NORM),
                _codes.problem_names(pl.col(ID_PROBLEM)).alias(ID_PROBLEM),
                _codes.char_of(pl.col(ID_ALT_KIND), _KINDS).alias(ID_ALT_KIND),
                pl.col(ID_ALT_NORM),
            ).alias(numbers.name)
        )
        .to_series()
    )
