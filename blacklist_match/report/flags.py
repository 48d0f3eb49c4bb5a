"""Turn accepted candidates into flag rows: report columns, masked IDs, explanations."""

from __future__ import annotations

from typing import Final

import polars as pl

from blacklist_match import schema as S
from blacklist_match.match.evidence import EVIDENCE_ZH, ROLE_ZH

_MASKED_KINDS: Final = [k.value for k in S.PERSON_ID_KINDS]


def mask_person_id(value: pl.Expr, kind: pl.Expr, valid: pl.Expr | None = None) -> pl.Expr:
    """Hide a person's ID but its first 6 and last 2 characters; entity codes stay shown.

    Entity codes are public registration data (the list itself publishes them unmasked).
    An identifier of unknown kind, and one that failed validation (``valid`` false: a
    typo'd person number may look like a company code), is masked the same way.
    """
    text = value.str.strip_chars()
    length = text.str.len_chars()
    hidden = pl.concat_str(
        text.str.slice(0, 6),
        pl.lit("*").repeat_by(pl.max_horizontal(length - 8, pl.lit(0))).list.join(""),
        text.str.slice(-2, 2),
    )
    return (
        pl.when(
            kind.is_in([k.value for k in S.ENTITY_ID_KINDS])
            & (pl.lit(True) if valid is None else valid.fill_null(False))
        )
        .then(text)
        .when(length <= 8)
        .then(pl.lit("*").repeat_by(length).list.join(""))
        .otherwise(hidden)
    )


def explanation() -> pl.Expr:
    """One Chinese sentence naming the evidence, the listing and the rule.

    :func:`blacklist_match.screener.explain` is its scalar twin: change both together.
    """
    evidence = pl.col("evidence").replace_strict(EVIDENCE_ZH, default=pl.col("evidence"))
    subject = (
        pl.when(pl.col(S.LINK) == S.Link.OFFICER_OF_LISTED_ENTITY.value)
        .then(
            pl.concat_str(
                pl.lit("申请人系被执行人"),
                pl.col(S.DEBTOR_NAME),
                pl.lit("的"),
                pl.col(S.VIA).replace_strict(ROLE_ZH, default=pl.col(S.VIA)),
                pl.lit("（据登记信息），"),
            )
        )
        .when(pl.col(S.LINK) == S.Link.ENTITY_OF_LISTED_PERSON.value)
        .then(
            pl.concat_str(
                pl.lit("申请单位的"),
                pl.col(S.VIA).replace_strict(ROLE_ZH, default=pl.col(S.VIA)),
                pl.lit("为被执行人"),
                pl.col(S.DEBTOR_NAME),
                pl.lit("（据登记信息），"),
            )
        )
        .otherwise(pl.lit(""))
    )
    return pl.concat_str(
        subject,
        pl.lit("申请人"),
        evidence,
        pl.lit("；"),
        pl.col(S.DEBTOR_NAME),
        pl.lit("自"),
        pl.col(S.LISTED_FROM).dt.strftime("%Y年%m月%d日"),
        pl.lit("起由"),
        pl.col(S.COURT).fill_null("执行法院"),
        pl.lit("列入失信被执行人名单（案号"),
        pl.col(S.CASE_NO),
        pl.lit("）；依规则"),
        pl.col(S.RULE_ID),
        pl.lit("："),
        pl.col(S.BASIS),
        pl.lit("。"),
        ignore_nulls=True,
    )


IN_MEMORY_ROWS: Final = 1_000_000
"""Candidates up to which the report is built on Polars' in-memory engine rather than its
default streaming one: on a since-last run's few dozen candidates the in-memory engine
takes 3 ms against 8, and it is as fast up to some 400,000; beyond a million the streaming
engine keeps memory bounded."""


def build_flags(
    accepted: pl.LazyFrame, *, show_ids: bool = False, candidates: int | None = None
) -> pl.DataFrame:
    """The report: one row per (record, list entry, rule), DESIGN.md section 6 columns first.

    ``subject_id`` is masked unless ``show_ids``; ``entry_id``, ``link`` and ``evidence``
    follow the contract columns so a flag can be traced and keyed later. ``candidates``:
    how many rows ``accepted`` was planned from, if known (:data:`IN_MEMORY_ROWS`).
    """
    small = candidates is not None and candidates <= IN_MEMORY_ROWS
    return _flags_plan(accepted, show_ids=show_ids).collect(engine="in-memory" if small else "auto")


def empty_flags(accepted: pl.LazyFrame, *, show_ids: bool = False) -> pl.DataFrame:
    """The report of no flags, with the columns and types :func:`build_flags` gives: read
    from the plan's schema, without running it (a tenth of the time, which a since-last run
    with nothing to screen pays)."""
    return pl.DataFrame(schema=_flags_plan(accepted, show_ids=show_ids).collect_schema())


def _flags_plan(accepted: pl.LazyFrame, *, show_ids: bool) -> pl.LazyFrame:
    subject_id = (
        pl.col(S.SUBJECT_ID)
        if show_ids
        else mask_person_id(
            pl.col(S.SUBJECT_ID),
            pl.col("subject_id_kind").fill_null("unknown"),
            pl.col("subject_id_valid"),
        )
    )
    return (
        accepted.with_columns(
            explanation().alias(S.EXPLANATION),
            subject_id.alias(S.SUBJECT_ID),
            pl.col(S.SCORE).round(4),
        )
        .select(
            *S.FLAG_COLUMNS, S.ENTRY_ID, S.LINK, "evidence", S.AGENCY, S.RECORD_TYPE, S.SUB_TYPE
        )
        .sort(S.RECORD_ID, S.CASE_NO, S.RULE_ID)
    )


INTERNAL_COLUMNS: Final = ("subject_key",)
"""Columns a run keeps for its own bookkeeping that never go into a report file."""


def public_flags(flags: pl.DataFrame, *, show_ids: bool = False) -> pl.DataFrame:
    """The flags as a report file shows them: internal columns dropped and, unless
    ``show_ids``, person IDs inside ``entry_id`` (``case|ID``) masked like ``subject_id``."""
    from blacklist_match.privacy import mask_text_expr

    public = flags.drop([c for c in INTERNAL_COLUMNS if c in flags.columns])
    if show_ids or S.ENTRY_ID not in public.columns:
        return public
    # An entry is flagged on many records: mask each distinct entry_id once, then map.
    distinct = public.get_column(S.ENTRY_ID).unique().drop_nulls()
    masked = pl.select(mask_text_expr(pl.lit(distinct))).to_series()
    return public.with_columns(pl.col(S.ENTRY_ID).replace(distinct, masked))
