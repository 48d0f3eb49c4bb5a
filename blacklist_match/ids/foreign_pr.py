"""Foreign Permanent Resident ID Card (外国人永久居留身份证).

New card (from 1 December 2023), 18 digits: ``9``, a 2-digit province code, a 3-digit
nationality code, the birth date ``YYYYMMDD``, a 3-digit sequence and the ISO 7064
MOD 11-2 check of the resident identity number (:mod:`.resident_id`).

Old card (2004/2017), 15 characters: three letters (nationality) and 12 digits. Its
layout is not fully confirmed (DOMAIN.md 5.1.6), so only the shape
``^[A-Z]{3}[0-9]{12}$`` is validated.

>>> validate('911840198001010013')
'911840198001010013'
>>> validate('931392199002150023')
'931392199002150023'
>>> validate('usa110080010111')
'USA110080010111'
>>> validate('911840198001010014')
Traceback (most recent call last):
    ...
blacklist_match.errors.InvalidChecksum: check character is 4, expected 3
>>> validate('US1110080010111')
Traceback (most recent call last):
    ...
blacklist_match.errors.InvalidFormat: an old card number is 3 letters and 12 digits
>>> is_valid('110105194912310021')
False
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Final

from blacklist_match.errors import InvalidFormat, InvalidLength
from blacklist_match.ids import _clean, _codes
from blacklist_match.ids.resident_id import calc_check_digit, check_person18, person18_problem_code

if TYPE_CHECKING:
    import polars as pl

__all__ = [
    "calc_check_digit",
    "canonical_expr",
    "compact",
    "format",
    "is_valid",
    "problem_expr",
    "validate",
]

_OLD_RE: Final = re.compile(r"[A-Z]{3}[0-9]{12}")
_OLD_RE_EXPR: Final = r"^[A-Z]{3}[0-9]{12}$"
_COMPONENT_MESSAGE: Final = "a new foreign permanent-resident number starts with 9"


def compact(text: object) -> str:
    """Clean ``text`` (full-width, spaces, hyphens, lower-case letters); never raises."""
    return _clean.compact(text)


def validate(text: object) -> str:
    """Return the canonical number (18 digits, or the old 15 characters) or raise."""
    number = compact(text)
    if len(number) == 15:
        if not _OLD_RE.fullmatch(number):
            raise InvalidFormat("an old card number is 3 letters and 12 digits")
        return number
    if len(number) != 18:
        raise InvalidLength(f"expected 18 (or 15) characters, got {len(number)}")
    return check_person18(number, number.startswith("9"), _COMPONENT_MESSAGE)


def is_valid(text: object) -> bool:
    """Whether ``text`` is a valid foreign permanent-resident number (new or old)."""
    try:
        validate(text)
    except ValueError:
        return False
    return True


def format(text: object) -> str:
    """Print a new number as ``9PPNNN birth-date sequence+check``; old ones unchanged."""
    number = validate(text)
    if len(number) == 15:
        return number
    return f"{number[:6]} {number[6:14]} {number[14:]}"


# --- vectorised twins: the argument is an already compacted expression (``_clean``) ------


def problem_code_expr(number: pl.Expr) -> pl.Expr:
    """:func:`problem_expr` as a code (UInt8 index in ``_codes.PROBLEMS``)."""
    import polars as pl

    length = number.str.len_chars()
    return (
        pl.when(length == 15)
        .then(
            pl.when(number.str.contains(_OLD_RE_EXPR))
            .then(_codes.no_problem())
            .otherwise(_codes.problem("format"))
        )
        .when(length != 18)
        .then(_codes.problem("length"))
        .otherwise(person18_problem_code(number, number.str.slice(0, 1) == "9"))
    )


def problem_expr(number: pl.Expr) -> pl.Expr:
    """Problem name of :func:`validate` (null when valid) for a compacted expression."""
    return _codes.problem_names(problem_code_expr(number))


def canonical_expr(number: pl.Expr) -> pl.Expr:
    """The canonical value of a compacted expression, null when invalid."""
    import polars as pl

    return pl.when(problem_code_expr(number).is_null()).then(number)
