"""Identifier codecs: one module per kind, plus :func:`classify` and its vectorised twin.

Each kind module (python-stdnum manner) offers ``compact``, ``calc_check_digit`` where the
kind has one, ``validate`` (canonical string or an :class:`~blacklist_match.errors.
InvalidIdentifier` subclass), ``is_valid`` and ``format``, then the vectorised
``problem_expr``/``canonical_expr`` over an already compacted expression
(:func:`._clean.compact_expr`).
"""

from __future__ import annotations

from blacklist_match.ids import (
    foreign_pr,
    masked_id,
    org_code,
    reg_no,
    residence_permit,
    resident_id,
    uscc,
)
from blacklist_match.ids._clean import compact, compact_expr
from blacklist_match.ids.classify import (
    Classification,
    classify,
    classify_expr,
    crosswalk_key,
    crosswalk_key_expr,
    mask_key,
    mask_key_expr,
)

__all__ = [
    "Classification",
    "classify",
    "classify_expr",
    "compact",
    "compact_expr",
    "crosswalk_key",
    "crosswalk_key_expr",
    "foreign_pr",
    "mask_key",
    "mask_key_expr",
    "masked_id",
    "org_code",
    "reg_no",
    "residence_permit",
    "resident_id",
    "uscc",
]
