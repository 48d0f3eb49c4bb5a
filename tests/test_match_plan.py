"""The matching plan's machinery: tiers joined on stored key hashes, checked as text, and the
strongest-tier selection done two ways (SQL for Spark, Polars for DuckDB) with one answer."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import duckdb
import polars as pl
import pytest
from conftest import ingest_scenario

from blacklist_match.match.fuzzy import NAME_ONLY_COMPANY
from blacklist_match.match.identity import (
    TIER_QUERIES,
    candidates_sql,
    find_candidates,
    pairs_sql,
    stage_relations,
    strongest_pairs,
)
from blacklist_match.store import Store
from blacklist_match.store_schema import KEY_HASHES, key_hash_assignments, key_hash_columns
from blacklist_match.synth import build_scenario
from blacklist_match.util import query_frame

PAIR_COLUMNS = ["record_rid", "entry_rid", "tier", "score", "link", "via", "evidence"]


@pytest.fixture(scope="module")
def scenario_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("plan")
    files = build_scenario(listed_persons=120, listed_companies=60, records=900, seed=5).write(
        folder
    )
    db = folder / "store.duckdb"
    with Store.open(db) as store:
        ingest_scenario(store, files)
    return db


@pytest.fixture
def store(scenario_db: Path, tmp_path: Path) -> Iterator[Store]:
    copy = tmp_path / "copy.duckdb"
    copy.write_bytes(scenario_db.read_bytes())
    with Store.open(copy) as opened:
        yield opened


def _sorted(frame: pl.DataFrame) -> pl.DataFrame:
    return (
        frame.select(PAIR_COLUMNS).with_columns(pl.col("score").cast(pl.Float64)).sort(PAIR_COLUMNS)
    )


def test_polars_selection_equals_the_sql_selection(store: Store) -> None:
    stage_relations(store.con)
    every_tier = pl.concat(
        [
            query_frame(store.con, query).with_columns(pl.col("score").cast(pl.Float64))
            for query in (*TIER_QUERIES.values(), NAME_ONLY_COMPANY)
        ]
    )
    assert every_tier.height > 100
    # the same pairs again under weaker tiers, lower scores and other roles: to be dropped
    weaker = every_tier.head(200).with_columns(
        pl.lit("name_only").alias("tier"), (pl.col("score") - 0.5).alias("score")
    )
    lower = every_tier.head(100).with_columns(
        (pl.col("score") - 0.01).alias("score"), pl.lit("zz_other").alias("evidence")
    )
    other_role = every_tier.head(50).with_columns(pl.lit("director").alias("via"))
    offered = pl.concat([every_tier, weaker, lower, other_role])
    store.con.register("offered_pairs", offered.to_arrow())
    by_sql = query_frame(store.con, pairs_sql("offered_pairs"))
    by_polars = strongest_pairs(offered)
    assert by_polars.height < offered.height
    assert _sorted(by_polars).equals(_sorted(by_sql))
    assert _sorted(query_frame(store.con, pairs_sql())).equals(_sorted(strongest_pairs(every_tier)))


@pytest.mark.parametrize("as_of", [None, "2020-06-30"])
def test_find_candidates_equals_the_one_statement_plan(store: Store, as_of: str | None) -> None:
    """DuckDB's path (tiers one by one, the selection in Polars, joins in written order, the
    sort in Polars) gives exactly what the single statement Spark transpiles gives."""
    day = None if as_of is None else date.fromisoformat(as_of)
    by_steps = find_candidates(store.con, day)
    stage_relations(store.con)
    by_statement = query_frame(store.con, candidates_sql(pairs_sql()), {"as_of": day})
    assert by_steps.height > 100
    assert by_steps.columns == by_statement.columns
    order = ["record_id", "entry_id", "listed_from", "via"]
    assert by_steps.equals(by_statement.sort(order))
    assert store.con.execute("SELECT current_setting('disabled_optimizers')").fetchall() == [("",)]


def test_every_key_hash_is_the_hash_of_its_text(store: Store) -> None:
    for table in KEY_HASHES:
        for column, sql in key_hash_assignments(table).items():
            wrong = store.con.execute(
                f"SELECT count(*) FROM {table} WHERE {column} IS DISTINCT FROM {sql}"  # noqa: S608 - constant names
            ).fetchall()[0][0]
            assert wrong == 0, (table, column)
    typo_blocks = store.con.execute("SELECT count(typo_head_hash) FROM records").fetchall()
    assert typo_blocks[0][0] > 0
    filled = store.con.execute("SELECT count(id_norm_hash), count(rid) FROM records").fetchall()
    assert filled[0][0] > 0 and filled[0][1] > 0


def test_a_hash_collision_never_makes_an_identity(store: Store) -> None:
    before = find_candidates(store.con)
    exact = before.filter(pl.col("tier") == "exact_id")
    assert exact.height > 0
    # give every record with a full ID the hash of another listed ID: equal hashes, other text
    store.con.execute(
        """
        UPDATE records SET id_norm_hash = (
            SELECT e.id_norm_hash FROM entries e
            WHERE e.id_norm_hash IS NOT NULL AND e.id_kind <> 'masked_resident_id'
              AND e.id_norm <> records.id_norm
            ORDER BY e.entry_id LIMIT 1)
        WHERE id_norm_hash IS NOT NULL AND id_alt_norm_hash IS NULL
        """
    )
    after = find_candidates(store.con)
    collided = after.filter(pl.col("tier") == "exact_id")
    assert (
        collided.filter(pl.col("subject_id_valid"))
        .join(exact, on=["record_id", "entry_id"], how="anti")
        .is_empty()
    )


def test_a_version_1_store_gets_its_key_hashes_and_row_ids(store: Store) -> None:
    expected = find_candidates(store.con)
    path = store.path
    for table in KEY_HASHES:
        for column in key_hash_columns(table):
            store.con.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
    store.con.execute("ALTER TABLE records DROP COLUMN rid")
    store.con.execute("DELETE FROM meta WHERE key = 'key_hash_probe'")
    store.close()
    with Store.open(path) as upgraded:
        assert (
            upgraded.con.execute("SELECT count(*) FROM records WHERE rid IS NULL").fetchall()[0][0]
            == 0
        )
        assert find_candidates(upgraded.con).equals(expected)


def test_a_changed_hash_function_recomputes_every_key_hash(store: Store) -> None:
    expected = find_candidates(store.con)
    path = store.path
    store.con.execute("UPDATE meta SET value = 'another DuckDB' WHERE key = 'key_hash_probe'")
    store.con.execute("UPDATE list_entries SET id_norm_hash = id_norm_hash + 1")
    store.close()
    with Store.open(path) as reopened:
        assert find_candidates(reopened.con).equals(expected)


_TYPED_FROM_TEXT = """
SELECT rid AS record_rid, raw,
       (hash(name_key || '|' || left(raw, 6)) >> 1)::BIGINT AS head_hash,
       (hash(name_key || '|' || right(raw, 4)) >> 1)::BIGINT AS tail_hash
FROM (SELECT rid, name_key,
             upper(translate(regexp_replace(subject_id, '[\\s\\-\u3000]', '', 'g'),
                             '０１２３４５６７８９Ｘｘ', '0123456789XX')) AS raw
      FROM records
      WHERE subject_type = 'person' AND id_problem IS NOT NULL AND id_norm IS NULL
        AND id_alt_norm IS NULL AND name_key IS NOT NULL
        AND id_kind IN ('resident_id', 'residence_permit', 'foreign_pr', 'uscc'))
WHERE regexp_matches(raw, '^[0-9]{17}[0-9X]$')
"""


def test_records_keep_the_typo_blocks_of_their_number_as_typed(store: Store) -> None:
    """The ``fuzzy_id_name`` tier reads a record's typo blocks from the load
    (``typed_head_hash``, ``typed_tail_hash``): they equal the blocks computed from the
    number's text, also after an older store without them is opened for writing."""
    from blacklist_match.match.fuzzy import TYPO_RECORDS_RELATION, TYPO_RELATIONS

    def staged(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
        return query_frame(con, TYPO_RELATIONS[TYPO_RECORDS_RELATION]).sort("record_rid")

    expected = query_frame(store.con, _TYPED_FROM_TEXT).sort("record_rid")
    assert expected.height > 5
    assert staged(store.con).equals(expected)
    path = Path(store.con.execute("SELECT path FROM duckdb_databases() WHERE NOT internal")
                .fetchall()[0][0])  # fmt: skip
    store.con.execute("ALTER TABLE records DROP COLUMN typed_head_hash")
    store.con.execute("ALTER TABLE records DROP COLUMN typed_tail_hash")
    store.close()
    with Store.open(path) as older:  # a writer's open adds and fills the two columns
        assert staged(older.con).equals(expected)
