"""A store keyed by an older name-key derivation is rekeyed on its next open for writing,
and the next since-last run screens everything."""

from __future__ import annotations

from pathlib import Path

import polars as pl
from conftest import write_records

from blacklist_match.batch import last_watermark, record_batch_run, run_batch
from blacklist_match.key_upgrade import NAME_KEYS_VERSION, VERSION_KEY
from blacklist_match.names import company_key
from blacklist_match.rules import RulePack
from blacklist_match.store import Store

BRACKETED = "腾飞商贸（象州）有限公司"
"""The list's 象州县腾飞商贸有限公司 (conftest's court list) with its county in brackets."""


def _records(tmp_path: Path) -> Path:
    return write_records(
        tmp_path / "records.csv",
        [
            {
                "record_id": "B1", "agency": "发改委", "record_type": "subsidy",
                "sub_type": "fiscal_subsidy", "subject_type": "entity",
                "subject_name": BRACKETED, "subject_id": "", "amount": "100000",
                "event_date": "2025-03-01",
            }
        ],
    )  # fmt: skip


def _core_and_hashes(store: Store) -> tuple[str, bool]:
    core, hash_ok = store.con.execute(
        "SELECT name_core, name_core_hash = (hash(name_core) >> 1)::BIGINT FROM records "
        "WHERE record_id = 'B1'"
    ).fetchall()[0]
    return str(core), bool(hash_ok)


def test_a_county_in_brackets_is_a_region() -> None:
    assert company_key(BRACKETED).core == company_key("象州县腾飞商贸有限公司").core == "腾飞商贸"
    assert company_key("华航食品（阜宁）有限责任公司").core == "华航食品"


def test_older_name_keys_are_recomputed_and_force_a_full_run(
    list_csv: Path, tmp_path: Path
) -> None:
    db = tmp_path / "store.duckdb"
    pack = RulePack.load()
    with Store.open(db) as store:
        store.ingest_list(list_csv)
        store.ingest_records(_records(tmp_path))
        first = run_batch(store, pack)
        record_batch_run(store, first, tmp_path / "first")
        assert "B1" in set(first.flags["record_id"])  # name-only review, by the core
        row_hash = store.con.execute(
            "SELECT row_hash FROM records WHERE record_id = 'B1'"
        ).fetchall()
        # what an older version stored: the bracketed county left in the core
        store.con.execute(
            "UPDATE records SET name_core = '腾飞商贸(象州)', "
            "name_core_hash = (hash('腾飞商贸(象州)') >> 1)::BIGINT, row_hash = 'old' "
            "WHERE record_id = 'B1'"
        )
        store.con.execute("DELETE FROM meta WHERE key = ?", [VERSION_KEY])
        assert last_watermark(store) is not None

    with Store.open(db) as store:
        assert _core_and_hashes(store) == ("腾飞商贸", True)
        assert (
            store.con.execute("SELECT row_hash FROM records WHERE record_id = 'B1'").fetchall()
            == row_hash
        )
        version = store.con.execute(
            "SELECT value FROM meta WHERE key = ?", [VERSION_KEY]
        ).fetchall()
        assert version == [(str(NAME_KEYS_VERSION),)]
        assert last_watermark(store) is None  # no run since the rekeying
        again = run_batch(store, pack, since_last=True)
        assert again.mode == "full"
        assert (
            again.flags.sort("rule_id")
            .select("record_id", "rule_id")
            .equals(first.flags.sort("rule_id").select("record_id", "rule_id"))
        )
        record_batch_run(store, again, tmp_path / "again")
        assert last_watermark(store) is not None

    with Store.open(db) as store:  # current keys: the next open changes nothing
        assert _core_and_hashes(store) == ("腾飞商贸", True)
        assert last_watermark(store) is not None


def test_a_rekeyed_company_core_gets_its_prefix_hash_and_since_last_finds_it(
    tmp_path: Path,
) -> None:
    from conftest import LIST_HEADER, LIST_ROWS

    from blacklist_match.store_schema import key_hash_expr

    company = (
        "(2021)苏0923执100号,华航食品有限公司,,0,暂无,张三,阜宁县人民法院,江苏,"
        "(2021)苏0923民初1号,2021-01-01,阜宁县人民法院,支付货款,全部未履行,"
        "有履行能力而拒不履行生效法律文书确定义务,2021-02-01"
    )
    (tmp_path / "list.csv").write_text("\n".join([LIST_HEADER, *LIST_ROWS]) + "\n", "utf-8")
    later = tmp_path / "later.csv"
    later.write_text("\n".join([LIST_HEADER, *LIST_ROWS, company]) + "\n", "utf-8")
    records = write_records(
        tmp_path / "records.csv",
        [
            {
                "record_id": "C1", "agency": "银行", "record_type": "credit",
                "sub_type": "bank_loan", "subject_type": "entity", "amount": "50000",
                "subject_name": "（阜宁）华航食品有限责任公司", "subject_id": "",
                "event_date": "2024-03-01",
            }
        ],
    )  # fmt: skip
    pack = RulePack.load()
    db = tmp_path / "store.duckdb"
    with Store.open(db) as store:
        store.ingest_list(tmp_path / "list.csv")
        store.ingest_records(records)
        old = "阜宁华航食品"  # the core an older version kept: the county read as a name
        store.con.execute(
            f"UPDATE records SET name_core = $old, name_core_hash = {key_hash_expr('$old')}, "  # noqa: S608
            f"core_prefix_hash = {key_hash_expr('left($old, 3)')}",
            {"old": old},
        )
        store.con.execute("DELETE FROM meta WHERE key = ?", [VERSION_KEY])
    with Store.open(db) as store:
        fresh = store.con.execute(
            f"SELECT core_prefix_hash = {key_hash_expr('left(name_core, 3)')} FROM records"  # noqa: S608
        ).fetchall()
        assert fresh == [(True,)]
        record_batch_run(store, run_batch(store, pack), tmp_path / "first")
        store.ingest_list(later)  # a listed company the record's new core names
        since = run_batch(store, pack, since_last=True)
        full = run_batch(store, pack)
        assert since.mode == "since_last"
        assert full.flags.filter(pl.col("record_id") == "C1").height > 0
        assert (
            since.flags.select("record_id", "rule_id")
            .sort("rule_id")
            .equals(full.flags.select("record_id", "rule_id").sort("rule_id"))
        )


def test_a_store_without_a_newer_key_column_gets_it_computed_on_open(
    list_csv: Path, tmp_path: Path
) -> None:
    from blacklist_match.store_schema import KEY_HASHES, key_hash_expr

    db = tmp_path / "store.duckdb"
    with Store.open(db) as store:
        store.ingest_list(list_csv)
        store.ingest_records(_records(tmp_path))
        store.con.execute("ALTER TABLE records DROP COLUMN core_prefix_hash")
    source = KEY_HASHES["records"]["core_prefix_hash"].format(t="")
    with Store.open(db) as store:
        rows = store.con.execute(
            f"SELECT core_prefix_hash IS NOT DISTINCT FROM {key_hash_expr(source)}, "  # noqa: S608
            "core_prefix_hash IS NOT NULL, subject_type FROM records"
        ).fetchall()
    assert rows and all(equal for equal, _, _ in rows)
    assert {kind for _, present, kind in rows if present} == {"entity"}
