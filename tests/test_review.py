"""The review loop: suppressions that expire, retractions, bulk decisions, the audit trail."""

from __future__ import annotations

import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

import polars as pl
import pytest
from conftest import LIST_HEADER, LIST_ROWS, write_records

from blacklist_match import Screener
from blacklist_match.batch import record_batch_run, run_batch
from blacklist_match.review import DecisionInput, audit, decide, waiting_flags
from blacklist_match.rules import RulePack
from blacklist_match.store import Store

ENTRY_POINT = shutil.which("blacklist-match", path=str(Path(sys.executable).parent))
# A listed person published without an ID (the list's own data error) and a record for a
# namesake that carries no ID either: a name-only candidate, review only.
NO_ID_ROW = (
    "(2020)京0105执77号,李娜,女,40,暂无,,北京市朝阳区人民法院,北京,(2020)京0105民初7号,"
    "2020-01-01,北京市朝阳区人民法院,还款,全部未履行,违反财产报告制度,2020-02-01"
)
RECORD = {
    "agency": "银行",
    "record_type": "credit",
    "sub_type": "bank_loan",
    "subject_type": "person",
    "amount": "50000",
}


@pytest.fixture
def store(tmp_path: Path) -> Store:
    list_file = tmp_path / "list.csv"
    list_file.write_text("\n".join([LIST_HEADER, *LIST_ROWS, NO_ID_ROW]) + "\n", encoding="utf-8")
    records = write_records(
        tmp_path / "records.csv",
        [
            {
                **RECORD,
                "record_id": "N1",
                "subject_name": "李娜",
                "subject_id": "",
                "event_date": "2024-03-01",
            },
            {
                **RECORD,
                "record_id": "W1",
                "subject_name": "王芳",
                "subject_id": "110105197801010028",
                "event_date": "2024-03-01",
            },
        ],
    )
    opened = Store.open(tmp_path / "review.duckdb")
    opened.ingest_list(list_file)
    opened.ingest_records(records)
    return opened


def _run(store: Store, today: date, since_last: bool = False) -> pl.DataFrame:
    result = run_batch(store, RulePack.load(), since_last=since_last, as_of=today)
    with store.transaction():
        record_batch_run(store, result, Path("report"))
    return result.flags


def _status(flags: pl.DataFrame, record_id: str) -> list[str]:
    return flags.filter(pl.col("record_id") == record_id)["status"].to_list()


def test_a_rejected_namesake_is_suppressed_until_the_date(store: Store) -> None:
    first = _run(store, date(2025, 1, 1))
    assert _status(first, "N1") == ["new"]
    assert first.filter(pl.col("record_id") == "N1")["action"].to_list() == ["review"]
    key = first.filter(pl.col("record_id") == "N1")["flag_key"].item()
    decide(
        store.con, [DecisionInput(key, "reject", "张审核", "同名不同人", date(2025, 6, 1))], "test"
    )
    assert _status(_run(store, date(2025, 2, 1)), "N1") == ["suppressed"]
    assert _status(_run(store, date(2025, 7, 1)), "N1") == ["new"]
    history = audit(store.con, key)
    assert [(h["kind"], h.get("status") or h.get("decision")) for h in history] == [
        ("run", "new"),
        ("decision", "reject"),
        ("run", "suppressed"),
        ("run", "new"),
    ]
    assert history[1]["by"] == "张审核" and history[1]["until"] == "2025-06-01"


def test_a_removal_retracts_the_entrys_open_flags_in_the_next_since_last_run(
    store: Store, tmp_path: Path
) -> None:
    first = _run(store, date(2025, 1, 1))
    assert _status(first, "W1") == ["new"]
    assert _status(_run(store, date(2025, 1, 2)), "W1") == ["open"]
    removals = tmp_path / "removals.csv"
    removals.write_text("case_no,removed_on\n(2018)京0105执55号,2025-01-03\n", encoding="utf-8")
    store.ingest_removals(removals)
    retracted = _run(store, date(2025, 1, 4), since_last=True)
    assert _status(retracted, "W1") == ["retracted"]
    assert _status(_run(store, date(2025, 1, 5)), "W1") == []


_LATEST_EVENTS = (
    "SELECT flag_key, event_id, status, record_id, entry_id, subject_key FROM flag_events "
    "QUALIFY row_number() OVER (PARTITION BY flag_key ORDER BY event_id DESC) = 1 "
    "ORDER BY flag_key"
)


def _states(store: Store) -> list[tuple[object, ...]]:
    return store.con.execute(
        "SELECT flag_key, event_id, status, record_id, entry_id, subject_key FROM flag_states "
        "ORDER BY flag_key"
    ).fetchall()


def test_flag_states_hold_each_flags_last_event_and_are_rebuilt_after_an_older_writer(
    store: Store, tmp_path: Path
) -> None:
    _run(store, date(2025, 1, 1))
    _run(store, date(2025, 1, 2))
    removals = tmp_path / "removals.csv"
    removals.write_text("case_no,removed_on\n(2018)京0105执55号,2025-01-03\n", encoding="utf-8")
    store.ingest_removals(removals)
    assert _status(_run(store, date(2025, 1, 4), since_last=True), "W1") == ["retracted"]
    latest = store.con.execute(_LATEST_EVENTS).fetchall()
    assert len(latest) >= 2 and _states(store) == latest
    assert [row[2] for row in latest if row[3] == "W1"] == ["retracted"]
    # an older build appends an event without keeping flag_states, and writes its version
    key = latest[0][0]
    store.con.execute(
        "INSERT INTO flag_events (flag_key, record_id, case_no, rule_id, entry_id, "
        "subject_key, run_id, raised_at, status, row_json) SELECT flag_key, record_id, "
        "case_no, rule_id, entry_id, subject_key, 'older', now(), 'open', row_json "
        "FROM flag_events WHERE flag_key = ? ORDER BY event_id DESC LIMIT 1",
        [key],
    )
    store.con.execute("UPDATE meta SET value = '3' WHERE key = 'schema_version'")
    assert _states(store) != store.con.execute(_LATEST_EVENTS).fetchall()
    store.close()
    with Store.open(store.path) as reopened:
        assert _states(reopened) == reopened.con.execute(_LATEST_EVENTS).fetchall()
        assert [row[2] for row in _states(reopened) if row[0] == key] == ["open"]


def test_a_flag_key_reported_twice_in_one_run_keeps_one_state(tmp_path: Path) -> None:
    # a co-debtor of NO_ID_ROW's case with the same name, its ID unreadable: a record named
    # so pairs with both entries under one flag key (record, case, rule)
    co_debtor = NO_ID_ROW.replace(",女,40,暂无,", ",女,35,证件号缺失-2,")
    list_file = tmp_path / "list.csv"
    list_file.write_text(
        "\n".join([LIST_HEADER, *LIST_ROWS, NO_ID_ROW, co_debtor]) + "\n", encoding="utf-8"
    )
    records = write_records(
        tmp_path / "records.csv",
        [{**RECORD, "record_id": "N1", "subject_name": "李娜", "subject_id": "",
          "event_date": "2024-03-01"}],
    )  # fmt: skip
    with Store.open(tmp_path / "twice.duckdb") as store:
        store.ingest_list(list_file)
        store.ingest_records(records)
        heights = [_run(store, date(2025, 1, day)).height for day in range(1, 4)]
        assert heights[0] == 2 and heights == [2, 2, 2]  # the rows do not multiply
        assert _states(store) == store.con.execute(_LATEST_EVENTS).fetchall()


def test_review_list_reads_a_store_no_build_with_flag_states_has_written(
    store: Store,
) -> None:
    _run(store, date(2025, 1, 1))
    waiting = waiting_flags(store.con)["flag_key"].to_list()
    assert waiting
    store.con.execute("DROP TABLE flag_states")  # as an older build left it
    store.close()
    with Store.open(store.path, read_only=True) as reader:
        assert waiting_flags(reader.con)["flag_key"].to_list() == waiting


def test_the_report_rows_of_flag_events_are_written_with_zstd(store: Store) -> None:
    _run(store, date(2025, 1, 1))
    store.con.execute("CHECKPOINT")
    compressions = {
        row[0]
        for row in store.con.execute(
            "SELECT DISTINCT compression FROM pragma_storage_info('flag_events') "
            "WHERE column_name = 'row_json' AND segment_type <> 'VALIDITY'"
        ).fetchall()
    }
    assert compressions == {"ZSTD"}


def test_the_library_honours_a_rejection(store: Store) -> None:
    first = _run(store, date(2025, 1, 1))
    key = first.filter(pl.col("record_id") == "W1")["flag_key"].item()
    decide(store.con, [DecisionInput(key, "reject", "王审核", None, None)], "test")
    store.close()
    screener = Screener.open(store.path)
    decision = screener.check(
        "110105197801010028", "王芳", action="credit/bank_loan", date=date(2024, 3, 1)
    )
    assert decision.flags == [] and not decision.restricted
    assert [f.case_no for f in decision.suppressed] == ["(2018)京0105执55号"]
    screened = screener.screen(
        pl.DataFrame(
            {**{k: [v] for k, v in RECORD.items() if k != "amount"}, "amount": [50000.0],
             "record_id": ["W1"], "subject_name": ["王芳"], "subject_id": ["110105197801010028"],
             "event_date": [date(2024, 3, 1)]}
        )
    )  # fmt: skip
    assert screened["status"].to_list() == [
        "suppressed"
    ]  # the batch engine, as the library runs it


def test_confirmation_is_noted_in_the_explanation(store: Store) -> None:
    first = _run(store, date(2025, 1, 1))
    key = first.filter(pl.col("record_id") == "W1")["flag_key"].item()
    decide(store.con, [DecisionInput(key, "confirm", "王审核", None, None)], "test")
    again = _run(store, date(2025, 1, 2))
    explanation = again.filter(pl.col("record_id") == "W1")["explanation"].item()
    assert "已经人工确认为同一主体：王审核" in explanation
    assert waiting_flags(store.con).filter(pl.col("flag_key") == key).is_empty()


def test_bulk_decisions_round_trip_from_the_xlsx_report(store: Store, tmp_path: Path) -> None:
    assert ENTRY_POINT
    db = Path(store.path)
    store.close()
    out = tmp_path / "out"
    done = subprocess.run(
        [ENTRY_POINT, "run", "--out", str(out), "--format", "xlsx", "--db", str(db)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    report = pl.read_excel(out / "flags.xlsx")
    filled = report.with_columns(
        pl.when(pl.col("record_id") == "N1")
        .then(pl.lit("排除"))
        .otherwise(pl.lit("确认"))
        .alias("decision"),
        pl.lit("周审核").alias("decided_by"),
    )
    filled = pl.concat([filled, filled.head(1).with_columns(pl.lit("maybe").alias("decision"))])
    filled.write_excel(tmp_path / "decided.xlsx")
    loaded = subprocess.run(
        [ENTRY_POINT, "review", "load", str(tmp_path / "decided.xlsx"), "--db", str(db)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert loaded.returncode == 1
    assert f"{report.height} decisions recorded, 1 rows refused" in loaded.stdout
    assert f"row {report.height + 2}, column decision" in loaded.stderr
    listed = subprocess.run(
        [ENTRY_POINT, "review", "list", "--db", str(db)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert "nothing waits for a decision" in listed.stdout
    key = report.filter(pl.col("record_id") == "N1")["flag_key"].item()
    trail = subprocess.run(
        [ENTRY_POINT, "audit", key, "--db", str(db)], capture_output=True, text=True, check=False
    )
    assert "decision reject by 周审核" in trail.stdout
