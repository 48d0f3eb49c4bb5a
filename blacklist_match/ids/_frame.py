"""The batch engine behind :func:`.classify.classify_expr`.

Rows are split by their cleaned shape (placeholder, mask, 18, 15, 9 characters, other)
and each group only computes the checks its branch of :func:`.classify.classify` needs,
with column operations; intermediate columns are materialised once. The groups are then
put back in row order. The branch logic mirrors ``classify`` line by line.
"""

from __future__ import annotations

from typing import Final

import polars as pl

from blacklist_match.ids import _clean, masked_id, org_code, reg_no, resident_id, uscc
from blacklist_match.ids.classify import (
    ALNUM9_RE,
    ALNUM15_RE,
    ALNUM18_RE,
    ALNUM_RE,
    DIGITS15_RE,
    DIGITS_X_RE,
    EMPTY,
    LETTERS3_RE,
    OLD_FOREIGN_RE,
    PERSON18_RE,
    PERSON_LIKE_RE,
)
from blacklist_match.schema import ID_ALT_KIND, ID_ALT_NORM, ID_KIND, ID_NORM, ID_PROBLEM, IdKind

RESULT_FIELDS: Final = (ID_KIND, ID_NORM, ID_PROBLEM, ID_ALT_KIND, ID_ALT_NORM)
RESULT_DTYPE: Final = pl.Struct({name: pl.String for name in RESULT_FIELDS})

_ROW: Final = "__row"
_N: Final = "__number"
_SUBJECT: Final = "__subject"
_NULL: Final = pl.lit(None, dtype=pl.String)

N = pl.col(_N)


def _lit(item: str | IdKind | None) -> pl.Expr:
    return _NULL if item is None else pl.lit(str(item), dtype=pl.String)


def _out(
    frame: pl.DataFrame,
    kind: str | IdKind | pl.Expr,
    value: pl.Expr | None,
    problem: str | pl.Expr | None,
    alt_kind: str | IdKind | None = None,
    alt_value: pl.Expr | None = None,
) -> pl.DataFrame:
    def as_expr(item: str | IdKind | pl.Expr | None) -> pl.Expr:
        return item if isinstance(item, pl.Expr) else _lit(item)

    return frame.select(
        pl.col(_ROW),
        as_expr(kind).alias(ID_KIND),
        as_expr(value).alias(ID_NORM),
        as_expr(problem).alias(ID_PROBLEM),
        as_expr(alt_kind).alias(ID_ALT_KIND),
        as_expr(alt_value).alias(ID_ALT_NORM),
    )


def _with(frame: pl.DataFrame, **columns: pl.Expr) -> pl.DataFrame:
    """``with_columns`` through the lazy engine, so repeated sub-expressions run once."""
    return frame.lazy().with_columns(**columns).collect()


def _valid_or_problem(frame: pl.DataFrame, kind: IdKind, problem: str) -> pl.DataFrame:
    """Value is the (already computed) canonical column ``value`` where ``problem`` is null."""
    return _out(
        frame, kind, pl.when(pl.col(problem).is_null()).then(pl.col("value")), pl.col(problem)
    )


def _masked(frame: pl.DataFrame) -> pl.DataFrame:
    frame = frame.with_columns(problem=masked_id.problem_expr(N)).with_columns(
        value=pl.concat_str([N.str.slice(0, 10), N.str.slice(-8, 8)])
    )
    return _valid_or_problem(frame, IdKind.MASKED_RESIDENT_ID, "problem")


def _eighteen(frame: pl.DataFrame) -> list[pl.DataFrame]:
    frame = frame.with_columns(alnum=N.str.contains(ALNUM18_RE))
    parts = [_out(frame.filter(~pl.col("alnum")), IdKind.UNKNOWN, None, "format")]
    frame = frame.filter(pl.col("alnum"))
    first = N.str.slice(0, 1)
    frame = frame.with_columns(
        person_kind=pl.when(N.str.slice(0, 6).is_in(resident_id.PERMIT_PREFIXES))
        .then(_lit(IdKind.RESIDENCE_PERMIT))
        .when(first == "9")
        .then(_lit(IdKind.FOREIGN_PR))
        .otherwise(_lit(IdKind.RESIDENT_ID)),
        digits=N.str.contains(PERSON18_RE),
        person_like=N.str.contains(PERSON_LIKE_RE),
    )
    component_ok = (pl.col("person_kind") != IdKind.RESIDENT_ID.value) | (
        (first >= "1") & (first <= "8")
    )
    frame = _with(frame, person_problem=resident_id.person18_problem_expr(N, component_ok))
    frame = frame.with_columns(person_ok=pl.col("digits") & pl.col("person_problem").is_null())
    parts.append(_out(frame.filter(pl.col("person_ok")), pl.col("person_kind"), N, None))
    frame = _with(frame.filter(~pl.col("person_ok")), uscc_problem=uscc.problem_expr(N))
    usable = pl.col("uscc_problem").is_null()
    parts.append(_out(frame.filter(usable), IdKind.USCC, N, None))
    frame = frame.filter(~usable)
    like = pl.col("person_like")
    parts.append(_out(frame.filter(like), pl.col("person_kind"), None, pl.col("person_problem")))
    parts.append(_out(frame.filter(~like), IdKind.USCC, None, pl.col("uscc_problem")))
    return parts


def _fifteen(frame: pl.DataFrame) -> list[pl.DataFrame]:
    frame = frame.with_columns(
        old_foreign=N.str.contains(OLD_FOREIGN_RE),
        digits=N.str.contains(DIGITS15_RE),
        is_person=(pl.col(_SUBJECT) == "person").fill_null(False),
        is_entity=(pl.col(_SUBJECT) == "entity").fill_null(False),
    )
    parts = [_out(frame.filter(pl.col("old_foreign")), IdKind.FOREIGN_PR, N, None)]
    digits = _with(
        frame.filter(pl.col("digits")),
        old_problem=resident_id.problem_expr(N),
        reg_problem=reg_no.problem_expr(N),
        upgraded=resident_id.upgrade_expr(N),
    )
    old_ok, reg_ok = pl.col("old_problem").is_null(), pl.col("reg_problem").is_null()
    person, entity = pl.col("is_person"), pl.col("is_entity")
    undecided = ~person & ~entity
    upgraded = pl.col("upgraded")
    parts += [
        _out(
            digits.filter(person),
            IdKind.RESIDENT_ID,
            pl.when(old_ok).then(upgraded),
            pl.col("old_problem"),
        ),
        _out(digits.filter(entity), IdKind.REG_NO, pl.when(reg_ok).then(N), pl.col("reg_problem")),
        _out(
            digits.filter(undecided & old_ok & reg_ok),
            IdKind.RESIDENT_ID,
            upgraded,
            None,
            IdKind.REG_NO,
            N,
        ),
        _out(digits.filter(undecided & old_ok & ~reg_ok), IdKind.RESIDENT_ID, upgraded, None),
        _out(
            digits.filter(undecided & ~old_ok),
            IdKind.REG_NO,
            pl.when(reg_ok).then(N),
            pl.col("reg_problem"),
        ),
    ]
    other = frame.filter(~pl.col("old_foreign") & ~pl.col("digits")).with_columns(
        alnum=N.str.contains(ALNUM15_RE), letters=N.str.contains(LETTERS3_RE)
    )
    alnum, letters = pl.col("alnum"), pl.col("letters")
    parts += [
        _out(other.filter(~alnum), IdKind.UNKNOWN, None, "format"),
        _out(other.filter(alnum & letters), IdKind.FOREIGN_PR, None, "format"),
        _out(
            other.filter(alnum & ~letters),
            pl.when(pl.col("is_person"))
            .then(_lit(IdKind.RESIDENT_ID))
            .otherwise(_lit(IdKind.REG_NO)),
            None,
            "format",
        ),
    ]
    return parts


def _nine(frame: pl.DataFrame) -> list[pl.DataFrame]:
    alnum = N.str.contains(ALNUM9_RE)
    codes = frame.filter(alnum).with_columns(problem=org_code.problem_expr(N), value=N)
    return [
        _out(frame.filter(~alnum), IdKind.UNKNOWN, None, "format"),
        _valid_or_problem(codes, IdKind.ORG_CODE, "problem"),
    ]


def _other_length(frame: pl.DataFrame) -> pl.DataFrame:
    length = N.str.len_chars()
    kind = (
        pl.when(~N.str.contains(ALNUM_RE))
        .then(_lit(IdKind.UNKNOWN))
        .when(length.is_between(7, 11))
        .then(_lit(IdKind.ORG_CODE))
        .when(length.is_between(12, 14))
        .then(
            pl.when((pl.col(_SUBJECT) == "person").fill_null(False))
            .then(_lit(IdKind.RESIDENT_ID))
            .otherwise(_lit(IdKind.REG_NO))
        )
        .when(length.is_between(16, 21) & N.str.contains(DIGITS_X_RE))
        .then(_lit(IdKind.RESIDENT_ID))
        .when(length.is_between(16, 21))
        .then(_lit(IdKind.USCC))
        .otherwise(_lit(IdKind.UNKNOWN))
    )
    problem = pl.when(N.str.contains(ALNUM_RE)).then(_lit("length")).otherwise(_lit("format"))
    return _out(frame, kind, None, problem)


def classify_series(numbers: pl.Series, subject_type: pl.Series | None = None) -> pl.Series:
    """Classify a Series of raw identifiers; returns a Struct Series (RESULT_DTYPE)."""
    height = len(numbers)
    subject = (
        pl.Series(_SUBJECT, [None] * height, dtype=pl.String)
        if subject_type is None
        else subject_type.cast(pl.String).alias(_SUBJECT)
    )
    frame = pl.DataFrame(
        {_ROW: pl.int_range(height, dtype=pl.UInt32, eager=True), _N: numbers, _SUBJECT: subject}
    )
    frame = frame.with_columns(pl.col(_N).map_batches(_clean._compact_series)).with_columns(
        placeholder=_clean.is_placeholder_expr(N),
        star=N.str.contains("*", literal=True),
        length=N.str.len_chars(),
    )
    placeholder, star, length = pl.col("placeholder"), pl.col("star"), pl.col("length")
    parts = [
        _out(frame.filter(placeholder), IdKind.UNKNOWN, None, EMPTY),
        _masked(frame.filter(~placeholder & star)),
    ]
    frame = frame.filter(~placeholder & ~star)
    parts += _eighteen(frame.filter(length == 18))
    parts += _fifteen(frame.filter(length == 15))
    parts += _nine(frame.filter(length == 9))
    parts.append(_other_length(frame.filter(~length.is_in([9, 15, 18]))))
    result = pl.concat(parts, how="vertical").sort(_ROW)
    return result.select(pl.struct(RESULT_FIELDS).alias(numbers.name)).to_series()
