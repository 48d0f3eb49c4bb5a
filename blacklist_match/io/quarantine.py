"""Rows that cannot be used, with where they came from and why: nothing is silently dropped."""

from __future__ import annotations

from typing import Final

import polars as pl

from blacklist_match.io.tables import ROW

QUARANTINE_SCHEMA: Final = {
    "file": pl.String,
    "row": pl.Int64,
    "column": pl.String,
    "value": pl.String,
    "reason": pl.String,
}


def empty_quarantine() -> pl.DataFrame:
    """A quarantine frame with no rows."""
    return pl.DataFrame(schema=QUARANTINE_SCHEMA)


def split_bad_rows(
    frame: pl.DataFrame,
    checks: list[tuple[pl.Expr, str, str]],
    *,
    file: str,
    raw: pl.DataFrame | None = None,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Split ``frame`` into good rows and quarantine rows.

    ``checks`` are ``(is_bad, column, reason)``; a row failing several checks is quarantined
    once per failed check (each reason is reported) but removed once. ``raw`` (same row
    order, same ``__row``) supplies the original text for the quarantine's ``value``.
    """
    source = raw if raw is not None else frame
    bad_any = pl.lit(False)
    pieces = []
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
    return good, quarantine.cast(QUARANTINE_SCHEMA).sort("row", "column")
