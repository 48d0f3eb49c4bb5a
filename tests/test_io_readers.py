"""Readers accept what agencies are sent: every format, encoding, header and date form."""

from __future__ import annotations

import json
import unicodedata
from datetime import date
from pathlib import Path

import polars as pl
import pytest
from conftest import LIST_HEADER, LIST_ROWS
from hypothesis import given, settings
from hypothesis import strategies as st

from blacklist_match.errors import InputError
from blacklist_match.io.agency import read_officers, read_records, read_removals
from blacklist_match.io.court_list import CASE_KEY, read_court_list
from blacklist_match.io.normalise import by_distinct, nfkc, parse_age


def test_list_csv_with_chinese_labels_is_read(list_csv: Path) -> None:
    entries, quarantine = read_court_list(list_csv)
    assert entries.height == 3
    assert quarantine.height == 0
    first = entries.row(0, named=True)
    assert first["case_no"] == "（2019）鄂0902执1194号"
    assert first[CASE_KEY] == "(2019)鄂0902执1194号"
    assert first["age"] == 36
    assert first["published_on"] == date(2019, 7, 13)
    assert first["filed_on"] == date(2019, 7, 9)
    assert first["conduct"] == ["违反财产报告制度", "违反限制消费令"]


@pytest.mark.parametrize(
    ("row", "field", "expected"),
    [
        (1, "filed_on", date(2017, 8, 11)),
        (1, "published_on", date(2017, 11, 26)),  # epoch seconds, China time
        (2, "published_on", date(2018, 3, 20)),
        (2, "filed_on", date(2018, 3, 1)),
    ],
    ids=["yyyymmdd", "epoch", "datetime", "iso"],
)
def test_every_date_form_is_parsed(list_csv: Path, row: int, field: str, expected: date) -> None:
    entries, _ = read_court_list(list_csv)
    assert entries.row(row, named=True)[field] == expected


def test_placeholders_become_null(list_csv: Path) -> None:
    entries, _ = read_court_list(list_csv)
    company = entries.row(1, named=True)
    assert company["age"] is None  # 0 for an entity means nothing
    assert company["gender"] is None
    assert entries.row(2, named=True)["conduct"] is None  # 暂无


def test_gb18030_csv_is_detected(tmp_path: Path) -> None:
    path = tmp_path / "list_gbk.csv"
    path.write_bytes(("\n".join([LIST_HEADER, *LIST_ROWS]) + "\n").encode("gb18030"))
    entries, _ = read_court_list(path)
    assert entries["name"].to_list() == ["张伟", "象州县腾飞商贸有限公司", "王芳"]


def test_json_lines_with_site_keys_is_read(tmp_path: Path) -> None:
    path = tmp_path / "list.jsonl"
    rows = [
        {
            "caseCode": "(2019)皖1122执1194号",
            "iname": "李娜",
            "sexy": "女性",
            "age": 35,
            "cardNum": "3423011964****3224",
            "courtName": "来安县人民法院",
            "regDate": "20190709",
            "publishDate": "2019年07月13日",
            "disruptTypeName": "有履行能力而拒不履行生效法律文书确定义务",
        }
    ]
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    entries, quarantine = read_court_list(path)
    assert quarantine.height == 0
    row = entries.row(0, named=True)
    assert (row["name"], row["gender"], row["age"]) == ("李娜", "女", 35)
    assert row["published_on"] == date(2019, 7, 13)


def test_xlsx_and_parquet_give_the_same_entries(list_csv: Path, tmp_path: Path) -> None:
    from_csv, _ = read_court_list(list_csv)
    raw = pl.read_csv(list_csv, infer_schema=False)
    raw.write_excel(tmp_path / "list.xlsx")
    raw.write_parquet(tmp_path / "list.parquet")
    drop = ["source_file", "__row"]
    for other in ("list.xlsx", "list.parquet"):
        entries, _ = read_court_list(tmp_path / other)
        assert entries.drop(drop).equals(from_csv.drop(drop)), other


def test_row_without_case_number_is_quarantined_and_others_go_on(tmp_path: Path) -> None:
    path = tmp_path / "list.csv"
    bad = "," + LIST_ROWS[2].split(",", 1)[1]
    path.write_text("\n".join([LIST_HEADER, LIST_ROWS[0], bad]) + "\n", encoding="utf-8")
    entries, quarantine = read_court_list(path)
    assert entries.height == 1
    assert quarantine.select("file", "row", "column", "reason").row(0) == (
        str(path),
        3,
        "case_no",
        "missing case number",
    )


def test_missing_required_column_names_file_and_column(tmp_path: Path) -> None:
    path = tmp_path / "list.csv"
    path.write_text("被执行人姓名/名称,发布时间\n张伟,2019-01-01\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"list\.csv.*case_no"):
        read_court_list(path)


def test_records_quarantine_names_row_column_and_reason(tmp_path: Path) -> None:
    path = tmp_path / "records.csv"
    path.write_text(
        "record_id,agency,record_type,sub_type,subject_type,subject_name,subject_id,event_date,amount\n"
        "R1,a,consumption,flight,person,张伟,420902198305120484,2024-01-02,1200\n"
        "R2,a,consumption,flight,person,张伟,420902198305120484,not a date,\n"
        "R1,a,consumption,flight,person,张伟,420902198305120484,2024-01-03,\n"
        "R4,a,consumption,flight,alien,张伟,420902198305120484,2024-01-03,\n",
        encoding="utf-8",
    )
    records, quarantine = read_records(path)
    assert records["record_id"].to_list() == ["R1"]
    reasons = {(row["row"], row["column"], row["reason"]) for row in quarantine.to_dicts()}
    assert reasons == {
        (3, "event_date", "missing or unreadable event date"),
        (4, "record_id", "repeated record id in the same file"),
        (5, "subject_type", "unknown subject type"),
    }
    assert quarantine.filter(pl.col("row") == 3)["value"].item() == "not a date"


def test_removals_and_officers_are_read(tmp_path: Path) -> None:
    removals = tmp_path / "removals.csv"
    removals.write_text("案号,删除日期\n（2019）鄂0902执1194号,2020年01月02日\n", encoding="utf-8")
    frame, quarantine = read_removals(removals)
    assert frame.row(0, named=True)["removed_on"] == date(2020, 1, 2)
    assert quarantine.height == 0
    officers = tmp_path / "officers.csv"
    officers.write_text(
        "entity_id,entity_name,person_name,person_id,role,start_date,end_date\n"
        "91110000600037341L,某公司,李明,110105197801010028,法定代表人,2010-01-01,\n"
        "91110000600037341L,某公司,李明,110105197801010028,影响债务履行的直接责任人员,2010-01-01,\n"
        "91110000600037341L,某公司,李明,110105197801010028,执行董事,2010-01-01,\n"
        "91110000600037341L,某公司,李明,110105197801010028,监事会主席,2010-01-01,\n"
        "91110000600037341L,某公司,李明,110105197801010028,财务负责人,2010-01-01,\n"
        "91110000600037341L,某公司,李明,110105197801010028,janitor,2010-01-01,\n",
        encoding="utf-8",
    )
    links, bad = read_officers(officers)
    assert links["role"].to_list() == [
        "legal_representative", "directly_responsible", "director", "supervisor",
        "senior_manager",
    ]  # fmt: skip
    assert bad["reason"].to_list() == ["unknown role"]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(alphabet=st.characters(codec="utf-8"), max_size=12), max_size=20))
def test_nfkc_only_where_needed_equals_nfkc_everywhere(values: list[str]) -> None:
    series = pl.Series("value", values, dtype=pl.String)
    assert series.to_frame().select(nfkc(pl.col("value")))["value"].to_list() == [
        unicodedata.normalize("NFKC", value) for value in values
    ]


@settings(max_examples=100, deadline=None)
@given(st.lists(st.sampled_from(["30", "30岁", "0", "x", "", None]), max_size=30))
def test_by_distinct_equals_the_expression_on_every_row(values: list[str | None]) -> None:
    series = pl.Series("age", values, dtype=pl.String)
    expected = series.to_frame().select(parse_age(pl.col("age")))["age"]
    assert by_distinct(series, parse_age).equals(expected)
