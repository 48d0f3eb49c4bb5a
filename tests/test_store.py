"""The store keeps the list's history, loads idempotently and atomically, never loses rows."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import pytest
from conftest import LIST_HEADER, LIST_ROWS, held_by_another_process, write_records

from blacklist_match.errors import InputError, StoreError
from blacklist_match.io.mapping import RecordMapping
from blacklist_match.screener import Screener
from blacklist_match.store import Store
from blacklist_match.store_schema import SCHEMA_VERSION
from blacklist_match.synth import build_scenario

ENTRY_POINT = shutil.which("blacklist-match", path=str(Path(sys.executable).parent))


def _list_file(path: Path, rows: list[str]) -> Path:
    path.write_text("\n".join([LIST_HEADER, *rows]) + "\n", encoding="utf-8")
    return path


def _ended(store: Store) -> dict[str, tuple[date | None, str | None]]:
    rows = store.con.execute(
        "SELECT case_no, listed_until, end_reason FROM list_entries ORDER BY case_no"
    ).fetchall()
    return {case: (until, reason) for case, until, reason in rows}


def test_loading_the_same_rows_again_changes_nothing(tmp_path: Path, list_csv: Path) -> None:
    db = tmp_path / "store.duckdb"
    with Store.open(db) as store:
        first = store.ingest_list(list_csv)
        before = store.status()
        again = store.ingest_list(list_csv)
        copy = _list_file(tmp_path / "copy.csv", list(reversed(LIST_ROWS)))
        reordered = store.ingest_list(copy)
        after = store.status()
    assert (first.loaded, first.unchanged) == (3, 0)
    assert again.skipped
    assert (reordered.loaded, reordered.unchanged) == (0, 3)
    strip = ("last_loads", "loads")
    assert {k: v for k, v in before.items() if k not in strip} == {
        k: v for k, v in after.items() if k not in strip
    }


def test_snapshot_ends_entries_absent_from_a_full_publication(tmp_path: Path) -> None:
    with Store.open(tmp_path / "s.duckdb") as store:
        store.ingest_list(_list_file(tmp_path / "a.csv", LIST_ROWS), snapshot=date(2020, 1, 1))
        report = store.ingest_list(
            _list_file(tmp_path / "b.csv", LIST_ROWS[:2]), snapshot=date(2021, 5, 1)
        )
        ended = _ended(store)
    assert report.ended == 1
    assert ended["(2018)京0105执55号"] == (date(2021, 5, 1), "snapshot")
    assert ended["(2017)桂1322执487号"] == (None, None)


def test_a_changed_row_is_rewritten_and_counted_once(tmp_path: Path) -> None:
    changed = LIST_ROWS[0].replace("全部未履行", "部分未履行")
    with Store.open(tmp_path / "c.duckdb") as store:
        store.ingest_list(_list_file(tmp_path / "a.csv", LIST_ROWS))
        report = store.ingest_list(_list_file(tmp_path / "b.csv", [changed, *LIST_ROWS[1:]]))
        rows = store.con.execute(
            "SELECT performance, first_load_id, last_load_id FROM list_entries "
            "WHERE case_no = '（2019）鄂0902执1194号'"
        ).fetchall()
    assert (report.loaded, report.unchanged) == (1, 2)
    assert rows == [("部分未履行", 1, 2)]


def test_an_entry_back_in_a_later_snapshot_is_listed_again(tmp_path: Path) -> None:
    with Store.open(tmp_path / "s.duckdb") as store:
        store.ingest_list(_list_file(tmp_path / "a.csv", LIST_ROWS), snapshot=date(2020, 1, 1))
        store.ingest_list(_list_file(tmp_path / "b.csv", LIST_ROWS[:2]), snapshot=date(2021, 5, 1))
        back = store.ingest_list(
            _list_file(tmp_path / "c.csv", LIST_ROWS), snapshot=date(2022, 1, 1)
        )
        ended = _ended(store)
        state = store.status(today=date(2022, 6, 1))
    assert (back.loaded, back.unchanged) == (0, 3)
    assert ended["(2018)京0105执55号"] == (None, None)
    assert (state["entries_listed"], state["entries_ended"]) == (3, 0)


def test_the_same_entry_twice_in_one_file_loads_once(tmp_path: Path) -> None:
    with Store.open(tmp_path / "d.duckdb") as store:
        report = store.ingest_list(_list_file(tmp_path / "a.csv", [*LIST_ROWS, LIST_ROWS[1]]))
        total = store.status()["entries_total"]
    assert total == 3
    assert (report.rows_read, report.loaded, report.unchanged) == (4, 3, 1)


def test_new_entries_beside_known_ones_get_their_own_row_ids(tmp_path: Path) -> None:
    changed = LIST_ROWS[0].replace("全部未履行", "部分未履行")
    with Store.open(tmp_path / "r.duckdb") as store:
        store.ingest_list(_list_file(tmp_path / "a.csv", LIST_ROWS[:2]))
        before = dict(store.con.execute("SELECT entry_id, rid FROM list_entries").fetchall())
        report = store.ingest_list(_list_file(tmp_path / "b.csv", [changed, *LIST_ROWS[1:]]))
        after = dict(store.con.execute("SELECT entry_id, rid FROM list_entries").fetchall())
        hashed = store.con.execute(
            "SELECT count(*) FROM list_entries WHERE id_norm IS NOT NULL AND id_norm_hash IS NULL"
        ).fetchall()[0][0]
    assert (report.loaded, report.unchanged) == (2, 1)
    assert len(after) == 3 and None not in after.values()
    assert {k: after[k] for k in before} == before  # a rewritten entry keeps its row id
    assert len(set(after.values())) == 3
    assert hashed == 0


def test_a_load_reports_the_time_of_each_stage(tmp_path: Path, list_csv: Path) -> None:
    with Store.open(tmp_path / "t.duckdb") as store:
        report = store.ingest_list(list_csv)
    assert list(report.seconds) == ["digest", "read", "key", "write", "commit"]
    assert all(seconds >= 0 for seconds in report.seconds.values())


def test_removal_ends_the_entry_even_when_it_arrives_first(tmp_path: Path, list_csv: Path) -> None:
    removals = tmp_path / "removals.csv"
    removals.write_text("案号,删除日期\n(2019)鄂0902执1194号,2021年01月01日\n", encoding="utf-8")
    with Store.open(tmp_path / "r.duckdb") as store:
        store.ingest_removals(removals)
        store.ingest_list(list_csv)
        ended = _ended(store)
        state = store.status(today=date(2022, 1, 1))
    assert ended["（2019）鄂0902执1194号"] == (date(2021, 1, 1), "removal")
    assert (state["entries_total"], state["entries_listed"], state["entries_ended"]) == (3, 2, 1)


def test_a_run_uses_the_list_state_the_last_list_load_kept_only_for_that_load_and_day(
    tmp_path: Path, list_csv: Path
) -> None:
    from blacklist_match.batch import run_batch
    from blacklist_match.rules import RulePack
    from blacklist_match.store import LIST_STATE_KEY

    removals = tmp_path / "removals.csv"
    removals.write_text("案号,删除日期\n(2019)鄂0902执1194号,2021年01月01日\n", encoding="utf-8")
    pack = RulePack.load()
    with Store.open(tmp_path / "s.duckdb") as store:
        store.ingest_list(list_csv)
        assert run_batch(store, pack).list_state == store.list_state()
        store.ingest_removals(removals)  # a list load: the ends changed
        assert run_batch(store, pack).list_state == store.list_state()
        assert store.list_state()["entries_ended"] == 1

        def kept(**changes: object) -> None:
            value = json.loads(
                store.con.execute(
                    "SELECT value FROM meta WHERE key = ?", [LIST_STATE_KEY]
                ).fetchall()[0][0]
            )
            store.con.execute(
                "UPDATE meta SET value = ? WHERE key = ?",
                [json.dumps({**value, **changes}), LIST_STATE_KEY],
            )

        kept(entries_total=99)  # what the run reads is the kept state, for this load and day
        assert run_batch(store, pack).list_state["entries_total"] == 99
        kept(as_of="2000-01-01")  # kept on another day: counted again
        assert run_batch(store, pack).list_state == store.list_state()
        kept(as_of=date.today().isoformat(), load_id=0)  # kept by another load: counted again
        assert run_batch(store, pack).list_state == store.list_state()


def test_an_ended_entry_keeps_its_row_id_and_columns_and_moves_to_the_tables_end(
    tmp_path: Path, list_csv: Path
) -> None:
    """A removal rewrites the entry at the table's end (so a since-last run reads the day's
    ends from the last row groups): no row is duplicated or lost, and only the end and its
    bookkeeping change; its matched columns did not (``match_load_id`` stays)."""
    removals = tmp_path / "removals.csv"
    removals.write_text("案号,删除日期\n(2019)鄂0902执1194号,2021年01月01日\n", encoding="utf-8")
    kept = (
        "SELECT entry_id, rid, name, id_norm, court, first_load_id, match_load_id "
        "FROM list_entries ORDER BY rid"
    )
    with Store.open(tmp_path / "e.duckdb") as store:
        store.ingest_list(list_csv)
        before = store.con.execute(kept).fetchall()
        store.ingest_removals(removals)
        after = store.con.execute(kept).fetchall()
        last = store.con.execute(
            "SELECT case_no, listed_until, screen_load_id > first_load_id FROM list_entries "
            "ORDER BY rowid DESC LIMIT 1"
        ).fetchall()
    assert after == before
    assert last == [("（2019）鄂0902执1194号", date(2021, 1, 1), True)]


def test_bad_rows_are_quarantined_in_the_store_and_good_rows_load(tmp_path: Path) -> None:
    bad = "," + LIST_ROWS[2].split(",", 1)[1]
    path = _list_file(tmp_path / "list.csv", [LIST_ROWS[0], bad])
    with Store.open(tmp_path / "q.duckdb") as store:
        report = store.ingest_list(path)
        rows = store.con.execute('SELECT file, "row", "column", reason FROM quarantine').fetchall()
    assert (report.rows_read, report.loaded, report.quarantined) == (2, 1, 1)
    assert report.reasons == {"missing case number": 1}
    assert rows == [(str(path), 3, "case_no", "missing case number")]


def test_a_failing_load_leaves_the_store_as_it_was(tmp_path: Path, list_csv: Path) -> None:
    broken = tmp_path / "broken.csv"
    broken.write_text("被执行人姓名/名称\n张伟\n", encoding="utf-8")
    with Store.open(tmp_path / "a.duckdb") as store:
        store.ingest_list(list_csv)
        before = store.status()
        with pytest.raises(InputError), store.transaction():
            store.ingest_list(_list_file(tmp_path / "more.csv", LIST_ROWS[:1]))
            store.ingest_list(broken)
        assert store.status()["entries_total"] == before["entries_total"]
        assert store.status()["loads"] == before["loads"]


def test_second_writer_gets_a_clear_message(tmp_path: Path) -> None:
    db = tmp_path / "busy.duckdb"
    Store.open(db).close()
    with (
        held_by_another_process(db),
        pytest.raises(StoreError, match="in use by another process"),
    ):
        Store.open(db)


def test_records_keep_extra_columns_and_follow_a_mapping(tmp_path: Path) -> None:
    path = write_records(
        tmp_path / "agency.csv",
        [{"编号": "A1", "类别": "01", "子类": "ZFCG", "名称": "象州县腾飞商贸有限公司",
          "证件": "91451322600563165B", "日期": "2018/01/02", "窗口": "3号"}],
    )  # fmt: skip
    mapping_file = tmp_path / "mapping.yaml"
    mapping_file.write_text(
        "columns: {编号: record_id, 类别: record_type, 子类: sub_type, 名称: subject_name,"
        " 证件: subject_id, 日期: event_date}\n"
        "values: {record_type: {'01': procurement}, sub_type: {ZFCG: government_procurement_bid}}\n"
        "date_format: '%Y/%m/%d'\n"
        "defaults: {agency: 某市财政局}\n",
        encoding="utf-8",
    )
    mapping = RecordMapping.load(mapping_file)
    with Store.open(tmp_path / "m.duckdb") as store:
        report = store.ingest_records(path, mapping=mapping)
        row = store.con.execute(
            "SELECT record_type, sub_type, event_date, agency, subject_type, id_kind, extra "
            "FROM records"
        ).fetchall()[0]
    assert report.loaded == 1
    assert row[:6] == ("procurement", "government_procurement_bid", date(2018, 1, 2), "某市财政局",
                       "entity", "uscc")  # fmt: skip
    assert json.loads(row[6]) == {"窗口": "3号"}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("columns: {a: colour}\n", "key columns: .*unknown column 'colour'"),
        ("colour: red\n", "key colour: unknown key"),
        ("values: {shape: {a: b}}\n", "key values: .*unknown column 'shape'"),
        ("date_format: yyyy\n", "key date_format: .*no %Y/%m/%d"),
        ("- a\n", "must be a YAML mapping"),
    ],
    ids=["target", "unknown-key", "values-column", "date-format", "not-a-mapping"],
)
def test_bad_mapping_names_the_file_and_key(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "mapping.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError, match=rf"mapping\.yaml.*{message}"):
        RecordMapping.load(path)


def test_kill_9_during_ingest_leaves_the_store_before_or_after(tmp_path: Path) -> None:
    assert ENTRY_POINT
    scenario = build_scenario(listed_persons=3000, listed_companies=1500, records=10, seed=3)
    files = scenario.write(tmp_path / "data")
    db = tmp_path / "k.duckdb"
    subprocess.run([ENTRY_POINT, "ingest", "records", str(files["records"]), "--db", str(db)],
                   check=True, capture_output=True)  # fmt: skip
    before = _state(db)
    for delay in (0.3, 0.9, 1.5):
        process = subprocess.Popen(
            [ENTRY_POINT, "ingest", "list", str(files["list"]), "--db", str(db)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        time.sleep(delay)
        process.send_signal(signal.SIGKILL)
        process.wait()
        state = _state(db)
        assert state in (before, _state_after(tmp_path, files["list"], before)), delay
    done = subprocess.run(
        [ENTRY_POINT, "ingest", "list", str(files["list"]), "--db", str(db)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert _state(db)["entries_total"] == scenario.court_list.height


def _state(db: Path) -> dict[str, int]:
    with Store.open(db, read_only=True) as store:
        state = store.status()
    return {k: v for k, v in state.items() if isinstance(v, int) and k != "loads"}


def _state_after(tmp_path: Path, list_file: Path, before: dict[str, int]) -> dict[str, int]:
    added = _count_rows(list_file)
    return {
        **before,
        "entries_total": added,
        "entries_listed": before["entries_listed"] + added,
    }


def _count_rows(path: Path) -> int:
    return sum(1 for _ in path.open(encoding="utf-8-sig")) - 1


def test_readers_get_the_last_committed_state_while_a_writer_works(
    tmp_path: Path, list_csv: Path
) -> None:
    assert ENTRY_POINT
    db = tmp_path / "busy.duckdb"
    with Store.open(db) as store:
        store.ingest_list(list_csv)
    with held_by_another_process(db):
        with Store.open(db, read_only=True) as reader:
            assert reader.status()["entries_total"] == 3
        done = subprocess.run(
            [ENTRY_POINT, "check", "110105197801010028", "--date", "2024-01-01", "--db", str(db)],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        assert done.returncode == 3, done.stderr
        second = subprocess.run(
            [ENTRY_POINT, "ingest", "list", str(list_csv), "--db", str(db)],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        assert second.returncode == 1
        assert "in use by another process" in second.stderr
        assert "Traceback" not in second.stderr


def test_a_store_written_by_a_newer_build_is_refused_to_writers_and_readers(
    tmp_path: Path, list_csv: Path
) -> None:
    """What a newer schema means is the newer build's to read: a writer would change the
    store before finding out, and a reader (the clerk's check, the library) could answer
    from columns that no longer mean what it thinks. Both are refused, naming the file;
    the store and its read-only copy are left as they were."""
    db = tmp_path / "n.duckdb"
    with Store.open(db) as store:
        store.ingest_list(list_csv)
    with Store.open(db) as store:
        store.con.execute(
            "UPDATE meta SET value = ? WHERE key = 'schema_version'", [str(SCHEMA_VERSION + 1)]
        )
    copy = db.with_name(db.name + ".readonly")
    before = {path: path.read_bytes() for path in (db, copy)}
    with pytest.raises(StoreError, match=f"{db}.*newer blacklist-match"):
        Store.open(db)
    with pytest.raises(StoreError, match="newer blacklist-match"):
        Store.open(db, read_only=True)  # the copy, which the writer's close made
    copy.unlink()
    with pytest.raises(StoreError, match="newer blacklist-match"):
        Store.open(db, read_only=True)  # the store itself
    with pytest.raises(StoreError, match="newer blacklist-match"):
        Screener.open(db)
    done = subprocess.run(
        [ENTRY_POINT, "check", "110105197801010028", "--db", str(db)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 1, done.stdout
    assert "newer blacklist-match" in done.stderr and "Traceback" not in done.stderr
    assert db.read_bytes() == before[db]
