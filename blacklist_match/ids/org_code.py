"""Organisation code (组织机构代码, GB 11714-1997).

Nine characters: an 8-character body over ``0-9A-Z`` (values 0-35) and a check character,
often printed ``XXXXXXXX-C``. With weights ``3 7 9 10 5 8 4 2`` and S the weighted sum,
C = 11 - (S mod 11); 11 is written ``0`` and 10 ``X``. Positions 9-17 of a USCC
(:mod:`.uscc`) are an organisation code, which links old list records to new codes.

>>> validate('60056316-5')
'600563165'
>>> validate('619848910'), validate('680926658')
('619848910', '680926658')
>>> [calc_check_digit(body) for body in ('D2143569', '60003734', 'MA1MRHG2')]
['X', '1', '0']
>>> [calc_check_digit(body) for body in ('10000018', '12345678', '00000000')]
['X', '8', '0']
>>> validate('600563166')
Traceback (most recent call last):
    ...
blacklist_match.errors.InvalidChecksum: check character is 6, expected 5
>>> validate('6005631-65')
'600563165'
>>> is_valid('60056316')
False
>>> format('600563165')
'60056316-5'
"""

from __future__ import annotations

import re
import string
from typing import TYPE_CHECKING, Final

from blacklist_match.errors import InvalidChecksum, InvalidFormat, InvalidLength
from blacklist_match.ids import _clean, _codes

if TYPE_CHECKING:
    import polars as pl

GB11714_WEIGHTS: Final = (3, 7, 9, 10, 5, 8, 4, 2)
"""Weights of the 8 body characters (2^(9-i) mod 11)."""

GB11714_ALPHABET: Final = string.digits + string.ascii_uppercase
"""Body characters; a character's value is its index (A=10 ... Z=35)."""

_ORG_CODE_RE: Final = re.compile(r"[0-9A-Z]{8}[0-9X]")
_ORG_CODE_RE_EXPR: Final = r"^[0-9A-Z]{8}[0-9X]$"


def compact(text: object) -> str:
    """Clean ``text`` (full-width, spaces, hyphens, lower case); never raises."""
    return _clean.compact(text)


def calc_check_digit(body: str) -> str:
    """The GB 11714 check character of an 8-character body."""
    total = sum(
        GB11714_ALPHABET.index(ch) * w for ch, w in zip(body[:8], GB11714_WEIGHTS, strict=True)
    )
    check = 11 - total % 11
    return "0" if check == 11 else "X" if check == 10 else str(check)


def validate(text: object) -> str:
    """Return the 9-character code without hyphen or raise an InvalidIdentifier subclass."""
    number = compact(text)
    if len(number) != 9:
        raise InvalidLength(f"expected 9 characters, got {len(number)}")
    if not _ORG_CODE_RE.fullmatch(number):
        raise InvalidFormat("expected 8 characters 0-9/A-Z and a check character 0-9 or X")
    expected = calc_check_digit(number[:8])
    if number[8] != expected:
        raise InvalidChecksum(f"check character is {number[8]}, expected {expected}")
    return number


def is_valid(text: object) -> bool:
    """Whether ``text`` is a valid organisation code."""
    try:
        validate(text)
    except ValueError:
        return False
    return True


def format(text: object) -> str:
    """Print the code in its usual ``XXXXXXXX-C`` form."""
    number = validate(text)
    return f"{number[:8]}-{number[8]}"


# --- vectorised twins: the argument is an already compacted expression (``_clean``) ------

CHECK_CHARS: Final = "0123456789X0"
"""Check character by 11 - (S mod 11): index 10 is X and 11 is 0."""


def _check_index(number: pl.Expr, width: int, start: int) -> pl.Expr:
    weights = (0,) * start + GB11714_WEIGHTS
    return 11 - _codes.weighted_sum(number, width, weights, GB11714_ALPHABET) % 11


def check_code_expr(number: pl.Expr, width: int, start: int) -> pl.Expr:
    """Byte code (UInt8) of the check character of the 8-character body at ``start`` of a
    ``width``-character expression (garbage if the body is not ``0-9A-Z``)."""
    return _codes.code_of(_check_index(number, width, start), CHECK_CHARS)


def check_char_expr(body8: pl.Expr) -> pl.Expr:
    """GB 11714 check character of 8 body characters (null if not 8 of ``[0-9A-Z]``)."""
    import polars as pl

    check = _codes.char_of(_check_index(body8, 8, 0), CHECK_CHARS)
    return pl.when(body8.str.contains(r"^[0-9A-Z]{8}$")).then(check)


def problem_code_expr(number: pl.Expr) -> pl.Expr:
    """:func:`problem_expr` as a code (UInt8 index in ``_codes.PROBLEMS``)."""
    import polars as pl

    return (
        pl.when(number.str.len_chars() != 9)
        .then(_codes.problem("length"))
        .when(~number.str.contains(_ORG_CODE_RE_EXPR))
        .then(_codes.problem("format"))
        .when(check_code_expr(number, 9, 0) != _codes.code_at(number, 9, 8))
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
