"""Unified Social Credit Code (统一社会信用代码, GB 32100-2015).

Eighteen characters over the 31 symbols ``0123456789ABCDEFGHJKLMNPQRTUWXY`` (no I, O, Z,
S, V): position 1 the registration authority, 2 the entity type (both validated
permissively: codes are not fully published), 3-8 the GB/T 2260 region (digits), 9-17
the organisation code (GB 11714, :mod:`.org_code`, with its own check at position 17),
and 18 the check character alphabet[(31 - S mod 31) mod 31] with weights 3^(i-1) mod 31.
Unlike python-stdnum, the embedded organisation code is checked too.

>>> validate('91110000600037341L')
'91110000600037341L'
>>> [is_valid(n) for n in ('121200004013590816', '91310115MA1K3BTP2B', '9144030071526726XG')]
[True, True, True]
>>> validate('92340602MA2PBQAH7E'), org_code_of('91320621MA1MRHG205')
('92340602MA2PBQAH7E', 'MA1MRHG20')
>>> validate('A1110000600037341L')  # python-stdnum: InvalidFormat; see POSITIONS_1_2 below
Traceback (most recent call last):
    ...
blacklist_match.errors.InvalidChecksum: check character is L, expected K
>>> validate('91110A00600037341L')
Traceback (most recent call last):
    ...
blacklist_match.errors.InvalidFormat: characters 3-8 must be the 6 digits of a region code
>>> validate('9111000060003IOZSV')
Traceback (most recent call last):
    ...
blacklist_match.errors.InvalidFormat: characters I, O, S, V, Z are not used in a USCC
>>> validate('91110000600037341N')
Traceback (most recent call last):
    ...
blacklist_match.errors.InvalidChecksum: check character is N, expected L
>>> validate('91320621MA1MRHG207')
Traceback (most recent call last):
    ...
blacklist_match.errors.InvalidChecksum: check character is 7, expected 5
>>> calc_check_digit('91110000600037341')
'L'
>>> format('91110000600037341l')
'91 110000 600037341 L'
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Final

from blacklist_match.errors import (
    InvalidChecksum,
    InvalidComponent,
    InvalidFormat,
    InvalidLength,
)
from blacklist_match.ids import _clean, _codes, org_code

if TYPE_CHECKING:
    import polars as pl

GB32100_ALPHABET: Final = "0123456789ABCDEFGHJKLMNPQRTUWXY"
"""The 31 code symbols; a symbol's value is its index."""

GB32100_WEIGHTS: Final = tuple(pow(3, i, 31) for i in range(17))
"""Weights of positions 1-17: 1 3 9 27 19 26 16 17 20 29 25 13 8 24 10 30 28."""

_SYMBOL: Final = "[0-9A-HJ-NPQRTUWXY]"

POSITIONS_1_2: Final = _SYMBOL
"""Positions 1-2 accept any code symbol. python-stdnum demands digits there, but letter
authorities exist (``A``, ``N``, ``Y``, ... DOMAIN.md 5.2.2) and the official table is not
confirmed, so ``A1110000600037341L`` fails here on its check character, not its format."""
_USCC_RE_EXPR: Final = f"^{POSITIONS_1_2}{{2}}[0-9]{{6}}{_SYMBOL}{{10}}$"
_USCC_RE: Final = re.compile(_USCC_RE_EXPR)


def compact(text: object) -> str:
    """Clean ``text`` (full-width, spaces, hyphens, lower case); never raises."""
    return _clean.compact(text)


def calc_check_digit(number: str) -> str:
    """The GB 32100 check character of the first 17 characters of ``number``."""
    total = sum(
        GB32100_ALPHABET.index(ch) * w for ch, w in zip(number[:17], GB32100_WEIGHTS, strict=True)
    )
    return GB32100_ALPHABET[(31 - total % 31) % 31]


def validate(text: object) -> str:
    """Return the 18-character code or raise an InvalidIdentifier subclass.

    Checks, in order: length, format (alphabet; region digits), the check character, then
    the embedded organisation code (InvalidComponent naming the code).
    """
    number = compact(text)
    if len(number) != 18:
        raise InvalidLength(f"expected 18 characters, got {len(number)}")
    if not _USCC_RE.fullmatch(number):
        if any(ch not in GB32100_ALPHABET for ch in number[8:]):
            raise InvalidFormat("characters I, O, S, V, Z are not used in a USCC")
        if any(ch not in GB32100_ALPHABET for ch in number[:2]):
            raise InvalidFormat("characters 1 and 2 must be 0-9 or A-Y without I, O, Z, S, V")
        raise InvalidFormat("characters 3-8 must be the 6 digits of a region code")
    expected = calc_check_digit(number)
    if number[17] != expected:
        raise InvalidChecksum(f"check character is {number[17]}, expected {expected}")
    embedded = number[8:17]
    if org_code.calc_check_digit(embedded[:8]) != embedded[8]:
        raise InvalidComponent(
            f"embedded organisation code {embedded} fails the GB 11714 check "
            f"(expected {org_code.calc_check_digit(embedded[:8])} at position 17)"
        )
    return number


def is_valid(text: object) -> bool:
    """Whether ``text`` is a valid USCC (including its embedded organisation code)."""
    try:
        validate(text)
    except ValueError:
        return False
    return True


def org_code_of(text: object) -> str:
    """The organisation code (positions 9-17) of a valid USCC."""
    return validate(text)[8:17]


def format(text: object) -> str:
    """Print the code as ``authority+type region organisation-code check``."""
    number = validate(text)
    return f"{number[:2]} {number[2:8]} {number[8:17]} {number[17]}"


# --- vectorised twins: the argument is an already compacted expression (``_clean``) ------


def _check_index(number: pl.Expr, width: int) -> pl.Expr:
    """Index in the alphabet of the check character of the first 17 characters."""
    total = _codes.weighted_sum(number, width, GB32100_WEIGHTS, GB32100_ALPHABET)
    return (31 - total % 31) % 31


def check_char_expr(number: pl.Expr) -> pl.Expr:
    """GB 32100 check character of the first 17 characters (null if they are not 17 code
    symbols), from the symbol values and the weights with integer arithmetic."""
    import polars as pl

    body = number.str.slice(0, 17)
    check = _codes.char_of(_check_index(body, 17), GB32100_ALPHABET)
    return pl.when(body.str.contains(f"^{_SYMBOL}{{17}}$")).then(check)


_PACK: Final = 1 << 20
"""Both sums of :func:`symbol_sums_expr` in one Int64: the USCC one below ``_PACK``."""

_SUMS_TABLE: Final = tuple(
    GB32100_ALPHABET.index(chr(code))
    + 155 * (org_code.GB11714_ALPHABET.index(chr(code)) - GB32100_ALPHABET.index(chr(code)))
    if chr(code) in GB32100_ALPHABET
    else 0
    for code in range(256)
)
"""Per character code: GB 32100 value u plus 155 times (GB 11714 value - u). 155 is 0 mod
31 and 1 mod 11, so a weighted sum of these is the GB 32100 sum mod 31 and the GB 11714
sum (same characters) mod 11."""

_SUMS_WEIGHTS: Final = tuple(
    w + _PACK * o
    for w, o in zip(
        (*GB32100_WEIGHTS, 0), (0,) * 8 + org_code.GB11714_WEIGHTS + (0, 0), strict=True
    )
)
"""GB 32100 weights of positions 1-17, plus ``_PACK`` times the GB 11714 weights of the
embedded organisation code body (positions 9-16)."""


def symbol_sums_expr(number: pl.Expr) -> pl.Expr:
    """Both weighted sums of an 18-character code in one Int64 (one table lookup): the
    GB 32100 sum (mod 31) is ``% _PACK``, the embedded GB 11714 sum (mod 11) ``// _PACK``.
    Garbage unless the code has the USCC format."""
    return _codes.table_dot(number, 18, _SUMS_TABLE, _SUMS_WEIGHTS)


def problem_code_from_sums(number: pl.Expr, sums: pl.Expr) -> pl.Expr:
    """:func:`problem_code_expr` given ``sums`` = :func:`symbol_sums_expr` of ``number``
    (pass a column to compute the lookup once)."""
    import polars as pl

    check = _codes.code_of((31 - (sums % _PACK) % 31) % 31, GB32100_ALPHABET)
    embedded = _codes.code_of(11 - (sums // _PACK) % 11, org_code.CHECK_CHARS)
    return (
        pl.when(number.str.len_chars() != 18)
        .then(_codes.problem("length"))
        .when(~number.str.contains(_USCC_RE_EXPR))
        .then(_codes.problem("format"))
        .when(check != _codes.code_at(number, 18, 17))
        .then(_codes.problem("checksum"))
        .when(embedded != _codes.code_at(number, 18, 16))
        .then(_codes.problem("component"))
        .otherwise(_codes.no_problem())
    )


def problem_code_expr(number: pl.Expr) -> pl.Expr:
    """:func:`problem_expr` as a code (UInt8 index in ``_codes.PROBLEMS``)."""
    return problem_code_from_sums(number, symbol_sums_expr(number))


def problem_expr(number: pl.Expr) -> pl.Expr:
    """Problem name of :func:`validate` (null when valid) for a compacted expression."""
    return _codes.problem_names(problem_code_expr(number))


def canonical_expr(number: pl.Expr) -> pl.Expr:
    """The canonical value of a compacted expression, null when invalid."""
    import polars as pl

    return pl.when(problem_code_expr(number).is_null()).then(number)


def org_code_expr(number: pl.Expr) -> pl.Expr:
    """Positions 9-17 of a (canonical) USCC expression."""
    return number.str.slice(8, 9)
