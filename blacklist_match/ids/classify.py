"""Classify a raw identifier: what kind it is, its canonical value, or what is wrong.

:func:`classify` (scalar) and :func:`classify_expr` (Polars, vectorised) give exactly the
same answer on every input. The decision, on the cleaned text ``c`` (:mod:`._clean`):

1. ``None``, ``''``, ``暂无``, ``--``, ``***`` and other placeholders: ``unknown``/``empty``.
2. ``c`` contains ``*``: ``masked_resident_id`` (18-character mask or the 19-character
   aggregator form).
3. 18 characters, 17 digits + digit/X: the person reading by prefix (``810000``/``820000``/
   ``830000`` residence permit, ``9`` foreign PR, else resident ID); if that fails, USCC
   (``121200004013590816`` is one); if both fail, the person reading when positions 7-14
   look like a date (``18``/``19``/``20``, month ``0x``/``1x``, day ``0x``-``3x``),
   else USCC. 18 characters over ``0-9A-Z``: USCC, except that a person-like string
   with a letter in front (``T60426199101010078``) is a resident ID with a format error.
4. 15 characters: ``AAA`` + 12 digits is an old foreign PR card; 15 digits are ambiguous
   (old resident ID or business registration number): ``subject_type`` ``'person'`` or
   ``'entity'`` picks the reading; otherwise every reading whose checks pass is kept
   (resident ID first, registration number as ``alt``), and if none passes it is a
   ``reg_no`` with a checksum problem (an old ID has no check digit, only a date).
5. 9 characters: organisation code (GB 11714).
6. Other lengths are a ``length`` problem of the nearest kind (7-11 org code, 12-14
   registration number or resident ID for a person, 16-21 resident ID if digits, else
   USCC); text that is not ``0-9A-Z`` after cleaning is ``unknown``/``format``.

>>> classify('91110000600037341L')
Classification(kind=<IdKind.USCC: 'uscc'>, value='91110000600037341L', problem=None, alt_kind=None, alt_value=None)
>>> classify('411702700422319')[:3]
(<IdKind.RESIDENT_ID: 'resident_id'>, '41170219700422319X', None)
>>> classify('110108000000016', 'person')[:3]
(<IdKind.RESIDENT_ID: 'resident_id'>, None, 'date')
>>> classify('4209021983****0482').value, classify('暂无').problem
('4209021983****0482', 'empty')
>>> classify('360426199113010079').problem, classify('60056316-5').kind.value
('date', 'org_code')
"""  # noqa: E501

from __future__ import annotations

import re
from typing import Final, NamedTuple

import polars as pl

from blacklist_match.errors import (
    InvalidChecksum,
    InvalidComponent,
    InvalidDate,
    InvalidFormat,
    InvalidIdentifier,
    InvalidLength,
)
from blacklist_match.ids import (
    _clean,
    foreign_pr,
    masked_id,
    org_code,
    reg_no,
    residence_permit,
    resident_id,
    uscc,
)
from blacklist_match.schema import ID_ALT_KIND, ID_ALT_NORM, ID_KIND, ID_NORM, ID_PROBLEM, IdKind

PROBLEM_CODES: Final[dict[type[InvalidIdentifier], str]] = {
    InvalidLength: "length",
    InvalidFormat: "format",
    InvalidChecksum: "checksum",
    InvalidDate: "date",
    InvalidComponent: "component",
}
"""Exception class -> the problem code in :attr:`Classification.problem`."""

EMPTY: Final = "empty"

_PERSON18_RE: Final = r"^[0-9]{17}[0-9X]$"
_ALNUM18_RE: Final = r"^[0-9A-Z]{18}$"
_PERSON_LIKE_RE: Final = r"^[0-9A-Z][0-9]{5}(18|19|20)[0-9]{2}[01][0-9][0-3][0-9][0-9]{3}[0-9X]$"
_OLD_FOREIGN_RE: Final = r"^[A-Z]{3}[0-9]{12}$"
_DIGITS15_RE: Final = r"^[0-9]{15}$"
_ALNUM15_RE: Final = r"^[0-9A-Z]{15}$"
_LETTERS3_RE: Final = r"^[A-Z]{3}"
_ALNUM9_RE: Final = r"^[0-9A-Z]{9}$"
_ALNUM_RE: Final = r"^[0-9A-Z]+$"
_DIGITS_X_RE: Final = r"^[0-9]+X?$"


class Classification(NamedTuple):
    """The kind of an identifier, its canonical value (None if invalid) and its problem."""

    kind: IdKind
    value: str | None
    problem: str | None
    """One of ``empty``, ``length``, ``format``, ``checksum``, ``date``, ``component``."""
    alt_kind: IdKind | None = None
    alt_value: str | None = None


def _reading(module: object, number: str) -> tuple[str | None, str | None]:
    """(canonical value, None) when ``module.validate`` accepts, else (None, problem)."""
    try:
        return module.validate(number), None  # type: ignore[attr-defined]
    except InvalidIdentifier as error:
        return None, PROBLEM_CODES[type(error)]


def _person_kind(number: str) -> IdKind:
    if number.startswith(resident_id.PERMIT_PREFIXES):
        return IdKind.RESIDENCE_PERMIT
    if number.startswith("9"):
        return IdKind.FOREIGN_PR
    return IdKind.RESIDENT_ID


_PERSON_MODULES: Final = {
    IdKind.RESIDENCE_PERMIT: residence_permit,
    IdKind.FOREIGN_PR: foreign_pr,
    IdKind.RESIDENT_ID: resident_id,
}


def _matches(pattern: str, number: str) -> bool:
    return re.search(pattern, number) is not None


def _classify18(number: str) -> Classification:
    if not _matches(_ALNUM18_RE, number):
        return Classification(IdKind.UNKNOWN, None, "format")
    person_kind = _person_kind(number)
    if _matches(_PERSON18_RE, number):
        value, problem = _reading(_PERSON_MODULES[person_kind], number)
        if problem is None:
            return Classification(person_kind, value, None)
    else:
        problem = _reading(_PERSON_MODULES[person_kind], number)[1]
    uscc_value, uscc_problem = _reading(uscc, number)
    if uscc_problem is None:
        return Classification(IdKind.USCC, uscc_value, None)
    if _matches(_PERSON_LIKE_RE, number):
        return Classification(person_kind, None, problem)
    return Classification(IdKind.USCC, None, uscc_problem)


def _classify15(number: str, subject_type: str | None) -> Classification:
    if _matches(_OLD_FOREIGN_RE, number):
        return Classification(IdKind.FOREIGN_PR, number, None)
    if _matches(_DIGITS15_RE, number):
        person_value, person_problem = _reading(resident_id, number)
        entity_value, entity_problem = _reading(reg_no, number)
        if subject_type == "person":
            return Classification(IdKind.RESIDENT_ID, person_value, person_problem)
        if subject_type == "entity":
            return Classification(IdKind.REG_NO, entity_value, entity_problem)
        if person_problem is None and entity_problem is None:
            return Classification(
                IdKind.RESIDENT_ID, person_value, None, IdKind.REG_NO, entity_value
            )
        if person_problem is None:
            return Classification(IdKind.RESIDENT_ID, person_value, None)
        return Classification(IdKind.REG_NO, entity_value, entity_problem)
    if not _matches(_ALNUM15_RE, number):
        return Classification(IdKind.UNKNOWN, None, "format")
    if _matches(_LETTERS3_RE, number):
        return Classification(IdKind.FOREIGN_PR, None, "format")
    if subject_type == "person":
        return Classification(IdKind.RESIDENT_ID, None, "format")
    return Classification(IdKind.REG_NO, None, "format")


def _classify_other_length(number: str, subject_type: str | None) -> Classification:
    if not _matches(_ALNUM_RE, number):
        return Classification(IdKind.UNKNOWN, None, "format")
    length = len(number)
    if 7 <= length <= 11:
        return Classification(IdKind.ORG_CODE, None, "length")
    if 12 <= length <= 14:
        kind = IdKind.RESIDENT_ID if subject_type == "person" else IdKind.REG_NO
        return Classification(kind, None, "length")
    if 16 <= length <= 21:
        kind = IdKind.RESIDENT_ID if _matches(_DIGITS_X_RE, number) else IdKind.USCC
        return Classification(kind, None, "length")
    return Classification(IdKind.UNKNOWN, None, "length")


def classify(text: object, subject_type: str | None = None) -> Classification:
    """Classify one raw identifier; never raises for bad input (see the module docstring).

    ``subject_type`` (``'person'`` / ``'entity'``, the SubjectType values) only decides
    between the two readings of a 15-digit number.
    """
    number = _clean.compact(text)
    if _clean.is_placeholder(number):
        return Classification(IdKind.UNKNOWN, None, EMPTY)
    if "*" in number:
        value, problem = _reading(masked_id, number)
        return Classification(IdKind.MASKED_RESIDENT_ID, value, problem)
    if len(number) == 18:
        return _classify18(number)
    if len(number) == 15:
        return _classify15(number, subject_type)
    if len(number) == 9:
        if not _matches(_ALNUM9_RE, number):
            return Classification(IdKind.UNKNOWN, None, "format")
        value, problem = _reading(org_code, number)
        return Classification(IdKind.ORG_CODE, value, problem)
    return _classify_other_length(number, subject_type)


def crosswalk_key(kind: str | None, value: str | None) -> str | None:
    """The organisation code of a USCC (positions 9-17) or an org code, else None."""
    if value is None:
        return None
    if kind == IdKind.USCC:
        return value[8:17]
    if kind == IdKind.ORG_CODE:
        return value
    return None


_MASK_KEY_KINDS: Final = (IdKind.RESIDENT_ID, IdKind.RESIDENCE_PERMIT, IdKind.FOREIGN_PR)


def mask_key(kind: str | None, value: str | None) -> str | None:
    """First 10 + last 4 characters of an 18-character person ID or mask, else None."""
    if value is None or len(value) != 18:
        return None
    if kind in _MASK_KEY_KINDS or kind == IdKind.MASKED_RESIDENT_ID:
        return value[:10] + value[14:]
    return None


# --- vectorised twins ---------------------------------------------------------------------

_NULL_STR: Final = pl.lit(None, dtype=pl.String)


def _result(
    kind: IdKind | pl.Expr,
    value: pl.Expr | None,
    problem: str | pl.Expr | None,
    alt_kind: IdKind | None = None,
    alt_value: pl.Expr | None = None,
) -> pl.Expr:
    def as_expr(item: str | pl.Expr | None) -> pl.Expr:
        if item is None:
            return _NULL_STR
        if isinstance(item, pl.Expr):
            return item
        return pl.lit(str(item), dtype=pl.String)

    return pl.struct(
        as_expr(kind).alias(ID_KIND),
        as_expr(value).alias(ID_NORM),
        as_expr(problem).alias(ID_PROBLEM),
        as_expr(alt_kind).alias(ID_ALT_KIND),
        as_expr(alt_value).alias(ID_ALT_NORM),
    )


def _valid_or_problem(kind: IdKind | pl.Expr, value: pl.Expr, problem: pl.Expr) -> pl.Expr:
    return _result(kind, pl.when(problem.is_null()).then(value), problem)


def classify_expr(expr: pl.Expr, subject_type: pl.Expr | str | None = None) -> pl.Expr:
    """Vectorised :func:`classify`: a Struct with fields ID_KIND, ID_NORM, ID_PROBLEM,
    ID_ALT_KIND, ID_ALT_NORM (kinds as IdKind string values). Never raises per row.

    >>> frame = pl.DataFrame({"id": ["60056316-5", "411702700422319", None]})
    >>> frame.select(classify_expr(pl.col("id"))).unnest("id").rows()
    [('org_code', '600563165', None, None, None), ('resident_id', '41170219700422319X', None, None, None), ('unknown', None, 'empty', None, None)]
    """  # noqa: E501
    number = _clean.compact_expr(expr)
    if subject_type is None:
        subject = _NULL_STR
    elif isinstance(subject_type, str):
        subject = pl.lit(subject_type, dtype=pl.String)
    else:
        subject = subject_type.cast(pl.String)
    is_person = (subject == "person").fill_null(False)
    is_entity = (subject == "entity").fill_null(False)
    length = number.str.len_chars()
    contains = number.str.contains

    # 18 characters: the person reading by prefix, then USCC.
    first = number.str.slice(0, 1)
    person_kind = (
        pl.when(number.str.slice(0, 6).is_in(resident_id.PERMIT_PREFIXES))
        .then(pl.lit(IdKind.RESIDENCE_PERMIT.value))
        .when(first == "9")
        .then(pl.lit(IdKind.FOREIGN_PR.value))
        .otherwise(pl.lit(IdKind.RESIDENT_ID.value))
    )
    person_component_ok = (person_kind != IdKind.RESIDENT_ID.value) | (
        (first >= "1") & (first <= "8")
    )
    person_problem = resident_id.person18_problem_expr(number, person_component_ok)
    uscc_problem = uscc.problem_expr(number)

    # 15 digits: old resident ID and/or registration number.
    old_problem = resident_id.problem_expr(number)
    old_value = resident_id.upgrade_expr(number)
    reg_problem = reg_no.problem_expr(number)

    masked_problem = masked_id.problem_expr(number)
    org_problem = org_code.problem_expr(number)
    subject_reading = pl.when(is_person).then(pl.lit(IdKind.RESIDENT_ID.value))
    other_length_kind = (
        pl.when(length.is_between(7, 11))
        .then(pl.lit(IdKind.ORG_CODE.value))
        .when(length.is_between(12, 14))
        .then(subject_reading.otherwise(pl.lit(IdKind.REG_NO.value)))
        .when(length.is_between(16, 21) & contains(_DIGITS_X_RE))
        .then(pl.lit(IdKind.RESIDENT_ID.value))
        .when(length.is_between(16, 21))
        .then(pl.lit(IdKind.USCC.value))
        .otherwise(pl.lit(IdKind.UNKNOWN.value))
    )

    return (
        pl.when(_clean.is_placeholder_expr(number))
        .then(_result(IdKind.UNKNOWN, None, EMPTY))
        .when(number.str.contains("*", literal=True))
        .then(
            _valid_or_problem(
                IdKind.MASKED_RESIDENT_ID, masked_id.canonical_expr(number), masked_problem
            )
        )
        # --- 18 characters
        .when((length == 18) & ~contains(_ALNUM18_RE))
        .then(_result(IdKind.UNKNOWN, None, "format"))
        .when((length == 18) & contains(_PERSON18_RE) & person_problem.is_null())
        .then(_result(person_kind, number, None))
        .when((length == 18) & uscc_problem.is_null())
        .then(_result(IdKind.USCC, number, None))
        .when((length == 18) & contains(_PERSON_LIKE_RE))
        .then(_result(person_kind, None, person_problem))
        .when(length == 18)
        .then(_result(IdKind.USCC, None, uscc_problem))
        # --- 15 characters
        .when((length == 15) & contains(_OLD_FOREIGN_RE))
        .then(_result(IdKind.FOREIGN_PR, number, None))
        .when((length == 15) & contains(_DIGITS15_RE) & is_person)
        .then(_valid_or_problem(IdKind.RESIDENT_ID, old_value, old_problem))
        .when((length == 15) & contains(_DIGITS15_RE) & is_entity)
        .then(_valid_or_problem(IdKind.REG_NO, number, reg_problem))
        .when(
            (length == 15)
            & contains(_DIGITS15_RE)
            & old_problem.is_null()
            & reg_problem.is_null()
        )
        .then(_result(IdKind.RESIDENT_ID, old_value, None, IdKind.REG_NO, number))
        .when((length == 15) & contains(_DIGITS15_RE) & old_problem.is_null())
        .then(_result(IdKind.RESIDENT_ID, old_value, None))
        .when((length == 15) & contains(_DIGITS15_RE))
        .then(_valid_or_problem(IdKind.REG_NO, number, reg_problem))
        .when((length == 15) & ~contains(_ALNUM15_RE))
        .then(_result(IdKind.UNKNOWN, None, "format"))
        .when((length == 15) & contains(_LETTERS3_RE))
        .then(_result(IdKind.FOREIGN_PR, None, "format"))
        .when(length == 15)
        .then(_result(subject_reading.otherwise(pl.lit(IdKind.REG_NO.value)), None, "format"))
        # --- 9 characters
        .when((length == 9) & contains(_ALNUM9_RE))
        .then(_valid_or_problem(IdKind.ORG_CODE, number, org_problem))
        # --- anything else
        .when(~contains(_ALNUM_RE))
        .then(_result(IdKind.UNKNOWN, None, "format"))
        .otherwise(_result(other_length_kind, None, "length"))
        .alias(expr.meta.output_name(raise_if_undetermined=False) or "id")
    )


def crosswalk_key_expr(kind_expr: pl.Expr, norm_expr: pl.Expr) -> pl.Expr:
    """Vectorised :func:`crosswalk_key`: the organisation code of a USCC or org code."""
    return (
        pl.when(kind_expr == IdKind.USCC.value)
        .then(norm_expr.str.slice(8, 9))
        .when(kind_expr == IdKind.ORG_CODE.value)
        .then(norm_expr)
        .otherwise(_NULL_STR)
    )


def mask_key_expr(kind_expr: pl.Expr, norm_expr: pl.Expr) -> pl.Expr:
    """Vectorised :func:`mask_key`: the 14-character blocking key shared by a full person
    ID and every mask it is compatible with."""
    kinds = [kind.value for kind in (*_MASK_KEY_KINDS, IdKind.MASKED_RESIDENT_ID)]
    return (
        pl.when(kind_expr.is_in(kinds) & (norm_expr.str.len_chars() == 18))
        .then(pl.concat_str([norm_expr.str.slice(0, 10), norm_expr.str.slice(14, 4)]))
        .otherwise(_NULL_STR)
    )
