"""Classify a raw identifier: what kind it is, its canonical value, or what is wrong.

:func:`classify` (scalar) and :func:`classify_expr` (Polars, vectorised) give exactly the
same answer on every input. The decision, on the cleaned text ``c`` (:mod:`._clean`):

1. ``None``, ``''``, ``暂无``, ``--``, ``***`` and other placeholders: ``unknown``/``empty``.
2. ``c`` contains ``*``, or is a mask written with ``XXXX`` for the month-day
   (``3209231969XXXX1513``; ``×`` is cleaned to ``*``): ``masked_resident_id``
   (18-character mask or the 19-character aggregator form).
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
from typing import TYPE_CHECKING, Final, NamedTuple

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
from blacklist_match.schema import IdKind

if TYPE_CHECKING:
    import polars as pl

PROBLEM_CODES: Final[dict[type[InvalidIdentifier], str]] = {
    InvalidLength: "length",
    InvalidFormat: "format",
    InvalidChecksum: "checksum",
    InvalidDate: "date",
    InvalidComponent: "component",
}
"""Exception class -> the problem code in :attr:`Classification.problem`."""

EMPTY: Final = "empty"

PERSON18_RE: Final = r"^[0-9]{17}[0-9X]$"
ALNUM18_RE: Final = r"^[0-9A-Z]{18}$"
PERSON_LIKE_RE: Final = r"^[0-9A-Z][0-9]{5}(18|19|20)[0-9]{2}[01][0-9][0-3][0-9][0-9]{3}[0-9X]$"
OLD_FOREIGN_RE: Final = r"^[A-Z]{3}[0-9]{12}$"
DIGITS15_RE: Final = r"^[0-9]{15}$"
ALNUM15_RE: Final = r"^[0-9A-Z]{15}$"
LETTERS3_RE: Final = r"^[A-Z]{3}"
ALNUM9_RE: Final = r"^[0-9A-Z]{9}$"
ALNUM_RE: Final = r"^[0-9A-Z]+$"
DIGITS_X_RE: Final = r"^[0-9]+X?$"


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


def _classify18(number: str, subject_type: str | None) -> Classification:
    if not _matches(ALNUM18_RE, number):
        return Classification(IdKind.UNKNOWN, None, "format")
    person_kind = _person_kind(number)
    if _matches(PERSON18_RE, number):
        value, problem = _reading(_PERSON_MODULES[person_kind], number)
        if problem is None:
            if subject_type == "entity" and _reading(uscc, number)[1] is None:
                return Classification(IdKind.USCC, value, None)  # valid both ways
            return Classification(person_kind, value, None)
    else:
        problem = _reading(_PERSON_MODULES[person_kind], number)[1]
    uscc_value, uscc_problem = _reading(uscc, number)
    if uscc_problem is None:
        return Classification(IdKind.USCC, uscc_value, None)
    if _matches(PERSON_LIKE_RE, number):
        return Classification(person_kind, None, problem)
    return Classification(IdKind.USCC, None, uscc_problem)


def _classify15(number: str, subject_type: str | None) -> Classification:
    if _matches(OLD_FOREIGN_RE, number):
        return Classification(IdKind.FOREIGN_PR, number, None)
    if _matches(DIGITS15_RE, number):
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
    if not _matches(ALNUM15_RE, number):
        return Classification(IdKind.UNKNOWN, None, "format")
    if _matches(LETTERS3_RE, number):
        return Classification(IdKind.FOREIGN_PR, None, "format")
    if subject_type == "person":
        return Classification(IdKind.RESIDENT_ID, None, "format")
    return Classification(IdKind.REG_NO, None, "format")


def _classify_other_length(number: str, subject_type: str | None) -> Classification:
    if not _matches(ALNUM_RE, number):
        return Classification(IdKind.UNKNOWN, None, "format")
    length = len(number)
    if 7 <= length <= 11:
        return Classification(IdKind.ORG_CODE, None, "length")
    if 12 <= length <= 14:
        kind = IdKind.RESIDENT_ID if subject_type == "person" else IdKind.REG_NO
        return Classification(kind, None, "length")
    if 16 <= length <= 21:
        kind = IdKind.RESIDENT_ID if _matches(DIGITS_X_RE, number) else IdKind.USCC
        return Classification(kind, None, "length")
    return Classification(IdKind.UNKNOWN, None, "length")


def classify(text: object, subject_type: str | None = None) -> Classification:
    """Classify one raw identifier; never raises for bad input (see the module docstring).

    ``subject_type`` (``'person'`` / ``'entity'``, the SubjectType values) only decides
    between two valid readings: of a 15-digit number (an old resident ID or a registration
    number), and of 18 digits that are both a person's number and a USCC (an entity's is
    the USCC; without the hint the person's reading stands).
    """
    number = _clean.compact(text)
    if _clean.is_placeholder(number):
        return Classification(IdKind.UNKNOWN, None, EMPTY)
    if "*" in number or (len(number) in (18, 19) and masked_id.stars(number) != number):
        value, problem = _reading(masked_id, number)
        return Classification(IdKind.MASKED_RESIDENT_ID, value, problem)
    if len(number) == 18:
        return _classify18(number, subject_type)
    if len(number) == 15:
        return _classify15(number, subject_type)
    if len(number) == 9:
        if not _matches(ALNUM9_RE, number):
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


def classify_expr(expr: pl.Expr, subject_type: pl.Expr | str | None = None) -> pl.Expr:
    """Vectorised :func:`classify`: a Struct with fields ID_KIND, ID_NORM, ID_PROBLEM,
    ID_ALT_KIND, ID_ALT_NORM (kinds as IdKind string values). Never raises per row.

    The work is done by :func:`._frame.classify_series` on whole columns (one call per
    batch), which only runs each check on the rows whose shape needs it.

    >>> import polars as pl
    >>> frame = pl.DataFrame({"id": ["60056316-5", "411702700422319", None]})
    >>> frame.select(classify_expr(pl.col("id"))).unnest("id").rows()
    [('org_code', '600563165', None, None, None), ('resident_id', '41170219700422319X', None, None, None), ('unknown', None, 'empty', None, None)]
    """  # noqa: E501
    import polars as pl

    from blacklist_match.ids import _frame

    if subject_type is None:
        return expr.cast(pl.String).map_batches(
            _frame.classify_series, return_dtype=_frame.RESULT_DTYPE, is_elementwise=True
        )
    subject = pl.lit(subject_type) if isinstance(subject_type, str) else subject_type
    name = expr.meta.output_name(raise_if_undetermined=False) or "id"

    def run(pair: pl.Series) -> pl.Series:
        fields = pair.struct.unnest()
        return _frame.classify_series(fields["n"], fields["s"]).alias(name)

    return (
        pl.struct(expr.cast(pl.String).alias("n"), subject.cast(pl.String).alias("s"))
        .map_batches(run, return_dtype=_frame.RESULT_DTYPE, is_elementwise=True)
        .alias(name)
    )


def crosswalk_key_expr(kind_expr: pl.Expr, norm_expr: pl.Expr) -> pl.Expr:
    """Vectorised :func:`crosswalk_key`: the organisation code of a USCC or org code."""
    import polars as pl

    return (
        pl.when(kind_expr == IdKind.USCC.value)
        .then(norm_expr.str.slice(8, 9))
        .when(kind_expr == IdKind.ORG_CODE.value)
        .then(norm_expr)
        .otherwise(pl.lit(None, dtype=pl.String))
    )


def mask_key_expr(kind_expr: pl.Expr, norm_expr: pl.Expr) -> pl.Expr:
    """Vectorised :func:`mask_key`: the 14-character blocking key shared by a full person
    ID and every mask it is compatible with."""
    import polars as pl

    kinds = [kind.value for kind in (*_MASK_KEY_KINDS, IdKind.MASKED_RESIDENT_ID)]
    return (
        pl.when(kind_expr.is_in(kinds) & (norm_expr.str.len_chars() == 18))
        .then(pl.concat_str([norm_expr.str.slice(0, 10), norm_expr.str.slice(14, 4)]))
        .otherwise(pl.lit(None, dtype=pl.String))
    )
