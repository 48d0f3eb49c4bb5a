"""Identity numbers are personal data: hide them in anything printed or logged.

Reports mask the subject's ID in their own column; this module masks any person ID that
appears inside free text (error messages, log lines) before it reaches a terminal.
"""

from __future__ import annotations

import re
from typing import Final

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
