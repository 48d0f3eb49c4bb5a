"""``check`` in the typer application (``--help``, and callers of the app itself).

The console script sends ``blacklist-match check`` straight to
:func:`blacklist_match.spot_check.main_fast`; both call the same ``run_check``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from blacklist_match.cli.common import app, fail
from blacklist_match.errors import BlacklistMatchError


@app.command()
def check(
    id_or_name: Annotated[
        str, typer.Argument(metavar="ID_OR_NAME", help="An ID number or a name.")
    ],
    name: Annotated[str | None, typer.Option("--name", help="The subject's name.")] = None,
    action: Annotated[
        str | None,
        typer.Option(
            "--action", help="RECORD_TYPE or RECORD_TYPE/SUB_TYPE, e.g. consumption/flight."
        ),
    ] = None,
    on: Annotated[str | None, typer.Option("--date", help="Check as of YYYY-MM-DD.")] = None,
    subject_type: Annotated[
        str | None, typer.Option("--subject-type", help="person or entity.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    show_ids: Annotated[bool, typer.Option("--show-ids", help="Show the full ID.")] = False,
    db: Annotated[Path | None, typer.Option("--db", help="Store file.")] = None,
) -> None:
    """Which listings apply to one subject, and with --action which restrictions.

    Exit 0: no restriction applies; 3: a restriction applies; 1: bad input.
    """
    from blacklist_match.spot_check import run_check

    try:
        code = run_check(
            id_or_name,
            name=name,
            action=action,
            on=on,
            subject_type=subject_type,
            as_json=as_json,
            show_ids=show_ids,
            db=db,
            echo=typer.echo,
        )
    except BlacklistMatchError as error:
        raise fail(error) from None
    if code:
        raise typer.Exit(code)
