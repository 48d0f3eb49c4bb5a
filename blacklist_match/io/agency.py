"""Read agency records, removal notices and the officer registry into canonical frames."""

from __future__ import annotations

from pathlib import Path
from typing import Final

import polars as pl

from blacklist_match import schema as S
from blacklist_match.io.columns import canonicalise_columns
from blacklist_match.io.court_list import CASE_KEY, SOURCE_FILE
from blacklist_match.io.normalise import case_key, clean_text, parse_amount, parse_date
from blacklist_match.io.quarantine import split_bad_rows
from blacklist_match.io.tables import READER_COLUMNS, ROW, read_table

EXTRA: Final = "extra"
"""Agency columns beyond the canonical ones, kept as a JSON object."""

SUBJECT_TYPE_VALUES: Final = {
    "person": S.SubjectType.PERSON.value,
    "individual": S.SubjectType.PERSON.value,
    "natural_person": S.SubjectType.PERSON.value,
    "个人": S.SubjectType.PERSON.value,
    "自然人": S.SubjectType.PERSON.value,
    "580": S.SubjectType.PERSON.value,
    "entity": S.SubjectType.ENTITY.value,
    "company": S.SubjectType.ENTITY.value,
    "organisation": S.SubjectType.ENTITY.value,
    "organization": S.SubjectType.ENTITY.value,
    "企业": S.SubjectType.ENTITY.value,
    "单位": S.SubjectType.ENTITY.value,
    "法人": S.SubjectType.ENTITY.value,
    "法人或其他组织": S.SubjectType.ENTITY.value,
    "581": S.SubjectType.ENTITY.value,
}

RECORD_ALIASES: Final = {
    "记录编号": S.RECORD_ID,
    "业务编号": S.RECORD_ID,
    "机构": S.AGENCY,
    "部门": S.AGENCY,
    "业务类型": S.RECORD_TYPE,
    "业务子类": S.SUB_TYPE,
    "主体类型": S.SUBJECT_TYPE,
    "主体名称": S.SUBJECT_NAME,
    "姓名/名称": S.SUBJECT_NAME,
    "证件号码": S.SUBJECT_ID,
    "身份证号码/统一社会信用代码": S.SUBJECT_ID,
    "业务日期": S.EVENT_DATE,
    "金额": S.AMOUNT,
}

REMOVAL_COLUMNS: Final = (S.CASE_NO, S.REMOVED_ON, S.REASON, S.ID_NUMBER, S.NAME)
REMOVAL_ALIASES: Final = {
    "案号": S.CASE_NO,
    "caseCode": S.CASE_NO,
    "删除日期": S.REMOVED_ON,
    "屏蔽日期": S.REMOVED_ON,
    "移除日期": S.REMOVED_ON,
    "删除原因": S.REASON,
    "原因": S.REASON,
    "身份证号码/组织机构代码": S.ID_NUMBER,
    "cardNum": S.ID_NUMBER,
    "被执行人姓名/名称": S.NAME,
    "iname": S.NAME,
}

OFFICER_COLUMNS: Final = (
    S.ENTITY_ID,
    S.ENTITY_NAME,
    S.PERSON_NAME,
    S.PERSON_ID,
    S.ROLE,
    S.START_DATE,
    S.END_DATE,
)
ROLE_VALUES: Final = {
    "法定代表人": S.Role.LEGAL_REPRESENTATIVE.value,
    "负责人": S.Role.MAIN_PERSON_IN_CHARGE.value,
    "主要负责人": S.Role.MAIN_PERSON_IN_CHARGE.value,
    "实际控制人": S.Role.ACTUAL_CONTROLLER.value,
    "影响债务履行的直接责任人员": S.Role.DIRECTLY_RESPONSIBLE.value,
    "直接责任人员": S.Role.DIRECTLY_RESPONSIBLE.value,
    "直接责任人": S.Role.DIRECTLY_RESPONSIBLE.value,
    "董事": S.Role.DIRECTOR.value,
    "董事长": S.Role.DIRECTOR.value,
    "副董事长": S.Role.DIRECTOR.value,
    "执行董事": S.Role.DIRECTOR.value,
    "监事": S.Role.SUPERVISOR.value,
    "监事会主席": S.Role.SUPERVISOR.value,
    "职工监事": S.Role.SUPERVISOR.value,
    "高级管理人员": S.Role.SENIOR_MANAGER.value,
    "经理": S.Role.SENIOR_MANAGER.value,
    "总经理": S.Role.SENIOR_MANAGER.value,
    "副经理": S.Role.SENIOR_MANAGER.value,
    "副总经理": S.Role.SENIOR_MANAGER.value,
    "财务负责人": S.Role.SENIOR_MANAGER.value,
    "董事会秘书": S.Role.SENIOR_MANAGER.value,
}
"""Registry titles, as DOMAIN.md 3 names the roles and as company registries write them
(the Company Law's senior managers: managers and deputies, the financial officer and the
board secretary)."""
ROLE_NAMES: Final = frozenset(r.value for r in S.Role)


def read_records(
    path: str | Path,
    *,
    renames: dict[str, str] | None = None,
    value_maps: dict[str, dict[str, str]] | None = None,
    date_format: str | None = None,
    defaults: dict[str, str] | None = None,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Read agency records from a file; return ``(records, quarantine)``.

    See :func:`normalise_records` for what is checked.
    """
    return normalise_records(
        read_table(path),
        file=str(path),
        renames=renames,
        value_maps=value_maps,
        date_format=date_format,
        defaults=defaults,
    )


def normalise_records(
    table: pl.DataFrame,
    *,
    file: str,
    renames: dict[str, str] | None = None,
    value_maps: dict[str, dict[str, str]] | None = None,
    date_format: str | None = None,
    defaults: dict[str, str] | None = None,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Canonicalise a frame of agency records (text columns); return ``(records, quarantine)``.

    ``renames`` (agency column -> canonical), ``value_maps`` (canonical column -> {code:
    value}), ``date_format`` and ``defaults`` (constant values for columns the agency does
    not send) come from a mapping file. Columns beyond the canonical ones are kept as a
    JSON object in ``extra``. A record needs an id, a record type, a readable event date
    and a subject id or name; a repeated ``record_id`` is quarantined after its first row.
    """
    if ROW not in table.columns:
        table = table.with_row_index(ROW, offset=1).with_columns(pl.col(ROW).cast(pl.Int64))
    table = table.with_columns(pl.exclude(ROW).cast(pl.String))
    if renames:
        table = table.rename({k: v for k, v in renames.items() if k in table.columns})
    for column, value in (defaults or {}).items():
        if column not in table.columns:
            table = table.with_columns(pl.lit(value, dtype=pl.String).alias(column))
    raw = canonicalise_columns(
        table,
        RECORD_ALIASES,
        S.RECORD_COLUMNS,
        required=(S.RECORD_ID, S.RECORD_TYPE, S.EVENT_DATE),
        file=file,
    )
    core = set(S.RECORD_COLUMNS)
    extra = [c for c in raw.columns if c not in core and c not in READER_COLUMNS]
    text_columns = (S.RECORD_ID, S.AGENCY, S.RECORD_TYPE, S.SUB_TYPE, S.SUBJECT_NAME, S.SUBJECT_ID)
    records = raw.select(
        ROW,
        *(clean_text(pl.col(c)).alias(c) for c in text_columns),
        clean_text(pl.col(S.SUBJECT_TYPE)).alias(S.SUBJECT_TYPE),
        (
            pl.col(S.EVENT_DATE).str.strip_chars().str.strptime(pl.Date, date_format, strict=False)
            if date_format
            else parse_date(pl.col(S.EVENT_DATE))
        ).alias(S.EVENT_DATE),
        parse_amount(clean_text(pl.col(S.AMOUNT))).alias(S.AMOUNT),
        (pl.struct(extra).struct.json_encode() if extra else pl.lit(None, pl.String)).alias(EXTRA),
    )
    for column, mapping in (value_maps or {}).items():
        if column in records.columns:
            records = records.with_columns(pl.col(column).replace(mapping))
    records = records.with_columns(
        pl.col(S.RECORD_TYPE).str.to_lowercase(),
        pl.col(S.SUB_TYPE).str.to_lowercase(),
        pl.col(S.SUBJECT_TYPE)
        .str.to_lowercase()
        .replace_strict(SUBJECT_TYPE_VALUES, default=None)
        .alias(S.SUBJECT_TYPE),
        pl.lit(file).alias(SOURCE_FILE),
    )
    known_type = raw.select(
        clean_text(pl.col(S.SUBJECT_TYPE)).str.to_lowercase().is_in(SUBJECT_TYPE_VALUES.keys())
        | pl.col(S.SUBJECT_TYPE).is_null()
        | clean_text(pl.col(S.SUBJECT_TYPE)).is_null()
    ).to_series()
    records = records.with_columns(known_type.alias("__known_subject_type"))
    good, quarantine = split_bad_rows(
        records,
        [
            (pl.col(S.RECORD_ID).is_null(), S.RECORD_ID, "missing record id"),
            (
                pl.col(S.RECORD_ID).is_duplicated()
                & (pl.int_range(pl.len()).over(S.RECORD_ID) > 0),
                S.RECORD_ID,
                "repeated record id in the same file",
            ),
            (pl.col(S.RECORD_TYPE).is_null(), S.RECORD_TYPE, "missing record type"),
            (pl.col(S.EVENT_DATE).is_null(), S.EVENT_DATE, "missing or unreadable event date"),
            (
                pl.col(S.SUBJECT_ID).is_null() & pl.col(S.SUBJECT_NAME).is_null(),
                S.SUBJECT_ID,
                "no subject id and no subject name",
            ),
            (~pl.col("__known_subject_type"), S.SUBJECT_TYPE, "unknown subject type"),
        ],
        file=file,
        raw=raw,
    )
    return good.drop("__known_subject_type"), quarantine


def read_removals(path: str | Path) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Read removal notices (``case_no``, ``removed_on``, optional ``reason``, ``id_number``,
    ``name`` to end one debtor of a shared case); return ``(removals, quarantine)``."""
    file = str(path)
    raw = canonicalise_columns(
        read_table(path),
        REMOVAL_ALIASES,
        REMOVAL_COLUMNS,
        required=(S.CASE_NO, S.REMOVED_ON),
        file=file,
    )
    removals = raw.select(
        ROW,
        clean_text(pl.col(S.CASE_NO)).alias(S.CASE_NO),
        parse_date(pl.col(S.REMOVED_ON)).alias(S.REMOVED_ON),
        clean_text(pl.col(S.REASON)).alias(S.REASON),
        clean_text(pl.col(S.ID_NUMBER), zero_is_null=True).alias(S.ID_NUMBER),
        clean_text(pl.col(S.NAME)).alias(S.NAME),
    ).with_columns(case_key(pl.col(S.CASE_NO)).alias(CASE_KEY), pl.lit(file).alias(SOURCE_FILE))
    return split_bad_rows(
        removals,
        [
            (pl.col(S.CASE_NO).is_null(), S.CASE_NO, "missing case number"),
            (pl.col(S.REMOVED_ON).is_null(), S.REMOVED_ON, "missing or unreadable removal date"),
        ],
        file=file,
        raw=raw,
    )


def read_officers(path: str | Path) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Read the officer registry; return ``(links, quarantine)``.

    Roles may be the canonical codes or their Chinese names. A link needs an entity id, a
    person id or name, and a known role; an unreadable end date is quarantined, an empty
    one means the role is current.
    """
    file = str(path)
    raw = canonicalise_columns(
        read_table(path),
        {
            "统一社会信用代码": S.ENTITY_ID,
            "企业名称": S.ENTITY_NAME,
            "姓名": S.PERSON_NAME,
            "身份证号码": S.PERSON_ID,
            "职务": S.ROLE,
            "任职开始日期": S.START_DATE,
            "任职结束日期": S.END_DATE,
        },
        OFFICER_COLUMNS,
        required=(S.ENTITY_ID, S.ROLE),
        file=file,
    )
    role = clean_text(pl.col(S.ROLE))
    links = raw.select(
        ROW,
        *(
            clean_text(pl.col(c)).alias(c)
            for c in (S.ENTITY_ID, S.ENTITY_NAME, S.PERSON_NAME, S.PERSON_ID)
        ),
        pl.coalesce(role.replace_strict(ROLE_VALUES, default=None), role.str.to_lowercase()).alias(
            S.ROLE
        ),
        parse_date(pl.col(S.START_DATE)).alias(S.START_DATE),
        parse_date(pl.col(S.END_DATE)).alias(S.END_DATE),
        clean_text(pl.col(S.END_DATE)).is_not_null().alias("__has_end"),
    ).with_columns(pl.lit(file).alias(SOURCE_FILE))
    good, quarantine = split_bad_rows(
        links,
        [
            (pl.col(S.ENTITY_ID).is_null(), S.ENTITY_ID, "missing entity id"),
            (
                pl.col(S.PERSON_ID).is_null() & pl.col(S.PERSON_NAME).is_null(),
                S.PERSON_ID,
                "no person id and no person name",
            ),
            (~pl.col(S.ROLE).is_in(ROLE_NAMES), S.ROLE, "unknown role"),
            (pl.col("__has_end") & pl.col(S.END_DATE).is_null(), S.END_DATE, "unreadable date"),
        ],
        file=file,
        raw=raw,
    )
    return good.drop("__has_end"), quarantine
