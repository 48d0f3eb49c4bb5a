"""Scores and thresholds of the tiers, declared once as data.

The SQL plan (:mod:`.identity`, :mod:`.registry`, :mod:`.fuzzy`) and the spot check's
scalar twin (:mod:`blacklist_match.scalar_match`) both read them from here; this module
imports nothing heavy.
"""

from __future__ import annotations

from typing import Final

EXACT_ID: Final = 1.0
ID_CROSSWALK: Final = 0.98
MASKED_ID_NAME_AGE_CHECKED: Final = 0.97
MASKED_ID_NAME: Final = 0.95
REGISTRY_ID_EQUAL: Final = 0.93
REGISTRY_MASKED_ID_NAME: Final = 0.9
FUZZY_ID: Final = 0.8
FUZZY_ID_AGAINST_MASK: Final = 0.75
NAME_ONLY_PERSON: Final = 0.5
NAME_ONLY_COMPANY_MAX: Final = 0.6
"""A company name match scores ``ratio / 100 * 0.6``: never above the ID-backed tiers."""
COMPANY_RATIO_THRESHOLD: Final = 80.0
"""rapidfuzz ``fuzz.ratio`` (0-100) on company core keys; one character in five may differ."""
AGE_TOLERANCE_YEARS: Final = 1
"""Published ages are computed at different moments by different sites: allow one year."""
MAX_ID_EDITS: Final = 1
"""``fuzzy_id_name``: one substitution or one adjacent transposition."""
