"""One-shot commands: ``screen`` files in memory, the ``demo``, ``generate`` sample data."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from blacklist_match import __version__
from blacklist_match.cli.common import app, fail, parse_day
from blacklist_match.errors import BlacklistMatchError
from blacklist_match.resources import shipped_dir

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
    from blacklist_match.pipeline import screen_files
    from blacklist_match.rules import RulePack

    started = datetime.now(UTC)
    try:
        day = parse_day(as_of, "--as-of")
        pack = RulePack.load(*(rules or []))
        result = screen_files(
            list_files,
            records,
            removal_files=removals or [],
            officer_files=officers or [],
            as_of=day,
            rules=pack,
            show_ids=show_ids,
        )
        _write_and_print(result, out, started, {"as_of": as_of, "show_ids": show_ids})
    except BlacklistMatchError as error:
        raise fail(error) from None


def _write_and_print(result: Any, out: Path, started: datetime, options: dict[str, Any]) -> None:
    """Write the report, its summary and manifest; print the summary and where they went."""
    from blacklist_match.report import print_summary, write_report

    written = write_report(result, out, started_at=started, options=options)
    print_summary(result.flags, result.counts)
    typer.echo(
        f"flags written to {written.flags} (summary {written.summary.name}, "
        f"manifest {written.manifest_path.name})"
    )


@app.command()
def demo(
    out: Annotated[Path, typer.Option("--out", help="Where to write the flags")] = Path(
        "demo_flags.csv"
    ),
) -> None:
    """Run the shipped sample data end to end and print the summary."""
    from blacklist_match.pipeline import screen_files

    started = datetime.now(UTC)
    folder = shipped_dir("sample_data")
    try:
        result = screen_files(
            [folder / "court_list.csv"],
            [folder / "records.csv"],
            removal_files=[folder / "removals.csv"],
            officer_files=[folder / "officers.csv"],
        )
        _write_and_print(result, out, started, {"demo": True})
    except BlacklistMatchError as error:
        raise fail(error) from None


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
