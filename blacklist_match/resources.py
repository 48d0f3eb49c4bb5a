"""Folders that ship with the engine: the rule pack and the sample data.

In a wheel they are package data (``blacklist_match/_rules``, ``blacklist_match/_sample_data``);
in a source checkout they are the top-level ``rules/`` and ``sample_data/`` folders.
"""

from __future__ import annotations

import importlib.resources
from pathlib import Path


def shipped_dir(name: str) -> Path:
    """The shipped folder ``name`` (``rules`` or ``sample_data``)."""
    packaged = Path(str(importlib.resources.files("blacklist_match") / f"_{name}"))
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parent.parent / name
