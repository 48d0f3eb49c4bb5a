"""The nightly batch: a since-last run finds exactly what a full run finds for what changed."""

from __future__ import annotations

import inspect
import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import duckdb
import polars as pl
import pytest
from conftest import LIST_HEADER, write_records

from blacklist_match import batch, record_index, since_last
from blacklist_match import schema as S
from blacklist_match.batch import RunResult, find_candidates_schema, record_batch_run, run_batch
from blacklist_match.ids import reg_no, resident_id
from blacklist_match.match.identity import find_candidates
from blacklist_match.report.flags import build_flags, empty_flags
from blacklist_match.rules import RulePack, apply_rules
from blacklist_match.store import Store
from blacklist_match.synth import build_scenario

ENTRY_POINT = shutil.which("blacklist-match", path=str(Path(sys.executable).parent))
KEY = ["record_id", "entry_id", "rule_id"]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Every test that runs since-last twice (the ``probing`` fixture): probing the store's
    columns, and reading the record index beside it."""
    source = inspect.getsource(metafunc.function)
    if "since_last" in source or "--since-last" in source or "_newly_listed(" in source:
        metafunc.parametrize("probing", ["store", "record_index"], indirect=True)


@pytest.fixture(autouse=True)
def probing(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """``store``: since-last runs probe the store's columns. ``record_index``: they read the
    record index (built at any size, read however many rows a change reaches), and a run
    that could not open it or read from it fails the test."""
    mode = str(getattr(request, "param", "store"))
    monkeypatch.setenv(record_index.SETTING_ENV, "off" if mode == "store" else "always")
    if mode == "record_index":
        opened, read = batch.current_record_index, since_last._read_indexed

        def must_open(*args: Any, **kwargs: Any) -> Any:
            index = opened(*args, **kwargs)
            assert index is not None, "the record index was not opened"
            return index

        def must_read(*args: Any) -> bool:
            assert read(*args), "the record index was not read"
            return True

        monkeypatch.setattr(batch, "current_record_index", must_open)
        monkeypatch.setattr(since_last, "_read_indexed", must_read)
    return mode


def _split_list(path: Path, tmp_path: Path) -> tuple[Path, Path]:
    """The list as a first publication (most rows) and a later increment (the rest)."""
    rows = path.read_text(encoding="utf-8-sig").splitlines()
    header, body = rows[0], rows[1:]
    cut = len(body) * 9 // 10
    first, later = tmp_path / "list_first.csv", tmp_path / "list_later.csv"
    first.write_text("\n".join([header, *body[:cut]]) + "\n", encoding="utf-8")
    later.write_text("\n".join([header, *body[cut:]]) + "\n", encoding="utf-8")
    return first, later


def test_since_last_equals_the_full_run_on_what_changed(tmp_path: Path) -> None:
    files = build_scenario(listed_persons=150, listed_companies=60, records=700, seed=5).write(
        tmp_path / "data"
    )
    first, later = _split_list(files["list"], tmp_path)
    pack = RulePack.load()
    with Store.open(tmp_path / "b.duckdb") as store:
        store.ingest_list(first)
        store.ingest_officers(files["officers"])
        store.ingest_records(files["records"])
        initial = run_batch(store, pack)
        record_batch_run(store, initial, tmp_path / "r0")
        store.ingest_list(later)
        store.ingest_removals(files["removals"])
        since = run_batch(store, pack, since_last=True)
        changed = set(
            store.con.execute(
                "SELECT entry_id FROM list_entries WHERE last_load_id > ?", [initial.watermark]
            ).fetchall()
        )
        full = run_batch(store, pack)
    assert since.mode == "since_last" and full.mode == "full"
    changed_ids = {row[0] for row in changed}
    expected = full.flags.filter(pl.col("entry_id").is_in(changed_ids)).select(KEY).sort(KEY)
    assert expected.height > 0
    assert since.flags.select(KEY).sort(KEY).equals(expected)
    unchanged = initial.flags.filter(~pl.col("entry_id").is_in(changed_ids)).select(KEY).sort(KEY)
    assert unchanged.equals(
        full.flags.filter(~pl.col("entry_id").is_in(changed_ids)).select(KEY).sort(KEY)
    )


def test_a_failed_run_leaves_no_report_and_is_not_the_last_run(
    tmp_path: Path, list_csv: Path
) -> None:
    assert ENTRY_POINT
    db = tmp_path / "f.duckdb"
    with Store.open(db) as store:
        store.ingest_list(list_csv)
    out = tmp_path / "out"
    bad_rules = tmp_path / "rules"
    bad_rules.mkdir()
    (bad_rules / "x.yaml").write_text("category: nonsense\nrules: []\n", encoding="utf-8")
    done = subprocess.run(
        [ENTRY_POINT, "run", "--out", str(out), "--db", str(db), "--rules", str(bad_rules)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 1
    assert not out.exists() or not any(out.iterdir())
    with Store.open(db, read_only=True) as store:
        assert store.con.execute("SELECT count(*) FROM batch_runs").fetchall()[0][0] == 0


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_run_command_writes_the_report(tmp_path: Path, list_csv: Path, fmt: str) -> None:
    assert ENTRY_POINT
    db = tmp_path / "c.duckdb"
    from test_pipeline import _records

    with Store.open(db) as store:
        store.ingest_list(list_csv)
        store.ingest_records(_records(tmp_path))
    done = subprocess.run(
        [ENTRY_POINT, "run", "--out", str(tmp_path / "out"), "--db", str(db), "--format", fmt],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "out" / f"flags.{fmt}").is_file()
    again = subprocess.run(
        [ENTRY_POINT, "run", "--since-last", "--out", str(tmp_path / "out2"), "--db", str(db)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert "since_last): 0 records screened, 0 flags" in again.stdout
    status = subprocess.run([ENTRY_POINT, "status", "--json", "--db", str(db)],
                            capture_output=True, text=True, check=True)  # fmt: skip
    runs = json.loads(status.stdout)["last_runs"]
    assert [(run["mode"], run["records_screened"]) for run in runs] == [
        ("since_last", 0), ("full", 8)
    ]  # fmt: skip
    assert runs[1]["report"].endswith(f"flags.{fmt}")


def _flag_keys(flags: pl.DataFrame) -> pl.DataFrame:
    return flags.select(KEY).unique().sort(KEY)


def _interleaved_list(path: Path, tmp_path: Path) -> tuple[Path, Path]:
    """The list as a first publication (two rows in three) and a later one (the third)."""
    rows = path.read_text(encoding="utf-8-sig").splitlines()
    header, body = rows[0], rows[1:]
    first, later = tmp_path / "list_first.csv", tmp_path / "list_later.csv"
    first.write_text("\n".join([header, *body[0::3], *body[1::3]]) + "\n", encoding="utf-8")
    later.write_text("\n".join([header, *body[2::3]]) + "\n", encoding="utf-8")
    return first, later


@pytest.mark.parametrize("seed", [11, 23])
def test_since_last_finds_every_tier_a_list_change_reaches(tmp_path: Path, seed: int) -> None:
    """The scope is each tier's own blocking key (masks with names, typo'd IDs, names
    without IDs, company cores, registry links), not a scan: it must miss nothing."""
    files = build_scenario(listed_persons=200, listed_companies=80, records=900, seed=seed).write(
        tmp_path / "data"
    )
    first, later = _interleaved_list(files["list"], tmp_path)
    pack = RulePack.load()
    with Store.open(tmp_path / "t.duckdb") as store:
        store.ingest_list(first)
        store.ingest_officers(files["officers"])
        store.ingest_records(files["records"])
        initial = run_batch(store, pack)
        record_batch_run(store, initial, tmp_path / "r0")
        store.ingest_list(later)
        since = run_batch(store, pack, since_last=True)
        changed = {
            row[0]
            for row in store.con.execute(
                "SELECT entry_id FROM list_entries WHERE last_load_id > ?", [initial.watermark]
            ).fetchall()
        }
        full = run_batch(store, pack)
    expected = full.flags.filter(pl.col("entry_id").is_in(changed))
    assert set(expected["status"]) == {"new"}  # new entries: pairs the scope had to find
    assert set(expected["tier"]) == {
        "exact_id", "id_crosswalk", "masked_id_name", "registry_link", "fuzzy_id_name", "name_only"
    }  # fmt: skip
    assert _flag_keys(since.flags).equals(_flag_keys(expected))
    assert since.records_screened < full.records_screened


def test_since_last_screens_new_records_and_registry_changes_against_the_whole_list(
    tmp_path: Path,
) -> None:
    files = build_scenario(listed_persons=150, listed_companies=60, records=800, seed=7).write(
        tmp_path / "data"
    )
    records = pl.read_csv(files["records"], infer_schema=False)
    old_part, new_part = tmp_path / "records_old.csv", tmp_path / "records_new.csv"
    records.head(500).write_csv(old_part)
    records.slice(500).write_csv(new_part)
    pack = RulePack.load()
    with Store.open(tmp_path / "n.duckdb") as store:
        store.ingest_list(files["list"])
        store.ingest_records(old_part)
        first = run_batch(store, pack)
        record_batch_run(store, first, tmp_path / "r0")
        store.ingest_records(new_part)
        store.ingest_officers(files["officers"])
        since = run_batch(store, pack, since_last=True)
        touched = {
            row[0]
            for row in store.con.execute(
                """SELECT record_id FROM records WHERE load_id > ?
                   OR id_norm IN (SELECT person_id_norm FROM officers
                                  UNION SELECT entity_id_norm FROM officers)
                   OR id_alt_norm IN (SELECT person_id_norm FROM officers)
                   OR org_code_key IN (SELECT entity_org_code_key FROM officers)""",
                [first.watermark],
            ).fetchall()
        }
        full = run_batch(store, pack)
    expected = full.flags.filter(pl.col("record_id").is_in(touched))
    assert "registry_link" in set(expected["tier"])
    old_ids = records.head(500)["record_id"].implode()
    assert expected.filter(~pl.col("record_id").is_in(old_ids)).height  # new records
    assert expected.filter(pl.col("record_id").is_in(old_ids)).height  # registry changes
    assert _flag_keys(since.flags).equals(_flag_keys(expected))


def _typo(valid: str, position: int) -> str:
    """``valid`` with one digit changed so that its check character no longer holds."""
    for digit in "0123456789":
        typo = valid[:position] + digit + valid[position + 1 :]
        if typo != valid and not resident_id.is_valid(typo):
            return typo
    raise AssertionError(valid)


def test_since_last_finds_pairs_by_name_where_an_id_is_missing_typod_or_masked(
    tmp_path: Path, list_csv: Path
) -> None:
    """New entries that pair only through a name: a typo'd ID early or late in the number
    (fuzzy_id_name), no ID on either side (name_only), a company entry without an ID, and a
    masked ID whose name differs from the record's only by the separator dot."""
    zhao, qian, ayi = "110105198001010032", "110105197505050017", "650102198503150023"
    assert all(resident_id.is_valid(number) for number in (zhao, qian, ayi))
    rows = [  # case, name, sex, age, id, legal rep, court, province, basis, filed, issuer, ...
        f"(2024)京0105执1号,赵强,男,44,{_typo(zhao, 1)},,北京市朝阳区人民法院,北京,"
        "(2024)京0105民初1号,2024-01-02,北京市朝阳区人民法院,还款,全部未履行,暂无,2024-02-01",
        f"(2024)京0105执2号,钱敏,女,48,{_typo(qian, 15)},,北京市朝阳区人民法院,北京,"
        "(2024)京0105民初2号,2024-01-02,北京市朝阳区人民法院,还款,全部未履行,暂无,2024-02-01",
        "(2024)京0105执3号,李娜,女,40,暂无,,北京市朝阳区人民法院,北京,"
        "(2024)京0105民初3号,2024-01-02,北京市朝阳区人民法院,还款,全部未履行,暂无,2024-02-01",
        "(2024)桂1322执4号,象州县新河商贸有限公司,,,暂无,李明,象州县人民法院,广西,"
        "(2024)桂1322民初4号,2024-01-02,象州县人民法院,支付货款,全部未履行,暂无,2024-02-01",
        f"(2024)新0102执5号,阿依古丽买买提,女,38,{ayi[:10]}****{ayi[14:]},,乌鲁木齐市天山区人民法院,"
        "新疆,(2024)新0102民初5号,2024-01-02,乌鲁木齐市天山区人民法院,还款,全部未履行,暂无,"
        "2024-02-01",
    ]
    later = tmp_path / "later.csv"
    later.write_text("\n".join([LIST_HEADER, *rows]) + "\n", encoding="utf-8")
    person = {"agency": "银行", "record_type": "credit", "sub_type": "bank_loan",
              "subject_type": "person", "amount": "50000", "event_date": "2025-03-01"}  # fmt: skip
    records = write_records(
        tmp_path / "records.csv",
        [
            {**person, "record_id": "Z1", "subject_name": "赵强", "subject_id": zhao},
            {**person, "record_id": "Q1", "subject_name": "钱敏", "subject_id": qian},
            {**person, "record_id": "L1", "subject_name": "李娜", "subject_id": ""},
            {**person, "record_id": "A1", "subject_name": "阿依古丽·买买提", "subject_id": ayi},
            {
                **person,
                "record_id": "X1",
                "subject_type": "entity",
                "subject_name": "象州县新河商贸有限公司",
                "subject_id": "91451322600563165B",
            },
        ],
    )
    pack = RulePack.load()
    with Store.open(tmp_path / "p.duckdb") as store:
        store.ingest_list(list_csv)
        store.ingest_records(records)
        initial = run_batch(store, pack)
        record_batch_run(store, initial, tmp_path / "r0")
        store.ingest_list(later)
        since = run_batch(store, pack, since_last=True)
        full = run_batch(store, pack)
    expected = full.flags.filter(pl.col("case_no").str.starts_with("(2024)"))
    assert set(expected["record_id"]) == {"Z1", "Q1", "L1", "A1", "X1"}
    assert dict(expected.select("record_id", "tier").unique().iter_rows()) == {
        "Z1": "fuzzy_id_name", "Q1": "fuzzy_id_name", "L1": "name_only", "X1": "name_only",
        "A1": "masked_id_name",
    }  # fmt: skip
    assert _flag_keys(since.flags).equals(_flag_keys(expected))


def test_the_empty_candidates_frame_has_the_columns_find_candidates_returns() -> None:
    with duckdb.connect() as con:
        Store.create_schema(con)
        assert find_candidates(con).schema == find_candidates_schema().schema


@pytest.mark.parametrize("show_ids", [False, True])
def test_the_empty_report_read_from_the_plan_equals_the_report_of_no_candidates(
    show_ids: bool,
) -> None:
    accepted = apply_rules(find_candidates_schema().lazy(), RulePack.load())
    built = build_flags(accepted, show_ids=show_ids)
    empty = empty_flags(accepted, show_ids=show_ids)
    assert empty.equals(built)
    assert empty.height == 0
    assert empty.columns[: len(S.FLAG_COLUMNS)] == list(S.FLAG_COLUMNS)


def test_since_last_rescreens_corrected_entries_and_reloaded_records(tmp_path: Path) -> None:
    """Entries republished with their court corrected (in place, so spread over the table)
    and records loaded again with new content: the since-last run flags exactly what a full
    run flags on the corrected entries, with the corrected court."""
    files = build_scenario(listed_persons=150, listed_companies=60, records=700, seed=3).write(
        tmp_path / "data"
    )
    listed = pl.read_csv(files["list"], infer_schema=False)
    republished = listed.gather_every(3).with_columns(
        (pl.col("执行法院") + "执行局").alias("执行法院")
    )
    corrected = tmp_path / "list_corrected.csv"
    republished.write_csv(corrected)
    records = pl.read_csv(files["records"], infer_schema=False)
    reloaded = tmp_path / "records_changed.csv"
    records.head(40).with_columns(pl.lit("99999").alias("amount")).write_csv(reloaded)
    pack = RulePack.load()
    with Store.open(tmp_path / "k.duckdb") as store:
        store.ingest_list(files["list"])
        store.ingest_officers(files["officers"])
        store.ingest_records(files["records"])
        store.ingest_records(reloaded)
        initial = run_batch(store, pack)
        record_batch_run(store, initial, tmp_path / "r0")
        assert store.ingest_list(corrected).loaded == republished.height
        since = run_batch(store, pack, since_last=True)
        changed_entries = {
            row[0]
            for row in store.con.execute(
                "SELECT entry_id FROM list_entries WHERE screen_load_id > ?", [initial.watermark]
            ).fetchall()
        }
        full = run_batch(store, pack)
    assert len(changed_entries) == republished.height
    expected = full.flags.filter(pl.col("entry_id").is_in(changed_entries))
    assert expected.height and set(expected["status"]) == {"open"}
    assert _flag_keys(since.flags).equals(_flag_keys(expected))
    assert since.flags["court"].str.ends_with("执行局").all()
    assert since.flags.filter(pl.col("status") == "retracted").is_empty()
    assert 0 < since.records_screened < full.records_screened


def _republished_list(files: dict[str, Path], tmp_path: Path) -> tuple[Path, int, int]:
    """A third of the entries republished with only their performance changed (a debtor
    paid part of the debt), another third with the name corrected; and their counts."""
    listed = pl.read_csv(files["list"], infer_schema=False)
    paid = listed.gather_every(3).with_columns(pl.lit("部分履行").alias("被执行人的履行情况"))
    renamed = listed.gather_every(3, offset=1).with_columns(
        pl.col("被执行人姓名/名称").str.replace("^(.)", "${1}${1}")
    )
    path = tmp_path / "list_republished.csv"
    pl.concat([paid, renamed]).write_csv(path)
    return path, paid.height, renamed.height


def _entries_changed_since(store: Store, watermark: int, *, screened: bool) -> set[str]:
    column = "screen_load_id" if screened else "last_load_id"
    return {
        row[0]
        for row in store.con.execute(
            f"SELECT entry_id FROM list_entries WHERE {column} > ?",  # noqa: S608 - constant
            [watermark],
        ).fetchall()
    }


def test_a_performance_update_alone_screens_nothing_since_last(tmp_path: Path) -> None:
    """In one publication, entries republished with only their performance changed and
    others with their name corrected: the since-last run screens only the records near the
    renamed entries, and flags exactly what a full run flags on them."""
    files = build_scenario(listed_persons=150, listed_companies=60, records=700, seed=3).write(
        tmp_path / "data"
    )
    republished, paid, renamed = _republished_list(files, tmp_path)
    pack = RulePack.load()
    with Store.open(tmp_path / "p.duckdb") as store:
        store.ingest_list(files["list"])
        store.ingest_officers(files["officers"])
        store.ingest_records(files["records"])
        initial = run_batch(store, pack)
        record_batch_run(store, initial, tmp_path / "r0")
        assert store.ingest_list(republished).loaded == paid + renamed
        since = run_batch(store, pack, since_last=True)
        changed = _entries_changed_since(store, initial.watermark, screened=False)
        screened = _entries_changed_since(store, initial.watermark, screened=True)
        full = run_batch(store, pack)
    assert len(changed) == paid + renamed and len(screened) == renamed  # the paid kept theirs
    expected = full.flags.filter(pl.col("entry_id").is_in(screened))
    assert expected.height
    assert _flag_keys(since.flags).equals(_flag_keys(expected))
    assert since.records_screened < full.records_screened


def test_an_older_store_without_screen_load_id_rescreens_every_change(tmp_path: Path) -> None:
    """A store made before ``screen_load_id``: a writer's open adds the column as
    ``last_load_id``, so a since-last run counts every entry changed since the last run (what
    changed in them is not known)."""
    files = build_scenario(listed_persons=150, listed_companies=60, records=700, seed=3).write(
        tmp_path / "data"
    )
    republished, paid, renamed = _republished_list(files, tmp_path)
    db = tmp_path / "o.duckdb"
    pack = RulePack.load()
    with Store.open(db) as store:
        store.ingest_list(files["list"])
        store.ingest_records(files["records"])
        initial = run_batch(store, pack)
        record_batch_run(store, initial, tmp_path / "r0")
        store.ingest_list(republished)
        store.con.execute("ALTER TABLE list_entries DROP COLUMN screen_load_id")
    with Store.open(db) as store:
        filled = store.con.execute(
            "SELECT count(*) FROM list_entries WHERE screen_load_id = last_load_id"
        ).fetchall()[0][0]
        since = run_batch(store, pack, since_last=True)
        changed = _entries_changed_since(store, initial.watermark, screened=False)
        full = run_batch(store, pack)
    assert filled == full.list_state["entries_total"] and len(changed) == paid + renamed
    expected = full.flags.filter(pl.col("entry_id").is_in(changed))
    assert _flag_keys(since.flags).equals(_flag_keys(expected))


def _small_scenario(tmp_path: Path) -> tuple[dict[str, Path], pl.DataFrame]:
    """A small generated scenario's files, and its records as text."""
    files = build_scenario(listed_persons=60, listed_companies=10, records=300, seed=3).write(
        tmp_path / "data"
    )
    return files, pl.read_csv(files["records"], infer_schema=False)


def _first_record(records: pl.DataFrame, subject_type: str) -> dict[str, str]:
    """The first person record with a full 18-character ID, or company record with a USCC."""
    number = pl.col("subject_id")
    shaped = (
        number.str.contains(r"^\d{17}[\dX]$")
        if subject_type == "person"
        else (number.str.len_chars() == 18)
    )
    return records.filter((pl.col("subject_type") == subject_type) & shaped).row(0, named=True)


def _newly_listed(
    files: dict[str, Path], tmp_path: Path, *entries: dict[str, str | None]
) -> tuple[RunResult, RunResult, RunResult]:
    """The scenario loaded and screened (that run recorded as the last), then ``entries``
    listed (each the list's first row with these columns, filed and published in January
    2000): the first run, the since-last run, and a full run after it."""
    listed = pl.read_csv(files["list"], infer_schema=False).head(1)
    dates = {"立案时间": "2000年01月01日", "发布时间": "2000年01月02日"}
    later = tmp_path / "list_later.csv"
    pl.concat(
        listed.with_columns(
            pl.lit(value, pl.String).alias(column) for column, value in (dates | entry).items()
        )
        for entry in entries
    ).write_csv(later)
    pack = RulePack.load()
    with Store.open(tmp_path / "new.duckdb") as store:
        store.ingest_list(files["list"])
        store.ingest_records(files["records"])
        initial = run_batch(store, pack)
        record_batch_run(store, initial, tmp_path / "r0")
        store.ingest_list(later)
        since = run_batch(store, pack, since_last=True)
        full = run_batch(store, pack)
    return initial, since, full


def test_since_last_finds_a_new_entry_masked_in_another_pattern(tmp_path: Path) -> None:
    """A debtor listed since the last run with the number masked in another pattern than the
    publication's (``3701**********1234``): the records with a full ID showing the same
    visible characters and the same name are screened, and flagged for review as a full
    run flags them."""
    files, records = _small_scenario(tmp_path)
    person = _first_record(records, "person")
    number = person["subject_id"]
    _, since, full = _newly_listed(
        files,
        tmp_path,
        {
            "案号": "(2025)鲁0102执99号",
            "被执行人姓名/名称": person["subject_name"],
            "年龄": None,
            "身份证号码/组织机构代码": number[:4] + "*" * 10 + number[-4:],
        },
    )
    expected = full.flags.filter(pl.col("case_no") == "(2025)鲁0102执99号")
    assert set(expected["evidence"]) == {"person_name_equal_partial_mask_compatible"}
    assert person["record_id"] in set(expected["record_id"])
    assert _flag_keys(since.flags).equals(_flag_keys(expected))


def test_since_last_finds_a_new_entry_with_only_a_registration_number(tmp_path: Path) -> None:
    """A company listed since the last run under its old registration number: the records
    of a company with the same name and a USCC (numbers that cannot be compared) are
    screened, and flagged for review as a full run flags them."""
    files, records = _small_scenario(tmp_path)
    company = _first_record(records, "entity")
    _, since, full = _newly_listed(
        files,
        tmp_path,
        {  # a company: no sex, no age, no representative
            "案号": "(2025)鲁0102执98号",
            "被执行人姓名/名称": company["subject_name"],
            "性别": None,
            "年龄": None,
            "法定代表人或者负责人姓名": None,
            "身份证号码/组织机构代码": reg_no_with_check("37010200012345"),
        },
    )
    expected = full.flags.filter(pl.col("case_no") == "(2025)鲁0102执98号")
    assert set(expected["evidence"]) == {"company_core_name_equal_ids_not_comparable"}
    assert company["record_id"] in set(expected["record_id"])
    assert _flag_keys(since.flags).equals(_flag_keys(expected))


def test_since_last_finds_records_with_the_very_id_of_new_entries(tmp_path: Path) -> None:
    """New entries listed under the full ID of a person and the USCC of a company that some
    records carry (and other names): those records are found through the mask and
    organisation-code probes, which stand in for a scan of every record's ID."""
    files, records = _small_scenario(tmp_path)
    person, company = _first_record(records, "person"), _first_record(records, "entity")
    cases = ["(2025)鲁0102执96号", "(2025)鲁0102执97号"]
    _, since, full = _newly_listed(
        files,
        tmp_path,
        *(
            {"案号": case, "被执行人姓名/名称": name, "身份证号码/组织机构代码": number,
             "年龄": None, "法定代表人或者负责人姓名": representative}
            for case, name, number, representative in (
                (cases[0], "甲某某", person["subject_id"], None),
                (cases[1], "乙某某有限公司", company["subject_id"], "丙某"),
            )
        ),
    )  # fmt: skip
    expected = full.flags.filter(pl.col("case_no").is_in(cases))
    assert {person["record_id"], company["record_id"]} <= set(expected["record_id"])
    assert "exact_id" in set(expected["tier"])
    assert _flag_keys(since.flags).equals(_flag_keys(expected))


def test_a_quiet_since_last_run_reports_nothing_with_the_report_columns(tmp_path: Path) -> None:
    """New entries that pair with no record: the run skips the review history (no earlier
    flag can be in scope) and still returns the full run's columns and types."""
    files, _ = _small_scenario(tmp_path)
    initial, since, _ = _newly_listed(
        files,
        tmp_path,
        {
            "案号": "(2025)鲁0102执95号",
            "被执行人姓名/名称": "无此人某",
            "身份证号码/组织机构代码": "1101051950****0015",
        },
    )
    assert since.mode == "since_last" and since.flags.is_empty()
    assert since.flags.schema == initial.flags.schema


def reg_no_with_check(body: str) -> str:
    return body + reg_no.calc_check_digit(body)


def test_opening_an_older_store_drops_its_retired_record_keys(tmp_path: Path) -> None:
    """Stores keyed every record a second time in ``record_keys`` for since-last runs; the
    runs now probe the records' own key hashes, so a writer's open drops the table."""
    db = tmp_path / "old.duckdb"
    with Store.open(db) as store:
        store.con.execute("CREATE TABLE record_keys (record_rowid BIGINT, k_id UBIGINT)")
        store.con.execute("INSERT INTO meta VALUES ('record_keys_load_id', '3')")
    with Store.open(db) as store:
        tables = {row[0] for row in store.con.execute("SHOW TABLES").fetchall()}
        meta = store.con.execute("SELECT key FROM meta").fetchall()
    assert "record_keys" not in tables and "records" in tables
    assert ("record_keys_load_id",) not in meta
