"""The Spark engine runs the same plan as DuckDB and produces the same flags.

Needs Java and pyspark (``pip install 'blacklist-match[spark]'``); skipped without them.
Marked ``spark``: the session start and the plan on a local Spark take about half a minute.
"""

from __future__ import annotations

import importlib.util
import shutil
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import polars as pl
import pytest
from conftest import ingest_scenario

from blacklist_match.batch import run_batch
from blacklist_match.match.identity import find_candidates
from blacklist_match.rules import RulePack
from blacklist_match.store import Store
from blacklist_match.synth import build_scenario

pytestmark = [
    pytest.mark.spark,
    pytest.mark.skipif(shutil.which("java") is None, reason="Spark needs Java"),
    pytest.mark.skipif(
        importlib.util.find_spec("pyspark") is None or importlib.util.find_spec("sqlglot") is None,
        reason="needs the spark extra (pyspark, sqlglot)",
    ),
]

FLAG_KEY = ["record_id", "entry_id", "rule_id", "via", "tier", "action", "evidence"]


@pytest.fixture(scope="module")
def spark() -> Iterator[object]:
    from blacklist_match.engines.spark import spark_session

    session = spark_session("local[2]")
    yield session
    session.stop()


@pytest.fixture(scope="module")
def scenario_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    folder = tmp_path_factory.mktemp("spark")
    files = build_scenario(listed_persons=150, listed_companies=60, records=700, seed=5).write(
        folder / "data"
    )
    with Store.open(folder / "s.duckdb") as store:
        ingest_scenario(store, files)
        yield store


def test_spark_candidates_equal_duckdb_candidates(
    spark: object, scenario_store: Store, tmp_path: Path
) -> None:
    from blacklist_match.engines.spark import export_store, find_candidates_spark

    export_store(scenario_store.con, tmp_path / "keyed")
    for as_of in (None, date(2023, 6, 30)):
        expected = find_candidates(scenario_store.con, as_of)
        got = find_candidates_spark(spark, tmp_path / "keyed", as_of)  # type: ignore[arg-type]
        order = ["record_id", "entry_id", "via", "tier"]
        assert expected.height > 0
        assert set(expected["tier"]) >= {"exact_id", "masked_id_name", "registry_link"}
        assert got.sort(order).equals(expected.sort(order)), as_of


def test_spark_batch_produces_the_same_flags_as_duckdb(
    spark: object, scenario_store: Store, tmp_path: Path
) -> None:
    from blacklist_match.engines.spark import run_batch_spark

    pack = RulePack.load()
    duck = run_batch(scenario_store, pack)
    sparked = run_batch_spark(
        scenario_store,
        pack,
        parquet_dir=tmp_path / "keyed",
        spark=spark,  # type: ignore[arg-type]
    )
    assert duck.flags.height > 0
    assert sparked.counts == duck.counts
    assert sparked.flags.sort(FLAG_KEY).equals(duck.flags.sort(FLAG_KEY))
    assert sparked.flags.columns == duck.flags.columns
    assert set(sparked.flags["tier"]) == set(duck.flags["tier"])
    assert pl.DataFrame.equals(
        sparked.flags.sort(FLAG_KEY).select("explanation"),
        duck.flags.sort(FLAG_KEY).select("explanation"),
    )


def test_the_fuzzy_tier_edit_test_matches_damerau_levenshtein(spark: object) -> None:
    """The Spark twin of ``damerau_levenshtein(a, b) <= 1`` agrees with DuckDB's."""
    import duckdb

    from blacklist_match.engines.spark import _one_edit_sql

    pairs = [
        ("110105198501011234", "110105198501011234"),  # equal
        ("110105198501011234", "110105198501011243"),  # adjacent transposition
        ("110105198501011234", "110105198501011235"),  # one substitution
        ("110105198501011234", "110105198501011253"),  # two substitutions
        ("110105198501011234", "110105198510011234"),  # transposition elsewhere
        ("110105198501011234", "11010519850101123"),  # one deletion
        ("110105198501011234", "011105198501011234"),  # transposition at the start
        ("110105198501011234", "110105198501011432"),  # not adjacent
    ]
    con = duckdb.connect()
    expected = [
        con.execute("SELECT damerau_levenshtein(?, ?) <= 1", [a, b]).fetchall()[0][0]
        for a, b in pairs
    ]
    rows = spark.createDataFrame(pairs, "a string, b string")  # type: ignore[attr-defined]
    rows.createOrReplaceTempView("edit_pairs")
    got = [
        row[0]
        for row in spark.sql(  # type: ignore[attr-defined]
            f"SELECT {_one_edit_sql('a', 'b')} <= 1 FROM edit_pairs"  # noqa: S608 - constant
        ).collect()
    ]
    assert got == expected
