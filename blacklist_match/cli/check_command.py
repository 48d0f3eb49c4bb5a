"""``check``: the clerk's spot check of one ID or name against the store.

Exit codes: 0 no restriction applies, 3 a restriction applies, 1 bad input. The answer
comes from point queries on the store (no index is built), so a cold check from a shell
stays well under a second.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from blacklist_match.cli.common import app, fail, parse_day
from blacklist_match.errors import BlacklistMatchError

RESTRICTED_EXIT = 3


def _looks_like_id(text: str) -> bool:
    """An argument with at least six digits (or a mask) is an identifier, else a name."""
    import unicodedata

    normal = unicodedata.normalize("NFKC", text)
    return sum(ch.isdigit() for ch in normal) >= 6 or "*" in normal


@app.command()
def check(
    id_or_name: Annotated[
        str, typer.Argument(metavar="ID_OR_NAME", help="An ID number or a name.")
    ],
    name: Annotated[str | None, typer.Option("--name", help="The subject's name.")] = None,
    action: Annotated[
        str | None,
        typer.Option("--action", help="RECORD_TYPE[/SUB_TYPE], e.g. consumption/flight."),
    ] = None,
    on: Annotated[str | None, typer.Option("--date", help="Check as of YYYY-MM-DD.")] = None,
    subject_type: Annotated[
        str | None, typer.Option("--subject-type", help="person or entity.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    show_ids: Annotated[bool, typer.Option("--show-ids", help="Show the full ID.")] = False,
    db: Annotated[Path | None, typer.Option("--db", help="Store file.")] = None,
) -> None:
    """Which listings apply to one subject, and with --action which restrictions."""
    from blacklist_match.db import connect_for_reading
    from blacklist_match.lookup import StoreLookup
    from blacklist_match.rules import RulePack
    from blacklist_match.screener import Screener

    is_id = _looks_like_id(id_or_name)
    subject_id, subject_name = (id_or_name, name) if is_id else (None, name or id_or_name)
    try:
        day = parse_day(on, "--date")
        with connect_for_reading(db) as con:
            screener = Screener(StoreLookup(con), RulePack.load())
            decision = screener.check(
                subject_id, subject_name, subject_type=subject_type, action=action, date=day
            )
    except BlacklistMatchError as error:
        raise fail(error) from None
    shown = subject_id if show_ids or subject_id is None else _mask(subject_id)
    if as_json:
        payload = decision.model_dump(mode="json")
        payload["subject"] = {"id": shown, "name": subject_name}
        typer.echo(json.dumps(payload, ensure_ascii=False, indent=2))
    else:
        _print(decision, shown, subject_name, action)
    if decision.restricted:
        raise typer.Exit(RESTRICTED_EXIT)


def _mask(subject_id: str) -> str:
    text = subject_id.strip()
    return text[:6] + "*" * max(len(text) - 8, 0) + text[-2:] if len(text) > 8 else "*" * len(text)


def _print(decision: object, shown: str | None, name: str | None, action: str | None) -> None:
    from blacklist_match.screener import Decision

    assert isinstance(decision, Decision)  # noqa: S101 - internal contract
    who = " ".join(part for part in (shown, name) if part)
    if decision.subject_problem and shown:
        typer.echo(f"{who}: not a valid identifier ({decision.subject_problem})")
    if not decision.listings:
        typer.echo(f"{who}: not on the list" + (f"; {action} not restricted" if action else ""))
        return
    if decision.needs_id:
        typer.echo(f"{who}: possible listings by name only; an ID number is needed to confirm")
    if action:
        verdict = f"RESTRICTED for {action}" if decision.restricted else f"{action} not restricted"
    else:
        verdict = "LISTED" if decision.restricted else "possibly listed"
    typer.echo(f"{who}: {verdict}")
    for flag in decision.flags or decision.listings:
        head = f"  {flag.case_no} {flag.court or ''} listed {flag.listed_from}"
        if flag.rule_id:
            head += f" -> {flag.action} ({flag.rule_id}, {flag.category})"
        typer.echo(f"{head} [{flag.tier}, {flag.score:.2f}]")
        typer.echo(f"    {flag.explanation}")
    if action and not decision.flags:
        typer.echo("  (listed, but no rule restricts this action)")
