"""The record index beside the store: read back exactly, kept in step by loads, rebuilt when
out of step, never left half-written, and a since-last run through it finds what a full run
finds."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import polars as pl
import pytest
from conftest import write_records
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from blacklist_match import record_index, since_last
from blacklist_match.batch import record_batch_run, run_batch
from blacklist_match.rules import RulePack
from blacklist_match.since_last import (
    INDEX_KEYS,
    current_record_index,
)
from blacklist_match.store import Store
from blacklist_match.store_schema import key_hash_expr
from blacklist_match.synth import build_scenario

KEY = ["record_id", "entry_id", "rule_id"]
TRICKY = [
    {"record_id": "T1", "agency": 'a "quoted" agency', "record_type": "licence",
     "sub_type": None, "subject_type": "person", "subject_name": "王\\小明",
     "subject_id": "110101199003070038", "event_date": "2024-02-29",
     "amount": "0.30000000000000004"},
    {"record_id": "T2", "agency": "機關\u3000名稱", "record_type": "subsidy",
     "sub_type": "tax_relief", "subject_type": "entity", "subject_name": "🀄 北京某某科技有限公司",
     "subject_id": None, "event_date": "2016-01-01", "amount": "123456789.12345679"},
    {"record_id": "T3", "agency": "x,y\nz", "record_type": "honour", "sub_type": None,
     "subject_type": "person", "subject_name": "李四", "subject_id": "1101**********0038",
     "event_date": "2025-12-31", "amount": None},
]  # fmt: skip


@pytest.fixture(autouse=True)
def index_always(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(record_index.SETTING_ENV, "always")


@pytest.fixture
def index_reads(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """What each since-last run's read of the record index returned (True: read)."""
    reads: list[bool] = []
    read = since_last._read_indexed

    def recorded(*args: object) -> bool:
        reads.append(read(*args))  # type: ignore[arg-type]
        return reads[-1]

    monkeypatch.setattr(since_last, "_read_indexed", recorded)
    return reads


def _ids_since(store: Store, sql: str, watermark: int) -> set[str]:
    """The ids ``sql`` selects with the ``watermark`` of an earlier run bound."""
    return {row[0] for row in store.con.execute(sql, [watermark]).fetchall()}


def _store_with_records(tmp_path: Path, seed: int = 5) -> tuple[Store, dict[str, Path]]:
    files = build_scenario(listed_persons=120, listed_companies=40, records=600, seed=seed).write(
        tmp_path / "data"
    )
    store = Store.open(tmp_path / "s.duckdb")
    store.ingest_list(files["list"])
    store.ingest_officers(files["officers"])
    store.ingest_records(files["records"])
    store.ingest_records(write_records(tmp_path / "tricky.csv", TRICKY))
    return store, files


def _index(store: Store) -> record_index.RecordIndex:
    index = current_record_index(store.con, store.path)
    assert index is not None
    return index


def _all_rows(index: record_index.RecordIndex) -> list[np.ndarray]:
    """Every live row's position, per segment."""
    positions = []
    for segment in index.segments:
        dead_file = segment["dead_file"]
        dead = np.load(index.folder / segment["name"] / dead_file) if dead_file else []
        rows = np.arange(int(segment["rows"]), dtype=np.int64)
        positions.append(rows[~np.isin(rows, dead)])
    return positions


def _read(
    store: Store, index: record_index.RecordIndex, positions: list[np.ndarray]
) -> pl.DataFrame:
    store.con.register("payloads", pl.DataFrame({"p": index.payloads(positions)}).to_arrow())
    try:
        return pl.from_arrow(  # type: ignore[return-value]
            store.con.sql(index.decode_sql("payloads")).to_arrow_table()
        ).sort("rid")
    finally:
        store.con.unregister("payloads")


def _live_rows_and_store(
    store: Store, index: record_index.RecordIndex, *columns: str
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """``columns`` of every live row the index reads back, and of the store's records, both
    by ``rid``."""
    read = _read(store, index, _all_rows(index)).select(columns)
    held = store.con.sql(f"SELECT {', '.join(columns)} FROM records ORDER BY rid").pl()  # noqa: S608
    return read, held


def test_the_index_reads_back_every_record_exactly_as_the_store_holds_it(tmp_path: Path) -> None:
    store, _ = _store_with_records(tmp_path)
    with store:
        index = _index(store)
        names = list(index.column_names)
        key_columns = {sql for _, sql in INDEX_KEYS if sql.isidentifier()}
        assert key_columns <= set(names) and "extra" not in names
        assert not {name for name, _ in index.columns} & key_columns  # derived
        held = pl.from_arrow(
            store.con.sql(f"SELECT {', '.join(names)} FROM records ORDER BY rid").to_arrow_table()  # noqa: S608
        )
        read = _read(store, index, _all_rows(index))
    assert held.height == 603
    assert read.schema == held.schema
    assert read.equals(held)  # text with quotes, backslashes, newlines; doubles; NULLs
    tricky = read.filter(pl.col("record_id").str.starts_with("T")).sort("record_id")
    assert tricky["amount"].to_list()[:2] == [0.1 + 0.2, 123456789.12345679]


def test_lookups_find_every_row_holding_a_key_and_only_those(tmp_path: Path) -> None:
    """Every key of the index, plain or conditional (a key column where a probe's condition
    holds): a lookup finds exactly the records whose key is one of those looked up."""
    store, _ = _store_with_records(tmp_path)
    with store:
        index = _index(store)
        sizes = {}
        for name, sql in INDEX_KEYS:
            keys = store.con.sql(
                f"SELECT k FROM (SELECT DISTINCT {sql} AS k FROM records "  # noqa: S608
                f"WHERE k IS NOT NULL) ORDER BY hash(k) LIMIT 20"
            ).fetchnumpy()["k"]
            expected = {
                row[0]
                for row in store.con.execute(
                    f"SELECT rid FROM records WHERE {sql} IN (SELECT unnest(?))",  # noqa: S608
                    [keys.tolist()],
                ).fetchall()
            }
            found = _read(store, index, index.positions({name: keys}))
            assert set(found["rid"]) == expected and len(expected) >= len(keys), name
            sizes[name] = len(keys)
    # the generated records hold no alternative ID readings, nor a company with only a
    # registration number: every other key is looked up by at least six of its values
    assert {name for name, size in sizes.items() if size <= 5} == {
        "id_alt_norm_hash",
        "core_prefix_hash@prefix_org_keyed",
    }


def test_a_records_load_adds_a_segment_and_marks_the_rows_it_replaced_dead(
    tmp_path: Path,
) -> None:
    store, files = _store_with_records(tmp_path)
    records = pl.read_csv(files["records"], infer_schema=False)
    changed = records.head(25).with_columns(pl.lit("1").alias("amount"))
    added = records.head(10).with_columns(("N" + pl.col("record_id")).alias("record_id"))
    with store:
        first = _index(store)
        store.ingest_records(
            write_records(tmp_path / "more.csv", pl.concat([changed, added]).to_dicts())
        )
        manifest = json.loads((first.folder / "manifest.json").read_text())
        assert [s["rows"] for s in manifest["segments"]] == [603, 35]
        assert [s["dead"] for s in manifest["segments"]] == [25, 0]
        index = _index(store)
        assert index.segments == tuple(manifest["segments"])  # in step: not written again
        read, held = _live_rows_and_store(store, index, "rid", "record_id", "amount")
        ids = store.con.sql(
            "SELECT id_norm_hash FROM records WHERE amount = 1 AND id_norm_hash IS NOT NULL"
        ).fetchnumpy()["id_norm_hash"]
        found = _read(store, index, index.positions({"id_norm_hash": ids}))
    assert read.equals(held)
    assert read.height == 613
    replaced = found.filter(pl.col("record_id").is_in(changed["record_id"].implode()))
    assert replaced.height >= 20 and (replaced["amount"] == 1).all()  # no replaced row found


def test_an_index_out_of_step_with_its_store_is_rebuilt_not_read(tmp_path: Path) -> None:
    store, _ = _store_with_records(tmp_path)
    with store:
        before = _index(store)
        store.con.execute(
            "UPDATE meta SET value = 'another' WHERE key = ?", [record_index.STORE_ID_KEY]
        )
        after = _index(store)
        assert after.segments[0]["name"] != before.segments[0]["name"]
        store.con.execute(
            "INSERT INTO meta VALUES ('key_hash_probe', 'rehashed') "
            "ON CONFLICT DO UPDATE SET value = 'rehashed'"
        )
        again = _index(store)
        assert again.segments[0]["name"] != after.segments[0]["name"]
        assert again.manifest["live"] == 603
    other = tmp_path / "other.duckdb"
    with Store.open(other) as second:  # another store put in this one's place
        second.ingest_records(write_records(tmp_path / "few.csv", TRICKY))
    shutil.copyfile(other, tmp_path / "s.duckdb")
    with Store.open(tmp_path / "s.duckdb") as replaced:
        rebuilt = _index(replaced)
        assert rebuilt.manifest["live"] == 3
        assert set(_read(replaced, rebuilt, _all_rows(rebuilt))["record_id"]) == {"T1", "T2", "T3"}


def test_a_cut_off_rebuild_leaves_the_last_index_and_the_run_probes_the_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, index_reads: list[bool]
) -> None:
    store, files = _store_with_records(tmp_path)
    pack = RulePack.load()
    listed = pl.read_csv(files["list"], infer_schema=False)
    renamed = listed.gather_every(4).with_columns(
        pl.col("被执行人姓名/名称").str.replace("^(.)", "${1}${1}")
    )
    with store:
        initial = run_batch(store, pack)
        record_batch_run(store, initial, tmp_path / "r0")
        kept = _index(store)
        manifest = (kept.folder / "manifest.json").read_bytes()
        store.con.execute(
            "UPDATE meta SET value = 'moved' WHERE key = ?", [record_index.STORE_ID_KEY]
        )

        def disk_full(*_: object) -> None:
            raise OSError(28, "No space left on device")

        monkeypatch.setattr(record_index, "_write_manifest", disk_full)
        assert current_record_index(store.con, store.path) is None
        assert not kept.folder.exists()  # dropped: never read out of step
        assert not [p for p in tmp_path.iterdir() if "records-index" in p.name]  # nor staged
        renamed.write_csv(tmp_path / "renamed.csv")
        store.ingest_list(tmp_path / "renamed.csv")
        since = run_batch(store, pack, since_last=True)  # the store is probed instead
        full = run_batch(store, pack)
        changed = _ids_since(
            store, "SELECT entry_id FROM list_entries WHERE screen_load_id > ?", initial.watermark
        )
    assert manifest and index_reads == []
    expected = full.flags.filter(pl.col("entry_id").is_in(changed))
    assert expected.height
    assert since.flags.select(KEY).sort(KEY).equals(expected.select(KEY).sort(KEY))


def test_a_damaged_index_is_rebuilt_or_skipped_never_read(
    tmp_path: Path, index_reads: list[bool]
) -> None:
    """A file cut short (a power cut before it reached the disk, a hand at work): found
    before the run, the index is rebuilt; found while reading, it is dropped and the run
    probes the store, with the same flags."""
    store, files = _store_with_records(tmp_path)
    pack = RulePack.load()
    listed = pl.read_csv(files["list"], infer_schema=False)
    with store:
        initial = run_batch(store, pack)
        record_batch_run(store, initial, tmp_path / "r0")
        index = _index(store)
        keys = index.folder / index.segments[0]["name"] / "id_norm_hash.keys.npy"
        keys.write_bytes(keys.read_bytes()[:64])
        rebuilt = _index(store)
        assert rebuilt.segments[0]["name"] != index.segments[0]["name"]
        listed.gather_every(5).with_columns(
            pl.col("被执行人姓名/名称").str.replace("^(.)", "${1}${1}")
        ).write_csv(tmp_path / "renamed.csv")
        store.ingest_list(tmp_path / "renamed.csv")
        _index(store)
        rows = rebuilt.folder / rebuilt.segments[0]["name"] / "offsets.npy"
        original = rows.read_bytes()
        # damaged after the run found it in step: cut between the check and the read
        check = record_index._intact
        record_index._intact = lambda *_: True  # type: ignore[assignment]
        try:
            rows.write_bytes(original[:200])
            since = run_batch(store, pack, since_last=True)
        finally:
            record_index._intact = check  # type: ignore[assignment]
        assert not rebuilt.folder.exists()
        changed = _ids_since(
            store, "SELECT entry_id FROM list_entries WHERE screen_load_id > ?", initial.watermark
        )
        full = run_batch(store, pack)
    assert index_reads == []  # the read raised: nothing came from the index
    expected = full.flags.filter(pl.col("entry_id").is_in(changed))
    assert expected.height
    assert since.flags.select(KEY).sort(KEY).equals(expected.select(KEY).sort(KEY))


def test_a_restored_store_gets_its_index_rebuilt_not_the_index_of_what_it_lost(
    tmp_path: Path,
) -> None:
    """A backup restored after a records load it then loses, and another file of as many
    records loaded in its place: the same load id, the same count, the same store id; the
    index of the lost load is not read."""
    store, files = _store_with_records(tmp_path)
    records = pl.read_csv(files["records"], infer_schema=False)
    wrong = records.head(6).with_columns(("W" + pl.col("record_id")).alias("record_id"))
    right = records.slice(6, 6).with_columns(("W" + pl.col("record_id")).alias("record_id"))
    db = tmp_path / "s.duckdb"
    with store:
        _index(store)
    backup = tmp_path / "backup.duckdb"
    shutil.copyfile(db, backup)
    shutil.copytree(record_index.index_folder(db), record_index.index_folder(backup))
    with Store.open(db) as store:
        store.ingest_records(write_records(tmp_path / "wrong.csv", wrong.to_dicts()))
        assert [s["rows"] for s in _index(store).segments] == [603, 6]
    shutil.copyfile(backup, db)  # the store restored, its index not
    with Store.open(db) as store:
        store.ingest_records(write_records(tmp_path / "right.csv", right.to_dicts()))
        index = _index(store)
        read, held = _live_rows_and_store(store, index, "rid", "record_id", "subject_id")
    assert read.equals(held)


def test_no_index_for_a_read_only_store_and_none_kept_when_switched_off(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store, files = _store_with_records(tmp_path)
    db = tmp_path / "s.duckdb"
    with store:
        folder = _index(store).folder
    before = sorted(p.name for p in folder.rglob("*"))
    with Store.open(db, read_only=True) as reader:
        assert current_record_index(reader.con, reader.path, writable=False) is None
    assert sorted(p.name for p in folder.rglob("*")) == before
    monkeypatch.setenv(record_index.SETTING_ENV, "off")
    records = pl.read_csv(files["records"], infer_schema=False).head(2)
    with Store.open(db) as store:
        store.ingest_records(
            write_records(
                tmp_path / "o.csv",
                records.with_columns(("O" + pl.col("record_id")).alias("record_id")).to_dicts(),
            )
        )
    assert not folder.exists()


def test_many_segments_are_merged_behind_the_first_which_is_not_rewritten(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(record_index, "MAX_SEGMENTS", 3)
    store, files = _store_with_records(tmp_path)
    records = pl.read_csv(files["records"], infer_schema=False)
    with store:
        first = _index(store).segments[0]["name"]
        counts = []
        for n in range(4):
            extra = records.head(5).with_columns((f"X{n}" + pl.col("record_id")).alias("record_id"))
            store.ingest_records(write_records(tmp_path / f"x{n}.csv", extra.to_dicts()))
            counts.append([s["rows"] for s in _index(store).segments])
        index = _index(store)
        assert index.segments[0]["name"] == first
        assert _read(store, index, _all_rows(index)).height == 623
    assert counts == [[603, 5], [603, 5, 5], [603, 15], [603, 15, 5]]


def test_since_last_through_an_index_kept_by_loads_equals_the_full_run(
    tmp_path: Path, index_reads: list[bool]
) -> None:
    """The index built by one since-last run, then kept in step by records loads (new and
    replaced records) while the list changes: the next since-last run finds through it
    exactly what a full run finds on what changed."""
    files = build_scenario(listed_persons=200, listed_companies=80, records=900, seed=23).write(
        tmp_path / "data"
    )
    listed = pl.read_csv(files["list"], infer_schema=False)
    body = listed.with_row_index()
    first_list, later_list = tmp_path / "l1.csv", tmp_path / "l2.csv"
    body.filter(pl.col("index") % 3 != 2).drop("index").write_csv(first_list)
    body.filter(pl.col("index") % 3 == 2).drop("index").write_csv(later_list)
    records = pl.read_csv(files["records"], infer_schema=False)
    old, new = tmp_path / "old.csv", tmp_path / "new.csv"
    records.head(700).write_csv(old)
    pl.concat(
        [records.slice(700), records.head(30).with_columns(pl.lit("7").alias("amount"))]
    ).write_csv(new)
    pack = RulePack.load()
    with Store.open(tmp_path / "i.duckdb") as store:
        store.ingest_list(first_list)
        store.ingest_officers(files["officers"])
        store.ingest_records(old)
        initial = run_batch(store, pack)
        record_batch_run(store, initial, tmp_path / "r0")
        quiet = run_batch(store, pack, since_last=True)  # nothing to probe: no index opened
        record_batch_run(store, quiet, tmp_path / "r1")
        assert not record_index.index_folder(store.path).is_dir()
        _index(store)  # as a since-last run with keys to probe builds it
        store.ingest_records(new)  # a segment; 30 rows dead
        store.ingest_list(later_list)
        index = _index(store)
        assert [s["dead"] for s in index.segments] == [30, 0]
        since = run_batch(store, pack, since_last=True)
        changed = _ids_since(
            store, "SELECT entry_id FROM list_entries WHERE last_load_id > ?", quiet.watermark
        )
        loaded = _ids_since(
            store, "SELECT record_id FROM records WHERE load_id > ?", quiet.watermark
        )
        full = run_batch(store, pack)
    expected = full.flags.filter(
        pl.col("entry_id").is_in(changed) | pl.col("record_id").is_in(loaded)
    )
    assert expected.filter(pl.col("entry_id").is_in(changed)).height
    assert since.flags.select(KEY).sort(KEY).equals(expected.select(KEY).sort(KEY))
    assert index_reads == [True]  # the run found its records through the index


def _bare_store(path: Path) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE meta (key VARCHAR PRIMARY KEY, value VARCHAR)")
    con.execute(
        "CREATE TABLE loads (load_id BIGINT, kind VARCHAR, file_hash VARCHAR, loaded_at TIMESTAMP)"
    )
    con.execute(
        "CREATE TABLE records (subject_name VARCHAR, amount DOUBLE, event_date DATE, "
        "id_norm VARCHAR, id_norm_hash BIGINT, rid BIGINT, load_id BIGINT)"
    )
    con.execute("INSERT INTO loads VALUES (1, 'records', 'f', now())")
    con.execute("CREATE TABLE replaced_records (load_id BIGINT, rid BIGINT)")
    return con


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.lists(
        st.tuples(
            st.one_of(st.none(), st.text()),
            st.one_of(st.none(), st.floats(allow_nan=False)),
            st.one_of(st.none(), st.dates()),
            st.one_of(st.none(), st.text(max_size=20)),
        ),
        min_size=1,
        max_size=12,
    )
)
def test_any_text_number_and_date_survive_the_index(
    tmp_path_factory: pytest.TempPathFactory, rows: list[tuple[object, ...]]
) -> None:
    path = tmp_path_factory.mktemp("bare") / "b.duckdb"
    con = _bare_store(path)
    try:
        text_rows = [(t, a, d, k, rid, 1) for rid, (t, a, d, k) in enumerate(rows)]
        con.executemany("INSERT INTO records VALUES (?, ?, ?, ?, NULL, ?, ?)", text_rows)
        con.execute(f"UPDATE records SET id_norm_hash = {key_hash_expr('id_norm')}")  # noqa: S608
        layout = record_index.records_layout(
            con, skipped=("load_id",), keys=(("id_norm_hash", "id_norm_hash"),)
        )
        index = record_index.refresh(con, path, layout, create_from=0)
        assert index is not None
        con.register(
            "payloads",
            pl.DataFrame({"p": index.payloads([np.arange(len(rows), dtype=np.int64)])}).to_arrow(),
        )
        read = con.sql(index.decode_sql("payloads") + " ORDER BY rid").fetchall()
        columns = ", ".join(index.column_names)
        held = con.sql(f"SELECT {columns} FROM records ORDER BY rid").fetchall()  # noqa: S608
        assert len(read) == len(held)
        assert repr(read) == repr(held)  # doubles to the bit (-0.0), infinities, any text
    finally:
        con.close()


def test_the_ingest_command_keeps_the_index_in_step_with_the_records_it_commits(
    tmp_path: Path,
) -> None:
    """Through the real entry point: a since-last run with no change opens no index; one
    after a list change builds it; ``ingest records`` of two files (one transaction) adds
    their rows as a segment once both are committed; the next since-last run reads it as
    it is."""
    entry_point = shutil.which("blacklist-match", path=str(Path(sys.executable).parent))
    assert entry_point
    store, files = _store_with_records(tmp_path)
    store.close()
    db = str(tmp_path / "s.duckdb")

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [entry_point, *args, "--db", db], capture_output=True, text=True, check=False
        )
        assert done.returncode == 0, done.stderr
        return done

    cli("run", "--out", str(tmp_path / "o1"))
    cli("run", "--since-last", "--out", str(tmp_path / "o2"))
    manifest = record_index.index_folder(db) / "manifest.json"
    assert not manifest.exists()
    renamed = pl.read_csv(files["list"], infer_schema=False).gather_every(6)
    renamed.with_columns(pl.col("被执行人姓名/名称").str.replace("^(.)", "${1}${1}")).write_csv(
        tmp_path / "renamed.csv"
    )
    cli("ingest", "list", str(tmp_path / "renamed.csv"))
    cli("run", "--since-last", "--out", str(tmp_path / "o2b"))
    assert [s["rows"] for s in json.loads(manifest.read_text())["segments"]] == [603]
    records = pl.read_csv(files["records"], infer_schema=False)
    parts = []
    for n in range(2):
        part = records.slice(n * 4, 4).with_columns(("C" + pl.col("record_id")).alias("record_id"))
        parts.append(str(write_records(tmp_path / f"c{n}.csv", part.to_dicts())))
    cli("ingest", "records", *parts)
    written = json.loads(manifest.read_text())
    status = json.loads(cli("status", "--json").stdout)["record_index"]
    assert status["rows"] == 611 and status["segments"] == 2 and status["megabytes"] > 0
    assert "record index    611 rows (0 replaced), 2 segments" in cli("status").stdout
    assert [s["rows"] for s in written["segments"]] == [603, 8]
    done = cli("run", "--since-last", "--out", str(tmp_path / "o3"))
    assert "8 records screened" in done.stdout
    assert json.loads(manifest.read_text()) == written  # in step: read, not written


def test_what_a_write_cut_off_left_behind_is_removed_and_the_index_made_whole(
    tmp_path: Path,
) -> None:
    """As after ``kill -9`` in a refresh: a staged rebuild beside the index, a segment the
    manifest does not list, a staged manifest and dead list; the next refresh removes them
    and appends what the store holds now."""
    store, files = _store_with_records(tmp_path)
    with store:
        index = _index(store)
        segment = index.folder / index.segments[0]["name"]
        leftovers = [
            index.folder.with_name(index.folder.name + ".staged-0a1b2c3d"),
            index.folder / "seg-cutoff",
            index.folder / ".manifest.json.1234",
            segment / ".dead.5678.npy",
        ]
        for path in leftovers[:2]:
            (path / "rows.bin").parent.mkdir(parents=True)
            (path / "rows.bin").write_bytes(b"[")
        for path in leftovers[2:]:
            path.write_bytes(b"{")
        records = pl.read_csv(files["records"], infer_schema=False).head(3)
        more = records.with_columns(("K" + pl.col("record_id")).alias("record_id"))
        store.ingest_records(write_records(tmp_path / "k.csv", more.to_dicts()))
        assert not leftovers[1].exists() and not leftovers[2].exists()
        assert not leftovers[3].exists()
        index = _index(store)
        assert [s["rows"] for s in index.segments] == [603, 3]
        store.con.execute("UPDATE meta SET value = 'x' WHERE key = ?", [record_index.STORE_ID_KEY])
        _index(store)  # a rebuild clears the staged copy
        assert not leftovers[0].exists()


def test_replaced_rows_are_marked_dead_by_the_row_ids_the_load_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A load that replaces records keeps their row ids (``replaced_records``): the refresh
    marks them dead from those, without looking up every row id in the store; a load that
    kept none (an older build) makes the refresh look every row id up."""
    store, files = _store_with_records(tmp_path)
    records = pl.read_csv(files["records"], infer_schema=False)
    lookups: list[object] = []
    mark = record_index._mark_dead

    def recorded(*args: Any, replaced_after: int | None) -> int:
        lookups.append(replaced_after)
        return mark(*args, replaced_after=replaced_after)

    monkeypatch.setattr(record_index, "_mark_dead", recorded)
    with store:
        _index(store)
        first = records.head(12).with_columns(pl.lit("5").alias("amount"))
        store.ingest_records(write_records(tmp_path / "r1.csv", first.to_dicts()))
        assert len(lookups) == 1 and lookups[0] is not None  # the kept row ids sufficed
        kept = store.con.execute("SELECT count(*) FROM replaced_records").fetchall()[0][0]
        assert kept == 0  # forgotten once the index has them
        second = records.slice(12, 7).with_columns(pl.lit("6").alias("amount"))
        with store.transaction():  # as an older build loads: no row ids kept
            store.ingest_records(write_records(tmp_path / "r2.csv", second.to_dicts()))
            store.con.execute("DELETE FROM replaced_records")
        assert lookups[1:] == [lookups[1], None] and lookups[1] is not None
        index = _index(store)
        assert [s["dead"] for s in index.segments] == [19, 0, 0]
        read, held = _live_rows_and_store(store, index, "rid", "record_id", "amount")
    assert read.equals(held)


def test_the_index_command_builds_it_at_any_size_and_reports_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``blacklist-match index``: built now (a store below the size a since-last run builds
    it at), in step the second time, refused when switched off."""
    monkeypatch.delenv(record_index.SETTING_ENV)
    entry_point = shutil.which("blacklist-match", path=str(Path(sys.executable).parent))
    assert entry_point
    store, _ = _store_with_records(tmp_path)
    store.close()
    db = str(tmp_path / "s.duckdb")

    def index() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [entry_point, "index", "--db", db], capture_output=True, text=True, check=False
        )

    first = index()
    assert first.returncode == 0, first.stderr
    assert "603 rows (0 replaced), 1 segments" in first.stdout
    manifest = (record_index.index_folder(db) / "manifest.json").read_bytes()
    assert index().returncode == 0
    assert (record_index.index_folder(db) / "manifest.json").read_bytes() == manifest
    monkeypatch.setenv(record_index.SETTING_ENV, "off")
    off = index()
    assert off.returncode == 1 and "record index is off" in off.stderr
