"""The list's history: when each entry stopped being listed, as known on a given date."""

from __future__ import annotations

from datetime import date

import polars as pl

from blacklist_match import schema as S
from blacklist_match.ids import classify_expr
from blacklist_match.io.court_list import CASE_KEY


def _name_key(expr: pl.Expr) -> pl.Expr:
    return expr.str.normalize("NFKC").str.replace_all(r"\s+", "")


def apply_removals(
    entries: pl.LazyFrame, removals: pl.LazyFrame, as_of: date | None = None
) -> pl.LazyFrame:
    """Set ``listed_until`` from removal notices known by ``as_of`` (all when None).

    A notice with an ``id_number`` (or, failing that, a ``name``) ends only that debtor of
    the case; a notice with neither ends every debtor listed under the case number. The
    earliest applicable removal wins; an entry with none stays listed (null).
    """
    removals = removals.filter(pl.lit(as_of).is_null() | (pl.col(S.REMOVED_ON) <= pl.lit(as_of)))
    removals = removals.with_columns(
        classify_expr(pl.col(S.ID_NUMBER)).struct.field(S.ID_NORM).alias("removal_id_norm"),
        _name_key(pl.col(S.NAME)).alias("removal_name"),
    )
    whole_case = (
        removals.filter(pl.col(S.ID_NUMBER).is_null() & pl.col(S.NAME).is_null())
        .group_by(CASE_KEY)
        .agg(pl.col(S.REMOVED_ON).min().alias("__until_case"))
    )
    by_id = (
        removals.filter(pl.col("removal_id_norm").is_not_null())
        .group_by(CASE_KEY, "removal_id_norm")
        .agg(pl.col(S.REMOVED_ON).min().alias("__until_id"))
    )
    by_name = (
        removals.filter(pl.col(S.ID_NUMBER).is_null() & pl.col(S.NAME).is_not_null())
        .group_by(CASE_KEY, "removal_name")
        .agg(pl.col(S.REMOVED_ON).min().alias("__until_name"))
    )
    return (
        entries.with_columns(
            _name_key(pl.col(S.NAME)).alias("removal_name"),
            pl.col(S.ID_NORM).alias("removal_id_norm"),
        )
        .join(whole_case, on=CASE_KEY, how="left")
        .join(by_id, on=[CASE_KEY, "removal_id_norm"], how="left")
        .join(by_name, on=[CASE_KEY, "removal_name"], how="left")
        .with_columns(
            pl.min_horizontal("__until_case", "__until_id", "__until_name").alias(S.LISTED_UNTIL)
        )
        .drop("__until_case", "__until_id", "__until_name", "removal_name", "removal_id_norm")
    )
