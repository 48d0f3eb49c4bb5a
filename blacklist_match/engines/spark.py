"""The batch screen on Spark: the DuckDB matching plan, transpiled, over keyed Parquet.

When national volumes outgrow one machine, the plan moves, not the logic: the constant SQL
of :mod:`blacklist_match.match` (every tier, the strongest-tier selection and the
listed-on-the-event-date join) is transpiled with sqlglot from DuckDB's dialect to Spark's
and run by ``spark.sql`` over three Parquet datasets (``records``, ``entries``,
``officers``, with the staged possible typos beside them) keyed exactly as the store keys
them (:func:`export_store` writes them from a store; any job that writes the same columns,
with DuckDB's ``hash`` for the key hashes, will do). Rules and the report are the same
Polars code as the DuckDB run, applied to the candidates Spark returns, so both engines
produce the same flags.

Where DuckDB has no Spark twin the translation is explicit, here:

* ``QUALIFY`` (strongest tier per pair): sqlglot rewrites it as a window subquery with a
  ``WHERE``; the ``ORDER BY`` keeps DuckDB's null ordering (``NULLS LAST``).
* ``damerau_levenshtein(a, b) <= 1`` (``fuzzy_id_name``): Spark has only ``levenshtein``.
  The call is replaced by :func:`_one_edit_sql`, which is 0 when equal, 1 for one
  substitution (or one insertion/deletion, via ``levenshtein``) or one adjacent
  transposition, else 2: the same answer to ``<= 1``, the only question the plan asks
  (:data:`~blacklist_match.match.scores.MAX_ID_EDITS`; a larger threshold is refused).
* ``hamming(a, b)`` (the typo tier's cheap pre-filter on two 18-character IDs): the count
  of positions whose characters differ, over ``sequence`` and ``filter``.
* ``$as_of``: bound as a typed DATE literal in the syntax tree (never text).
* Company ``name_only`` scoring (rapidfuzz on the blocked pairs): the blocks are Spark SQL;
  the scoring runs on the executors with ``mapInArrow`` (the same ``fuzz.ratio`` and
  threshold as the DuckDB path), so it scales with the cluster instead of the driver.
* Decimal literals (``1.0 AS score``) are DECIMAL in Spark: the score is cast to DOUBLE.

Local mode needs Java 17 and ``pip install 'blacklist-match[spark]'``; on a cluster, set
``master`` (``spark://host:7077``, ``yarn``, ``k8s://...``) and put the Parquet on storage
every executor reads (HDFS, S3, a shared mount), with this package and rapidfuzz installed
on the executors.
"""

from __future__ import annotations

import logging
import os
import sys
import uuid
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import duckdb
import polars as pl

from blacklist_match.match import scores
from blacklist_match.match.fuzzy import (
    _COMPANY_BLOCKS,
    COMPANY_PAIRS_RELATION,
    COMPANY_RATIO_THRESHOLD,
    NAME_ONLY_COMPANY_MAX_SCORE,
    TYPO_RELATIONS,
    _ratios,
)
from blacklist_match.match.identity import candidates_sql, pairs_sql
from blacklist_match.report.flags import build_flags
from blacklist_match.rules import RulePack, apply_rules

if TYPE_CHECKING:
    import pyarrow as pa
    from pyspark.sql import DataFrame, SparkSession

    from blacklist_match.batch import RunResult
    from blacklist_match.store import Store

log = logging.getLogger(__name__)

TABLES: Final = {
    "records": "SELECT * EXCLUDE (extra, row_hash, changed_at) FROM records",
    "entries": "SELECT * EXCLUDE (row_hash, changed_at) FROM list_entries",
    "officers": "SELECT * EXCLUDE (row_hash, changed_at) FROM officers",
    **TYPO_RELATIONS,
}
"""What :func:`export_store` writes: the keyed tables the plan reads (``extra`` is JSON
the plan never reads; bookkeeping columns are left out) and the staged possible typos,
whose block hashes must be DuckDB's ``hash``, as the stored ones are (Spark's differs)."""

DEFAULT_MASTER: Final = "local[2]"


# --- inputs ---------------------------------------------------------------------------------
def export_store(con: duckdb.DuckDBPyConnection, folder: str | Path) -> dict[str, Path]:
    """Write the store's keyed ``records``, ``entries`` and ``officers`` as Parquet under
    ``folder`` (one file each, DuckDB's COPY streaming, no frame in Python)."""
    target = Path(folder)
    target.mkdir(parents=True, exist_ok=True)
    written = {}
    for name, query in TABLES.items():
        path = target / f"{name}.parquet"
        quoted = str(path).replace("'", "''")
        con.execute(f"COPY ({query}) TO '{quoted}' (FORMAT parquet)")
        written[name] = path
    return written


def spark_session(master: str | None = None, **conf: str) -> SparkSession:
    """A SparkSession for the screen (``master`` defaults to ``$SPARK_MASTER`` or
    ``local[2]``); extra ``conf`` entries are passed to the builder as they are.

    Raises :class:`~blacklist_match.errors.BlacklistMatchError` when pyspark, sqlglot or
    Java is missing (the CLI prints it and exits 1)."""
    import shutil

    from blacklist_match.errors import BlacklistMatchError

    try:
        import sqlglot  # noqa: F401  (needed by to_spark_sql; fail before starting a JVM)
        from pyspark.sql import SparkSession
    except ImportError as error:
        raise BlacklistMatchError(
            f"the spark engine needs pip install 'blacklist-match[spark]' ({error.name} missing)"
        ) from None
    if not (os.environ.get("JAVA_HOME") or shutil.which("java")):
        raise BlacklistMatchError("the spark engine needs Java 17 (java not found, no JAVA_HOME)")

    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    master = master or os.environ.get("SPARK_MASTER") or DEFAULT_MASTER
    if master.startswith("local"):
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")  # local mode stays on loopback
    builder = (
        SparkSession.builder.master(master)
        .appName("blacklist-match")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.shuffle.partitions", "8")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
    )
    for key, value in conf.items():
        builder = builder.config(key, value)
    return builder.getOrCreate()


# --- the plan, transpiled ------------------------------------------------------------------
def _one_edit_sql(left: str, right: str) -> str:
    """Spark SQL: 0 when equal, 1 when one substitution/insertion/deletion or one adjacent
    transposition apart, else 2 (``damerau_levenshtein`` capped at 2)."""
    transposed = (
        f"exists(sequence(1, length({left}) - 1), i -> "
        f"substring({left}, i, 1) = substring({right}, i + 1, 1) AND "
        f"substring({left}, i + 1, 1) = substring({right}, i, 1) AND "
        f"concat(substring({left}, 1, i - 1), substring({left}, i + 1, 1), "
        f"substring({left}, i, 1), substring({left}, i + 2)) = {right})"
    )
    return (
        f"(CASE WHEN {left} = {right} THEN 0 "
        f"WHEN levenshtein({left}, {right}) <= 1 THEN 1 "
        f"WHEN length({left}) = length({right}) AND length({left}) > 1 AND {transposed} THEN 1 "
        f"ELSE 2 END)"
    )


def to_spark_sql(sql: str, as_of: date | None = None) -> str:
    """Transpile one statement of the plan from DuckDB to Spark SQL (see the module notes)."""
    import sqlglot
    from sqlglot import exp

    if scores.MAX_ID_EDITS != 1:
        raise NotImplementedError("the Spark twin of damerau_levenshtein answers only `<= 1`")
    tree = sqlglot.parse_one(sql, read="duckdb")

    def rewrite(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Anonymous) and node.name.lower() == "hamming":
            left, right = (arg.sql(dialect="spark") for arg in node.expressions)
            differing = (
                f"size(filter(sequence(1, length({left})), "
                f"i -> substring({left}, i, 1) <> substring({right}, i, 1)))"
            )
            return sqlglot.parse_one(differing, read="spark")  # type: ignore[return-value]
        if isinstance(node, exp.Anonymous) and node.name.lower() == "damerau_levenshtein":
            left, right = (arg.sql(dialect="spark") for arg in node.expressions)
            edits = _one_edit_sql(f"({left})", f"({right})")
            return sqlglot.parse_one(edits, read="spark")  # type: ignore[return-value]
        if isinstance(node, exp.Placeholder) and node.name == "as_of":
            if as_of is None:
                return exp.cast(exp.Null(), exp.DataType.build("DATE"))
            return exp.cast(exp.Literal.string(as_of.isoformat()), exp.DataType.build("DATE"))
        return node

    return tree.transform(rewrite).sql(dialect="spark")


def _score_company_batches(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
    """``mapInArrow`` body: rapidfuzz ratio of each blocked pair, kept at the threshold,
    scored as :func:`blacklist_match.match.fuzzy.score_company_names` scores them."""
    import pyarrow as pa
    import pyarrow.compute as pc

    for batch in batches:
        left = batch.column("r_core").to_pylist()
        right = batch.column("e_core").to_pylist()
        ratio = pa.array(_ratios(left, right), type=pa.float64())
        keep = pc.greater_equal(ratio, COMPANY_RATIO_THRESHOLD)
        score = pc.multiply(pc.divide(ratio, 100.0), NAME_ONLY_COMPANY_MAX_SCORE)
        columns = ("r_key", "e_key", "r_core", "e_core")
        yield pa.RecordBatch.from_arrays(
            [pc.filter(batch.column(name), keep) for name in columns]
            + [pc.filter(ratio, keep), pc.filter(score, keep)],
            names=[*columns, "ratio", "score"],
        )


def register_inputs(spark: SparkSession, folder: str | Path) -> None:
    """Register ``records``, ``entries``, ``officers`` and the staged typos (Parquet under
    ``folder``, a local path or any URI Spark reads) as temporary views."""
    base = str(folder).rstrip("/")
    for name in TABLES:
        spark.read.parquet(f"{base}/{name}.parquet").createOrReplaceTempView(name)


def spark_candidates(spark: SparkSession, as_of: date | None = None) -> DataFrame:
    """The candidates (the columns of :func:`blacklist_match.match.identity.find_candidates`)
    as a Spark DataFrame over the registered inputs."""
    blocks = spark.sql(to_spark_sql(_COMPANY_BLOCKS))
    scored = blocks.mapInArrow(
        _score_company_batches,
        "r_key long, e_key long, r_core string, e_core string, ratio double, score double",
    )
    scored.createOrReplaceTempView(COMPANY_PAIRS_RELATION)
    candidates = spark.sql(to_spark_sql(candidates_sql(pairs_sql()), as_of))
    from pyspark.sql import functions as F

    return candidates.withColumn("score", F.col("score").cast("double"))


def _to_polars(frame: DataFrame, schema: pl.Schema) -> pl.DataFrame:
    """Collect through Arrow and cast to the DuckDB engine's column types."""
    table = frame.toArrow()
    collected = pl.from_arrow(table)
    if not isinstance(collected, pl.DataFrame):  # a table always gives a frame
        raise TypeError("expected a frame from Spark's Arrow result")
    return collected.select(pl.col(name).cast(dtype) for name, dtype in schema.items())


def find_candidates_spark(
    spark: SparkSession, folder: str | Path, as_of: date | None = None
) -> pl.DataFrame:
    """Candidates from keyed Parquet under ``folder``, as a Polars frame shaped like
    DuckDB's (same columns and types, ordered by record and entry)."""
    from blacklist_match.batch import find_candidates_schema

    register_inputs(spark, folder)
    frame = _to_polars(spark_candidates(spark, as_of), find_candidates_schema().schema)
    return frame.sort("record_id", "entry_id", maintain_order=True)


def run_batch_spark(
    store: Store,
    rules: RulePack,
    *,
    parquet_dir: str | Path | None = None,
    master: str | None = None,
    as_of: date | None = None,
    show_ids: bool = False,
    export: bool = True,
    spark: SparkSession | None = None,
) -> RunResult:
    """A full batch run on Spark: export the store's keyed tables to ``parquet_dir``
    (default: ``<store>.parquet/`` beside the store file; skip with ``export=False`` when a
    job already wrote them there), screen them on Spark, apply the rules and build the
    report in Polars. Returns the same :class:`~blacklist_match.batch.RunResult` as
    :func:`~blacklist_match.batch.run_batch`, so the report and bookkeeping are shared."""
    from blacklist_match.batch import RunResult, _current_watermark

    started = datetime.now()
    folder = Path(parquet_dir) if parquet_dir else Path(f"{store.path}.parquet")
    if export:
        export_store(store.con, folder)
    session = spark or spark_session(master)
    candidates = find_candidates_spark(session, folder, as_of)
    flags = build_flags(
        apply_rules(candidates.lazy(), rules), show_ids=show_ids, candidates=candidates.height
    )
    # review decisions, suppressions and retractions live in the store: same step as DuckDB's
    from blacklist_match.review import apply_review_state

    flags = apply_review_state(
        store.con,
        flags,
        today=as_of or date.today(),
        rescreened_records=None,
        changed_entries=None,
        # subjects and ends from the candidates only when read from Parquet exported now:
        # else the store's are current
        subjects=candidates.select("record_id", "subject_key") if export else None,
        ends=candidates.select("entry_id", "listed_from", "listed_until") if export else None,
    )
    status = store.status()
    screened = int(store.con.execute("SELECT count(*) FROM records").fetchall()[0][0])
    counts: dict[str, Any] = {
        "records_screened": screened,
        "candidates": candidates.height,
        "flags": flags.height,
    }
    return RunResult(
        # kept only from Parquet exported now: ``export=False`` trusts files written earlier
        candidates=candidates if as_of is None and export else None,
        run_id=uuid.uuid4().hex,
        mode="full",
        flags=flags,
        records_screened=screened,
        watermark=_current_watermark(store),
        started_at=started,
        rules_digest=rules.digest,
        counts=counts,
        list_state={
            key: status[key]
            for key in ("as_of", "entries_total", "entries_listed", "entries_ended")
        },
    )
