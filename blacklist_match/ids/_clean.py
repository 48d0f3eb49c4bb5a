"""Shared cleaning of identifier text, scalar and vectorised.

Cleaning never raises. It applies Unicode NFKC (full-width ``１２３ＡＢＣ`` become ASCII),
removes every whitespace character (surrounding and inner, including U+3000 and
zero-width spaces), hyphens and similar dashes, and upper-cases the result.

>>> compact(' 6005 6316－5 ')
'600563165'
>>> compact('４４０１１３２０１４１００５００１ｘ')
'44011320141005001X'
>>> compact(None)
''
>>> is_placeholder(compact('暂无')), is_placeholder(compact('--')), is_placeholder('600563165')
(True, True, False)

The vectorised twin :func:`compact_expr` cleans ASCII values with column operations and
sends only the (rare) values with non-ASCII characters through :func:`compact`, so both
paths give exactly the same text for every input.
"""

from __future__ import annotations

import unicodedata
from typing import Any, Final

import polars as pl

DASHES: Final = "-‐‑‒–—―−﹣－⁃"
"""Hyphen-like characters removed by cleaning (NFKC already folds the full-width forms)."""

INVISIBLES: Final = "\u200b\u200c\u200d\u2060\ufeff"
"""Zero-width characters that ``str.isspace`` does not count but copy-paste brings along."""

PLACEHOLDERS: Final = frozenset(
    {"", "暂无", "无", "空", "不详", "未知", "不公开", "NULL", "NONE", "NAN", "N/A", "NA", "0"}
)
"""Cleaned values that mean "no identifier given"."""

PLACEHOLDER_PUNCTUATION_RE: Final = r"^[/\\.*_?,;:]*$"
"""A value made only of these characters (e.g. ``/``, ``***``) is also a placeholder."""

_ASCII_REMOVABLE_RE: Final = r"[\t\n\x0b\x0c\r\x1c-\x1f \-]"
"""The ASCII characters :func:`compact` removes (``str.isspace`` on ASCII, and ``-``)."""

_NON_ASCII_RE: Final = r"[^\x00-\x7f]"


_DELETE: Final = dict.fromkeys(
    [cp for cp in range(0x3001) if chr(cp).isspace()] + [ord(ch) for ch in DASHES + INVISIBLES]
)  # U+3000 is the last code point for which str.isspace() holds
"""``str.translate`` table deleting every whitespace character, dash and invisible."""


def compact(text: Any) -> str:
    """Clean ``text`` for validation; ``None`` becomes ``''``. Never raises."""
    if text is None:
        return ""
    return unicodedata.normalize("NFKC", str(text)).translate(_DELETE).upper()


def is_placeholder(compacted: str) -> bool:
    """Whether an already compacted value is a placeholder such as ``暂无`` or ``--``."""
    if compacted in PLACEHOLDERS:
        return True
    return all(ch in "/\\.*_?,;:" for ch in compacted)


def _compact_series(values: pl.Series) -> pl.Series:
    """Series form of :func:`compact`: column operations for ASCII, the scalar otherwise."""
    originals = values.cast(pl.String).fill_null("")
    values = originals.clone()  # scatter works in place
    removable = values.str.contains(_ASCII_REMOVABLE_RE)
    if removable.any():
        positions = removable.arg_true()
        stripped = values.gather(positions).str.replace_all(_ASCII_REMOVABLE_RE, "")
        values = values.scatter(positions, stripped)
    cleaned = values.str.to_uppercase()
    non_ascii = values.str.contains(_NON_ASCII_RE)
    if non_ascii.any():
        positions = non_ascii.arg_true()
        fixed = [compact(v) for v in originals.gather(positions).to_list()]
        cleaned = cleaned.scatter(positions, pl.Series(fixed, dtype=pl.String))
    return cleaned


def compact_expr(expr: pl.Expr) -> pl.Expr:
    """Vectorised :func:`compact`: a String expression, ``''`` for null, never null."""
    return expr.cast(pl.String).map_batches(
        _compact_series, return_dtype=pl.String, is_elementwise=True
    )


def is_placeholder_expr(compacted: pl.Expr) -> pl.Expr:
    """Vectorised :func:`is_placeholder` over an already compacted expression."""
    return compacted.is_in(sorted(PLACEHOLDERS)) | compacted.str.contains(
        PLACEHOLDER_PUNCTUATION_RE
    )
