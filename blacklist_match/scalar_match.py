"""The scalar twin of the SQL tiers, for one subject at a time (spot check and library).

Each function below mirrors one query of :mod:`blacklist_match.match` over the entries a
:class:`~blacklist_match.lookup.Lookup` returns for the subject's blocking keys; the
selection of the strongest tier mirrors ``candidate_pairs``. A test checks every record of
a generated scenario both ways and requires identical flags. Nothing here imports Polars
or DuckDB.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Final

from blacklist_match.lookup import CORE_PREFIX, Entry, Lookup, Officer
from blacklist_match.match import scores
from blacklist_match.schema import ENTITY_ID_KINDS, PERSON_ID_KINDS, TIER_RANK

FULL_PERSON_KINDS: Final = frozenset({"resident_id", "residence_permit", "foreign_pr"})
ENTITY_KINDS: Final = frozenset({"uscc", "org_code", "reg_no"})
MASKED: Final = "masked_resident_id"
_SQL_SPACE_OR_HYPHEN: Final = re.compile(r"[\t\n\f\r \-]")
"""What DuckDB's ``regexp_replace(x, '[\\s-]', '')`` removes (RE2's ``\\s``)."""
_TYPO_CLEAN: Final = re.compile(r"[\t\n\f\r \-\u3000]")
_FULL_WIDTH: Final = str.maketrans("０１２３４５６７８９Ｘｘ", "0123456789XX")
_PERSON18: Final = re.compile(r"^[0-9]{17}[0-9X]$")


@dataclass(frozen=True)
class Keys:
    """The subject's keys, as the batch keys a record (:func:`subject_keys`)."""

    subject_id: str | None
    subject_type: str
    id_kind: str
    id_norm: str | None
    id_problem: str | None
    id_alt_kind: str | None
    id_alt_norm: str | None
    org_code_key: str | None
    mask_key: str | None
    name_key: str | None
    name_core: str | None

    @property
    def has_usable_id(self) -> bool:
        return self.id_norm is not None or self.id_alt_norm is not None


@dataclass(frozen=True)
class Candidate:
    """One (entry, tier, score, link, via, evidence) for the subject."""

    entry: Entry
    tier: str
    score: float
    link: str
    via: str
    evidence: str


def subject_key(keys: Keys) -> str | None:
    """Who the subject is, for decisions: its canonical ID, else its name key (the scalar
    twin of :data:`blacklist_match.review.SUBJECT_KEY_SQL`)."""
    if keys.id_norm or keys.id_alt_norm:
        return keys.id_norm or keys.id_alt_norm
    return f"name:{keys.subject_type}:{keys.name_key}" if keys.name_key is not None else None


def subject_keys(subject_id: str | None, name: str | None, subject_type: str | None) -> Keys:
    """Classify ``subject_id`` and key ``name``: the scalar twin of the batch keying."""
    from blacklist_match.ids import classify, crosswalk_key, mask_key
    from blacklist_match.names import company_key, person_key, person_key_nodot
    from blacklist_match.subject import has_organisation_form, infer_subject_type

    found = classify(subject_id, subject_type)
    if (  # two valid readings, a person's first: a company's name chooses the other
        subject_type is None
        and has_organisation_form(name)
        and found.kind in PERSON_ID_KINDS
        and found.alt_kind in ENTITY_ID_KINDS
    ):
        found = found._replace(
            kind=found.alt_kind, value=found.alt_value, alt_kind=found.kind, alt_value=found.value
        )
    kind = found.kind.value
    resolved = infer_subject_type(subject_type, kind, name)
    if resolved == "entity":
        company = company_key(name)
        name_key, name_core = company.key, company.core
    else:
        name_key, name_core = person_key(name), person_key_nodot(name)
    return Keys(
        subject_id=subject_id,
        subject_type=resolved,
        id_kind=kind,
        id_norm=found.value,
        id_problem=found.problem,
        id_alt_kind=found.alt_kind.value if found.alt_kind else None,
        id_alt_norm=found.alt_value,
        org_code_key=crosswalk_key(kind, found.value),
        mask_key=mask_key(kind, found.value),
        name_key=name_key,
        name_core=name_core,
    )


def _raw_len(text: str | None) -> int:
    return len(_SQL_SPACE_OR_HYPHEN.sub("", text or ""))


def _fits_mask(id_norm: str, entry: Entry) -> bool:
    """The full ID ``id_norm``, whose mask key is the masked ``entry``'s, fits what else the
    entry shows: the month digit a mask in the 19-character form leaves visible
    (``registry.visible_month_agrees_sql``), and the published age."""
    published = _typed(entry.id_number or "")
    if len(published) == 19 and published[10] != id_norm[10]:
        return False
    return _age_consistent(id_norm, entry)


def _age_consistent(id_norm: str, entry: Entry) -> bool:
    if entry.age is None or entry.published_on is None:
        return True
    birth = date(int(id_norm[6:10]), int(id_norm[10:12]), int(id_norm[12:14]))
    on = entry.published_on
    age = on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))
    return abs(age - entry.age) <= scores.AGE_TOLERANCE_YEARS


def _exact_id(k: Keys, lookup: Lookup) -> list[Candidate]:
    keys: list[str] = []
    if k.id_norm is not None and k.id_kind != MASKED:
        keys.append(k.id_norm)
    if k.id_alt_norm is not None:
        keys.append(k.id_alt_norm)
    old_id_read = "resident_id" in (k.id_kind, k.id_alt_kind)  # as ``identity._EVIDENCE``
    equal: dict[tuple[str, date], tuple[Entry, bool]] = {}  # per listing: any 18-digit reading
    for value in keys:
        for entry in lookup.by_id([value]):
            listing = _listing(entry)
            upgraded = equal.get(listing, (entry, False))[1] or len(value) == 18
            equal[listing] = (entry, upgraded)
    found = []
    for entry, eighteen in equal.values():
        upgraded = (
            old_id_read
            and eighteen  # a registration number's reading stays at 15 digits
            and 15 in (_raw_len(k.subject_id), _raw_len(entry.id_number))
        )
        evidence = "id_equal_after_15_to_18" if upgraded else "id_equal"
        found.append(Candidate(entry, "exact_id", scores.EXACT_ID, "debtor", "debtor", evidence))
    return found


def _crosswalk(k: Keys, lookup: Lookup) -> list[Candidate]:
    if k.org_code_key is None:
        return []
    evidence = "uscc_contains_org_code" if k.id_kind == "uscc" else "org_code_in_uscc"
    return [
        Candidate(entry, "id_crosswalk", scores.ID_CROSSWALK, "debtor", "debtor", evidence)
        for entry in lookup.by_org_code(k.org_code_key)
        if entry.id_kind != k.id_kind
    ]


def _masked(k: Keys, lookup: Lookup) -> list[Candidate]:
    if k.mask_key is None or k.id_kind not in FULL_PERSON_KINDS or k.id_norm is None:
        return []
    found = []
    for entry in lookup.by_mask_key(k.mask_key):
        if k.name_key != entry.name_key and k.name_core != entry.name_core:
            continue
        if not _fits_mask(k.id_norm, entry):
            continue
        checked = entry.age is not None and entry.published_on is not None
        evidence = "masked_id_compatible_name_equal" + ("_age_consistent" if checked else "")
        score = scores.MASKED_ID_NAME_AGE_CHECKED if checked else scores.MASKED_ID_NAME
        found.append(Candidate(entry, "masked_id_name", score, "debtor", "debtor", evidence))
    return found


def _role_valid(link: Officer, on: date) -> bool:
    return (link.start_date is None or link.start_date <= on) and (
        link.end_date is None or on < link.end_date
    )


def _registry(k: Keys, lookup: Lookup, on: date) -> list[Candidate]:
    found = []
    person_ids = []
    if k.id_kind in FULL_PERSON_KINDS and k.id_norm is not None:
        person_ids.append(k.id_norm)
    if k.id_alt_kind == "resident_id" and k.id_alt_norm is not None:
        person_ids.append(k.id_alt_norm)
    for person_id in person_ids:
        for link in lookup.officers_of_person(person_id):
            if not _role_valid(link, on):
                continue
            entities: list[Entry] = []
            if link.entity_org_code_key is not None:
                entities += lookup.by_org_code(link.entity_org_code_key)
            if link.entity_id_norm is not None:
                entities += [
                    e
                    for e in lookup.by_id([link.entity_id_norm])
                    if e.org_code_key is None and e.id_norm == link.entity_id_norm
                ]
            for entry in entities:
                if entry.debtor_type == "entity" and entry.id_norm is not None:
                    found.append(
                        Candidate(
                            entry,
                            "registry_link",
                            scores.REGISTRY_ID_EQUAL,
                            "officer_of_listed_entity",
                            link.role,
                            "officer_of_listed_entity_id_equal",
                        )
                    )
    if k.id_kind in ENTITY_KINDS and k.id_norm is not None:
        links = [
            o
            for o in lookup.officers_of_entity(k.id_norm, k.org_code_key)
            if (
                o.entity_org_code_key == k.org_code_key
                if k.org_code_key is not None
                else o.entity_id_norm == k.id_norm
            )
            and _role_valid(o, on)
        ]
        for link in links:
            if link.person_id_norm is not None:
                for entry in lookup.by_id([link.person_id_norm]):
                    if (
                        entry.debtor_type == "person"
                        and entry.id_kind in FULL_PERSON_KINDS
                        and entry.id_norm == link.person_id_norm
                    ):
                        found.append(
                            Candidate(
                                entry,
                                "registry_link",
                                scores.REGISTRY_ID_EQUAL,
                                "entity_of_listed_person",
                                link.role,
                                "entity_officer_is_listed_person_id_equal",
                            )
                        )
            if (
                link.person_mask_key is not None
                and link.person_id_kind in FULL_PERSON_KINDS
                and link.person_id_norm is not None
            ):
                for entry in lookup.by_mask_key(link.person_mask_key):
                    if (
                        entry.debtor_type == "person"
                        and entry.name_key == link.person_name_key
                        and _fits_mask(link.person_id_norm, entry)
                    ):
                        found.append(
                            Candidate(
                                entry,
                                "registry_link",
                                scores.REGISTRY_MASKED_ID_NAME,
                                "entity_of_listed_person",
                                link.role,
                                "entity_officer_is_listed_person_masked_id_name",
                            )
                        )
    return found


def _typed(raw: str) -> str:
    """A number as typed, cleaned as ``store_schema.CLEAN_ID_SQL`` cleans it."""
    return _TYPO_CLEAN.sub("", raw).translate(_FULL_WIDTH).upper()


def _typo_text(raw: str | None) -> str | None:
    if raw is None:
        return None
    text = _typed(raw)
    return text if _PERSON18.match(text) else None


def _one_edit(left: str, right: str) -> bool:
    from rapidfuzz.distance import DamerauLevenshtein  # only when a typo is in play

    return DamerauLevenshtein.distance(left, right) <= scores.MAX_ID_EDITS


def _fuzzy_id(k: Keys, lookup: Lookup) -> list[Candidate]:
    if k.name_key is None:
        return []
    found = []
    typo = _typo_text(k.subject_id) if not k.has_usable_id and k.subject_type == "person" else None
    full = (
        k.id_norm if k.id_kind in FULL_PERSON_KINDS and k.id_norm and len(k.id_norm) == 18 else None
    )
    for entry in lookup.persons_by_name_key(k.name_key):
        if (
            typo is not None
            and entry.id_norm is not None
            and len(entry.id_norm) == 18
            and (entry.id_kind in FULL_PERSON_KINDS or entry.id_kind == MASKED)
            and (typo[:6] == entry.id_norm[:6] or typo[-4:] == entry.id_norm[-4:])
        ):
            masked = entry.id_kind == MASKED
            shown = typo[:10] + "****" + typo[-4:] if masked else typo
            if _one_edit(shown, entry.id_norm):
                found.append(
                    Candidate(
                        entry,
                        "fuzzy_id_name",
                        scores.FUZZY_ID_AGAINST_MASK if masked else scores.FUZZY_ID,
                        "debtor",
                        "debtor",
                        "masked_id_one_edit_name_equal" if masked else "id_one_edit_name_equal",
                    )
                )
        if full is not None and entry.id_norm is None and entry.id_alt_norm is None:
            entry_typo = _typo_text(entry.id_number)
            if (
                entry_typo is not None
                and (entry_typo[:6] == full[:6] or entry_typo[-4:] == full[-4:])
                and _one_edit(entry_typo, full)
            ):
                found.append(
                    Candidate(
                        entry,
                        "fuzzy_id_name",
                        scores.FUZZY_ID,
                        "debtor",
                        "debtor",
                        "id_one_edit_name_equal",
                    )
                )
    return found


def _partial_masks(k: Keys, lookup: Lookup) -> list[Candidate]:
    """Listed namesakes whose number is masked in another pattern and shows the same visible
    characters as the subject's full ID, with an age that fits (``NAME_ONLY_PERSON``'s
    second half)."""
    from blacklist_match.ids.masked_id import partial_mask

    number = k.id_norm
    if k.id_kind not in FULL_PERSON_KINDS or number is None or len(number) != 18:
        return []
    found = []
    for entry in lookup.partially_masked_persons(k.name_core or ""):
        parts = partial_mask(entry.id_number)
        if parts is None or not (number.startswith(parts[0]) and number.endswith(parts[1])):
            continue
        if _age_consistent(number, entry):
            found.append(_person_by_name(entry, "person_name_equal_partial_mask_compatible"))
    return found


def namesakes_without_the_id(k: Keys, lookup: Lookup) -> list[Candidate]:
    """For a check by a person's name alone (no number given at all): the listed persons of
    that name whose number the list shows (in full or masked), which no tier pairs with a
    subject that has no number (same names are far too common, DOMAIN.md 6). They answer
    the clerk's "is a 张伟 listed?"; the caller shows them as needing an ID, never as a
    match a rule acts on, and the batch has no twin of them."""
    if k.subject_type != "person" or k.name_core is None or k.id_norm is not None:
        return []
    return [
        _person_by_name(entry, "person_name_equal_id_not_given")
        for entry in lookup.persons_by_name_core(k.name_core)
        if entry.id_norm is not None or entry.id_alt_norm is not None
    ]


def _person_by_name(entry: Entry, evidence: str) -> Candidate:
    """A review-only ``name_only`` candidate for a listed person."""
    return Candidate(entry, "name_only", scores.NAME_ONLY_PERSON, "debtor", "debtor", evidence)


def _registration_number_only(id_kind: str | None, org_code_key: str | None) -> bool:
    """``fuzzy.REGISTRATION_NUMBER_ONLY``: the only usable number is a registration number."""
    return id_kind == "reg_no" and org_code_key is None


def _name_only(k: Keys, lookup: Lookup) -> list[Candidate]:
    if k.name_core is None:
        return []
    found = []
    if k.subject_type == "person":
        if k.has_usable_id:
            return _partial_masks(k, lookup)
        for entry in lookup.persons_by_name_core(k.name_core):
            if entry.id_norm is None and entry.id_alt_norm is None:
                found.append(_person_by_name(entry, "person_name_equal_no_id"))
        return found
    if k.subject_type != "entity":
        return []
    from blacklist_match.names import is_branch_core

    core = k.name_core
    gap = (100 - scores.COMPANY_RATIO_THRESHOLD) / 100
    for entry in lookup.entities_by_core_prefix(core[:CORE_PREFIX]):
        other = entry.name_core
        if other is None or other[:CORE_PREFIX] != core[:CORE_PREFIX]:
            continue
        entry_has_id = entry.id_norm is not None or entry.id_alt_norm is not None
        not_comparable = (  # a registration number against an organisation code or USCC
            _registration_number_only(k.id_kind, k.org_code_key) and entry.org_code_key is not None
        ) or (
            k.org_code_key is not None
            and _registration_number_only(entry.id_kind, entry.org_code_key)
        )
        if k.has_usable_id and entry_has_id and not not_comparable:
            continue
        if abs(len(core) - len(other)) > gap * (len(core) + len(other)):
            continue
        if is_branch_core(core) != is_branch_core(other):
            continue
        from rapidfuzz import fuzz  # only when a company name is compared

        ratio = fuzz.ratio(core, other)
        if ratio >= scores.COMPANY_RATIO_THRESHOLD:
            evidence = (
                "company_core_name_equal_" if ratio >= 100 else "company_core_name_similar_"
            ) + ("ids_not_comparable" if k.has_usable_id and entry_has_id else "no_id")
            found.append(
                Candidate(
                    entry,
                    "name_only",
                    ratio / 100 * scores.NAME_ONLY_COMPANY_MAX,
                    "debtor",
                    "debtor",
                    evidence,
                )
            )
    return found


def candidates(k: Keys, lookup: Lookup, on: date) -> list[Candidate]:
    """Every candidate for the subject: per (listing, via) the strongest tier and score, and
    per listing only the strongest tier (every linking role kept), as ``candidate_pairs``."""
    found = (
        _exact_id(k, lookup)
        + _crosswalk(k, lookup)
        + _masked(k, lookup)
        + _registry(k, lookup, on)
        + _fuzzy_id(k, lookup)
        + _name_only(k, lookup)
    )
    best: dict[tuple[str, date, str], Candidate] = {}
    for candidate in sorted(found, key=lambda c: (TIER_RANK[c.tier], -c.score, c.evidence)):
        best.setdefault((*_listing(candidate.entry), candidate.via), candidate)
    strongest: dict[tuple[str, date], int] = {}
    for candidate in best.values():
        rank = TIER_RANK[candidate.tier]
        listing = _listing(candidate.entry)
        strongest[listing] = min(rank, strongest.get(listing, rank))
    return [c for c in best.values() if TIER_RANK[c.tier] == strongest[_listing(c.entry)]]


def _listing(entry: Entry) -> tuple[str, date]:
    """One listing of a debtor: the entry and the day it was listed from. A debtor listed
    again in a case after a removal has a second row under the same ``entry_id`` (the batch
    keeps its pairs apart by row id); the caller keeps the listing in force on the day."""
    return entry.entry_id, entry.listed_from
