"""Map the headers users send (Chinese labels, site JSON keys, aliases) to canonical names."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import polars as pl

from blacklist_match.errors import InputError
from blacklist_match.io.tables import ROW, normalise_header


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
    (agency records carry their own). Two headers naming the same canonical column, or a
    missing required column, raise :class:`InputError` naming the file and column.
    """
    canonical = tuple(canonical)
    lookup = {normalise_header(k).casefold(): v for k, v in aliases.items()}
    lookup.update({name.casefold(): name for name in canonical})
    renames: dict[str, str] = {}
    for column in frame.columns:
        if column == ROW:
            continue
        target = lookup.get(normalise_header(column).casefold())
        if target is None:
            continue
        if target in renames.values():
            first = next(k for k, v in renames.items() if v == target)
            raise InputError(f"columns {first!r} and {column!r} both mean {target!r}", file=file)
        renames[column] = target
    frame = frame.rename(renames)
    missing = [name for name in required if name not in frame.columns]
    if missing:
        raise InputError(
            f"required column missing (expected one of its labels); have {frame.columns[:-1]}",
            file=file,
            column=", ".join(missing),
        )
    return frame.with_columns(
        pl.lit(None, dtype=pl.String).alias(name) for name in canonical if name not in frame.columns
    )
