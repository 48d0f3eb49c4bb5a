"""Identity numbers are personal data: hide them in anything printed or logged.

Reports mask the subject's ID in their own column; this module masks any person ID that
appears inside free text (error messages, log lines) before it reaches a terminal.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    import polars as pl

_PERSON_ID: Final = re.compile(
    r"(?<![0-9A-Za-z])([1-9]\d{5})(\d{6,9}|\d{2}[\d*]{4}\d{0,3})(\d{2}[\dXx])(?![0-9A-Za-z])"
)
"""18- and 15-digit person numbers (and published masks) standing alone in text."""


def mask_text(text: str) -> str:
    """Replace every person ID in ``text`` by its first six and last two characters.

    >>> mask_text("bad row 420902198305120510 in file")
    'bad row 420902**********10 in file'
    >>> mask_text("case (2019)鄂0902执1194号, code 91451322600563165B")
    'case (2019)鄂0902执1194号, code 91451322600563165B'
    """

    def hide(match: re.Match[str]) -> str:
        whole = match.group(0)
        return whole[:6] + "*" * (len(whole) - 8) + whole[-2:]

    return _PERSON_ID.sub(hide, text)


_HIDDEN: Final = "\ue000"
"""What :func:`mask_text_expr` writes for a hidden character until its last step (a
private-use character, turned into ``*`` at the end): written as ``*`` at once, a masked
run could open or close another match in a later pass (``*`` is a boundary, and may stand
inside a mask) where the original text had digits. It is neither a boundary nor a digit."""


def _fixed_length_patterns() -> list[tuple[str, str]]:
    """:data:`_PERSON_ID` as one (pattern, replacement) per match length, for Rust's regex
    engine: no look-around, so the boundaries are matched as groups and put back, and each
    length's mask is a fixed run of hidden characters. Longest first, as the greedy
    original."""
    patterns = []
    edge = f"[^0-9A-Za-z{_HIDDEN}]"
    for length in range(18, 14, -1):
        middle = rf"(?:\d{{{length - 9}}}|\d{{2}}[\d*]{{4}}\d{{{length - 15}}})"
        pattern = rf"(^|{edge})([1-9]\d{{5}}){middle}\d(\d[\dXx])({edge}|$)"
        patterns.append((pattern, "${1}${2}" + _HIDDEN * (length - 8) + "${3}${4}"))
    return patterns


_PERSON_ID_BY_LENGTH: Final = _fixed_length_patterns()


def mask_text_expr(text: pl.Expr) -> pl.Expr:
    """:func:`mask_text` as a Polars expression, for text whose digits are ASCII (keys and
    IDs are NFKC-normalised on load) and without U+E000; a test holds the two equal on such
    text.

    Each length's pattern runs twice: a boundary character consumed by one match cannot
    open the next, so the second pass masks an ID that directly followed another. (A digit
    outside ASCII counts both as a digit and as a boundary in :func:`mask_text`; the passes
    by length could then pick another overlapping number than its left-to-right scan.)
    """
    for pattern, replacement in _PERSON_ID_BY_LENGTH:
        for _ in range(2):
            text = text.str.replace_all(pattern, replacement)
    return text.str.replace_all(_HIDDEN, "*", literal=True)
