"""Commands on the store: ``ingest`` list, removals, officers, records; ``status``."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from blacklist_match.cli.common import app, fail, parse_day
from blacklist_match.errors import BlacklistMatchError

ingest_app = typer.Typer(help="Load files into the store.", no_args_is_help=True)
app.add_typer(ingest_app, name="ingest")

DbOption = Annotated[
    Path | None,
    typer.Option("--db", help="Store file (default $BLACKLIST_DB or ./blacklist.duckdb)."),
]
FilesArgument = Annotated[
    list[Path], typer.Argument(help="Files to load (CSV, XLSX, JSONL, Parquet).")
]


def _print_report(report: object) -> None:
    from blacklist_match.store import LoadReport

    assert isinstance(report, LoadReport)  # noqa: S101 - internal contract
    if report.skipped:
        typer.echo(f"{report.file}: already loaded ({report.rows_read} rows), nothing changed")
        return
    line = (
        f"{report.file}: read {report.rows_read}, loaded {report.loaded}, "
        f"unchanged {report.unchanged}, quarantined {report.quarantined}"
    )
    if report.ended:
        line += f", entries ended {report.ended}"
    typer.echo(line)
    for warning, count in report.warnings.items():
        typer.echo(f"  warning: {count} row(s): {warning}")
    if report.unmatched:
        typer.echo(
            f"  {report.unmatched} removal notice(s) name a debtor (by ID or name) that no "
            "debtor of the case is: nothing was ended for them"
        )
    for reason, count in sorted(report.reasons.items(), key=lambda item: -item[1]):
        typer.echo(f"  quarantined: {reason}: {count}")


def _ingest(kind: str, files: list[Path], db: Path | None, **options: object) -> None:
    """Load ``files`` in one transaction: all of them, or none if one fails."""
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from blacklist_match.store import Store

    reports = []
    try:
        with Store.open(db) as store, store.transaction():
            load = {
                "list": store.ingest_list,
                "removals": store.ingest_removals,
                "officers": store.ingest_officers,
                "records": store.ingest_records,
            }[kind]
            with Progress(
                SpinnerColumn(),
                TextColumn("{task.description}"),
                TimeElapsedColumn(),
                disable=not sys.stderr.isatty(),
                transient=True,
            ) as progress:
                for path in files:
                    task = progress.add_task(f"loading {path}", total=None)
                    reports.append(load(path, **options))
                    progress.remove_task(task)
    except BlacklistMatchError as error:
        raise fail(error) from None
    for report in reports:
        _print_report(report)


@ingest_app.command("list")
def ingest_list(
    files: FilesArgument,
    snapshot: Annotated[
        str | None,
        typer.Option("--snapshot", help="Full publication as of YYYY-MM-DD: absent entries end."),
    ] = None,
    db: DbOption = None,
) -> None:
    """Load court list publications (an increment, or a full snapshot)."""
    try:
        day = parse_day(snapshot, "--snapshot")
    except BlacklistMatchError as error:
        raise fail(error) from None
    _ingest("list", files, db, snapshot=day)


@ingest_app.command("removals")
def ingest_removals(files: FilesArgument, db: DbOption = None) -> None:
    """Load removal notices: the entries they name end on the removal date."""
    _ingest("removals", files, db)


@ingest_app.command("officers")
def ingest_officers(files: FilesArgument, db: DbOption = None) -> None:
    """Load the officer registry (roles with their validity dates)."""
    _ingest("officers", files, db)


@app.command("index")
def index(db: DbOption = None) -> None:
    """Build the record index now, or bring it in step with the store (else the first
    since-last run that needs it builds it: 8-12 s for 5M records)."""
    import duckdb

    from blacklist_match import record_index
    from blacklist_match.since_last import build_record_index
    from blacklist_match.store import Store

    try:
        with Store.open(db) as store:
            built = build_record_index(store.con, store.path)
            state = record_index.describe(store.path) if built is not None else None
    except BlacklistMatchError as error:
        raise fail(error) from None
    except (OSError, duckdb.Error) as error:
        raise fail(BlacklistMatchError(f"record index not built: {error}")) from None
    if state is None:
        raise fail(BlacklistMatchError(f"the record index is off ({record_index.SETTING_ENV})"))
    typer.echo(f"record index {state['folder']}: {_index_summary(state)}")


def _index_summary(state: dict[str, Any]) -> str:
    """A record index's rows, replaced rows, segments and size (``record_index.describe``)."""
    return (
        f"{state['rows']} rows ({state['dead_rows']} replaced), {state['segments']} segments, "
        f"{state['megabytes']} MB"
    )


@ingest_app.command("records")
def ingest_records(
    files: FilesArgument,
    mapping: Annotated[
        Path | None, typer.Option("--mapping", help="YAML mapping of the agency's columns/codes.")
    ] = None,
    db: DbOption = None,
) -> None:
    """Load agency records."""
    from blacklist_match.io.mapping import RecordMapping

    try:
        loaded = RecordMapping.load(mapping) if mapping else None
    except BlacklistMatchError as error:
        raise fail(error) from None
    _ingest("records", files, db, mapping=loaded)


@app.command()
def status(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    db: DbOption = None,
) -> None:
    """Print the store's state: entries, registry, records, quarantine, recent loads and runs."""
    from blacklist_match.store import Store

    try:
        with Store.open(db, read_only=True) as store:
            state = store.status()
    except BlacklistMatchError as error:
        raise fail(error) from None
    if as_json:
        typer.echo(json.dumps(state, ensure_ascii=False, indent=2))
        return
    typer.echo(f"store {state['db']} (as of {state['as_of']})")
    for key in ("entries_total", "entries_listed", "entries_ended", "removals", "officers",
                "records", "quarantined", "loads"):  # fmt: skip
        typer.echo(f"  {key:<15} {state[key]}")
    index = state.get("record_index")
    summary = f"{_index_summary(index)}, through load {index['records_load']}" if index else "none"
    typer.echo(f"  {'record index':<15} {summary}")
    for load in state["last_loads"]:
        typer.echo(
            f"  load {load['loaded_at']} {load['kind']:<8} {load['file']}: "
            f"read {load['rows_read']}, loaded {load['rows_loaded']}, "
            f"quarantined {load['rows_quarantined']}"
        )
    for run in state["last_runs"]:
        typer.echo(
            f"  run  {run['finished_at']} {run['mode']:<10} {run['report']}: "
            f"screened {run['records_screened']}, flags {run['flags']}"
        )
