"""The ``blacklist-match`` command line: parse options, call the library, print.

Errors a user can meet are printed as one message naming the file, row and field, never
a traceback, and exit 1; usage errors exit 2 (typer's convention).
"""

from __future__ import annotations

import logging
import sys
from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from blacklist_match import __version__
from blacklist_match.errors import BlacklistMatchError, InputError
from blacklist_match.pipeline import screen_files
from blacklist_match.report.summary import render_terminal
from blacklist_match.report.writers import write_frame
from blacklist_match.resources import shipped_dir
from blacklist_match.rules import RulePack

app = typer.Typer(
    name="blacklist-match",
    help="Screen agency records against the List of Dishonest Judgment Debtors.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)



def _fail(error: BlacklistMatchError) -> typer.Exit:
    typer.echo(f"error: {error}", err=True)
    return typer.Exit(1)


def _parse_day(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InputError(f"{option} must be a date YYYY-MM-DD, got {value!r}") from None


RulesOption = Annotated[
    list[Path] | None,
    typer.Option("--rules", help="A rules folder that overrides or extends the shipped pack."),
]


@app.command()
def screen(
    list_files: Annotated[list[Path], typer.Option("--list", help="Court list file(s).")],
    records: Annotated[list[Path], typer.Option("--records", help="Agency record file(s).")],
    out: Annotated[Path, typer.Option("--out", help="Report: .csv .parquet .xlsx .json")],
    removals: Annotated[list[Path] | None, typer.Option("--removals")] = None,
    officers: Annotated[list[Path] | None, typer.Option("--officers")] = None,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="List as known on YYYY-MM-DD")
    ] = None,
    rules: RulesOption = None,
    show_ids: Annotated[bool, typer.Option("--show-ids", help="Show full subject IDs")] = False,
) -> None:
    """Screen record files against list files in memory and write a flag report."""
    try:
        pack = RulePack.load(*(rules or []))
        result = screen_files(
            list_files,
            records,
            removal_files=removals or [],
            officer_files=officers or [],
            as_of=_parse_day(as_of, "--as-of"),
            rules=pack,
            show_ids=show_ids,
        )
        write_frame(result.flags, out)
    except BlacklistMatchError as error:
        raise _fail(error) from None
    typer.echo(render_terminal(result.flags, result.counts))
    typer.echo(f"flags written to {out}")


@app.command()
def demo(
    out: Annotated[Path, typer.Option("--out", help="Where to write the flags")] = Path(
        "demo_flags.csv"
    ),
) -> None:
    """Run the shipped sample data end to end and print the summary."""
    folder = shipped_dir("sample_data")
    try:
        result = screen_files(
            [folder / "court_list.csv"],
            [folder / "records.csv"],
            removal_files=[folder / "removals.csv"],
            officer_files=[folder / "officers.csv"],
        )
        write_frame(result.flags, out)
    except BlacklistMatchError as error:
        raise _fail(error) from None
    typer.echo(render_terminal(result.flags, result.counts))
    typer.echo(f"flags written to {out}")


@app.command()
def generate(
    folder: Annotated[Path, typer.Argument(help="Folder to write the files into")],
    persons: Annotated[int, typer.Option(help="Listed natural persons")] = 120,
    companies: Annotated[int, typer.Option(help="Listed companies")] = 60,
    records: Annotated[int, typer.Option(help="Agency records")] = 600,
    seed: Annotated[int, typer.Option(help="Random seed")] = 7,
) -> None:
    """Write a synthetic, labelled scenario (list, removals, officers, records, truth)."""
    from blacklist_match.synth import build_scenario

    scenario = build_scenario(
        listed_persons=persons, listed_companies=companies, records=records, seed=seed
    )
    for kind, path in scenario.write(folder).items():
        typer.echo(f"{kind}: {path}")


@app.command()
def version() -> None:
    """Print the engine version."""
    typer.echo(__version__)


def main() -> None:
    """Console entry point."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        app()
    except BlacklistMatchError as error:  # raised outside a command's own handling
        typer.echo(f"error: {error}", err=True)
        sys.exit(1)
