"""blacklist-match: screen agency records against the List of Dishonest Judgment Debtors."""

from __future__ import annotations

from blacklist_match.errors import (
    BlacklistMatchError,
    InputError,
    InvalidIdentifier,
    RuleError,
    StoreError,
)

__version__ = "0.1.0"

__all__ = [
    "BlacklistMatchError",
    "InputError",
    "InvalidIdentifier",
    "RuleError",
    "StoreError",
    "__version__",
]
