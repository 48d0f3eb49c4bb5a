"""The run manifest: what a run read, which rules it applied, what it found.

A manifest lets a flag be justified months later: the SHA-256 of every input file, the
state of the list, the rules hash, the engine version and the counts. Two runs on the same
inputs with the same rules have equal manifests except for ``run_id`` and the two times
(:data:`RUN_SPECIFIC_KEYS`), including ``flags_sha256``, a digest of the report's content
that does not depend on the file format. The manifest goes beside the report as JSON and,
for a store-backed run, into the ``runs`` table of the DuckDB file (:func:`record_run`).
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

import polars as pl

from blacklist_match import __version__
from blacklist_match.report.summary import summarise
from blacklist_match.store_schema import RUNS_TABLE
from blacklist_match.util import file_digest

MANIFEST_VERSION: Final = 1
RUN_SPECIFIC_KEYS: Final = ("run_id", "started_at", "finished_at")
"""Keys that differ between two runs of the same inputs and rules."""

LIST_STATE_KEYS: Final = ("as_of", "entries_total", "entries_listed", "entries_ended")


def new_run_id(started_at: datetime) -> str:
    """A sortable, unique run id: UTC start time and a random suffix.

    >>> new_run_id(datetime(2024, 5, 1, 2, 30, tzinfo=UTC))[:17]
    '20240501T023000Z-'
    """
    return f"{started_at.astimezone(UTC):%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:8]}"


def flags_digest(flags: pl.DataFrame) -> str:
    """SHA-256 of a report's content, independent of row order and file format."""
    canonical = flags.sort(flags.columns, nulls_last=True) if flags.height else flags
    return hashlib.sha256(canonical.write_csv().encode("utf-8")).hexdigest()


def input_hashes(paths: Iterable[str | Path]) -> dict[str, str]:
    """``{path: sha256}`` for each input file (paths as given, in the order given)."""
    return {str(path): file_digest(path) for path in paths}


def build_manifest(
    *,
    flags: pl.DataFrame,
    rules_hash: str,
    inputs: Mapping[str, str],
    counts: Mapping[str, int],
    list_state: Mapping[str, Any] | None = None,
    input_files: Iterable[Mapping[str, Any]] = (),
    started_at: datetime | None = None,
    finished_at: datetime | None = None,
    run_id: str | None = None,
    options: Mapping[str, Any] | None = None,
    report: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The manifest of one run as a JSON-ready dict.

    ``inputs`` maps each input file to its SHA-256 (see :func:`input_hashes`);
    ``input_files`` may add per-file detail (kind, rows read, loaded, quarantined);
    ``list_state`` holds ``entries_total``, ``entries_listed`` and ``entries_ended``.
    Times default to now (UTC); the run id is derived from the start time.
    """
    # both in UTC, with the offset written (a naive time is the machine's local time)
    started = (started_at or datetime.now(UTC)).astimezone(UTC)
    finished = (finished_at or datetime.now(UTC)).astimezone(UTC)
    return {
        "manifest_version": MANIFEST_VERSION,
        "run_id": run_id or new_run_id(started),
        "started_at": started.isoformat(timespec="seconds"),
        "finished_at": finished.isoformat(timespec="seconds"),
        "engine": "blacklist-match",
        "engine_version": __version__,
        "inputs": dict(inputs),
        "input_files": [dict(item) for item in input_files],
        "list_state": dict(list_state or {}),
        "rules_hash": rules_hash,
        "options": dict(options or {}),
        "counts": {name: int(value) for name, value in counts.items()},
        "summary": {dimension: dict(pairs) for dimension, pairs in summarise(flags).items()},
        "flags_sha256": flags_digest(flags),
        "report": dict(report or {}),
    }


def reproducible_part(manifest: Mapping[str, Any]) -> dict[str, Any]:
    """The manifest without its run-specific keys: equal for equal inputs and rules."""
    return {key: value for key, value in manifest.items() if key not in RUN_SPECIFIC_KEYS}


def manifest_json(manifest: Mapping[str, Any]) -> str:
    """The manifest as indented UTF-8 JSON (Chinese kept readable)."""
    return json.dumps(manifest, ensure_ascii=False, indent=2, default=str) + "\n"


def _utc(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment


def record_run(con: Any, manifest: Mapping[str, Any]) -> None:
    """Store ``manifest`` as one row of the ``runs`` table of a DuckDB connection.

    Creates the table when absent. Values are bound parameters; the JSON columns hold the
    inputs, list state, counts and the whole manifest.
    """
    con.execute(RUNS_TABLE)
    con.execute(
        """INSERT INTO runs (run_id, started_at, finished_at, engine_version, rules_hash,
                             inputs, list_state, counts, manifest)
           VALUES ($run_id, $started_at, $finished_at, $engine_version, $rules_hash,
                   $inputs, $list_state, $counts, $manifest)""",
        {
            "run_id": manifest["run_id"],
            "started_at": _utc(manifest["started_at"]),
            "finished_at": _utc(manifest["finished_at"]),
            "engine_version": manifest["engine_version"],
            "rules_hash": manifest["rules_hash"],
            "inputs": json.dumps(manifest["inputs"], ensure_ascii=False),
            "list_state": json.dumps(manifest["list_state"], ensure_ascii=False, default=str),
            "counts": json.dumps(manifest["counts"], ensure_ascii=False),
            "manifest": json.dumps(manifest, ensure_ascii=False, default=str),
        },
    )
