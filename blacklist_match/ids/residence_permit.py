"""Residence permit for Hong Kong, Macao and Taiwan residents (港澳台居民居住证).

The same 18-character layout and ISO 7064 MOD 11-2 check as the resident identity number
(:mod:`.resident_id`), but the address code is fixed: ``810000`` Hong Kong, ``820000``
Macao, ``830000`` Taiwan. Samples from Beijing PSB specimen cards:

>>> validate('810000199408230021')
'810000199408230021'
>>> validate('830000199201300022')
'830000199201300022'
>>> validate('820000200009160019')
'820000200009160019'
>>> validate('110105194912310021')
Traceback (most recent call last):
    ...
blacklist_match.errors.InvalidComponent: a residence permit starts with 810000, 820000 or 830000
>>> is_valid('810000199408230022')
False
>>> holder('830000199201300022')
'Taiwan'
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from blacklist_match.ids import _clean, _codes
from blacklist_match.ids.resident_id import (
    PERMIT_PREFIXES,
    calc_check_digit,
    check_person18,
    person18_problem_code,
)

if TYPE_CHECKING:
    import polars as pl

__all__ = [
    "PERMIT_HOLDERS",
    "calc_check_digit",
    "canonical_expr",
    "compact",
    "format",
    "holder",
    "is_valid",
    "problem_expr",
    "validate",
]

PERMIT_HOLDERS: Final = {"810000": "Hong Kong", "820000": "Macao", "830000": "Taiwan"}

_COMPONENT_MESSAGE: Final = "a residence permit starts with 810000, 820000 or 830000"


def compact(text: object) -> str:
    """Clean ``text`` (full-width, spaces, hyphens, lower-case x); never raises."""
    return _clean.compact(text)


def validate(text: object) -> str:
    """Return the canonical 18-character permit number or raise an InvalidIdentifier."""
    number = compact(text)
    return check_person18(number, number.startswith(PERMIT_PREFIXES), _COMPONENT_MESSAGE)


def is_valid(text: object) -> bool:
    """Whether ``text`` is a valid residence permit number."""
    try:
        validate(text)
    except ValueError:
        return False
    return True


def format(text: object) -> str:
    """Print the number as ``address birth-date sequence+check``."""
    number = validate(text)
    return f"{number[:6]} {number[6:14]} {number[14:]}"


def holder(text: object) -> str:
    """Whose permit it is: ``Hong Kong``, ``Macao`` or ``Taiwan``."""
    return PERMIT_HOLDERS[validate(text)[:6]]


# --- vectorised twins: the argument is an already compacted expression (``_clean``) ------


def problem_code_expr(number: pl.Expr) -> pl.Expr:
    """:func:`problem_expr` as a code (UInt8 index in ``_codes.PROBLEMS``)."""
    return person18_problem_code(number, number.str.slice(0, 6).is_in(PERMIT_PREFIXES))


def problem_expr(number: pl.Expr) -> pl.Expr:
    """Problem name of :func:`validate` (null when valid) for a compacted expression."""
    return _codes.problem_names(problem_code_expr(number))


def canonical_expr(number: pl.Expr) -> pl.Expr:
    """The canonical value of a compacted expression, null when invalid."""
    import polars as pl

    return pl.when(problem_code_expr(number).is_null()).then(number)
