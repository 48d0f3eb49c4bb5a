"""Column-wise cleaning shared by every reader: placeholders, dates, case numbers, amounts.

All functions return Polars expressions; none raises per row. A value that cannot be
parsed becomes null, and the reader that called it decides whether that is a quarantine.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

import polars as pl

PLACEHOLDERS: Final = (
    "",
    "暂无",
    "无",
    "--",
    "-",
    "—",
    "——",
    "null",
    "NULL",
    "None",
    "none",
    "N/A",
)
"""Values the publication and third-party feeds use for 'nothing' (DOMAIN.md section 6)."""

CHINA_UTC_OFFSET_MS: Final = 8 * 3600 * 1000
"""Epoch stamps in the feeds are midnight China Standard Time (UTC+8, no DST since 1991)."""

_DASHED_DATE: Final = r"^\d{4}[-/.]\d{1,2}[-/.]\d{1,2}([ T]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?)?$"


def clean_text(expr: pl.Expr, *, zero_is_null: bool = False) -> pl.Expr:
    """Trim; placeholders (and ``0`` where it means nothing) become null."""
    trimmed = expr.str.strip_chars()
    nothing = trimmed.is_in(PLACEHOLDERS)
    if zero_is_null:
        nothing = nothing | (trimmed == "0")
    return pl.when(nothing).then(None).otherwise(trimmed)


def parse_date(expr: pl.Expr) -> pl.Expr:
    """Parse ``2016年12月01日``, ``20161201``, ``2016-12-01[ HH:MM:SS]`` or epoch seconds.

    Epoch seconds are read as China time, so ``1562947200`` is 2019-07-13. Anything else
    (including impossible dates) is null.
    """
    text = expr.str.strip_chars().str.replace_all("/", "-").str.replace_all(r"\.", "-")
    chinese = text.str.strptime(pl.Date, "%Y年%m月%d日", strict=False)
    compact = pl.when(text.str.contains(r"^\d{8}$")).then(
        text.str.strptime(pl.Date, "%Y%m%d", strict=False)
    )
    dashed = pl.when(text.str.contains(_DASHED_DATE)).then(
        text.str.extract(r"^(\d{4}-\d{1,2}-\d{1,2})", 1).str.strptime(
            pl.Date, "%Y-%m-%d", strict=False
        )
    )
    epoch = pl.when(text.str.contains(r"^\d{9,10}$")).then(
        (text.cast(pl.Int64, strict=False) * 1000 + CHINA_UTC_OFFSET_MS)
        .cast(pl.Datetime("ms"))
        .dt.date()
    )
    return pl.coalesce(chinese, compact, dashed, epoch)


_NFKC_STABLE: Final = r"^[\x00-\x7F\x{4E00}-\x{9FFF}]*$"
"""Text of ASCII and CJK Unified Ideographs only, which NFKC leaves as it is."""


def nfkc(expr: pl.Expr) -> pl.Expr:
    """``expr.str.normalize("NFKC")``, computed only for values NFKC can change.

    Most values (case numbers, names, IDs) are ASCII and common Chinese characters, which
    NFKC maps to themselves; testing for that is several times cheaper than normalising.

    >>> pl.select(nfkc(pl.lit("（2017）桂1322执４８７号"))).item()
    '(2017)桂1322执487号'
    """
    stable = expr.str.contains(_NFKC_STABLE)
    return pl.coalesce(pl.when(~stable).then(expr).str.normalize("NFKC"), expr)


def by_distinct(values: pl.Series, compute: Callable[[pl.Expr], pl.Expr]) -> pl.Series:
    """``compute`` (an expression of one column) evaluated once per distinct value.

    For columns whose values repeat a lot (dates, ages, conduct phrases, names): the work
    is done on the distinct values and a hash join spreads it back, in row order.

    >>> by_distinct(pl.Series("age", ["30", "30", None]), parse_age).to_list()
    [30, 30, None]
    """
    distinct = values.unique().to_frame("value")
    results = distinct.with_columns(compute(pl.col("value")).alias("result"))
    joined = values.to_frame("value").join(
        results, on="value", how="left", nulls_equal=True, maintain_order="left"
    )
    return joined["result"].alias(values.name)


def case_key(expr: pl.Expr) -> pl.Expr:
    """Case number as compared: NFKC (``（）`` -> ``()``), no whitespace, 〔〕 as ().

    >>> pl.select(case_key(pl.lit("（2017）桂1322执 487号"))).item()
    '(2017)桂1322执487号'
    """
    key = nfkc(expr)
    spaced_or_bracketed = key.str.contains(r"[\s〔\[【〕\]】]")
    cleaned = (
        pl.when(spaced_or_bracketed)
        .then(key)
        .str.replace_all(r"\s+", "")
        .str.replace_all(r"[〔\[【]", "(")
        .str.replace_all(r"[〕\]】]", ")")
    )
    return pl.coalesce(cleaned, key)


def split_conduct(expr: pl.Expr) -> pl.Expr:
    """Split the conduct field into its standard phrases (comma or semicolon separated)."""
    return (
        expr.str.replace_all(r"[，;；\r\n]+", ",")
        .str.split(",")
        .list.eval(pl.element().str.strip_chars())
        .list.filter(pl.element().str.len_chars() > 0)
    )


def parse_amount(expr: pl.Expr) -> pl.Expr:
    """Amounts as float: thousands separators, currency marks and ``元`` removed."""
    text = expr.str.replace_all(r"[,，\s¥￥元]", "")
    return text.cast(pl.Float64, strict=False)


def parse_age(expr: pl.Expr) -> pl.Expr:
    """Published age as an integer; 0 (used for entities) and junk are null."""
    age = expr.str.strip_chars().str.replace(r"岁$", "").cast(pl.Int32, strict=False)
    return pl.when(age > 0).then(age)
