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

The vectorised twin :func:`compact_expr` leaves values made only of ``0-9A-Z*`` as they
are (cleaning cannot change them), cleans values made of ASCII, full-width forms,
CJK ideographs and the removed characters with column operations (for these characters
NFKC is a fixed one-to-one mapping, checked character by character in the tests), and
sends only the values with any other character through :func:`compact`, so both paths
give exactly the same text for every input. Polars is imported only by the vectorised
functions, so the scalar ones stay cheap to import.
"""

from __future__ import annotations

import string
import unicodedata
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    import polars as pl

DASHES: Final = "-‐‑‒–—―−﹣－⁃"
"""Hyphen-like characters removed by cleaning (NFKC already folds the full-width forms)."""

INVISIBLES: Final = "\u200b\u200c\u200d\u2060\ufeff"
"""Zero-width characters that ``str.isspace`` does not count but copy-paste brings along."""

MASK_MARKS: Final = "\u00d7\u2715\u2716\u2a2f"
"""Characters written for the ``*`` of a masked ID (``×``, ``✕``, ``✖``, ``⨯``): cleaning
makes each ``*``. (``＊`` is NFKC-folded to ``*`` anyway; a run of ``X`` in the month-day
is read as a mask by :func:`.classify.classify`.)"""

PLACEHOLDERS: Final = frozenset(
    {"", "暂无", "无", "空", "不详", "未知", "不公开", "NULL", "NONE", "NAN", "N/A", "NA", "0"}
)
"""Cleaned values that mean "no identifier given"."""

PLACEHOLDER_PUNCTUATION: Final = "/\\.*_?,;:"
PLACEHOLDER_PUNCTUATION_RE: Final = r"^[/\\.*_?,;:]*$"
"""A value made only of these characters (e.g. ``/``, ``***``) is also a placeholder."""

_DELETE: Final[dict[int, str | None]] = {
    **dict.fromkeys(
        [cp for cp in range(0x3001) if chr(cp).isspace()]  # U+3000: the last isspace()
        + [ord(ch) for ch in DASHES + INVISIBLES]
    ),
    **{ord(ch): "*" for ch in MASK_MARKS},
}
"""``str.translate`` table deleting every whitespace character, dash and invisible, and
writing ``*`` for every mask mark."""

_CLEAN_RE: Final = r"[^0-9A-Z*]"
"""A value without a match is already clean: :func:`compact` returns it unchanged."""

FULL_WIDTH: Final = {chr(cp + 0xFEE0): chr(cp) for cp in range(0x21, 0x7F)}
"""Full-width forms U+FF01-U+FF5E and the ASCII character NFKC maps each to."""

CJK_IDEOGRAPHS: Final = ("\u4e00", "\u9fff")
"""The CJK Unified Ideographs block: NFKC and upper-casing leave these characters alone."""


def _escape(ch: str) -> str:
    return f"\\x{{{ord(ch):X}}}"


_COLUMNAR_MAP: Final = {
    **{chr(cp): replacement or "" for cp, replacement in _DELETE.items()},
    **{ch: ch.upper() for ch in string.ascii_lowercase},
    **{wide: narrow.upper() for wide, narrow in FULL_WIDTH.items() if ord(wide) not in _DELETE},
}
"""What :func:`compact` makes of each character it changes in a value made only of ASCII,
full-width forms, CJK ideographs and removed characters (NFKC, delete, upper-case)."""

_ODD_RE: Final = (
    "[^\\x00-\\x7F"
    + "".join(_escape(ch) for ch in sorted(_COLUMNAR_MAP) if ord(ch) > 0x7F)
    + f"{_escape(CJK_IDEOGRAPHS[0])}-{_escape(CJK_IDEOGRAPHS[1])}]"
)
"""A character outside the columnar path: such values are cleaned by :func:`compact`."""


def _clean_once(text: str) -> str:
    return unicodedata.normalize("NFKC", text).translate(_DELETE).upper()


def compact(text: Any) -> str:
    """Clean ``text`` for validation; ``None`` becomes ``''``. Never raises.

    Cleaning is idempotent (the codecs clean again what :func:`.classify.classify` has
    cleaned): removing a space can put a combining mark next to a letter (``A¯`` is
    ``A`` + space + U+0304 after NFKC) and upper-casing can decompose, so non-ASCII results
    are cleaned again until nothing changes.

    >>> compact('A¯'), compact(compact('A¯')) == compact('A¯')
    ('Ā', True)
    """
    if text is None:
        return ""
    cleaned = _clean_once(str(text))
    if cleaned.isascii():
        return cleaned
    for _ in range(8):  # a fixed point comes after one or two more rounds
        again = _clean_once(cleaned)
        if again == cleaned:
            break
        cleaned = again
    return cleaned


def is_placeholder(compacted: str) -> bool:
    """Whether an already compacted value is a placeholder such as ``暂无`` or ``--``."""
    if compacted in PLACEHOLDERS:
        return True
    return all(ch in PLACEHOLDER_PUNCTUATION for ch in compacted)


def _compact_columnar(values: pl.Series) -> pl.Series:
    """:func:`compact` of values made of ASCII and the characters of ``_COLUMNAR_MAP``/CJK."""
    return values.str.replace_many(_COLUMNAR_MAP)


def _compact_series(values: pl.Series) -> pl.Series:
    """Series form of :func:`compact` (see the module docstring); never null."""
    import polars as pl

    values = values.cast(pl.String)
    dirty = values.str.contains(_CLEAN_RE).fill_null(True)
    if not dirty.any():
        return values
    positions = dirty.arg_true()
    originals = values.gather(positions).fill_null("")
    cleaned = _compact_columnar(originals)
    odd = originals.str.contains(_ODD_RE)
    if odd.any():
        odd_positions = odd.arg_true()
        fixed = [compact(v) for v in originals.gather(odd_positions).to_list()]
        cleaned = cleaned.scatter(odd_positions, pl.Series(fixed, dtype=pl.String))
    return values.scatter(positions, cleaned)


def compact_expr(expr: pl.Expr) -> pl.Expr:
    """Vectorised :func:`compact`: a String expression, ``''`` for null, never null."""
    import polars as pl

    return expr.cast(pl.String).map_batches(
        _compact_series, return_dtype=pl.String, is_elementwise=True
    )


def is_placeholder_expr(compacted: pl.Expr) -> pl.Expr:
    """Vectorised :func:`is_placeholder` over an already compacted expression."""
    return compacted.is_in(sorted(PLACEHOLDERS)) | compacted.str.contains(
        PLACEHOLDER_PUNCTUATION_RE
    )
