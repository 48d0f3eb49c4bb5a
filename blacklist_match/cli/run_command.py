"""``run``: the nightly batch over the store, writing flags, summary and manifest to a folder."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from blacklist_match.cli.common import app, fail
from blacklist_match.errors import BlacklistMatchError


@app.command()
def run(
    out: Annotated[Path, typer.Option("--out", help="Folder for the report.")],
    since_last: Annotated[
        bool, typer.Option("--since-last", help="Screen only what changed since the last run.")
    ] = False,
    report_format: Annotated[
        str, typer.Option("--format", help="parquet, csv, xlsx or json.")
    ] = "parquet",
    rules: Annotated[list[Path] | None, typer.Option("--rules", help="Extra rules folder.")] = None,
    show_ids: Annotated[bool, typer.Option("--show-ids", help="Show full subject IDs.")] = False,
    db: Annotated[Path | None, typer.Option("--db", help="Store file.")] = None,
    engine: Annotated[str, typer.Option("--engine", help="duckdb (default) or spark.")] = "duckdb",
    spark_master: Annotated[
        str | None,
        typer.Option("--spark-master", help="Spark master (default $SPARK_MASTER or local[2])."),
    ] = None,
    parquet_dir: Annotated[
        Path | None,
        typer.Option(
            "--parquet-dir", help="Keyed Parquet for Spark (shared storage on a cluster)."
        ),
    ] = None,
    memory_limit: Annotated[
        str | None,
        typer.Option(
            "--memory-limit", help="DuckDB memory limit, e.g. 8GB ($BLACKLIST_MEMORY_LIMIT)."
        ),
    ] = None,
    temp_dir: Annotated[
        Path | None, typer.Option("--temp-dir", help="Where DuckDB spills ($BLACKLIST_TEMP_DIR).")
    ] = None,
) -> None:
    """Screen the store's records against the list; write DIR/flags.EXT and its summary."""
    from blacklist_match.batch import report_and_record, run_batch
    from blacklist_match.report import print_summary
    from blacklist_match.rules import RulePack
    from blacklist_match.store import Store

    if report_format not in ("parquet", "csv", "xlsx", "json"):
        raise fail(
            BlacklistMatchError(
                f"--format must be parquet, csv, xlsx or json, got {report_format!r}"
            )
        )
    if engine not in ("duckdb", "spark"):
        raise fail(BlacklistMatchError(f"--engine must be duckdb or spark, got {engine!r}"))
    if engine == "spark" and since_last:
        raise fail(BlacklistMatchError("--since-last runs on the duckdb engine only"))
    try:
        pack = RulePack.load(*(rules or []))
        with Store.open(db, memory_limit=memory_limit, temp_directory=temp_dir) as store:
            if engine == "spark":
                from blacklist_match.engines.spark import run_batch_spark

                result = run_batch_spark(
                    store, pack, parquet_dir=parquet_dir, master=spark_master, show_ids=show_ids
                )
            else:
                result = run_batch(store, pack, since_last=since_last, show_ids=show_ids)
            written = report_and_record(
                store,
                result,
                out / f"flags.{report_format}",
                options={"since_last": since_last, "mode": result.mode, "show_ids": show_ids},
            )
    except BlacklistMatchError as error:
        raise fail(error) from None
    typer.echo(
        f"run {result.run_id} ({result.mode}): {result.records_screened} records screened, "
        f"{result.flags.height} flags"
    )
    print_summary(result.flags, result.counts)
    typer.echo(f"report written to {written.flags}")
