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
    "Screener",
    "StoreError",
    "__version__",
    "screen",
]


def __getattr__(name: str) -> object:
    """Load the library's heavier parts on first use (keeps ``import blacklist_match`` light)."""
    if name == "Screener":
        from blacklist_match.screener import Screener

        return Screener
    if name == "screen":
        from blacklist_match.pipeline import screen_files

        return screen_files
    raise AttributeError(name)
