"""Masked resident ID as published on the list (DOMAIN.md 1.3-1.4).

The court list replaces the birth month and day (positions 11-14) by ``****``:
``4209021983****0482`` = region ``420902``, year ``1983``, sequence ``048``, check ``2``.
Shape ``\\d{6}(19|20)\\d{2}\\*{4}\\d{3}[\\dX]``. A mis-masked 19-character aggregator form
keeps one month digit: ``53272219751****0914`` for ``532722197511040914``. The canonical
value is always the 18-character mask (stars kept).

The visible check character still narrows the hidden month-day to about 366/11 dates:

>>> validate('53272219751****0914')
'5327221975****0914'
>>> len(compatible_dates('4209021983****0482')), len(compatible_dates('3423011964****3224'))
(32, 34)
>>> [len(compatible_dates(m)) for m in ('3209231969****1513', '5135211957****5090')]
[34, 34]
>>> len(compatible_dates('4108261998****0529'))
34
>>> is_compatible('53272219751****0914', '532722197511040914')
True
>>> is_compatible('5327221975****0914', '532722197511040915')
False
>>> validate('4209021983***0482')
Traceback (most recent call last):
    ...
blacklist_match.errors.InvalidLength: a masked ID has 18 (or 19) characters, got 17
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import TYPE_CHECKING, Final, NamedTuple

from blacklist_match.errors import InvalidDate, InvalidFormat, InvalidLength
from blacklist_match.ids import _clean, _codes, foreign_pr, residence_permit, resident_id

if TYPE_CHECKING:
    import polars as pl

MASK_RE_EXPR: Final = r"^[0-9]{6}(19|20)[0-9]{2}\*{4}[0-9]{3}[0-9X]$"
MASK19_RE_EXPR: Final = r"^[0-9]{6}(19|20)[0-9]{2}[01]\*{4}[0-9]{3}[0-9X]$"
X_MASK_RE_EXPR: Final = r"^([0-9]{6}(?:19|20)[0-9]{2}[01]?)X{4}([0-9]{3}[0-9X])$"
"""A mask written with ``XXXX`` (``xxxx`` before cleaning) for the hidden month-day."""
_X_MASK_RE: Final = re.compile(X_MASK_RE_EXPR)
_MASK_RE: Final = re.compile(MASK_RE_EXPR)
_MASK19_RE: Final = re.compile(MASK19_RE_EXPR)


class MaskParts(NamedTuple):
    """The visible parts of a masked ID."""

    region: str
    year: int
    month_tens: int | None
    """The extra visible month digit of the 19-character form, else None."""
    tail: str
    """Sequence (3 digits) and check character."""


def compact(text: object) -> str:
    """Clean ``text`` (full-width, spaces, hyphens, lower-case x); never raises."""
    return _clean.compact(text)


PARTIAL_MASK_MIN_HEAD: Final = 4
"""A mask in another pattern must show at least the province and prefecture (4 digits)."""
PARTIAL_MASK_MIN_VISIBLE: Final = 8
"""... and at least 8 characters in all (``3701**********1234``)."""

_PARTIAL_CLEAN: Final = re.compile(r"[\t\n\f\r \-\u3000]")
_PARTIAL_WIDTH: Final = str.maketrans("０１２３４５６７８９Ｘｘ＊×✕✖⨯", "0123456789XX*****")
_PARTIAL_RE: Final = re.compile(r"^([0-9]+)[*]+([0-9]*X?)$")


def partial_mask(text: str | None) -> tuple[str, str] | None:
    """The visible head and tail of a number masked in another pattern than the
    publication's, else None. Cleaned as the SQL of the ``name_only`` tier cleans it
    (spaces and hyphens dropped, full-width digits, ``＊``/``×`` as ``*``), so the spot check
    and the batch agree; only called for numbers that are not a valid mask.

    >>> partial_mask('3701**********1234'), partial_mask('370102****123x')
    (('3701', '1234'), ('370102', '123X'))
    >>> partial_mask('3701021985********'), partial_mask('37**********1234')
    (('3701021985', ''), None)
    """
    if text is None:
        return None
    mask = _PARTIAL_CLEAN.sub("", text).translate(_PARTIAL_WIDTH).upper()
    found = _PARTIAL_RE.match(mask)
    if found is None or len(mask) > 18:
        return None
    head, tail = found.group(1), found.group(2)
    if len(head) < PARTIAL_MASK_MIN_HEAD:
        return None
    if not PARTIAL_MASK_MIN_VISIBLE <= len(head) + len(tail) <= 17:
        return None
    return head, tail


def stars(number: str) -> str:
    """A cleaned ``XXXX``-written mask with ``****`` instead; any other text unchanged.

    >>> stars('3209231969XXXX1513'), stars('32092319690XXXX1513'), stars('91110000600037341L')
    ('3209231969****1513', '32092319690****1513', '91110000600037341L')
    """
    return _X_MASK_RE.sub(r"\1****\2", number)


def stars_expr(number: pl.Expr) -> pl.Expr:
    """Vectorised :func:`stars` over a compacted expression."""
    return number.str.replace(X_MASK_RE_EXPR, "${1}****${2}")


def parse(text: object) -> MaskParts:
    """Split a valid mask into its visible parts; raises like :func:`validate`."""
    number = stars(compact(text))
    if len(number) not in (18, 19):
        raise InvalidLength(f"a masked ID has 18 (or 19) characters, got {len(number)}")
    pattern = _MASK_RE if len(number) == 18 else _MASK19_RE
    if not pattern.fullmatch(number):
        raise InvalidFormat(
            "expected 6 digits, a year 19xx/20xx, **** (19-character form: one month digit "
            "before ****), 3 digits and a digit or X"
        )
    year = int(number[6:10])
    if year > date.today().year:
        raise InvalidDate(f"birth year {year} is in the future")
    month_tens = int(number[10]) if len(number) == 19 else None
    return MaskParts(number[:6], year, month_tens, number[-4:])


def validate(text: object) -> str:
    """Return the canonical 18-character mask or raise an InvalidIdentifier subclass."""
    parts = parse(text)
    return f"{parts.region}{parts.year}****{parts.tail}"


def is_valid(text: object) -> bool:
    """Whether ``text`` is a well-formed masked ID."""
    try:
        validate(text)
    except ValueError:
        return False
    return True


def _age_on(born: date, on: date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def compatible_dates(
    mask: object, age: int | None = None, published_on: date | None = None
) -> list[date]:
    """Every birth date (up to today) that completes ``mask`` with a correct check character.

    With both ``age`` and ``published_on``, only dates giving that age on that day remain;
    the 19-character form also fixes the tens digit of the month.
    """
    parts = parse(mask)
    today = date.today()
    found: list[date] = []
    day = date(parts.year, 1, 1)
    while day.year == parts.year and day <= today:
        body = f"{parts.region}{day:%Y%m%d}{parts.tail[:3]}"
        if (
            (parts.month_tens is None or day.month // 10 == parts.month_tens)
            and resident_id.calc_check_digit(body) == parts.tail[3]
            and (age is None or published_on is None or _age_on(day, published_on) == age)
        ):
            found.append(day)
        day += timedelta(days=1)
    return found


def full_person_id(text: object) -> str | None:
    """The canonical 18-digit number of a full person ID (resident, permit, new foreign PR)."""
    for module in (resident_id, residence_permit, foreign_pr):
        try:
            number = module.validate(text)
        except ValueError:
            continue
        if len(number) == 18:
            return number
    return None


def is_compatible(
    mask: object, full_id: object, age: int | None = None, published_on: date | None = None
) -> bool:
    """Whether the valid full ID ``full_id`` can be the person behind ``mask``.

    False when either is invalid. Equivalent to the birth date of ``full_id`` being one of
    :func:`compatible_dates` of the mask (the full ID's own check character guarantees the
    check part).
    """
    try:
        parts = parse(mask)
    except ValueError:
        return False
    number = full_person_id(full_id)
    if number is None:
        return False
    if number[:6] != parts.region or number[6:10] != str(parts.year):
        return False
    if number[14:] != parts.tail:
        return False
    if parts.month_tens is not None and number[10] != str(parts.month_tens):
        return False
    if age is None or published_on is None:
        return True
    born = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    return _age_on(born, published_on) == age


# --- vectorised twins: the argument is an already compacted expression (``_clean``) ------


def problem_code_expr(number: pl.Expr) -> pl.Expr:
    """:func:`problem_expr` as a code (UInt8 index in ``_codes.PROBLEMS``)."""
    import polars as pl

    length = number.str.len_chars()
    return (
        pl.when(~length.is_in([18, 19]))
        .then(_codes.problem("length"))
        .when(
            pl.when(length == 18)
            .then(number.str.contains(MASK_RE_EXPR))
            .otherwise(number.str.contains(MASK19_RE_EXPR))
            .not_()
        )
        .then(_codes.problem("format"))
        .when(number.str.slice(6, 4).str.to_integer(strict=False) > date.today().year)
        .then(_codes.problem("date"))
        .otherwise(_codes.no_problem())
    )


def problem_expr(number: pl.Expr) -> pl.Expr:
    """Problem name of :func:`validate` (null when valid) for a compacted expression."""
    return _codes.problem_names(problem_code_expr(number))


def canonical_expr(number: pl.Expr) -> pl.Expr:
    """The canonical 18-character mask of a compacted expression, null when invalid."""
    import polars as pl

    mask18 = pl.concat_str([number.str.slice(0, 10), number.str.slice(-8, 8)])
    return pl.when(problem_code_expr(number).is_null()).then(mask18)


def full_person_id_expr(number: pl.Expr) -> pl.Expr:
    """Vectorised :func:`full_person_id` over a compacted expression."""
    import polars as pl

    return pl.coalesce(
        resident_id.canonical_expr(number),
        residence_permit.canonical_expr(number),
        pl.when(number.str.len_chars() == 18).then(foreign_pr.canonical_expr(number)),
    )


def compatible_expr(
    mask_expr: pl.Expr,
    full_id_expr: pl.Expr,
    age_expr: pl.Expr | None = None,
    published_on_expr: pl.Expr | None = None,
) -> pl.Expr:
    """Vectorised :func:`is_compatible`: a Boolean expression, never null.

    ``published_on_expr`` must be a Date expression; the age is only checked on rows
    where both it and ``age_expr`` are not null.
    """
    import polars as pl

    mask = stars_expr(_clean.compact_expr(mask_expr))
    full = full_person_id_expr(_clean.compact_expr(full_id_expr))
    visible_equal = (
        problem_code_expr(mask).is_null()
        & (full.str.slice(0, 10) == mask.str.slice(0, 10))
        & (full.str.slice(14, 4) == mask.str.slice(-4, 4))
        & ((mask.str.len_chars() == 18) | (full.str.slice(10, 1) == mask.str.slice(10, 1)))
    )
    if age_expr is not None and published_on_expr is not None:
        born = full.str.slice(6, 8).str.to_date("%Y%m%d", strict=False)

        def month_day(day: pl.Expr) -> pl.Expr:
            return day.dt.month().cast(pl.Int32) * 100 + day.dt.day().cast(pl.Int32)

        before_birthday = month_day(published_on_expr) < month_day(born)
        age = (
            published_on_expr.dt.year().cast(pl.Int64)
            - born.dt.year().cast(pl.Int64)
            - before_birthday.cast(pl.Int64)
        )
        age_ok = age_expr.is_null() | published_on_expr.is_null() | (age == age_expr.cast(pl.Int64))
        visible_equal = visible_equal & age_ok
    return visible_equal.fill_null(False)
