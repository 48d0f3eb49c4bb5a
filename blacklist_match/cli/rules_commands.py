"""Commands on the rule pack: ``rules validate [DIR]`` and ``rules show [--rules DIR]``."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from blacklist_match import schema as S
from blacklist_match.cli.common import app
from blacklist_match.rules import RulePack, RulePackError

rules_app = typer.Typer(help="Check and list the Article 10 rule pack.", no_args_is_help=True)
app.add_typer(rules_app, name="rules")


@rules_app.command("validate")
def validate(
    folder: Annotated[
        Path | None,
        typer.Argument(help="A rules folder, checked on top of the shipped pack (default: it)."),
    ] = None,
) -> None:
    """Check a rule pack: exit 0 when good, 1 with every mistake (file, rule, field) when not."""
    try:
        pack = RulePack.load(*([folder] if folder else []))
    except RulePackError as error:
        for found in error.errors:
            typer.echo(f"error: {found}", err=True)
        typer.echo(f"{len(error.errors)} error(s) in the rule pack", err=True)
        raise typer.Exit(1) from None
    typer.echo(
        f"ok: {len(pack.rules)} rules from {len(pack.sources)} files, rules hash {pack.digest}"
    )


@rules_app.command("show")
def show(
    rules: Annotated[
        list[Path] | None,
        typer.Option("--rules", help="A rules folder that overrides or extends the shipped pack."),
    ] = None,
) -> None:
    """Print the pack as a table: scope, action, tier and legal basis of every rule."""
    from rich.console import Console
    from rich.table import Table

    try:
        pack = RulePack.load(*(rules or []))
    except RulePackError as error:
        for found in error.errors:
            typer.echo(f"error: {found}", err=True)
        raise typer.Exit(1) from None
    table = Table(title=f"rule pack: {len(pack.rules)} rules, hash {pack.digest[:12]}")
    for name in ("id", "category", "record type"):
        table.add_column(name, no_wrap=True)
    table.add_column("sub types", overflow="fold", ratio=2)
    for name in ("subjects", "action", "min tier"):
        table.add_column(name, no_wrap=True)
    table.add_column("basis", overflow="fold", ratio=3)
    order = {category: rank for rank, category in enumerate(S.Category)}
    for rule in sorted(pack.rules, key=lambda r: (order[r.category], r.id)):
        subjects = rule.subjects.value + (
            " (natural persons)" if rule.natural_person_debtors_only else ""
        )
        sub_types = ", ".join(rule.sub_types) if rule.sub_types else "all"
        if rule.exempt:
            sub_types += f" (exempt: {', '.join(rule.exempt)})"
        table.add_row(
            rule.id,
            rule.category.value,
            rule.record_type,
            sub_types,
            subjects,
            rule.action.value,
            rule.min_tier.value,
            f"{rule.basis.zh} ({rule.basis.source})",
        )
    Console(width=None if sys.stdout.isatty() else 200).print(table)
