"""Rows that cannot be used, with where they came from and why: nothing is silently dropped."""

from __future__ import annotations

from typing import Final

import polars as pl

from blacklist_match.io.tables import PROBLEM, RAW_TEXT, READER_COLUMNS, ROW

QUARANTINE_SCHEMA: Final = pl.Schema(
    {
        "file": pl.String,
        "row": pl.Int64,
        "column": pl.String,
        "value": pl.String,
        "reason": pl.String,
    }
)


def empty_quarantine() -> pl.DataFrame:
    """A quarantine frame with no rows."""
    return pl.DataFrame(schema=QUARANTINE_SCHEMA)


def unreadable_rows(source: pl.DataFrame, *, file: str) -> pl.DataFrame:
    """Quarantine rows of ``source`` the table reader could not read (``__problem`` set).

    Their ``column`` is null (the whole row is bad) and ``value`` is the row's text.
    """
    if PROBLEM not in source.columns:
        return empty_quarantine()
    return (
        source.filter(pl.col(PROBLEM).is_not_null())
        .select(
            pl.lit(file).alias("file"),
            pl.col(ROW).alias("row"),
            pl.lit(None, pl.String).alias("column"),
            pl.col(RAW_TEXT).alias("value"),
            pl.col(PROBLEM).alias("reason"),
        )
        .cast(QUARANTINE_SCHEMA)
    )


def split_bad_rows(
    frame: pl.DataFrame,
    checks: list[tuple[pl.Expr, str, str]],
    *,
    file: str,
    raw: pl.DataFrame | None = None,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Split ``frame`` into good rows and quarantine rows.

    Rows the table reader could not read (``__problem`` in ``raw``, or in ``frame`` when no
    ``raw`` is given) are quarantined once with the reader's reason, and the ``checks`` do
    not run on them. ``checks`` are ``(is_bad, column, reason)``; a row failing several
    checks is quarantined once per failed check (each reason is reported) but removed once.
    ``raw`` (same ``__row``) supplies the original text for the quarantine's ``value``.
    """
    source = raw if raw is not None else frame
    unreadable = unreadable_rows(source, file=file)
    if unreadable.height:
        frame = frame.filter(~pl.col(ROW).is_in(unreadable["row"].implode()))
    frame = frame.drop([c for c in READER_COLUMNS if c != ROW and c in frame.columns])
    bad_any = pl.lit(False)
    pieces = [unreadable] if unreadable.height else []
    for index, (is_bad, column, reason) in enumerate(checks):
        flag = f"__bad{index}"
        frame = frame.with_columns(is_bad.fill_null(False).alias(flag))
        bad_any = bad_any | pl.col(flag)
        rows = frame.filter(pl.col(flag)).select(ROW)
        if rows.height:
            value = pl.col(column).cast(pl.String) if column in source.columns else pl.lit(None)
            pieces.append(
                rows.join(source.select(ROW, value.alias("value")), on=ROW, how="left").select(
                    pl.lit(file).alias("file"),
                    pl.col(ROW).alias("row"),
                    pl.lit(column).alias("column"),
                    pl.col("value").cast(pl.String),
                    pl.lit(reason).alias("reason"),
                )
            )
    flags = [c for c in frame.columns if c.startswith("__bad")]
    good = frame.filter(~bad_any).drop(flags)
    quarantine = pl.concat(pieces) if pieces else empty_quarantine()
    return good, quarantine.cast(QUARANTINE_SCHEMA).sort("row", "column", nulls_last=False)
