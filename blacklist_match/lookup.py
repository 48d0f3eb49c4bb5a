"""Point lookups of list entries and registry links, for the spot check and the library.

Two sources answer the same questions: :class:`MemoryIndex` (dictionaries built once from
the store, for sub-millisecond library checks) and :class:`StoreLookup` (point queries on
the DuckDB file, for a cold command-line check that cannot afford to build an index).
Neither imports Polars.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any, Final, NamedTuple, Protocol

from blacklist_match.db import LOOKUP_KEYS
from blacklist_match.store_schema import COMPANY_CORE_PREFIX, key_hash_expr


class Entry(NamedTuple):
    """The fields of a list entry that matching and the flag report need."""

    entry_id: str
    case_no: str
    name: str
    debtor_type: str
    id_number: str | None
    id_kind: str | None
    id_norm: str | None
    id_alt_norm: str | None
    org_code_key: str | None
    mask_key: str | None
    name_key: str | None
    name_core: str | None
    age: int | None
    published_on: date | None
    court: str | None
    listed_from: date
    listed_until: date | None


class Officer(NamedTuple):
    """One registry link: a person's role in an entity, with its validity dates."""

    entity_id_norm: str | None
    entity_org_code_key: str | None
    entity_name: str | None
    person_id_kind: str | None
    person_id_norm: str | None
    person_mask_key: str | None
    person_name_key: str | None
    role: str
    start_date: date | None
    end_date: date | None


MASKED_KIND: Final = "masked_resident_id"
CORE_PREFIX: Final = COMPANY_CORE_PREFIX
"""Company names are blocked on the first three characters of their core key."""


class ReviewDecision(NamedTuple):
    """A reviewer's latest word on whether a subject is a listed debtor."""

    decision: str
    decided_by: str
    decided_at: Any
    until: date | None


DECISION_SELECT: Final = (
    "SELECT subject_key, entry_id, decision, decided_by, decided_at, until FROM decisions "
    "WHERE subject_key IS NOT NULL"
)
LATEST_DECISION: Final = (
    " QUALIFY row_number() OVER (PARTITION BY subject_key, entry_id ORDER BY decision_id DESC) = 1"
)
ENTRY_FIELDS: Final = Entry._fields
OFFICER_FIELDS: Final = Officer._fields


def _partially_masked(entry: Entry) -> bool:
    return entry.id_kind == MASKED_KIND and entry.id_norm is None and entry.id_alt_norm is None


class Lookup(Protocol):
    """What the spot check asks of a source of entries and registry links."""

    def by_id(self, values: Sequence[str]) -> list[Entry]:
        """Entries whose full identifier (or its alternative reading) is one of ``values``."""
        ...

    def by_org_code(self, key: str) -> list[Entry]:
        """Entries whose organisation-code key is ``key``."""
        ...

    def by_mask_key(self, key: str) -> list[Entry]:
        """Entries whose masked-ID blocking key is ``key``."""
        ...

    def officers_of_person(self, id_norm: str) -> list[Officer]:
        """Registry links where the person's identifier is ``id_norm``."""
        ...

    def persons_by_name_key(self, name_key: str) -> list[Entry]:
        """Entries of natural-person debtors whose name key is ``name_key``."""
        ...

    def decision(self, subject_key: str, entry_id: str) -> ReviewDecision | None:
        """The latest review decision on (subject, entry), if any."""
        ...

    def persons_by_name_core(self, name_core: str) -> list[Entry]:
        """Entries of natural-person debtors whose dot-free name key is ``name_core``."""
        ...

    def partially_masked_persons(self, name_core: str) -> list[Entry]:
        """Of :meth:`persons_by_name_core`, those whose number is a mask without a usable
        reading (masked in another pattern than the publication's): few, so an index of
        their own spares a check walking every namesake."""
        ...

    def entities_by_core_prefix(self, prefix: str) -> list[Entry]:
        """Entries of entity debtors whose company core key starts with ``prefix`` (3 chars)."""
        ...

    def officers_of_entity(self, id_norm: str | None, org_code_key: str | None) -> list[Officer]:
        """Registry links of the entity with this identifier or organisation code."""
        ...


def _rows(columns: dict[str, list[Any]], fields: Sequence[str]) -> Iterable[tuple[Any, ...]]:
    return zip(*(columns[f] for f in fields), strict=True)


class MemoryIndex:
    """Dictionaries over every entry and registry link: built once, then read-only.

    Instances are never mutated after construction, so any number of threads may read
    one; a refresh builds a new index and swaps the reference.
    """

    def __init__(
        self,
        entries: dict[str, list[Any]],
        officers: dict[str, list[Any]],
        decisions: dict[tuple[str, str], ReviewDecision] | None = None,
    ) -> None:
        self._decisions = decisions or {}
        self._by_id: dict[str, list[Entry]] = defaultdict(list)
        self._by_org: dict[str, list[Entry]] = defaultdict(list)
        self._by_mask: dict[str, list[Entry]] = defaultdict(list)
        self._persons_by_name_key: dict[str, list[Entry]] = defaultdict(list)
        self._persons_by_name_core: dict[str, list[Entry]] = defaultdict(list)
        self._entities_by_prefix: dict[str, list[Entry]] = defaultdict(list)
        self._partially_masked: dict[str, list[Entry]] = defaultdict(list)
        for row in _rows(entries, ENTRY_FIELDS):
            entry = Entry(*row)
            if entry.debtor_type == "person":
                if entry.name_key:
                    self._persons_by_name_key[entry.name_key].append(entry)
                if entry.name_core:
                    self._persons_by_name_core[entry.name_core].append(entry)
                    if _partially_masked(entry):
                        self._partially_masked[entry.name_core].append(entry)
            elif entry.name_core:
                self._entities_by_prefix[entry.name_core[:CORE_PREFIX]].append(entry)
            if entry.id_kind == "masked_resident_id":
                if entry.mask_key:
                    self._by_mask[entry.mask_key].append(entry)
            elif entry.id_norm:
                self._by_id[entry.id_norm].append(entry)
            if entry.id_alt_norm:
                self._by_id[entry.id_alt_norm].append(entry)
            if entry.org_code_key:
                self._by_org[entry.org_code_key].append(entry)
        self._officers_by_person: dict[str, list[Officer]] = defaultdict(list)
        self._officers_by_entity: dict[str, list[Officer]] = defaultdict(list)
        self._officers_by_org: dict[str, list[Officer]] = defaultdict(list)
        for row in _rows(officers, OFFICER_FIELDS):
            link = Officer(*row)
            if link.person_id_norm:
                self._officers_by_person[link.person_id_norm].append(link)
            if link.entity_id_norm:
                self._officers_by_entity[link.entity_id_norm].append(link)
            if link.entity_org_code_key:
                self._officers_by_org[link.entity_org_code_key].append(link)
        self.entries = len(entries[ENTRY_FIELDS[0]])
        self.officers = len(officers[OFFICER_FIELDS[0]])

    def by_id(self, values: Sequence[str]) -> list[Entry]:
        found: list[Entry] = []
        for value in values:
            found.extend(self._by_id.get(value, ()))
        return found

    def by_org_code(self, key: str) -> list[Entry]:
        return list(self._by_org.get(key, ()))

    def persons_by_name_key(self, name_key: str) -> list[Entry]:
        return list(self._persons_by_name_key.get(name_key, ()))

    def decision(self, subject_key: str, entry_id: str) -> ReviewDecision | None:
        return self._decisions.get((subject_key, entry_id))

    def persons_by_name_core(self, name_core: str) -> list[Entry]:
        return list(self._persons_by_name_core.get(name_core, ()))

    def partially_masked_persons(self, name_core: str) -> list[Entry]:
        return list(self._partially_masked.get(name_core, ()))

    def entities_by_core_prefix(self, prefix: str) -> list[Entry]:
        return list(self._entities_by_prefix.get(prefix, ()))

    def by_mask_key(self, key: str) -> list[Entry]:
        return list(self._by_mask.get(key, ()))

    def officers_of_person(self, id_norm: str) -> list[Officer]:
        return list(self._officers_by_person.get(id_norm, ()))

    def officers_of_entity(self, id_norm: str | None, org_code_key: str | None) -> list[Officer]:
        links = list(self._officers_by_entity.get(id_norm, ())) if id_norm else []
        if org_code_key:
            links.extend(o for o in self._officers_by_org.get(org_code_key, ()) if o not in links)
        return links


ENTRY_SELECT: Final = "SELECT " + ", ".join(ENTRY_FIELDS) + " FROM list_entries"
OFFICER_SELECT: Final = "SELECT " + ", ".join(OFFICER_FIELDS) + " FROM officers"


def load_memory_index(con: Any) -> MemoryIndex:
    """Build a :class:`MemoryIndex` from a store connection (one columnar read per table)."""
    entries = con.sql(ENTRY_SELECT).to_arrow_table().to_pydict()
    officers = con.sql(OFFICER_SELECT).to_arrow_table().to_pydict()
    decisions = {
        (row[0], row[1]): ReviewDecision(*row[2:])
        for row in (
            con.execute(DECISION_SELECT + LATEST_DECISION).fetchall()
            if has_table(con, "decisions")
            else ()
        )
    }
    return MemoryIndex(entries, officers, decisions)


HASH_OF_KEY: Final = f"SELECT {key_hash_expr('$1')}"
"""A key's stored integer hash, as the load computes it (``store_schema.key_hash_expr``)."""
_POSITION: Final = {
    **{name: i for i, name in enumerate(OFFICER_FIELDS)},
    **{name: i for i, name in enumerate(ENTRY_FIELDS)},
}
"""Where each key column sits in an entry's or a link's row (no name is in both)."""


_PRESENT: Final = (
    "SELECT table_name, NULL FROM duckdb_tables() WHERE table_name IN ('decisions', ?) "
    "UNION ALL SELECT table_name, column_name FROM duckdb_columns() "
    "WHERE table_name = 'list_entries' AND column_name = 'id_norm_hash'"
)
"""Which of the optional tables and columns a store has, in one query (a cold check
makes a handful of queries in all)."""
LOOKUP_RIDS: Final = f"SELECT rid FROM {LOOKUP_KEYS} WHERE key_hash = $1"


def has_table(con: Any, name: str) -> bool:
    """Whether the store has table ``name`` (a store written by an older version may not)."""
    rows = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [name]
    ).fetchall()
    return bool(rows[0][0])


class StoreLookup:
    """Point queries on the store, for a cold one-off check (no index to build).

    A key's text is looked up by its integer hash (``store_schema.KEY_HASHES``) and then
    compared on the rows found, so a hash collision cannot return a wrong row. On the
    read-only copy an entry's hash leads to its ``rid`` through the sorted
    ``db.LOOKUP_KEYS`` and the row comes through the index on ``rid``; registry links are
    found through the indexes on their key hashes (``db.LOOKUP_INDEXES``). Elsewhere (the
    writer's own file, when no current copy exists) every query filters one column by
    equality: DuckDB scans a million entries for ``col = ?`` several times faster than for
    an ``OR`` of two columns. A store without the hashes (schema version 1, read before any
    writer upgraded it) is queried on the text.
    """

    def __init__(self, con: Any) -> None:
        self.con = con
        present = set(map(tuple, con.execute(_PRESENT, [LOOKUP_KEYS]).fetchall()))
        self._has_decisions = ("decisions", None) in present
        self._hashed = ("list_entries", "id_norm_hash") in present
        self._keyed = self._hashed and (LOOKUP_KEYS, None) in present
        self._hashes: dict[str, int] = {}

    def _hash(self, value: str) -> int:
        if value not in self._hashes:
            self._hashes[value] = self.con.execute(HASH_OF_KEY, [value]).fetchall()[0][0]
        return self._hashes[value]

    def _matching(self, select: str, column: str, value: Any) -> list[tuple[Any, ...]]:
        """Rows of ``select`` whose ``column`` equals ``value`` (None matches nothing)."""
        if value is None:
            return []
        if not self._hashed:
            return list(self.con.execute(f"{select} WHERE {column} = $1", [value]).fetchall())
        key = self._hash(value)
        if self._keyed and select == ENTRY_SELECT:
            found = self.con.execute(LOOKUP_RIDS, [key]).fetchall()
            if not found:
                return []
            rids = sorted({rid for (rid,) in found})
            marks = ", ".join("?" * len(rids))
            rows = self.con.execute(f"{select} WHERE rid IN ({marks})", rids)
        else:
            rows = self.con.execute(f"{select} WHERE {column}_hash = $1", [key])
        return [row for row in rows.fetchall() if row[_POSITION[column]] == value]

    def _entries(self, column: str, value: Any) -> list[Entry]:
        return [Entry(*row) for row in self._matching(ENTRY_SELECT, column, value)]

    def _officers(self, column: str, value: Any) -> list[Officer]:
        return [Officer(*row) for row in self._matching(OFFICER_SELECT, column, value)]

    def by_id(self, values: Sequence[str]) -> list[Entry]:
        found: list[Entry] = []
        for value in values:
            found += [e for e in self._entries("id_norm", value) if e.id_kind != MASKED_KIND]
            found += self._entries("id_alt_norm", value)
        return found

    def by_org_code(self, key: str) -> list[Entry]:
        return self._entries("org_code_key", key)

    def persons_by_name_key(self, name_key: str) -> list[Entry]:
        return [e for e in self._entries("name_key", name_key) if e.debtor_type == "person"]

    def decision(self, subject_key: str, entry_id: str) -> ReviewDecision | None:
        if not self._has_decisions:
            return None
        rows = self.con.execute(
            DECISION_SELECT + " AND subject_key = $1 AND entry_id = $2" + LATEST_DECISION,
            [subject_key, entry_id],
        ).fetchall()
        return ReviewDecision(*rows[0][2:]) if rows else None

    def persons_by_name_core(self, name_core: str) -> list[Entry]:
        return [e for e in self._entries("name_core", name_core) if e.debtor_type == "person"]

    def partially_masked_persons(self, name_core: str) -> list[Entry]:
        return [e for e in self.persons_by_name_core(name_core) if _partially_masked(e)]

    def entities_by_core_prefix(self, prefix: str) -> list[Entry]:
        rows = self.con.execute(
            f"{ENTRY_SELECT} WHERE starts_with(name_core, $1)", [prefix]
        ).fetchall()
        return [
            e
            for e in map(Entry._make, rows)
            if e.debtor_type == "entity" and (e.name_core or "")[:CORE_PREFIX] == prefix
        ]

    def by_mask_key(self, key: str) -> list[Entry]:
        return [e for e in self._entries("mask_key", key) if e.id_kind == MASKED_KIND]

    def officers_of_person(self, id_norm: str) -> list[Officer]:
        return self._officers("person_id_norm", id_norm)

    def officers_of_entity(self, id_norm: str | None, org_code_key: str | None) -> list[Officer]:
        links = self._officers("entity_id_norm", id_norm)
        links += [o for o in self._officers("entity_org_code_key", org_code_key) if o not in links]
        return links
