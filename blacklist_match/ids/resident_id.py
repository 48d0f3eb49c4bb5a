"""Resident identity number (公民身份号码, GB 11643-1999).

Eighteen characters: a 6-digit address code (GB/T 2260 county where the number was
issued), the birth date ``YYYYMMDD``, a 3-digit sequence (position 17 odd for men, even
for women) and an ISO 7064 MOD 11-2 check character ``0``-``9`` or ``X``. The first digit
is 1-8; numbers starting ``810000``/``820000``/``830000`` are residence permits
(:mod:`.residence_permit`) and numbers starting ``9`` foreign permanent-resident cards
(:mod:`.foreign_pr`). Old 15-digit numbers (GB 11643-1989, ``AAAAAA YYMMDD SSS``) are
upgraded to 18 by inserting ``19`` after the address code and computing the check.

An unknown address code is never a rejection (python-stdnum's region-at-birth-year check
rejects genuine numbers, DOMAIN.md 5.1.5); :func:`region_warning` reports it instead.

>>> validate('11010519491231002X')
'11010519491231002X'
>>> validate('44011320141005001x')
'44011320141005001X'
>>> validate('411702700422319')
'41170219700422319X'
>>> validate('610104620927690')
'610104196209276908'
>>> validate('36042619910102009X')
Traceback (most recent call last):
    ...
blacklist_match.errors.InvalidChecksum: check character is X, expected 3
>>> validate('360426199113010079')
Traceback (most recent call last):
    ...
blacklist_match.errors.InvalidDate: birth date 19911301 is not a real date
>>> validate('T60426199101010078')
Traceback (most recent call last):
    ...
blacklist_match.errors.InvalidFormat: expected 17 digits and a digit or X
>>> is_valid('440524188001010014'), is_valid('360426199101010071')
(True, True)
>>> validate('990426199112010074')  # python-stdnum: unknown region; here a foreign PR number
Traceback (most recent call last):
    ...
blacklist_match.errors.InvalidComponent: a citizen number starts with 1-8, not 810000/820000/830000
>>> calc_check_digit('11010519491231002')
'X'
>>> format('110105 19491231 002x')
'110105 19491231 002X'
"""

from __future__ import annotations

import re
from datetime import date
from typing import TYPE_CHECKING, Final

from blacklist_match.errors import (
    InvalidChecksum,
    InvalidComponent,
    InvalidDate,
    InvalidFormat,
    InvalidLength,
)
from blacklist_match.ids import _clean, _codes

if TYPE_CHECKING:
    import polars as pl

GB11643_WEIGHTS: Final = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
"""ISO 7064 MOD 11-2 weights for positions 1-17 (2^(18-i) mod 11)."""

GB11643_CHECK_CHARS: Final = "10X98765432"
"""Check character indexed by the weighted sum mod 11."""

PERMIT_PREFIXES: Final = ("810000", "820000", "830000")
"""Address codes of Hong Kong, Macao and Taiwan residence permits (DOMAIN.md 5.1.4)."""

EARLIEST_BIRTH_YEAR: Final = 1800
"""Birth dates before this year are rejected as impossible."""

_PERSON18_RE: Final = re.compile(r"[0-9]{17}[0-9X]")
_OLD15_RE: Final = re.compile(r"[0-9]{15}")


def compact(text: object) -> str:
    """Clean ``text`` (full-width, spaces, hyphens, lower-case x); never raises."""
    return _clean.compact(text)


def calc_check_digit(number: str) -> str:
    """The MOD 11-2 check character for the first 17 digits of ``number``."""
    total = sum(
        int(digit) * weight for digit, weight in zip(number[:17], GB11643_WEIGHTS, strict=True)
    )
    return GB11643_CHECK_CHARS[total % 11]


def upgrade(number: str) -> str:
    """Turn a 15-digit number into 18 characters (no validation beyond the shape)."""
    number = compact(number)
    if not _OLD15_RE.fullmatch(number):
        raise InvalidFormat("an old resident ID has exactly 15 digits")
    body = number[:6] + "19" + number[6:]
    return body + calc_check_digit(body)


def birth_date(text: str) -> date:
    """The birth date of a valid 18- or 15-character number."""
    number = validate(text)
    return date(int(number[6:10]), int(number[10:12]), int(number[12:14]))


def _check_birth_date(yyyymmdd: str) -> None:
    try:
        born = date(int(yyyymmdd[:4]), int(yyyymmdd[4:6]), int(yyyymmdd[6:8]))
    except ValueError:
        raise InvalidDate(f"birth date {yyyymmdd} is not a real date") from None
    if born.year < EARLIEST_BIRTH_YEAR:
        raise InvalidDate(f"birth date {yyyymmdd} is before {EARLIEST_BIRTH_YEAR}")
    if born > date.today():
        raise InvalidDate(f"birth date {yyyymmdd} is in the future")


def check_person18(number: str, component_ok: bool, component_message: str) -> str:
    """Shared GB 11643 checks for a compacted 18-character person number, in this order:
    length, format, component (first digits, decided by the caller), date, checksum."""
    if len(number) != 18:
        raise InvalidLength(f"expected 18 characters, got {len(number)}")
    if not _PERSON18_RE.fullmatch(number):
        raise InvalidFormat("expected 17 digits and a digit or X")
    if not component_ok:
        raise InvalidComponent(component_message)
    _check_birth_date(number[6:14])
    expected = calc_check_digit(number[:17])
    if number[17] != expected:
        raise InvalidChecksum(f"check character is {number[17]}, expected {expected}")
    return number


def _resident_component_ok(number: str) -> bool:
    return "1" <= number[0] <= "8" and not number.startswith(PERMIT_PREFIXES)


_RESIDENT_COMPONENT_MESSAGE: Final = "a citizen number starts with 1-8, not 810000/820000/830000"


def validate(text: object) -> str:
    """Return the canonical 18-character number or raise an InvalidIdentifier subclass.

    A 15-digit number is checked (first digit, ``19YYMMDD`` date) and upgraded.
    """
    number = compact(text)
    if len(number) == 15:
        if not _OLD15_RE.fullmatch(number):
            raise InvalidFormat("an old resident ID has exactly 15 digits")
        if not _resident_component_ok(number):
            raise InvalidComponent(_RESIDENT_COMPONENT_MESSAGE)
        _check_birth_date("19" + number[6:12])
        return upgrade(number)
    if len(number) != 18:
        raise InvalidLength(f"expected 18 (or 15) characters, got {len(number)}")
    return check_person18(number, _resident_component_ok(number), _RESIDENT_COMPONENT_MESSAGE)


def is_valid(text: object) -> bool:
    """Whether ``text`` is a valid (15- or 18-character) resident ID."""
    try:
        validate(text)
    except ValueError:
        return False
    return True


def format(text: object) -> str:
    """Print the number as ``address birth-date sequence+check``."""
    number = validate(text)
    return f"{number[:6]} {number[6:14]} {number[14:]}"


def region_warning(text: object) -> str | None:
    """A warning when the address code of a valid number is not a known GB/T 2260 code.

    Returns ``None`` for valid numbers with a known code, for invalid numbers (their
    problem is reported elsewhere), and when the region table is not installed.
    """
    try:
        number = validate(text)
    except ValueError:
        return None
    try:
        from blacklist_match.regions import is_known_region
    except ImportError:
        return None
    code = number[:6]
    if is_known_region(code):
        return None
    return f"address code {code} is not a known GB/T 2260 region code"


# --- vectorised twins: the argument is an already compacted expression (``_clean``) ------
#
# Digits are read as byte codes (:mod:`._codes`): the date and the MOD 11-2 sum are integer
# arithmetic, and the check is compared as a byte code, without building strings.

PERSON18_RE_EXPR: Final = r"^[0-9]{17}[0-9X]$"
OLD15_RE_EXPR: Final = r"^[0-9]{15}$"


def _date_ok(digits: list[pl.Expr], century: int | None = None) -> pl.Expr:
    """Date check on digit expressions ``YYYYMMDD`` (or ``YYMMDD`` in ``century``)."""
    if century is None:
        year = _codes.digits_sum(digits[:4], (1000, 100, 10, 1))
        digits = digits[4:]
    else:
        year = _codes.digits_sum(digits[:2], (10, 1)) + century
        digits = digits[2:]
    month = _codes.digits_sum(digits[:2], (10, 1))
    day = _codes.digits_sum(digits[2:4], (10, 1))
    return _codes.date_ok(year, month, day, EARLIEST_BIRTH_YEAR)


def date_ok_expr(yyyymmdd: pl.Expr) -> pl.Expr:
    """Whether an 8-digit ``YYYYMMDD`` string is a real date from 1800 up to today.

    False for anything that is not 8 digits.
    """
    import polars as pl

    eight_digits = yyyymmdd.str.contains(r"^[0-9]{8}$")
    date_ok = _date_ok(_codes.digits(yyyymmdd, 8, range(8)))
    return pl.when(eight_digits).then(date_ok).otherwise(False)


def check_char_expr(body17: pl.Expr) -> pl.Expr:
    """MOD 11-2 check character of 17 digits (null if not 17 digits)."""
    import polars as pl

    index = _codes.weighted_sum(body17, 17, GB11643_WEIGHTS) % 11
    check = _codes.char_of(index, GB11643_CHECK_CHARS)
    return pl.when(body17.str.contains(r"^[0-9]{17}$")).then(check)


def person18_problem_code(number: pl.Expr, component_ok: pl.Expr) -> pl.Expr:
    """Vectorised :func:`check_person18` as a problem code (see :func:`problem_code_expr`)."""
    import polars as pl

    index = _codes.weighted_sum(number, 18, GB11643_WEIGHTS) % 11
    check = _codes.code_of(index, GB11643_CHECK_CHARS)
    return (
        pl.when(number.str.len_chars() != 18)
        .then(_codes.problem("length"))
        .when(~number.str.contains(PERSON18_RE_EXPR))
        .then(_codes.problem("format"))
        .when(~component_ok)
        .then(_codes.problem("component"))
        .when(~_date_ok(_codes.digits(number, 18, range(6, 14))))
        .then(_codes.problem("date"))
        .when(check != _codes.code_at(number, 18, 17))
        .then(_codes.problem("checksum"))
        .otherwise(_codes.no_problem())
    )


def person18_problem_expr(number: pl.Expr, component_ok: pl.Expr) -> pl.Expr:
    """Vectorised :func:`check_person18`: problem name or null, same order of checks."""
    return _codes.problem_names(person18_problem_code(number, component_ok))


def _resident_component_expr(number: pl.Expr) -> pl.Expr:
    first = number.str.slice(0, 1)
    return (first >= "1") & (first <= "8") & ~number.str.slice(0, 6).is_in(PERMIT_PREFIXES)


def upgrade_expr(number: pl.Expr) -> pl.Expr:
    """Vectorised :func:`upgrade` for 15-digit values (garbage in, garbage out)."""
    import polars as pl

    # the body is AAAAAA 19 YYMMDDSSS: the inserted 1 and 9 carry weights 7 and 8
    weights = GB11643_WEIGHTS[:6] + GB11643_WEIGHTS[8:]
    inserted = GB11643_WEIGHTS[6] * 1 + GB11643_WEIGHTS[7] * 9
    index = (_codes.weighted_sum(number, 15, weights) + inserted) % 11
    check = _codes.char_of(index, GB11643_CHECK_CHARS)
    return pl.concat_str([number.str.slice(0, 6), pl.lit("19"), number.str.slice(6, 9), check])


def old_problem_code(number: pl.Expr) -> pl.Expr:
    """Problem of a 15-character old resident ID (format, component, ``19YYMMDD`` date)."""
    import polars as pl

    return (
        pl.when(~number.str.contains(OLD15_RE_EXPR))
        .then(_codes.problem("format"))
        .when(~_resident_component_expr(number))
        .then(_codes.problem("component"))
        .when(~_date_ok(_codes.digits(number, 15, range(6, 12)), century=1900))
        .then(_codes.problem("date"))
        .otherwise(_codes.no_problem())
    )


def problem_code_expr(number: pl.Expr) -> pl.Expr:
    """:func:`problem_expr` as a code (UInt8 index in ``_codes.PROBLEMS``)."""
    import polars as pl

    length = number.str.len_chars()
    return (
        pl.when(length == 15)
        .then(old_problem_code(number))
        .when(length != 18)
        .then(_codes.problem("length"))
        .otherwise(person18_problem_code(number, _resident_component_expr(number)))
    )


def problem_expr(number: pl.Expr) -> pl.Expr:
    """Problem name of :func:`validate` (null when valid) for a compacted expression."""
    return _codes.problem_names(problem_code_expr(number))


def canonical_expr(number: pl.Expr) -> pl.Expr:
    """The canonical 18-character value of a compacted expression, null when invalid."""
    import polars as pl

    value = pl.when(number.str.len_chars() == 15).then(upgrade_expr(number)).otherwise(number)
    return pl.when(problem_code_expr(number).is_null()).then(value)
