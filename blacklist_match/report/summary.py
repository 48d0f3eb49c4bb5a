"""Counts of a flag report by category, action, tier, agency and court."""

from __future__ import annotations

from typing import Final

import polars as pl

from blacklist_match import schema as S

SUMMARY_DIMENSIONS: Final = (S.CATEGORY, S.ACTION, S.TIER, S.AGENCY, S.COURT)


def summarise(flags: pl.DataFrame) -> dict[str, list[tuple[str, int]]]:
    """For each dimension, ``(value, flag count)`` pairs, largest first."""
    summary: dict[str, list[tuple[str, int]]] = {}
    for dimension in SUMMARY_DIMENSIONS:
        if dimension not in flags.columns:
            continue
        counts = (
            flags.group_by(dimension)
            .len()
            .sort(["len", dimension], descending=[True, False])
            .rows()
        )
        summary[dimension] = [(str(value), int(count)) for value, count in counts]
    return summary


def render_terminal(flags: pl.DataFrame, counts: dict[str, int]) -> str:
    """A plain-text summary for the terminal (rich renders it in the CLI)."""
    lines = [
        "blacklist-match: " + ", ".join(f"{name} {value}" for name, value in counts.items()),
    ]
    for dimension, pairs in summarise(flags).items():
        if dimension in (S.AGENCY, S.COURT):
            pairs = pairs[:5]
        cells = ", ".join(f"{value} {count}" for value, count in pairs) or "none"
        lines.append(f"  by {dimension}: {cells}")
    return "\n".join(lines)
