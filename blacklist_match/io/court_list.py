"""Read court list publications (失信被执行人名单) into canonical list entries.

Headers may be the detail page's Chinese labels, the site's JSON keys, aggregator
aliases or the canonical names of DESIGN.md section 4. Placeholders become null, dates
are parsed from any of the publication's four forms, case numbers get a comparison key,
and the conduct field becomes a list of phrases. The same debtor with several cases stays
several entries.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

import polars as pl

from blacklist_match import schema as S
from blacklist_match.io.columns import canonicalise_columns
from blacklist_match.io.normalise import (
    by_distinct,
    case_key,
    clean_text,
    parse_age,
    parse_date,
    split_conduct,
)
from blacklist_match.io.quarantine import split_bad_rows
from blacklist_match.io.tables import ROW, read_table

CASE_KEY: Final = "case_key"
SOURCE_FILE: Final = "source_file"

LIST_ALIASES: Final = {
    **S.LIST_LABELS,
    **S.LIST_JSON_KEYS,
    # aggregator and older spellings (DOMAIN.md section 1.2)
    "pname": S.NAME,
    "idcardNo": S.ID_NUMBER,
    "court": S.COURT,
    "yjCode": S.BASIS_DOC_NO,
    "yjdw": S.BASIS_ISSUER,
    "jtqx": S.CONDUCT,
    "xwqx": S.CONDUCT,
    "lxqk": S.PERFORMANCE,
    "yiwu": S.OBLIGATION,
    "yw": S.OBLIGATION,
    "postTime": S.PUBLISHED_ON,
    "publishDateStamp": S.PUBLISHED_ON,
    "sortTime": S.FILED_ON,
    "ownerName": S.LEGAL_REP,
    "被执行人姓名": S.NAME,
    "被执行人名称": S.NAME,
    "身份证号码/工商注册号": S.ID_NUMBER,
    "身份证号码/组织机构代码证/工商注册号": S.ID_NUMBER,
    "身份证号码": S.ID_NUMBER,
    "证件号码": S.ID_NUMBER,
    "法定代表人或负责人姓名": S.LEGAL_REP,
    "法定代表人": S.LEGAL_REP,
}

LIST_TEXT_COLUMNS: Final = tuple(
    c for c in S.LIST_COLUMNS if c not in {S.AGE, S.FILED_ON, S.PUBLISHED_ON, S.CONDUCT}
)


def read_court_list(path: str | Path) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Read one publication file; return ``(entries, quarantine)``.

    An entry needs a case number, a name and a date to place it in time (``published_on``,
    else ``filed_on``); rows without them are quarantined with the reason.
    """
    file = str(path)
    raw = canonicalise_columns(
        read_table(path), LIST_ALIASES, S.LIST_COLUMNS, required=(S.CASE_NO, S.NAME), file=file
    )
    entries = raw.select(
        ROW,
        *(clean_text(pl.col(c), zero_is_null=True).alias(c) for c in LIST_TEXT_COLUMNS),
        by_distinct(raw[S.AGE], parse_age),
        by_distinct(raw[S.FILED_ON], parse_date),
        by_distinct(raw[S.PUBLISHED_ON], parse_date),
        by_distinct(raw[S.CONDUCT], lambda c: split_conduct(clean_text(c, zero_is_null=True))),
    ).with_columns(
        case_key(pl.col(S.CASE_NO)).alias(CASE_KEY),
        pl.col(S.GENDER).str.replace(r"性$", ""),
        pl.lit(file).alias(SOURCE_FILE),
    )
    return split_bad_rows(
        entries,
        [
            (pl.col(S.CASE_NO).is_null(), S.CASE_NO, "missing case number"),
            (pl.col(S.NAME).is_null(), S.NAME, "missing debtor name"),
            (
                pl.col(S.PUBLISHED_ON).is_null() & pl.col(S.FILED_ON).is_null(),
                S.PUBLISHED_ON,
                "no readable publication or filing date",
            ),
        ],
        file=file,
        raw=raw,
    )
