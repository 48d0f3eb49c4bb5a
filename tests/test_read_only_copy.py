"""The store's read-only copy after a run: made from the last copy (its key table and
indexes kept, only a run's tables brought over), and then exactly what a copy published
anew would be; published anew wherever that cannot be trusted."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest
from conftest import ingest_scenario

from blacklist_match import db as db_module
from blacklist_match import store as store_module
from blacklist_match.batch import report_and_record, run_batch
from blacklist_match.db import copy_in_step, publish_snapshot, snapshot_path
from blacklist_match.rules import RulePack
from blacklist_match.store import Store
from blacklist_match.synth import build_scenario


@pytest.fixture(scope="module")
def scenario_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    scenario = build_scenario(listed_persons=60, listed_companies=30, records=300, seed=5)
    return scenario.write(tmp_path_factory.mktemp("scenario"))


@pytest.fixture
def db(tmp_path: Path, scenario_files: dict[str, Path]) -> Path:
    path = tmp_path / "store.duckdb"
    with Store.open(path) as store:
        ingest_scenario(store, scenario_files)
    return path


@pytest.fixture
def publications(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every full publication of a copy made on close, by store path."""
    made: list[str] = []

    def counted(con: duckdb.DuckDBPyConnection, path: str | Path) -> None:
        made.append(str(path))
        publish_snapshot(con, path)

    monkeypatch.setattr(store_module, "publish_snapshot", counted)
    return made


def _run(db: Path, out: Path, *, since_last: bool = False) -> None:
    """``run [--since-last]`` as the command does it."""
    with Store.open(db) as store:
        result = run_batch(store, RulePack.load(), since_last=since_last)
        report_and_record(store, result, out / "flags.parquet", options={})


def _run_after(db: Path, out: Path, *writes: Callable[[Store], object]) -> None:
    """A full run and its record, in one session that first makes ``writes``."""
    with Store.open(db) as store:
        for write in writes:
            write(store)
        result = run_batch(store, RulePack.load())
        report_and_record(store, result, out / "flags.parquet", options={})


def _published_anew(db: Path, tmp_path: Path) -> Path:
    """A copy of the store at ``db`` published from scratch, to compare with."""
    reference = tmp_path / "reference" / "store.duckdb"
    reference.parent.mkdir(exist_ok=True)
    shutil.copyfile(db, reference)
    with duckdb.connect(str(reference)) as con:
        publish_snapshot(con, reference)
    return snapshot_path(reference)


def _contents(path: Path) -> dict[str, object]:
    """Every table's rows (sorted), the indexes and the sequences' last values."""
    with duckdb.connect(str(path), read_only=True) as con:
        tables = [
            row[0] for row in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()
        ]
        contents: dict[str, object] = {
            table: sorted(con.execute(f'SELECT * FROM "{table}"').fetchall(), key=repr)  # noqa: S608
            for table in tables
        }
        contents["indexes"] = sorted(
            con.execute("SELECT index_name, table_name FROM duckdb_indexes()").fetchall()
        )
        contents["sequences"] = sorted(
            con.execute(
                "SELECT sequence_name, coalesce(last_value, start_value - 1) "
                "FROM duckdb_sequences()"
            ).fetchall()
        )
    return contents


def _assert_copy_as_published_anew(db: Path, tmp_path: Path) -> None:
    copy = _contents(snapshot_path(db))
    reference = _contents(_published_anew(db, tmp_path))
    assert copy.keys() == reference.keys()
    for part, rows in reference.items():
        assert copy[part] == rows, part
    assert copy_in_step(db)
    assert not list(db.parent.glob(".*.part*"))


def test_runs_refresh_the_copy_to_what_a_publication_makes(
    db: Path, tmp_path: Path, publications: list[str], list_csv: Path
) -> None:
    _run(db, tmp_path / "full")
    assert publications == []
    _assert_copy_as_published_anew(db, tmp_path)
    with Store.open(db) as store:  # a list change: its copy is published anew
        store.ingest_list(list_csv)
    assert publications == [str(db)]
    _run(db, tmp_path / "since", since_last=True)
    assert publications == [str(db)]
    _assert_copy_as_published_anew(db, tmp_path)
    with duckdb.connect(str(snapshot_path(db)), read_only=True) as copy:
        runs = copy.execute("SELECT mode FROM batch_runs ORDER BY started_at").fetchall()
    assert runs == [("full",), ("since_last",)]


def test_a_copy_older_than_the_store_is_published_anew(
    db: Path, tmp_path: Path, publications: list[str]
) -> None:
    later = snapshot_path(db).stat().st_mtime_ns + 1_000_000_000
    os.utime(db, ns=(later, later))  # a change the copy does not hold
    assert not copy_in_step(db)
    _run(db, tmp_path / "full")
    assert publications == [str(db)]
    _assert_copy_as_published_anew(db, tmp_path)


def test_a_change_the_copy_misses_is_caught_whatever_the_file_times(
    db: Path, tmp_path: Path, publications: list[str]
) -> None:
    with duckdb.connect(str(db)) as con:  # rewritten in place, as a key upgrade does, and
        con.execute(  # the copy never published: no table's row count changes
            "UPDATE list_entries SET court = 'corrected' "
            "WHERE rid = (SELECT min(rid) FROM list_entries)"
        )
        con.execute("INSERT INTO meta VALUES ('rewritten_by', 'an upgrade')")
    earlier = snapshot_path(db).stat().st_mtime_ns - 1_000_000_000
    os.utime(db, ns=(earlier, earlier))  # a clock or a restore puts the store before its copy
    assert copy_in_step(db)
    _run(db, tmp_path / "full")
    assert publications == [str(db)]
    _assert_copy_as_published_anew(db, tmp_path)


def test_a_session_that_also_loads_publishes_anew(
    db: Path, tmp_path: Path, publications: list[str], list_csv: Path
) -> None:
    _run_after(db, tmp_path, lambda store: store.ingest_list(list_csv))
    assert publications == [str(db)]
    _assert_copy_as_published_anew(db, tmp_path)


def test_a_write_the_session_did_not_declare_is_caught(
    db: Path, tmp_path: Path, publications: list[str]
) -> None:
    _run_after(
        db, tmp_path, lambda store: store.con.execute("INSERT INTO removals FROM removals LIMIT 1")
    )
    assert publications == [str(db)]
    _assert_copy_as_published_anew(db, tmp_path)


def test_a_table_changed_in_shape_by_the_session_is_caught(
    db: Path, tmp_path: Path, publications: list[str]
) -> None:
    _run_after(
        db,
        tmp_path,
        lambda store: store.con.execute("ALTER TABLE removals ADD COLUMN note VARCHAR"),
        lambda store: store.con.execute("DROP TABLE quarantine"),
    )
    assert publications == [str(db)]
    _assert_copy_as_published_anew(db, tmp_path)


def test_a_run_after_the_store_is_restored_from_a_backup_is_published_anew(
    db: Path, tmp_path: Path, publications: list[str]
) -> None:
    backup = tmp_path / "backup.duckdb"
    shutil.copy2(db, backup)  # as cp -p, rsync -a or tar keep it: with its time
    _run(db, tmp_path / "undone")
    shutil.copy2(backup, db)  # the run undone; its copy, written later, looks in step
    assert copy_in_step(db)
    _run(db, tmp_path / "again")
    assert publications == [str(db)]
    _assert_copy_as_published_anew(db, tmp_path)


def test_a_refresh_cut_short_leaves_no_part_and_publishes_anew(
    db: Path, tmp_path: Path, publications: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    bring_over: Callable[..., None] = db_module._bring_over

    def failing(con: duckdb.DuckDBPyConnection, store: str, table: str) -> None:
        if table == "match_candidates":
            raise duckdb.IOException("disk full")
        bring_over(con, store, table)

    monkeypatch.setattr(db_module, "_bring_over", failing)
    _run(db, tmp_path / "full")
    assert publications == [str(db)]
    _assert_copy_as_published_anew(db, tmp_path)
