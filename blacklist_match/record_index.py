"""A point-read index of the store's records, kept beside it for ``run --since-last``.

DuckDB keeps columns in compressed vectors and reads no single row: reaching the records
near 10,000 changed entries, spread over the table, costs a read of every key column probed
and about a decode of every column fetched, a fixed fifth to a quarter of a full run
whatever the change's size (``benchmarks/SINCE_LAST.md``). This index answers both by key:

* per key column, the non-NULL key hashes sorted, with each one's row position (a binary
  search per key, on a memory map);
* each record's columns (those a since-last run fetches, the key hashes recomputed from
  their text when read) as one row-major JSON array of text, with the byte offsets of the
  rows (one read per record found).

It is a cache of the store, never the truth. A records load adds a segment for the rows it
wrote and marks the rows it replaced dead; a run that finds it out of step with the store
(:class:`Stamp`) brings it up to date first, or rebuilds it, and one that finds more rows
near a change than an index read is worth (:data:`DENSE_SHARE`) scans the store instead.
Everything is written under new names and published by replacing ``manifest.json``, so a
cut-off write leaves the last index, or none, never half of one.

Layout, in ``<store>.records-index/``::

    manifest.json                  Stamp, layout, columns, segments (rows, dead rows)
    seg-<id>/rows.bin              the rows, each a JSON array of its columns as text (the
                                   key hashes left out: recomputed from their text on read)
    seg-<id>/offsets.npy           int64 byte offsets of the rows (one more than rows)
    seg-<id>/rid.keys.npy          the rows' ``rid`` sorted (``rid.pos.npy``: positions)
    seg-<id>/<key>.keys.npy        a key's non-NULL hashes, sorted (a key: a key column, or
                                   a key column where a condition holds, NULL elsewhere)
    seg-<id>/<key>.pos.npy         their row positions
    seg-<id>/dead-<id>.npy         positions of rows the store no longer holds (replaced by a
                                   later load; each refresh writes a new one)

Every file is synced before the manifest that lists it (with its size) is published, and an
index whose files are not all there at their size is rebuilt. The index follows the store
through blacklist-match's own loads: records changed by hand in the store (SQL on the DuckDB
file) are not seen, and a store restored from a backup should be restored with its index or
without one (an index of other records is detected by the last records load's file digest
and time, and rebuilt).

``BLACKLIST_RECORD_INDEX``: ``off`` (never built or read; an existing one is removed),
``always`` (at any size, and read however many rows a change reaches), or the least number
of records for which a since-last run builds it (default :data:`DEFAULT_MIN_RECORDS`: below
that, scanning the store is as quick).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import numpy as np
import polars as pl
import pyarrow as pa

from blacklist_match.db import quote_identifier as _quote
from blacklist_match.key_upgrade import REKEYED_AFTER_RUNS, VERSION_KEY
from blacklist_match.store_schema import SCHEMA_VERSION, key_hash_assignments, put_meta

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    import duckdb

log = logging.getLogger(__name__)

FORMAT: Final = 1
SUFFIX: Final = ".records-index"
SETTING_ENV: Final = "BLACKLIST_RECORD_INDEX"
DEFAULT_MIN_RECORDS: Final = 200_000
MAX_SEGMENTS: Final = 12
"""With this many segments, a refresh merges all but the first into one, written anew from
the store (each segment costs every lookup a binary search per key column; the first, the
largest, is not rewritten)."""
MAX_DEAD_SHARE: Final = 0.2
"""More rows replaced than this share, and a refresh rebuilds the index (dead rows cost disk
and lookups)."""
DENSE_SHARE: Final = 0.02
"""More rows found than this share of the index, and a run scans the store instead: past a
few records per DuckDB vector, one read per record costs more than decoding the columns."""
STORE_ID_KEY: Final = "store_id"
"""``meta``: a random id given to the store when its first index is built (an index beside a
store file that was replaced by another is rebuilt)."""

_MANIFEST: Final = "manifest.json"
_RID: Final = "rid"
_BATCH_ROWS: Final = 1 << 17
_KEY_META: Final = ("key_hash_probe", VERSION_KEY, REKEYED_AFTER_RUNS, "schema_version")
"""``meta`` values that change when the stored keys are recomputed in place (DuckDB's hash,
the name keys' derivation, a schema upgrade): part of the stamp, so an index of the old keys
is rebuilt."""

_LOAD_MARK: Final = "file_hash || '@' || CAST(loaded_at AS VARCHAR)"
"""What tells one records load from another with the same id: the file's SHA-256 and the
time it was loaded (a store restored from a backup numbers its next load as the load it
lost)."""

_STAMP: Final = f"""
SELECT (SELECT value FROM meta WHERE key = '{STORE_ID_KEY}'),
       (SELECT string_agg(key || '=' || value, ';' ORDER BY key) FROM meta
        WHERE key IN ({", ".join(f"'{k}'" for k in _KEY_META)})),
       (SELECT coalesce(max(load_id), 0) FROM loads WHERE kind = 'records'),
       (SELECT count(*) FROM records),
       (SELECT arg_max({_LOAD_MARK}, load_id) FROM loads WHERE kind = 'records')
"""  # noqa: S608 - constant names


@dataclass(frozen=True)
class Stamp:
    """What identifies the store's records: an index of other records is not read."""

    store_id: str | None
    keys: str
    """The ``meta`` values of the stored keys' derivation (:data:`_KEY_META`)."""
    records_load: int
    """The last records load (0: none)."""
    records: int
    """Records in the store."""
    records_mark: str | None
    """The last records load's :data:`_LOAD_MARK`."""


def store_stamp(con: duckdb.DuckDBPyConnection) -> Stamp:
    """The store's :class:`Stamp` (one statement)."""
    store_id, keys, records_load, records, token = con.execute(_STAMP).fetchall()[0]
    return Stamp(store_id, keys or "", int(records_load), int(records), token)


def _load_mark(con: duckdb.DuckDBPyConnection, load_id: int) -> str | None:
    rows = con.execute(
        f"SELECT {_LOAD_MARK} FROM loads WHERE load_id = ? AND kind = 'records'",  # noqa: S608
        [load_id],
    ).fetchall()
    return str(rows[0][0]) if rows else None


def index_folder(store_path: str | Path) -> Path:
    """Where the index of the store at ``store_path`` is kept."""
    return Path(f"{store_path}{SUFFIX}")


def min_records() -> int | None:
    """The least records for which a since-last run builds the index (None: off)."""
    setting = os.environ.get(SETTING_ENV, "").strip().lower()
    if setting in ("off", "0", "no", "false"):
        return None
    if setting in ("always", "on"):
        return 0
    if setting:
        try:
            return max(int(setting), 0)
        except ValueError:
            log.warning("%s=%r is not off, always or a number: ignored", SETTING_ENV, setting)
    return DEFAULT_MIN_RECORDS


@dataclass(frozen=True)
class Layout:
    """What an index holds: the record columns kept in its rows (name, DuckDB type), the
    columns computed from those when they are read (name, SQL: the stored key hashes,
    recomputed as a load computes them rather than kept as 20 digits of text each), and the
    keys it can look up (name, SQL over ``records``: a key column, or one where a condition
    holds, so that a lookup finds only the rows some probe can keep)."""

    columns: tuple[tuple[str, str], ...]
    derived: tuple[tuple[str, str], ...]
    keys: tuple[tuple[str, str], ...]

    @property
    def key_names(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.keys)

    @property
    def digest(self) -> str:
        text = json.dumps([FORMAT, SCHEMA_VERSION, self.columns, self.derived, self.keys])
        return hashlib.sha256(text.encode()).hexdigest()[:16]


def records_layout(
    con: duckdb.DuckDBPyConnection, *, skipped: Sequence[str], keys: Sequence[tuple[str, str]]
) -> Layout:
    """The layout of an index of ``records``: rows of every column but the ``skipped`` ones
    (with the key hashes derived, from the text they hash, which is kept even where
    ``skipped``), looked up by ``keys`` (name, SQL over ``records``)."""
    derived = key_hash_assignments("records")
    described = [(str(row[0]), str(row[1])) for row in con.execute("DESCRIBE records").fetchall()]
    hashed = {
        name
        for name, _ in described
        if any(re.search(rf"\b{re.escape(name)}\b", sql) for sql in derived.values())
    }
    columns = tuple(
        (name, kind)
        for name, kind in described
        if name not in derived and (name not in skipped or name in hashed)
    )
    names = {name for name, _ in columns} | set(derived)
    missing = [sql for _, sql in (*keys, ("rid", "rid")) if sql.isidentifier() and sql not in names]
    if missing:
        raise ValueError(f"records has no column {', '.join(missing)} to index")
    kept = tuple((name, sql) for name, sql in derived.items() if name in dict(described))
    return Layout(columns, kept, tuple((str(name), str(sql)) for name, sql in keys))


class RecordIndex:
    """An index in step with the store (as :func:`refresh` returns it)."""

    def __init__(self, folder: Path, manifest: dict[str, Any]) -> None:
        self.folder = folder
        self.manifest = manifest
        self.rows = int(manifest["rows"])
        self.columns: tuple[tuple[str, str], ...] = tuple(
            (str(name), str(kind)) for name, kind in manifest["columns"]
        )
        self.derived: tuple[tuple[str, str], ...] = tuple(
            (str(name), str(sql)) for name, sql in manifest["derived"]
        )
        self.segments: tuple[dict[str, Any], ...] = tuple(manifest["segments"])

    def positions(self, keys: Mapping[str, np.ndarray]) -> list[np.ndarray]:
        """Per segment, the sorted positions of the live rows whose key ``name`` (of the
        layout's keys) holds one of ``keys[name]``, for every key given."""
        wanted = {
            column: np.unique(np.asarray(values, dtype=np.int64))
            for column, values in keys.items()
            if len(values)
        }
        found = []
        for segment in self.segments:
            folder = self.folder / segment["name"]
            parts = [
                _matching_positions(folder, column, values) for column, values in wanted.items()
            ]
            positions = np.unique(np.concatenate(parts)) if parts else np.empty(0, np.int64)
            if segment["dead_file"] and len(positions):
                dead = np.load(folder / segment["dead_file"])
                positions = positions[~np.isin(positions, dead, assume_unique=True)]
            found.append(positions)
        return found

    def discard(self) -> None:
        """Remove this index (found damaged while read: the next run rebuilds it)."""
        shutil.rmtree(self.folder, ignore_errors=True)

    def dense(self, positions: Sequence[np.ndarray]) -> bool:
        """Whether so many rows were found that scanning the store is cheaper (never with
        ``BLACKLIST_RECORD_INDEX=always``)."""
        if min_records() == 0:
            return False
        return sum(len(p) for p in positions) > DENSE_SHARE * max(self.rows, 1)

    def payloads(self, positions: Sequence[np.ndarray]) -> pa.Array:
        """The rows at ``positions`` (one array per segment), as JSON text.

        Their offsets taken at once from the offsets file's memory map, then one ``pread``
        per row, the row's bytes side by side: columns on a memory map cost a page fault per
        row and column, 0.21 s for 3,259 rows of 5M against 11-33 ms so (and reading each
        row's offsets with a ``pread`` of their own, 108 ms for 35,000 rows of 10M against
        45 ms)."""
        rows: list[bytes] = []
        for segment, wanted in zip(self.segments, positions, strict=True):
            if not len(wanted):
                continue
            folder = self.folder / segment["name"]
            offsets = np.load(folder / "offsets.npy", mmap_mode="r")
            starts = np.asarray(offsets[wanted], dtype=np.int64).tolist()
            ends = np.asarray(offsets[wanted + 1], dtype=np.int64).tolist()
            rows_fd = os.open(folder / "rows.bin", os.O_RDONLY | _BINARY)
            try:
                pread = _pread
                rows.extend(
                    pread(rows_fd, end - start, start)
                    for start, end in zip(starts, ends, strict=True)
                )
            finally:
                os.close(rows_fd)
        return pa.array(rows, type=pa.binary()).cast(pa.string())

    @property
    def column_names(self) -> tuple[str, ...]:
        """The columns of :meth:`decode_sql`'s rows: the kept, then the derived."""
        return tuple(name for name, _ in (*self.columns, *self.derived))

    def decode_sql(self, source: str) -> str:
        """SQL: the typed rows of ``source`` (a relation with the JSON rows in ``p``), with
        the derived columns."""
        fields = ", ".join(
            f"l[{i}]::{kind} AS {_quote(name)}"
            for i, (name, kind) in enumerate(self.columns, start=1)
        )
        derived = "".join(f", {sql} AS {_quote(name)}" for name, sql in self.derived)
        unpacked = f"SELECT from_json(p, '[\"VARCHAR\"]') AS l FROM {source}"  # noqa: S608
        return f"SELECT *{derived} FROM (SELECT {fields} FROM ({unpacked}))"  # noqa: S608


def _matching_positions(folder: Path, column: str, values: np.ndarray) -> np.ndarray:
    sorted_keys = np.load(folder / f"{column}.keys.npy", mmap_mode="r")
    if not len(sorted_keys):
        return np.empty(0, np.int64)
    low = np.searchsorted(sorted_keys, values, "left")
    counts = np.searchsorted(sorted_keys, values, "right") - low
    hit = counts > 0
    low, counts = low[hit], counts[hit]
    if not len(low):
        return np.empty(0, np.int64)
    # every index in [low, low + count) for each key found
    starts = np.repeat(low - np.concatenate(([0], np.cumsum(counts)[:-1])), counts)
    indices = starts + np.arange(int(counts.sum()))
    return np.asarray(np.load(folder / f"{column}.pos.npy", mmap_mode="r")[indices], np.int64)


_BINARY: Final = getattr(os, "O_BINARY", 0)


def _seek_and_read(fd: int, length: int, offset: int) -> bytes:
    """``os.pread`` where the platform has none (Windows)."""
    os.lseek(fd, offset, os.SEEK_SET)
    return os.read(fd, length)


_pread = getattr(os, "pread", _seek_and_read)


# --- writing -----------------------------------------------------------------------------


def _read_manifest(folder: Path) -> dict[str, Any] | None:
    try:
        manifest = json.loads((folder / _MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return manifest if isinstance(manifest, dict) and manifest.get("format") == FORMAT else None


def _write_manifest(folder: Path, manifest: dict[str, Any]) -> None:
    """Publish ``manifest``: written and synced under a staged name, then put in place (the
    files it lists were synced before)."""
    staged = folder / f".{_MANIFEST}.{uuid.uuid4().hex}"
    with open(staged, "w", encoding="utf-8") as handle:
        handle.write(json.dumps(manifest))
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(staged, folder / _MANIFEST)
    _sync_folder(folder)


def _sync_folder(folder: Path) -> None:
    """Sync a folder's entries (new names survive a power cut); a no-op where folders cannot
    be opened (Windows)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _save(path: Path, array: np.ndarray) -> None:
    """``np.save``, synced to disk."""
    with open(path, "wb") as handle:
        np.save(handle, array)
        handle.flush()
        os.fsync(handle.fileno())


def _file_sizes(folder: Path) -> dict[str, int]:
    return {path.name: path.stat().st_size for path in folder.iterdir() if path.is_file()}


def _intact(folder: Path, manifest: dict[str, Any]) -> bool:
    """Every file of every segment the manifest lists is there with its size (a write lost
    to a power cut or a file damaged by hand makes the index rebuilt, not read)."""
    try:
        for segment in manifest["segments"]:
            for name, size in segment["files"].items():
                if (folder / segment["name"] / name).stat().st_size != size:
                    return False
    except (OSError, KeyError, TypeError, AttributeError):
        return False
    return True


def _of_these_records(manifest: dict[str, Any], stamp: Stamp, layout: Layout) -> bool:
    """The index was written in this layout, for this store, from keys derived as they are
    now: it can be read, or brought up to date, but not both (see :func:`_in_step`)."""
    return (
        manifest.get("layout") == layout.digest
        and manifest.get("store_id") == stamp.store_id
        and manifest.get("keys_meta") == stamp.keys
    )


def _in_step(manifest: dict[str, Any], stamp: Stamp, layout: Layout) -> bool:
    """The index holds the store's records as they are now."""
    return (
        _of_these_records(manifest, stamp, layout)
        and manifest.get("records_load") == stamp.records_load
        and manifest.get("records_mark") == stamp.records_mark
        and manifest.get("live") == stamp.records
    )


def _write_segment(
    con: duckdb.DuckDBPyConnection, folder: Path, layout: Layout, after_load: int
) -> dict[str, Any]:
    """Write the records of loads after ``after_load`` as a new segment of ``folder``."""
    name = f"seg-{uuid.uuid4().hex[:12]}"
    target = folder / name
    target.mkdir(parents=True)
    payload = "to_json([" + ", ".join(f"{_quote(c)}::VARCHAR" for c, _ in layout.columns) + "])"
    keys = "".join(f", {sql} AS {_quote(name)}" for name, sql in layout.keys)
    reader = con.sql(
        f"SELECT rid, {payload}::VARCHAR AS p{keys} FROM records WHERE load_id > $after",  # noqa: S608
        params={"after": after_load},
    ).to_arrow_reader(_BATCH_ROWS)
    offsets: list[np.ndarray] = [np.zeros(1, np.int64)]
    rids: list[pa.Array] = []
    key_parts: dict[str, list[pa.Array]] = {k: [] for k in layout.key_names}
    written = 0
    with open(target / "rows.bin", "wb") as rows_file:
        for batch in reader:
            text = batch.column("p").cast(pa.large_string())
            bounds = np.frombuffer(text.buffers()[1], np.int64)[
                text.offset : text.offset + len(text) + 1
            ]
            data = text.buffers()[2]
            if data is not None and bounds[-1] > bounds[0]:
                rows_file.write(memoryview(data)[int(bounds[0]) : int(bounds[-1])])
            offsets.append(bounds[1:] - bounds[0] + written)
            written += int(bounds[-1] - bounds[0])
            rids.append(batch.column("rid"))
            for key in layout.key_names:
                key_parts[key].append(batch.column(key))
        rows_file.flush()
        os.fsync(rows_file.fileno())
    _save(target / "offsets.npy", np.concatenate(offsets))
    rid = pl.Series("rid", pa.chunked_array(rids, pa.int64()), dtype=pl.Int64)
    key_parts[_RID] = rids
    for key in (*layout.key_names, _RID):
        sorted_keys = (
            pl.DataFrame(
                {
                    "k": pl.Series(pa.chunked_array(key_parts[key], pa.int64()), dtype=pl.Int64),
                    "pos": pl.int_range(0, rid.len(), dtype=pl.Int64, eager=True),
                }
            )
            .drop_nulls("k")
            .sort("k", "pos")
        )
        _save(target / f"{key}.keys.npy", sorted_keys["k"].to_numpy())
        _save(target / f"{key}.pos.npy", sorted_keys["pos"].to_numpy().astype(np.int64))
    _sync_folder(target)
    return {
        "name": name,
        "rows": rid.len(),
        "dead": 0,
        "dead_file": None,
        "after_load": after_load,
        "files": _file_sizes(target),
    }


def _mark_dead(
    con: duckdb.DuckDBPyConnection,
    folder: Path,
    segments: list[dict[str, Any]],
    *,
    replaced_after: int | None,
) -> int:
    """Mark the rows of ``segments`` the store no longer holds (replaced by a later load) in
    a new dead list per segment; return how many are dead in all. With ``replaced_after``,
    the rows the loads after it replaced (``replaced_records``, kept by each load) are added
    to those already marked, found by their ``rid``; else, every row's ``rid`` is looked up
    in the store (a full read of the records' row ids: also what a load by an older build,
    which keeps no ``replaced_records``, needs)."""
    if replaced_after is not None:
        rids = con.execute(
            "SELECT rid FROM replaced_records WHERE load_id > ?", [replaced_after]
        ).fetchnumpy()["rid"]
        gone = []
        for segment in segments:
            found = _matching_positions(folder / segment["name"], _RID, np.unique(rids))
            if segment["dead_file"]:
                found = np.concatenate(
                    [np.load(folder / segment["name"] / segment["dead_file"]), found]
                )
            gone.append(np.unique(found))
    else:
        parts = []
        for number, segment in enumerate(segments):
            rid = np.load(folder / segment["name"] / f"{_RID}.keys.npy")
            position = np.load(folder / segment["name"] / f"{_RID}.pos.npy")
            parts.append(
                pa.table(
                    {
                        "segment": pa.array(np.full(len(rid), number, np.int32)),
                        "pos": pa.array(position),
                        "rid": pa.array(rid),
                    }
                )
            )
        con.register("index_rows", pa.concat_tables(parts))
        try:
            found_all = con.sql(
                "SELECT segment, pos FROM index_rows WHERE rid NOT IN (SELECT rid FROM records)"
            ).fetchnumpy()
        finally:
            con.unregister("index_rows")
        gone = [
            np.sort(np.asarray(found_all["pos"][found_all["segment"] == number], np.int64))
            for number in range(len(segments))
        ]
    total = 0
    for segment, positions in zip(segments, gone, strict=True):
        files = {k: v for k, v in segment["files"].items() if not k.startswith("dead-")}
        dead_file = None
        if len(positions):  # a new file: the published manifest's own stays as it was
            dead_file = f"dead-{uuid.uuid4().hex[:12]}.npy"
            _save(folder / segment["name"] / dead_file, positions.astype(np.int64))
            files[dead_file] = (folder / segment["name"] / dead_file).stat().st_size
            _sync_folder(folder / segment["name"])
        segment.update(dead=len(positions), dead_file=dead_file, files=files)
        total += len(positions)
    return total


def forget_replaced(con: duckdb.DuckDBPyConnection, through_load: int | None = None) -> None:
    """Delete the row ids of ``replaced_records`` that an index no longer needs: those of
    loads up to ``through_load`` (all without one: no index to keep)."""
    if through_load is None:
        con.execute("DELETE FROM replaced_records")
    else:
        con.execute("DELETE FROM replaced_records WHERE load_id <= ?", [through_load])


def _store_id(con: duckdb.DuckDBPyConnection, stamp: Stamp) -> Stamp:
    """The stamp, after giving the store an id if it had none."""
    if stamp.store_id is not None:
        return stamp
    store_id = uuid.uuid4().hex
    put_meta(con, STORE_ID_KEY, store_id)
    return Stamp(store_id, stamp.keys, stamp.records_load, stamp.records, stamp.records_mark)


def refresh(
    con: duckdb.DuckDBPyConnection,
    store_path: str | Path,
    layout: Layout,
    *,
    create_from: int | None,
) -> RecordIndex | None:
    """Bring the index of the store at ``store_path`` (open on ``con``, writable, outside a
    transaction) in step with it: nothing when it is; a segment for the records loaded
    since, and the rows they replaced marked dead, when only loads came after it; else a
    rebuild. A store without an index gets one when it holds at least ``create_from``
    records (None: never). Returns the index, or None."""
    folder = index_folder(store_path)
    stamp = store_stamp(con)
    manifest = _read_manifest(folder)
    intact = manifest is not None and _intact(folder, manifest)
    if manifest is not None and intact and _in_step(manifest, stamp, layout):
        return RecordIndex(folder, manifest)
    if manifest is None and (create_from is None or stamp.records < create_from):
        return None
    stamp = _store_id(con, stamp)
    appendable = (
        manifest is not None
        and intact
        and _of_these_records(manifest, stamp, layout)
        and int(manifest.get("records_load", -1)) <= stamp.records_load
        # the load it last read is still the store's (not one lost to a restore)
        and _load_mark(con, int(manifest["records_load"])) == manifest.get("records_mark")
    )
    if manifest is not None and appendable:
        segments = [dict(s) for s in manifest["segments"]]
        if len(segments) >= MAX_SEGMENTS:  # the later segments merged into one, read anew
            segments = [segments[0]]
            after = int(segments[0]["through_load"])
        elif int(manifest["records_load"]) < stamp.records_load:
            after = int(manifest["records_load"])
        else:
            after = None
        if after is not None:
            segments.append(_write_segment(con, folder, layout, after))
            segments[-1]["through_load"] = stamp.records_load
        rows = sum(int(s["rows"]) for s in segments)
        dead = sum(int(s["dead"]) for s in segments)
        if rows - dead != stamp.records:  # the rows the loads since replaced, by their rid
            dead = _mark_dead(con, folder, segments, replaced_after=int(manifest["records_load"]))
        if rows - dead != stamp.records:  # not all known (an older build's load): all looked up
            dead = _mark_dead(con, folder, segments, replaced_after=None)
        if rows - dead == stamp.records and dead <= MAX_DEAD_SHARE * max(rows, 1):
            updated = _manifest(stamp, layout, segments)
            _write_manifest(folder, updated)
            _remove_unlisted(folder, segments)
            forget_replaced(con, stamp.records_load)
            log.info("record index: %d segments, %d rows (%d dead)", len(segments), rows, dead)
            return RecordIndex(folder, updated)
    return _rebuild(con, folder, stamp, layout)


def _manifest(stamp: Stamp, layout: Layout, segments: list[dict[str, Any]]) -> dict[str, Any]:
    rows = sum(int(s["rows"]) for s in segments)
    return {
        "format": FORMAT,
        "layout": layout.digest,
        "store_id": stamp.store_id,
        "keys_meta": stamp.keys,
        "records_load": stamp.records_load,
        "records_mark": stamp.records_mark,
        "rows": rows,
        "live": rows - sum(int(s["dead"]) for s in segments),
        "columns": [list(c) for c in layout.columns],
        "derived": [list(d) for d in layout.derived],
        "keys": list(layout.key_names),
        "segments": segments,
    }


def _rebuild(
    con: duckdb.DuckDBPyConnection, folder: Path, stamp: Stamp, layout: Layout
) -> RecordIndex:
    """Write the whole index anew (in a staged folder, swapped in when complete)."""
    log.info("record index: building it for %d records", stamp.records)
    remove_leftovers(folder)
    staged = folder.with_name(f"{folder.name}.staged-{uuid.uuid4().hex[:8]}")
    try:
        segment = _write_segment(con, staged, layout, -1)
        segment["through_load"] = stamp.records_load
        manifest = _manifest(stamp, layout, [segment])
        if manifest["live"] != stamp.records:  # a write came between: not expected here
            raise RuntimeError("the records changed while the index was being built")
        _write_manifest(staged, manifest)
        retired = folder.with_name(f"{folder.name}.retired-{uuid.uuid4().hex[:8]}")
        if folder.exists():
            os.replace(folder, retired)
        os.replace(staged, folder)
        _sync_folder(folder.parent)
        shutil.rmtree(retired, ignore_errors=True)
        forget_replaced(con, stamp.records_load)
    except BaseException:
        shutil.rmtree(staged, ignore_errors=True)
        raise
    return RecordIndex(folder, manifest)


def _remove_unlisted(folder: Path, segments: list[dict[str, Any]]) -> None:
    """Remove what the manifest does not list: segments of an earlier index or of a write
    cut off (as by ``kill -9``), and staged files (their names start with a dot)."""
    listed = {s["name"] for s in segments}
    for path in folder.iterdir():
        if path.is_dir() and path.name.startswith("seg-") and path.name not in listed:
            shutil.rmtree(path, ignore_errors=True)
        elif path.is_file() and path.name.startswith("."):
            path.unlink(missing_ok=True)
    for segment in segments:
        for path in (folder / segment["name"]).iterdir():
            if path.name not in segment["files"]:  # staged files, dead lists replaced
                path.unlink(missing_ok=True)


def remove_leftovers(folder: Path) -> None:
    """Remove staged and retired copies of the index left by a rebuild cut off."""
    for path in _copies(folder):
        if path.name.rsplit(".", 1)[-1].startswith(("staged-", "retired-")):
            shutil.rmtree(path, ignore_errors=True)


def _copies(folder: Path) -> list[Path]:
    """Folders beside ``folder`` named after it (``<index>.staged-*``, ``<index>.retired-*``)."""
    if not folder.parent.is_dir():
        return []
    prefix = f"{folder.name}."
    return [p for p in folder.parent.iterdir() if p.is_dir() and p.name.startswith(prefix)]


def describe(store_path: str | Path) -> dict[str, Any] | None:
    """What the index of the store at ``store_path`` holds, from its manifest (for
    ``status``): segments, live and dead rows, the last records load it has read, its size
    on disk; None when there is none."""
    folder = index_folder(store_path)
    manifest = _read_manifest(folder)
    if manifest is None:
        return None
    size = sum(path.stat().st_size for path in folder.rglob("*") if path.is_file())
    return {
        "folder": str(folder),
        "segments": len(manifest.get("segments", ())),
        "rows": int(manifest.get("live", 0)),
        "dead_rows": int(manifest.get("rows", 0)) - int(manifest.get("live", 0)),
        "records_load": manifest.get("records_load"),
        "megabytes": round(size / 1e6, 1),
    }


def drop(store_path: str | Path) -> None:
    """Remove the index of the store at ``store_path`` (and any staged or retired copy)."""
    folder = index_folder(store_path)
    for path in [folder, *_copies(folder)]:
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
