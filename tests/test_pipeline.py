"""End to end on real files: the tiers of issue 2, listing windows, removals, namesakes."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import write_records

from blacklist_match.pipeline import screen_files

RECORD = {
    "record_id": None,
    "agency": "机场",
    "record_type": "consumption",
    "sub_type": "flight",
    "subject_type": "person",
    "subject_name": "张伟",
    "subject_id": "420902198305120510",
    "event_date": "2020-01-01",
    "amount": "1200",
}


def _records(tmp_path: Path) -> Path:
    rows = [
        {"record_id": "R1"},  # masked ID compatible, same name
        {"record_id": "R2", "subject_id": "420902198306120731"},  # namesake: other ID
        {"record_id": "R3", "subject_name": "王芳", "subject_id": "110105780101002"},  # 15-digit
        {
            "record_id": "R4",
            "record_type": "procurement",
            "sub_type": "government_procurement_bid",
            "subject_type": "entity",
            "subject_name": "象州县腾飞商贸有限公司",
            "subject_id": "91451322600563165B",
            "event_date": "2018-01-01",
        },  # USCC vs org code
        {
            "record_id": "R5",
            "record_type": "procurement",
            "sub_type": "government_procurement_bid",
            "subject_type": "",
            "subject_name": "象州县腾飞商贸有限公司",
            "subject_id": "91451322600563165B",
            "event_date": "2017-01-01",
        },  # before listing
        {"record_id": "R6", "event_date": "2021-06-01"},  # after removal
        {"record_id": "R7", "sub_type": "groceries"},  # necessary consumption
        {
            "record_id": "R8",
            "subject_name": "張偉",
            "subject_id": "４２０９０２１９８３０５１２０５１０",
        },
    ]
    return write_records(tmp_path / "records.csv", [{**RECORD, **row} for row in rows])


@pytest.fixture
def result(tmp_path: Path, list_csv: Path):  # type: ignore[no-untyped-def]
    removals = tmp_path / "removals.csv"
    removals.write_text("case_no,removed_on\n(2019)鄂0902执1194号,2021-01-01\n", encoding="utf-8")
    return screen_files([list_csv], [_records(tmp_path)], removal_files=[removals])


def test_each_tier_flags_the_right_record(result) -> None:  # type: ignore[no-untyped-def]
    flagged = {
        (row["record_id"], row["tier"], row["rule_id"], row["action"])
        for row in result.flags.to_dicts()
    }
    assert flagged == {
        ("R1", "masked_id_name", "HX-01-travel-air-rail", "block"),
        ("R3", "exact_id", "HX-01-travel-air-rail", "block"),
        ("R4", "id_crosswalk", "SI-01-procurement-bid", "block"),
        ("R8", "masked_id_name", "HX-01-travel-air-rail", "block"),
    }


def test_report_leads_with_the_contract_columns(result) -> None:  # type: ignore[no-untyped-def]
    assert result.flags.columns[:6] == [
        "record_id",
        "case_no",
        "rule_id",
        "category",
        "action",
        "tier",
    ]


def test_subject_ids_are_masked_and_explained(result) -> None:  # type: ignore[no-untyped-def]
    row = result.flags.filter(result.flags["record_id"] == "R3").row(0, named=True)
    assert "197801010028" not in row["subject_id"]
    assert "15位旧号升位为18位" in row["explanation"]
    assert "(2018)京0105执55号" in row["explanation"]
