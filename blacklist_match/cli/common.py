"""What every command shares: the app, error handling, option parsing."""

from __future__ import annotations

from datetime import date

import typer

from blacklist_match.errors import BlacklistMatchError, InputError
from blacklist_match.privacy import mask_text

app = typer.Typer(
    name="blacklist-match",
    help="Screen agency records against the List of Dishonest Judgment Debtors.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def fail(error: BlacklistMatchError) -> typer.Exit:
    """Print ``error`` on stderr (person IDs masked); return the exit to raise (code 1)."""
    typer.echo(f"error: {mask_text(str(error))}", err=True)
    return typer.Exit(1)


def parse_day(value: str | None, option: str) -> date | None:
    """A ``YYYY-MM-DD`` option value as a date (None stays None)."""
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InputError(f"{option} must be a date YYYY-MM-DD, got {value!r}") from None
