"""The spot check and the library give the batch's answer, fast and from many threads."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path

import duckdb
import polars as pl
import pytest
from conftest import held_by_another_process, ingest_scenario

from blacklist_match import Screener
from blacklist_match.db import LOOKUP_KEYS, connect_for_reading, snapshot_path
from blacklist_match.lookup import StoreLookup
from blacklist_match.pipeline import screen_files
from blacklist_match.store import Store
from blacklist_match.store_schema import key_hash_columns
from blacklist_match.synth import build_scenario

ENTRY_POINT = shutil.which("blacklist-match", path=str(Path(sys.executable).parent))
COMPARED = ("case_no", "rule_id", "action", "tier", "explanation")


@pytest.fixture(scope="module")
def scenario_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    scenario = build_scenario(listed_persons=150, listed_companies=80, records=800, seed=11)
    return scenario.write(tmp_path_factory.mktemp("scenario"))


@pytest.fixture(scope="module")
def store_path(scenario_files: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("store") / "store.duckdb"
    with Store.open(db) as store:
        ingest_scenario(store, scenario_files)
    return db


def _check_flags(screener: Screener, record: dict[str, str]) -> list[tuple[object, ...]]:
    decision = screener.check(
        record["subject_id"],
        record["subject_name"],
        subject_type=record["subject_type"] or None,
        action=f"{record['record_type']}/{record['sub_type']}",
        date=date.fromisoformat(record["event_date"]),
        amount=float(record["amount"]),
    )
    return sorted(tuple(getattr(f, c) for c in COMPARED) for f in decision.flags)


def test_every_record_checked_alone_gets_exactly_the_batch_flags(
    scenario_files: dict[str, Path], store_path: Path
) -> None:
    batch = screen_files(
        [scenario_files["list"]],
        [scenario_files["records"]],
        removal_files=[scenario_files["removals"]],
        officer_files=[scenario_files["officers"]],
    ).flags
    assert batch.height > 100
    screener = Screener.open(store_path)
    records = pl.read_csv(scenario_files["records"], infer_schema=False)
    disagreements = []
    for record in records.iter_rows(named=True):
        expected = sorted(
            tuple(row[c] for c in COMPARED)
            for row in batch.filter(pl.col("record_id") == record["record_id"]).iter_rows(
                named=True
            )
        )
        got = _check_flags(screener, record)
        if got != expected:
            disagreements.append((record["record_id"], got, expected))
    assert disagreements == []


def test_library_screen_equals_the_file_screen(
    scenario_files: dict[str, Path], store_path: Path
) -> None:
    screener = Screener.open(store_path)
    records = pl.read_csv(scenario_files["records"], infer_schema=False)
    from_library = screener.screen(records.to_arrow())
    from_files = screen_files(
        [scenario_files["list"]],
        [scenario_files["records"]],
        removal_files=[scenario_files["removals"]],
        officer_files=[scenario_files["officers"]],
    ).flags
    assert from_library.drop("explanation").equals(from_files.drop("explanation"))


def test_store_lookup_and_memory_index_agree(
    scenario_files: dict[str, Path], store_path: Path
) -> None:
    memory = Screener.open(store_path)
    cold = Screener.open(store_path, in_memory=False)
    records = pl.read_csv(scenario_files["records"], infer_schema=False).head(300)
    for record in records.iter_rows(named=True):
        assert _check_flags(memory, record) == _check_flags(cold, record), record["record_id"]


def test_store_lookup_compares_the_text_behind_an_equal_hash(
    tmp_path: Path, list_csv: Path
) -> None:
    db = tmp_path / "h.duckdb"
    with Store.open(db) as store:
        store.ingest_list(list_csv)
        # every entry's ID hash made equal to 王芳's: the index finds all three rows
        store.con.execute(
            "UPDATE list_entries SET id_norm_hash = (SELECT id_norm_hash FROM list_entries "
            "WHERE id_norm = '110105197801010028') WHERE id_norm_hash IS NOT NULL"
        )
    with connect_for_reading(db) as con:
        found = StoreLookup(con).by_id(["110105197801010028"])
    assert [entry.name for entry in found] == ["王芳"]


def test_every_kind_of_store_is_looked_up_alike(tmp_path: Path, list_csv: Path) -> None:
    """The read-only copy (sorted key table), the writer's file (key hashes, no index) and
    a version-1 store (text only) answer the same lookups."""
    db = tmp_path / "v1.duckdb"
    with Store.open(db) as store:
        store.ingest_list(list_csv)

    def lookups() -> tuple[object, ...]:
        with connect_for_reading(db) as con:
            lookup = StoreLookup(con)
            return (
                lookup.by_id(["110105197801010028", "600563165"]),
                lookup.by_mask_key("42090219830510"),
                lookup.by_org_code("600563165"),
                lookup.persons_by_name_key("张伟"),
                lookup.persons_by_name_core("王芳"),
                lookup.by_id(["110105197801010029"]),
            )

    from_copy = lookups()
    snapshot_path(db).unlink()
    from_store = lookups()
    with duckdb.connect(str(db)) as con:
        for column in key_hash_columns("list_entries"):
            con.execute(f"ALTER TABLE list_entries DROP COLUMN {column}")
    from_text = lookups()
    assert from_copy == from_store == from_text
    assert [len(found) for found in from_copy] == [2, 1, 1, 1, 1, 0]


def test_a_copy_opened_for_writing_drops_its_key_table(tmp_path: Path, list_csv: Path) -> None:
    db = tmp_path / "w.duckdb"
    with Store.open(db) as store:
        store.ingest_list(list_csv)
    with Store.open(snapshot_path(db)) as copy:
        tables = copy.con.execute("SELECT table_name FROM duckdb_tables()").fetchall()
    assert (LOOKUP_KEYS,) not in tables


def test_check_is_safe_from_many_threads(scenario_files: dict[str, Path], store_path: Path) -> None:
    screener = Screener.open(store_path)
    records = pl.read_csv(scenario_files["records"], infer_schema=False).to_dicts()
    alone = [_check_flags(screener, r) for r in records]
    with ThreadPoolExecutor(max_workers=8) as pool:
        together = list(pool.map(lambda r: _check_flags(screener, r), records * 3))
    assert together == alone * 3


def test_refresh_sees_a_new_removal(tmp_path: Path, list_csv: Path) -> None:
    db = tmp_path / "r.duckdb"
    with Store.open(db) as store:
        store.ingest_list(list_csv)
    screener = Screener.open(db)
    before = screener.check("110105197801010028", "王芳", date=date(2024, 1, 1))
    assert before.restricted
    removals = tmp_path / "removals.csv"
    removals.write_text("case_no,removed_on\n(2018)京0105执55号,2023-06-01\n", encoding="utf-8")
    with Store.open(db) as store:
        store.ingest_removals(removals)
    assert screener.check("110105197801010028", "王芳", date=date(2024, 1, 1)).restricted
    screener.refresh()
    assert not screener.check("110105197801010028", "王芳", date=date(2024, 1, 1)).restricted


@pytest.mark.parametrize(
    ("args", "code", "text"),
    [
        (
            ["110105197801010028", "--action", "consumption/flight", "--date", "2024-01-01"],
            3,
            "RESTRICTED for consumption/flight",
        ),
        (
            ["110105197801010028", "--action", "consumption/groceries", "--date", "2024-01-01"],
            0,
            "not restricted",
        ),
        (["110105197801010029", "--date", "2024-01-01"], 0, "not a valid identifier"),
        (["110105197801010028", "--action", "yachting"], 1, "unknown action"),
        (["110105197801010028", "--date", "2024-13-01"], 1, "--date must be a date"),
        (
            ["MA1MRHG2-0", "--name", "象州县腾飞商贸有限公司"],
            0,
            "MA1MRHG2-0 象州县腾飞商贸有限公司: not on the list",
        ),
        (["60056316-5", "--date", "2024-01-01"], 3, "60056316-5: LISTED"),
        (["12345", "--name", "王芳", "--date", "2024-01-01"], 0, "not a valid identifier"),
    ],
    ids=[
        "restricted", "necessary-consumption", "bad-checksum", "bad-action", "bad-date",
        "post-2015-org-code", "listed-org-code-shown", "short-id-with-name",
    ],
)  # fmt: skip
def test_check_command_exit_codes(
    tmp_path: Path, list_csv: Path, args: list[str], code: int, text: str
) -> None:
    assert ENTRY_POINT
    db = tmp_path / "c.duckdb"
    with Store.open(db) as store:
        store.ingest_list(list_csv)
    done = subprocess.run([ENTRY_POINT, "check", *args, "--db", str(db)], capture_output=True,
                          text=True, check=False)  # fmt: skip
    assert done.returncode == code, done.stderr
    assert text in done.stdout + done.stderr
    assert "197801010028" not in done.stdout


def test_the_library_sees_a_removal_without_being_told(tmp_path: Path, list_csv: Path) -> None:
    import time

    db = tmp_path / "auto.duckdb"
    with Store.open(db) as store:
        store.ingest_list(list_csv)
    screener = Screener.open(db, auto_refresh=0.05)
    assert screener.check("110105197801010028", "王芳", date=date(2024, 1, 1)).restricted
    removals = tmp_path / "removals.csv"
    removals.write_text("case_no,removed_on\n(2018)京0105执55号,2023-06-01\n", encoding="utf-8")
    with Store.open(db) as store:
        store.ingest_removals(removals)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if not screener.check("110105197801010028", "王芳", date=date(2024, 1, 1)).restricted:
            break
        time.sleep(0.05)
    assert not screener.check("110105197801010028", "王芳", date=date(2024, 1, 1)).restricted


def test_checks_go_on_while_another_process_writes(tmp_path: Path, list_csv: Path) -> None:
    db = tmp_path / "busy.duckdb"
    with Store.open(db) as store:
        store.ingest_list(list_csv)
    screener = Screener.open(db, auto_refresh=0.01)
    with held_by_another_process(db):
        for _ in range(200):
            assert screener.check("110105197801010028", "王芳", date=date(2024, 1, 1)).restricted
        reopened = Screener.open(db)  # from the last committed copy
        assert reopened.check("110105197801010028", "王芳", date=date(2024, 1, 1)).restricted


def test_a_spot_check_loads_neither_polars_nor_duckdbs_python_layer(
    tmp_path: Path, list_csv: Path
) -> None:
    """A cold check pays for every import: it runs on DuckDB's engine module alone."""
    db = tmp_path / "c.duckdb"
    with Store.open(db) as store:
        store.ingest_list(list_csv)
    probe = (
        "import sys\n"
        "from blacklist_match.entry import main\n"
        f"sys.argv = ['blacklist-match', 'check', '110105197801010028', '--db', {str(db)!r}]\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "print(sorted(m for m in ('duckdb', 'polars', 'pyarrow') if m in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.strip().splitlines()[-1] == "[]", done.stdout + done.stderr
    assert "LISTED" in done.stdout  # the answer came from the store


@pytest.mark.parametrize(
    ("argument", "is_id"),
    [
        ("4209021983****0510", True),
        ("110105197801010028", True),
        ("MA1MRHG2-0", True),  # an organisation code assigned after 2015: three digits
        ("ma1mrhg20", True),
        ("60056316-5", True),
        ("张伟", False),
        ("象州县腾飞商贸有限公司", False),
        ("ABCDEFGHI", False),  # nine letters: no digit, a name
    ],
)
def test_a_checked_argument_is_an_id_when_it_reads_as_one(argument: str, is_id: bool) -> None:
    from blacklist_match.spot_check import looks_like_id

    assert looks_like_id(argument) is is_id


def test_a_name_alone_lists_the_listed_namesakes_as_needing_an_id(
    tmp_path: Path, list_csv: Path
) -> None:
    """The list shows 张伟 under a masked number: ``check 张伟`` (or 張偉) lists that case as
    a candidate an ID must confirm, restricts nothing (no rule acts on a name alone, as in
    the batch) and exits 0."""
    assert ENTRY_POINT
    db = tmp_path / "n.duckdb"
    with Store.open(db) as store:
        store.ingest_list(list_csv)
    shown = subprocess.run([ENTRY_POINT, "check", "张伟", "--db", str(db)], capture_output=True,
                           text=True, check=False)  # fmt: skip
    assert shown.returncode == 0, shown.stderr
    assert "an ID number is needed to confirm" in shown.stdout
    assert "（2019）鄂0902执1194号" in shown.stdout
    done = subprocess.run(
        [ENTRY_POINT, "check", "張偉", "--action", "consumption/flight", "--json", "--db", str(db)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout)
    assert (answer["restricted"], answer["flags"], answer["needs_id"]) == (False, [], True)
    assert [(f["case_no"], f["tier"], f["evidence"]) for f in answer["listings"]] == [
        ("（2019）鄂0902执1194号", "name_only", "person_name_equal_id_not_given")
    ]
    with_id = Screener.open(db).check("420902198305120510", "张伟", date=date(2024, 1, 1))
    assert [f.evidence for f in with_id.listings] == [
        "masked_id_compatible_name_equal_age_consistent"
    ]


def test_check_says_review_needed_when_the_rules_only_call_for_review(tmp_path: Path) -> None:
    """A debtor listed without a number, checked by name for a restricted action: the rule
    calls for review (name-only evidence never blocks). Exit 3, printed as a review."""
    assert ENTRY_POINT
    listed = tmp_path / "list.csv"
    listed.write_text(
        "案号,被执行人姓名/名称,性别,年龄,身份证号码/组织机构代码,执行法院,发布时间\n"
        "(2019)鲁0102执300号,吴敏,女,40,暂无,济南市历下区人民法院,2019年01月10日\n",
        encoding="utf-8",
    )
    db = tmp_path / "r.duckdb"
    with Store.open(db) as store:
        store.ingest_list(listed)
    done = subprocess.run(
        [ENTRY_POINT, "check", "吴敏", "--action", "consumption/flight", "--date", "2020-01-01",
         "--db", str(db)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 3, done.stderr
    assert "REVIEW NEEDED before consumption/flight" in done.stdout
    assert "RESTRICTED" not in done.stdout
