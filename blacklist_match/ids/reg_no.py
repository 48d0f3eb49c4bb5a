"""Business registration number (工商注册号, GS 15-2006).

Fifteen digits: a 6-digit registering-authority region code, an 8-digit sequence and an
ISO 7064 MOD 11,10 check digit (GB/T 17710): start with p = 10; for each of the 14 digits
d, s = (d + p) mod 10 with 0 read as 10, then p = 2s mod 11; the check is (11 - p) mod 10.

A 15-digit string may also be an old resident ID; :func:`.classify.classify` decides.

>>> validate('110108000000016')
'110108000000016'
>>> validate('110108000000017')
Traceback (most recent call last):
    ...
blacklist_match.errors.InvalidChecksum: check digit is 7, expected 6
>>> calc_check_digit('11010800000001')
'6'
>>> is_valid('1101080000000')
False
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Final

from blacklist_match.errors import InvalidChecksum, InvalidFormat, InvalidLength
from blacklist_match.ids import _clean, _codes

if TYPE_CHECKING:
    import polars as pl

_REG_NO_RE: Final = re.compile(r"[0-9]{15}")
_REG_NO_RE_EXPR: Final = r"^[0-9]{15}$"


def compact(text: object) -> str:
    """Clean ``text`` (full-width, spaces, hyphens); never raises."""
    return _clean.compact(text)


def calc_check_digit(body: str) -> str:
    """The ISO 7064 MOD 11,10 check digit of the first 14 digits of ``body``."""
    product = 10
    for digit in body[:14]:
        total = (int(digit) + product) % 10 or 10
        product = (2 * total) % 11
    return str((11 - product) % 10)


def validate(text: object) -> str:
    """Return the 15-digit number or raise an InvalidIdentifier subclass."""
    number = compact(text)
    if len(number) != 15:
        raise InvalidLength(f"expected 15 digits, got {len(number)} characters")
    if not _REG_NO_RE.fullmatch(number):
        raise InvalidFormat("expected 15 digits")
    expected = calc_check_digit(number)
    if number[14] != expected:
        raise InvalidChecksum(f"check digit is {number[14]}, expected {expected}")
    return number


def is_valid(text: object) -> bool:
    """Whether ``text`` is a valid business registration number."""
    try:
        validate(text)
    except ValueError:
        return False
    return True


def format(text: object) -> str:
    """The number is printed as it is."""
    return validate(text)


# --- vectorised twins: the argument is an already compacted expression (``_clean``) ------


def _check_digit(digits: list[pl.Expr]) -> pl.Expr:
    """MOD 11,10 over digit expressions (Int32), computed column-wise."""
    import polars as pl

    product = pl.lit(10, dtype=pl.Int32)
    for digit in digits:
        total = (digit + product - 1) % 10 + 1  # (d + p) mod 10, 0 read as 10
        product = (2 * total) % 11
    return (11 - product) % 10


def check_digit_expr(number: pl.Expr) -> pl.Expr:
    """MOD 11,10 check digit (Int32) of the first 14 digits (null if not 14 digits)."""
    import polars as pl

    body = number.str.slice(0, 14)
    check = _check_digit(_codes.digits(body, 14, range(14)))
    return pl.when(body.str.contains(r"^[0-9]{14}$")).then(check)


def problem_code_expr(number: pl.Expr) -> pl.Expr:
    """:func:`problem_expr` as a code (UInt8 index in ``_codes.PROBLEMS``)."""
    import polars as pl

    digits = _codes.digits(number, 15, range(15))
    return (
        pl.when(number.str.len_chars() != 15)
        .then(_codes.problem("length"))
        .when(~number.str.contains(_REG_NO_RE_EXPR))
        .then(_codes.problem("format"))
        .when(_check_digit(digits[:14]) != digits[14])
        .then(_codes.problem("checksum"))
        .otherwise(_codes.no_problem())
    )


def problem_expr(number: pl.Expr) -> pl.Expr:
    """Problem name of :func:`validate` (null when valid) for a compacted expression."""
    return _codes.problem_names(problem_code_expr(number))


def canonical_expr(number: pl.Expr) -> pl.Expr:
    """The canonical value of a compacted expression, null when invalid."""
    import polars as pl

    return pl.when(problem_code_expr(number).is_null()).then(number)
