"""``review`` (list, decide, load) and ``audit``: the clerical-review loop over flags."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from blacklist_match.cli.common import app, fail, parse_day
from blacklist_match.errors import BlacklistMatchError

review_app = typer.Typer(help="Decide on flags that wait for a person.", no_args_is_help=True)
app.add_typer(review_app, name="review")

DbOption = Annotated[Path | None, typer.Option("--db", help="Store file.")]


@review_app.command("list")
def review_list(
    status: Annotated[
        str | None, typer.Option("--status", help="new or open (default both)")
    ] = None,
    action: Annotated[str | None, typer.Option("--action", help="block, review or notify")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
    db: DbOption = None,
) -> None:
    """Flags waiting for a decision: review and notify first, then blocks."""
    from blacklist_match.review import waiting_flags
    from blacklist_match.store import Store

    try:
        with Store.open(db, read_only=True) as store:
            waiting = waiting_flags(store.con, status=status, action=action)
    except BlacklistMatchError as error:
        raise fail(error) from None
    if as_json:
        typer.echo(json.dumps(waiting.to_dicts(), ensure_ascii=False, default=str, indent=2))
        return
    if waiting.is_empty():
        typer.echo("nothing waits for a decision")
        return
    for row in waiting.iter_rows(named=True):
        typer.echo(
            f"{row['flag_key']}  {row['action']:<6} {row['tier']:<15} {row['status']:<4} "
            f"{row['subject_name']} ~ {row['debtor_name']} ({row['category']})"
        )
    typer.echo(f"{waiting.height} flags wait for a decision")


@review_app.command("decide")
def review_decide(
    flag_key: Annotated[str, typer.Argument(help="record_id|case_no|rule_id")],
    by: Annotated[str, typer.Option("--by", help="Who decides.")],
    confirm: Annotated[
        bool, typer.Option("--confirm", help="Same subject: the flag stands.")
    ] = False,
    reject: Annotated[bool, typer.Option("--reject", help="Not this debtor: suppress it.")] = False,
    note: Annotated[str | None, typer.Option("--note")] = None,
    until: Annotated[str | None, typer.Option("--until", help="Suppress until YYYY-MM-DD.")] = None,
    db: DbOption = None,
) -> None:
    """Record a decision on one flag (nothing is ever overwritten)."""
    from blacklist_match.review import DecisionInput, decide
    from blacklist_match.store import Store

    if confirm == reject:
        raise fail(BlacklistMatchError("give exactly one of --confirm or --reject"))
    try:
        day = parse_day(until, "--until")
        with Store.open(db) as store, store.transaction() as con:
            decide(
                con,
                [DecisionInput(flag_key, "confirm" if confirm else "reject", by, note, day)],
                source="cli",
            )
    except BlacklistMatchError as error:
        raise fail(error) from None
    typer.echo(f"{'confirmed' if confirm else 'rejected'}: {flag_key} by {by}")


@review_app.command("load")
def review_load(
    file: Annotated[Path, typer.Argument(help="The report (CSV or XLSX) with a decision column.")],
    by: Annotated[
        str | None, typer.Option("--by", help="Who decided, if no decided_by column.")
    ] = None,
    db: DbOption = None,
) -> None:
    """Load decisions in bulk from a filled-in report; every bad row is named."""
    from blacklist_match.review import decide, read_decision_file
    from blacklist_match.store import Store

    try:
        with Store.open(db) as store, store.transaction() as con:
            good, errors = read_decision_file(con, file, by)
            recorded = decide(con, good, source=f"file:{file}")
    except BlacklistMatchError as error:
        raise fail(error) from None
    typer.echo(f"{file}: {recorded} decisions recorded, {len(errors)} rows refused")
    for refused in errors:
        typer.echo(f"  {refused}", err=True)
    if errors:
        raise typer.Exit(1)


@app.command()
def audit(
    flag_key: Annotated[str, typer.Argument(help="record_id|case_no|rule_id")],
    as_json: Annotated[bool, typer.Option("--json")] = False,
    db: DbOption = None,
) -> None:
    """A flag's whole history: each run that raised it, each decision."""
    from blacklist_match.review import audit as flag_audit
    from blacklist_match.store import Store

    try:
        with Store.open(db, read_only=True) as store:
            history = flag_audit(store.con, flag_key)
    except BlacklistMatchError as error:
        raise fail(error) from None
    if as_json:
        typer.echo(json.dumps(history, ensure_ascii=False, indent=2, default=str))
        return
    if not history:
        raise fail(BlacklistMatchError(f"no history for flag {flag_key!r}"))
    for item in history:
        if item["kind"] == "run":
            typer.echo(
                f"{item['at']}  run {item['run_id'][:12]}  {item['status']:<10} "
                f"{item['action']} [{item['tier']}, {item['score']}]"
            )
        else:
            until = f" until {item['until']}" if item["until"] else ""
            note = f": {item['note']}" if item["note"] else ""
            typer.echo(f"{item['at']}  decision {item['decision']} by {item['by']}{until}{note}")
