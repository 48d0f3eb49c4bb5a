"""Map the headers users send (Chinese labels, site JSON keys, aliases) to canonical names."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import polars as pl

from blacklist_match.errors import InputError
from blacklist_match.io.tables import PROBLEM, READER_COLUMNS, normalise_header


def canonicalise_columns(
    frame: pl.DataFrame,
    aliases: Mapping[str, str],
    canonical: Iterable[str],
    *,
    required: Iterable[str],
    file: str,
) -> pl.DataFrame:
    """Rename known headers to canonical names; add missing optional columns as null.

    Headers are matched after NFKC and case-folding. Unknown columns are kept as they are
    (agency records carry their own). Two headers naming the same canonical column are
    merged when no row fills both (JSON lines whose rows spell a key differently), else
    raise :class:`InputError` naming the file and columns; so does a missing required
    column, unless no row of the file could be read (then every row is quarantined).
    """
    canonical = tuple(canonical)
    lookup = {normalise_header(k).casefold(): v for k, v in aliases.items()}
    lookup.update({name.casefold(): name for name in canonical})
    sources: dict[str, list[str]] = {}
    for column in frame.columns:
        if column in READER_COLUMNS:
            continue
        target = lookup.get(normalise_header(column).casefold())
        if target is not None:
            sources.setdefault(target, []).append(column)
    for target, columns in sources.items():
        if len(columns) > 1:
            both = pl.sum_horizontal(pl.col(columns).is_not_null().cast(pl.Int32)) > 1
            if frame.select(both.any()).item():
                raise InputError(
                    f"columns {columns[0]!r} and {columns[1]!r} both mean {target!r}", file=file
                )
            frame = frame.with_columns(pl.coalesce(columns).alias(columns[0])).drop(columns[1:])
    frame = frame.rename({columns[0]: target for target, columns in sources.items()})
    readable = frame.height if PROBLEM not in frame.columns else frame[PROBLEM].null_count()
    missing = [name for name in required if name not in frame.columns]
    if missing and (readable or not frame.height):
        have = [c for c in frame.columns if c not in READER_COLUMNS]
        raise InputError(
            f"required column missing (expected one of its labels); have {have}",
            file=file,
            column=", ".join(missing),
        )
    return frame.with_columns(
        pl.lit(None, dtype=pl.String).alias(name) for name in canonical if name not in frame.columns
    )
