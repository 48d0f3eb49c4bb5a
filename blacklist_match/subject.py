"""What kind of subject an identifier or a name denotes: a natural person or an entity.

Scalar functions for the spot check and regular expressions shared with the columnar
keying in :mod:`blacklist_match.prepare`, so both infer the same type.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Final

from blacklist_match import schema as S

ENTITY_NAME_PATTERN: Final = (
    r"(公司|企业|集团|厂|店|中心|合作社|事务所|研究院|研究所|学校|医院|协会|商会|银行|"
    r"经营部|工作室|门市部|批发部|商行|分行|支行|处|局|委员会|基金会|农场|站|社|馆|院)$"
    r"|\(普通合伙\)$|\(有限合伙\)$"
)
"""Endings of organisation names; used only to guess a subject type nothing else gives."""

ORGANISATION_FORM_PATTERN: Final = (
    r"(公司|企业|集团|合作社|事务所|经营部|门市部|批发部|工作室|商行|银行|分行|支行)$"
    r"|\(普通合伙\)$|\(有限合伙\)$"
)
"""The endings of :data:`ENTITY_NAME_PATTERN` that no person's name has: the single
characters (社, 院, 站, 店, 厂 ...) end given names too (王建社, 张书院), so they may guess a
type nothing else gives but never overrule a person's reading of a number."""

PERSON_KINDS: Final = frozenset(k.value for k in S.PERSON_ID_KINDS)
ENTITY_KINDS: Final = frozenset(k.value for k in S.ENTITY_ID_KINDS)

_ENTITY_NAME_RE: Final = re.compile(ENTITY_NAME_PATTERN)
_ORGANISATION_FORM_RE: Final = re.compile(ORGANISATION_FORM_PATTERN)


def type_from_kind(kind: str | None) -> str | None:
    """``person`` or ``entity`` for an identifier kind, None when it says nothing."""
    if kind in PERSON_KINDS:
        return S.SubjectType.PERSON.value
    if kind in ENTITY_KINDS:
        return S.SubjectType.ENTITY.value
    return None


def type_from_name(name: str | None) -> str | None:
    """``entity`` when the name ends like an organisation's, else None.

    >>> type_from_name("象州县腾飞商贸有限公司"), type_from_name("张伟")
    ('entity', None)
    """
    if not name:
        return None
    normalised = unicodedata.normalize("NFKC", name)
    return S.SubjectType.ENTITY.value if _ENTITY_NAME_RE.search(normalised) else None


def has_organisation_form(name: str | None) -> bool:
    """Whether the name ends in a form only an organisation's name has (``…有限公司``).

    >>> has_organisation_form("济南鲁信精密机械有限公司"), has_organisation_form("王建社")
    (True, False)
    """
    if not name:
        return False
    return _ORGANISATION_FORM_RE.search(unicodedata.normalize("NFKC", name)) is not None


def infer_subject_type(given: str | None, kind: str | None, name: str | None) -> str:
    """The given type, else the identifier's, else the name's, else ``person``."""
    return given or type_from_kind(kind) or type_from_name(name) or S.SubjectType.PERSON.value
