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
) -> None:
    """Screen the store's records against the list; write DIR/flags.EXT and its summary."""
    from blacklist_match.batch import record_batch_run, run_batch
    from blacklist_match.report import print_summary, record_run, write_report
    from blacklist_match.rules import RulePack
    from blacklist_match.store import Store

    if report_format not in ("parquet", "csv", "xlsx", "json"):
        raise fail(
            BlacklistMatchError(
                f"--format must be parquet, csv, xlsx or json, got {report_format!r}"
            )
        )
    try:
        pack = RulePack.load(*(rules or []))
        with Store.open(db) as store:
            result = run_batch(store, pack, since_last=since_last, show_ids=show_ids)
            written = write_report(
                result,
                out / f"flags.{report_format}",
                started_at=result.started_at,
                inputs=store.input_digests(),
                list_state=result.list_state,
                options={"since_last": since_last, "mode": result.mode, "show_ids": show_ids},
                run_id=result.run_id,
            )
            with store.transaction():
                record_run(store.con, written.manifest)
                record_batch_run(store, result, written.flags)
    except BlacklistMatchError as error:
        raise fail(error) from None
    typer.echo(
        f"run {result.run_id} ({result.mode}): {result.records_screened} records screened, "
        f"{result.flags.height} flags"
    )
    print_summary(result.flags, result.counts)
    typer.echo(f"report written to {written.flags}")
