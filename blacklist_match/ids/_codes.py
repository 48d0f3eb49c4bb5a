"""Column arithmetic on the characters of fixed-width identifiers (vectorised twins only).

A value of exactly ``width`` bytes becomes an ``Array(UInt8, width)`` of its character
codes; any other byte length (short, long or non-ASCII text) gives null or garbage below,
so callers check the format first (a regular expression). A digit is its code minus 48;
a weighted sum over another alphabet looks every code up in a table at once
(``explode`` / ``gather`` / ``reshape``) and takes a dot product with the weights.
Checksums and dates are then integer arithmetic, and problems are UInt8 codes named at
the end (:data:`PROBLEMS`), without building strings on the way. In a lazy query the
shared sub-expressions are computed once (Polars does not share sub-expressions holding
a Series literal, such as the tables: each of those is used once).

Polars is imported on first use so that the scalar codecs never load it.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    import polars as pl


def char_codes(number: pl.Expr, width: int) -> pl.Expr:
    """The ``width`` byte codes of each value (null for any other byte length)."""
    import polars as pl

    return number.cast(pl.Binary).bin.reinterpret(dtype=pl.Array(pl.UInt8, width))


@functools.cache
def _zeros(width: int) -> pl.Series:
    import polars as pl

    return pl.Series([[0] * width], dtype=pl.Array(pl.UInt8, width))


def code_at(number: pl.Expr, width: int, position: int) -> pl.Expr:
    """The byte code (UInt8) at ``position`` of a ``width``-byte value."""
    return char_codes(number, width).arr.get(position)


def digits(number: pl.Expr, width: int, positions: Sequence[int]) -> list[pl.Expr]:
    """Digit value (Int32, ``code - 48``) at each of ``positions`` of a ``width``-byte value."""
    import polars as pl

    codes = char_codes(number, width)
    return [codes.arr.get(position).cast(pl.Int32) - 48 for position in positions]


@functools.cache
def _weights(weights: tuple[int, ...], width: int) -> pl.Series:
    import polars as pl

    padded = [*weights, *[0] * (width - len(weights))]
    return pl.Series([padded], dtype=pl.Array(pl.Int32, width))


@functools.cache
def _table(alphabet: str) -> pl.Series:
    import polars as pl

    values = [0] * 256
    for value, ch in enumerate(alphabet):
        values[ord(ch)] = value
    return pl.Series(values, dtype=pl.Int32)


def weighted_sum(
    number: pl.Expr, width: int, weights: Sequence[int], alphabet: str | None = None
) -> pl.Expr:
    """Sum over the first ``len(weights)`` characters of ``value * weight`` (Int32).

    A character's value is its index in ``alphabet``, or its digit value when
    ``alphabet`` is None; characters outside the alphabet count as 0.
    """
    import polars as pl

    codes = char_codes(number, width)
    weight_array = pl.lit(_weights(tuple(weights), width))
    if alphabet is None:
        total = codes.cast(pl.Array(pl.Int32, width)).arr.dot(weight_array)
        return total - 48 * sum(weights)
    # every row must explode to ``width`` codes: all zeros where the length is wrong
    flat = codes.fill_null(pl.lit(_zeros(width))).arr.explode()
    looked_up = pl.lit(_table(alphabet)).gather(flat).reshape((-1, width))
    return looked_up.arr.dot(weight_array)


@functools.cache
def _series(values: tuple[int, ...], width: int | None = None) -> pl.Series:
    import polars as pl

    if width is None:
        return pl.Series(values, dtype=pl.Int64)
    return pl.Series([values], dtype=pl.Array(pl.Int64, width))


def table_dot(number: pl.Expr, width: int, table: Sequence[int], weights: Sequence[int]) -> pl.Expr:
    """Sum of ``table[code] * weight`` (Int64) over the ``width`` characters of each value.

    ``table`` has 256 entries, ``weights`` ``width``.
    """
    import polars as pl

    codes = char_codes(number, width).fill_null(pl.lit(_zeros(width)))
    looked_up = pl.lit(_series(tuple(table))).gather(codes.arr.explode())
    return looked_up.reshape((-1, width)).arr.dot(pl.lit(_series(tuple(weights), width)))


def digits_sum(values: Sequence[pl.Expr], weights: Sequence[int]) -> pl.Expr:
    """Sum of ``value * weight`` over expressions (for a few digits given one by one)."""
    total = values[0] * weights[0]
    for value, weight in zip(values[1:], weights[1:], strict=True):
        total = total + value * weight
    return total


@functools.cache
def _alphabet_series(alphabet: str | tuple[str, ...]) -> pl.Series:
    import polars as pl

    return pl.Series(list(alphabet), dtype=pl.String)


def char_of(index: pl.Expr, alphabet: str | tuple[str, ...]) -> pl.Expr:
    """The character (or string) ``alphabet[index]`` (String; null for a null index)."""
    import polars as pl

    return pl.lit(_alphabet_series(alphabet)).gather(index)


@functools.cache
def _code_series(alphabet: str) -> pl.Series:
    import polars as pl

    return pl.Series([ord(ch) for ch in alphabet], dtype=pl.UInt8)


def code_of(index: pl.Expr, alphabet: str) -> pl.Expr:
    """The byte code of ``alphabet[index]`` (UInt8), to compare with :func:`code_at`."""
    import polars as pl

    return pl.lit(_code_series(alphabet)).gather(index)


def date_ok(year: pl.Expr, month: pl.Expr, day: pl.Expr, earliest_year: int) -> pl.Expr:
    """Whether year/month/day (integers) is a real date from ``earliest_year`` up to today.

    Month lengths: ``30 + (m + m // 8) % 2`` days, February 28 or 29 (Gregorian leap years).
    """
    import polars as pl

    leap = (((year % 4 == 0) & (year % 100 != 0)) | (year % 400 == 0)).cast(pl.Int32)
    february = (month == 2).cast(pl.Int32)
    month_days = 30 + (month + month // 8) % 2 - february * (2 - leap)
    today = date.today()
    today_number = today.year * 10_000 + today.month * 100 + today.day
    return (
        (year >= earliest_year)
        & (month >= 1)
        & (month <= 12)
        & (day >= 1)
        & (day <= month_days)
        & (year * 10_000 + month * 100 + day <= today_number)
    )


PROBLEMS: Final = ("length", "format", "component", "date", "checksum", "empty")
"""Problem names; the vectorised checks compute the index (UInt8) and name it at the end."""


def problem(name: str) -> pl.Expr:
    """The UInt8 code of a problem name, as a literal."""
    import polars as pl

    return pl.lit(PROBLEMS.index(name), dtype=pl.UInt8)


def no_problem() -> pl.Expr:
    """A null problem code."""
    import polars as pl

    return pl.lit(None, dtype=pl.UInt8)


def problem_names(code: pl.Expr) -> pl.Expr:
    """The problem name (String) of a problem code, null for null."""
    return char_of(code, PROBLEMS)
