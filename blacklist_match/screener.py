"""The spot check and the embedded library: ``Screener.check`` and ``Screener.screen``.

``check`` answers one subject in microseconds from a :class:`~blacklist_match.lookup.Lookup`
(an in-memory index built once, or point queries on the store for a cold command-line
check). It applies the same tiers, listing window and rules as the batch, written as
scalar Python over the candidates a lookup returns; a test screens a scenario in batch
and checks every record here, and the flags must agree exactly.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from datetime import date
from datetime import date as date_type
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from pydantic import BaseModel, ConfigDict

from blacklist_match import schema as S
from blacklist_match.errors import InputError
from blacklist_match.lookup import (
    Entry,
    Lookup,
    MemoryIndex,
    ReviewDecision,
    StoreLookup,
    load_memory_index,
)
from blacklist_match.match.evidence import EVIDENCE_ZH, ROLE_ZH
from blacklist_match.scalar_match import (
    Candidate,
    Keys,
    namesakes_without_the_id,
    subject_key,
    subject_keys,
)
from blacklist_match.scalar_match import candidates as candidates_of
from blacklist_match.schema import TIER_RANK

if TYPE_CHECKING:
    from blacklist_match.rules import Rule, RulePack

log = logging.getLogger(__name__)

REVIEW_ONLY: Final = frozenset(t.value for t in S.REVIEW_ONLY_TIERS)


class Flag(BaseModel):
    """One restriction that applies: the flag report's fields."""

    model_config = ConfigDict(frozen=True)
    case_no: str
    rule_id: str | None
    category: str | None
    action: str | None
    tier: str
    score: float
    via: str
    link: str
    evidence: str
    debtor_name: str
    entry_id: str
    listed_from: date
    listed_until: date | None
    court: str | None
    basis: str | None
    explanation: str | None


class Decision(BaseModel):
    """The answer to a check: whether a restriction applies, and every flag behind it."""

    model_config = ConfigDict(frozen=True)
    restricted: bool
    """With an action: a rule blocks or calls for review. Without: a listing applies on
    evidence strong enough to block (not a name alone, not a one-edit ID)."""
    listings: list[Flag]
    """Every listing that applies to the subject on the date (rule fields empty); for a
    person's name alone, also the listed persons of that name whose number the list shows
    (tier ``name_only``, evidence ``person_name_equal_id_not_given``: an ID confirms or
    rules them out; no rule acts on them)."""
    flags: list[Flag]
    """With an action: one per (listing, rule) that restricts it; empty without one."""
    needs_id: bool = False
    """True when only a name was given: the listings are candidates, not confirmed."""
    subject_kind: str
    subject_problem: str | None
    suppressed: list[Flag] = []
    """Listings a reviewer rejected for this subject (not this debtor), still in force."""


def listed_on(entry: Entry, on: date, as_of: date | None = None) -> bool:
    """Whether ``entry`` was listed on ``on`` (as the list was known on ``as_of``)."""
    if as_of is not None and entry.listed_from > as_of:
        return False
    until = entry.listed_until
    if as_of is not None and until is not None and until > as_of:
        until = None
    return entry.listed_from <= on and (until is None or on < until)


def _in_scope(rule: Rule, link: str, via: str, debtor_type: str) -> bool:
    scope = rule.subjects.value
    if link == S.Link.DEBTOR.value:
        return scope != S.Scope.DEBTOR_PERSON.value or debtor_type == S.SubjectType.PERSON.value
    if scope == S.Scope.DEBTOR_AND_FOUR.value:
        return link == S.Link.OFFICER_OF_LISTED_ENTITY.value and via in S.FOUR_ROLES
    if scope == S.Scope.DEBTOR_AND_OFFICERS.value:
        return link == S.Link.ENTITY_OF_LISTED_PERSON.value and via in S.OFFICER_ROLES
    return False


def rule_accepts(rule: Rule, candidate: Candidate, record: dict[str, Any]) -> bool:
    """The scalar twin of :func:`blacklist_match.rules.apply_rules` for one rule."""
    sub_type, amount = record.get("sub_type"), record.get("amount")
    entry: Entry = candidate.entry
    conditions = rule.conditions
    return (
        rule.record_type == record.get("record_type")
        and (rule.sub_types is None or (sub_type is not None and sub_type in rule.sub_types))
        and not (sub_type is not None and sub_type in rule.exempt)
        and TIER_RANK[candidate.tier] <= TIER_RANK[rule.min_tier.value]
        and _in_scope(rule, candidate.link, candidate.via, entry.debtor_type)
        and (
            conditions.amount_at_least is None
            or (amount is not None and amount >= conditions.amount_at_least)
        )
        and (
            conditions.amount_below is None
            or (amount is not None and amount < conditions.amount_below)
        )
        and (
            conditions.subject_type is None
            or record.get("subject_type") == conditions.subject_type.value
        )
        and (conditions.roles is None or candidate.via in conditions.roles)
        and (
            not rule.natural_person_debtors_only or entry.debtor_type == S.SubjectType.PERSON.value
        )
    )


def explain(candidate: Candidate, rule_id: str | None, basis: str | None) -> str:
    """The flag's explanation sentence (scalar twin of the report's)."""
    entry: Entry = candidate.entry
    role = ROLE_ZH.get(candidate.via, candidate.via)
    prefix = ""
    if candidate.link == S.Link.OFFICER_OF_LISTED_ENTITY.value:
        prefix = f"申请人系被执行人{entry.name}的{role}（据登记信息），"
    elif candidate.link == S.Link.ENTITY_OF_LISTED_PERSON.value:
        prefix = f"申请单位的{role}为被执行人{entry.name}（据登记信息），"
    evidence = EVIDENCE_ZH.get(candidate.evidence, candidate.evidence)
    text = (
        f"{prefix}申请人{evidence}；{entry.name}自{entry.listed_from:%Y年%m月%d日}起由"
        f"{entry.court or '执行法院'}列入失信被执行人名单（案号{entry.case_no}）"
    )
    return text + (f"；依规则{rule_id}：{basis}。" if rule_id else "。")


class Screener:
    """Checks subjects and screens records against one state of the list.

    ``Screener.open(db)`` builds an in-memory index from the store once; ``check`` is then
    served from it and is safe to call from many threads. ``refresh()`` rebuilds the index
    (for example after an ingest) and swaps it in atomically.
    """

    def __init__(
        self,
        lookup: Lookup,
        rules: RulePack | None = None,
        *,
        source: Any = None,
        auto_refresh: float | None = None,
    ) -> None:
        self._lookup = lookup
        self._rules = rules
        self._source = source
        self._lock = threading.Lock()
        self._auto_refresh = auto_refresh
        self._last_look = time.monotonic()
        self._seen_version = self._store_version()
        self._rebuilding = False
        self._by_type: dict[str, list[Rule]] | None = None

    @property
    def rules(self) -> RulePack:
        """The rule pack (the shipped one, loaded on first use, unless one was given)."""
        if self._rules is None:
            from blacklist_match.rules import RulePack

            self._rules = RulePack.load()
        return self._rules

    @property
    def _rules_by_type(self) -> dict[str, list[Rule]]:
        if self._by_type is None:
            by_type: dict[str, list[Rule]] = {}
            for rule in self.rules.rules:
                by_type.setdefault(rule.record_type, []).append(rule)
            self._by_type = by_type
        return self._by_type

    @classmethod
    def open(
        cls,
        db: str | Path | None = None,
        *,
        rules: Sequence[str | Path] = (),
        in_memory: bool = True,
        auto_refresh: float | None = 1.0,
    ) -> Screener:
        """Open the store at ``db``; with ``in_memory`` (default) build the index once.

        With ``auto_refresh`` (seconds), a check notices at most that long after a write that
        the store changed, rebuilds the index in a background thread and swaps it in: until
        then checks are answered from the previous committed state, never blocked. ``None``
        turns it off (call :meth:`refresh` yourself).
        """
        from blacklist_match.rules import RulePack
        from blacklist_match.store import Store

        pack = RulePack.load(*rules)
        store = Store.open(db, read_only=True)
        if in_memory:
            try:
                index = load_memory_index(store.con)
            finally:
                store.close()
            return cls(index, pack, source=Path(store.path), auto_refresh=auto_refresh)
        return cls(StoreLookup(store.con), pack, source=store)

    @classmethod
    def from_files(
        cls,
        *,
        list: Sequence[str | Path],
        removals: Sequence[str | Path] = (),
        officers: Sequence[str | Path] = (),
        rules: Sequence[str | Path] = (),
    ) -> Screener:
        """Build a screener from list, removal and registry files (no store file)."""
        from blacklist_match.store import MEMORY, Store

        store = Store(MEMORY)
        for path in list:
            store.ingest_list(path)
        for path in removals:
            store.ingest_removals(path)
        for path in officers:
            store.ingest_officers(path)
        from blacklist_match.rules import RulePack

        return cls(load_memory_index(store.con), RulePack.load(*rules), source=store)

    def refresh(self) -> None:
        """Rebuild the index from the store it was opened from, and swap it in."""
        if not isinstance(self._source, Path):
            return
        from blacklist_match.store import Store

        version = self._store_version()
        with Store.open(self._source, read_only=True) as store:
            index = load_memory_index(store.con)
        with self._lock:
            self._lookup = index
            self._seen_version = version

    def _store_version(self) -> tuple[int, ...] | None:
        """Modification stamps of the store file and its read-only copy."""
        if not isinstance(self._source, Path):
            return None
        from blacklist_match.db import snapshot_path

        stamps = []
        for path in (self._source, snapshot_path(self._source)):
            try:
                stamps.append(path.stat().st_mtime_ns)
            except OSError:
                stamps.append(0)
        return tuple(stamps)

    def _maybe_refresh(self) -> None:
        """At most every ``auto_refresh`` seconds: if the store changed, rebuild in the
        background (one rebuild at a time) while checks go on against the current index."""
        now = time.monotonic()
        if self._auto_refresh is None or now - self._last_look < self._auto_refresh:
            return
        self._last_look = now
        with self._lock:
            if self._rebuilding or self._store_version() == self._seen_version:
                return
            self._rebuilding = True

        def rebuild() -> None:
            try:
                self.refresh()
            except Exception:  # the writer may hold the lock: keep the old index, try later
                log.warning("could not refresh the index; answering from the previous state")
            finally:
                self._rebuilding = False

        threading.Thread(target=rebuild, name="blacklist-match-refresh", daemon=True).start()

    @property
    def index(self) -> Lookup:
        return self._lookup

    def screen(self, records: Any, *, show_ids: bool = False) -> Any:
        """Screen a batch of records (a Polars frame or an Arrow table) with the batch
        engine; return the flag report as a Polars frame."""
        import polars as pl

        from blacklist_match.pipeline import screen_store
        from blacklist_match.store import MEMORY, Store

        frame = records if isinstance(records, pl.DataFrame) else pl.from_arrow(records)
        with Store(MEMORY) as work:
            self._copy_list_into(work)
            work.load_records_frame(frame)  # type: ignore[arg-type]
            return screen_store(work, self.rules, show_ids=show_ids).flags

    def _copy_list_into(self, work: Any) -> None:
        from blacklist_match.store import Store

        source = self._source
        opened = None
        if isinstance(source, Path):
            source = opened = Store.open(source, read_only=True)
        if source is None:
            raise InputError("this screener has no list to screen against")
        try:
            for table in ("list_entries", "officers", "decisions"):  # a rejection holds here too
                data = source.con.sql(f"SELECT * FROM {table}").to_arrow_table()  # noqa: S608
                work.con.register("copied", data)
                work.con.execute(f"INSERT INTO {table} SELECT * FROM copied")  # noqa: S608
                work.con.unregister("copied")
        finally:
            if opened is not None:
                opened.close()

    def close(self) -> None:
        """Release the store this screener holds, if any."""
        if self._source is not None and not isinstance(self._source, Path):
            self._source.close()

    def check(
        self,
        subject_id: str | None = None,
        name: str | None = None,
        *,
        subject_type: str | None = None,
        action: str | None = None,
        date: date | None = None,
        amount: float | None = None,
        as_of: date | None = None,
    ) -> Decision:
        """Which listings apply to this subject on ``date`` (today by default), and with
        ``action`` (``record_type`` or ``record_type/sub_type``) which restrictions."""

        self._maybe_refresh()
        on = date or date_type.today()
        lookup = self._lookup
        if subject_type not in (None, "person", "entity"):
            raise InputError(f"subject type must be person or entity, got {subject_type!r}")
        subject = subject_keys(subject_id, name, subject_type)
        record_type, sub_type = _parse_action(action)
        candidates = [
            c for c in candidates_of(subject, lookup, on) if listed_on(c.entry, on, as_of)
        ]
        candidates, suppressed, confirmed = _apply_decisions(candidates, subject, lookup)
        record = {
            "record_type": record_type,
            "sub_type": sub_type,
            "amount": amount,
            "subject_type": subject.subject_type,
        }
        by_name = (
            [c for c in namesakes_without_the_id(subject, lookup) if listed_on(c.entry, on, as_of)]
            if subject_id is None or not subject_id.strip()
            else []
        )  # listings to confirm with an ID: no rule acts on them, as in the batch
        listings = sorted(
            (_flag(c, None, confirmed) for c in [*candidates, *by_name]), key=lambda f: f.case_no
        )
        flags = sorted(
            (
                _flag(candidate, rule, confirmed)
                for candidate in candidates
                for rule in (self._rules_by_type.get(record_type, ()) if record_type else ())
                if rule_accepts(rule, candidate, record)
            ),
            key=lambda f: (f.case_no, f.rule_id or ""),
        )
        blocking = (S.Action.BLOCK.value, S.Action.REVIEW.value)
        if record_type:
            restricted = any(f.action in blocking for f in flags)
        else:
            restricted = any(
                f.tier not in REVIEW_ONLY and f.link == S.Link.DEBTOR.value for f in listings
            )
        return Decision(
            restricted=restricted,
            listings=listings,
            flags=flags,
            needs_id=subject.id_norm is None,
            subject_kind=subject.id_kind,
            subject_problem=subject.id_problem,
            suppressed=[_flag(c, None, {}) for c in suppressed],
        )


def _parse_action(action: str | None) -> tuple[str | None, str | None]:
    if not action:
        return None, None
    record_type, _, sub_type = action.partition("/")
    if record_type not in S.RECORD_TYPES:
        raise InputError(
            f"unknown action {action!r}: record type must be one of {', '.join(S.RECORD_TYPES)}"
        )
    return record_type, (sub_type.lower() or None)


def _confirmation_note(decision: ReviewDecision | None) -> str:
    if decision is None:
        return ""
    return f"（已经人工确认为同一主体：{decision.decided_by}，{decision.decided_at:%Y年%m月%d日}）"


def _apply_decisions(
    candidates: list[Candidate], subject: Keys, lookup: Lookup
) -> tuple[list[Candidate], list[Candidate], dict[str, ReviewDecision]]:
    """Split off candidates a reviewer rejected (until their date); note confirmations."""
    key = subject_key(subject)
    if key is None:
        return candidates, [], {}
    today = date_type.today()
    kept, suppressed, confirmed = [], [], {}
    for candidate in candidates:
        decision = lookup.decision(key, candidate.entry.entry_id)
        if (
            decision is not None
            and decision.decision == "reject"
            and (decision.until is None or today < decision.until)
        ):
            suppressed.append(candidate)
            continue
        if decision is not None and decision.decision == "confirm":
            confirmed[candidate.entry.entry_id] = decision
        kept.append(candidate)
    return kept, suppressed, confirmed


def _flag(candidate: Candidate, rule: Rule | None, confirmed: dict[str, ReviewDecision]) -> Flag:
    entry: Entry = candidate.entry
    action = None
    if rule is not None:
        action = rule.action.value
        if candidate.tier in REVIEW_ONLY and action == S.Action.BLOCK.value:
            action = S.Action.REVIEW.value
    basis = f"{rule.basis.zh}（{rule.basis.source}）" if rule else None
    return Flag(
        case_no=entry.case_no,
        rule_id=rule.id if rule else None,
        category=rule.category.value if rule else None,
        action=action,
        tier=candidate.tier,
        score=candidate.score,
        via=candidate.via,
        link=candidate.link,
        evidence=candidate.evidence,
        debtor_name=entry.name,
        entry_id=entry.entry_id,
        listed_from=entry.listed_from,
        listed_until=entry.listed_until,
        court=entry.court,
        basis=basis,
        explanation=explain(candidate, rule.id if rule else None, basis)
        + _confirmation_note(confirmed.get(entry.entry_id)),
    )


__all__ = ["Decision", "Flag", "MemoryIndex", "Screener", "StoreLookup"]
