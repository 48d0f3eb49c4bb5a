"""Counts of a flag report by category, action, tier, agency and court, for the terminal."""

from __future__ import annotations

import io
from collections.abc import Mapping
from typing import Final

import polars as pl
from rich import box
from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

from blacklist_match import schema as S

SUMMARY_DIMENSIONS: Final = (S.CATEGORY, S.ACTION, S.TIER, S.AGENCY, S.COURT)
LONG_DIMENSIONS: Final = (S.AGENCY, S.COURT)
"""Dimensions with many values: the terminal shows the largest few."""
TERMINAL_TOP: Final = 5

CATEGORY_ZH: Final = {
    S.Category.SPECIFIC_INDUSTRY.value: "从事特定行业或项目限制",
    S.Category.GOVERNMENT_SUPPORT.value: "政府支持或补贴限制",
    S.Category.OFFICE_QUALIFICATION.value: "任职资格限制",
    S.Category.MARKET_ACCESS.value: "准入资格限制",
    S.Category.HONOUR_AND_CREDIT.value: "荣誉和授信限制",
    S.Category.SPECIAL_MARKET_TRANSACTION.value: "特殊市场交易限制",
    S.Category.HIGH_CONSUMPTION.value: "限制高消费及有关消费",
}
"""Article 10 categories by the headings of the 2016 opinions, section 二 (一)-(七)."""

ACTION_ZH: Final = {
    S.Action.BLOCK.value: "禁止",
    S.Action.REVIEW.value: "从严审核",
    S.Action.NOTIFY.value: "审慎性参考",
}


def summarise(flags: pl.DataFrame) -> dict[str, list[tuple[str, int]]]:
    """For each dimension, ``(value, flag count)`` pairs, largest first (ties by value).

    One grouping of all the dimensions at once: a since-last run's report is a few flags,
    where each Polars call costs more than the counting."""
    dimensions = [d for d in SUMMARY_DIMENSIONS if d in flags.columns]
    if not dimensions:
        return {}
    counts = (
        flags.select(pl.col(dimensions).cast(pl.String))
        .unpivot(variable_name="dimension")
        .group_by("dimension", "value")
        .len()
        .sort(["len", "value"], descending=[True, False], nulls_last=True)
    )
    summary: dict[str, list[tuple[str, int]]] = {d: [] for d in dimensions}
    for dimension, value, count in counts.iter_rows():
        summary[dimension].append(("" if value is None else str(value), int(count)))
    return summary


def label(dimension: str, value: str) -> str:
    """A value with its Chinese name where the law gives one (categories and actions)."""
    names = {S.CATEGORY: CATEGORY_ZH, S.ACTION: ACTION_ZH}.get(dimension, {})
    if not value:
        return "(none)"
    return f"{value} {names[value]}" if value in names else value


def summary_renderable(flags: pl.DataFrame, counts: Mapping[str, int]) -> Group:
    """The summary as rich tables: a line of run counts, then one table per dimension."""
    headline = Text(
        "blacklist-match: " + ", ".join(f"{name} {value}" for name, value in counts.items()),
        style="bold",
    )
    tables: list[Table | Text] = [headline]
    total = max(flags.height, 1)
    for dimension, pairs in summarise(flags).items():
        shown = pairs[:TERMINAL_TOP] if dimension in LONG_DIMENSIONS else pairs
        title = f"by {dimension}"
        if len(shown) < len(pairs):
            title += f" (top {len(shown)} of {len(pairs)})"
        table = Table(
            title=title, title_justify="left", box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False
        )
        table.add_column(dimension)
        table.add_column("flags", justify="right")
        table.add_column("share", justify="right")
        for value, count in shown:
            table.add_row(label(dimension, value), str(count), f"{100 * count / total:.0f}%")
        if not shown:
            table.add_row("none", "0", "")
        tables.extend([Text(""), table])
    return Group(*tables)


def print_summary(
    flags: pl.DataFrame, counts: Mapping[str, int], console: Console | None = None
) -> None:
    """Print the summary with rich (colours on a terminal, plain text in a pipe)."""
    (console or Console()).print(summary_renderable(flags, counts))


def render_terminal(flags: pl.DataFrame, counts: Mapping[str, int], width: int = 100) -> str:
    """The summary as plain text (rich tables, no colour codes), e.g. for ``typer.echo``."""
    buffer = io.StringIO()
    console = Console(file=buffer, width=width, color_system=None, force_terminal=False)
    console.print(summary_renderable(flags, counts))
    return buffer.getvalue().rstrip("\n")
